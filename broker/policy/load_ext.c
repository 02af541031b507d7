/*
 * Section parsers for the abuse-resistance sections (limits, approvals,
 * anomalies, decoy_vins: their structure is fixed and validated now; the
 * broker gives them meaning in the abuse-resistance work) and for the
 * policy's own test cases (tests:).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_policy.h"

static const char *const risk_words[] = { "low", "medium", "high", "critical" };

static void oom(struct ld *ld)
{
	ld_err_at(ld, PL_E_NOMEM, ld->cur, 0, 0, "out of memory");
}

/* Iterates a list section; returns its node or NULL (after reporting). */
static struct fy_node *list_section(struct ld *ld, const char *name, struct fy_node **key)
{
	struct fy_node *sec = ld_section(ld, name, key);

	if (*key == NULL || ld_is_seq(ld, sec, *key, name) != 0)
		return NULL;
	return sec;
}

/* A unique entry name within a list section. */
static int entry_name(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
		      char *name, size_t cap, const char *taken, size_t stride, size_t count)
{
	if (ld_str(ld, n, key, what, LD_ID, name, cap) != 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (strcmp(taken + i * stride, name) == 0) {
			ld_err(ld, PL_E_POLICY_DUP, n, key, "%s: '%s' is already defined", what, name);
			return -1;
		}
	return 0;
}

/* ---- limits ------------------------------------------------------------------- */

static void parse_windows(struct ld *ld, struct fy_node *n, struct fy_node *key,
			  struct pol_limit *l)
{
	static const char *const names[] = { "count", "seconds" };
	struct fy_node *c;
	void *it = NULL;
	char what[160];

	snprintf(what, sizeof(what), "limits.%s.windows", l->name);
	if (ld_is_seq(ld, n, key, what) != 0)
		return;
	while ((c = fy_node_sequence_iterate(n, &it)) != NULL) {
		struct fy_node *keys[2], *vals[2];
		struct pol_window w = { 0, 0 };

		if (l->nwindows >= POL_MAX_WINDOWS) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, key, "%s: more than %u windows", what,
			       POL_MAX_WINDOWS);
			return;
		}
		if (ld_fields(ld, c, key, what, names, 2, 0x3, keys, vals) != 0)
			continue;
		if (ld_u32(ld, vals[0], keys[0], "limits.windows.count", 1, 1000000, &w.count) != 0 ||
		    ld_u32(ld, vals[1], keys[1], "limits.windows.seconds", 1, 31u * 86400u,
			   &w.seconds) != 0)
			continue;
		for (size_t i = 0; i < l->nwindows; i++)
			if (l->w[i].seconds == w.seconds)
				ld_err(ld, PL_E_POLICY_DUP, vals[1], keys[1],
				       "%s: two windows of %u seconds", what, w.seconds);
		l->w[l->nwindows++] = w;
	}
	if (l->nwindows == 0)
		ld_err(ld, PL_E_POLICY_VALUE, n, key, "%s: at least one window is needed", what);
}

void ld_sec_limits(struct ld *ld)
{
	static const char *const names[] = { "name", "key", "operations", "min_risk", "windows",
					     "action" };
	struct fy_node *skey, *sec = list_section(ld, "limits", &skey), *c;
	void *it = NULL;

	while (sec != NULL && (c = fy_node_sequence_iterate(sec, &it)) != NULL) {
		struct fy_node *keys[6], *vals[6];
		struct pol_limit l;
		char what[160];
		void *np;

		memset(&l, 0, sizeof(l));
		l.min_risk = -1;
		if (ld_fields(ld, c, skey, "limits entry", names, 6, 0x1 | 0x2 | 0x10, keys, vals) != 0 &&
		    keys[0] == NULL)
			continue;
		if (entry_name(ld, vals[0], keys[0], "limits.name", l.name, sizeof(l.name),
			       ld->p->limits ? ld->p->limits[0].name : NULL, sizeof(struct pol_limit),
			       ld->p->nlimits) != 0)
			continue;
		l.loc = ld_loc(ld, c, skey);
		snprintf(what, sizeof(what), "limits.%s.key", l.name);
		if (keys[1] != NULL)
			ld_enum(ld, vals[1], keys[1], what, pol_key_names, POL_KEY_COUNT, &l.key);
		snprintf(what, sizeof(what), "limits.%s.operations", l.name);
		l.all_ops = keys[2] == NULL;
		if (keys[2] != NULL)
			ld_op_set(ld, vals[2], keys[2], what, &l.ops);
		snprintf(what, sizeof(what), "limits.%s.min_risk", l.name);
		if (keys[3] != NULL)
			ld_enum(ld, vals[3], keys[3], what, risk_words, 4, &l.min_risk);
		if (keys[4] != NULL)
			parse_windows(ld, vals[4], keys[4], &l);
		snprintf(what, sizeof(what), "limits.%s.action", l.name);
		if (keys[5] != NULL)
			ld_enum(ld, vals[5], keys[5], what, pol_lact_names, POL_LACT_COUNT, &l.action);
		if (ld->p->nlimits >= POL_MAX_LIST) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, skey, "limits: more than %u entries",
			       POL_MAX_LIST);
			return;
		}
		np = ld_grow(ld->p->limits, &ld->cap_limits, ld->p->nlimits, sizeof(l));
		if (np == NULL) {
			oom(ld);
			return;
		}
		ld->p->limits = np;
		ld->p->limits[ld->p->nlimits++] = l;
	}
}

