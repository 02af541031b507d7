/*
 * The files broker.conf names, checked before pitlaned opens any of them (pitlaned -n,
 * the real start, and the monitor on SIGHUP before a reload): docs/broker.md, "Files".
 *
 *   secrets:     tls_key, pin_file, cosigner_key
 *   authority:   broker.conf itself, tls_cert, cosigner_cert, client_ca, crl, every policy file,
 *                the database file when it exists
 *   directories: policy_dir, the database's directory
 *
 * The rules are lib/common's (pl_file_check, pl_file.h); started as root, the
 * service user (`user`) is trusted as an owner of authority files and directories
 * too, since the broker's own processes run as that user.
 */
#ifndef PITLANE_BROKER_FILE_SAFETY_H
#define PITLANE_BROKER_FILE_SAFETY_H

#include "config.h"

enum broker_files_scope {
	BROKER_FILES_START,  /* everything; `crl none` is warned (revocation_off) */
	BROKER_FILES_RELOAD, /* what SIGHUP re-reads: the policy directory and files, the crl */
};

/*
 * Checks the files of c (and conf_path unless NULL) for scope. Logs each problem as
 * event=file_refused key=<broker.conf key> path=... problem=... fix=... and returns 0
 * or the code of the first problem (every problem is logged, not only the first).
 */
int broker_files_check(const char *conf_path, const struct broker_config *c,
                       enum broker_files_scope scope);

#endif
