/*
 * Reading files with limits, and secret files with ownership/mode checks.
 */
#ifndef PITLANE_COMMON_FILE_H
#define PITLANE_COMMON_FILE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Reads a whole regular file of at most max bytes into a new heap buffer
 * (NUL-terminated for convenience; *len excludes the NUL). "-" reads stdin.
 * Caller frees with pl_free_wiped(buf, len) or free().
 */
int pl_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/*
 * Reads a secret (PIN file, key) the same way, opened without following a
 * symbolic link, after checking with fstat on the opened descriptor that it is
 * a regular file owned by the effective user (or root) and not accessible to
 * group or others (pl_file_secret_stat). Trailing newlines are stripped.
 * Errors: PL_E_NOENT, PL_E_PERM, PL_E_SECRET_LINK, PL_E_SECRET_MODE,
 * PL_E_SECRET_OWNER, PL_E_NOT_REGULAR, PL_E_TOOBIG, PL_E_IO.
 */
int pl_read_secret_file(const char *path, size_t max, char **buf, size_t *len);

/* Writes len bytes to path (mode applies when it is created); atomic rename. */
int pl_write_file(const char *path, const void *buf, size_t len, unsigned mode);

/* Wipes then frees (NULL is fine). */
void pl_free_wiped(void *p, size_t len);

/*
 * File safety (lib/common/filecheck.c), in the manner of OpenSSH's StrictModes:
 *
 * - a secret (TLS private key, PIN file) is a regular file, not a symbolic link,
 *   owned by the effective user or root, with no group or other permission bits;
 * - an authority file (CA, CRL, policy file, configuration) or directory (the
 *   policy directory, the database directory) decides what the program trusts:
 *   owned by root, the effective user or `also`, not writable by group or others;
 * - every directory above either, up to "/", is owned by root, the effective user
 *   or `also`, and not writable by group or others unless it is sticky (like /tmp:
 *   nobody can rename or delete another user's entries there).
 *
 * Paths are resolved (realpath) before the walk up; an authority path that is a
 * symbolic link is checked at both ends (the directories holding the link and the
 * target with its directories). A secret is checked on its own name (lstat).
 */
enum pl_file_role {
	PL_FILE_SECRET,
	PL_FILE_AUTHORITY,
	PL_FILE_AUTHORITY_DIR,
};

#define PL_FILE_NO_UID ((uid_t)-1)

/* What is wrong with which path, and the command that fixes it. */
struct pl_file_problem {
	int err;             /* PL_E_NOENT, _PERM, _IO, _SECRET_MODE, _SECRET_OWNER,
	                        _SECRET_LINK, _NOT_REGULAR, _NOT_DIR, _UNSAFE_MODE, _UNSAFE_OWNER */
	char path[PATH_MAX]; /* the path at fault: the file or one of its directories */
	char what[PATH_MAX +
	          128]; /* what is wrong, e.g. "readable by group or others (mode 0644)" */
	char fix[PATH_MAX + 128]; /* e.g. "chmod 600 /etc/pitlane/private/broker.key" */
};

/*
 * Checks path for role. also: one more trusted owner of authority files and of
 * directories (pitlaned started as root: its service user), or PL_FILE_NO_UID; a
 * secret it owns is still refused, with the advice to run as that user.
 * Returns 0, or the code of the first problem with *p filled (p may not be NULL).
 */
int pl_file_check(const char *path, enum pl_file_role role, uid_t also, struct pl_file_problem *p);

/* The secret rule on a stat result: 0, PL_E_NOT_REGULAR, _SECRET_OWNER or _SECRET_MODE. */
int pl_file_secret_stat(const struct stat *st);

#endif
