/*
 * The strict YAML reader under the policy loader (libfyaml 0.7.12).
 *
 * - Bytes are checked first: UTF-8 only, no NUL or control characters other
 *   than tab/CR/LF (libfyaml accepts some of them silently).
 * - libfyaml's own diagnostics (syntax errors) are collected, not printed,
 *   and turned into policy errors at the start mark of the offending token.
 * - Duplicate keys are errors, found by the field walker (fields.c) and by
 *   the section parsers (names), in linear time.
 * - One document per file; anchors, aliases and tags are refused (they keep
 *   "billion laughs" out and make every file read the same way).
 * - libfyaml does no implicit typing; ld_str/ld_u32/ld_bool type scalars
 *   themselves: booleans are exactly true/false, integers are plain decimal or
 *   0x hex, and a plain scalar that reads as null or a boolean is not a string.
 * - Positions: 0-based libfyaml marks, printed +1. A collection is located at
 *   its first key or item; an empty one at its key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pl_err.h"
#include "pl_err_policy.h"
#include "pl_parse.h"

static void ld_report(struct ld *ld, int err, uint32_t file, unsigned line, unsigned col,
                      const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static void ld_report(struct ld *ld, int err, uint32_t file, unsigned line, unsigned col,
                      const char *fmt, va_list ap)
{
	struct policy_diag d;

	memset(&d, 0, sizeof(d));
	if (ld->p != NULL && file < ld->p->nfiles)
		pol_strlcpy(d.file, ld->p->files[file], sizeof(d.file));
	d.line = line;
	d.col = col;
	d.err = err;
	vsnprintf(d.msg, sizeof(d.msg), fmt, ap);
	if (ld->nerrors == 0) {
		ld->first_err = err;
		if (ld->first != NULL)
			*ld->first = d;
	}
	ld->nerrors++;
	if (ld->opts != NULL && ld->opts->diag_fn != NULL)
		ld->opts->diag_fn(ld->opts->diag_ctx, &d);
}

void ld_err_at(struct ld *ld, int err, uint32_t file, unsigned line, unsigned col, const char *fmt,
               ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_report(ld, err, file, line, col, fmt, ap);
	va_end(ap);
}

static const struct fy_mark *node_mark(struct fy_node *n, unsigned depth)
{
	void *it = NULL;

	if (n == NULL || depth > POL_MAX_DEPTH)
		return NULL;
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR:
		return fy_token_start_mark(fy_node_get_scalar_token(n));
	case FYNT_MAPPING: {
		struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);

		return pr != NULL ? node_mark(fy_node_pair_key(pr), depth + 1) : NULL;
	}
	case FYNT_SEQUENCE:
		return node_mark(fy_node_sequence_iterate(n, &it), depth + 1);
	}
	return NULL;
}

struct pol_loc ld_loc(struct ld *ld, struct fy_node *n, struct fy_node *fallback)
{
	const struct fy_mark *m = node_mark(n, 0);
	struct pol_loc loc = {.file = ld->cur, .line = 0, .col = 0};

	if (m == NULL)
		m = node_mark(fallback, 0);
	if (m != NULL) {
		loc.line = (uint32_t)m->line + 1;
		loc.col = (uint32_t)m->column + 1;
	}
	return loc;
}

void ld_loc_str(const struct ld *ld, const struct pol_loc *loc, char *buf, size_t cap)
{
	const char *f = loc->file < ld->p->nfiles ? ld->p->files[loc->file] : "?";

	snprintf(buf, cap, "%s:%u:%u", f, (unsigned)loc->line, (unsigned)loc->col);
}

void ld_err(struct ld *ld, int err, struct fy_node *n, struct fy_node *fallback, const char *fmt,
            ...)
{
	struct pol_loc loc = ld_loc(ld, n, fallback);
	va_list ap;

	va_start(ap, fmt);
	ld_report(ld, err, loc.file, loc.line, loc.col, fmt, ap);
	va_end(ap);
}

/* ---- bytes and libfyaml diagnostics ---------------------------------------- */

