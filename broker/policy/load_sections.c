/*
 * Section parsers for the core of the language: version, settings,
 * operations, roles, workshops (with opening hours) and technicians.
 * Each runs over every file in turn; names are unique across all files.
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

static void dup_err(struct ld *ld, struct fy_node *key, const char *section, const char *name,
		    const struct pol_loc *prev)
{
	char where[300];

	ld_loc_str(ld, prev, where, sizeof(where));
	ld_err(ld, PL_E_POLICY_DUP, key, NULL, "%s.%s: already defined at %s", section, name, where);
}

void ld_sec_version(struct ld *ld)
{
	struct fy_node *key, *val = ld_section(ld, "version", &key);
	uint32_t v;
	char where[300];

	if (key == NULL)
		return;
	if (ld->have_version) {
		ld_loc_str(ld, &ld->version_loc, where, sizeof(where));
		ld_err(ld, PL_E_POLICY_DUP, key, NULL, "version: already declared at %s", where);
		return;
	}
	ld->have_version = 1;
	ld->version_loc = ld_loc(ld, key, NULL);
	if (ld_u32(ld, val, key, "version", 1, UINT32_MAX, &v) == 0)
		ld->p->version = v;
}

void ld_sec_settings(struct ld *ld)
{
	static const char *const names[] = { "hours_min_risk" };
	struct fy_node *keys[1], *vals[1];
	struct fy_node *key, *val = ld_section(ld, "settings", &key);
	char where[300];
	int risk;

	if (key == NULL)
		return;
	if (ld->have_settings) {
		ld_loc_str(ld, &ld->settings_loc, where, sizeof(where));
		ld_err(ld, PL_E_POLICY_DUP, key, NULL, "settings: already given at %s", where);
		return;
	}
	ld->have_settings = 1;
	ld->settings_loc = ld_loc(ld, key, NULL);
	ld_fields(ld, val, key, "settings", names, 1, 0, keys, vals);
	if (keys[0] != NULL &&
	    ld_enum(ld, vals[0], keys[0], "settings.hours_min_risk", risk_words, 4, &risk) == 0)
		ld->p->hours_min_risk = risk;
}

/* ---- operations ------------------------------------------------------------ */

static void parse_op(struct ld *ld, struct fy_node *key, struct fy_node *val, struct pol_op *op)
{
	static const char *const names[] = { "routine", "risk", "max_ttl", "default_ttl", "exi" };
	struct fy_node *keys[5], *vals[5];
	char what[160];
	uint32_t v;
	int risk;

	ld_fields(ld, val, key, op->name, names, 5, 0x1 | 0x2 | 0x4 | 0x10, keys, vals);
	snprintf(what, sizeof(what), "operations.%s.routine", op->name);
	if (keys[0] != NULL && ld_u32(ld, vals[0], keys[0], what, 1, 0xFFFF, &v) == 0)
		op->routine = (uint16_t)v;
	snprintf(what, sizeof(what), "operations.%s.risk", op->name);
	if (keys[1] != NULL && ld_enum(ld, vals[1], keys[1], what, risk_words, 4, &risk) == 0)
		op->risk = risk;
	snprintf(what, sizeof(what), "operations.%s.max_ttl", op->name);
	if (keys[2] != NULL && ld_u32(ld, vals[2], keys[2], what, 1, POL_MAX_TTL, &v) == 0)
		op->max_ttl = v;
	snprintf(what, sizeof(what), "operations.%s.exi", op->name);
	if (keys[4] != NULL && ld_u32(ld, vals[4], keys[4], what, 1, POL_MAX_TTL, &v) == 0) {
		op->exi = v;
		if (op->max_ttl != 0 && v > op->max_ttl)
			ld_err(ld, PL_E_POLICY_VALUE, vals[4], keys[4],
			       "%s: %u is above the operation's max_ttl (%u)", what, v, op->max_ttl);
	}
	op->default_ttl = op->max_ttl;
	snprintf(what, sizeof(what), "operations.%s.default_ttl", op->name);
	if (keys[3] != NULL && ld_u32(ld, vals[3], keys[3], what, 1, POL_MAX_TTL, &v) == 0) {
		op->default_ttl = v;
		if (op->max_ttl != 0 && v > op->max_ttl)
			ld_err(ld, PL_E_POLICY_VALUE, vals[3], keys[3],
			       "%s: %u is above the operation's max_ttl (%u)", what, v, op->max_ttl);
	}
}

