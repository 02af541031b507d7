/* libcurl client of the broker (see broker.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "broker.h"
#include "config.h"
#include "interrupt.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_file.h"
#include "pl_parse.h"

#define TICK_MS 100
#define CERT_MAX (64 * 1024)
#define PINS_MAX 300

struct broker {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;
	char url[600];
	char pins[PINS_MAX];
	char errbuf[CURL_ERROR_SIZE];
	struct broker_reply *rep; /* the reply being filled */
	int overflow;
};

static int curl_ready;

int broker_cert_validity(const char *path, long long *seconds_left, long long *seconds_since,
                         char *not_after, size_t cap)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL, *mem = NULL;
	X509 *x = NULL;
	int d1 = 0, s1 = 0, d2 = 0, s2 = 0, r;
	char *p = NULL;
	long n;

	if ((r = pl_read_file(path, CERT_MAX, &pem, &len)) != 0)
		return r;
	r = PL_E_BADCERT;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		goto out;
	if (ASN1_TIME_diff(&d1, &s1, NULL, X509_get0_notAfter(x)) != 1 ||
	    ASN1_TIME_diff(&d2, &s2, X509_get0_notBefore(x), NULL) != 1)
		goto out;
	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    ASN1_TIME_print(mem, X509_get0_notAfter(x)) != 1)
		goto out;
	n = BIO_get_mem_data(mem, &p);
	snprintf(not_after, cap, "%.*s", (int)(n < 0 ? 0 : n), p);
	*seconds_left = (long long)d1 * 86400 + s1;
	*seconds_since = (long long)d2 * 86400 + s2;
	r = 0;
out:
	BIO_free(mem);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	return r;
}

static int check_device_cert(const char *path, char *err, size_t errlen)
{
	long long left = 0, since = 0;
	char na[64] = "";
	int r;

	if ((r = broker_cert_validity(path, &left, &since, na, sizeof(na))) != 0) {
		snprintf(err, errlen, "device_cert %s: %s; check agent.conf", path, pl_strerror(r));
		return PL_E_AGENT_DEVICE_CERT;
	}
	if (left < 0) {
		snprintf(err, errlen,
		         "this PC's certificate (%s) expired on %s: the broker will "
		         "refuse it; ask the workshop admin for a new device certificate",
		         path, na);
		return PL_E_AGENT_DEVICE_EXPIRED;
	}
	if (since < 0) {
		snprintf(err, errlen,
		         "this PC's certificate (%s) is not valid yet: check the PC's "
		         "date and time",
		         path);
		return PL_E_AGENT_DEVICE_NOTYET;
	}
	return 0;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct broker *b = arg;
	size_t add = sz * n;

	if (b->rep->len + add > sizeof(b->rep->body)) {
		b->overflow = 1;
		return 0;
	}
	memcpy(b->rep->body + b->rep->len, p, add);
	b->rep->len += add;
	return add;
}

/* Header value of name (case-insensitive) in line, trimmed, into out[cap]. */
static int header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), i, end;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	for (i = nl + 1; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	for (end = len; end > i && isspace((unsigned char)line[end - 1]); end--)
		;
	snprintf(out, cap, "%.*s", (int)(end - i), line + i);
	return 1;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct broker *b = arg;
	size_t len = sz * n;
	char v[32];
	uint32_t secs;

	if (header_value(p, len, "Retry-After", v, sizeof(v)) &&
	    pl_parse_u32(v, 0, 86400 * 366, &secs) == 0)
		b->rep->retry_after = (long)secs;
	header_value(p, len, "X-Request-Id", b->rep->request_id, sizeof(b->rep->request_id));
	header_value(p, len, "Location", b->rep->location, sizeof(b->rep->location));
	return len;
}

int broker_check_device_key(const struct agent_config *c, char *err, size_t errlen)
{
	struct pl_file_problem p;
	int r;

	if (strncmp(c->device_key, "pkcs11:", 7) == 0)
		return 0;
	if ((r = pl_file_check(c->device_key, PL_FILE_SECRET, PL_FILE_NO_UID, &p)) == 0)
		return 0;
	if (strcmp(p.path, c->device_key) == 0)
		snprintf(err, errlen, "device_key %s %s; fix: %s (device_key in agent.conf)",
		         c->device_key, p.what, p.fix);
	else
		snprintf(err, errlen, "device_key %s: the directory %s %s; fix: %s", c->device_key,
		         p.path, p.what, p.fix);
	return r;
}