/* ---- approvals ------------------------------------------------------------------ */

void ld_sec_approvals(struct ld *ld)
{
	static const char *const names[] = { "name", "operations", "approver_roles", "expires",
					     "technician_approval" };
	struct fy_node *skey, *sec = list_section(ld, "approvals", &skey), *c;
	void *it = NULL;

	while (sec != NULL && (c = fy_node_sequence_iterate(sec, &it)) != NULL) {
		struct fy_node *keys[5], *vals[5];
		struct pol_approval a;
		char what[160];
		void *np;

		memset(&a, 0, sizeof(a));
		if (ld_fields(ld, c, skey, "approvals entry", names, 5, 0xf, keys, vals) != 0 &&
		    keys[0] == NULL)
			continue;
		if (entry_name(ld, vals[0], keys[0], "approvals.name", a.name, sizeof(a.name),
			       ld->p->approvals ? ld->p->approvals[0].name : NULL,
			       sizeof(struct pol_approval), ld->p->napprovals) != 0)
			continue;
		a.loc = ld_loc(ld, c, skey);
		snprintf(what, sizeof(what), "approvals.%s.operations", a.name);
		if (keys[1] != NULL)
			ld_op_set(ld, vals[1], keys[1], what, &a.ops);
		snprintf(what, sizeof(what), "approvals.%s.approver_roles", a.name);
		if (keys[2] != NULL && ld_role_set(ld, vals[2], keys[2], what, &a.approvers) == 0 &&
		    a.approvers == 0)
			ld_err(ld, PL_E_POLICY_VALUE, vals[2], keys[2],
			       "%s: name at least one role that may approve", what);
		snprintf(what, sizeof(what), "approvals.%s.expires", a.name);
		if (keys[3] != NULL)
			ld_u32(ld, vals[3], keys[3], what, 10, 7u * 86400u, &a.expires);
		/* Default false: only officers decide (pitlanectl approvals approve|deny). */
		snprintf(what, sizeof(what), "approvals.%s.technician_approval", a.name);
		if (keys[4] != NULL)
			ld_bool(ld, vals[4], keys[4], what, &a.tech_approval);
		for (size_t i = 0; i < ld->p->napprovals; i++)
			if (ld->p->approvals[i].ops & a.ops)
				ld_err(ld, PL_E_POLICY_DUP, vals[1], keys[1],
				       "approvals.%s.operations: an operation is also listed by "
				       "approvals entry '%s'",
				       a.name, ld->p->approvals[i].name);
		if (ld->p->napprovals >= POL_MAX_LIST) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, skey, "approvals: too many entries");
			return;
		}
		np = ld_grow(ld->p->approvals, &ld->cap_appr, ld->p->napprovals, sizeof(a));
		if (np == NULL) {
			oom(ld);
			return;
		}
		ld->p->approvals = np;
		ld->p->approvals[ld->p->napprovals++] = a;
	}
}

/* ---- anomalies ------------------------------------------------------------------- */

/* The parameters each detector takes (all required). */
static const char *const det_params[POL_DET_COUNT][3] = {
	[POL_DET_VIN_SWEEP] = { "distinct_vins", "window", NULL },
	[POL_DET_OUT_OF_HOURS] = { NULL },
	[POL_DET_UNLOCK_THEN_START] = { "window", NULL },
	[POL_DET_TWO_PLACES] = { "window", NULL },
	[POL_DET_DECOY_VIN] = { NULL },
	[POL_DET_ECU_FAILURES] = { "count", "window", NULL },
};

static void parse_params(struct ld *ld, struct fy_node *n, struct fy_node *key,
			 struct pol_anomaly *a)
{
	const char *const *names = det_params[a->detector];
	struct fy_node *keys[3], *vals[3];
	size_t np = 0;
	uint32_t req = 0;
	char what[160];

