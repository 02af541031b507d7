/*
 * A small open-addressing hash index from names to array positions, so that
 * loading a policy with tens of thousands of technicians stays linear
 * (duplicate checks and workshop references are lookups, not scans).
 */
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pl_err.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int ld_idx_find(const struct ld_idx *x, const struct policy *p, const char *name, size_t *pos)
{
	size_t mask, i;

	if (x->cap == 0)
		return 0;
	mask = x->cap - 1;
	for (i = (size_t)fnv1a(name) & mask; x->slot[i] != 0; i = (i + 1) & mask) {
		size_t at = x->slot[i] - 1;

		if (strcmp(x->key_of(p, at), name) == 0) {
			*pos = at;
			return 1;
		}
	}
	return 0;
}

static void put(size_t *slot, size_t cap, const char *name, size_t at)
{
	size_t mask = cap - 1, i;

	for (i = (size_t)fnv1a(name) & mask; slot[i] != 0; i = (i + 1) & mask)
		;
	slot[i] = at + 1;
}

int ld_idx_add(struct ld_idx *x, const struct policy *p, size_t at)
{
	if ((x->n + 1) * 2 > x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 64;
		size_t *ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL)
			return PL_E_NOMEM;
		for (size_t i = 0; i < x->cap; i++)
			if (x->slot[i] != 0)
				put(ns, ncap, x->key_of(p, x->slot[i] - 1), x->slot[i] - 1);
		free(x->slot);
		x->slot = ns;
		x->cap = ncap;
	}
	put(x->slot, x->cap, x->key_of(p, at), at);
	x->n++;
	return 0;
}

void ld_idx_free(struct ld_idx *x)
{
	free(x->slot);
	x->slot = NULL;
	x->cap = x->n = 0;
}