/* Length of the UTF-8 sequence at s (0 = invalid), strict (no overlongs, no surrogates). */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int check_bytes(struct ld *ld, const unsigned char *s, size_t len)
{
	unsigned line = 1, col = 1;
	size_t i = 0;

	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		ld_err_at(ld, PL_E_POLICY_SYNTAX, ld->cur, 1, 1,
		          "byte order mark at the start of the file; save it as UTF-8 without BOM");
		return -1;
	}
	while (i < len) {
		size_t n = utf8_len(s + i, len - i);

		if (n == 0) {
			ld_err_at(ld, PL_E_POLICY_SYNTAX, ld->cur, line, col,
			          "invalid UTF-8 (byte 0x%02x at offset %zu); policy files are "
			          "UTF-8 text",
			          s[i], i);
			return -1;
		}
		if (n == 1 && ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') ||
		               s[i] == 0x7f)) {
			ld_err_at(ld, PL_E_POLICY_SYNTAX, ld->cur, line, col,
			          "control character 0x%02x at offset %zu; remove it", s[i], i);
			return -1;
		}
		if (s[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i += n;
	}
	return 0;
}

/* libfyaml prints nothing: its errors are collected (fy_diag_set_collect_errors). */
static void diag_silent(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/* Reports (then forgets) libfyaml's collected errors, at the offending token's start mark. */
static void report_yaml_errors(struct ld *ld, struct fy_diag *diag)
{
	struct fy_diag_error *e;
	void *it = NULL;

	while ((e = fy_diag_errors_iterate(diag, &it)) != NULL) {
		const struct fy_mark *m = e->fyt != NULL ? fy_token_start_mark(e->fyt) : NULL;
		size_t mlen = strcspn(e->msg, "\n");

		if (e->type < FYET_ERROR)
			continue;
		ld_err_at(ld, PL_E_POLICY_SYNTAX, ld->cur, m != NULL ? (unsigned)m->line + 1 : 0,
		          m != NULL ? (unsigned)m->column + 1 : 0, "YAML: %.*s",
		          (int)(mlen < 199 ? mlen : 199), e->msg);
	}
	fy_diag_set_collect_errors(diag, false);
	fy_diag_set_collect_errors(diag, true);
}

/* ---- anchors, aliases, tags, complex keys, depth ------------------------- */

static void prewalk(struct ld *ld, struct fy_node *n, struct fy_node *key, unsigned depth)
{
	void *it = NULL;

	if (n == NULL)
		return;
	if (depth > POL_MAX_DEPTH) {
		ld_err(ld, PL_E_POLICY_SCHEMA, n, key, "nesting deeper than %u levels",
		       POL_MAX_DEPTH);
		return;
	}
	if (fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_style(n) == FYNS_ALIAS) {
		ld_err(ld, PL_E_POLICY_SCHEMA, n, key,
		       "aliases (*name) are not allowed in policies; write the value out");
		return;
	}
	if (fy_node_get_anchor(n) != NULL)
		ld_err(ld, PL_E_POLICY_SCHEMA, n, key,
		       "anchors (&name) are not allowed in policies; write the value out");
	if (fy_node_get_tag(n, NULL) != NULL) {
		struct fy_token *tt = fy_node_get_tag_token(n);
		const struct fy_mark *m = tt != NULL ? fy_token_start_mark(tt) : NULL;

		if (m != NULL)
			ld_err_at(ld, PL_E_POLICY_SCHEMA, ld->cur, (unsigned)m->line + 1,
			          (unsigned)m->column + 1,
			          "tags (!...) are not allowed in policies");
		else
			ld_err(ld, PL_E_POLICY_SCHEMA, n, key,
			       "tags (!...) are not allowed in policies");
	}
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR:
		break;
	case FYNT_SEQUENCE: {
		struct fy_node *c;

		while ((c = fy_node_sequence_iterate(n, &it)) != NULL)
			prewalk(ld, c, key, depth + 1);
		break;
	}
	case FYNT_MAPPING: {
		struct fy_node_pair *pr;

		while ((pr = fy_node_mapping_iterate(n, &it)) != NULL) {
			struct fy_node *k = fy_node_pair_key(pr);

			if (k == NULL || fy_node_get_type(k) != FYNT_SCALAR) {
				ld_err(ld, PL_E_POLICY_SCHEMA, k, key,
				       "mapping keys must be plain strings");
				continue;
			}
			prewalk(ld, k, key, depth + 1);
			prewalk(ld, fy_node_pair_value(pr), k, depth + 1);
		}
		break;
	}
	}
}

