/* Building and signing the token request (see request.h). */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "pitlane/token.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "request.h"
#include "techkey.h"

#define PROT_MAX 4096
#define PAYLOAD_MAX 1024

int request_vin_ok(const char *vin)
{
	if (strlen(vin) != PLT_VIN_LEN)
		return 0;
	for (const char *p = vin; *p != '\0'; p++) {
		int digit = *p >= '0' && *p <= '9';
		int upper = *p >= 'A' && *p <= 'Z' && *p != 'I' && *p != 'O' && *p != 'Q';

		if (!digit && !upper)
			return 0;
	}
	return 1;
}

static int op_ok(const char *op)
{
	size_t n = strlen(op);

	if (n == 0 || n > 31)
		return 0;
	return strspn(op, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int text_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int request_check(const struct token_request *q, char *err, size_t errlen)
{
	if (!request_vin_ok(q->vin)) {
		snprintf(err, errlen,
		         "'%s' is not a VIN: 17 characters of A-Z and 0-9 without "
		         "I, O and Q",
		         q->vin);
		return PL_E_AGENT_VIN;
	}
	if (!op_ok(q->op)) {
		snprintf(err, errlen,
		         "'%s' is not an operation name ([a-z0-9._-], at most 31 "
		         "characters, e.g. door.unlock)",
		         q->op);
		return PL_E_AGENT_OP;
	}
	if (q->cnonce_len < PLT_CNONCE_MIN || q->cnonce_len > PLT_CNONCE_MAX) {
		snprintf(err, errlen, "the challenge has %zu bytes; an ECU's challenge has 16..32",
		         q->cnonce_len);
		return PL_E_RANGE;
	}
	if (!text_ok(q->work_order, 1, 63)) {
		snprintf(err, errlen, "the work order must be 1..63 printable characters");
		return PL_E_USAGE;
	}
	if (!text_ok(q->reason, 0, 160)) {
		snprintf(err, errlen, "the reason must be at most 160 printable characters");
		return PL_E_USAGE;
	}
	return 0;
}

static int build_payload(const struct token_request *q, uint8_t *out, size_t cap, size_t *len)
{
	struct plt_cbor_writer w;
	uint8_t nonce[16];
	int r;

	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return PL_E_IO;
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_map(&w, q->ttl ? 8 : 7);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_cstr(&w, q->vin);
	plt_cbor_put_uint(&w, 2);
	plt_cbor_put_cstr(&w, q->op);
	plt_cbor_put_uint(&w, 3);
	plt_cbor_put_bstr(&w, q->cnonce, q->cnonce_len);
	plt_cbor_put_uint(&w, 4);
	plt_cbor_put_cstr(&w, q->work_order);
	plt_cbor_put_uint(&w, 5);
	plt_cbor_put_cstr(&w, q->reason);
	plt_cbor_put_uint(&w, 6);
	plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
	plt_cbor_put_uint(&w, 7);
	plt_cbor_put_uint(&w, (uint64_t)time(NULL));
	if (q->ttl) {
		plt_cbor_put_uint(&w, 8);
		plt_cbor_put_uint(&w, q->ttl);
	}
	r = plt_cbor_writer_finish(&w, len);
	plt_wipe(nonce, sizeof(nonce));
	return r;
}

int request_sign1(struct techkey *k, const uint8_t *payload, size_t ylen, uint8_t *out, size_t cap,
                  size_t *len)
{
	size_t cert_len;

	if (ylen > PAYLOAD_MAX)
		return PL_E_TOOBIG;
	/* the protected header {1: -7, 33: cert} fits in PROT_MAX bytes */
	(void)techkey_cert_der(k, &cert_len);
	if (cert_len > PROT_MAX - 8)
		return PLT_E_NOSPACE;
	return techkey_sign1(k, payload, ylen, out, cap, len);
}

int request_build(struct techkey *k, const struct token_request *q, uint8_t *out, size_t cap,
                  size_t *len)
{
	uint8_t payload[PAYLOAD_MAX];
	size_t ylen;
	int r;

	if ((r = build_payload(q, payload, sizeof(payload), &ylen)) != 0)
		return r;
	return request_sign1(k, payload, ylen, out, cap, len);
}

/* {21: approval id, 22: fresh nonce, 23: now}: keys of their own (docs/protocol.md). */
int request_build_poll(struct techkey *k, const char *approval_id, uint8_t *out, size_t cap,
                       size_t *len)
{
	uint8_t payload[128], nonce[16];
	struct plt_cbor_writer w;
	size_t ylen;
	int r;

	if (!pl_hex_is_lower(approval_id, strlen(approval_id), 32))
		return PL_E_INVAL;
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return PL_E_IO;
	plt_cbor_writer_init(&w, payload, sizeof(payload));
	plt_cbor_put_map(&w, 3);
	plt_cbor_put_uint(&w, 21);
	plt_cbor_put_cstr(&w, approval_id);
	plt_cbor_put_uint(&w, 22);
	plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
	plt_cbor_put_uint(&w, 23);
	plt_cbor_put_uint(&w, (uint64_t)time(NULL));
	r = plt_cbor_writer_finish(&w, &ylen);
	plt_wipe(nonce, sizeof(nonce));
	if (r != 0)
		return r;
	return request_sign1(k, payload, ylen, out, cap, len);
}
