/* The decider's modules: open, reload, status, close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decider.h"
#include "officer.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_log.h"

static int open_policy(struct decider *d, char *err, size_t errlen)
{
	struct policy *p = NULL;
	struct policy_diag diag;
	int r;

	memset(&diag, 0, sizeof(diag));
	if ((r = policy_load_dir(d->cfg.policy_dir, &p, &diag)) != 0) {
		snprintf(err, errlen, "policy %s:%u:%u: %s",
		         diag.file[0] ? diag.file : d->cfg.policy_dir, diag.line, diag.col,
		         diag.msg[0] ? diag.msg : pl_strerror(r));
		return r;
	}
	if ((r = policy_slot_new(p, &d->policy)) != 0) {
		policy_unref(p);
		snprintf(err, errlen, "policy slot: %s", pl_strerror(r));
	}
	return r;
}

static int open_audit(struct decider *d, audit_sign_fn fn, void *ctx,
                      const uint8_t pub[SIGNER_PUB_LEN], char *err, size_t errlen)
{
	int r;

	if ((r = audit_open(d->cfg.database, &d->audit)) != 0) {
		snprintf(err, errlen, "database %s: %s", d->cfg.database, pl_strerror(r));
		return r;
	}
	if ((r = audit_set_checkpoint_signer(d->audit, fn, ctx, pub, d->cfg.checkpoint_rows,
	                                     d->cfg.checkpoint_seconds)) != 0)
		snprintf(err, errlen, "audit checkpoint signer: %s", pl_strerror(r));
	return r;
}

int decider_open(const struct broker_config *c, audit_sign_fn fn, void *ctx,
                 const uint8_t pub[SIGNER_PUB_LEN], struct decider **out, char *err, size_t errlen)
{
	struct decider *d;
	int r;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return PL_E_NOMEM;
	d->cfg = *c;
	if ((r = open_policy(d, err, errlen)) != 0 ||
	    (r = open_audit(d, fn, ctx, pub, err, errlen)) != 0 ||
	    (r = decider_abuse_open(d, err, errlen)) != 0 ||
	    (r = decider_refusals_open(d, err, errlen)) != 0)
		goto out;
	if ((r = castore_open(c, &d->store, err, errlen)) != 0)
		goto out;
	if (c->officer_ca[0] != '\0' &&
	    (r = officer_store_open(c->officer_ca, d->store, &d->officers, err, errlen)) != 0)
		goto out;
	if ((r = replay_new(c->replay_capacity, &d->replay)) != 0) {
		snprintf(err, errlen, "cannot set up the decider: %s", pl_strerror(r));
		goto out;
	}
	if ((r = decider_replay_preload(d, err, errlen)) != 0)
		goto out;
	*out = d;
	d = NULL;
out:
	decider_close(d);
	return r;
}

int decider_reload_policy(struct decider *d, struct policy_diag *diag)
{
	int r;

	memset(diag, 0, sizeof(*diag));
	r = policy_slot_reload(d->policy, d->cfg.policy_dir, NULL, diag);
	if (r != 0)
		atomic_fetch_add(&d->reload_failures, 1);
	else
		atomic_fetch_add(&d->reloads, 1);
	return r;
}

void decider_log_reload(struct decider *d, int r, const struct policy_diag *d_)
{
	const struct policy_diag diag = *d_;
	struct policy *p;
	char ver[16], line[16], col[16];

	if (r != 0) {
		snprintf(line, sizeof(line), "%u", diag.line);
		snprintf(col, sizeof(col), "%u", diag.col);
		pl_log_err("policy_reload_refused", r, "file", diag.file, "line", line, "col", col,
		           "msg", diag.msg, "action", "the previous policy stays in force", NULL);
		return;
	}
	p = policy_slot_get(d->policy);
	snprintf(ver, sizeof(ver), "%u", policy_version(p));
	policy_unref(p);
	pl_log(PL_LOG_INFO, "policy_reloaded", "dir", d->cfg.policy_dir, "version", ver, NULL);
}

void decider_get_status(struct decider *d, struct broker_status *st)
{
	struct audit_stats as;
	struct policy *p;

	audit_get_stats(d->audit, &as);
	st->audit_writable = audit_writable(d->audit);
	st->audit_rows = as.rows;
	st->audit_commits = as.commits;
	st->audit_checkpoints = as.checkpoints;
	st->audit_chain_diverged = as.chain_diverged;
	if (as.chain_diverged && !atomic_exchange(&d->diverged_logged, 1)) {
		char head[24];

		snprintf(head, sizeof(head), "%llu", (unsigned long long)as.diverged_head);
		pl_log_err("audit_chain_diverged", PL_E_AUDIT_DIVERGED, "head_seq", head, "action",
		           "no checkpoint is signed and /v1/ready answers 503; run "
		           "pitlanectl audit verify on the database",
		           NULL);
	}
	p = policy_slot_get(d->policy);
	st->policy_version = policy_version(p);
	policy_unref(p);
	st->policy_reloads = atomic_load(&d->reloads);
	st->policy_reload_failures = atomic_load(&d->reload_failures);
	st->replay_entries = replay_count(d->replay);
	abuse_get_stats(d->abuse, &st->abuse); /* /metrics: pitlane_abuse_* */
}

void decider_close(struct decider *d)
{
	if (d == NULL)
		return;
	abuse_close(d->abuse);
	decider_refusals_close(d); /* pending summary rows, before the audit store closes */
	audit_close(d->audit);     /* final checkpoint needs the signer */
	policy_slot_free(d->policy);
	replay_free(d->replay);
	X509_STORE_free(d->store);
	X509_STORE_free(d->officers);
	free(d);
}

void decider_crl_update(struct decider *d, const uint8_t *pem, size_t len)
{
	char err[256] = "", num[16];
	size_t n = 0;
	int r = castore_crl_update(d->store, pem, len, &n, err, sizeof(err));

	if (r != 0) {
		pl_log_err("decider_crl_refused", r, "file", d->cfg.crl, "reason", err, "action",
		           "the CRLs loaded before stay in force", NULL);
		return;
	}
	snprintf(num, sizeof(num), "%zu", n);
	pl_log(PL_LOG_INFO, "decider_crl_reloaded", "file", d->cfg.crl, "crls", num, NULL);
}
