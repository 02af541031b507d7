/*
 * The list sections: limits, approvals, anomalies (the abuse-resistance
 * rules, docs/abuse.md), decoy_vins, and the policy's own test cases
 * (tests:). Each entry is a field table read by ld_walk() (fields.c) and
 * named by its name: field, unique within its section across all files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_policy.h"

static const char *const risk_words[] = {"low", "medium", "high", "critical"};

/*
 * A list section: each entry is walked into a zeroed local copy (after
 * init()), checked by after() against the entries before it, and appended
 * to the array at arr_off in struct policy (count at n_off, capacity at
 * cap_off in struct ld) when its name was good.
 */
struct list_sec {
	const char *section, *entry;
	const struct ld_map *map;
	size_t elem, loc_off, arr_off, n_off, cap_off;
	void (*init)(void *e);
	void (*after)(struct ld *ld, void *e, const struct ld_got *got);
};

union list_entry {
	struct pol_limit limit;
	struct pol_approval approval;
	struct pol_anomaly anomaly;
	struct pol_test test;
};

static int list_section(struct ld *ld, const struct list_sec *s, struct fy_node *sec,
                        struct fy_node *skey)
{
	struct fy_node *c;
	size_t *n = (size_t *)(void *)((char *)ld->p + s->n_off);
	size_t *cap = (size_t *)(void *)((char *)ld + s->cap_off);
	void *it = NULL;

	if (ld_is_seq(ld, sec, skey, s->section) != 0)
		return -1;
	while ((c = fy_node_sequence_iterate(sec, &it)) != NULL) {
		union list_entry e;
		struct ld_got got[LD_MAX_FIELDS];
		struct pol_loc loc = ld_loc(ld, c, skey);
		char *slot;

		memset(&e, 0, sizeof(e));
		if (s->init != NULL)
			s->init(&e);
		ld_walk(ld, s->map, c, skey, s->entry, s->section, &e, got);
		if (!got[0].ok) /* the name: missing, wrong or taken */
			continue;
		memcpy((char *)&e + s->loc_off, &loc, sizeof(loc));
		if (s->after != NULL)
			s->after(ld, &e, got);
		if (*n >= POL_MAX_LIST) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, skey, "%s: more than %u entries",
			       s->section, POL_MAX_LIST);
			return -1;
		}
		if ((slot = ld_slot(ld, (char *)ld->p + s->arr_off, *n, cap, s->elem)) == NULL)
			return -1;
		memcpy(slot, &e, s->elem);
		(*n)++;
	}
	return 0;
}

/* The entry's name is not yet used in its section (names at taken, stride apart). */
static int name_free(struct ld *ld, struct fy_node *val, struct fy_node *key, const char *what,
                     const char *name, const char *taken, size_t stride, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(taken + i * stride, name) == 0) {
			ld_err(ld, PL_E_POLICY_DUP, val, key, "%s: '%s' is already defined", what,
			       name);
			return -1;
		}
	return 0;
}

#define NAME_FREE(fn, arr, nfield)                                                                 \
	static LD_FIELD_FN(fn)                                                                     \
	{                                                                                          \
		return name_free(ld, val, key, what, (const char *)obj + f->off,                   \
		                 ld->p->arr ? ld->p->arr[0].name : NULL, sizeof(ld->p->arr[0]),    \
		                 ld->p->nfield);                                                   \
	}

/* ---- limits ------------------------------------------------------------------------ */

static const struct ld_field window_fields[] = {
    LDF_U32("count", struct pol_window, count, 1, 1000000, LD_REQ, NULL),
    LDF_U32("seconds", struct pol_window, seconds, 1, 31u * 86400u, LD_REQ, NULL),
};
static const struct ld_map window_map = {window_fields, 2, 1};

