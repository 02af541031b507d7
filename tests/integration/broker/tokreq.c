/*
 * tokreq — test client and load generator for pitlaned's POST /v1/token.
 *
 * Builds the request exactly as docs/protocol.md says (a tagged COSE_Sign1,
 * ES256, technician certificate in the protected x5chain header, payload map
 * keys 1..8), signs it with the technician key in a PKCS#11 token (p11-kit;
 * SOFTHSM2_CONF selects the token directory) or a PEM key, and sends it over
 * mTLS with libcurl. Prints one line per request:
 *   status=201 cti=<hex>      status=403 code=policy_denied rule=<rule>
 *   status=0 curl=<n> err=<text>   (transport failure: handshake refused, ...)
 *
 * Exit: 0 when every request got --expect (default 201), 1 otherwise, 2 usage.
 * Test-only code: never a product component.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "p11key.h"
#include "rawhttps.h"
#include "pitlane/token.h"
#include "pitlane/token_openssl.h"

#define BODY_MAX 8192
#define PROBLEM_KEY "tag:pitlane.dev,2025:problem"

struct opts {
	const char *url, *cacert, *cert, *key, *tech_cert, *p11_token, *p11_object, *pin_file;
	const char *sign_key, *vin, *op, *work_order, *reason, *ctis, *out, *raw, *dump_body;
	const char *verify_pub, *nonce_hex, *cnonce_hex, *content_type, *source;
	long iat_offset;
	unsigned ttl, count, conns, expect, sign_bench;
	double rate;
	int tls12, corrupt_sig, repeat_body, bench, quiet, extra_key, raw_client, fresh;
};

struct body {
	uint8_t b[BODY_MAX];
	size_t len;
	uint8_t cnonce[32];
	size_t cnonce_len;
};

struct result {
	long status;
	int curl;
	double lat_us;
	char line[256];
};

static struct opts o = { .vin = "WVWZZZ1JZXW000001", .op = "door.unlock",
			 .work_order = "WO-4711", .reason = "customer lost key",
			 .count = 1, .conns = 1, .expect = 201 };
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *ctis_f;

static int hex2bin(const char *h, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(h);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return -1;
		out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] << 4) | v : v);
	}
	*len = n / 2;
	return 0;
}

static void bin2hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int load_cert_der(const char *path, uint8_t **der, size_t *len)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	unsigned char *p = NULL;
	int n;

	if (f == NULL)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || (n = i2d_X509(x, &p)) <= 0) {
		X509_free(x);
		return -1;
	}
	X509_free(x);
	*der = p;
	*len = (size_t)n;
	return 0;
}

static int build(struct p11key *k, const uint8_t *cert, size_t certlen, struct body *bd)
{
	uint8_t prot[4096], payload[1024], tbs[6144], nonce[16], sig[64];
	struct plt_cbor_writer w;
	size_t plen, ylen, tlen, nlen;

	plt_cbor_writer_init(&w, prot, sizeof(prot));
	plt_cbor_put_map(&w, 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_int(&w, -7);
	plt_cbor_put_uint(&w, 33);
	plt_cbor_put_bstr(&w, cert, certlen);
	if (plt_cbor_writer_finish(&w, &plen) != 0)
		return -1;
	if (o.nonce_hex != NULL) {
		if (hex2bin(o.nonce_hex, nonce, sizeof(nonce), &nlen) != 0 || nlen != 16)
			return -1;
	} else if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce)) {
		return -1;
	}
	if (o.cnonce_hex != NULL) {
		if (hex2bin(o.cnonce_hex, bd->cnonce, sizeof(bd->cnonce), &bd->cnonce_len) != 0)
			return -1;
	} else {
		bd->cnonce_len = 16;
		if (getrandom(bd->cnonce, 16, 0) != 16)
			return -1;
	}
	plt_cbor_writer_init(&w, payload, sizeof(payload));
	plt_cbor_put_map(&w, 7 + (o.ttl ? 1 : 0) + (o.extra_key ? 1 : 0));
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_cstr(&w, o.vin);
	plt_cbor_put_uint(&w, 2);
	plt_cbor_put_cstr(&w, o.op);
	plt_cbor_put_uint(&w, 3);
	plt_cbor_put_bstr(&w, bd->cnonce, bd->cnonce_len);
	plt_cbor_put_uint(&w, 4);
	plt_cbor_put_cstr(&w, o.work_order);
	plt_cbor_put_uint(&w, 5);
	plt_cbor_put_cstr(&w, o.reason);
	plt_cbor_put_uint(&w, 6);
	plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
	plt_cbor_put_uint(&w, 7);
	plt_cbor_put_uint(&w, (uint64_t)((long)time(NULL) + o.iat_offset));
	if (o.ttl) {
		plt_cbor_put_uint(&w, 8);
		plt_cbor_put_uint(&w, o.ttl);
	}
	if (o.extra_key) {
		plt_cbor_put_uint(&w, 99);
		plt_cbor_put_uint(&w, 1);
	}
	if (plt_cbor_writer_finish(&w, &ylen) != 0)
		return -1;
	plt_cbor_writer_init(&w, tbs, sizeof(tbs));
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_cstr(&w, "Signature1");
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_bstr(&w, NULL, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	if (plt_cbor_writer_finish(&w, &tlen) != 0 || p11key_sign(k, tbs, tlen, sig) != 0)
		return -1;
	if (o.corrupt_sig)
		sig[10] ^= 0x01;
	plt_cbor_writer_init(&w, bd->b, sizeof(bd->b));
	plt_cbor_put_tag(&w, 18);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_map(&w, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	plt_cbor_put_bstr(&w, sig, sizeof(sig));
	return plt_cbor_writer_finish(&w, &bd->len);
}

/* code and rule of a concise problem details body. */
static void problem_fields(const uint8_t *b, size_t len, char *code, char *rule)
{
	struct plt_cbor_reader r;
	size_t n, m;

	code[0] = rule[0] = '\0';
	plt_cbor_reader_init(&r, b, len);
	if (plt_cbor_get_map(&r, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct plt_bytes k, v;

		if (plt_cbor_peek(&r) != PLT_CBOR_TSTR) {
			if (plt_cbor_skip(&r) != 0 || plt_cbor_skip(&r) != 0)
				return;
			continue;
		}
		if (plt_cbor_get_tstr(&r, &k) != 0)
			return;
		if (k.len != strlen(PROBLEM_KEY) || memcmp(k.ptr, PROBLEM_KEY, k.len) != 0 ||
		    plt_cbor_get_map(&r, &m) != 0) {
			if (plt_cbor_skip(&r) != 0)
				return;
			continue;
		}
		for (size_t j = 0; j < m; j++) {
			if (plt_cbor_get_tstr(&r, &k) != 0)
				return;
			if (plt_cbor_peek(&r) != PLT_CBOR_TSTR) {
				if (plt_cbor_skip(&r) != 0)
					return;
				continue;
			}
			if (plt_cbor_get_tstr(&r, &v) != 0 || v.len > 100)
				return;
			if (k.len == 4 && memcmp(k.ptr, "code", 4) == 0)
				snprintf(code, 101, "%.*s", (int)v.len, (const char *)v.ptr);
			if (k.len == 4 && memcmp(k.ptr, "rule", 4) == 0)
				snprintf(rule, 101, "%.*s", (int)v.len, (const char *)v.ptr);
		}
	}
}

struct sink {
	uint8_t b[4096];
	size_t len;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = sz * n;

	if (s->len + add > sizeof(s->b))
		return 0;
	memcpy(s->b + s->len, p, add);
	s->len += add;
	return add;
}

static CURL *new_handle(struct curl_slist **hdrs)
{
	CURL *c = curl_easy_init();
	char ct[128];

	snprintf(ct, sizeof(ct), "Content-Type: %s",
		 o.content_type ? o.content_type : "application/cose; cose-type=\"cose-sign1\"");
	*hdrs = curl_slist_append(NULL, ct);
	curl_easy_setopt(c, CURLOPT_URL, o.url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_CAINFO, o.cacert);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	if (o.cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, o.cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, o.key);
	}
	curl_easy_setopt(c, CURLOPT_SSLVERSION, o.tls12 ?
			 (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2) :
			 (long)(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3));
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	if (o.source != NULL)           /* another client: a second loopback address */
		curl_easy_setopt(c, CURLOPT_INTERFACE, o.source);
	if (o.fresh) {                  /* every request on a new connection (handshake) */
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	}
	return c;
}

