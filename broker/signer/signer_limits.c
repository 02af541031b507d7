/*
 * The signer's hard limits (operations, their maximum TTL, the maximum exi)
 * taken from the policy's operations catalogue: at start, and again on every
 * reload, so that an operation added to the policy can be signed without a
 * restart and a removed one cannot be signed any more.
 */
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "pl_log.h"
#include "signer_limits.h"

int signer_limits_from_policy(const struct policy *p, uint32_t max_exi, struct signer_limits *lim,
                              char *err, size_t errlen)
{
	size_t n = policy_op_count(p);

	memset(lim, 0, sizeof(*lim));
	if (n == 0 || n > SIGNER_MAX_OPS) {
		snprintf(err, errlen, "the policy defines %zu operations; 1..%d are supported", n,
		         SIGNER_MAX_OPS);
		return PL_E_CONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		int r = policy_op_at(p, i, lim->ops[i].name, &lim->ops[i].max_ttl, NULL, NULL);
		if (r != 0) {
			snprintf(err, errlen, "policy operation %zu unreadable: %s", i,
			         pl_strerror(r));
			return r;
		}
	}
	lim->nops = n;
	if (policy_max_exi(p) > max_exi) {
		snprintf(err, errlen,
		         "an operation of the policy has exi %u s, above max_exi_s %u "
		         "of the config; raise max_exi_s or lower the exi",
		         policy_max_exi(p), max_exi);
		return PL_E_CONFIG;
	}
	lim->max_exi = max_exi;
	return 0;
}

int signer_limits_apply(struct signer *s, const struct policy *p, uint32_t max_exi)
{
	struct signer_limits lim;
	char err[256] = "", n[16];
	int r;

	if ((r = signer_limits_from_policy(p, max_exi, &lim, err, sizeof(err))) != 0 ||
	    (r = signer_set_limits(s, &lim)) != 0) {
		pl_log_err("signer_limits_refused", r, "reason",
		           err[0] ? err : "the policy's operations are not a valid limits table",
		           "action", "the signer keeps its previous limits", NULL);
		return r;
	}
	snprintf(n, sizeof(n), "%zu", lim.nops);
	pl_log(PL_LOG_INFO, "signer_limits_reloaded", "operations", n, NULL);
	return 0;
}

int signer_limits_reload(const char *policy_dir, uint32_t max_exi, struct signer *s)
{
	struct policy *p = NULL;
	struct policy_diag d;
	char line[16], col[16];
	int r;

	memset(&d, 0, sizeof(d));
	if ((r = policy_load_dir(policy_dir, &p, &d)) != 0) {
		snprintf(line, sizeof(line), "%u", d.line);
		snprintf(col, sizeof(col), "%u", d.col);
		pl_log_err("signer_limits_refused", r, "file", d.file[0] ? d.file : policy_dir,
		           "line", line, "col", col, "msg", d.msg, "action",
		           "the signer keeps its previous limits", NULL);
		return r;
	}
	r = signer_limits_apply(s, p, max_exi);
	policy_unref(p);
	return r;
}

int signer_open_conf(const struct broker_config *c, struct signer **out, char *err, size_t errlen)
{
	struct signer_limits lim;
	struct signer_options opt = {.sessions = c->workers};
	struct policy *p = NULL;
	struct policy_diag d;
	char why[256] = "";
	int r;

	memset(&d, 0, sizeof(d));
	if ((r = policy_load_dir(c->policy_dir, &p, &d)) != 0) {
		snprintf(err, errlen, "policy %s:%u:%u: %s", d.file[0] ? d.file : c->policy_dir,
		         d.line, d.col, d.msg[0] ? d.msg : pl_strerror(r));
		return r;
	}
	r = signer_limits_from_policy(p, c->max_exi_s, &lim, err, errlen);
	policy_unref(p);
	if (r != 0)
		return r;
	if ((r = signer_open_ex(c->key_uri, c->pin_file, &lim, &opt, out, why, sizeof(why))) != 0)
		snprintf(err, errlen, "HSM key %s (pin_file %s): %s", c->key_uri, c->pin_file,
		         why[0] ? why : pl_strerror(r));
	return r;
}
