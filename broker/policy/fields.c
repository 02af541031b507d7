/*
 * The table-driven mapping reader of the policy loader. Every mapping of the
 * language (a section, an entry, a nested block) has a table of its fields
 * (load.h: struct ld_field): the key, the type of the value (a string of a
 * kind and length, an integer range, a boolean, a word, a list of operation
 * or role names, a nested mapping, or a reader of its own), whether it is
 * required, and where the value goes. ld_walk() is the one function that
 * reads them all, like lib/common's pl_conf_parse() for "key value" files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pl_err.h"
#include "pl_err_policy.h"

void ld_oom(struct ld *ld)
{
	ld_err_at(ld, PL_E_NOMEM, ld->cur, 0, 0, "out of memory");
}

char *ld_slot(struct ld *ld, void *arrp, size_t n, size_t *cap, size_t elem)
{
	char *arr;

	memcpy(&arr, arrp, sizeof(arr));
	if ((arr = ld_grow(arr, cap, n, elem)) == NULL) {
		ld_oom(ld);
		return NULL;
	}
	memcpy(arrp, &arr, sizeof(arr));
	return arr + n * elem;
}

/* Every key known and given once, every required key there (-2: not a mapping). */
int ld_keys(struct ld *ld, const struct ld_map *m, struct fy_node *map, struct fy_node *mapkey,
            const char *what, struct ld_got *got)
{
	struct fy_node_pair *pr;
	void *it = NULL;
	unsigned before = ld->nerrors;

	if (m->n > LD_MAX_FIELDS) { /* got[] holds LD_MAX_FIELDS */
		ld_err_at(ld, PL_E_INTERNAL, ld->cur, 0, 0, "%s: field table too long", what);
		return -2;
	}
	memset(got, 0, m->n * sizeof(*got));
	if (ld_is_map(ld, map, mapkey, what) != 0)
		return -2;
	while ((pr = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pr);
		size_t len = 0, i;
		const char *s = ld_scalar(ld, k, mapkey, what, "a key", &len);

		if (s == NULL)
			continue;
		for (i = 0; i < m->n; i++)
			if (strlen(m->f[i].name) == len && memcmp(m->f[i].name, s, len) == 0)
				break;
		if (i == m->n) {
			char list[256];

			ld_words(list, sizeof(list), m->f, sizeof(m->f[0]), m->n);
			ld_err(ld, PL_E_POLICY_SCHEMA, k, mapkey,
			       "%s: unknown key '%.*s' (allowed: %s)", what,
			       (int)(len > 40 ? 40 : len), s, list);
		} else if (got[i].key != NULL) {
			struct pol_loc first = ld_loc(ld, got[i].key, NULL);

			ld_err(ld, PL_E_POLICY_DUP, k, mapkey,
			       "%s: duplicate key '%s' (first at line %u, column %u)", what,
			       m->f[i].name, (unsigned)first.line, (unsigned)first.col);
		} else {
			got[i].key = k;
			got[i].val = fy_node_pair_value(pr);
		}
	}
	for (size_t i = 0; i < m->n; i++)
		if ((m->f[i].flags & LD_REQ) && got[i].key == NULL)
			ld_err(ld, PL_E_POLICY_SCHEMA, map, mapkey, "%s: missing key '%s'", what,
			       m->f[i].name);
	return ld->nerrors == before ? 0 : -1;
}

static int find_op(const struct policy *p, const char *name, size_t *idx)
{
	return pol_find_op(p, name, idx) != NULL;
}

static int find_role(const struct policy *p, const char *name, size_t *idx)
{
	for (size_t i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i].name, name) == 0) {
			*idx = i;
			return 1;
		}
	return 0;
}

