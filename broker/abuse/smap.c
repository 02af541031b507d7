/* A string-keyed chained hash map whose payloads live in the nodes. */
#include <stdlib.h>
#include <string.h>

#include "abuse_int.h"
#include "pl_err.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

int smap_init(struct smap *m, size_t payload_size)
{
	memset(m, 0, sizeof(*m));
	m->nb = 256;
	m->psize = payload_size;
	if ((m->b = calloc(m->nb, sizeof(*m->b))) == NULL)
		return PL_E_NOMEM;
	return 0;
}

void smap_fini(struct smap *m)
{
	if (m == NULL || m->b == NULL)
		return;
	for (size_t i = 0; i < m->nb; i++) {
		struct smap_node *n = m->b[i], *next;

		for (; n != NULL; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(m->b);
	m->b = NULL;
	m->n = 0;
}

static void grow(struct smap *m)
{
	size_t nb = m->nb * 4;
	struct smap_node **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return; /* keep the longer chains */
	for (size_t i = 0; i < m->nb; i++) {
		struct smap_node *n = m->b[i], *next;

		for (; n != NULL; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

void *smap_get(struct smap *m, const char *key, int create, int64_t now_ms)
{
	uint64_t h = fnv1a(key);
	struct smap_node *n;
	size_t klen = strlen(key) + 1, off;

	for (n = m->b[h & (m->nb - 1)]; n != NULL; n = n->next) {
		if (n->hash == h && strcmp(n->key, key) == 0) {
			if (create && now_ms > n->last_ms)
				n->last_ms = now_ms;
			return n->payload;
		}
	}
	if (!create)
		return NULL;
	/* Payload after the key, aligned for any member type. */
	off = (sizeof(*n) + klen + 15) & ~(size_t)15;
	if ((n = calloc(1, off + m->psize)) == NULL)
		return NULL;
	memcpy(n->key, key, klen);
	n->hash = h;
	n->last_ms = now_ms;
	n->payload = (char *)n + off;
	n->next = m->b[h & (m->nb - 1)];
	m->b[h & (m->nb - 1)] = n;
	if (++m->n > m->nb * 2)
		grow(m);
	return n->payload;
}

static void drop_if(struct smap *m, int (*pred)(const struct smap_node *, const void *),
                    const void *arg)
{
	for (size_t i = 0; i < m->nb; i++) {
		struct smap_node **pp = &m->b[i];

		while (*pp != NULL) {
			struct smap_node *n = *pp;

			if (pred(n, arg)) {
				*pp = n->next;
				free(n);
				m->n--;
			} else {
				pp = &n->next;
			}
		}
	}
}

static int older(const struct smap_node *n, const void *arg)
{
	return n->last_ms < *(const int64_t *)arg;
}

static int prefixed(const struct smap_node *n, const void *arg)
{
	return strncmp(n->key, arg, strlen(arg)) == 0;
}

void smap_expire(struct smap *m, int64_t cut_ms)
{
	drop_if(m, older, &cut_ms);
}

void smap_clear_prefix(struct smap *m, const char *prefix)
{
	drop_if(m, prefixed, prefix);
}