	while (np < 3 && names[np] != NULL)
		np++;
	req = (1u << np) - 1;
	snprintf(what, sizeof(what), "anomalies.%s.params", a->name);
	if (n == NULL) {
		if (np > 0)
			ld_err(ld, PL_E_POLICY_SCHEMA, key, NULL,
			       "anomalies.%s: detector %s needs params: (%s%s%s)", a->name,
			       pol_det_names[a->detector], names[0], np > 1 ? ", " : "",
			       np > 1 ? names[1] : "");
		return;
	}
	ld_fields(ld, n, key, what, names, np, req, keys, vals);
	for (size_t i = 0; i < np; i++) {
		uint32_t v;

		if (keys[i] == NULL)
			continue;
		snprintf(what, sizeof(what), "anomalies.%s.params.%s", a->name, names[i]);
		if (ld_u32(ld, vals[i], keys[i], what, 1, 31u * 86400u, &v) != 0)
			continue;
		pol_strlcpy(a->params[a->nparams].name, names[i], sizeof(a->params[0].name));
		a->params[a->nparams++].value = v;
	}
}

void ld_sec_anomalies(struct ld *ld)
{
	static const char *const names[] = { "name", "detector", "action", "params" };
	struct fy_node *skey, *sec = list_section(ld, "anomalies", &skey), *c;
	void *it = NULL;

	while (sec != NULL && (c = fy_node_sequence_iterate(sec, &it)) != NULL) {
		struct fy_node *keys[4], *vals[4];
		struct pol_anomaly a;
		char what[160];
		int det_ok = 0;
		void *np;

		memset(&a, 0, sizeof(a));
		if (ld_fields(ld, c, skey, "anomalies entry", names, 4, 0x7, keys, vals) != 0 &&
		    keys[0] == NULL)
			continue;
		if (entry_name(ld, vals[0], keys[0], "anomalies.name", a.name, sizeof(a.name),
			       ld->p->anomalies ? ld->p->anomalies[0].name : NULL,
			       sizeof(struct pol_anomaly), ld->p->nanomalies) != 0)
			continue;
		a.loc = ld_loc(ld, c, skey);
		snprintf(what, sizeof(what), "anomalies.%s.detector", a.name);
		if (keys[1] != NULL)
			det_ok = ld_enum(ld, vals[1], keys[1], what, pol_det_names, POL_DET_COUNT,
					 &a.detector) == 0;
		snprintf(what, sizeof(what), "anomalies.%s.action", a.name);
		if (keys[2] != NULL)
			ld_enum(ld, vals[2], keys[2], what, pol_aact_names, POL_AACT_COUNT, &a.action);
		if (det_ok)
			parse_params(ld, vals[3], keys[3] != NULL ? keys[3] : keys[1], &a);
		if (ld->p->nanomalies >= POL_MAX_LIST) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, skey, "anomalies: too many entries");
			return;
		}
		np = ld_grow(ld->p->anomalies, &ld->cap_anom, ld->p->nanomalies, sizeof(a));
		if (np == NULL) {
			oom(ld);
			return;
		}
		ld->p->anomalies = np;
		ld->p->anomalies[ld->p->nanomalies++] = a;
	}
}

/* ---- decoy VINs ---------------------------------------------------------------------- */

void ld_sec_decoys(struct ld *ld)
{
	struct fy_node *skey, *sec = list_section(ld, "decoy_vins", &skey), *c;
	void *it = NULL;

	while (sec != NULL && (c = fy_node_sequence_iterate(sec, &it)) != NULL) {
		char vin[POL_ID_MAX];
		size_t i;
		void *np;

		if (ld_str(ld, c, skey, "decoy_vins", LD_TEXT, vin, sizeof(vin)) != 0)
			continue;
		if (!plt_vin_valid(vin, strlen(vin))) {
			ld_err(ld, PL_E_POLICY_VALUE, c, skey,
			       "decoy_vins: '%s' is not a VIN (17 characters of 0-9 and A-Z without "
			       "I, O, Q)",
			       vin);
			continue;
		}
		for (i = 0; i < ld->p->ndecoys && strcmp(ld->p->decoys[i], vin) != 0; i++)
			;
		if (i < ld->p->ndecoys) {
			ld_err(ld, PL_E_POLICY_DUP, c, skey, "decoy_vins: '%s' is listed twice", vin);
			continue;
		}
		if (ld->p->ndecoys >= POL_MAX_LIST) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, skey, "decoy_vins: too many entries");
			return;
		}
		np = ld_grow(ld->p->decoys, &ld->cap_decoys, ld->p->ndecoys, sizeof(*ld->p->decoys));
		if (np == NULL) {
			oom(ld);
			return;
		}
		ld->p->decoys = np;
		pol_strlcpy(ld->p->decoys[ld->p->ndecoys++], vin, sizeof(ld->p->decoys[0]));
	}
}

/* ---- tests ------------------------------------------------------------------------------ */

static const char *const expect_words[] = { "allow", "deny", "approval" };

