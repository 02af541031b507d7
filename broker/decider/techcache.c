/*
 * Verified technician chains: a fixed array of entries, a chained hash on the
 * key's first bytes (the key is a SHA-256, so uniform), a second chained hash
 * on the public point's x coordinate, and an LRU list, all by index. Nothing
 * is allocated after techcache_new().
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "techcache.h"

#define NIL UINT32_MAX

struct entry {
	uint8_t key[TECHCACHE_KEY_LEN];
	uint64_t gen;
	int64_t valid_from, valid_until;
	struct tech_identity t;
	EVP_PKEY *pkey;      /* NULL or t.pub parsed */
	uint32_t hnext;      /* hash chain, or the free list */
	uint32_t pnext;      /* public point hash chain */
	uint32_t prev, next; /* LRU list, most recent first */
};

struct techcache {
	pthread_mutex_t lock;
	struct entry *e;
	uint32_t *bucket, *pbucket;
	uint32_t cap, mask, used;
	uint32_t head, tail, free;
	struct techcache_stats st;
};

static uint32_t hash4(const struct techcache *c, const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	        (uint32_t)p[3] << 24) &
	       c->mask;
}

static uint32_t bucket_of(const struct techcache *c, const uint8_t key[TECHCACHE_KEY_LEN])
{
	return hash4(c, key);
}

/* The low bytes of x (pub[0] is the 0x04 prefix). */
static uint32_t pbucket_of(const struct techcache *c, const uint8_t pub[PLT_P256_PUB_LEN])
{
	return hash4(c, pub + 29);
}