static int verify_token(const uint8_t *tok, size_t len, const struct body *bd, char *why)
{
	struct plt_trust_anchor a = { .role = PLT_ROLE_BROKER }; /* the rest zero */
	struct plt_trust_store ts = { &a, 1 };
	struct plt_crypto cr;
	struct plt_expect ex = { .vin = o.vin, .op = o.op, .cnonce = bd->cnonce,
				 .cnonce_len = bd->cnonce_len, .age_s = 0, .have_clock = 1,
				 .now = (int64_t)time(NULL) };
	char *pem = NULL;
	long n;
	FILE *f = fopen(o.verify_pub, "r");
	int r;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	pem = malloc((size_t)n + 1);
	if (pem == NULL || fread(pem, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(pem);
		return -1;
	}
	fclose(f);
	r = plt_openssl_anchor_from_pem(pem, (size_t)n, &a);
	free(pem);
	if (r != 0)
		return r;
	plt_openssl_crypto(&cr);
	r = plt_verify(tok, len, &ts, &cr, &ex, NULL);
	if (r != 0)
		snprintf(why, 64, " verify=%s", plt_errname(r));
	else
		snprintf(why, 64, " verify=ok");
	return r;
}

/* The answer's outcome line: the token's cti, or the problem's code and rule. */
static void account(const struct body *bd, struct result *res, const struct sink *s)
{
	char code[101], rule[101], extra[64] = "";

	if (res->status == 201) {
		struct plt_token t;
		char cti[33] = "?";

		if (plt_decode(s->b, s->len, &t, NULL) == 0 && t.claims.cti.len == 16)
			bin2hex(t.claims.cti.ptr, 16, cti);
		if (o.verify_pub != NULL && verify_token(s->b, s->len, bd, extra) != 0 &&
		    extra[0] == '\0')
			snprintf(extra, sizeof(extra), " verify=error");
		snprintf(res->line, sizeof(res->line), "status=201 cti=%s%s", cti, extra);
		if (ctis_f != NULL) {
			pthread_mutex_lock(&out_lock);
			fprintf(ctis_f, "%s\n", cti);
			fflush(ctis_f);
			pthread_mutex_unlock(&out_lock);
		}
		if (o.out != NULL) {
			FILE *f = fopen(o.out, "wb");
			if (f != NULL) {
				fwrite(s->b, 1, s->len, f);
				fclose(f);
			}
		}
		return;
	}
	problem_fields(s->b, s->len, code, rule);
	snprintf(res->line, sizeof(res->line), "status=%ld code=%s%s%s", res->status, code,
		 rule[0] ? " rule=" : "", rule);
}

static void one(CURL *c, const struct body *bd, struct result *res)
{
	struct sink s = { .len = 0 };
	struct timespec t0, t1;
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, bd->b);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)bd->len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = curl_easy_perform(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->lat_us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	res->curl = (int)rc;
	res->status = 0;
	if (rc != CURLE_OK) {
		snprintf(res->line, sizeof(res->line), "status=0 curl=%d err=\"%s\"", (int)rc,
			 curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	account(bd, res, &s);
}

/* --lean-client: the same request over the minimal keep-alive client (rawhttps.c) */
static void one_raw(struct rawhttps *c, const struct body *bd, struct result *res)
{
	struct sink s = { .len = 0 };
	struct timespec t0, t1;
	int r = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (c != NULL)
		r = rawhttps_post(c, o.content_type ? o.content_type :
				  "application/cose; cose-type=\"cose-sign1\"", bd->b, bd->len,
				  &res->status, s.b, sizeof(s.b), &s.len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->lat_us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	if (r != 0) {
		res->status = 0;
		snprintf(res->line, sizeof(res->line), "status=0 err=\"raw connection failed\"");
		return;
	}
	account(bd, res, &s);
}

struct worker {
	pthread_t th;
	struct body *bodies;
	unsigned n;
	struct result *res;
	double interval_us;
	double phase_us; /* offset of this connection's schedule: spreads the connections */
};

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct curl_slist *h = NULL;
	CURL *c = o.raw_client ? NULL : new_handle(&h);
	struct rawhttps *rc = o.raw_client ? rawhttps_new(o.url, o.cacert, o.cert, o.key) : NULL;
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned i = 0; i < w->n; i++) {
		if (w->interval_us > 0) {
			double due = w->phase_us + w->interval_us * i, el;
			do {
				clock_gettime(CLOCK_MONOTONIC, &now);
				el = (double)(now.tv_sec - start.tv_sec) * 1e6 +
				     (double)(now.tv_nsec - start.tv_nsec) / 1e3;
				if (el < due)
					usleep((useconds_t)(due - el > 1000 ? 1000 : due - el));
			} while (el < due);
		}
		if (o.raw_client)
			one_raw(rc, &w->bodies[i], &w->res[i]);
		else
			one(c, &w->bodies[i], &w->res[i]);
		if (!o.bench && !o.quiet) {
			pthread_mutex_lock(&out_lock);
			printf("%s\n", w->res[i].line);
			fflush(stdout);
			pthread_mutex_unlock(&out_lock);
		}
	}
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(h);
	rawhttps_free(rc);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int sign_bench(struct p11key *k)
{
	uint8_t msg[300], sig[64];
	struct timespec t0, t1;
	double s;

	memset(msg, 0x5a, sizeof(msg));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < o.sign_bench; i++)
		if (p11key_sign(k, msg, sizeof(msg), sig) != 0)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("signs=%u seconds=%.3f sign_rate=%.1f\n", o.sign_bench, s, o.sign_bench / s);
	return 0;
}

static char *read_pin(const char *path)
{
	static char pin[128];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(pin, 1, sizeof(pin) - 1, f);
	fclose(f);
	pin[n] = '\0';
	while (n > 0 && (pin[n - 1] == '\n' || pin[n - 1] == '\r'))
		pin[--n] = '\0';
	return pin;
}

static int read_raw(const char *path, struct body *bd)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	bd->len = fread(bd->b, 1, sizeof(bd->b), f);
	fclose(f);
	return 0;
}

