/* COSE header maps: labels, duplicate detection, alg/kid/crit extraction. */
#include <string.h>

#include "token_int.h"

int plt__fail_at(struct plt_cbor_reader *r, size_t off, int err)
{
	if (r->err == 0) {
		r->off = off;
		r->err = err;
	}
	return r->err;
}

static int labels_add(struct hdr_labels *labels, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < labels->n; i++)
		if (labels->lab[i].len == len && memcmp(labels->lab[i].ptr, p, len) == 0)
			return PLT_E_CBOR_DUPKEY;
	if (labels->n == PLT_HDR_MAX_LABELS)
		return PLT_E_HDR_FORMAT;
	labels->lab[labels->n].ptr = p;
	labels->lab[labels->n].len = len;
	labels->n++;
	return 0;
}

/* Reads one label (int or tstr); *num gets it when it is an int. */
static int label_get(struct plt_cbor_reader *r, int *is_int, int64_t *num)
{
	struct plt_bytes s;
	int t = plt_cbor_peek(r);

	if (t < 0)
		return plt__fail_at(r, r->off, t);
	if (t == PLT_CBOR_UINT || t == PLT_CBOR_NINT) {
		*is_int = 1;
		return plt_cbor_get_int(r, num);
	}
	if (t == PLT_CBOR_TSTR) {
		*is_int = 0;
		return plt_cbor_get_tstr(r, &s);
	}
	return plt__fail_at(r, r->off, PLT_E_HDR_FORMAT);
}

static int value_alg(struct plt_cbor_reader *r, struct hdr_info *h)
{
	struct plt_bytes s;
	int t = plt_cbor_peek(r);

	if (t < 0)
		return plt__fail_at(r, r->off, t);
	h->has_alg = 1;
	if (t == PLT_CBOR_UINT || t == PLT_CBOR_NINT) {
		h->alg_is_int = 1;
		return plt_cbor_get_int(r, &h->alg);
	}
	if (t == PLT_CBOR_TSTR)
		return plt_cbor_get_tstr(r, &s);
	return plt__fail_at(r, r->off, PLT_E_HDR_FORMAT);
}

static int value_kid(struct plt_cbor_reader *r, struct hdr_info *h)
{
	size_t at = r->off;

	if (plt_cbor_peek(r) != PLT_CBOR_BSTR)
		return plt__fail_at(r, at, PLT_E_KID_FORMAT);
	h->has_kid = 1;
	return plt_cbor_get_bstr(r, &h->kid);
}

int plt__hdr_parse(struct plt_cbor_reader *r, struct hdr_info *h, struct hdr_labels *labels)
{
	size_t n = 0, i;
	int e;

	memset(h, 0, sizeof(*h));
	if ((e = plt_cbor_get_map(r, &n)) != 0)
		return e;
	h->count = n;
	for (i = 0; i < n; i++) {
		size_t at = r->off;
		int is_int = 0;
		int64_t num = 0;

		if ((e = label_get(r, &is_int, &num)) != 0)
			return e;
		if ((e = labels_add(labels, r->buf + at, r->off - at)) != 0)
			return plt__fail_at(r, at, e);
		if (is_int && num == COSE_HDR_ALG) {
			e = value_alg(r, h);
		} else if (is_int && num == COSE_HDR_KID) {
			e = value_kid(r, h);
		} else {
			if (is_int && num == COSE_HDR_CRIT)
				h->has_crit = 1;
			else
				h->has_other = 1;
			e = plt_cbor_skip(r);
		}
		if (e != 0)
			return e;
	}
	return 0;
}

int plt__alg_check(const struct hdr_info *h)
{
	if (!h->has_alg)
		return PLT_E_ALG_MISSING;
	if (!h->alg_is_int)
		return PLT_E_ALG_UNSUPPORTED;
	if (h->alg == COSE_ALG_ES256)
		return 0;
	/* HMAC 256/64, HMAC 256/256, HMAC 384/384, HMAC 512/512 (RFC 9053 table 7) */
	if (h->alg >= 4 && h->alg <= 7)
		return PLT_E_ALG_MAC;
	return PLT_E_ALG_UNSUPPORTED;
}

void plt__sig_parts(struct sig_parts *sp, struct plt_bytes prot, struct plt_bytes aad,
                    struct plt_bytes payload)
{
	static const uint8_t context[12] = {0x84, 0x6a, 'S', 'i', 'g', 'n',
	                                    'a',  't',  'u', 'r', 'e', '1'};
	const struct plt_bytes *items[3];
	size_t i;

	items[0] = &prot;
	items[1] = &aad;
	items[2] = &payload;
	sp->iov[0].ptr = context;
	sp->iov[0].len = sizeof(context);
	for (i = 0; i < 3; i++) {
		struct plt_cbor_writer w;
		size_t hl = 0;

		/* The bstr head alone: the length as a uint head (at most 9 bytes,
		 * always fits), then major type 0 turned into 2. */
		plt_cbor_writer_init(&w, sp->head[i], sizeof(sp->head[i]));
		plt_cbor_put_uint(&w, (uint64_t)items[i]->len);
		(void)plt_cbor_writer_finish(&w, &hl);
		sp->head[i][0] = (uint8_t)(sp->head[i][0] | 0x40u);
		sp->iov[1 + 2 * i].ptr = sp->head[i];
		sp->iov[1 + 2 * i].len = hl;
		sp->iov[2 + 2 * i].ptr = items[i]->ptr;
		sp->iov[2 + 2 * i].len = items[i]->len;
	}
}

/* The bstr head of len into head (at most 9 bytes); returns its length. */
static size_t bstr_head(uint8_t head[9], size_t len)
{
	struct plt_cbor_writer w;
	size_t hl = 0;

	plt_cbor_writer_init(&w, head, 9);
	plt_cbor_put_uint(&w, (uint64_t)len);
	(void)plt_cbor_writer_finish(&w, &hl);
	head[0] = (uint8_t)(head[0] | 0x40u);
	return hl;
}

void plt__sign_parts(struct sign_parts *sp, struct plt_bytes body_prot, struct plt_bytes sign_prot,
                     struct plt_bytes aad, struct plt_bytes payload)
{
	static const uint8_t context[11] = {0x85, 0x69, 'S', 'i', 'g', 'n',
	                                    'a',  't',  'u', 'r', 'e'};
	const struct plt_bytes *items[4];
	size_t i;

	items[0] = &body_prot;
	items[1] = &sign_prot;
	items[2] = &aad;
	items[3] = &payload;
	sp->iov[0].ptr = context;
	sp->iov[0].len = sizeof(context);
	for (i = 0; i < 4; i++) {
		sp->iov[1 + 2 * i].ptr = sp->head[i];
		sp->iov[1 + 2 * i].len = bstr_head(sp->head[i], items[i]->len);
		sp->iov[2 + 2 * i].ptr = items[i]->ptr;
		sp->iov[2 + 2 * i].len = items[i]->len;
	}
}
