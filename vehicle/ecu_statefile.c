#include <stdio.h>
#include <string.h>

#include "ecu_statefile.h"
#include "pl_err.h"

/* ---- writer ------------------------------------------------------------ */

struct jw {
	char *p;
	size_t cap;
	size_t len;
	int err;
};

static void jw_raw(struct jw *w, const char *s)
{
	size_t n = strlen(s);

	if (w->err != 0)
		return;
	if (n >= w->cap - w->len) {
		w->err = PL_E_NOSPACE;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

static void jw_key(struct jw *w, const char *key, int first)
{
	if (!first)
		jw_raw(w, ",");
	jw_raw(w, "\"");
	jw_raw(w, key);
	jw_raw(w, "\":");
}

/* Values written here never need escaping: they come from fixed tables, the
 * VIN alphabet, the operation catalogue and the DTC formatter. */
static void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key, 0);
	jw_raw(w, "\"");
	jw_raw(w, val);
	jw_raw(w, "\"");
}

static void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)val);
	jw_key(w, key, 0);
	jw_raw(w, num);
}

int ecu_statefile_format(const struct ecu_status *st, char *out, size_t cap, size_t *len)
{
	struct jw w = {out, cap, 0, 0};
	char dtc[6];

	if (cap == 0)
		return PL_E_NOSPACE;
	out[0] = '\0';
	jw_raw(&w, "{");
	jw_key(&w, "vin", 1);
	jw_raw(&w, "\"");
	jw_raw(&w, st->vin);
	jw_raw(&w, "\"");
	jw_str(&w, "session", st->session == ECU_SESSION_EXTENDED ? "extended" : "default");
	jw_str(&w, "doors", st->vehicle.doors_locked ? "locked" : "unlocked");
	jw_str(&w, "ignition", st->vehicle.ignition_on ? "on" : "off");
	jw_str(&w, "auth", st->scope[0] != '\0' ? st->scope : "none");
	jw_u64(&w, "attempts", st->vehicle.failed_attempts);
	jw_key(&w, "locked_out", 0);
	jw_raw(&w, st->locked_out ? "true" : "false");
	jw_u64(&w, "key_learn_count", st->vehicle.key_learn_count);
	jw_key(&w, "dtcs", 0);
	jw_raw(&w, "[");
	for (size_t i = 0; i < st->vehicle.ndtc && i < ECU_DTC_MAX; i++) {
		if (ecu_dtc_format(st->vehicle.dtc[i], dtc) != 0)
			return PL_E_RANGE;
		if (i > 0)
			jw_raw(&w, ",");
		jw_raw(&w, "\"");
		jw_raw(&w, dtc);
		jw_raw(&w, "\"");
	}
	jw_raw(&w, "]}\n");
	if (w.err != 0)
		return w.err;
	*len = w.len;
	return 0;
}

/* ---- reader ------------------------------------------------------------ */

struct jr {
	const char *p;
	size_t len;
	size_t off;
};

struct jstr {
	const char *p;
	size_t len;
};

static void jr_ws(struct jr *r)
{
	while (r->off < r->len && (r->p[r->off] == ' ' || r->p[r->off] == '\t' ||
	                           r->p[r->off] == '\n' || r->p[r->off] == '\r'))
		r->off++;
}

static int jr_char(struct jr *r, char c)
{
	jr_ws(r);
	if (r->off >= r->len || r->p[r->off] != c)
		return PL_E_SYNTAX;
	r->off++;
	return 0;
}

static int jr_peek(struct jr *r, char c)
{
	jr_ws(r);
	return r->off < r->len && r->p[r->off] == c;
}

static int jr_str(struct jr *r, struct jstr *s)
{
	size_t start;

	if (jr_char(r, '"') != 0)
		return PL_E_SYNTAX;
	start = r->off;
	for (;;) {
		if (r->off >= r->len)
			return PL_E_SYNTAX;
		char c = r->p[r->off];
		if (c == '"')
			break;
		/* Printable ASCII only; escapes are never written, so never read. */
		if (c < 0x20 || c > 0x7E || c == '\\')
			return PL_E_SYNTAX;
		r->off++;
	}
	s->p = r->p + start;
	s->len = r->off - start;
	r->off++;
	return 0;
}

static int jr_u32(struct jr *r, uint32_t *v)
{
	uint64_t n = 0;
	size_t start;

	jr_ws(r);
	start = r->off;
	while (r->off < r->len && r->p[r->off] >= '0' && r->p[r->off] <= '9') {
		n = n * 10 + (uint64_t)(r->p[r->off] - '0');
		if (n > UINT32_MAX)
			return PL_E_RANGE;
		r->off++;
	}
	if (r->off == start)
		return PL_E_SYNTAX;
	if (r->p[start] == '0' && r->off - start > 1)
		return PL_E_SYNTAX;
	*v = (uint32_t)n;
	return 0;
}

static int jr_word(struct jr *r, const char *w)
{
	size_t n = strlen(w);

	jr_ws(r);
	if (r->len - r->off < n || memcmp(r->p + r->off, w, n) != 0)
		return PL_E_SYNTAX;
	r->off += n;
	return 0;
}

static int jstr_is(const struct jstr *s, const char *w)
{
	return s->len == strlen(w) && memcmp(s->p, w, s->len) == 0;
}