static void usage(void)
{
	fputs("usage: tokreq --url URL --cacert CA [--cert C --key K] [--tls12]\n"
	      "  (--tech-cert PEM (--p11-token L --p11-object O --pin-file F | --sign-key PEM)\n"
	      "   | --raw BODYFILE)\n"
	      "  [--vin V] [--op OP] [--ttl S] [--iat-offset S] [--nonce HEX] [--cnonce HEX]\n"
	      "  [--work-order W] [--reason R] [--corrupt-sig] [--extra-key] [--content-type T]\n"
	      "  [--count N] [--conns C] [--rate R] [--repeat-body] [--expect STATUS]\n"
	      "  [--ctis FILE] [--out FILE] [--dump-body FILE] [--verify-pub PEM]\n"
	      "  [--bench] [--quiet] [--sign-bench N] [--lean-client] [--source IP] [--fresh]\n"
	      "  --lean-client: a minimal keep-alive HTTPS client instead of libcurl (load generation)\n"
	      "  --source IP: connect from this local address; --fresh: a new connection per request\n",
	      stderr);
}

static int parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", 1, 0, 'u' }, { "cacert", 1, 0, 'A' }, { "cert", 1, 0, 'c' },
		{ "key", 1, 0, 'k' }, { "tls12", 0, 0, '2' }, { "tech-cert", 1, 0, 't' },
		{ "p11-token", 1, 0, 'T' }, { "p11-object", 1, 0, 'O' }, { "pin-file", 1, 0, 'P' },
		{ "sign-key", 1, 0, 'S' }, { "vin", 1, 0, 'v' }, { "op", 1, 0, 'o' },
		{ "ttl", 1, 0, 'l' }, { "iat-offset", 1, 0, 'i' }, { "nonce", 1, 0, 'N' },
		{ "cnonce", 1, 0, 'C' }, { "work-order", 1, 0, 'w' }, { "reason", 1, 0, 'r' },
		{ "corrupt-sig", 0, 0, 'x' }, { "count", 1, 0, 'n' }, { "conns", 1, 0, 'j' },
		{ "rate", 1, 0, 'R' }, { "repeat-body", 0, 0, 'b' }, { "expect", 1, 0, 'e' },
		{ "ctis", 1, 0, 'I' }, { "out", 1, 0, 'W' }, { "raw", 1, 0, 'B' },
		{ "dump-body", 1, 0, 'D' }, { "verify-pub", 1, 0, 'V' }, { "bench", 0, 0, 'm' },
		{ "lean-client", 0, 0, 'L' },
		{ "quiet", 0, 0, 'q' }, { "sign-bench", 1, 0, 'z' }, { "extra-key", 0, 0, 'X' },
		{ "content-type", 1, 0, 'H' }, { "source", 1, 0, 's' }, { "fresh", 0, 0, 'F' },
		{ 0, 0, 0, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'u': o.url = optarg; break;
		case 'A': o.cacert = optarg; break;
		case 'c': o.cert = optarg; break;
		case 'k': o.key = optarg; break;
		case '2': o.tls12 = 1; break;
		case 't': o.tech_cert = optarg; break;
		case 'T': o.p11_token = optarg; break;
		case 'O': o.p11_object = optarg; break;
		case 'P': o.pin_file = optarg; break;
		case 'S': o.sign_key = optarg; break;
		case 'v': o.vin = optarg; break;
		case 'o': o.op = optarg; break;
		case 'l': o.ttl = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': o.iat_offset = strtol(optarg, NULL, 10); break;
		case 'N': o.nonce_hex = optarg; break;
		case 'C': o.cnonce_hex = optarg; break;
		case 'w': o.work_order = optarg; break;
		case 'r': o.reason = optarg; break;
		case 'x': o.corrupt_sig = 1; break;
		case 'n': o.count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'j': o.conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'R': o.rate = strtod(optarg, NULL); break;
		case 'b': o.repeat_body = 1; break;
		case 'e': o.expect = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'I': o.ctis = optarg; break;
		case 'W': o.out = optarg; break;
		case 'B': o.raw = optarg; break;
		case 'D': o.dump_body = optarg; break;
		case 'V': o.verify_pub = optarg; break;
		case 'm': o.bench = 1; break;
		case 'L': o.raw_client = 1; break;
		case 'q': o.quiet = 1; break;
		case 'z': o.sign_bench = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'X': o.extra_key = 1; break;
		case 's': o.source = optarg; break;
		case 'F': o.fresh = 1; break;
		case 'H': o.content_type = optarg; break;
		default: return -1;
		}
	}
	if (o.count == 0 || o.conns == 0 || o.conns > 64)
		return -1;
	return 0;
}