static LD_FIELD_FN(limit_windows)
{
	struct pol_limit *l = obj;
	struct fy_node *c;
	void *it = NULL;

	if (ld_is_seq(ld, val, key, what) != 0)
		return -1;
	while ((c = fy_node_sequence_iterate(val, &it)) != NULL) {
		struct pol_window w = {0, 0};
		struct ld_got got[2];

		if (l->nwindows >= POL_MAX_WINDOWS) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, key, "%s: more than %u windows", what,
			       POL_MAX_WINDOWS);
			return -1;
		}
		if (ld_walk(ld, &window_map, c, key, what, "limits.windows", &w, got) != 0)
			continue;
		for (size_t i = 0; i < l->nwindows; i++)
			if (l->w[i].seconds == w.seconds)
				ld_err(ld, PL_E_POLICY_DUP, got[1].val, got[1].key,
				       "%s: two windows of %u seconds", what, w.seconds);
		l->w[l->nwindows++] = w;
	}
	if (l->nwindows > 0)
		return 0;
	ld_err(ld, PL_E_POLICY_VALUE, val, key, "%s: at least one window is needed", what);
	return -1;
}

NAME_FREE(limit_name_free, limits, nlimits)

static const struct ld_field limit_fields[] = {
    LDF_NAME("name", struct pol_limit, name, LD_ID, limit_name_free),
    LDF_ENUM("key", struct pol_limit, key, pol_key_names, POL_KEY_COUNT, LD_REQ),
    LDF_SET("operations", LD_F_OPS, struct pol_limit, ops, 0, NULL),
    LDF_ENUM("min_risk", struct pol_limit, min_risk, risk_words, 4, 0),
    LDF_FN("windows", limit_windows, LD_REQ),
    LDF_ENUM("action", struct pol_limit, action, pol_lact_names, POL_LACT_COUNT, 0),
};
static const struct ld_map limit_map = LD_TABLE(limit_fields);

static void limit_init(void *e)
{
	((struct pol_limit *)e)->min_risk = -1; /* any */
}

static void limit_after(struct ld *ld, void *e, const struct ld_got *got)
{
	((struct pol_limit *)e)->all_ops = got[2].key == NULL; /* no operations: every one */
}

#define LIST_ARRAYS(arr, n, cap)                                                                   \
	.arr_off = offsetof(struct policy, arr), .n_off = offsetof(struct policy, n),              \
	.cap_off = offsetof(struct ld, cap)

LD_FIELD_FN(ld_sec_limits)
{
	static const struct list_sec s = {
	    .section = "limits",
	    .entry = "limits entry",
	    .map = &limit_map,
	    .elem = sizeof(struct pol_limit),
	    .loc_off = offsetof(struct pol_limit, loc),
	    LIST_ARRAYS(limits, nlimits, cap_limits),
	    .init = limit_init,
	    .after = limit_after,
	};

	return list_section(ld, &s, val, key);
}

/* ---- approvals ------------------------------------------------------------------------ */

static LD_FIELD_FN(some_approver)
{
	if (((const struct pol_approval *)obj)->approvers != 0)
		return 0;
	ld_err(ld, PL_E_POLICY_VALUE, val, key, "%s: name at least one role that may approve",
	       what);
	return -1;
}

NAME_FREE(approval_name_free, approvals, napprovals)

static const struct ld_field approval_fields[] = {
    LDF_NAME("name", struct pol_approval, name, LD_ID, approval_name_free),
    LDF_SET("operations", LD_F_OPS, struct pol_approval, ops, LD_REQ, NULL),
    LDF_SET("approver_roles", LD_F_ROLES, struct pol_approval, approvers, LD_REQ, some_approver),
    LDF_U32("expires", struct pol_approval, expires, 10, 7u * 86400u, LD_REQ, NULL),
    /* Default false: only officers decide (pitlanectl approvals approve|deny). */
    LDF_BOOL("technician_approval", struct pol_approval, tech_approval),
};
static const struct ld_map approval_map = LD_TABLE(approval_fields);

/* An operation needs approval by one entry only. */
static void approval_after(struct ld *ld, void *e, const struct ld_got *got)
{
	const struct pol_approval *a = e;

	for (size_t i = 0; i < ld->p->napprovals; i++)
		if (ld->p->approvals[i].ops & a->ops)
			ld_err(ld, PL_E_POLICY_DUP, got[1].val, got[1].key,
			       "approvals.%s.operations: an operation is also listed by approvals "
			       "entry '%s'",
			       a->name, ld->p->approvals[i].name);
}

