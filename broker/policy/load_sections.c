/*
 * The core of the language: version, settings, operations, roles, workshops
 * (with opening hours) and technicians. Each mapping is a field table read by
 * ld_walk() (fields.c); what a table cannot say (names unique across files,
 * routines unique, ranges of a day not overlapping, zones that exist) are the
 * small functions here. Each section runs over every file in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_policy.h"

static const char *const risk_words[] = {"low", "medium", "high", "critical"};

static void dup_err(struct ld *ld, struct fy_node *key, const char *section, const char *name,
                    const struct pol_loc *prev)
{
	char where[300];

	ld_loc_str(ld, prev, where, sizeof(where));
	ld_err(ld, PL_E_POLICY_DUP, key, NULL, "%s.%s: already defined at %s", section, name,
	       where);
}

/* version: and settings: are given once, in any one file. */
static int once(struct ld *ld, struct fy_node *key, const char *section, const char *verb,
                int *have, struct pol_loc *loc)
{
	char where[300];

	if (*have) {
		ld_loc_str(ld, loc, where, sizeof(where));
		ld_err(ld, PL_E_POLICY_DUP, key, NULL, "%s: already %s at %s", section, verb,
		       where);
		return -1;
	}
	*have = 1;
	*loc = ld_loc(ld, key, NULL);
	return 0;
}

LD_FIELD_FN(ld_sec_version)
{
	if (once(ld, key, what, "declared", &ld->have_version, &ld->version_loc) != 0)
		return -1;
	return ld_u32(ld, val, key, what, 1, UINT32_MAX, &ld->p->version);
}

static const struct ld_field settings_fields[] = {
    LDF_ENUM("hours_min_risk", struct policy, hours_min_risk, risk_words, 4, 0),
};
static const struct ld_map settings_map = LD_TABLE(settings_fields);

LD_FIELD_FN(ld_sec_settings)
{
	if (once(ld, key, what, "given", &ld->have_settings, &ld->settings_loc) != 0)
		return -1;
	return ld_walk(ld, &settings_map, val, key, what, NULL, ld->p, NULL);
}

/*
 * A section that maps names to entries. The entry is added (named, located,
 * with its defaults) before its table is walked into it; after() checks what
 * spans entries.
 */
struct named {
	const char *section, *noun;
	size_t name_cap, max, count_off; /* count_off: of the entry count in struct policy */
	int stop_at_max;
	int bare_what; /* messages about the entry's mapping name only the entry */
	const struct ld_map *body;
	const struct pol_loc *(*find)(struct ld *ld, const char *name);
	void *(*add)(struct ld *ld, const char *name, struct pol_loc loc);
	void (*after)(struct ld *ld, void *entry, struct fy_node *key, const struct ld_got *got);
};

static int named_section(struct ld *ld, const struct named *s, struct fy_node *sec,
                         struct fy_node *skey)
{
	const size_t *count = (const size_t *)(const void *)((const char *)ld->p + s->count_off);
	struct fy_node_pair *pr;
	void *it = NULL;

