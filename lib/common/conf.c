#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_conf.h"
#include "pl_err.h"
#include "pl_parse.h"

#define CONF_VALUE_MAX 4096

static const struct pl_conf_key *find_key(const struct pl_conf_spec *s, const char *name,
                                          size_t len)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strlen(s->keys[i].name) == len && memcmp(s->keys[i].name, name, len) == 0)
			return &s->keys[i];
	return NULL;
}

static int apply(const struct pl_conf_spec *s, const struct pl_conf_key *k, void *cfg,
                 const char *v, char *msg, size_t msglen)
{
	char *field = (char *)cfg + k->off;
	uint32_t u;
	int r;

	switch (k->kind) {
	case PL_CONF_STR:
		if (strlen(v) >= k->size) {
			snprintf(msg, msglen, "%s is longer than %zu bytes", k->name, k->size - 1);
			return s->codes->value;
		}
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case PL_CONF_U32:
	case PL_CONF_U32_ANY:
		r = k->kind == PL_CONF_U32 ? pl_parse_u32(v, k->min, k->max, &u)
		                           : pl_parse_u32_any(v, k->min, k->max, &u);
		if (r != 0 && k->kind == PL_CONF_U32_ANY) {
			snprintf(msg, msglen,
			         "%s must be a number from 0x%X to 0x%X (decimal or 0x-hex), got "
			         "'%.200s'",
			         k->name, (unsigned)k->min, (unsigned)k->max, v);
			return s->codes->value;
		}
		if (r != 0) {
			snprintf(msg, msglen,
			         "%s must be a whole number from %u to %u, got '%.200s'", k->name,
			         (unsigned)k->min, (unsigned)k->max, v);
			return s->codes->value;
		}
		memcpy(field, &u, sizeof(u));
		return 0;
	case PL_CONF_CUSTOM:
		return k->set(cfg, v, msg, msglen);
	}
	return PL_E_INTERNAL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Parses one line [p, end); seen[] marks keys already given. */
static int parse_line(const struct pl_conf_spec *s, void *cfg, const char *p, const char *end,
                      unsigned char *seen, char *msg, size_t msglen)
{
	const char *ks, *ke, *vs, *ve;
	const struct pl_conf_key *k;
	char value[CONF_VALUE_MAX + 1];

	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	for (const char *q = p; q < end; q++) {
		if ((unsigned char)*q < 0x20 && !is_blank(*q)) {
			snprintf(msg, msglen, "control character in line; is it a text file?");
			return s->codes->syntax;
		}
	}
	ks = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	ke = p;
	while (p < end && is_blank(*p))
		p++;
	vs = p;
	ve = end;
	while (ve > vs && is_blank(ve[-1]))
		ve--;
	if ((k = find_key(s, ks, (size_t)(ke - ks))) == NULL) {
		snprintf(msg, msglen, "unknown key '%.*s' (known keys are listed in %s)",
		         (int)(ke - ks > 64 ? 64 : ke - ks), ks, s->docs);
		return s->codes->unknown;
	}
	if (vs == ve) {
		snprintf(msg, msglen, "key '%s' has no value; write '%s <%s>'", k->name, k->name,
		         k->help);
		return s->codes->syntax;
	}
	if ((size_t)(ve - vs) > CONF_VALUE_MAX) {
		snprintf(msg, msglen, "value of '%s' is longer than %d bytes", k->name,
		         CONF_VALUE_MAX);
		return s->codes->value;
	}
	if (seen[k - s->keys]) {
		snprintf(msg, msglen, "key '%s' given twice; keep one line", k->name);
		return s->codes->dup;
	}
	seen[k - s->keys] = 1;
	memcpy(value, vs, (size_t)(ve - vs));
	value[ve - vs] = '\0';
	return apply(s, k, cfg, value, msg, msglen);
}

int pl_conf_parse(const struct pl_conf_spec *s, const char *name, const char *text, size_t len,
                  void *cfg, char *err, size_t errlen)
{
	unsigned char *seen;
	char msg[600];
	unsigned line = 0;
	const char *p = text, *stop = text + len;
	int r = 0;

	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte; is it a text file?", name);
		return s->codes->syntax;
	}
	if ((seen = calloc(s->nkeys ? s->nkeys : 1, 1)) == NULL)
		return PL_E_NOMEM;
	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		const char *end = nl ? nl : stop;

		line++;
		msg[0] = '\0';
		if ((r = parse_line(s, cfg, p, end, seen, msg, sizeof(msg))) != 0) {
			snprintf(err, errlen, "%s:%u: %s", name, line, msg);
			goto out;
		}
		p = nl ? nl + 1 : stop;
	}
	for (size_t i = 0; i < s->nkeys; i++) {
		if (s->keys[i].required && !seen[i]) {
			snprintf(err, errlen,
			         "%s: required key '%s' is missing; add a line '%s <%s>'", name,
			         s->keys[i].name, s->keys[i].name, s->keys[i].help);
			r = s->codes->missing;
			goto out;
		}
	}
	r = 0;
out:
	free(seen);
	return r;
}
