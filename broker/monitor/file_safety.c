/* The files broker.conf names: secrets, authority files and directories (file_safety.h). */
#include <dirent.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_safety.h"
#include "pl_err.h"
#include "pl_file.h"
#include "pl_log.h"
#include "policy.h"

struct checker {
	uid_t also;
	int first; /* code of the first problem, 0 while none */
	/* path of the last problem logged: a directory above many files is logged once */
	char last[PATH_MAX];
};

/* Started as root the processes switch to `user`: what that user owns is the broker's own. */
static uid_t service_uid(const struct broker_config *c)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return PL_FILE_NO_UID;
	pw = getpwnam(c->user);
	return pw != NULL ? pw->pw_uid : PL_FILE_NO_UID;
}

/* 0, or the problem's code (logged). */
static int check_one(struct checker *ck, const char *key, const char *path, enum pl_file_role role)
{
	struct pl_file_problem p;
	int r;

	if ((r = pl_file_check(path, role, ck->also, &p)) == 0)
		return 0;
	if (ck->first != 0 && strcmp(ck->last, p.path) == 0)
		return r;
	snprintf(ck->last, sizeof(ck->last), "%s", p.path);
	pl_log(PL_LOG_ERROR, "file_refused", "key", key, "file", path, "path", p.path, "err",
	       pl_errname(r), "problem", p.what, "fix", p.fix, NULL);
	if (ck->first == 0)
		ck->first = r;
	return r;
}

/* The directory and every file the policy loader would read in it. */
static void check_policy(struct checker *ck, const char *dir)
{
	struct dirent *e;
	DIR *d;

	/* An unsafe directory is one problem, not one more per file in it. */
	if (check_one(ck, "policy_dir", dir, PL_FILE_AUTHORITY_DIR) != 0)
		return;
	if ((d = opendir(dir)) == NULL)
		return; /* the loader reports a directory it cannot list */
	while ((e = readdir(d)) != NULL) {
		char path[BROKER_PATH_MAX + 256 + 2];

		if (!policy_file_name_ok(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		check_one(ck, "policy_dir", path, PL_FILE_AUTHORITY);
	}
	closedir(d);
}

/* SQLite creates the file and its -wal/-shm/-journal beside it: the directory decides. */
static void check_database(struct checker *ck, const char *db)
{
	char dir[BROKER_PATH_MAX];
	const char *slash = strrchr(db, '/');
	struct stat st;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == db)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db), db);
	check_one(ck, "database", dir, PL_FILE_AUTHORITY_DIR);
	if (lstat(db, &st) == 0)
		check_one(ck, "database", db, PL_FILE_AUTHORITY);
}

int broker_files_check(const char *conf_path, const struct broker_config *c,
                       enum broker_files_scope scope)
{
	struct checker ck;

	memset(&ck, 0, sizeof(ck));
	ck.also = service_uid(c);

	if (scope == BROKER_FILES_START) {
		if (conf_path != NULL)
			check_one(&ck, "config", conf_path, PL_FILE_AUTHORITY);
		check_one(&ck, "tls_key", c->tls_key, PL_FILE_SECRET);
		check_one(&ck, "pin_file", c->pin_file, PL_FILE_SECRET);
		check_one(&ck, "tls_cert", c->tls_cert, PL_FILE_AUTHORITY);
		check_one(&ck, "client_ca", c->client_ca, PL_FILE_AUTHORITY);
		if (c->officer_ca[0] != '\0')
			check_one(&ck, "officer_ca", c->officer_ca, PL_FILE_AUTHORITY);
		check_database(&ck, c->database);
		if (c->cosigner_url[0] != '\0') {
			check_one(&ck, "cosigner_key", c->cosigner_key, PL_FILE_SECRET);
			check_one(&ck, "cosigner_cert", c->cosigner_cert, PL_FILE_AUTHORITY);
		}
	}
	if (c->crl[0] != '\0')
		check_one(&ck, "crl", c->crl, PL_FILE_AUTHORITY);
	check_policy(&ck, c->policy_dir);
	if (scope == BROKER_FILES_START && c->crl_none)
		pl_log(PL_LOG_WARN, "revocation_off", "key", "crl", "msg",
		       "'crl none' in broker.conf: revoked device certificates are accepted", "fix",
		       "give the dealer CA's CRL: crl /etc/pitlane/tls/dealer-ca.crl", NULL);
	return ck.first;
}
