/*
 * File safety: secrets, authority files and the directories above them (pl_file.h).
 *
 * A refusal names the path at fault, what is wrong with it and the command that
 * fixes it, so an operator never has to guess which of five files or which of
 * their parent directories pitlaned means.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_file.h"

#define WRITE_BY_OTHERS (S_IWGRP | S_IWOTH)

int pl_file_secret_stat(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return PL_E_NOT_REGULAR;
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return PL_E_SECRET_OWNER;
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return PL_E_SECRET_MODE;
	return 0;
}

static int trusted_owner(uid_t uid, uid_t also)
{
	return uid == 0 || uid == geteuid() || (also != PL_FILE_NO_UID && uid == also);
}

/* "name" of uid, or its number when it has no name. */
static void user_name(uid_t uid, char *out, size_t cap)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(out, cap, "%s", pw->pw_name);
	else
		snprintf(out, cap, "%lu", (unsigned long)uid);
}

/* path as one shell word: as it is when it holds only safe characters, else single-quoted. */
static void quote_word(const char *path, char *out, size_t cap)
{
	size_t n = 0;

	if (strspn(path,
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+:@,") ==
	    strlen(path)) {
		snprintf(out, cap, "%s", path);
		return;
	}
	if (cap < 3) {
		out[0] = '\0';
		return;
	}
	out[n++] = '\'';
	for (; *path != '\0' && n + 5 < cap; path++) {
		if (*path == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *path;
		}
	}
	out[n++] = '\'';
	out[n] = '\0';
}

/* The same, with "./" before a relative path that starts with '-' (not an option). */
static void shell_word(const char *path, char *out, size_t cap)
{
	if (path[0] == '-' && cap > 2) {
		memcpy(out, "./", 2);
		quote_word(path, out + 2, cap - 2);
	} else {
		quote_word(path, out, cap);
	}
}

static int problem(struct pl_file_problem *p, int err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fix_text(struct pl_file_problem *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fills err, path and what of *p; returns err. */
static int problem(struct pl_file_problem *p, int err, const char *path, const char *fmt, ...)
{
	va_list ap;

	p->err = err;
	snprintf(p->path, sizeof(p->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	return err;
}

static void fix_text(struct pl_file_problem *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->fix, sizeof(p->fix), fmt, ap);
	va_end(ap);
}

/* The fix is the command cmd applied to the path at fault. */
static void fix_cmd(struct pl_file_problem *p, const char *cmd)
{
	char word[PATH_MAX + 16];

	shell_word(p->path, word, sizeof(word));
	fix_text(p, "%s %s", cmd, word);
}

/* The problem of a path that cannot be looked at (lstat/realpath failed with e). */
static int unreachable(struct pl_file_problem *p, const char *path, int e)
{
	if (e == ENOENT || e == ENOTDIR) {
		problem(p, PL_E_NOENT, path, "does not exist");
		fix_text(p, "create it, or correct the path in the configuration");
		return PL_E_NOENT;
	}
	if (e == EACCES || e == EPERM) {
		problem(p, PL_E_PERM, path,
		        "cannot be looked at (permission denied on it or on a "
		        "directory above it)");
		fix_text(p, "let the user the program runs as search the directories above it "
		            "(chmod g+x or o+x DIR)");
		return PL_E_PERM;
	}
	problem(p, PL_E_IO, path, "cannot be looked at: %s", strerror(e));
	fix_text(p, "check the path and the file system");
	return PL_E_IO;
}

/* Owner and write bits of one resolved directory or authority file. */
static int check_trusted(const char *path, const struct stat *st, uid_t also, int sticky_ok,
                         const char *kind, struct pl_file_problem *p)
{
	char who[64];

	if (!trusted_owner(st->st_uid, also)) {
		user_name(st->st_uid, who, sizeof(who));
		problem(p, PL_E_UNSAFE_OWNER, path,
		        "%s is owned by %s, who could change what is "
		        "trusted (it must belong to root or to the user the program runs as)",
		        kind, who);
		fix_cmd(p, "chown root");
		return PL_E_UNSAFE_OWNER;
	}
	if ((st->st_mode & WRITE_BY_OTHERS) != 0 && !(sticky_ok && (st->st_mode & S_ISVTX))) {
		problem(p, PL_E_UNSAFE_MODE, path,
		        "%s is writable by %s (mode %04o): whoever can "
		        "write it decides what is trusted",
		        kind, (st->st_mode & S_IWOTH) ? "others" : "its group",
		        (unsigned)(st->st_mode & 07777));
		fix_cmd(p, "chmod go-w");
		return PL_E_UNSAFE_MODE;
	}
	return 0;
}

/*
 * Every directory from dir (resolved, absolute) up to "/": a trusted owner, not writable
 * by group or others unless sticky (nobody can rename or delete another's entry there).
 */
static int check_parents(const char *dir, uid_t also, struct pl_file_problem *p)
{
	char d[PATH_MAX];
	struct stat st;
	int r;

	snprintf(d, sizeof(d), "%s", dir);
	for (;;) {
		char *slash;

		if (lstat(d, &st) != 0)
			return unreachable(p, d, errno);
		if (!S_ISDIR(st.st_mode)) {
			problem(p, PL_E_NOT_DIR, d, "is not a directory");
			fix_text(p, "correct the path in the configuration");
			return PL_E_NOT_DIR;
		}
		if ((r = check_trusted(d, &st, also, 1, "the directory", p)) != 0)
			return r;
		if (strcmp(d, "/") == 0)
			return 0;
		slash = strrchr(d, '/');
		if (slash == NULL)
			return 0;
		if (slash == d)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* The resolved directory that holds path's last name (a link as the last name stays). */
static int resolve_parent(const char *path, char out[PATH_MAX], struct pl_file_problem *p)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (realpath(dir, out) == NULL)
		return unreachable(p, dir, errno);
	return 0;
}

static void parent_of(const char *resolved, char out[PATH_MAX])
{
	const char *slash = strrchr(resolved, '/');

	if (slash == NULL || slash == resolved)
		snprintf(out, PATH_MAX, "/");
	else
		snprintf(out, PATH_MAX, "%.*s", (int)(slash - resolved), resolved);
}

/* The secret rule on the name itself (lstat), with what is wrong and the fix. */
static int check_secret_node(const char *path, const struct stat *st, uid_t also,
                             struct pl_file_problem *p)
{
	char who[64], me[64], cmd[80], target[PATH_MAX];

	if (S_ISLNK(st->st_mode)) {
		if (realpath(path, target) == NULL)
			snprintf(target, sizeof(target), "a missing file");
		problem(p, PL_E_SECRET_LINK, path,
		        "is a symbolic link (to %s); a secret is "
		        "opened without following links, so that nobody can swap it under the "
		        "program",
		        target);
		fix_text(p,
		         "name the file itself in the configuration (%s), or replace the link "
		         "with the file",
		         target);
		return PL_E_SECRET_LINK;
	}
	switch (pl_file_secret_stat(st)) {
	case PL_E_NOT_REGULAR:
		problem(p, PL_E_NOT_REGULAR, path, "is not a regular file");
		fix_text(p, "name the key or PIN file itself");
		return PL_E_NOT_REGULAR;
	case PL_E_SECRET_OWNER:
		user_name(st->st_uid, who, sizeof(who));
		user_name(geteuid(), me, sizeof(me));
		problem(p, PL_E_SECRET_OWNER, path,
		        "is owned by %s, not by %s (the user the "
		        "program runs as)%s",
		        who, me, geteuid() == 0 ? "" : " or root");
		if (also != PL_FILE_NO_UID && st->st_uid == also) {
			/* The service's own file, checked by root: the check runs as the wrong
			 * user. */
			fix_text(p,
			         "run the program as %s (e.g. runuser -u %s -- ...), as its "
			         "service does",
			         who, who);
			return PL_E_SECRET_OWNER;
		}
		snprintf(cmd, sizeof(cmd), "chown %s", me);
		fix_cmd(p, cmd);
		return PL_E_SECRET_OWNER;
	case PL_E_SECRET_MODE:
		problem(p, PL_E_SECRET_MODE, path,
		        "is %s by group or others (mode %04o); a secret "
		        "must be its owner's alone",
		        (st->st_mode & (S_IRGRP | S_IROTH)) ? "readable" : "accessible",
		        (unsigned)(st->st_mode & 07777));
		fix_cmd(p, "chmod 600");
		return PL_E_SECRET_MODE;
	default:
		return 0;
	}
}

static int check_secret(const char *path, uid_t also, struct pl_file_problem *p)
{
	char parent[PATH_MAX];
	struct stat st;
	int r;

	if (lstat(path, &st) != 0)
		return unreachable(p, path, errno);
	if ((r = check_secret_node(path, &st, also, p)) != 0)
		return r;
	/* Whoever can write a directory above it can swap the secret for their own. */
	if ((r = resolve_parent(path, parent, p)) != 0)
		return r;
	return check_parents(parent, also, p);
}

static int check_authority(const char *path, int want_dir, uid_t also, struct pl_file_problem *p)
{
	char resolved[PATH_MAX], parent[PATH_MAX], link_parent[PATH_MAX];
	struct stat st;
	int r;

	if (realpath(path, resolved) == NULL)
		return unreachable(p, path, errno);
	if (lstat(resolved, &st) != 0)
		return unreachable(p, resolved, errno);
	if (want_dir && !S_ISDIR(st.st_mode)) {
		problem(p, PL_E_NOT_DIR, resolved, "is not a directory");
		fix_text(p, "name a directory");
		return PL_E_NOT_DIR;
	}
	if (!want_dir && !S_ISREG(st.st_mode)) {
		problem(p, PL_E_NOT_REGULAR, resolved, "is not a regular file");
		fix_text(p, "name the file itself");
		return PL_E_NOT_REGULAR;
	}
	/* The target itself: never writable by others, sticky or not (new entries would count). */
	if ((r = check_trusted(resolved, &st, also, 0, want_dir ? "the directory" : "the file",
	                       p)) != 0)
		return r;
	parent_of(resolved, parent);
	if ((r = check_parents(parent, also, p)) != 0)
		return r;
	/* A link: whoever can write the directory holding the link can point it elsewhere. */
	if ((r = resolve_parent(path, link_parent, p)) != 0)
		return r;
	if (strcmp(link_parent, parent) != 0)
		return check_parents(link_parent, also, p);
	return 0;
}

int pl_file_check(const char *path, enum pl_file_role role, uid_t also, struct pl_file_problem *p)
{
	memset(p, 0, sizeof(*p));
	if (path == NULL || path[0] == '\0') {
		p->err = PL_E_INVAL;
		snprintf(p->what, sizeof(p->what), "no path given");
		return PL_E_INVAL;
	}
	switch (role) {
	case PL_FILE_SECRET:
		return check_secret(path, also, p);
	case PL_FILE_AUTHORITY:
		return check_authority(path, 0, also, p);
	case PL_FILE_AUTHORITY_DIR:
		return check_authority(path, 1, also, p);
	}
	p->err = PL_E_INVAL;
	return PL_E_INVAL;
}
