/* Request decoder: REQ-BRK-110..REQ-BRK-118 (docs/protocol.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_err_server.h"
#include "request.h"

/* Knobs of a hand-built request; the defaults make a valid one. */
struct knobs {
	uint64_t tag;
	int64_t alg;
	int no_alg, no_x5, x5_array, extra_prot, unprot_entry;
	size_t ncerts, siglen, nonce_len, cnonce_len;
	const char *vin, *op, *reason;
	int skip_key, dup_key, extra_key;
	uint64_t ttl;
	int trailing;
};

static struct knobs defaults(void)
{
	struct knobs k = { .tag = 18, .alg = -7, .ncerts = 1, .siglen = 64, .nonce_len = 16,
			   .cnonce_len = 16, .vin = "WVWZZZ1JZXW000001", .op = "door.unlock",
			   .reason = "customer lost key" };
	return k;
}

static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x01 }; /* opaque to the decoder */

static size_t build(const struct knobs *k, uint8_t *out, size_t cap)
{
	uint8_t prot[256], pay[1024], zero[64] = { 0 };
	struct plt_cbor_writer w;
	size_t plen, ylen, len, n;

	plt_cbor_writer_init(&w, prot, sizeof(prot));
	plt_cbor_put_map(&w, (size_t)(!k->no_alg + !k->no_x5 + k->extra_prot));
	if (!k->no_alg) {
		plt_cbor_put_uint(&w, 1);
		plt_cbor_put_int(&w, k->alg);
	}
	if (!k->no_x5) {
		plt_cbor_put_uint(&w, 33);
		if (k->x5_array) {
			plt_cbor_put_array(&w, k->ncerts);
			for (size_t i = 0; i < k->ncerts; i++)
				plt_cbor_put_bstr(&w, cert, sizeof(cert));
		} else {
			plt_cbor_put_bstr(&w, cert, sizeof(cert));
		}
	}
	if (k->extra_prot) {
		plt_cbor_put_uint(&w, 4);
		plt_cbor_put_bstr(&w, zero, 8);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &plen), 0);
	n = 7 - (k->skip_key ? 1 : 0) + (k->dup_key ? 1 : 0) + (k->extra_key ? 1 : 0) +
	    (k->ttl ? 1 : 0);
	plt_cbor_writer_init(&w, pay, sizeof(pay));
	plt_cbor_put_map(&w, n);
	if (k->skip_key != 1) {
		plt_cbor_put_uint(&w, 1);
		plt_cbor_put_cstr(&w, k->vin);
	}
	plt_cbor_put_uint(&w, 2);
	plt_cbor_put_cstr(&w, k->op);
	plt_cbor_put_uint(&w, 3);
	plt_cbor_put_bstr(&w, zero, k->cnonce_len);
	plt_cbor_put_uint(&w, 4);
	plt_cbor_put_cstr(&w, "WO-1");
	plt_cbor_put_uint(&w, 5);
	plt_cbor_put_cstr(&w, k->reason);
	plt_cbor_put_uint(&w, 6);
	plt_cbor_put_bstr(&w, zero, k->nonce_len);
	if (k->skip_key != 7) {
		plt_cbor_put_uint(&w, 7);
		plt_cbor_put_uint(&w, 1764000000);
	}
	if (k->dup_key) {
		plt_cbor_put_uint(&w, 2);
		plt_cbor_put_cstr(&w, k->op);
	}
	if (k->extra_key) {
		plt_cbor_put_uint(&w, 9);
		plt_cbor_put_uint(&w, 0);
	}
	if (k->ttl) {
		plt_cbor_put_uint(&w, 8);
		plt_cbor_put_uint(&w, k->ttl);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &ylen), 0);
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_tag(&w, k->tag);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_map(&w, k->unprot_entry ? 1 : 0);
	if (k->unprot_entry) {
		plt_cbor_put_uint(&w, 33);
		plt_cbor_put_bstr(&w, cert, sizeof(cert));
	}
	plt_cbor_put_bstr(&w, pay, ylen);
	plt_cbor_put_bstr(&w, zero, k->siglen);
	if (k->trailing)
		plt_cbor_put_uint(&w, 0);
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	return len;
}

static int decode_k(const struct knobs *k, struct token_request *q)
{
	/* static: q's certificate views point into the body after we return */
	static uint8_t buf[2048];
	char why[256];
	size_t len = build(k, buf, sizeof(buf)), off = 0;

	return request_decode(buf, len, q, &off, why, sizeof(why));
}