static int set_client_key(struct broker *b, const struct agent_config *c, char *err, size_t errlen)
{
	CURL *e = b->easy;

	curl_easy_setopt(e, CURLOPT_SSLCERT, c->device_cert);
	if (strncmp(c->device_key, "pkcs11:", 7) != 0) {
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->device_key);
		return 0;
	}
	if (curl_easy_setopt(e, CURLOPT_SSLENGINE, "pkcs11") != CURLE_OK) {
		snprintf(err, errlen,
		         "device_key is a pkcs11: URI but OpenSSL's pkcs11 engine "
		         "cannot be loaded: install libengine-pkcs11-openssl, or use a key file");
		return PL_E_AGENT_ENGINE;
	}
	curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "ENG");
	curl_easy_setopt(e, CURLOPT_SSLKEY, c->device_key);
	return 0;
}

static int setup(struct broker *b, const struct agent_config *c, char *err, size_t errlen)
{
	CURL *e = b->easy;
	long tmo = (long)c->broker_timeout_s * 1000;

	if (agent_config_pins(c, b->pins, sizeof(b->pins)) != 0)
		return PL_E_NOSPACE;
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, b->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_SSLVERSION,
	                 (long)(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3));
	curl_easy_setopt(e, CURLOPT_CAINFO, c->broker_ca);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_s * 1000);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	if (curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, b->pins) != CURLE_OK) {
		snprintf(err, errlen,
		         "this libcurl cannot pin public keys; install the "
		         "libcurl4-openssl-dev flavour");
		return PL_E_AGENT_BROKER_TLS;
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, b);
	return set_client_key(b, c, err, errlen);
}

int broker_open(const struct agent_config *c, struct broker **out, char *err, size_t errlen)
{
	struct broker *b;
	size_t ul;
	int r;

	if ((r = check_device_cert(c->device_cert, err, errlen)) != 0)
		return r;
	if ((r = broker_check_device_key(c, err, errlen)) != 0)
		return r;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return PL_E_NOMEM;
		curl_ready = 1;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return PL_E_NOMEM;
	ul = strlen(c->broker_url);
	while (ul > 0 && c->broker_url[ul - 1] == '/')
		ul--;
	snprintf(b->url, sizeof(b->url), "%.*s", (int)ul, c->broker_url);
	r = PL_E_NOMEM;
	if ((b->multi = curl_multi_init()) == NULL || (b->easy = curl_easy_init()) == NULL)
		goto out;
	if ((r = setup(b, c, err, errlen)) != 0)
		goto out;
	*out = b;
	b = NULL;
out:
	broker_close(b);
	return r;
}

static int map_curl(struct broker *b, CURLcode rc, char *err, size_t errlen)
{
	long fresh = 0;
	const char *why = b->errbuf[0] ? b->errbuf : curl_easy_strerror(rc);

	curl_easy_getinfo(b->easy, CURLINFO_NUM_CONNECTS, &fresh);
	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		snprintf(err, errlen, "interrupted while talking to the broker at %s", b->url);
		return PL_E_AGENT_INTERRUPTED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		snprintf(err, errlen,
		         "cannot reach the broker at %s (%s): check the network; "
		         "if it persists the broker is down, call OEM support",
		         b->url, why);
		return PL_E_AGENT_BROKER_DOWN;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen,
		         "the broker at %s did not answer in time (%s): try again "
		         "later",
		         b->url, why);
		return PL_E_AGENT_BROKER_TIMEOUT;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		snprintf(err, errlen,
		         "the broker's key does not match the pins - do not continue; "
		         "call OEM support (server %s)",
		         b->url);
		return PL_E_AGENT_PIN_MISMATCH;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (fresh > 0) {
			snprintf(err, errlen,
			         "the broker rejected this PC's certificate (expired, "
			         "revoked or unknown CA?): ask the workshop admin for a new device "
			         "certificate (%s)",
			         why);
			return PL_E_AGENT_CERT_REJECTED;
		}
		snprintf(err, errlen, "the connection to the broker broke (%s): try again", why);
		return PL_E_AGENT_BROKER_DOWN;
	case CURLE_SSL_CERTPROBLEM:
		snprintf(err, errlen,
		         "this PC's certificate or key cannot be used (%s): check "
		         "device_cert and device_key in agent.conf",
		         why);
		return PL_E_AGENT_DEVICE_CERT;
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		snprintf(err, errlen,
		         "OpenSSL's pkcs11 engine failed (%s): install "
		         "libengine-pkcs11-openssl or use a key file for device_key",
		         why);
		return PL_E_AGENT_ENGINE;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(err, errlen,
		         "the broker's certificate is not trusted (%s): check "
		         "broker_url and broker_ca; do not continue, call OEM support",
		         why);
		return PL_E_AGENT_BROKER_TLS;
	default:
		snprintf(err, errlen, "talking to the broker at %s failed: %s (curl %d)", b->url,
		         why, (int)rc);
		return PL_E_AGENT_BROKER_TLS;
	}
}