LD_FIELD_FN(ld_sec_approvals)
{
	static const struct list_sec s = {
	    .section = "approvals",
	    .entry = "approvals entry",
	    .map = &approval_map,
	    .elem = sizeof(struct pol_approval),
	    .loc_off = offsetof(struct pol_approval, loc),
	    LIST_ARRAYS(approvals, napprovals, cap_appr),
	    .after = approval_after,
	};

	return list_section(ld, &s, val, key);
}

/* ---- anomalies ------------------------------------------------------------------------- */

static LD_FIELD_FN(add_param)
{
	struct pol_anomaly *a = obj;
	uint32_t v;

	if (ld_u32(ld, val, key, what, 1, 31u * 86400u, &v) != 0)
		return -1;
	pol_strlcpy(a->params[a->nparams].name, f->name, sizeof(a->params[0].name));
	a->params[a->nparams++].value = v;
	return 0;
}

/* The parameters each detector takes (all required). */
#define PARAM(n)                                                                                   \
	{                                                                                          \
		.name = n, .type = LD_F_FN, .flags = LD_REQ, .fn = add_param                       \
	}
static const struct ld_field sweep_params[] = {PARAM("distinct_vins"), PARAM("window")};
static const struct ld_field window_params[] = {PARAM("window")};
static const struct ld_field ecu_params[] = {PARAM("count"), PARAM("window")};
static const struct ld_map det_params[POL_DET_COUNT] = {
    [POL_DET_VIN_SWEEP] = LD_TABLE(sweep_params),
    [POL_DET_UNLOCK_THEN_START] = LD_TABLE(window_params),
    [POL_DET_TWO_PLACES] = LD_TABLE(window_params),
    [POL_DET_ECU_FAILURES] = LD_TABLE(ecu_params),
};

NAME_FREE(anomaly_name_free, anomalies, nanomalies)

static const struct ld_field anomaly_fields[] = {
    LDF_NAME("name", struct pol_anomaly, name, LD_ID, anomaly_name_free),
    LDF_ENUM("detector", struct pol_anomaly, detector, pol_det_names, POL_DET_COUNT, LD_REQ),
    LDF_ENUM("action", struct pol_anomaly, action, pol_aact_names, POL_AACT_COUNT, LD_REQ),
    LDF_CALLER("params", 0), /* by the detector's table, once the detector is known */
};
static const struct ld_map anomaly_map = LD_TABLE(anomaly_fields);

static void anomaly_after(struct ld *ld, void *e, const struct ld_got *got)
{
	struct pol_anomaly *a = e;
	const struct ld_map *m = &det_params[a->detector];
	char what[LD_WHAT_MAX];

	if (!got[1].ok)
		return;
	if (got[3].key == NULL) {
		if (m->n > 0)
			ld_err(ld, PL_E_POLICY_SCHEMA, got[1].key, NULL,
			       "anomalies.%s: detector %s needs params: (%s%s%s)", a->name,
			       pol_det_names[a->detector], m->f[0].name, m->n > 1 ? ", " : "",
			       m->n > 1 ? m->f[1].name : "");
		return;
	}
	snprintf(what, sizeof(what), "anomalies.%s.params", a->name);
	ld_walk(ld, m, got[3].val, got[3].key, what, NULL, a, NULL);
}

LD_FIELD_FN(ld_sec_anomalies)
{
	static const struct list_sec s = {
	    .section = "anomalies",
	    .entry = "anomalies entry",
	    .map = &anomaly_map,
	    .elem = sizeof(struct pol_anomaly),
	    .loc_off = offsetof(struct pol_anomaly, loc),
	    LIST_ARRAYS(anomalies, nanomalies, cap_anom),
	    .after = anomaly_after,
	};

	return list_section(ld, &s, val, key);
}

/* ---- decoy VINs ------------------------------------------------------------------------- */

