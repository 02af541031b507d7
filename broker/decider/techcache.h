/*
 * techcache: a bounded LRU of technician certificate chains that verified,
 * keyed by SHA-256 over the chain's DER (each certificate length-prefixed).
 * An entry holds the identity and public key techid_verify() derived, the
 * time window it may be served in, and the trust-store state (generation) it
 * was verified against. A lookup serves an entry only when the generation is
 * the same and valid_from <= now < valid_until; anything else is a miss and
 * the entry is dropped. An entry may also hold the technician's public key
 * parsed once (an EVP_PKEY, shared read-only between threads), found by the
 * public point. Thread-safe (one mutex; the work under it is a hash probe and
 * a copy). The policy for what an entry may claim lives in identity.c, which
 * is the only user.
 */
#ifndef PITLANE_BROKER_TECHCACHE_H
#define PITLANE_BROKER_TECHCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "techid.h"

#define TECHCACHE_KEY_LEN 32

struct techcache;

struct techcache_stats {
	uint64_t hits, misses, inserts, evictions, expired, stale_gen;
	uint64_t pkey_hits, pkey_misses;
	unsigned entries;
};

/* A cache of at most cap entries (1..65536). Errors: PL_E_INVAL, PL_E_NOMEM. */
int techcache_new(unsigned cap, struct techcache **out);

/* Frees c and wipes the entries. Accepts NULL. */
void techcache_free(struct techcache *c);

/*
 * The entry for key, if it was stored under generation gen and
 * valid_from <= now < valid_until: copied to *out, made most recently used.
 * Errors: PL_E_NOTFOUND (a miss; an expired or other-generation entry is
 * removed on the way).
 */
int techcache_get(struct techcache *c, const uint8_t key[TECHCACHE_KEY_LEN], uint64_t gen,
                  int64_t now, struct tech_identity *out);

/*
 * Stores t under key for generation gen, servable in [valid_from, valid_until).
 * Replaces an entry with the same key; evicts the least recently used entry
 * when full. An empty window stores nothing. pkey (NULL or the EVP_PKEY of
 * t->pub) gets a reference of the cache's own.
 */
void techcache_put(struct techcache *c, const uint8_t key[TECHCACHE_KEY_LEN], uint64_t gen,
                   int64_t valid_from, int64_t valid_until, const struct tech_identity *t,
                   EVP_PKEY *pkey);

/*
 * A new reference to the EVP_PKEY stored for public point pub, or NULL. The
 * key is a parsed form of pub and nothing more: it says nothing about the
 * certificate's validity, which techcache_get() alone vouches for.
 */
EVP_PKEY *techcache_pkey(struct techcache *c, const uint8_t pub[PLT_P256_PUB_LEN]);

/* Drops every entry. */
void techcache_flush(struct techcache *c);

void techcache_stats(struct techcache *c, struct techcache_stats *out);

#endif