int ld_parse_doc(struct ld *ld, const char *buf, size_t len)
{
	struct fy_diag_cfg dc;
	struct fy_diag *diag = NULL;
	struct fy_parser *fyp = NULL;
	struct fy_document *doc = NULL, *extra = NULL;
	unsigned before = ld->nerrors;
	int r = -1;

	ld->docs[ld->cur] = NULL;
	if (check_bytes(ld, (const unsigned char *)buf, len) != 0)
		return -1;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_silent;
	dc.level = FYET_ERROR;
	dc.colorize = false;
	diag = fy_diag_create(&dc);
	if (diag == NULL)
		goto nomem;
	fy_diag_set_collect_errors(diag, true);
	{
		struct fy_parse_cfg cfg = {
		    /* Duplicate keys are found by ld_fields() and the section parsers:
		     * libfyaml's own check is quadratic (minutes for 50,000 technicians). */
		    .flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_ALLOW_DUPLICATE_KEYS,
		    .diag = diag,
		};

		fyp = fy_parser_create(&cfg);
	}
	if (fyp == NULL || fy_parser_set_string(fyp, buf, len) != 0)
		goto nomem;
	doc = fy_parse_load_document(fyp);
	report_yaml_errors(ld, diag);
	if (ld->nerrors != before || fy_parser_get_stream_error(fyp)) {
		if (ld->nerrors == before)
			ld_err_at(ld, PL_E_POLICY_SYNTAX, ld->cur, 0, 0, "YAML: unreadable stream");
		goto out;
	}
	if (doc == NULL) {
		r = 0; /* an empty file (or only comments) defines nothing */
		goto out;
	}
	extra = fy_parse_load_document(fyp);
	report_yaml_errors(ld, diag);
	if (extra != NULL || ld->nerrors != before) {
		if (extra != NULL)
			ld_err(ld, PL_E_POLICY_SCHEMA, fy_document_root(extra), NULL,
			       "a second YAML document ('---'); put one document in each file");
		goto out;
	}
	if (fy_document_root(doc) != NULL) {
		struct fy_node *root = fy_document_root(doc);

		prewalk(ld, root, NULL, 0);
		if (fy_node_get_type(root) != FYNT_MAPPING) {
			ld_err(
			    ld, PL_E_POLICY_SCHEMA, root, NULL,
			    "a policy file is a mapping of sections (version:, operations:, ...)");
			goto out;
		}
	}
	if (ld->nerrors != before)
		goto out;
	ld->docs[ld->cur] = doc;
	doc = NULL;
	r = 0;
	goto out;
nomem:
	ld_err_at(ld, PL_E_NOMEM, ld->cur, 0, 0, "out of memory while parsing");
out:
	fy_document_destroy(extra);
	fy_document_destroy(doc);
	fy_parser_destroy(fyp);
	if (diag != NULL)
		fy_diag_destroy(diag);
	return r;
}

/* ---- schema helpers ------------------------------------------------------ */

static const char *core_kind(struct fy_node *n)
{
	const char *s;
	size_t len;

	if (fy_node_get_style(n) != FYNS_PLAIN)
		return NULL;
	s = fy_node_get_scalar(n, &len);
	if (s == NULL || len == 0 || (len == 1 && s[0] == '~') ||
	    (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4))))
		return "null";
	if ((len == 4 &&
	     (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4))) ||
	    (len == 5 &&
	     (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5))))
		return "boolean";
	return NULL;
}

static const char *type_name(struct fy_node *n)
{
	if (n == NULL)
		return "nothing";
	switch (fy_node_get_type(n)) {
	case FYNT_MAPPING:
		return "a mapping";
	case FYNT_SEQUENCE:
		return "a list";
	case FYNT_SCALAR:
		break;
	}
	return "a scalar";
}

const char *ld_scalar(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
                      const char *expect, size_t *len)
{
	const char *s;

	if (n == NULL || fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) == FYNS_ALIAS) {
		ld_err(ld, PL_E_POLICY_SCHEMA, n, key, "%s: expected %s, got %s", what, expect,
		       type_name(n));
		return NULL;
	}
	s = fy_node_get_scalar(n, len);
	if (s == NULL || memchr(s, '\0', *len) != NULL) {
		ld_err(ld, PL_E_POLICY_VALUE, n, key, "%s: NUL character in value", what);
		return NULL;
	}
	return s;
}

static int kind_ok(int kind, const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (kind == LD_ID) {
			if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
				return 0;
		} else if (c < 0x20 || c > 0x7e) {
			return 0;
		}
	}
	return kind == LD_ID || (s[0] != ' ' && s[len - 1] != ' ');
}