static struct p11key *open_key(void)
{
	struct p11key *k = NULL;
	const char *pin;

	if (o.sign_key != NULL) {
		if (p11key_open_pem(o.sign_key, &k) != 0)
			fprintf(stderr, "tokreq: cannot load %s\n", o.sign_key);
		return k;
	}
	if (o.p11_token == NULL || o.p11_object == NULL || o.pin_file == NULL ||
	    (pin = read_pin(o.pin_file)) == NULL) {
		fprintf(stderr, "tokreq: need --sign-key or --p11-token/--p11-object/--pin-file\n");
		return NULL;
	}
	if (p11key_open_token(o.p11_token, o.p11_object, pin, &k) != 0)
		return NULL;
	return k;
}

static int make_bodies(struct body *bodies)
{
	struct p11key *k;
	uint8_t *cert = NULL;
	size_t certlen = 0;
	int r = 0;

	if (o.raw != NULL) {
		for (unsigned i = 0; i < o.count; i++)
			if (read_raw(o.raw, &bodies[i]) != 0)
				return -1;
		return 0;
	}
	if (o.tech_cert == NULL || load_cert_der(o.tech_cert, &cert, &certlen) != 0) {
		fprintf(stderr, "tokreq: cannot read --tech-cert\n");
		return -1;
	}
	if ((k = open_key()) == NULL) {
		OPENSSL_free(cert);
		return -1;
	}
	for (unsigned i = 0; i < o.count && r == 0; i++) {
		if (o.repeat_body && i > 0)
			bodies[i] = bodies[0];
		else if (build(k, cert, certlen, &bodies[i]) != 0)
			r = -1;
	}
	p11key_close(k);
	OPENSSL_free(cert);
	return r;
}

