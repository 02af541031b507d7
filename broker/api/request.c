/* Strict decoders of the POST /v1/token, POST /v1/approvals/{id} and .../poll bodies (request.h).
 */
#include <stdio.h>
#include <string.h>

#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "request.h"

#define COSE_SIGN1_TAG 18

struct dec {
	struct plt_cbor_reader r;
	size_t base; /* offset of r.buf inside the whole body */
	size_t err_off;
	char *why;
	size_t whylen;
};

static int fail(struct dec *d, int code, const char *msg)
{
	d->err_off = d->base + d->r.off;
	if (d->why != NULL && d->whylen > 0)
		snprintf(d->why, d->whylen, "%s", msg);
	return code;
}

int request_op_valid(const char *s, size_t len)
{
	if (len == 0 || len >= PLT_OP_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* Printable text: no control characters (UTF-8 was checked by the reader). */
static int text_ok(const struct plt_bytes *t)
{
	for (size_t i = 0; i < t->len; i++)
		if (t->ptr[i] < 0x20 || t->ptr[i] == 0x7f)
			return 0;
	return 1;
}

static int copy_text(struct dec *d, const struct plt_bytes *t, char *dst, size_t cap, size_t min,
                     const char *what)
{
	char msg[96];

	if (t->len < min || t->len >= cap || !text_ok(t)) {
		snprintf(msg, sizeof(msg), "%s must be %zu..%zu printable characters", what, min,
		         cap - 1);
		return fail(d, PL_E_SRV_REQ_FIELD, msg);
	}
	memcpy(dst, t->ptr, t->len);
	dst[t->len] = '\0';
	return 0;
}

/* The request nonce (16 random bytes): token requests (key 6) and decisions (key 19). */
static int get_nonce(struct dec *d, struct plt_cbor_reader *r, const char *what,
                     uint8_t out[REQ_NONCE_LEN])
{
	struct plt_bytes b;
	char msg[96];

	if (plt_cbor_get_bstr(r, &b) != 0 || b.len != REQ_NONCE_LEN) {
		snprintf(msg, sizeof(msg), "%s must be a byte string of exactly 16 random bytes",
		         what);
		return fail(d, PL_E_SRV_REQ_FIELD, msg);
	}
	memcpy(out, b.ptr, b.len);
	return 0;
}

/* iat (UNIX seconds, positive): token requests (key 7) and decisions (key 20). */
static int get_iat(struct dec *d, struct plt_cbor_reader *r, const char *what, int64_t *iat)
{
	uint64_t u;
	char msg[96];

	if (plt_cbor_get_uint(r, &u) != 0 || u == 0 || u > INT64_MAX) {
		snprintf(msg, sizeof(msg), "%s must be a positive integer (UNIX seconds)", what);
		return fail(d, PL_E_SRV_REQ_FIELD, msg);
	}
	*iat = (int64_t)u;
	return 0;
}

/*
 * What a signed body's payload map may hold: the keys first..last, each at most
 * once, read by field(); a key whose bit (key - first) is in required must be
 * there (names[key - first] names it in the error); finish(), if any, checks
 * the fields together once all are read.
 */
struct payload_spec {
	uint64_t first, last;
	uint32_t required;
	const char *const *names;
	int (*field)(struct dec *d, uint64_t key, void *ctx);
	int (*finish)(struct dec *d, void *ctx);
};

/* The payload map of any of the three bodies, by its spec (one walker, three specs). */
static int walk_payload(const uint8_t *p, size_t len, size_t base, struct dec *outer,
                        const struct payload_spec *spec, void *ctx)
{
	struct dec d = {.base = base, .why = outer->why, .whylen = outer->whylen};
	uint32_t seen = 0;
	size_t n;
	int r;

	plt_cbor_reader_init(&d.r, p, len);
	if (plt_cbor_get_map(&d.r, &n) != 0) {
		r = fail(&d, PL_E_SRV_REQ_FIELD, "payload must be a CBOR map");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t key;
		size_t start;

		if (plt_cbor_get_uint(&d.r, &key) != 0) {
			r = fail(&d, PL_E_SRV_REQ_FIELD, "payload keys must be unsigned integers");
			goto out;
		}
		if (key >= spec->first && key <= spec->last) {
			if (seen & (1u << (key - spec->first))) {
				r = fail(&d, PL_E_SRV_REQ_FIELD, "duplicate payload key");
				goto out;
			}
			seen |= 1u << (key - spec->first);
		}
		start = d.r.off;
		if ((r = spec->field(&d, key, ctx)) != 0) {
			d.err_off = d.base + start; /* the start of the bad value */
			goto out;
		}
	}
	if (plt_cbor_end(&d.r) != 0) {
		r = fail(&d, PL_E_SRV_REQ_FIELD, "trailing bytes after the payload map");
		goto out;
	}
	/* A missing or inconsistent field is the whole payload's fault: offset 0. */
	d.r.off = 0;
	for (uint64_t k = 0; k <= spec->last - spec->first; k++) {
		char msg[80];

		if (!(spec->required & (1u << k)) || (seen & (1u << k)))
			continue;
		snprintf(msg, sizeof(msg), "payload lacks the required key %s", spec->names[k]);
		r = fail(&d, PL_E_SRV_REQ_FIELD, msg);
		goto out;
	}
	r = spec->finish != NULL ? spec->finish(&d, ctx) : 0;
out:
	outer->err_off = d.err_off;
	return r;
}

static int payload_field(struct dec *d, uint64_t key, void *ctx)
{
	struct token_request *q = ctx;
	struct plt_cbor_reader *r = &d->r;
	struct plt_bytes b;
	uint64_t u;

	switch (key) {
	case REQ_K_VIN:
		if (plt_cbor_get_tstr(r, &b) != 0)
			return fail(d, PL_E_SRV_REQ_FIELD, "vin (1) must be a text string");
		if (b.len != PLT_VIN_LEN || !plt_vin_valid((const char *)b.ptr, b.len))
			return fail(
			    d, PL_E_SRV_REQ_FIELD,
			    "vin (1) must be 17 characters of the VIN alphabet (no I, O, Q)");
		return copy_text(d, &b, q->vin, sizeof(q->vin), PLT_VIN_LEN, "vin");
	case REQ_K_OP:
		if (plt_cbor_get_tstr(r, &b) != 0 || !request_op_valid((const char *)b.ptr, b.len))
			return fail(d, PL_E_SRV_REQ_FIELD,
			            "op (2) must be an operation name like door.unlock");
		return copy_text(d, &b, q->op, sizeof(q->op), 1, "op");
	case REQ_K_CNONCE:
		if (plt_cbor_get_bstr(r, &b) != 0 || b.len < PLT_CNONCE_MIN ||
		    b.len > PLT_CNONCE_MAX)
			return fail(
			    d, PL_E_SRV_REQ_FIELD,
			    "cnonce (3) must be the ECU challenge, a byte string of 16..32 bytes");
		memcpy(q->cnonce, b.ptr, b.len);
		q->cnonce_len = (uint8_t)b.len;
		return 0;
	case REQ_K_WORK_ORDER:
		if (plt_cbor_get_tstr(r, &b) != 0)
			return fail(d, PL_E_SRV_REQ_FIELD, "work_order (4) must be a text string");
		return copy_text(d, &b, q->work_order, sizeof(q->work_order), 1, "work_order");
	case REQ_K_REASON:
		if (plt_cbor_get_tstr(r, &b) != 0)
			return fail(d, PL_E_SRV_REQ_FIELD, "reason (5) must be a text string");
		return copy_text(d, &b, q->reason, sizeof(q->reason), 0, "reason");
	case REQ_K_NONCE:
		return get_nonce(d, r, "nonce (6)", q->nonce);
	case REQ_K_IAT:
		return get_iat(d, r, "iat (7)", &q->iat);
	case REQ_K_TTL:
		if (plt_cbor_get_uint(r, &u) != 0 || u == 0 || u > REQ_TTL_MAX)
			return fail(d, PL_E_SRV_REQ_FIELD, "ttl (8) must be 1..86400 seconds");
		q->ttl = (uint32_t)u;
		return 0;
	default:
		return fail(d, PL_E_SRV_REQ_FIELD, "unknown payload key (known keys are 1..8)");
	}
}

static int decode_payload(const uint8_t *p, size_t len, size_t base, struct dec *outer, void *ctx)
{
	static const char *const names[] = {"vin (1)",        "op (2)",     "cnonce (3)",
	                                    "work_order (4)", "reason (5)", "nonce (6)",
	                                    "iat (7)",        "ttl (8)"};
	static const struct payload_spec spec = {.first = REQ_K_VIN,
	                                         .last = REQ_K_TTL,
	                                         .required = 0x7f, /* 1..7; ttl (8) optional */
	                                         .names = names,
	                                         .field = payload_field};

	return walk_payload(p, len, base, outer, &spec, ctx);
}

static int decode_x5chain(struct dec *d, struct plt_bytes *cert, size_t *ncert)
{
	struct plt_cbor_reader *r = &d->r;
	struct plt_bytes b;
	size_t n;
	int t = plt_cbor_peek(r);

	if (t == PLT_CBOR_BSTR) {
		if (plt_cbor_get_bstr(r, &b) != 0 || b.len == 0)
			return fail(d, PL_E_SRV_REQ_NO_X5CHAIN, "x5chain certificate is empty");
		cert[0] = b;
		*ncert = 1;
		return 0;
	}
	if (t != PLT_CBOR_ARRAY || plt_cbor_get_array(r, &n) != 0 || n == 0 || n > REQ_X5CHAIN_MAX)
		return fail(d, PL_E_SRV_REQ_NO_X5CHAIN,
		            "x5chain (33) must be a DER certificate or an array of 1..4 of them");
	for (size_t i = 0; i < n; i++) {
		if (plt_cbor_get_bstr(r, &b) != 0 || b.len == 0)
			return fail(d, PL_E_SRV_REQ_NO_X5CHAIN,
			            "x5chain entries must be DER certificates (byte strings)");
		cert[i] = b;
	}
	*ncert = n;
	return 0;
}

static int decode_protected(const uint8_t *p, size_t len, size_t base, struct dec *outer,
                            struct plt_bytes *cert, size_t *ncert)
{
	struct dec d = {.base = base, .why = outer->why, .whylen = outer->whylen};
	int have_alg = 0, have_x5 = 0, r;
	size_t n;

	plt_cbor_reader_init(&d.r, p, len);
	if (plt_cbor_get_map(&d.r, &n) != 0) {
		r = fail(&d, PL_E_SRV_REQ_MALFORMED, "protected header must be a CBOR map");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t label, alg;

		if (plt_cbor_get_int(&d.r, &label) != 0) {
			r = fail(&d, PL_E_SRV_REQ_MALFORMED, "header labels must be integers");
			goto out;
		}
		if (label == REQ_HDR_ALG && !have_alg) {
			if (plt_cbor_get_int(&d.r, &alg) != 0 || alg != REQ_ALG_ES256) {
				r = fail(&d, PL_E_SRV_REQ_ALG, "alg (1) must be ES256 (-7)");
				goto out;
			}
			have_alg = 1;
		} else if (label == REQ_HDR_X5CHAIN && !have_x5) {
			if ((r = decode_x5chain(&d, cert, ncert)) != 0)
				goto out;
			have_x5 = 1;
		} else {
			r = fail(
			    &d, PL_E_SRV_REQ_MALFORMED,
			    "protected header may hold only alg (1) and x5chain (33), once each");
			goto out;
		}
	}
	if (plt_cbor_end(&d.r) != 0) {
		r = fail(&d, PL_E_SRV_REQ_MALFORMED, "trailing bytes in the protected header");
		goto out;
	}
	if (!have_alg) {
		r = fail(&d, PL_E_SRV_REQ_ALG, "protected header lacks alg (1)");
		goto out;
	}
	if (!have_x5) {
		r = fail(&d, PL_E_SRV_REQ_NO_X5CHAIN, "protected header lacks x5chain (33)");
		goto out;
	}
	r = 0;
out:
	outer->err_off = d.err_off;
	return r;
}

typedef int (*payload_fn)(const uint8_t *p, size_t len, size_t base, struct dec *outer, void *ctx);

/*
 * The signed envelope every technician message shares: tagged COSE_Sign1,
 * protected {1: -7, 33: x5chain}, empty unprotected header, the payload
 * (decoded by fn, in place: its errors come before a bad signature's), a
 * 64-byte signature, nothing after.
 */
static int decode_sign1(struct dec *d, const uint8_t *body, struct plt_bytes *cert, size_t *ncert,
                        payload_fn fn, void *ctx)
{
	struct plt_bytes prot, payload, sig;
	uint64_t tag;
	size_t n;
	int r;

	if (plt_cbor_get_tag(&d->r, &tag) != 0 || tag != COSE_SIGN1_TAG)
		return fail(d, PL_E_SRV_REQ_NOT_SIGN1, "body must start with COSE_Sign1 tag 18");
	if (plt_cbor_get_array(&d->r, &n) != 0 || n != 4)
		return fail(d, PL_E_SRV_REQ_NOT_SIGN1, "COSE_Sign1 must be an array of 4");
	if (plt_cbor_get_bstr(&d->r, &prot) != 0)
		return fail(d, PL_E_SRV_REQ_MALFORMED, "protected header must be a byte string");
	if ((r = decode_protected(prot.ptr, prot.len, (size_t)(prot.ptr - body), d, cert, ncert)) !=
	    0)
		return r;
	if (plt_cbor_get_map(&d->r, &n) != 0 || n != 0)
		return fail(d, PL_E_SRV_REQ_MALFORMED, "unprotected header must be an empty map");
	if (plt_cbor_get_bstr(&d->r, &payload) != 0)
		return fail(d, PL_E_SRV_REQ_MALFORMED, "payload must be an embedded byte string");
	if ((r = fn(payload.ptr, payload.len, (size_t)(payload.ptr - body), d, ctx)) != 0)
		return r;
	if (plt_cbor_get_bstr(&d->r, &sig) != 0 || sig.len != PLT_SIG_LEN)
		return fail(d, PL_E_SRV_REQ_MALFORMED, "signature must be a 64-byte string");
	if (plt_cbor_end(&d->r) != 0)
		return fail(d, PL_E_SRV_REQ_MALFORMED, "trailing bytes after the COSE_Sign1");
	return 0;
}

/* " (at byte N)" after the sentence; the offset for the caller. */
static void finish_error(const struct dec *d, size_t *err_off, char *why, size_t whylen)
{
	if (why != NULL && whylen > 0) {
		size_t used = strlen(why);

		snprintf(why + used, whylen - used, " (at byte %zu)", d->err_off);
	}
	if (err_off != NULL)
		*err_off = d->err_off;
}

/* Either kind of signed body: the envelope, then fn over its payload into q. */
static int decode_body(const uint8_t *body, size_t len, struct plt_bytes *cert, size_t *ncert,
                       payload_fn fn, void *q, size_t *err_off, char *why, size_t whylen)
{
	struct dec d = {.why = why, .whylen = whylen};
	int r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	plt_cbor_reader_init(&d.r, body, len);
	if ((r = decode_sign1(&d, body, cert, ncert, fn, q)) != 0)
		finish_error(&d, err_off, why, whylen);
	return r;
}

int request_decode(const uint8_t *body, size_t len, struct token_request *out, size_t *err_off,
                   char *why, size_t whylen)
{
	struct token_request q;
	int r;

	memset(&q, 0, sizeof(q));
	r = decode_body(body, len, q.cert, &q.ncert, decode_payload, &q, err_off, why, whylen);
	if (r == 0)
		*out = q;
	return r;
}

/* ---- POST /v1/approvals/{id}: an approving technician's decision ---------- */

static int hex_id_ok(const struct plt_bytes *b)
{
	return pl_hex_is_lower((const char *)b->ptr, b->len, REQ_APPROVAL_ID_LEN);
}

static int decision_field(struct dec *d, uint64_t key, void *ctx)
{
	struct approval_decision *q = ctx;
	struct plt_cbor_reader *r = &d->r;
	struct plt_bytes b;

	switch (key) {
	case REQ_D_APPROVAL_ID:
		if (plt_cbor_get_tstr(r, &b) != 0 || !hex_id_ok(&b))
			return fail(d, PL_E_SRV_REQ_FIELD,
			            "approval id (16) must be 32 lower-case "
			            "hex digits");
		return copy_text(d, &b, q->approval_id, sizeof(q->approval_id), REQ_APPROVAL_ID_LEN,
		                 "approval id");
	case REQ_D_DECISION:
		if (plt_cbor_get_tstr(r, &b) != 0)
			return fail(d, PL_E_SRV_REQ_FIELD,
			            "decision (17) must be \"approve\", "
			            "\"deny\" or \"show\"");
		if (b.len == 7 && memcmp(b.ptr, "approve", 7) == 0)
			q->approve = REQ_DECISION_APPROVE;
		else if (b.len == 4 && memcmp(b.ptr, "deny", 4) == 0)
			q->approve = REQ_DECISION_DENY;
		else if (b.len == 4 && memcmp(b.ptr, "show", 4) == 0)
			q->approve = REQ_DECISION_SHOW;
		else
			return fail(d, PL_E_SRV_REQ_FIELD,
			            "decision (17) must be \"approve\", "
			            "\"deny\" or \"show\"");
		return 0;
	case REQ_D_REASON:
		if (plt_cbor_get_tstr(r, &b) != 0)
			return fail(d, PL_E_SRV_REQ_FIELD, "reason (18) must be a text string");
		return copy_text(d, &b, q->reason, sizeof(q->reason), 0, "reason");
	case REQ_D_NONCE:
		return get_nonce(d, r, "nonce (19)", q->nonce);
	case REQ_D_IAT:
		return get_iat(d, r, "iat (20)", &q->iat);
	case REQ_D_REQUEST_HASH:
		if (plt_cbor_get_bstr(r, &b) != 0 || b.len != REQ_REQUEST_HASH_LEN)
			return fail(d, PL_E_SRV_REQ_FIELD,
			            "request hash (21) must be a byte string of 32 bytes (the "
			            "SHA-256 of the request)");
		memcpy(q->request_hash, b.ptr, b.len);
		q->has_request_hash = 1;
		return 0;
	default:
		return fail(d, PL_E_SRV_REQ_FIELD,
		            "unknown payload key (a decision has keys "
		            "16..21)");
	}
}

/* A deny without a reason: the requester and the audit log would learn nothing. */
static int decision_finish(struct dec *d, void *ctx)
{
	const struct approval_decision *q = ctx;

	if (q->approve == REQ_DECISION_DENY && q->reason[0] == '\0')
		return fail(d, PL_E_SRV_REQ_FIELD,
		            "a deny needs a reason (18): it goes to the "
		            "requester and the audit log");
	return 0;
}

static int decode_decision(const uint8_t *p, size_t len, size_t base, struct dec *outer, void *ctx)
{
	static const char *const names[] = {"approval id (16)", "decision (17)",
	                                    "reason (18)",      "nonce (19)",
	                                    "iat (20)",         "request hash (21)"};
	static const struct payload_spec spec = {.first = REQ_D_APPROVAL_ID,
	                                         .last = REQ_D_REQUEST_HASH,
	                                         .required = 0x1b, /* reason, hash optional */
	                                         .names = names,
	                                         .field = decision_field,
	                                         .finish = decision_finish};

	return walk_payload(p, len, base, outer, &spec, ctx);
}

int request_decode_decision(const uint8_t *body, size_t len, struct approval_decision *out,
                            size_t *err_off, char *why, size_t whylen)
{
	struct approval_decision q;
	int r;

	memset(&q, 0, sizeof(q));
	r = decode_body(body, len, q.cert, &q.ncert, decode_decision, &q, err_off, why, whylen);
	if (r == 0)
		*out = q;
	return r;
}

/* ---- POST /v1/approvals/{id}/poll: the requesting technician's signed poll ---- */

static int poll_field(struct dec *d, uint64_t key, void *ctx)
{
	struct approval_poll *q = ctx;
	struct plt_cbor_reader *r = &d->r;
	struct plt_bytes b;

	switch (key) {
	case REQ_P_APPROVAL_ID:
		if (plt_cbor_get_tstr(r, &b) != 0 || !hex_id_ok(&b))
			return fail(d, PL_E_SRV_REQ_FIELD,
			            "approval id (21) must be 32 lower-case "
			            "hex digits");
		return copy_text(d, &b, q->approval_id, sizeof(q->approval_id), REQ_APPROVAL_ID_LEN,
		                 "approval id");
	case REQ_P_NONCE:
		return get_nonce(d, r, "nonce (22)", q->nonce);
	case REQ_P_IAT:
		return get_iat(d, r, "iat (23)", &q->iat);
	default:
		return fail(d, PL_E_SRV_REQ_FIELD, "unknown payload key (a poll has keys 21..23)");
	}
}

static int decode_poll(const uint8_t *p, size_t len, size_t base, struct dec *outer, void *ctx)
{
	static const char *const names[] = {"approval id (21)", "nonce (22)", "iat (23)"};
	static const struct payload_spec spec = {.first = REQ_P_APPROVAL_ID,
	                                         .last = REQ_P_IAT,
	                                         .required = 0x7,
	                                         .names = names,
	                                         .field = poll_field};

	return walk_payload(p, len, base, outer, &spec, ctx);
}

int request_decode_poll(const uint8_t *body, size_t len, struct approval_poll *out, size_t *err_off,
                        char *why, size_t whylen)
{
	struct approval_poll q;
	int r;

	memset(&q, 0, sizeof(q));
	r = decode_body(body, len, q.cert, &q.ncert, decode_poll, &q, err_off, why, whylen);
	if (r == 0)
		*out = q;
	return r;
}