/* A list of operation or role names as a bit set (both at most 64). */
static int name_set(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
                    int roles, uint64_t *out)
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
		if (!(roles ? find_role : find_op)(ld->p, name, &idx)) {
			ld_err(ld, PL_E_POLICY_REF, c, key,
			       "%s: %s '%s' is not defined in %s:", what,
			       roles ? "role" : "operation", name, roles ? "roles" : "operations");
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

static LD_FIELD_FN(read_field)
{
	char *at = (char *)obj + f->off;
	uint32_t v;
	int r = -1;

	switch (f->type) {
	case LD_F_STR:
		r = ld_str(ld, val, key, what, f->kind, at, f->size);
		break;
	case LD_F_U32:
		r = ld_u32(ld, val, key, what, f->min, f->max, &v);
		if (r == 0 && f->size == sizeof(uint16_t)) {
			uint16_t s = (uint16_t)v;

			memcpy(at, &s, sizeof(s));
		} else if (r == 0) {
			memcpy(at, &v, sizeof(v));
		}
		break;
	case LD_F_BOOL:
		r = ld_bool(ld, val, key, what, (int *)(void *)at);
		break;
	case LD_F_ENUM:
		r = ld_enum(ld, val, key, what, f->words, f->nwords, (int *)(void *)at);
		break;
	case LD_F_OPS:
	case LD_F_ROLES:
		r = name_set(ld, val, key, what, f->type == LD_F_ROLES, (uint64_t *)(void *)at);
		break;
	case LD_F_MAP:
		r = ld_walk(ld, f->sub, val, key, what, NULL, obj, NULL);
		break;
	case LD_F_FN:
		return f->fn(ld, f, obj, val, key, what);
	case LD_F_CALLER:
		return 0;
	}
	if (r == 0 && f->fn != NULL)
		r = f->fn(ld, f, obj, val, key, what);
	return r;
}

/* "a.b" into buf (what a message says: a long path is cut, never overflows). */
static void join(char *buf, size_t cap, const char *a, const char *b)
{
	if (snprintf(buf, cap, "%s.%s", a, b) >= (int)cap)
		buf[cap - 1] = '\0';
}

int ld_walk(struct ld *ld, const struct ld_map *m, struct fy_node *map, struct fy_node *mapkey,
            const char *what, const char *prefix, void *obj, struct ld_got *got)
{
	struct ld_got own[LD_MAX_FIELDS];
	char pfx[LD_WHAT_MAX], fwhat[LD_WHAT_MAX];
	unsigned before = ld->nerrors;
	int r;

	if (got == NULL)
		got = own;
	if (prefix == NULL)
		prefix = what;
	snprintf(pfx, sizeof(pfx), "%s", prefix);
	r = ld_keys(ld, m, map, mapkey, what, got);
	if (r == -2 || (r != 0 && m->strict))
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		const struct ld_field *f = &m->f[i];

		if (got[i].key == NULL) {
			if (f->flags & LD_STOP)
				return -1;
			continue;
		}
		join(fwhat, sizeof(fwhat), pfx, f->name);
		got[i].ok = read_field(ld, f, obj, got[i].val, got[i].key, fwhat) == 0;
		if (!got[i].ok && (m->strict || (f->flags & LD_STOP)))
			return -1;
		if (got[i].ok && (f->flags & LD_NAME))
			join(pfx, sizeof(pfx), prefix, (const char *)obj + f->off);
	}
	return ld->nerrors == before ? 0 : -1;
}

int ld_str_list(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, int kind,
                ld_str_ok_fn ok, size_t max, void *arr, size_t elem, size_t *count, size_t *cap)
{
	struct fy_node *c;
	void *it = NULL;

	if (ld_is_seq(ld, n, key, what) != 0)
		return -1;
	while ((c = fy_node_sequence_iterate(n, &it)) != NULL) {
		char s[POL_ID_MAX], *items, *slot;
		size_t i;

		if (ld_str(ld, c, key, what, kind, s, sizeof(s)) != 0 ||
		    (ok != NULL && ok(ld, c, key, what, s) != 0))
			continue;
		memcpy(&items, arr, sizeof(items));
		for (i = 0; i < *count && strcmp(items + i * elem, s) != 0; i++)
			;
		if (i < *count) {
			ld_err(ld, PL_E_POLICY_DUP, c, key, "%s: '%s' is listed twice", what, s);
			continue;
		}
		if (max != 0 && *count >= max) {
			ld_err(ld, PL_E_POLICY_LIMIT, c, key, "%s: more than %zu entries", what,
			       max);
			return -1;
		}
		if ((slot = ld_slot(ld, arr, *count, cap, elem)) == NULL)
			return -1;
		pol_strlcpy(slot, s, elem);
		(*count)++;
	}
	return 0;
}