void ld_sec_operations(struct ld *ld)
{
	struct fy_node *skey, *sec = ld_section(ld, "operations", &skey);
	struct fy_node_pair *pr;
	void *it = NULL;

	if (skey == NULL || ld_is_map(ld, sec, skey, "operations") != 0)
		return;
	while ((pr = fy_node_mapping_iterate(sec, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct pol_op op;
		const struct pol_op *prev;

		memset(&op, 0, sizeof(op));
		if (ld_key(ld, k, "operations: operation name", LD_ID, op.name, sizeof(op.name)) != 0)
			continue;
		op.loc = ld_loc(ld, k, NULL);
		if ((prev = pol_find_op(ld->p, op.name, NULL)) != NULL) {
			dup_err(ld, k, "operations", op.name, &prev->loc);
			continue;
		}
		if (ld->p->nops >= POL_MAX_OPS) {
			ld_err(ld, PL_E_POLICY_LIMIT, k, NULL, "operations: more than %u operations",
			       POL_MAX_OPS);
			continue;
		}
		parse_op(ld, k, fy_node_pair_value(pr), &op);
		for (size_t i = 0; i < ld->p->nops && op.routine != 0; i++)
			if (ld->p->ops[i].routine == op.routine) {
				char where[300];

				ld_loc_str(ld, &ld->p->ops[i].loc, where, sizeof(where));
				ld_err(ld, PL_E_POLICY_DUP, k, NULL,
				       "operations.%s: routine 0x%04X is already used by '%s' (%s)",
				       op.name, op.routine, ld->p->ops[i].name, where);
			}
		ld->p->ops[ld->p->nops++] = op;
	}
}

int ld_op_set(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, uint64_t *out)
{
	struct fy_node *c;
	void *it = NULL;
	uint64_t set = 0;
	int bad = 0;

	if (ld_is_seq(ld, n, key, what) != 0)
		return -1;
	while ((c = fy_node_sequence_iterate(n, &it)) != NULL) {
		char name[POL_ID_MAX];
		size_t idx;

		if (ld_str(ld, c, key, what, LD_ID, name, sizeof(name)) != 0) {
			bad = 1;
			continue;
		}
		if (pol_find_op(ld->p, name, &idx) == NULL) {
			ld_err(ld, PL_E_POLICY_REF, c, key,
			       "%s: operation '%s' is not defined in operations:", what, name);
			bad = 1;
			continue;
		}
		if (set & (UINT64_C(1) << idx)) {
			ld_err(ld, PL_E_POLICY_DUP, c, key, "%s: '%s' is listed twice", what, name);
			bad = 1;
		}
		set |= UINT64_C(1) << idx;
	}
	*out = set;
	return bad ? -1 : 0;
}

static const struct pol_role *find_role(const struct policy *p, const char *name, size_t *idx)
{
	for (size_t i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i].name, name) == 0) {
			*idx = i;
			return &p->roles[i];
		}
	return NULL;
}

int ld_role_set(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
		uint64_t *out)
{
	struct fy_node *c;
	void *it = NULL;
	uint64_t set = 0;
	int bad = 0;

	if (ld_is_seq(ld, n, key, what) != 0)
		return -1;
	while ((c = fy_node_sequence_iterate(n, &it)) != NULL) {
		char name[POL_ID_MAX];
		size_t idx = 0;

		if (ld_str(ld, c, key, what, LD_ID, name, sizeof(name)) != 0) {
			bad = 1;
			continue;
		}
		if (find_role(ld->p, name, &idx) == NULL) {
			ld_err(ld, PL_E_POLICY_REF, c, key, "%s: role '%s' is not defined in roles:",
			       what, name);
			bad = 1;
			continue;
		}
		if (set & (UINT64_C(1) << idx)) {
			ld_err(ld, PL_E_POLICY_DUP, c, key, "%s: '%s' is listed twice", what, name);
			bad = 1;
		}
		set |= UINT64_C(1) << idx;
	}
	*out = set;
	return bad ? -1 : 0;
}

/* ---- roles ------------------------------------------------------------------ */