static CURLcode perform(struct broker *b, broker_tick_fn tick, void *ctx)
{
	CURLMsg *m;
	int running = 1, left;
	CURLcode rc = CURLE_FAILED_INIT;

	if (curl_multi_add_handle(b->multi, b->easy) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (running) {
		if (agent_interrupted()) { /* Ctrl-C: the run ends its vehicle exchange */
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (curl_multi_perform(b->multi, &running) != CURLM_OK)
			break;
		if (running && curl_multi_poll(b->multi, NULL, 0, TICK_MS, NULL) != CURLM_OK)
			break;
		if (tick != NULL)
			tick(ctx);
	}
	while ((m = curl_multi_info_read(b->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == b->easy)
			rc = m->data.result;
	curl_multi_remove_handle(b->multi, b->easy);
	return agent_interrupted() ? CURLE_ABORTED_BY_CALLBACK : rc;
}

static void reply_reset(struct broker_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->retry_after = -1;
}

int broker_call(struct broker *b, const char *path, const char *ctype, const uint8_t *body,
                size_t len, struct broker_reply *rep, broker_tick_fn tick, void *ctx, char *err,
                size_t errlen)
{
	char url[700];
	char ct[128] = "";
	CURLcode rc;

	curl_slist_free_all(b->hdrs);
	b->hdrs = NULL;
	if (body != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		if ((b->hdrs = curl_slist_append(NULL, ct)) == NULL)
			return PL_E_NOMEM;
		ct[0] = '\0';
	}

	reply_reset(rep);
	b->rep = rep;
	b->overflow = 0;
	b->errbuf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", b->url, path);
	curl_easy_setopt(b->easy, CURLOPT_URL, url);
	if (body != NULL) {
		curl_easy_setopt(b->easy, CURLOPT_HTTPHEADER, b->hdrs);
		curl_easy_setopt(b->easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(b->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	} else {
		curl_easy_setopt(b->easy, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(b->easy, CURLOPT_HTTPGET, 1L);
	}
	rc = perform(b, tick, ctx);
	b->rep = NULL;
	if (rc == CURLE_WRITE_ERROR && b->overflow) {
		snprintf(err, errlen, "the broker's answer is larger than %d bytes",
		         BROKER_BODY_MAX);
		return PL_E_AGENT_BROKER_REPLY;
	}
	if (rc != CURLE_OK)
		return map_curl(b, rc, err, errlen);
	curl_easy_getinfo(b->easy, CURLINFO_RESPONSE_CODE, &rep->status);
	{
		curl_off_t us = 0;

		if (curl_easy_getinfo(b->easy, CURLINFO_APPCONNECT_TIME_T, &us) == CURLE_OK)
			rep->connect_ms = (double)us / 1e3;
	}
	if (rep->status != 200 && rep->status != 201) {
		const char *t = NULL;

		curl_easy_getinfo(b->easy, CURLINFO_CONTENT_TYPE, &t);
		if (t != NULL)
			snprintf(ct, sizeof(ct), "%s", t);
		if (strncmp(ct, "application/concise-problem-details+cbor", 40) == 0)
			broker_parse_problem(rep->body, rep->len, rep);
		else if (rep->status == 202 && strncmp(ct, "application/cbor", 16) == 0)
			broker_parse_pending(rep->body, rep->len, rep);
	}
	return 0;
}

void broker_set_timeout(struct broker *b, long ms)
{
	curl_easy_setopt(b->easy, CURLOPT_TIMEOUT_MS, ms);
}

void broker_close(struct broker *b)
{
	if (b == NULL)
		return;
	if (b->multi != NULL && b->easy != NULL)
		curl_multi_remove_handle(b->multi, b->easy);
	if (b->easy != NULL)
		curl_easy_cleanup(b->easy);
	if (b->multi != NULL)
		curl_multi_cleanup(b->multi);
	curl_slist_free_all(b->hdrs);
	free(b);
}
