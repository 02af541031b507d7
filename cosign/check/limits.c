/*
 * The co-signer's hard limits file (rules.h): per operation max_ttl, max_exi,
 * whether a second person must approve, and velocity limits. Read once at
 * start; no policy language, nothing the broker's policy can loosen.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "pl_file.h"
#include "pl_parse.h"
#include "request.h"
#include "rules.h"

const char *const cosign_scope_name[COSIGN_SCOPE_COUNT] = {"technician", "workshop", "vin",
                                                           "fleet"};

#define TTL_MAX 86400
#define WINDOW_MAX (31u * 86400)
#define COUNT_MAX 1000000

/* The attributes of an `operation` line: each once, all required. */
enum op_attr { ATTR_MAX_TTL, ATTR_MAX_EXI, ATTR_APPROVAL, ATTR_COUNT };
static const char *const attr_name[ATTR_COUNT] = {"max_ttl", "max_exi", "approval"};

__attribute__((format(printf, 3, 4))) static int bad(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return PL_E_COS_LIMITS_FILE;
}

static int attr_value(struct cosign_op_limits *o, int attr, const char *v, char *msg, size_t msglen)
{
	switch (attr) {
	case ATTR_MAX_TTL:
		if (pl_parse_u32(v, 1, TTL_MAX, &o->max_ttl) != 0)
			return bad(msg, msglen, "max_ttl must be 1..86400 seconds, got '%.40s'", v);
		return 0;
	case ATTR_MAX_EXI:
		if (pl_parse_u32(v, 1, TTL_MAX, &o->max_exi) != 0)
			return bad(msg, msglen, "max_exi must be 1..86400 seconds, got '%.40s'", v);
		return 0;
	default:
		if (strcmp(v, "required") == 0)
			o->approval = 1;
		else if (strcmp(v, "none") == 0)
			o->approval = 0;
		else
			return bad(msg, msglen,
			           "approval must be 'required' or 'none', got '%.40s'", v);
		return 0;
	}
}

static int op_line(struct cosign_limits *l, const struct cosign_line *ln, char *msg, size_t msglen)
{
	struct cosign_op_limits o;
	unsigned seen = 0;
	int r;

	memset(&o, 0, sizeof(o));
	if (ln->nwords != 2 + 2 * ATTR_COUNT)
		return bad(msg, msglen,
		           "write 'operation OP max_ttl SECONDS max_exi SECONDS approval "
		           "required|none'");
	if (!request_op_valid(ln->word[1], strlen(ln->word[1])))
		return bad(msg, msglen, "'%.40s' is not an operation name like door.unlock",
		           ln->word[1]);
	if (cosign_limits_find(l, ln->word[1]) != NULL)
		return bad(msg, msglen, "operation %.40s is given twice", ln->word[1]);
	if (l->nops == COSIGN_OPS_MAX)
		return bad(msg, msglen, "more than 32 operations");
	memcpy(o.op, ln->word[1], strlen(ln->word[1]) + 1);
	for (size_t i = 2; i < ln->nwords; i += 2) {
		int a = 0;

		while (a < ATTR_COUNT && strcmp(ln->word[i], attr_name[a]) != 0)
			a++;
		if (a == ATTR_COUNT)
			return bad(msg, msglen,
			           "unknown word '%.40s' (known: max_ttl, max_exi, approval)",
			           ln->word[i]);
		if (seen & (1u << a))
			return bad(msg, msglen, "%s is given twice", attr_name[a]);
		seen |= 1u << a;
		if ((r = attr_value(&o, a, ln->word[i + 1], msg, msglen)) != 0)
			return r;
	}
	l->op[l->nops++] = o;
	return 0;
}

/* "COUNT/WINDOW" */
static int rate_value(const char *v, struct cosign_rate *rt)
{
	char count[16];
	const char *slash = strchr(v, '/');
	size_t n = slash != NULL ? (size_t)(slash - v) : 0;

	if (slash == NULL || n == 0 || n >= sizeof(count))
		return -1;
	memcpy(count, v, n);
	count[n] = '\0';
	if (pl_parse_u32(count, 1, COUNT_MAX, &rt->count) != 0 ||
	    pl_parse_u32(slash + 1, 1, WINDOW_MAX, &rt->window_s) != 0)
		return -1;
	return 0;
}