void ld_sec_roles(struct ld *ld)
{
	static const char *const names[] = { "operations" };
	struct fy_node *skey, *sec = ld_section(ld, "roles", &skey);
	struct fy_node_pair *pr;
	void *it = NULL;

	if (skey == NULL || ld_is_map(ld, sec, skey, "roles") != 0)
		return;
	while ((pr = fy_node_mapping_iterate(sec, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pr), *keys[1], *vals[1];
		struct pol_role role;
		const struct pol_role *prev;
		char what[160];
		size_t idx;

		memset(&role, 0, sizeof(role));
		if (ld_key(ld, k, "roles: role name", LD_ID, role.name, sizeof(role.name)) != 0)
			continue;
		role.loc = ld_loc(ld, k, NULL);
		if ((prev = find_role(ld->p, role.name, &idx)) != NULL) {
			dup_err(ld, k, "roles", role.name, &prev->loc);
			continue;
		}
		if (ld->p->nroles >= POL_MAX_ROLES) {
			ld_err(ld, PL_E_POLICY_LIMIT, k, NULL, "roles: more than %u roles",
			       POL_MAX_ROLES);
			continue;
		}
		snprintf(what, sizeof(what), "roles.%s", role.name);
		ld_fields(ld, fy_node_pair_value(pr), k, what, names, 1, 0x1, keys, vals);
		snprintf(what, sizeof(what), "roles.%s.operations", role.name);
		if (keys[0] != NULL)
			ld_op_set(ld, vals[0], keys[0], what, &role.ops);
		ld->p->roles[ld->p->nroles++] = role;
	}
}

/* ---- workshops ---------------------------------------------------------------- */

static int vin_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q');
}

static void parse_prefixes(struct ld *ld, struct fy_node *n, struct fy_node *key,
			   struct pol_workshop *w)
{
	struct fy_node *c;
	void *it = NULL;
	char what[160];
	size_t cap = 0;

	snprintf(what, sizeof(what), "workshops.%s.vin_prefixes", w->id);
	if (ld_is_seq(ld, n, key, what) != 0)
		return;
	while ((c = fy_node_sequence_iterate(n, &it)) != NULL) {
		char pre[POL_ID_MAX];
		size_t len, i;
		void *np;

		if (ld_str(ld, c, key, what, LD_TEXT, pre, sizeof(pre)) != 0)
			continue;
		len = strlen(pre);
		for (i = 0; i < len && vin_char(pre[i]); i++)
			;
		if (len > PLT_VIN_LEN || i < len) {
			ld_err(ld, PL_E_POLICY_VALUE, c, key,
			       "%s: '%s' is not a VIN prefix (1 to 17 characters of 0-9 and A-Z "
			       "without I, O, Q; upper case)",
			       what, pre);
			continue;
		}
		for (i = 0; i < w->nprefixes; i++)
			if (strcmp(w->prefixes[i], pre) == 0)
				break;
		if (i < w->nprefixes) {
			ld_err(ld, PL_E_POLICY_DUP, c, key, "%s: '%s' is listed twice", what, pre);
			continue;
		}
		np = ld_grow(w->prefixes, &cap, w->nprefixes, sizeof(*w->prefixes));
		if (np == NULL) {
			oom(ld);
			return;
		}
		w->prefixes = np;
		pol_strlcpy(w->prefixes[w->nprefixes++], pre, sizeof(w->prefixes[0]));
	}
}

static void parse_cert_ws(struct ld *ld, struct fy_node *n, struct fy_node *key,
			  struct pol_workshop *w)
{
	static const char *const names[] = { "ou", "device_cns" };
	struct fy_node *keys[2], *vals[2], *c;
	char what[160];
	void *it = NULL;
	size_t cap = 0;

