/* Replay cache: FIFO ring of entries + chained hash index (see replay.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "replay.h"

#define NIL UINT32_MAX

struct entry {
	uint8_t nonce[REPLAY_NONCE_LEN];
	int64_t expires;
	uint32_t next; /* next entry in the same bucket */
};

struct replay {
	pthread_mutex_t lock;
	struct entry *e;  /* ring, capacity entries */
	uint32_t *bucket; /* nbuckets heads */
	uint32_t cap, nbuckets, head, count;
	uint64_t key[2]; /* random hash key: nonces are client-chosen */
};

static uint32_t hash(const struct replay *rc, const uint8_t n[REPLAY_NONCE_LEN])
{
	uint64_t a, b;

	memcpy(&a, n, 8);
	memcpy(&b, n + 8, 8);
	a ^= rc->key[0];
	b ^= rc->key[1];
	a = (a ^ (a >> 31)) * 0x9e3779b97f4a7c15ull;
	a ^= b;
	a = (a ^ (a >> 29)) * 0xbf58476d1ce4e5b9ull;
	a ^= a >> 32;
	return (uint32_t)a & (rc->nbuckets - 1);
}

int replay_new(uint32_t capacity, struct replay **out)
{
	struct replay *rc;

	if (capacity == 0 || capacity > (1u << 24))
		return PL_E_INVAL;
	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return PL_E_NOMEM;
	rc->cap = capacity;
	rc->nbuckets = 1;
	while (rc->nbuckets < capacity * 2)
		rc->nbuckets <<= 1;
	rc->e = calloc(capacity, sizeof(*rc->e));
	rc->bucket = malloc(rc->nbuckets * sizeof(*rc->bucket));
	if (rc->e == NULL || rc->bucket == NULL ||
	    getrandom(rc->key, sizeof(rc->key), 0) != (ssize_t)sizeof(rc->key)) {
		free(rc->e);
		free(rc->bucket);
		free(rc);
		return PL_E_NOMEM;
	}
	for (uint32_t i = 0; i < rc->nbuckets; i++)
		rc->bucket[i] = NIL;
	pthread_mutex_init(&rc->lock, NULL);
	*out = rc;
	return 0;
}

void replay_free(struct replay *rc)
{
	if (rc == NULL)
		return;
	pthread_mutex_destroy(&rc->lock);
	plt_wipe(rc->e, rc->cap * sizeof(*rc->e));
	free(rc->e);
	free(rc->bucket);
	free(rc);
}

static void unlink_entry(struct replay *rc, uint32_t idx)
{
	uint32_t *p = &rc->bucket[hash(rc, rc->e[idx].nonce)];

	while (*p != NIL) {
		if (*p == idx) {
			*p = rc->e[idx].next;
			return;
		}
		p = &rc->e[*p].next;
	}
}

/* Drops expired entries from the front of the ring. */
static void expire(struct replay *rc, int64_t now)
{
	while (rc->count > 0 && rc->e[rc->head].expires < now) {
		unlink_entry(rc, rc->head);
		rc->head = (rc->head + 1) % rc->cap;
		rc->count--;
	}
}

/* The index of nonce in the table, or NIL. Called with the lock held. */
static uint32_t lookup(struct replay *rc, const uint8_t nonce[REPLAY_NONCE_LEN], uint32_t h)
{
	for (uint32_t idx = rc->bucket[h]; idx != NIL; idx = rc->e[idx].next)
		if (plt_ct_equal(rc->e[idx].nonce, nonce, REPLAY_NONCE_LEN))
			return idx;
	return NIL;
}

int replay_seen(struct replay *rc, const uint8_t nonce[REPLAY_NONCE_LEN], int64_t now)
{
	int r;

	pthread_mutex_lock(&rc->lock);
	expire(rc, now);
	r = lookup(rc, nonce, hash(rc, nonce)) != NIL ? PL_E_SRV_REPLAY : 0;
	pthread_mutex_unlock(&rc->lock);
	return r;
}

/* Appends nonce at the ring's tail, chained into bucket h (lock held, room checked). */
static void append(struct replay *rc, const uint8_t nonce[REPLAY_NONCE_LEN], uint32_t h,
                   int64_t expires)
{
	uint32_t idx = (rc->head + rc->count) % rc->cap;

	memcpy(rc->e[idx].nonce, nonce, REPLAY_NONCE_LEN);
	rc->e[idx].expires = expires;
	rc->e[idx].next = rc->bucket[h];
	rc->bucket[h] = idx;
	rc->count++;
}

int replay_check_insert(struct replay *rc, const uint8_t nonce[REPLAY_NONCE_LEN], int64_t now,
                        int64_t expires)
{
	uint32_t h;
	int r;

	pthread_mutex_lock(&rc->lock);
	expire(rc, now);
	h = hash(rc, nonce);
	if (lookup(rc, nonce, h) != NIL) {
		r = PL_E_SRV_REPLAY;
		goto out;
	}
	if (rc->count == rc->cap) {
		r = PL_E_SRV_REPLAY_FULL;
		goto out;
	}
	append(rc, nonce, h, expires);
	r = 0;
out:
	pthread_mutex_unlock(&rc->lock);
	return r;
}

/* Kept apart from replay_check_insert(): no per-caller accounting, a duplicate is fine. */
int replay_preload(struct replay *rc, const uint8_t nonce[REPLAY_NONCE_LEN], int64_t now,
                   int64_t expires)
{
	uint32_t h;
	int r = 0;

	pthread_mutex_lock(&rc->lock);
	expire(rc, now);
	h = hash(rc, nonce);
	if (lookup(rc, nonce, h) != NIL)
		goto out; /* twice in the audit log: fine */
	if (rc->count == rc->cap) {
		r = PL_E_SRV_REPLAY_FULL;
		goto out;
	}
	append(rc, nonce, h, expires);
out:
	pthread_mutex_unlock(&rc->lock);
	return r;
}

uint32_t replay_count(struct replay *rc)
{
	uint32_t n;

	pthread_mutex_lock(&rc->lock);
	n = rc->count;
	pthread_mutex_unlock(&rc->lock);
	return n;
}
