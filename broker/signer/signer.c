/*
 * signer.c: the signer's interface. Hard-limit checks, token building with
 * lib/token, signing through p11.c, self-verification, and the recovery
 * thread that replaces the PKCS#11 connection after an HSM fault.
 *
 * Locking: conn_lock (rwlock, writer-preferring) guards s->conn: signing and
 * probing hold it shared, replacing the connection holds it exclusive. mu
 * guards the state fields and the fault record; state is also read lock-free.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "p11.h"
#include "pitlane/token.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_signer.h"
#include "pl_file.h"
#include "selfcheck.h"
#include "signer.h"
#include "signer_int.h"

#define PIN_MAX 256
#define OPEN_ATTEMPTS 5

/*
 * READY: signing. FAULT: recovering with a backoff. KEY_CHANGED: the token
 * came back with another key; keep looking (the right token may return) but
 * never accept that key. HALTED: the token refused the PIN on re-login; never
 * retried automatically (a real token locks the PIN), needs a restart.
 */
enum signer_state { ST_READY = 0, ST_FAULT = 1, ST_KEY_CHANGED = 2, ST_HALTED = 3 };

struct signer {
	struct p11_uri *uri;
	char *pin;
	size_t pin_len;
	pthread_rwlock_t limits_lock; /* limits change on a policy reload */
	struct signer_limits limits;
	struct signer_options opt;
	uint8_t pub[SIGNER_PUB_LEN];
	uint8_t kid[SIGNER_KID_LEN];
	struct selfcheck check;
	struct plt_crypto crypto;

	pthread_rwlock_t conn_lock;
	struct p11 *conn;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	_Atomic int state;
	int stop;
	int thread_started;
	pthread_t thread;
	int last_err;
	unsigned long last_ckr;
	char detail[160];

	_Atomic uint64_t sign_calls;
	_Atomic uint64_t issued;
	_Atomic uint64_t refused;
	_Atomic uint64_t faults;
	_Atomic uint64_t reinits;
};

