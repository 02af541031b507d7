/*
 * The cosigner-client's engine: one libcurl multi handle, at most
 * CC_INFLIGHT_MAX transfers at once (kept-alive connections are reused),
 * at most CC_QUEUE_MAX jobs waiting behind them; a job beyond that is
 * answered "busy" at once. Every transfer: POST cosign-request (CBOR) over
 * HTTP/1.1 and TLS 1.3, the broker's client certificate, the co-signer's key
 * pinned (CURLOPT_PINNEDPUBLICKEY; the pin is the trust, no CA), the
 * co-signer's address resolved at start, https only, no redirects, the whole
 * exchange bounded by cosigner_timeout_ms (connect included).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cosigner_client.h"
#include "pitlane/token.h"
#include "pl_err.h"

#define RESP_MAX 4096
#define COSIGN_BODY_MAX 16384 /* the co-signer's limit (docs/cosigner.md) */

struct xfer {
	struct cc_engine *e;
	CURL *h;
	uint64_t job;
	uint64_t started_ms;
	uint8_t *body; /* the cosign-request */
	size_t body_len;
	uint8_t resp[RESP_MAX];
	size_t resp_len;
	int resp_over;
	char ctype[96];
	struct xfer *next; /* queue */
};

struct cc_engine {
	CURLM *m;
	const struct broker_config *c;
	const struct cc_creds *cr;
	struct curl_slist *resolve, *headers;
	cc_done_fn done;
	void *ctx;
	unsigned inflight, queued;
	struct xfer *qhead, *qtail;
};

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (len > sizeof(x->resp) - x->resp_len) {
		x->resp_over = 1;
		return 0; /* ends the transfer: an answer this large is not the co-signer's */
	}
	memcpy(x->resp + x->resp_len, p, len);
	x->resp_len += len;
	return len;
}

static void xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->h != NULL)
		curl_easy_cleanup(x->h);
	if (x->body != NULL) {
		plt_wipe(x->body, x->body_len);
		free(x->body);
	}
	plt_wipe(x->resp, sizeof(x->resp));
	free(x);
}

/* A result with no answer from the co-signer. */
static void unavailable(struct cc_engine *e, uint64_t job, uint32_t why, uint64_t started,
                        const char *detail)
{
	struct cosign_result res;

	memset(&res, 0, sizeof(res));
	res.job = job;
	res.outcome = COSIGN_UNAVAILABLE;
	res.why = why;
	res.elapsed_ms = started != 0 ? (uint32_t)(mono_ms() - started) : 0;
	snprintf(res.detail, sizeof(res.detail), "%s", detail);
	e->done(e->ctx, &res);
}

/* cosign-request = {1: request, 2: token, ? 3: approval} (docs/cosigner.md). */
static int encode_request(const struct cosign_job *j, const uint8_t *tail, uint8_t **out,
                          size_t *len)
{
	size_t cap = (size_t)j->req_len + j->tok_len + j->apr_len + 32;
	uint8_t *b = malloc(cap);
	struct plt_cbor_writer w;
	int r;

	if (b == NULL)
		return PL_E_NOMEM;
	plt_cbor_writer_init(&w, b, cap);
	plt_cbor_put_map(&w, j->apr_len > 0 ? 3 : 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_bstr(&w, tail, j->req_len);
	plt_cbor_put_uint(&w, 2);
	plt_cbor_put_bstr(&w, tail + j->req_len, j->tok_len);
	if (j->apr_len > 0) {
		plt_cbor_put_uint(&w, 3);
		plt_cbor_put_bstr(&w, tail + j->req_len + j->tok_len, j->apr_len);
	}
	if ((r = plt_cbor_writer_finish(&w, len)) != 0 || *len > COSIGN_BODY_MAX) {
		free(b);
		return r != 0 ? r : PL_E_TOOBIG;
	}
	*out = b;
	return 0;
}

static int easy_setup(struct cc_engine *e, struct xfer *x)
{
	const struct cc_creds *cr = e->cr;
	struct curl_blob cert = {cr->cert_pem, cr->cert_len, CURL_BLOB_NOCOPY};
	struct curl_blob key = {cr->key_pem, cr->key_len, CURL_BLOB_NOCOPY};
	long t = (long)e->c->cosigner_timeout_ms;
	CURL *h = curl_easy_init();

	if (h == NULL)
		return PL_E_NOMEM;
	x->h = h;
	if (curl_easy_setopt(h, CURLOPT_URL, cr->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK ||
	    /* the pin is the trust anchor: the co-signer's own key, no CA in between */
	    curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, e->c->cosigner_pin) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK ||
	    /* no CA bundle to open (the process may not open files) */
	    curl_easy_setopt(h, CURLOPT_CAINFO, NULL) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CAPATH, NULL) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_RESOLVE, e->resolve) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->headers) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)x->body_len) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, t) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, t) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PRIVATE, x) != CURLE_OK)
		return PL_E_INTERNAL;
	return 0;
}