static void parse_request(struct ld *ld, struct fy_node *n, struct fy_node *key, struct pol_test *t)
{
	static const char *const names[] = { "device", "device_workshop", "technician",
					     "technician_workshop", "vin", "op", "time", "ttl" };
	struct fy_node *keys[8], *vals[8];
	char *dst[6] = { t->device, t->device_ws, t->tech, t->tech_ws, t->vin, t->op };
	char what[200], when[40];

	snprintf(what, sizeof(what), "tests.%s.request", t->name);
	ld_fields(ld, n, key, what, names, 8, 0x7f, keys, vals);
	for (int i = 0; i < 6; i++) {
		snprintf(what, sizeof(what), "tests.%s.request.%s", t->name, names[i]);
		if (keys[i] != NULL)
			ld_str(ld, vals[i], keys[i], what, LD_TEXT, dst[i], POL_ID_MAX);
	}
	snprintf(what, sizeof(what), "tests.%s.request.time", t->name);
	if (keys[6] != NULL && ld_str(ld, vals[6], keys[6], what, LD_TEXT, when, sizeof(when)) == 0 &&
	    pol_parse_time(when, &t->time) != 0)
		ld_err(ld, PL_E_POLICY_VALUE, vals[6], keys[6],
		       "%s: '%s' is not a time like 2025-03-12T10:00:00Z or "
		       "2025-03-12T11:00:00+01:00",
		       what, when);
	snprintf(what, sizeof(what), "tests.%s.request.ttl", t->name);
	if (keys[7] != NULL)
		ld_u32(ld, vals[7], keys[7], what, 0, UINT32_MAX, &t->ttl);
}

static void parse_expect(struct ld *ld, struct fy_node *n, struct fy_node *key, struct pol_test *t)
{
	static const char *const names[] = { "decision", "rule", "ttl" };
	struct fy_node *keys[3], *vals[3];
	char what[200];
	const struct pol_op *op;

	snprintf(what, sizeof(what), "tests.%s.expect", t->name);
	ld_fields(ld, n, key, what, names, 3, 0x1, keys, vals);
	snprintf(what, sizeof(what), "tests.%s.expect.decision", t->name);
	if (keys[0] != NULL)
		ld_enum(ld, vals[0], keys[0], what, expect_words, 3, &t->expect);
	snprintf(what, sizeof(what), "tests.%s.expect.rule", t->name);
	if (keys[1] != NULL)
		ld_str(ld, vals[1], keys[1], what, LD_TEXT, t->rule, sizeof(t->rule));
	snprintf(what, sizeof(what), "tests.%s.expect.ttl", t->name);
	if (keys[2] != NULL && ld_u32(ld, vals[2], keys[2], what, 1, POL_MAX_TTL, &t->expect_ttl) == 0) {
		t->has_ttl = 1;
		op = pol_find_op(ld->p, t->op, NULL);
		if (op != NULL && t->expect_ttl > op->max_ttl)
			ld_err(ld, PL_E_POLICY_VALUE, vals[2], keys[2],
			       "%s: %u is above the max_ttl of %s (%u)", what, t->expect_ttl,
			       op->name, op->max_ttl);
	}
}

void ld_sec_tests(struct ld *ld)
{
	static const char *const names[] = { "name", "request", "expect" };
	struct fy_node *skey, *sec = list_section(ld, "tests", &skey), *c;
	void *it = NULL;

	while (sec != NULL && (c = fy_node_sequence_iterate(sec, &it)) != NULL) {
		struct fy_node *keys[3], *vals[3];
		struct pol_test *t;
		size_t i;
		void *np;

		if (ld_fields(ld, c, skey, "tests entry", names, 3, 0x7, keys, vals) != 0 &&
		    keys[0] == NULL)
			continue;
		if (ld->p->ntests >= POL_MAX_LIST) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, skey, "tests: too many entries");
			return;
		}
		np = ld_grow(ld->p->tests, &ld->cap_tests, ld->p->ntests, sizeof(*ld->p->tests));
		if (np == NULL) {
			oom(ld);
			return;
		}
		ld->p->tests = np;
		t = &ld->p->tests[ld->p->ntests];
		memset(t, 0, sizeof(*t));
		if (ld_str(ld, vals[0], keys[0], "tests.name", LD_TEXT, t->name, sizeof(t->name)) != 0)
			continue;
		for (i = 0; i < ld->p->ntests && strcmp(ld->p->tests[i].name, t->name) != 0; i++)
			;
		if (i < ld->p->ntests) {
			ld_err(ld, PL_E_POLICY_DUP, vals[0], keys[0],
			       "tests.name: '%s' is already used by another test", t->name);
			continue;
		}
		t->loc = ld_loc(ld, c, skey);
		if (keys[1] != NULL)
			parse_request(ld, vals[1], keys[1], t);
		if (keys[2] != NULL)
			parse_expect(ld, vals[2], keys[2], t);
		ld->p->ntests++;
	}
}