Test(request, REQ_BRK_110_valid_request_decodes)
{
	struct knobs k = defaults();
	struct token_request q;

	k.ttl = 300;
	cr_assert_eq(decode_k(&k, &q), 0);
	cr_assert_str_eq(q.vin, "WVWZZZ1JZXW000001");
	cr_assert_str_eq(q.op, "door.unlock");
	cr_assert_str_eq(q.work_order, "WO-1");
	cr_assert_str_eq(q.reason, "customer lost key");
	cr_assert_eq(q.cnonce_len, 16);
	cr_assert_eq(q.iat, 1764000000);
	cr_assert_eq(q.ttl, 300);
	cr_assert_eq(q.ncert, 1);
	cr_assert_eq(q.cert[0].len, sizeof(cert));
	cr_assert_eq(memcmp(q.cert[0].ptr, cert, sizeof(cert)), 0);
}

Test(request, REQ_BRK_111_real_body_and_every_truncation)
{
	const char *src = getenv("PITLANE_SOURCE_DIR");
	char path[1024], why[256];
	uint8_t buf[4096];
	struct token_request q;
	size_t len, off;
	FILE *f;

	cr_assert_not_null(src);
	snprintf(path, sizeof(path), "%s/tests/fuzz/request/corpus/valid-tech-anna.cbor", src);
	cr_assert_not_null(f = fopen(path, "rb"));
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_eq(request_decode(buf, len, &q, &off, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(q.op, "door.unlock");
	cr_assert_gt(q.cert[0].len, 300);
	for (size_t n = 0; n < len; n++) {
		off = SIZE_MAX;
		cr_assert_neq(request_decode(buf, n, &q, &off, why, sizeof(why)), 0,
			      "truncation to %zu accepted", n);
		cr_assert_leq(off, n, "error offset %zu beyond %zu", off, n);
	}
}

Test(request, REQ_BRK_112_envelope_errors)
{
	struct knobs k;
	struct token_request q;

	k = defaults(); k.tag = 17;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_NOT_SIGN1);
	k = defaults(); k.trailing = 1;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_MALFORMED);
	k = defaults(); k.siglen = 63;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_MALFORMED);
	k = defaults(); k.unprot_entry = 1;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_MALFORMED);
}

Test(request, REQ_BRK_113_protected_header_is_strict)
{
	struct knobs k;
	struct token_request q;

	k = defaults(); k.alg = -35;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_ALG);
	k = defaults(); k.no_alg = 1;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_ALG);
	k = defaults(); k.no_x5 = 1;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_NO_X5CHAIN);
	k = defaults(); k.extra_prot = 1;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_MALFORMED);
}

Test(request, REQ_BRK_114_x5chain_array_bounds)
{
	struct knobs k = defaults();
	struct token_request q;

	k.x5_array = 1;
	k.ncerts = 4;
	cr_assert_eq(decode_k(&k, &q), 0);
	cr_assert_eq(q.ncert, 4);
	k.ncerts = 5;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_NO_X5CHAIN);
	k.ncerts = 0;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_NO_X5CHAIN);
}

Test(request, REQ_BRK_115_payload_keys_required_unique_known)
{
	struct knobs k;
	struct token_request q;

	k = defaults(); k.skip_key = 1;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.skip_key = 7;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.dup_key = 1;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.extra_key = 1;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
}

Test(request, REQ_BRK_116_field_values_checked)
{
	struct knobs k;
	struct token_request q;
	char longreason[200];

	k = defaults(); k.vin = "WVWZZZ1JZXW00000I";   /* I is not in the VIN alphabet */
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.vin = "WVWZZZ1JZXW0000";
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.op = "Door.Unlock";
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.op = "";
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.cnonce_len = 15;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.cnonce_len = 33;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.cnonce_len = 32;
	cr_assert_eq(decode_k(&k, &q), 0);
	k = defaults(); k.nonce_len = 15;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	k = defaults(); k.ttl = 86401;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	memset(longreason, 'a', 161);
	longreason[161] = '\0';
	k = defaults(); k.reason = longreason;
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
	longreason[160] = '\0';
	cr_assert_eq(decode_k(&k, &q), 0);
	k = defaults(); k.reason = "line\nbreak";
	cr_assert_eq(decode_k(&k, &q), PL_E_SRV_REQ_FIELD);
}

Test(request, REQ_BRK_117_error_names_offset)
{
	struct knobs k = defaults();
	uint8_t buf[2048];
	struct token_request q;
	char why[256];
	size_t len, off = 0;

	k.op = "BAD";
	len = build(&k, buf, sizeof(buf));
	cr_assert_eq(request_decode(buf, len, &q, &off, why, sizeof(why)), PL_E_SRV_REQ_FIELD);
	/* The offset points at the op text inside the payload. */
	cr_assert_eq(memcmp(buf + off + 1, "BAD", 3), 0, "offset %zu: %s", off, why);
	cr_assert(strstr(why, "(at byte ") != NULL, "%s", why);
	cr_assert(strstr(why, "op (2)") != NULL, "%s", why);
}
