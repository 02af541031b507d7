/*
 * policy_diff(): what changes between two policies, entity by entity, for a
 * review before a reload. Both policies are normalised (policy_dump) and cut
 * into blocks: the top-level scalars, one block per operation, role,
 * workshop, technician, and per entry of the list sections. Blocks are
 * matched by section and name; changed blocks show their differing lines
 * (a longest-common-subsequence diff over the block's few lines).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pl_err.h"

struct block {
	char key[160];     /* e.g. workshops "ws-muc-01" */
	const char *start; /* first line of the block in the dump */
	size_t len;        /* bytes, up to the next block */
	int matched;
};

struct blocks {
	struct block *v;
	size_t n, cap;
};

static int is_header(const char *line, size_t len)
{
	return len > 0 && line[0] != ' ' && line[0] != '#';
}

static int is_entry(const char *line, size_t len)
{
	return (len > 3 && line[0] == ' ' && line[1] == ' ' && line[2] == '"') ||
	       (len > 4 && memcmp(line, "  - ", 4) == 0);
}

/* Cuts a dump into blocks keyed "section entry". */
static int cut(const char *text, size_t tlen, struct blocks *b)
{
	char section[64] = "";
	const char *p = text, *end = text + tlen;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl : end) - p);
		const char *next = nl != NULL ? nl + 1 : end;

		if (is_header(p, len) || is_entry(p, len)) {
			struct block *nb;
			void *nv;

			nv = ld_grow(b->v, &b->cap, b->n, sizeof(*b->v));
			if (nv == NULL)
				return PL_E_NOMEM;
			b->v = nv;
			nb = &b->v[b->n++];
			memset(nb, 0, sizeof(*nb));
			if (is_header(p, len)) {
				const char *colon = memchr(p, ':', len);
				size_t klen = colon != NULL ? (size_t)(colon - p) : len;

				snprintf(section, sizeof(section), "%.*s", (int)klen, p);
				snprintf(nb->key, sizeof(nb->key), "%.*s", (int)len, p);
				/* a section header's own line only; an empty one ends with {} or []
				 */
			} else {
				snprintf(nb->key, sizeof(nb->key), "%s %.*s", section,
				         (int)(len - 2 > 120 ? 120 : len - 2), p + 2);
			}
			nb->start = p;
		}
		if (b->n > 0)
			b->v[b->n - 1].len = (size_t)(next - b->v[b->n - 1].start);
		p = next;
	}
	return 0;
}

/* Splits a block into lines (pointers into the dump). */
static size_t lines_of(const struct block *b, const char **ln, size_t *ll, size_t max)
{
	const char *p = b->start, *end = b->start + b->len;
	size_t n = 0;

	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		ln[n] = p;
		ll[n] = (size_t)((nl != NULL ? nl : end) - p);
		n++;
		p = nl != NULL ? nl + 1 : end;
	}
	return n;
}

#define DIFF_MAX_LINES 64

static int same_line(const char *a, size_t al, const char *b, size_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

/* Prints the differing lines of two versions of one block. */
static void diff_block(FILE *out, const struct block *a, const struct block *b)
{
	const char *al[DIFF_MAX_LINES], *bl[DIFF_MAX_LINES];
	size_t all[DIFF_MAX_LINES], bll[DIFF_MAX_LINES];
	size_t na = lines_of(a, al, all, DIFF_MAX_LINES), nb = lines_of(b, bl, bll, DIFF_MAX_LINES);
	unsigned short lcs[DIFF_MAX_LINES + 1][DIFF_MAX_LINES + 1];
	size_t i = 0, j = 0;

	for (size_t x = na + 1; x-- > 0;)
		for (size_t y = nb + 1; y-- > 0;) {
			if (x == na || y == nb)
				lcs[x][y] = 0;
			else if (same_line(al[x], all[x], bl[y], bll[y]))
				lcs[x][y] = (unsigned short)(lcs[x + 1][y + 1] + 1);
			else
				lcs[x][y] =
				    lcs[x + 1][y] > lcs[x][y + 1] ? lcs[x + 1][y] : lcs[x][y + 1];
		}
	fprintf(out, "~ %s\n", a->key);
	while (i < na || j < nb) {
		if (i < na && j < nb && same_line(al[i], all[i], bl[j], bll[j])) {
			i++;
			j++;
		} else if (i < na && (j == nb || lcs[i + 1][j] >= lcs[i][j + 1])) {
			fprintf(out, "- %.*s\n", (int)all[i], al[i]);
			i++;
		} else {
			fprintf(out, "+ %.*s\n", (int)bll[j], bl[j]);
			j++;
		}
	}
}

static int cmp_block(const void *x, const void *y)
{
	return strcmp((*(struct block *const *)x)->key, (*(struct block *const *)y)->key);
}

/* Keys are unique within a dump (section names, entity names). */
static struct block *find_block(struct block **sorted, size_t n, const char *key)
{
	struct block probe, *pp = &probe, **hit;

	snprintf(probe.key, sizeof(probe.key), "%s", key);
	hit = bsearch(&pp, sorted, n, sizeof(*sorted), cmp_block);
	return hit != NULL ? *hit : NULL;
}

int policy_diff(const struct policy *a, const struct policy *b, FILE *out, size_t *ndiff)
{
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0, n = 0;
	struct blocks ba = {NULL, 0, 0}, bb = {NULL, 0, 0};
	struct block **sorted = NULL;
	int r;

	if (a == NULL || b == NULL || out == NULL)
		return PL_E_INVAL;
	if ((r = pol_dump_text(a, &ta, &la)) != 0 || (r = pol_dump_text(b, &tb, &lb)) != 0)
		goto out;
	if ((r = cut(ta, la, &ba)) != 0 || (r = cut(tb, lb, &bb)) != 0)
		goto out;
	sorted = calloc(bb.n ? bb.n : 1, sizeof(*sorted));
	if (sorted == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < bb.n; i++)
		sorted[i] = &bb.v[i];
	qsort(sorted, bb.n, sizeof(*sorted), cmp_block);
	for (size_t i = 0; i < ba.n; i++) {
		struct block *x = &ba.v[i], *y = find_block(sorted, bb.n, x->key);

		if (y == NULL) {
			/* a changed top-level scalar ("version: 1") is keyed by its whole line */
			fprintf(out, "- %s\n", x->key);
			n++;
			continue;
		}
		y->matched = 1;
		if (x->len != y->len || memcmp(x->start, y->start, x->len) != 0) {
			diff_block(out, x, y);
			n++;
		}
	}
	for (size_t i = 0; i < bb.n; i++)
		if (!bb.v[i].matched) {
			fprintf(out, "+ %s\n", bb.v[i].key);
			n++;
		}
	if (ndiff != NULL)
		*ndiff = n;
	r = 0;
out:
	free(ta);
	free(tb);
	free(sorted);
	free(ba.v);
	free(bb.v);
	return r;
}