/* Starts queued jobs while there is room in flight. */
static void start_queued(struct cc_engine *e)
{
	while (e->qhead != NULL && e->inflight < CC_INFLIGHT_MAX) {
		struct xfer *x = e->qhead;

		e->qhead = x->next;
		if (e->qhead == NULL)
			e->qtail = NULL;
		e->queued--;
		x->next = NULL;
		if (easy_setup(e, x) != 0 || curl_multi_add_handle(e->m, x->h) != CURLM_OK) {
			unavailable(e, x->job, COSIGN_WHY_HTTP, x->started_ms,
			            "the client could not set up the transfer");
			xfer_free(x);
			continue;
		}
		e->inflight++;
	}
}

void cc_engine_submit(struct cc_engine *e, const struct cosign_job *job, const uint8_t *tail,
                      size_t tail_len)
{
	struct xfer *x;

	if ((size_t)job->req_len + job->tok_len + job->apr_len != tail_len || job->req_len == 0 ||
	    job->tok_len == 0) {
		unavailable(e, job->job, COSIGN_WHY_HTTP, 0, "a job whose parts disagree");
		return;
	}
	if (e->cr->resolve[0] == '\0') {
		unavailable(e, job->job, COSIGN_WHY_CONNECT, 0, e->cr->resolve_err);
		return;
	}
	if (e->queued >= CC_QUEUE_MAX) {
		unavailable(e, job->job, COSIGN_WHY_BUSY, 0,
		            "the broker's queue to the co-signer is full");
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    encode_request(job, tail, &x->body, &x->body_len) != 0) {
		free(x);
		unavailable(e, job->job, COSIGN_WHY_HTTP, 0,
		            "the request is larger than the co-signer takes (16 KiB)");
		return;
	}
	x->e = e;
	x->job = job->job;
	x->started_ms = mono_ms();
	if (e->qtail != NULL)
		e->qtail->next = x;
	else
		e->qhead = x;
	e->qtail = x;
	e->queued++;
	start_queued(e);
}

/* Why libcurl gave up, in the words of enum cosign_why. */
static uint32_t why_of(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return COSIGN_WHY_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return COSIGN_WHY_CONNECT;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return COSIGN_WHY_PIN;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return COSIGN_WHY_TLS;
	default:
		return COSIGN_WHY_HTTP;
	}
}

static int bytes_is(const struct plt_bytes *b, const char *s)
{
	return b->len == strlen(s) && memcmp(b->ptr, s, b->len) == 0;
}

static void text_to(const struct plt_bytes *b, char *dst, size_t cap)
{
	size_t n = b->len < cap - 1 ? b->len : cap - 1;

	for (size_t i = 0; i < n; i++)
		dst[i] = b->ptr[i] >= 0x20 && b->ptr[i] != 0x7f ? (char)b->ptr[i] : '?';
	dst[n] = '\0';
}

