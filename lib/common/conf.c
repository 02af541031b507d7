#include <arpa/inet.h>
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

/* The host part of s: [h, *hlen), AF in *af; the port text follows *colon. */
static int split_addr(const char *s, const char **h, size_t *hlen, const char **colon, int *af)
{
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		*h = s + 1;
		*hlen = (size_t)(close - s - 1);
		*colon = close + 1;
		*af = AF_INET6;
		return 0;
	}
	if ((*colon = strrchr(s, ':')) == NULL)
		return -1;
	*h = s;
	*hlen = (size_t)(*colon - s);
	*af = AF_INET;
	return 0;
}

int pl_conf_parse_addr(const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *hs, *colon;
	char h[PL_CONF_ADDR_MAX];
	unsigned char tmp[16];
	size_t hlen;
	uint32_t p;
	int af;

	if (split_addr(s, &hs, &hlen, &colon, &af) != 0)
		return -1;
	if (hlen == 0 || hlen >= sizeof(h) || hlen >= cap)
		return -1;
	memcpy(h, hs, hlen);
	h[hlen] = '\0';
	if (inet_pton(af, h, tmp) != 1 || pl_parse_u32(colon + 1, 0, 65535, &p) != 0)
		return -1;
	memcpy(host, h, hlen + 1);
	*port = (uint16_t)p;
	return 0;
}

int pl_conf_user_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

int pl_conf_role_oid_ok(const char *s)
{
	static const char *const device_ekus[] = {
	    "1.3.6.1.5.5.7.3.1",
	    "1.3.6.1.5.5.7.3.2",
	    "2.5.29.37.0",
	};
	size_t arcs = 1;

	if (!(s[0] >= '0' && s[0] <= '2') || s[1] != '.')
		return 0;
	for (const char *p = s + 1; *p != '\0'; p++) {
		if (*p == '.') {
			if (p[1] < '0' || p[1] > '9')
				return 0;
			arcs++;
		} else if (*p < '0' || *p > '9') {
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(device_ekus) / sizeof(device_ekus[0]); i++)
		if (strcmp(s, device_ekus[i]) == 0)
			return 0;
	return arcs >= 2;
}

int pl_conf_set_path_or_none(const char *v, char *dst, size_t cap, int *none)
{
	size_t n = strlen(v);

	if (strcmp(v, "none") == 0) {
		dst[0] = '\0';
		*none = 1;
		return 0;
	}
	if (n >= cap)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

void pl_conf_print_addr(FILE *f, const char *key, const char *host, uint16_t port)
{
	if (strchr(host, ':') != NULL)
		fprintf(f, "%s [%s]:%u\n", key, host, port);
	else
		fprintf(f, "%s %s:%u\n", key, host, port);
}

void pl_conf_print_field(const struct pl_conf_key *k, const void *cfg, FILE *f)
{
	const char *field = (const char *)cfg + k->off;
	uint32_t u;

	switch (k->kind) {
	case PL_CONF_STR:
		if (field[0] != '\0')
			fprintf(f, "%s %s\n", k->name, field);
		break;
	case PL_CONF_U32:
	case PL_CONF_U32_ANY:
		memcpy(&u, field, sizeof(u));
		fprintf(f, "%s %u\n", k->name, u);
		break;
	case PL_CONF_CUSTOM:
		break;
	}
}