static void options_default(struct signer_options *o, const struct signer_options *in)
{
	memset(o, 0, sizeof(*o));
	if (in != NULL)
		*o = *in;
	if (o->sessions == 0)
		o->sessions = 4;
	if (o->retry_min_ms == 0)
		o->retry_min_ms = 100;
	if (o->retry_max_ms == 0)
		o->retry_max_ms = 2000;
	if (o->retry_max_ms < o->retry_min_ms)
		o->retry_max_ms = o->retry_min_ms;
	if (o->probe_ms == 0)
		o->probe_ms = 1000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Opens a connection, retrying the SoftHSM2 start-up race (token not listed,
 * C_Login CKR_GENERAL_ERROR) with a fresh C_Initialize each time. */
static int connect_once(struct signer *s, struct p11 **out, unsigned long *ckr, char *err,
                        size_t errlen)
{
	int r = PL_E_INTERNAL;

	for (unsigned i = 0; i < OPEN_ATTEMPTS; i++) {
		r = p11_open(s->uri, s->pin, s->pin_len, s->opt.sessions, out, ckr, err, errlen);
		if (r != PL_E_SIGNER_TOKEN_NOT_FOUND && r != PL_E_SIGNER_UNAVAILABLE)
			break;
		if (i + 1 < OPEN_ATTEMPTS)
			sleep_ms(20 * (i + 1));
	}
	return r;
}

/* ---- fault handling and recovery ------------------------------------------------- */

static void record_fault(struct signer *s, int err, unsigned long ckr, const char *what)
{
	pthread_mutex_lock(&s->mu);
	s->last_err = err;
	s->last_ckr = ckr;
	snprintf(s->detail, sizeof(s->detail), "%s failed: %s", what, p11_rv_name(ckr));
	if (atomic_load(&s->state) == ST_READY) {
		atomic_store(&s->state, ST_FAULT);
		atomic_fetch_add(&s->faults, 1);
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Replaces the connection. Called by the recovery thread only, without mu. */
static int reconnect(struct signer *s, unsigned long *ckr, char *err, size_t errlen)
{
	struct p11 *fresh = NULL;
	int r;

	pthread_rwlock_wrlock(&s->conn_lock);
	p11_close(s->conn);
	s->conn = NULL;
	r = connect_once(s, &fresh, ckr, err, errlen);
	if (r == 0 && memcmp(p11_public_point(fresh), s->pub, SIGNER_PUB_LEN) != 0) {
		snprintf(err, errlen,
		         "the key found by the URI after re-initialisation has a "
		         "different public key; refusing it (restart with the new key exported)");
		p11_close(fresh);
		fresh = NULL;
		r = PL_E_SIGNER_KEY_CHANGED;
	}
	s->conn = fresh;
	pthread_rwlock_unlock(&s->conn_lock);
	return r;
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void probe(struct signer *s)
{
	unsigned long ckr = 0;
	int r = PL_E_SIGNER_UNAVAILABLE;

	pthread_rwlock_rdlock(&s->conn_lock);
	if (s->conn != NULL)
		r = p11_probe(s->conn, &ckr);
	pthread_rwlock_unlock(&s->conn_lock);
	if (r == PL_E_SIGNER_UNAVAILABLE)
		record_fault(s, r, ckr, "health probe");
}

static void *recovery_main(void *arg)
{
	struct signer *s = arg;
	unsigned delay = s->opt.retry_min_ms;
	struct timespec ts;
	unsigned long ckr;
	char err[160];
	int r;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		if (atomic_load(&s->state) == ST_READY) {
			deadline_in(&ts, s->opt.probe_ms);
			r = pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			if (s->stop || atomic_load(&s->state) != ST_READY || r != ETIMEDOUT)
				continue;
			pthread_mutex_unlock(&s->mu);
			probe(s);
			pthread_mutex_lock(&s->mu);
			delay = s->opt.retry_min_ms;
			continue;
		}
		if (atomic_load(&s->state) == ST_HALTED) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		deadline_in(&ts, delay);
		while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
			;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->mu);
		ckr = 0;
		err[0] = '\0';
		r = reconnect(s, &ckr, err, sizeof(err));
		pthread_mutex_lock(&s->mu);
		if (r == 0) {
			atomic_store(&s->state, ST_READY);
			atomic_fetch_add(&s->reinits, 1);
			delay = s->opt.retry_min_ms;
			continue;
		}
		s->last_err = r;
		s->last_ckr = ckr;
		snprintf(s->detail, sizeof(s->detail), "%s", err);
		if (r == PL_E_SIGNER_PIN_INCORRECT || r == PL_E_SIGNER_PIN_LOCKED)
			atomic_store(&s->state, ST_HALTED);
		else if (r == PL_E_SIGNER_KEY_CHANGED)
			atomic_store(&s->state, ST_KEY_CHANGED);
		else
			atomic_store(&s->state, ST_FAULT);
		delay = delay * 2 > s->opt.retry_max_ms ? s->opt.retry_max_ms : delay * 2;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- open / close ---------------------------------------------------------------- */

static int sync_init(struct signer *s)
{
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;
	int r = PL_E_NOMEM;

	if (pthread_rwlockattr_init(&ra) != 0)
		return r;
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (pthread_rwlock_init(&s->conn_lock, &ra) != 0)
		goto out_ra;
	if (pthread_rwlock_init(&s->limits_lock, NULL) != 0)
		goto out_rw;
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		goto out_lim;
	if (pthread_condattr_init(&ca) != 0)
		goto out_mu;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&s->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		goto out_mu;
	}
	pthread_condattr_destroy(&ca);
	pthread_rwlockattr_destroy(&ra);
	return 0;
out_mu:
	pthread_mutex_destroy(&s->mu);
out_lim:
	pthread_rwlock_destroy(&s->limits_lock);
out_rw:
	pthread_rwlock_destroy(&s->conn_lock);
out_ra:
	pthread_rwlockattr_destroy(&ra);
	return r;
}

int signer_open(const char *key_uri, const char *pin_file, const struct signer_limits *limits,
                struct signer **out)
{
	return signer_open_ex(key_uri, pin_file, limits, NULL, out, NULL, 0);
}

static int open_inner(struct signer *s, const char *key_uri, const char *pin_file, char *err,
                      size_t errlen)
{
	unsigned long ckr = 0;
	int r;

	if ((r = p11_uri_parse(key_uri, &s->uri, err, errlen)) != 0)
		return r;
	if (pin_file == NULL) {
		snprintf(err, errlen, "no PIN file given; the signer needs pin_file (mode 0600)");
		return PL_E_INVAL;
	}
	r = pl_read_secret_file(pin_file, PIN_MAX, &s->pin, &s->pin_len);
	if (r != 0) {
		snprintf(err, errlen, "PIN file %s: %s", pin_file, pl_strerror(r));
		return r;
	}
	if ((r = connect_once(s, &s->conn, &ckr, err, errlen)) != 0)
		return r;
	memcpy(s->pub, p11_public_point(s->conn), SIGNER_PUB_LEN);
	if (plt_openssl_kid(s->pub, s->kid) != 0) {
		snprintf(err, errlen, "the token's public key is not a valid P-256 point");
		return PL_E_SIGNER_KEY_TYPE;
	}
	if (selfcheck_init(&s->check, s->pub) != 0) {
		snprintf(err, errlen, "the token's public key is not a valid P-256 point");
		return PL_E_SIGNER_KEY_TYPE;
	}
	s->crypto.verify_es256 = selfcheck_verify;
	s->crypto.ctx = &s->check;
	return 0;
}

int signer_open_ex(const char *key_uri, const char *pin_file, const struct signer_limits *limits,
                   const struct signer_options *opt, struct signer **out, char *err, size_t errlen)
{
	struct signer *s = NULL;
	char scratch[256];
	int r;

	*out = NULL;
	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = '\0';
	if (signer_limits_check(limits) != 0) {
		snprintf(err, errlen,
		         "the signer's hard limits are invalid (no operations, an "
		         "empty or duplicate name, or a zero max_ttl/max_exi)");
		return PL_E_SIGNER_LIMITS;
	}
	if (opt != NULL && opt->sessions > 64) {
		snprintf(err, errlen, "at most 64 sessions");
		return PL_E_INVAL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PL_E_NOMEM;
	s->limits = *limits;
	options_default(&s->opt, opt);
	if ((r = sync_init(s)) != 0) {
		free(s);
		return r;
	}
	if ((r = open_inner(s, key_uri, pin_file, err, errlen)) != 0)
		goto out;
	atomic_store(&s->state, ST_READY);
	if (pthread_create(&s->thread, NULL, recovery_main, s) != 0) {
		r = PL_E_NOMEM;
		goto out;
	}
	s->thread_started = 1;
	*out = s;
	s = NULL;
	r = 0;
out:
	signer_close(s);
	return r;
}

void signer_close(struct signer *s)
{
	if (s == NULL)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	p11_close(s->conn);
	p11_uri_free(s->uri);
	pl_free_wiped(s->pin, s->pin_len);
	selfcheck_free(&s->check);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_rwlock_destroy(&s->limits_lock);
	pthread_rwlock_destroy(&s->conn_lock);
	plt_wipe(s, sizeof(*s));
	free(s);
}

/* ---- signing ---------------------------------------------------------------------- */

static int sign_digest(struct signer *s, const uint8_t digest[32], uint8_t sig[64])
{
	unsigned long ckr = 0;
	int r = PL_E_SIGNER_UNAVAILABLE;

	if (atomic_load(&s->state) != ST_READY)
		return PL_E_SIGNER_UNAVAILABLE;
	pthread_rwlock_rdlock(&s->conn_lock);
	if (s->conn != NULL) {
		atomic_fetch_add(&s->sign_calls, 1);
		r = p11_sign_digest(s->conn, digest, sig, &ckr);
	}
	pthread_rwlock_unlock(&s->conn_lock);
	if (r == PL_E_SIGNER_UNAVAILABLE && ckr != 0)
		record_fault(s, r, ckr, "C_Sign");
	return r;
}

static int sha256_parts(const struct plt_iov *parts, size_t n, uint8_t digest[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int dlen = 0;
	int ok;

	if (md == NULL)
		return PL_E_NOMEM;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(md, parts[i].ptr, parts[i].len) == 1;
	ok = ok && EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : PL_E_CRYPTO;
}

/* plt_sign_fn: ctx is the struct signer. */
static int sign_parts(void *ctx, const struct plt_iov *parts, size_t nparts,
                      uint8_t sig[PLT_SIG_LEN])
{
	uint8_t digest[32];
	int r;

	if ((r = sha256_parts(parts, nparts, digest)) != 0)
		return r;
	return sign_digest(ctx, digest, sig);
}

static void text_claim(struct plt_bytes *b, const char *s)
{
	b->ptr = (const uint8_t *)s;
	b->len = strlen(s);
}

static void claims_fill(struct plt_claims *c, const struct signer_request *req,
                        const uint8_t cti[SIGNER_CTI_LEN])
{
	memset(c, 0, sizeof(*c));
	c->present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
	             PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI | PLT_HAS_POLICY_VER;
	text_claim(&c->iss, req->iss);
	text_claim(&c->aud, req->vin);
	c->iat = req->iat;
	c->exp = req->iat + (int64_t)req->ttl_s;
	c->cti.ptr = cti;
	c->cti.len = SIGNER_CTI_LEN;
	text_claim(&c->scope, req->op);
	c->cnonce.ptr = req->cnonce;
	c->cnonce.len = req->cnonce_len;
	c->exi = req->exi_s;
	c->policy_version = req->policy_version;
	if (req->workshop[0] != '\0') {
		c->present |= PLT_HAS_WORKSHOP;
		text_claim(&c->workshop, req->workshop);
	}
	if (req->technician[0] != '\0') {
		c->present |= PLT_HAS_TECHNICIAN;
		text_claim(&c->technician, req->technician);
	}
	if (req->work_order[0] != '\0') {
		c->present |= PLT_HAS_WORK_ORDER;
		text_claim(&c->work_order, req->work_order);
	}
}

/* Decodes and verifies what was just built, as an ECU would. */
static int self_verify(struct signer *s, const struct signer_request *req, const uint8_t *tok,
                       size_t len)
{
	struct plt_trust_anchor anchor = {.role = PLT_ROLE_BROKER}; /* the rest zero */
	struct plt_trust_store trust = {&anchor, 1};
	struct plt_expect ex = {
	    .vin = req->vin,
	    .op = req->op,
	    .cnonce = req->cnonce,
	    .cnonce_len = req->cnonce_len,
	    .age_s = -1,
	    .have_clock = 0,
	    .now = 0,
	};

	memset(&anchor, 0, sizeof(anchor)); /* role: PLT_ROLE_BROKER */
	memcpy(anchor.kid, s->kid, sizeof(anchor.kid));
	memcpy(anchor.pub, s->pub, sizeof(anchor.pub));
	return plt_verify(tok, len, &trust, &s->crypto, &ex, NULL) == 0 ? 0
	                                                                : PL_E_SIGNER_SELF_VERIFY;
}

int signer_set_limits(struct signer *s, const struct signer_limits *limits)
{
	if (s == NULL || signer_limits_check(limits) != 0)
		return PL_E_SIGNER_LIMITS;
	pthread_rwlock_wrlock(&s->limits_lock);
	s->limits = *limits;
	pthread_rwlock_unlock(&s->limits_lock);
	return 0;
}

int signer_issue(struct signer *s, const struct signer_request *req,
                 uint8_t cti_out[SIGNER_CTI_LEN], uint8_t *tok, size_t cap, size_t *len)
{
	uint8_t buf[SIGNER_TOKEN_MAX];
	uint8_t cti[SIGNER_CTI_LEN];
	struct plt_claims c;
	size_t n = 0;
	int r;

	*len = 0;
	pthread_rwlock_rdlock(&s->limits_lock);
	r = signer_request_check(&s->limits, req);
	pthread_rwlock_unlock(&s->limits_lock);
	if (r != 0) {
		atomic_fetch_add(&s->refused, 1);
		return r;
	}
	if (atomic_load(&s->state) != ST_READY)
		return PL_E_SIGNER_UNAVAILABLE;
	if (RAND_bytes(cti, sizeof(cti)) != 1)
		return PL_E_CRYPTO;
	claims_fill(&c, req, cti);
	if (req->form == SIGNER_FORM_SIGN)
		r = plt_encode_sign(&c, s->kid, sign_parts, s, buf, sizeof(buf), &n);
	else
		r = plt_encode(&c, s->kid, sign_parts, s, buf, sizeof(buf), &n);
	if (r != 0)
		goto out;
	if ((r = self_verify(s, req, buf, n)) != 0)
		goto out;
	if (n > cap) {
		r = PL_E_NOSPACE;
		goto out;
	}
	memcpy(tok, buf, n);
	memcpy(cti_out, cti, sizeof(cti));
	*len = n;
	atomic_fetch_add(&s->issued, 1);
	r = 0;
out:
	plt_wipe(buf, sizeof(buf));
	return r;
}

void signer_checkpoint_message(uint64_t row_count, const uint8_t head[32],
                               uint8_t msg[SIGNER_CHECKPOINT_MSG_LEN])
{
	size_t off = sizeof(SIGNER_CHECKPOINT_CONTEXT) - 1;

	memcpy(msg, SIGNER_CHECKPOINT_CONTEXT, off);
	for (int i = 7; i >= 0; i--)
		msg[off++] = (uint8_t)(row_count >> (8 * i));
	memcpy(msg + off, head, 32);
}

int signer_sign_checkpoint(struct signer *s, uint64_t row_count, const uint8_t head[32],
                           uint8_t sig[SIGNER_SIG_LEN])
{
	uint8_t msg[SIGNER_CHECKPOINT_MSG_LEN];
	struct plt_iov part = {msg, sizeof(msg)};
	uint8_t out[SIGNER_SIG_LEN];
	int r;

	signer_checkpoint_message(row_count, head, msg);
	if ((r = sign_parts(s, &part, 1, out)) != 0)
		return r;
	if (s->crypto.verify_es256(s->crypto.ctx, s->pub, &part, 1, out) != 0)
		return PL_E_SIGNER_SELF_VERIFY;
	memcpy(sig, out, sizeof(out));
	return 0;
}

int signer_audit_sign(void *ctx, uint64_t row_count, const uint8_t head[32],
                      uint8_t sig[SIGNER_SIG_LEN])
{
	return signer_sign_checkpoint(ctx, row_count, head, sig);
}

/* ---- queries ---------------------------------------------------------------------- */

int signer_public_key(struct signer *s, uint8_t pub[SIGNER_PUB_LEN], uint8_t kid[SIGNER_KID_LEN])
{
	memcpy(pub, s->pub, SIGNER_PUB_LEN);
	memcpy(kid, s->kid, SIGNER_KID_LEN);
	return 0;
}

int signer_ready(struct signer *s)
{
	return atomic_load(&s->state) == ST_READY;
}

void signer_status(struct signer *s, struct signer_status *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&s->mu);
	st->ready = atomic_load(&s->state) == ST_READY;
	st->last_err = s->last_err;
	st->last_ckr = s->last_ckr;
	memcpy(st->detail, s->detail, sizeof(st->detail));
	pthread_mutex_unlock(&s->mu);
	st->sign_calls = atomic_load(&s->sign_calls);
	st->issued = atomic_load(&s->issued);
	st->refused = atomic_load(&s->refused);
	st->faults = atomic_load(&s->faults);
	st->reinits = atomic_load(&s->reinits);
}