	snprintf(what, sizeof(what), "workshops.%s.certificate", w->id);
	ld_fields(ld, n, key, what, names, 2, 0, keys, vals);
	snprintf(what, sizeof(what), "workshops.%s.certificate.ou", w->id);
	if (keys[0] != NULL)
		ld_str(ld, vals[0], keys[0], what, LD_TEXT, w->ou, sizeof(w->ou));
	if (keys[1] == NULL)
		return;
	snprintf(what, sizeof(what), "workshops.%s.certificate.device_cns", w->id);
	if (ld_is_seq(ld, vals[1], keys[1], what) != 0)
		return;
	while ((c = fy_node_sequence_iterate(vals[1], &it)) != NULL) {
		char cn[POL_ID_MAX];
		size_t i;
		void *np;

		if (ld_str(ld, c, keys[1], what, LD_TEXT, cn, sizeof(cn)) != 0)
			continue;
		for (i = 0; i < w->ndevices && strcmp(w->devices[i], cn) != 0; i++)
			;
		if (i < w->ndevices) {
			ld_err(ld, PL_E_POLICY_DUP, c, keys[1], "%s: '%s' is listed twice", what, cn);
			continue;
		}
		np = ld_grow(w->devices, &cap, w->ndevices, sizeof(*w->devices));
		if (np == NULL) {
			oom(ld);
			return;
		}
		w->devices = np;
		pol_strlcpy(w->devices[w->ndevices++], cn, sizeof(w->devices[0]));
	}
	if (w->ndevices == 0)
		ld_err(ld, PL_E_POLICY_VALUE, vals[1], keys[1],
		       "%s: empty list; leave the key out to accept every device of the OU", what);
}

/* "HH:MM-HH:MM", 00:00 <= start < end <= 24:00. */
static int parse_range(const char *s, struct pol_range *r)
{
	unsigned v[4];

	if (strlen(s) != 11 || s[2] != ':' || s[5] != '-' || s[8] != ':')
		return -1;
	for (int i = 0; i < 4; i++) {
		const char *d = s + i * 3;

		if (d[0] < '0' || d[0] > '9' || d[1] < '0' || d[1] > '9')
			return -1;
		v[i] = (unsigned)(d[0] - '0') * 10 + (unsigned)(d[1] - '0');
	}
	if (v[0] > 23 || v[1] > 59 || v[2] > 24 || v[3] > 59 || (v[2] == 24 && v[3] != 0))
		return -1;
	r->start = (uint16_t)(v[0] * 60 + v[1]);
	r->end = (uint16_t)(v[2] * 60 + v[3]);
	return r->start < r->end ? 0 : -1;
}

static void parse_day(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
		      struct pol_hours *h, int day)
{
	struct fy_node *c = n;
	void *it = NULL;
	int list = n != NULL && fy_node_get_type(n) == FYNT_SEQUENCE;

	for (;;) {
		char text[32];
		struct pol_range r;

		if (list && (c = fy_node_sequence_iterate(n, &it)) == NULL)
			break;
		if (ld_str(ld, c, key, what, LD_TEXT, text, sizeof(text)) == 0) {
			if (parse_range(text, &r) != 0) {
				ld_err(ld, PL_E_POLICY_VALUE, c, key,
				       "%s: '%s' is not a time range HH:MM-HH:MM (start before end, "
				       "end at most 24:00)",
				       what, text);
			} else if (h->n[day] >= POL_MAX_RANGES) {
				ld_err(ld, PL_E_POLICY_LIMIT, c, key, "%s: more than %u ranges", what,
				       POL_MAX_RANGES);
			} else {
				uint8_t i = h->n[day];

				/* Keep ranges sorted; overlaps are errors. */
				while (i > 0 && h->r[day][i - 1].start > r.start) {
					h->r[day][i] = h->r[day][i - 1];
					i--;
				}
				h->r[day][i] = r;
				h->n[day]++;
				if ((i > 0 && h->r[day][i - 1].end > r.start) ||
				    (i + 1 < h->n[day] && r.end > h->r[day][i + 1].start))
					ld_err(ld, PL_E_POLICY_VALUE, c, key,
					       "%s: '%s' overlaps another range of the day", what,
					       text);
			}
		}
		if (!list)
			break;
	}
}

static size_t tz_index(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
		       int *ok)
{
	char name[64], why[512];
	struct pol_tz *tz = NULL;
	void *np;
	int r;

	*ok = 0;
	if (ld_str(ld, n, key, what, LD_TEXT, name, sizeof(name)) != 0)
		return 0;
	for (size_t i = 0; i < ld->p->ntzs; i++)
		if (strcmp(ld->p->tzs[i]->name, name) == 0) {
			*ok = 1;
			return i;
		}
	r = pol_tz_load(ld->opts ? ld->opts->zoneinfo_dir : NULL, name, &tz, why, sizeof(why));
	if (r != 0) {
		ld_err(ld, r == PL_E_NOMEM ? r : PL_E_POLICY_TZ, n, key, "%s: %s", what,
		       r == PL_E_NOMEM ? "out of memory" : why);
		return 0;
	}
	np = ld_grow(ld->p->tzs, &ld->cap_tzs, ld->p->ntzs, sizeof(*ld->p->tzs));
	if (np == NULL) {
		pol_tz_free(tz);
		oom(ld);
		return 0;
	}
	ld->p->tzs = np;
	ld->p->tzs[ld->p->ntzs] = tz;
	*ok = 1;
	return ld->p->ntzs++;
}

