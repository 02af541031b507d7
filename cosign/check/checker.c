/* Opening and closing the checker: trust stores, files, the SQLite store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "castore.h"
#include "checker_int.h"
#include "cosign_conf.h"
#include "officer.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "pl_file.h"
#include "store.h"

#define KEY_PEM_MAX 65536

static int broker_key(const char *path, struct plt_trust_anchor *out, char *err, size_t errlen)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	int r;

	if ((r = pl_read_file(path, KEY_PEM_MAX, &pem, &len)) != 0) {
		snprintf(err, errlen, "broker_token_key %s: cannot read it: %s", path,
		         pl_strerror(r));
		return r;
	}
	memset(out, 0, sizeof(*out));
	if (plt_openssl_anchor_from_pem((const char *)pem, len, out) != 0) {
		snprintf(err, errlen,
		         "broker_token_key %s is not a P-256 public key or certificate in PEM; "
		         "give the broker's broker-signing.pub.pem",
		         path);
		r = PL_E_COS_BROKER_KEY;
	}
	out->role = PLT_ROLE_BROKER;
	free(pem);
	return r;
}

/*
 * Every file that decides what the co-signer trusts: not writable by others,
 * nor any directory above it (lib/common/filecheck.c). err names the file,
 * what is wrong and the command that fixes it.
 */
static int check_files(const struct cosign_conf *conf, char *err, size_t errlen)
{
	const struct {
		const char *key, *path;
	} f[] = {
	    {"dealer_ca", conf->dealer_ca},   {"crl", conf->crl_none ? "" : conf->crl},
	    {"officer_ca", conf->officer_ca}, {"broker_token_key", conf->broker_token_key},
	    {"limits", conf->limits},         {"approvers", conf->approvers},
	};
	struct pl_file_problem *p = calloc(1, sizeof(*p));
	int r = 0;

	if (p == NULL)
		return PL_E_NOMEM;
	for (size_t i = 0; r == 0 && i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].path[0] == '\0')
			continue;
		if ((r = pl_file_check(f[i].path, PL_FILE_AUTHORITY, PL_FILE_NO_UID, p)) != 0)
			snprintf(err, errlen, "%s %s: %s: %s; fix: %s", f[i].key, f[i].path,
			         p->path, p->what, p->fix);
	}
	free(p);
	return r;
}

static uint32_t longest_window(const struct cosign_limits *l)
{
	uint32_t w = 1;

	for (size_t i = 0; i < l->nops; i++)
		for (size_t k = 0; k < l->op[i].nrates; k++)
			if (l->op[i].rate[k].window_s > w)
				w = l->op[i].rate[k].window_s;
	return w;
}

static int open_rules(const struct cosign_conf *conf, struct cosign_checker *c, char *err,
                      size_t errlen)
{
	int r;

	if ((c->limits = calloc(1, sizeof(*c->limits))) == NULL ||
	    (c->approvers = calloc(1, sizeof(*c->approvers))) == NULL)
		return PL_E_NOMEM;
	if ((r = cosign_limits_load(conf->limits, c->limits, err, errlen)) != 0)
		return r;
	if (conf->approvers[0] != '\0' &&
	    (r = cosign_approvers_load(conf->approvers, c->approvers, err, errlen)) != 0)
		return r;
	c->keep_s = longest_window(c->limits);
	return 0;
}

int cosign_checker_open_err(const struct cosign_conf *conf, struct cosign_checker **out, char *err,
                            size_t errlen)
{
	struct cosign_checker *c = calloc(1, sizeof(*c));
	int r;

	if (c == NULL)
		return PL_E_NOMEM;
	c->window_s = conf->request_window_s;
	c->approval_max_age_s = conf->approval_max_age_s;
	c->nonce_keep_s = c->window_s > c->approval_max_age_s ? c->window_s : c->approval_max_age_s;
	if ((r = check_files(conf, err, errlen)) != 0)
		goto out;
	if ((r = castore_open_files("dealer_ca", conf->dealer_ca, conf->crl_none ? "" : conf->crl,
	                            conf->technician_eku[0] != '\0' ? conf->technician_eku : NULL,
	                            &c->dealer, err, errlen)) != 0)
		goto out;
	if (conf->officer_ca[0] != '\0' &&
	    (r = officer_store_open(conf->officer_ca, c->dealer, &c->officer, err, errlen)) != 0)
		goto out;
	if ((r = broker_key(conf->broker_token_key, &c->broker, err, errlen)) != 0 ||
	    (r = open_rules(conf, c, err, errlen)) != 0 ||
	    (r = cosign_store_open(conf->audit_db, &c->db, err, errlen)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	cosign_checker_free(c);
	return r;
}

int cosign_checker_open(const struct cosign_conf *conf, struct cosign_checker **out)
{
	char err[512];

	return cosign_checker_open_err(conf, out, err, sizeof(err));
}

void cosign_checker_free(struct cosign_checker *c)
{
	if (c == NULL)
		return;
	sqlite3_close(c->db);
	X509_STORE_free(c->dealer);
	X509_STORE_free(c->officer);
	free(c->limits);
	free(c->approvers);
	free(c);
}

int cosign_checker_ready(struct cosign_checker *c)
{
	if (c == NULL || c->db == NULL)
		return PL_E_COS_STORE;
	if (cosign_store_exec(c->db, "BEGIN IMMEDIATE") != 0)
		return PL_E_COS_STORE;
	return cosign_store_exec(c->db, "COMMIT");
}
