/*
 * The verified-chain caches of a trust store: attached to the store, its
 * generation, and the window in which a verification's time checks hold.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "identity.h"
#include "pl_err.h"
#include "pl_time.h"
#include "storecache.h"

static int cache_idx = -1;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t cache_attach = PTHREAD_MUTEX_INITIALIZER;

/* The caches of a store and the marker serial their entries were checked for. */
struct store_caches {
	struct techcache *tc[STORECACHE_KINDS];
	uint64_t marker;
};

static void caches_free(struct store_caches *sc)
{
	if (sc == NULL)
		return;
	for (int k = 0; k < STORECACHE_KINDS; k++)
		techcache_free(sc->tc[k]);
	free(sc);
}

static void cache_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                          void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	caches_free(ptr);
}

static void cache_index_init(void)
{
	cache_idx = X509_STORE_get_ex_new_index(0, NULL, NULL, NULL, cache_free_cb);
}

/* A new set of empty caches, or NULL. */
static struct store_caches *caches_new(uint64_t marker)
{
	struct store_caches *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return NULL;
	for (int k = 0; k < STORECACHE_KINDS; k++)
		if (techcache_new(TECHID_CACHE_CAP, &sc->tc[k]) != 0) {
			caches_free(sc);
			return NULL;
		}
	sc->marker = marker;
	return sc;
}

struct techcache *storecache_get(X509_STORE *store, enum storecache_kind kind)
{
	struct store_caches *sc;
	struct techcache *tc = NULL;
	uint64_t marker;

	pthread_once(&cache_once, cache_index_init);
	if (cache_idx < 0 || store == NULL || kind < 0 || kind >= STORECACHE_KINDS)
		return NULL;
	marker = techid_marker_serial(store);
	pthread_mutex_lock(&cache_attach);
	sc = X509_STORE_get_ex_data(store, cache_idx);
	if (sc == NULL && (sc = caches_new(marker)) != NULL &&
	    X509_STORE_set_ex_data(store, cache_idx, sc) != 1) {
		caches_free(sc);
		sc = NULL;
	}
	if (sc != NULL) {
		if (sc->marker != marker) {
			for (int k = 0; k < STORECACHE_KINDS; k++)
				techcache_flush(sc->tc[k]);
			sc->marker = marker;
		}
		tc = sc->tc[kind];
	}
	pthread_mutex_unlock(&cache_attach);
	return tc;
}

uint64_t storecache_gen(X509_STORE *store)
{
	uint64_t objs, flags = X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(store));

	X509_STORE_lock(store);
	objs = (uint64_t)sk_X509_OBJECT_num(X509_STORE_get0_objects(store));
	X509_STORE_unlock(store);
	return objs << 32 ^ flags;
}

static int asn1_epoch(const ASN1_TIME *a, int64_t *out)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return PL_E_BADCERT;
	*out = pl_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                          (unsigned)tm.tm_mday) *
	           86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

static void narrow(const ASN1_TIME *lo, const ASN1_TIME *hi, int64_t *from, int64_t *until,
                   int *bad)
{
	int64_t t;

	if (lo != NULL) {
		if (asn1_epoch(lo, &t) != 0)
			*bad = 1;
		else if (t > *from)
			*from = t;
	}
	if (hi != NULL) {
		if (asn1_epoch(hi, &t) != 0)
			*bad = 1;
		else if (t < *until)
			*until = t;
	}
}

void storecache_window(X509_STORE_CTX *ctx, X509_STORE *store, int64_t now, int64_t *from,
                       int64_t *until)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	STACK_OF(X509_OBJECT) * objs;
	int64_t lo = INT64_MIN, hi = now + TECHID_CACHE_TTL_S;
	int bad = chain == NULL || sk_X509_num(chain) < 1;

	for (int i = 0; !bad && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		narrow(X509_get0_notBefore(x), X509_get0_notAfter(x), &lo, &hi, &bad);
	}
	X509_STORE_lock(store);
	objs = X509_STORE_get0_objects(store);
	for (int i = 0; !bad && i < sk_X509_OBJECT_num(objs); i++) {
		X509_CRL *crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objs, i));

		if (crl != NULL)
			narrow(X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_nextUpdate(crl), &lo,
			       &hi, &bad);
	}
	X509_STORE_unlock(store);
	*from = lo;
	*until = bad ? lo : hi;
}