static void parse_hours(struct ld *ld, struct fy_node *n, struct fy_node *key,
			struct pol_workshop *w)
{
	/* time_zone, then the weekdays in pol_day_names order (sun..sat). */
	static const char *const names[] = { "time_zone", "sun", "mon", "tue", "wed", "thu", "fri",
					     "sat" };
	struct fy_node *keys[8], *vals[8];
	char what[160];
	int ok = 0;

	snprintf(what, sizeof(what), "workshops.%s.opening_hours", w->id);
	ld_fields(ld, n, key, what, names, 8, 0x1, keys, vals);
	if (keys[0] != NULL) {
		snprintf(what, sizeof(what), "workshops.%s.opening_hours.time_zone", w->id);
		w->hours.tz = tz_index(ld, vals[0], keys[0], what, &ok);
	}
	for (int d = 0; d < 7; d++) {
		if (keys[d + 1] == NULL)
			continue;
		snprintf(what, sizeof(what), "workshops.%s.opening_hours.%s", w->id, names[d + 1]);
		parse_day(ld, vals[d + 1], keys[d + 1], what, &w->hours, d);
	}
	w->has_hours = ok;
}

static void parse_workshop(struct ld *ld, struct fy_node *k, struct fy_node *val,
			   struct pol_workshop *w)
{
	static const char *const names[] = { "certificate", "roles", "vin_prefixes",
					     "opening_hours", "suspended" };
	struct fy_node *keys[5], *vals[5];
	char what[160];

	snprintf(what, sizeof(what), "workshops.%s", w->id);
	ld_fields(ld, val, k, what, names, 5, 0x2, keys, vals);
	pol_strlcpy(w->ou, w->id, sizeof(w->ou));
	if (keys[0] != NULL)
		parse_cert_ws(ld, vals[0], keys[0], w);
	snprintf(what, sizeof(what), "workshops.%s.roles", w->id);
	if (keys[1] != NULL)
		ld_role_set(ld, vals[1], keys[1], what, &w->roles);
	if (keys[2] != NULL)
		parse_prefixes(ld, vals[2], keys[2], w);
	if (keys[3] != NULL)
		parse_hours(ld, vals[3], keys[3], w);
	snprintf(what, sizeof(what), "workshops.%s.suspended", w->id);
	if (keys[4] != NULL)
		ld_bool(ld, vals[4], keys[4], what, &w->suspended);
}

static const struct pol_workshop *find_ws(struct ld *ld, const char *id, size_t *idx)
{
	return ld_idx_find(&ld->ws_idx, ld->p, id, idx) ? &ld->p->workshops[*idx] : NULL;
}