static int velocity_line(struct cosign_limits *l, const struct cosign_line *ln, char *msg,
                         size_t msglen)
{
	struct cosign_op_limits *o;
	struct cosign_rate rt;
	int s = 0;

	memset(&rt, 0, sizeof(rt));
	if (ln->nwords != 4)
		return bad(msg, msglen,
		           "write 'velocity OP technician|workshop|vin|fleet COUNT/SECONDS'");
	if ((o = (struct cosign_op_limits *)cosign_limits_find(l, ln->word[1])) == NULL)
		return bad(msg, msglen, "velocity for %.40s before its 'operation %.40s' line",
		           ln->word[1], ln->word[1]);
	while (s < COSIGN_SCOPE_COUNT && strcmp(ln->word[2], cosign_scope_name[s]) != 0)
		s++;
	if (s == COSIGN_SCOPE_COUNT)
		return bad(msg, msglen,
		           "unknown scope '%.40s' (known: technician, workshop, vin, fleet)",
		           ln->word[2]);
	rt.scope = (enum cosign_scope)s;
	if (rate_value(ln->word[3], &rt) != 0)
		return bad(msg, msglen,
		           "'%.40s' is not COUNT/SECONDS (1..1000000 / 1..2678400), e.g. 20/3600",
		           ln->word[3]);
	for (size_t i = 0; i < o->nrates; i++)
		if (o->rate[i].scope == rt.scope && o->rate[i].window_s == rt.window_s)
			return bad(msg, msglen,
			           "a %s limit over this window is already given for %.40s",
			           cosign_scope_name[s], o->op);
	if (o->nrates == COSIGN_RATES_MAX)
		return bad(msg, msglen, "more than 8 velocity lines for %.40s", o->op);
	snprintf(rt.text, sizeof(rt.text), "velocity %s %s %u/%u", o->op, cosign_scope_name[s],
	         rt.count, rt.window_s);
	o->rate[o->nrates++] = rt;
	return 0;
}

static int limits_line(void *ctx, const struct cosign_line *ln, char *msg, size_t msglen)
{
	if (strcmp(ln->word[0], "operation") == 0)
		return op_line(ctx, ln, msg, msglen);
	if (strcmp(ln->word[0], "velocity") == 0)
		return velocity_line(ctx, ln, msg, msglen);
	return bad(msg, msglen, "unknown directive '%.40s' (known: operation, velocity)",
	           ln->word[0]);
}

int cosign_limits_parse(const char *name, const char *text, size_t len, struct cosign_limits *out,
                        char *err, size_t errlen)
{
	struct cosign_limits *l = calloc(1, sizeof(*l));
	int r;

	if (l == NULL)
		return PL_E_NOMEM;
	r = cosign_words_walk(name, text, len, PL_E_COS_LIMITS_FILE, limits_line, l, err, errlen);
	if (r == 0 && l->nops == 0) {
		snprintf(err, errlen,
		         "%s: no 'operation' line: the co-signer would sign nothing; list the "
		         "operations it co-signs",
		         name);
		r = PL_E_COS_LIMITS_FILE;
	}
	if (r == 0)
		*out = *l;
	free(l);
	return r;
}

const struct cosign_op_limits *cosign_limits_find(const struct cosign_limits *l, const char *op)
{
	for (size_t i = 0; i < l->nops; i++)
		if (strcmp(l->op[i].op, op) == 0)
			return &l->op[i];
	return NULL;
}

int cosign_limits_load(const char *path, struct cosign_limits *out, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = pl_read_file(path, COSIGN_RULES_FILE_MAX, &buf, &len)) != 0) {
		snprintf(err, errlen, "limits %s: cannot read it: %s", path, pl_strerror(r));
		return r;
	}
	r = cosign_limits_parse(path, (const char *)buf, len, out, err, errlen);
	free(buf);
	return r;
}