static int vin_ok(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
                  const char *vin)
{
	if (plt_vin_valid(vin, strlen(vin)))
		return 0;
	ld_err(ld, PL_E_POLICY_VALUE, n, key,
	       "%s: '%s' is not a VIN (17 characters of 0-9 and A-Z without I, O, Q)", what, vin);
	return -1;
}

LD_FIELD_FN(ld_sec_decoys)
{
	return ld_str_list(ld, val, key, what, LD_TEXT, vin_ok, POL_MAX_LIST, &ld->p->decoys,
	                   sizeof(*ld->p->decoys), &ld->p->ndecoys, &ld->cap_decoys);
}

/* ---- tests ------------------------------------------------------------------------------ */

static const char *const expect_words[] = {"allow", "deny", "approval"};

static LD_FIELD_FN(test_time)
{
	struct pol_test *t = obj;
	char when[40];

	if (ld_str(ld, val, key, what, LD_TEXT, when, sizeof(when)) != 0)
		return -1;
	if (pol_parse_time(when, &t->time) == 0)
		return 0;
	ld_err(ld, PL_E_POLICY_VALUE, val, key,
	       "%s: '%s' is not a time like 2025-03-12T10:00:00Z or 2025-03-12T11:00:00+01:00",
	       what, when);
	return -1;
}

static LD_FIELD_FN(expect_ttl_ok)
{
	struct pol_test *t = obj;
	const struct pol_op *op = pol_find_op(ld->p, t->op, NULL);

	t->has_ttl = 1;
	if (op == NULL || t->expect_ttl <= op->max_ttl)
		return 0;
	ld_err(ld, PL_E_POLICY_VALUE, val, key, "%s: %u is above the max_ttl of %s (%u)", what,
	       t->expect_ttl, op->name, op->max_ttl);
	return -1;
}

static LD_FIELD_FN(test_name_free)
{
	const struct pol_test *t = obj;

	for (size_t i = 0; i < ld->p->ntests; i++)
		if (strcmp(ld->p->tests[i].name, t->name) == 0) {
			ld_err(ld, PL_E_POLICY_DUP, val, key,
			       "%s: '%s' is already used by another test", what, t->name);
			return -1;
		}
	return 0;
}

static const struct ld_field request_fields[] = {
    LDF_STR("device", struct pol_test, device, LD_TEXT, LD_REQ),
    LDF_STR("device_workshop", struct pol_test, device_ws, LD_TEXT, LD_REQ),
    LDF_STR("technician", struct pol_test, tech, LD_TEXT, LD_REQ),
    LDF_STR("technician_workshop", struct pol_test, tech_ws, LD_TEXT, LD_REQ),
    LDF_STR("vin", struct pol_test, vin, LD_TEXT, LD_REQ),
    LDF_STR("op", struct pol_test, op, LD_TEXT, LD_REQ),
    LDF_FN("time", test_time, LD_REQ),
    LDF_U32("ttl", struct pol_test, ttl, 0, UINT32_MAX, 0, NULL),
};
static const struct ld_map request_map = LD_TABLE(request_fields);

static const struct ld_field expect_fields[] = {
    LDF_ENUM("decision", struct pol_test, expect, expect_words, 3, LD_REQ),
    LDF_STR("rule", struct pol_test, rule, LD_TEXT, 0),
    LDF_U32("ttl", struct pol_test, expect_ttl, 1, POL_MAX_TTL, 0, expect_ttl_ok),
};
static const struct ld_map expect_map = LD_TABLE(expect_fields);

static const struct ld_field test_fields[] = {
    LDF_NAME("name", struct pol_test, name, LD_TEXT, test_name_free),
    LDF_MAP("request", &request_map, LD_REQ),
    LDF_MAP("expect", &expect_map, LD_REQ),
};
static const struct ld_map test_map = LD_TABLE(test_fields);

LD_FIELD_FN(ld_sec_tests)
{
	static const struct list_sec s = {
	    .section = "tests",
	    .entry = "tests entry",
	    .map = &test_map,
	    .elem = sizeof(struct pol_test),
	    .loc_off = offsetof(struct pol_test, loc),
	    LIST_ARRAYS(tests, ntests, cap_tests),
	};

	return list_section(ld, &s, val, key);
}