/* One of two words: *v = 1 for yes, 0 for no. */
static int jr_choice(struct jr *r, const char *yes, const char *no, int *v)
{
	struct jstr s;
	int rc = jr_str(r, &s);

	if (rc != 0)
		return rc;
	if (jstr_is(&s, yes))
		*v = 1;
	else if (jstr_is(&s, no))
		*v = 0;
	else
		return PL_E_SYNTAX;
	return 0;
}

static int jr_dtcs(struct jr *r, struct ecu_vehicle *v)
{
	struct jstr s;
	int rc;

	if ((rc = jr_char(r, '[')) != 0)
		return rc;
	v->ndtc = 0;
	if (jr_peek(r, ']'))
		return jr_char(r, ']');
	for (;;) {
		if (v->ndtc == ECU_DTC_MAX)
			return PL_E_RANGE;
		if ((rc = jr_str(r, &s)) != 0)
			return rc;
		if ((rc = ecu_dtc_parse(s.p, s.len, &v->dtc[v->ndtc])) != 0) {
			r->off -= s.len + 1;
			return rc;
		}
		v->ndtc++;
		if (jr_peek(r, ']'))
			return jr_char(r, ']');
		if ((rc = jr_char(r, ',')) != 0)
			return rc;
	}
}

enum {
	K_VIN,
	K_SESSION,
	K_DOORS,
	K_IGNITION,
	K_AUTH,
	K_ATTEMPTS,
	K_LOCKED_OUT,
	K_KEY_LEARN,
	K_DTCS,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "vin",      "session",    "doors",           "ignition", "auth",
    "attempts", "locked_out", "key_learn_count", "dtcs",
};

/* Keys that must be present: the persisted ones. */
static const unsigned required_keys = (1u << K_VIN) | (1u << K_DOORS) | (1u << K_IGNITION) |
                                      (1u << K_ATTEMPTS) | (1u << K_KEY_LEARN) | (1u << K_DTCS);

static int jr_value(struct jr *r, int key, char vin[PLT_VIN_LEN + 1], struct ecu_vehicle *v)
{
	struct jstr s;
	int b, rc = 0;

	switch (key) {
	case K_VIN:
		if ((rc = jr_str(r, &s)) != 0)
			return rc;
		if (!plt_vin_valid(s.p, s.len)) {
			r->off -= s.len + 1;
			return PL_E_SYNTAX;
		}
		memcpy(vin, s.p, PLT_VIN_LEN);
		vin[PLT_VIN_LEN] = '\0';
		return 0;
	case K_SESSION:
		return jr_choice(r, "extended", "default", &b);
	case K_DOORS:
		return jr_choice(r, "locked", "unlocked", &v->doors_locked);
	case K_IGNITION:
		return jr_choice(r, "on", "off", &v->ignition_on);
	case K_AUTH:
		if ((rc = jr_str(r, &s)) != 0)
			return rc;
		if (!jstr_is(&s, "none") &&
		    ecu_routine_by_op((const uint8_t *)s.p, s.len) == NULL) {
			r->off -= s.len + 1;
			return PL_E_SYNTAX;
		}
		return 0;
	case K_ATTEMPTS:
		return jr_u32(r, &v->failed_attempts);
	case K_LOCKED_OUT:
		if (jr_peek(r, 't'))
			return jr_word(r, "true");
		return jr_word(r, "false");
	case K_KEY_LEARN:
		return jr_u32(r, &v->key_learn_count);
	case K_DTCS:
		return jr_dtcs(r, v);
	default:
		return PL_E_INTERNAL;
	}
}

int ecu_statefile_parse(const char *text, size_t len, char vin[PLT_VIN_LEN + 1],
                        struct ecu_vehicle *v, size_t *err_off)
{
	struct jr r = {text, len, 0};
	struct ecu_vehicle nv;
	char nvin[PLT_VIN_LEN + 1] = "";
	unsigned seen = 0;
	struct jstr k;
	int rc, key;

	memset(&nv, 0, sizeof(nv));
	if ((rc = jr_char(&r, '{')) != 0)
		goto out;
	for (;;) {
		size_t key_off;

		jr_ws(&r);
		key_off = r.off;
		if ((rc = jr_str(&r, &k)) != 0)
			goto out;
		for (key = 0; key < K_COUNT; key++)
			if (jstr_is(&k, key_names[key]))
				break;
		if (key == K_COUNT) {
			r.off = key_off;
			rc = PL_E_SYNTAX;
			goto out;
		}
		if (seen & (1u << key)) {
			r.off = key_off;
			rc = PL_E_EXISTS;
			goto out;
		}
		seen |= 1u << key;
		if ((rc = jr_char(&r, ':')) != 0)
			goto out;
		if ((rc = jr_value(&r, key, nvin, &nv)) != 0)
			goto out;
		if (jr_peek(&r, '}'))
			break;
		if ((rc = jr_char(&r, ',')) != 0)
			goto out;
	}
	r.off++;
	jr_ws(&r);
	if (r.off != r.len) {
		rc = PL_E_SYNTAX;
		goto out;
	}
	if ((seen & required_keys) != required_keys) {
		rc = PL_E_NOTFOUND;
		goto out;
	}
	memcpy(vin, nvin, sizeof(nvin));
	*v = nv;
	rc = 0;
out:
	if (rc != 0 && err_off != NULL)
		*err_off = r.off;
	return rc;
}