int techcache_new(unsigned cap, struct techcache **out)
{
	struct techcache *c;
	uint32_t nb = 1;

	*out = NULL;
	if (cap == 0 || cap > 65536)
		return PL_E_INVAL;
	while (nb < 2 * cap)
		nb <<= 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PL_E_NOMEM;
	c->e = calloc(cap, sizeof(*c->e));
	c->bucket = malloc(nb * sizeof(*c->bucket));
	c->pbucket = malloc(nb * sizeof(*c->pbucket));
	if (c->e == NULL || c->bucket == NULL || c->pbucket == NULL) {
		free(c->e);
		free(c->bucket);
		free(c->pbucket);
		free(c);
		return PL_E_NOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->cap = cap;
	c->mask = nb - 1;
	c->head = c->tail = NIL;
	for (uint32_t i = 0; i < nb; i++)
		c->bucket[i] = c->pbucket[i] = NIL;
	for (uint32_t i = 0; i < cap; i++)
		c->e[i].hnext = i + 1 < cap ? i + 1 : NIL;
	c->free = 0;
	*out = c;
	return 0;
}

void techcache_free(struct techcache *c)
{
	if (c == NULL)
		return;
	for (uint32_t i = c->head; i != NIL; i = c->e[i].next)
		EVP_PKEY_free(c->e[i].pkey);
	plt_wipe(c->e, c->cap * sizeof(*c->e));
	free(c->e);
	free(c->bucket);
	free(c->pbucket);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static uint32_t find(const struct techcache *c, const uint8_t key[TECHCACHE_KEY_LEN])
{
	uint32_t i = c->bucket[bucket_of(c, key)];

	while (i != NIL && memcmp(c->e[i].key, key, TECHCACHE_KEY_LEN) != 0)
		i = c->e[i].hnext;
	return i;
}

static void lru_unlink(struct techcache *c, uint32_t i)
{
	struct entry *x = &c->e[i];

	if (x->prev != NIL)
		c->e[x->prev].next = x->next;
	else
		c->head = x->next;
	if (x->next != NIL)
		c->e[x->next].prev = x->prev;
	else
		c->tail = x->prev;
}

static void lru_push_front(struct techcache *c, uint32_t i)
{
	c->e[i].prev = NIL;
	c->e[i].next = c->head;
	if (c->head != NIL)
		c->e[c->head].prev = i;
	c->head = i;
	if (c->tail == NIL)
		c->tail = i;
}

/* Unlinks entry i from its hash chain and the LRU, wipes it, frees the slot. */
static void drop(struct techcache *c, uint32_t i)
{
	uint32_t *p = &c->bucket[bucket_of(c, c->e[i].key)];

	while (*p != i)
		p = &c->e[*p].hnext;
	*p = c->e[i].hnext;
	p = &c->pbucket[pbucket_of(c, c->e[i].t.pub)];
	while (*p != i)
		p = &c->e[*p].pnext;
	*p = c->e[i].pnext;
	lru_unlink(c, i);
	EVP_PKEY_free(c->e[i].pkey);
	plt_wipe(&c->e[i], sizeof(c->e[i]));
	c->e[i].hnext = c->free;
	c->free = i;
	c->used--;
}

int techcache_get(struct techcache *c, const uint8_t key[TECHCACHE_KEY_LEN], uint64_t gen,
                  int64_t now, struct tech_identity *out)
{
	uint32_t i;
	int r = PL_E_NOTFOUND;

	pthread_mutex_lock(&c->lock);
	if ((i = find(c, key)) == NIL) {
		c->st.misses++;
		goto out;
	}
	if (c->e[i].gen != gen || now < c->e[i].valid_from || now >= c->e[i].valid_until) {
		if (c->e[i].gen != gen)
			c->st.stale_gen++;
		else
			c->st.expired++;
		c->st.misses++;
		drop(c, i);
		goto out;
	}
	lru_unlink(c, i);
	lru_push_front(c, i);
	*out = c->e[i].t;
	c->st.hits++;
	r = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return r;
}

void techcache_put(struct techcache *c, const uint8_t key[TECHCACHE_KEY_LEN], uint64_t gen,
                   int64_t valid_from, int64_t valid_until, const struct tech_identity *t,
                   EVP_PKEY *pkey)
{
	uint32_t i, b;

	if (valid_until <= valid_from)
		return;
	pthread_mutex_lock(&c->lock);
	if ((i = find(c, key)) != NIL)
		drop(c, i);
	if (c->free == NIL) {
		drop(c, c->tail);
		c->st.evictions++;
	}
	i = c->free;
	c->free = c->e[i].hnext;
	memcpy(c->e[i].key, key, TECHCACHE_KEY_LEN);
	c->e[i].gen = gen;
	c->e[i].valid_from = valid_from;
	c->e[i].valid_until = valid_until;
	c->e[i].t = *t;
	c->e[i].pkey = pkey != NULL && EVP_PKEY_up_ref(pkey) == 1 ? pkey : NULL;
	b = bucket_of(c, key);
	c->e[i].hnext = c->bucket[b];
	c->bucket[b] = i;
	b = pbucket_of(c, t->pub);
	c->e[i].pnext = c->pbucket[b];
	c->pbucket[b] = i;
	lru_push_front(c, i);
	c->used++;
	c->st.inserts++;
	pthread_mutex_unlock(&c->lock);
}

EVP_PKEY *techcache_pkey(struct techcache *c, const uint8_t pub[PLT_P256_PUB_LEN])
{
	EVP_PKEY *pk = NULL;
	uint32_t i;

	pthread_mutex_lock(&c->lock);
	for (i = c->pbucket[pbucket_of(c, pub)]; i != NIL; i = c->e[i].pnext) {
		if (c->e[i].pkey != NULL && memcmp(c->e[i].t.pub, pub, PLT_P256_PUB_LEN) == 0 &&
		    EVP_PKEY_up_ref(c->e[i].pkey) == 1) {
			pk = c->e[i].pkey;
			break;
		}
	}
	if (pk != NULL)
		c->st.pkey_hits++;
	else
		c->st.pkey_misses++;
	pthread_mutex_unlock(&c->lock);
	return pk;
}

void techcache_flush(struct techcache *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->head != NIL)
		drop(c, c->head);
	pthread_mutex_unlock(&c->lock);
}

void techcache_stats(struct techcache *c, struct techcache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	out->entries = c->used;
	pthread_mutex_unlock(&c->lock);
}