int ld_str(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, int kind,
           char *buf, size_t cap)
{
	size_t len = 0;
	const char *s = ld_scalar(ld, n, key, what, "a string", &len);
	const char *ck;

	if (s == NULL)
		return -1;
	ck = core_kind(n);
	if (ck != NULL) {
		ld_err(ld, PL_E_POLICY_SCHEMA, n, key,
		       "%s: expected a string, got %s (quote it if you mean the text)", what, ck);
		return -1;
	}
	if (len >= cap) {
		ld_err(ld, PL_E_POLICY_VALUE, n, key, "%s: longer than %zu characters", what,
		       cap - 1);
		return -1;
	}
	if (!kind_ok(kind, s, len)) {
		ld_err(ld, PL_E_POLICY_VALUE, n, key,
		       kind == LD_ID ? "%s: '%.*s' is not a name (letters, digits, '.', '_', '-'; "
		                       "starting with a letter or digit)"
		                     : "%s: '%.*s' must be printable ASCII without leading or "
		                       "trailing blanks",
		       what, (int)len, s);
		return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

int ld_u32(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, uint32_t min,
           uint32_t max, uint32_t *out)
{
	size_t len = 0;
	const char *s = ld_scalar(ld, n, key, what, "an integer", &len);
	char tmp[24];
	uint32_t v;
	int r;

	if (s == NULL)
		return -1;
	if (fy_node_get_style(n) != FYNS_PLAIN) {
		ld_err(ld, PL_E_POLICY_SCHEMA, n, key,
		       "%s: expected an integer, got a quoted string (remove the quotes)", what);
		return -1;
	}
	if (len >= sizeof(tmp)) {
		ld_err(ld, PL_E_POLICY_VALUE, n, key, "%s: '%.20s...' is not an integer", what, s);
		return -1;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	r = pl_parse_u32_any(tmp, min, max, &v);
	if (r == PL_E_RANGE) {
		ld_err(ld, PL_E_POLICY_VALUE, n, key, "%s: %s is out of range (%u..%u)", what, tmp,
		       min, max);
		return -1;
	}
	if (r != 0) {
		ld_err(ld, PL_E_POLICY_SCHEMA, n, key,
		       "%s: expected an integer (decimal or 0x hex), got '%s'", what, tmp);
		return -1;
	}
	*out = v;
	return 0;
}

int ld_bool(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, int *out)
{
	size_t len = 0;
	const char *s = ld_scalar(ld, n, key, what, "true or false", &len);

	if (s == NULL)
		return -1;
	if (fy_node_get_style(n) == FYNS_PLAIN && len == 4 && memcmp(s, "true", 4) == 0) {
		*out = 1;
		return 0;
	}
	if (fy_node_get_style(n) == FYNS_PLAIN && len == 5 && memcmp(s, "false", 5) == 0) {
		*out = 0;
		return 0;
	}
	ld_err(ld, PL_E_POLICY_SCHEMA, n, key, "%s: expected true or false, got '%.*s'", what,
	       (int)(len > 40 ? 40 : len), s);
	return -1;
}

void ld_words(char *buf, size_t cap, const void *first, size_t stride, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++) {
		const char *w;
		int len;

		memcpy(&w, (const char *)first + i * stride, sizeof(w));
		if ((len = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", w)) < 0)
			break;
		used += (size_t)len;
	}
}

int ld_enum(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
            const char *const *names, size_t count, int *out)
{
	char buf[64], list[256];

	if (ld_str(ld, n, key, what, LD_ID, buf, sizeof(buf)) != 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (strcmp(buf, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	ld_words(list, sizeof(list), names, sizeof(names[0]), count);
	ld_err(ld, PL_E_POLICY_VALUE, n, key, "%s: unknown value '%s' (one of: %s)", what, buf,
	       list);
	return -1;
}

int ld_is_seq(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what)
{
	if (n != NULL && fy_node_get_type(n) == FYNT_SEQUENCE)
		return 0;
	ld_err(ld, PL_E_POLICY_SCHEMA, n, key, "%s: expected a list, got %s", what, type_name(n));
	return -1;
}

int ld_is_map(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what)
{
	if (n != NULL && fy_node_get_type(n) == FYNT_MAPPING)
		return 0;
	ld_err(ld, PL_E_POLICY_SCHEMA, n, key, "%s: expected a mapping, got %s", what,
	       type_name(n));
	return -1;
}

void *ld_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	char *np;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 8;
	np = realloc(arr, ncap * elem);
	if (np == NULL)
		return NULL;
	memset(np + *cap * elem, 0, (ncap - *cap) * elem);
	*cap = ncap;
	return np;
}