/* The pitlane entry of a concise problem: code, rule (docs/protocol.md). */
static int problem_custom(struct plt_cbor_reader *r, struct cosign_result *res)
{
	struct plt_bytes k, v;
	size_t n;

	if (plt_cbor_get_map(r, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (plt_cbor_get_tstr(r, &k) != 0)
			return -1;
		if (plt_cbor_peek(r) == PLT_CBOR_TSTR &&
		    (bytes_is(&k, "code") || bytes_is(&k, "rule"))) {
			if (plt_cbor_get_tstr(r, &v) != 0)
				return -1;
			if (bytes_is(&k, "code"))
				text_to(&v, res->code, sizeof(res->code));
			else
				text_to(&v, res->rule, sizeof(res->rule));
		} else if (plt_cbor_peek(r) == PLT_CBOR_UINT && bytes_is(&k, "retry-after")) {
			uint64_t ra;

			if (plt_cbor_get_uint(r, &ra) != 0)
				return -1;
			res->retry_after = ra < 3600 ? (uint32_t)ra : 3600;
		} else if (plt_cbor_skip(r) != 0) {
			return -1;
		}
	}
	return 0;
}

/* RFC 9290 concise problem details in the broker's format: detail (-2) and the custom map. */
static int problem_decode(const uint8_t *p, size_t len, struct cosign_result *res)
{
	struct plt_cbor_reader r;
	size_t n;

	plt_cbor_reader_init(&r, p, len);
	if (plt_cbor_get_map(&r, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int t = plt_cbor_peek(&r);

		if (t == PLT_CBOR_NINT) {
			int64_t key;
			struct plt_bytes v;

			if (plt_cbor_get_int(&r, &key) != 0)
				return -1;
			if (key == -2 && plt_cbor_peek(&r) == PLT_CBOR_TSTR) {
				if (plt_cbor_get_tstr(&r, &v) != 0)
					return -1;
				text_to(&v, res->detail, sizeof(res->detail));
			} else if (plt_cbor_skip(&r) != 0) {
				return -1;
			}
		} else if (t == PLT_CBOR_TSTR) {
			struct plt_bytes k;

			if (plt_cbor_get_tstr(&r, &k) != 0)
				return -1;
			if (bytes_is(&k, "tag:pitlane.dev,2025:problem")) {
				if (problem_custom(&r, res) != 0)
					return -1;
			} else if (plt_cbor_skip(&r) != 0) {
				return -1;
			}
		} else if (plt_cbor_skip(&r) != 0 || plt_cbor_skip(&r) != 0) {
			return -1;
		}
	}
	return plt_cbor_end(&r) == 0 && res->code[0] != '\0' ? 0 : -1;
}

/* One COSE_Signature: a CBOR array of three items, nothing after it. */
static int is_cose_signature(const uint8_t *p, size_t len)
{
	struct plt_cbor_reader r;
	size_t n;

	plt_cbor_reader_init(&r, p, len);
	return len <= COSIGN_SIG_MAX && plt_cbor_get_array(&r, &n) == 0 && n == 3 &&
	       plt_cbor_skip(&r) == 0 && plt_cbor_skip(&r) == 0 && plt_cbor_skip(&r) == 0 &&
	       plt_cbor_end(&r) == 0;
}

static void finished(struct cc_engine *e, struct xfer *x, CURLcode cc)
{
	struct cosign_result res;
	long status = 0;

	memset(&res, 0, sizeof(res));
	res.job = x->job;
	res.elapsed_ms = (uint32_t)(mono_ms() - x->started_ms);
	(void)curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	res.http_status = (int32_t)status;
	if (cc != CURLE_OK) {
		res.outcome = COSIGN_UNAVAILABLE;
		res.why = x->resp_over ? COSIGN_WHY_HTTP : why_of(cc);
		snprintf(res.detail, sizeof(res.detail), "%s", curl_easy_strerror(cc));
	} else if (status == 200 && is_cose_signature(x->resp, x->resp_len)) {
		res.outcome = COSIGN_SIGNED;
		memcpy(res.sig, x->resp, x->resp_len);
		res.sig_len = (uint32_t)x->resp_len;
	} else if (status >= 400 && problem_decode(x->resp, x->resp_len, &res) == 0) {
		/* 403: it refused; 503 audit/hsm/busy: it could not sign now */
		res.outcome = status >= 500 ? COSIGN_UNAVAILABLE : COSIGN_REFUSED;
		res.why = status >= 500 ? COSIGN_WHY_HTTP : COSIGN_WHY_NONE;
	} else {
		memset(res.code, 0, sizeof(res.code));
		memset(res.rule, 0, sizeof(res.rule));
		res.outcome = COSIGN_UNAVAILABLE;
		res.why = COSIGN_WHY_HTTP;
		snprintf(res.detail, sizeof(res.detail),
		         "HTTP %ld with an answer that is neither a COSE_Signature nor a problem",
		         status);
	}
	e->done(e->ctx, &res);
}

int cc_engine_run(struct cc_engine *e, struct pollfd *extra, unsigned n, int timeout_ms)
{
	struct curl_waitfd w[4];
	CURLMsg *msg;
	int running = 0, left = 0;

	if (n > sizeof(w) / sizeof(w[0]))
		return PL_E_INVAL;
	for (unsigned i = 0; i < n; i++) {
		w[i].fd = extra[i].fd;
		w[i].events = CURL_WAIT_POLLIN;
		w[i].revents = 0;
	}
	if (curl_multi_poll(e->m, w, n, timeout_ms, NULL) != CURLM_OK ||
	    curl_multi_perform(e->m, &running) != CURLM_OK)
		return PL_E_IO;
	for (unsigned i = 0; i < n; i++)
		extra[i].revents = (w[i].revents & CURL_WAIT_POLLIN) ? POLLIN : 0;
	while ((msg = curl_multi_info_read(e->m, &left)) != NULL) {
		struct xfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		(void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(e->m, msg->easy_handle);
		e->inflight--;
		if (x != NULL) {
			finished(e, x, msg->data.result);
			xfer_free(x);
		}
	}
	start_queued(e);
	return 0;
}

int cc_engine_new(const struct broker_config *c, const struct cc_creds *cr, cc_done_fn done,
                  void *ctx, struct cc_engine **out)
{
	struct cc_engine *e = calloc(1, sizeof(*e));
	struct curl_slist *t;
	int r = PL_E_NOMEM;

	if (e == NULL)
		return PL_E_NOMEM;
	e->c = c;
	e->cr = cr;
	e->done = done;
	e->ctx = ctx;
	if ((e->m = curl_multi_init()) == NULL)
		goto out;
	if (cr->resolve[0] != '\0' && (e->resolve = curl_slist_append(NULL, cr->resolve)) == NULL)
		goto out;
	if ((t = curl_slist_append(NULL, "Content-Type: application/cbor")) == NULL)
		goto out;
	e->headers = t;
	if ((t = curl_slist_append(e->headers, "Accept: application/cose, "
	                                       "application/concise-problem-details+cbor")) == NULL)
		goto out;
	e->headers = t;
	if ((t = curl_slist_append(e->headers, "Expect:")) == NULL)
		goto out;
	e->headers = t;
	if (curl_multi_setopt(e->m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)CC_INFLIGHT_MAX) !=
	        CURLM_OK ||
	    curl_multi_setopt(e->m, CURLMOPT_MAXCONNECTS, (long)CC_INFLIGHT_MAX) != CURLM_OK) {
		r = PL_E_INTERNAL;
		goto out;
	}
	*out = e;
	return 0;
out:
	cc_engine_free(e);
	return r;
}

void cc_engine_free(struct cc_engine *e)
{
	if (e == NULL)
		return;
	while (e->qhead != NULL) {
		struct xfer *x = e->qhead;

		e->qhead = x->next;
		xfer_free(x);
	}
	if (e->m != NULL)
		curl_multi_cleanup(e->m); /* transfers still in flight leak their xfer: exiting */
	curl_slist_free_all(e->resolve);
	curl_slist_free_all(e->headers);
	free(e);
}