void ld_sec_workshops(struct ld *ld)
{
	struct fy_node *skey, *sec = ld_section(ld, "workshops", &skey);
	struct fy_node_pair *pr;
	void *it = NULL;

	if (skey == NULL || ld_is_map(ld, sec, skey, "workshops") != 0)
		return;
	while ((pr = fy_node_mapping_iterate(sec, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct pol_workshop *w;
		const struct pol_workshop *prev;
		char id[POL_ID_MAX];
		size_t idx;
		void *np;

		if (ld_key(ld, k, "workshops: workshop id", LD_ID, id, sizeof(id)) != 0)
			continue;
		if ((prev = find_ws(ld, id, &idx)) != NULL) {
			dup_err(ld, k, "workshops", id, &prev->loc);
			continue;
		}
		if (ld->p->nworkshops >= POL_MAX_WORKSHOPS) {
			ld_err(ld, PL_E_POLICY_LIMIT, k, NULL, "workshops: more than %u workshops",
			       POL_MAX_WORKSHOPS);
			return;
		}
		np = ld_grow(ld->p->workshops, &ld->cap_ws, ld->p->nworkshops,
			     sizeof(*ld->p->workshops));
		if (np == NULL) {
			oom(ld);
			return;
		}
		ld->p->workshops = np;
		w = &ld->p->workshops[ld->p->nworkshops];
		pol_strlcpy(w->id, id, sizeof(w->id));
		if (ld_idx_add(&ld->ws_idx, ld->p, ld->p->nworkshops) != 0) {
			oom(ld);
			return;
		}
		ld->p->nworkshops++;
		w->loc = ld_loc(ld, k, NULL);
		parse_workshop(ld, k, fy_node_pair_value(pr), w);
	}
}

/* ---- technicians --------------------------------------------------------------- */

static void parse_tech(struct ld *ld, struct fy_node *k, struct fy_node *val, struct pol_tech *t)
{
	static const char *const names[] = { "certificate", "workshop", "roles", "suspended" };
	static const char *const cnames[] = { "cn" };
	struct fy_node *keys[4], *vals[4], *ck[1], *cv[1];
	char what[160], ws[POL_ID_MAX];

	snprintf(what, sizeof(what), "technicians.%s", t->id);
	ld_fields(ld, val, k, what, names, 4, 0x2 | 0x4, keys, vals);
	pol_strlcpy(t->cn, t->id, sizeof(t->cn));
	if (keys[0] != NULL) {
		snprintf(what, sizeof(what), "technicians.%s.certificate", t->id);
		ld_fields(ld, vals[0], keys[0], what, cnames, 1, 0x1, ck, cv);
		snprintf(what, sizeof(what), "technicians.%s.certificate.cn", t->id);
		if (ck[0] != NULL)
			ld_str(ld, cv[0], ck[0], what, LD_TEXT, t->cn, sizeof(t->cn));
	}
	snprintf(what, sizeof(what), "technicians.%s.workshop", t->id);
	if (keys[1] != NULL && ld_str(ld, vals[1], keys[1], what, LD_ID, ws, sizeof(ws)) == 0 &&
	    find_ws(ld, ws, &t->workshop) == NULL)
		ld_err(ld, PL_E_POLICY_REF, vals[1], keys[1],
		       "%s: workshop '%s' is not defined in workshops:", what, ws);
	snprintf(what, sizeof(what), "technicians.%s.roles", t->id);
	if (keys[2] != NULL)
		ld_role_set(ld, vals[2], keys[2], what, &t->roles);
	snprintf(what, sizeof(what), "technicians.%s.suspended", t->id);
	if (keys[3] != NULL)
		ld_bool(ld, vals[3], keys[3], what, &t->suspended);
}

void ld_sec_technicians(struct ld *ld)
{
	struct fy_node *skey, *sec = ld_section(ld, "technicians", &skey);
	struct fy_node_pair *pr;
	void *it = NULL;

	if (skey == NULL || ld_is_map(ld, sec, skey, "technicians") != 0)
		return;
	while ((pr = fy_node_mapping_iterate(sec, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct pol_tech *t;
		char id[POL_ID_MAX];
		size_t i;
		void *np;

		if (ld_key(ld, k, "technicians: technician id", LD_ID, id, sizeof(id)) != 0)
			continue;
		if (ld_idx_find(&ld->tech_idx, ld->p, id, &i)) {
			dup_err(ld, k, "technicians", id, &ld->p->techs[i].loc);
			continue;
		}
		if (ld->p->ntechs >= POL_MAX_TECHS) {
			ld_err(ld, PL_E_POLICY_LIMIT, k, NULL, "technicians: more than %u technicians",
			       POL_MAX_TECHS);
			return;
		}
		np = ld_grow(ld->p->techs, &ld->cap_techs, ld->p->ntechs, sizeof(*ld->p->techs));
		if (np == NULL) {
			oom(ld);
			return;
		}
		ld->p->techs = np;
		t = &ld->p->techs[ld->p->ntechs];
		pol_strlcpy(t->id, id, sizeof(t->id));
		if (ld_idx_add(&ld->tech_idx, ld->p, ld->p->ntechs) != 0) {
			oom(ld);
			return;
		}
		ld->p->ntechs++;
		t->loc = ld_loc(ld, k, NULL);
		parse_tech(ld, k, fy_node_pair_value(pr), t);
	}
}