	if (ld_is_map(ld, sec, skey, s->section) != 0)
		return -1;
	while ((pr = fy_node_mapping_iterate(sec, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct ld_got got[LD_MAX_FIELDS];
		const struct pol_loc *prev;
		char name[POL_ID_MAX], what[LD_WHAT_MAX];
		void *e;

		snprintf(what, sizeof(what), "%s: %s", s->section, s->noun);
		if (ld_str(ld, k, NULL, what, LD_ID, name, s->name_cap) != 0)
			continue;
		if ((prev = s->find(ld, name)) != NULL) {
			dup_err(ld, k, s->section, name, prev);
			continue;
		}
		if (*count >= s->max) {
			ld_err(ld, PL_E_POLICY_LIMIT, k, NULL, "%s: more than %zu %s", s->section,
			       s->max, s->section);
			if (s->stop_at_max)
				return -1;
			continue;
		}
		if ((e = s->add(ld, name, ld_loc(ld, k, NULL))) == NULL)
			return -1;
		snprintf(what, sizeof(what), "%s.%s", s->section, name);
		ld_walk(ld, s->body, fy_node_pair_value(pr), k, s->bare_what ? name : what, what, e,
		        got);
		if (s->after != NULL)
			s->after(ld, e, k, got);
	}
	return 0;
}

/* ---- operations and roles --------------------------------------------------- */

static const struct ld_field op_fields[] = {
    LDF_U32("routine", struct pol_op, routine, 1, 0xFFFF, LD_REQ, NULL),
    LDF_ENUM("risk", struct pol_op, risk, risk_words, 4, LD_REQ),
    LDF_U32("max_ttl", struct pol_op, max_ttl, 1, POL_MAX_TTL, LD_REQ, NULL),
    LDF_CALLER("default_ttl", 0), /* read by op_after(), after exi as always */
    LDF_U32("exi", struct pol_op, exi, 1, POL_MAX_TTL, LD_REQ, NULL),
};
static const struct ld_map op_map = LD_TABLE(op_fields);

static const struct pol_loc *op_loc(struct ld *ld, const char *name)
{
	const struct pol_op *op = pol_find_op(ld->p, name, NULL);

	return op != NULL ? &op->loc : NULL;
}

static void *op_add(struct ld *ld, const char *name, struct pol_loc loc)
{
	struct pol_op *op = &ld->p->ops[ld->p->nops++];

	pol_strlcpy(op->name, name, sizeof(op->name));
	op->loc = loc;
	return op;
}

/* exi and default_ttl at most max_ttl, which default_ttl defaults to. */
static void below_max_ttl(struct ld *ld, const struct pol_op *op, struct fy_node *val,
                          struct fy_node *key, const char *what, uint32_t v)
{
	if (op->max_ttl != 0 && v > op->max_ttl)
		ld_err(ld, PL_E_POLICY_VALUE, val, key,
		       "%s: %u is above the operation's max_ttl (%u)", what, v, op->max_ttl);
}

/* The checks between fields; two operations never share a routine. */
static void op_after(struct ld *ld, void *entry, struct fy_node *key, const struct ld_got *got)
{
	struct pol_op *op = entry;
	char what[LD_WHAT_MAX];

	snprintf(what, sizeof(what), "operations.%s.exi", op->name);
	if (got[4].ok)
		below_max_ttl(ld, op, got[4].val, got[4].key, what, op->exi);
	snprintf(what, sizeof(what), "operations.%s.default_ttl", op->name);
	op->default_ttl = op->max_ttl;
	if (got[3].key != NULL &&
	    ld_u32(ld, got[3].val, got[3].key, what, 1, POL_MAX_TTL, &op->default_ttl) == 0)
		below_max_ttl(ld, op, got[3].val, got[3].key, what, op->default_ttl);
	for (size_t i = 0; i + 1 < ld->p->nops && op->routine != 0; i++)
		if (ld->p->ops[i].routine == op->routine) {
			char where[300];

			ld_loc_str(ld, &ld->p->ops[i].loc, where, sizeof(where));
			ld_err(ld, PL_E_POLICY_DUP, key, NULL,
			       "operations.%s: routine 0x%04X is already used by '%s' (%s)",
			       op->name, op->routine, ld->p->ops[i].name, where);
		}
}

LD_FIELD_FN(ld_sec_operations)
{
	static const struct named s = {
	    .section = "operations",
	    .noun = "operation name",
	    .name_cap = POL_OP_NAME_MAX,
	    .max = POL_MAX_OPS,
	    .count_off = offsetof(struct policy, nops),
	    .bare_what = 1,
	    .body = &op_map,
	    .find = op_loc,
	    .add = op_add,
	    .after = op_after,
	};

	return named_section(ld, &s, val, key);
}

static const struct ld_field role_fields[] = {
    LDF_SET("operations", LD_F_OPS, struct pol_role, ops, LD_REQ, NULL),
};
static const struct ld_map role_map = LD_TABLE(role_fields);

static const struct pol_loc *role_loc(struct ld *ld, const char *name)
{
	for (size_t i = 0; i < ld->p->nroles; i++)
		if (strcmp(ld->p->roles[i].name, name) == 0)
			return &ld->p->roles[i].loc;
	return NULL;
}

static void *role_add(struct ld *ld, const char *name, struct pol_loc loc)
{
	struct pol_role *r = &ld->p->roles[ld->p->nroles++];

	pol_strlcpy(r->name, name, sizeof(r->name));
	r->loc = loc;
	return r;
}

LD_FIELD_FN(ld_sec_roles)
{
	static const struct named s = {
	    .section = "roles",
	    .noun = "role name",
	    .name_cap = POL_ID_MAX,
	    .max = POL_MAX_ROLES,
	    .count_off = offsetof(struct policy, nroles),
	    .body = &role_map,
	    .find = role_loc,
	    .add = role_add,
	};

	return named_section(ld, &s, val, key);
}

/* ---- workshops ------------------------------------------------------------------ */

static int vin_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q');
}

static int vin_prefix_ok(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
                         const char *pre)
{
	size_t len = strlen(pre), i;

	for (i = 0; i < len && vin_char(pre[i]); i++)
		;
	if (len <= PLT_VIN_LEN && i == len)
		return 0;
	ld_err(ld, PL_E_POLICY_VALUE, n, key,
	       "%s: '%s' is not a VIN prefix (1 to 17 characters of 0-9 and A-Z without I, O, Q; "
	       "upper case)",
	       what, pre);
	return -1;
}

static LD_FIELD_FN(ws_prefixes)
{
	struct pol_workshop *w = obj;
	size_t cap = 0;

	return ld_str_list(ld, val, key, what, LD_TEXT, vin_prefix_ok, 0, &w->prefixes,
	                   sizeof(*w->prefixes), &w->nprefixes, &cap);
}

static LD_FIELD_FN(ws_devices)
{
	struct pol_workshop *w = obj;
	size_t cap = 0;

	if (ld_str_list(ld, val, key, what, LD_TEXT, NULL, 0, &w->devices, sizeof(*w->devices),
	                &w->ndevices, &cap) != 0)
		return -1;
	if (w->ndevices > 0)
		return 0;
	ld_err(ld, PL_E_POLICY_VALUE, val, key,
	       "%s: empty list; leave the key out to accept every device of the OU", what);
	return -1;
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

/* One range of a day: well-formed, within the limit, kept sorted, not overlapping. */
static void add_range(struct ld *ld, struct fy_node *c, struct fy_node *key, const char *what,
                      struct pol_hours *h, int day)
{
	char text[32];
	struct pol_range r;
	uint8_t i;

	if (ld_str(ld, c, key, what, LD_TEXT, text, sizeof(text)) != 0)
		return;
	if (parse_range(text, &r) != 0) {
		ld_err(ld, PL_E_POLICY_VALUE, c, key,
		       "%s: '%s' is not a time range HH:MM-HH:MM (start before end, end at most "
		       "24:00)",
		       what, text);
		return;
	}
	if (h->n[day] >= POL_MAX_RANGES) {
		ld_err(ld, PL_E_POLICY_LIMIT, c, key, "%s: more than %u ranges", what,
		       POL_MAX_RANGES);
		return;
	}
	for (i = h->n[day]; i > 0 && h->r[day][i - 1].start > r.start; i--)
		h->r[day][i] = h->r[day][i - 1];
	h->r[day][i] = r;
	h->n[day]++;
	if ((i > 0 && h->r[day][i - 1].end > r.start) ||
	    (i + 1 < h->n[day] && r.end > h->r[day][i + 1].start))
		ld_err(ld, PL_E_POLICY_VALUE, c, key, "%s: '%s' overlaps another range of the day",
		       what, text);
}

/* A weekday: one range or a list of them; f->arg is the day (0 = Sunday). */
static LD_FIELD_FN(hours_day)
{
	struct pol_workshop *w = obj;
	struct fy_node *c;
	void *it = NULL;

	if (val == NULL || fy_node_get_type(val) != FYNT_SEQUENCE) {
		add_range(ld, val, key, what, &w->hours, f->arg);
		return 0;
	}
	while ((c = fy_node_sequence_iterate(val, &it)) != NULL)
		add_range(ld, c, key, what, &w->hours, f->arg);
	return 0;
}

/* The zone's index in policy.tzs, loading it the first time it is named. */
static LD_FIELD_FN(hours_tz)
{
	struct pol_workshop *w = obj;
	char name[64], why[512];
	struct pol_tz *tz = NULL;
	char *slot;
	int r;

	if (ld_str(ld, val, key, what, LD_TEXT, name, sizeof(name)) != 0)
		return -1;
	for (size_t i = 0; i < ld->p->ntzs; i++)
		if (strcmp(ld->p->tzs[i]->name, name) == 0) {
			w->hours.tz = i;
			w->has_hours = 1;
			return 0;
		}
	r = pol_tz_load(ld->opts ? ld->opts->zoneinfo_dir : NULL, name, &tz, why, sizeof(why));
	if (r != 0) {
		ld_err(ld, r == PL_E_NOMEM ? r : PL_E_POLICY_TZ, val, key, "%s: %s", what,
		       r == PL_E_NOMEM ? "out of memory" : why);
		return -1;
	}
	if ((slot = ld_slot(ld, &ld->p->tzs, ld->p->ntzs, &ld->cap_tzs, sizeof(tz))) == NULL) {
		pol_tz_free(tz);
		return -1;
	}
	memcpy(slot, &tz, sizeof(tz));
	w->hours.tz = ld->p->ntzs++;
	w->has_hours = 1;
	return 0;
}

#define DAY(n, d)                                                                                  \
	{                                                                                          \
		.name = n, .type = LD_F_FN, .arg = d, .fn = hours_day                              \
	}
/* The weekdays in pol_day_names order (sun..sat). */
static const struct ld_field hours_fields[] = {
    LDF_FN("time_zone", hours_tz, LD_REQ),
    DAY("sun", 0),
    DAY("mon", 1),
    DAY("tue", 2),
    DAY("wed", 3),
    DAY("thu", 4),
    DAY("fri", 5),
    DAY("sat", 6),
};
static const struct ld_map hours_map = LD_TABLE(hours_fields);

static const struct ld_field ws_cert_fields[] = {
    LDF_STR("ou", struct pol_workshop, ou, LD_TEXT, 0),
    LDF_FN("device_cns", ws_devices, 0),
};
static const struct ld_map ws_cert_map = LD_TABLE(ws_cert_fields);

static const struct ld_field ws_fields[] = {
    LDF_MAP("certificate", &ws_cert_map, 0),
    LDF_SET("roles", LD_F_ROLES, struct pol_workshop, roles, LD_REQ, NULL),
    LDF_FN("vin_prefixes", ws_prefixes, 0),
    LDF_MAP("opening_hours", &hours_map, 0),
    LDF_BOOL("suspended", struct pol_workshop, suspended),
};
static const struct ld_map ws_map = LD_TABLE(ws_fields);

static const struct pol_loc *ws_loc(struct ld *ld, const char *id)
{
	size_t i;

	return ld_idx_find(&ld->ws_idx, ld->p, id, &i) ? &ld->p->workshops[i].loc : NULL;
}

/*
 * A new zeroed entry named id (a char[POL_ID_MAX] at id_off, its certificate
 * name at cert_off defaulting to it) at the end of the array *arrp of *n
 * elements, found by idx from now on; NULL after reporting.
 */
static char *add_indexed(struct ld *ld, void *arrp, size_t *n, size_t *cap, size_t elem,
                         struct ld_idx *idx, const char *id, size_t cert_off, struct pol_loc loc,
                         size_t loc_off)
{
	char *arr = ld_slot(ld, arrp, *n, cap, elem);

	if (arr == NULL)
		return NULL;
	_Static_assert(offsetof(struct pol_workshop, id) == 0 && offsetof(struct pol_tech, id) == 0,
	               "the id is the first member");
	pol_strlcpy(arr, id, POL_ID_MAX);
	if (ld_idx_add(idx, ld->p, *n) != 0) {
		ld_oom(ld);
		return NULL;
	}
	(*n)++;
	pol_strlcpy(arr + cert_off, id, POL_ID_MAX);
	memcpy(arr + loc_off, &loc, sizeof(loc));
	return arr;
}

static void *ws_add(struct ld *ld, const char *id, struct pol_loc loc)
{
	return add_indexed(ld, &ld->p->workshops, &ld->p->nworkshops, &ld->cap_ws,
	                   sizeof(struct pol_workshop), &ld->ws_idx, id,
	                   offsetof(struct pol_workshop, ou), loc,
	                   offsetof(struct pol_workshop, loc));
}

LD_FIELD_FN(ld_sec_workshops)
{
	static const struct named s = {
	    .section = "workshops",
	    .noun = "workshop id",
	    .name_cap = POL_ID_MAX,
	    .max = POL_MAX_WORKSHOPS,
	    .count_off = offsetof(struct policy, nworkshops),
	    .stop_at_max = 1,
	    .body = &ws_map,
	    .find = ws_loc,
	    .add = ws_add,
	};

	return named_section(ld, &s, val, key);
}

/* ---- technicians ------------------------------------------------------------------ */

static LD_FIELD_FN(tech_workshop)
{
	struct pol_tech *t = obj;
	char ws[POL_ID_MAX];

	if (ld_str(ld, val, key, what, LD_ID, ws, sizeof(ws)) != 0)
		return -1;
	if (ld_idx_find(&ld->ws_idx, ld->p, ws, &t->workshop))
		return 0;
	ld_err(ld, PL_E_POLICY_REF, val, key,
	       "%s: workshop '%s' is not defined in workshops:", what, ws);
	return -1;
}

static const struct ld_field tech_cert_fields[] = {
    LDF_STR("cn", struct pol_tech, cn, LD_TEXT, LD_REQ),
};
static const struct ld_map tech_cert_map = LD_TABLE(tech_cert_fields);

static const struct ld_field tech_fields[] = {
    LDF_MAP("certificate", &tech_cert_map, 0),
    LDF_FN("workshop", tech_workshop, LD_REQ),
    LDF_SET("roles", LD_F_ROLES, struct pol_tech, roles, LD_REQ, NULL),
    LDF_BOOL("suspended", struct pol_tech, suspended),
};
static const struct ld_map tech_map = LD_TABLE(tech_fields);

static const struct pol_loc *tech_loc(struct ld *ld, const char *id)
{
	size_t i;

	return ld_idx_find(&ld->tech_idx, ld->p, id, &i) ? &ld->p->techs[i].loc : NULL;
}

static void *tech_add(struct ld *ld, const char *id, struct pol_loc loc)
{
	return add_indexed(ld, &ld->p->techs, &ld->p->ntechs, &ld->cap_techs,
	                   sizeof(struct pol_tech), &ld->tech_idx, id,
	                   offsetof(struct pol_tech, cn), loc, offsetof(struct pol_tech, loc));
}

LD_FIELD_FN(ld_sec_technicians)
{
	static const struct named s = {
	    .section = "technicians",
	    .noun = "technician id",
	    .name_cap = POL_ID_MAX,
	    .max = POL_MAX_TECHS,
	    .count_off = offsetof(struct policy, ntechs),
	    .stop_at_max = 1,
	    .body = &tech_map,
	    .find = tech_loc,
	    .add = tech_add,
	};

	return named_section(ld, &s, val, key);
}
