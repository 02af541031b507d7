/*
 * The verified-chain caches of a trust store (the decider's): one for
 * technician chains (techid.c), one for device chains (devid.c), both
 * attached to the X509_STORE (ex_data) and freed with it. What makes a
 * cached answer equal a fresh one is the same for both (techid.c says why):
 * the store generation (object count and flags) an entry was verified
 * against, and the time window in which every time check that passed still
 * passes.
 */
#ifndef PITLANE_DECIDER_STORECACHE_H
#define PITLANE_DECIDER_STORECACHE_H

#include <stdint.h>

#include <openssl/x509.h>

#include "techcache.h"

enum storecache_kind { STORECACHE_TECH = 0, STORECACHE_DEVICE = 1, STORECACHE_KINDS };

/*
 * The store's cache of that kind, created on first use (TECHID_CACHE_CAP
 * entries), or NULL (no memory: then every check is a full one). A new
 * technician marker (techid_set_marker) empties both caches: no entry
 * outlives the marker it was checked for.
 */
struct techcache *storecache_get(X509_STORE *store, enum storecache_kind kind);

/*
 * What the store holds (object count) and how it verifies (flags), read
 * under the store lock. Read it before verifying: an entry is never stored
 * under a generation newer than its check.
 */
uint64_t storecache_gen(X509_STORE *store);

/*
 * [from, until): where every time check of a verification that passed at now
 * still passes: the verified chain's (ctx's) validity, the store's CRLs'
 * thisUpdate and nextUpdate, and now + TECHID_CACHE_TTL_S. An unreadable time
 * makes the window empty (nothing is cached).
 */
void storecache_window(X509_STORE_CTX *ctx, X509_STORE *store, int64_t now, int64_t *from,
                       int64_t *until);

#endif