int main(int argc, char **argv)
{
	struct body *bodies;
	struct result *res;
	struct worker *w;
	struct timespec t0, t1;
	unsigned per, ok = 0, done = 0;
	double secs;

	if (parse(argc, argv) != 0) {
		usage();
		return 2;
	}
	if (o.sign_bench) {
		struct p11key *k = open_key();
		int r = k ? sign_bench(k) : 2;
		p11key_close(k);
		return r;
	}
	if ((o.url == NULL || o.cacert == NULL) && o.dump_body == NULL) {
		usage();
		return 2;
	}
	bodies = calloc(o.count, sizeof(*bodies));
	res = calloc(o.count, sizeof(*res));
	w = calloc(o.conns, sizeof(*w));
	if (bodies == NULL || res == NULL || w == NULL || make_bodies(bodies) != 0)
		return 2;
	if (o.dump_body != NULL) {
		FILE *f = fopen(o.dump_body, "wb");
		if (f == NULL || fwrite(bodies[0].b, 1, bodies[0].len, f) != bodies[0].len)
			return 2;
		fclose(f);
		if (o.url == NULL)
			return 0;
	}
	if (o.ctis != NULL && (ctis_f = fopen(o.ctis, "a")) == NULL)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	per = o.count / o.conns;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < o.conns; i++) {
		w[i].bodies = bodies + i * per;
		w[i].res = res + i * per;
		w[i].n = i == o.conns - 1 ? o.count - i * per : per;
		w[i].interval_us = o.rate > 0 ? 1e6 * o.conns / o.rate : 0;
		/* Paced mode: without a phase every connection fires at once, in bursts. */
		w[i].phase_us = w[i].interval_us * i / o.conns;
		pthread_create(&w[i].th, NULL, run_worker, &w[i]);
	}
	for (unsigned i = 0; i < o.conns; i++)
		pthread_join(w[i].th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (unsigned i = 0; i < o.count; i++) {
		done++;
		if (res[i].status == (long)o.expect)
			ok++;
	}
	if (o.bench) {
		double *lat = calloc(o.count, sizeof(double));
		for (unsigned i = 0; i < o.count; i++)
			lat[i] = res[i].lat_us;
		qsort(lat, o.count, sizeof(double), cmp_d);
		printf("requests=%u ok=%u seconds=%.3f rate=%.1f p50_us=%.0f p99_us=%.0f\n", done, ok,
		       secs, done / secs, lat[o.count / 2], lat[(size_t)(o.count * 0.99)]);
		free(lat);
	}
	if (ctis_f != NULL)
		fclose(ctis_f);
	curl_global_cleanup();
	free(bodies);
	free(res);
	free(w);
	return ok == done ? 0 : 1;
}
