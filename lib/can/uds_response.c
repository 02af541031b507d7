/* UDS responses (ECU -> tester): build on the server, parse on the client. Layouts in docs/uds.md.
 */
#include <string.h>

#include "pl_buf.h"
#include "pl_err.h"
#include "pl_err_can.h"
#include "uds.h"

static void rd_lv(struct pl_rbuf *r, struct uds_bytes *b)
{
	uint16_t n = 0;

	pl_rbuf_u16be(r, &n);
	b->len = n;
	pl_rbuf_bytes(r, n, &b->ptr);
	if (r->err != 0 || n == 0) {
		b->ptr = NULL;
		b->len = 0;
	}
}

/* The rest of the message as a view (may be empty). */
static void rd_rest(struct pl_rbuf *r, struct uds_bytes *b)
{
	b->len = pl_rbuf_left(r);
	pl_rbuf_bytes(r, b->len, &b->ptr);
	if (b->len == 0)
		b->ptr = NULL;
}

static int parse_auth(struct pl_rbuf *r, struct uds_response *p)
{
	pl_rbuf_u8(r, &p->auth_ret);
	switch (p->sub) {
	case UDS_AUTH_DEAUTHENTICATE:
	case UDS_AUTH_CONFIGURATION:
		break;
	case UDS_AUTH_REQUEST_CHALLENGE:
		pl_rbuf_copy(r, p->alg_ind, sizeof(p->alg_ind));
		rd_lv(r, &p->challenge);
		rd_lv(r, &p->needed);
		break;
	case UDS_AUTH_VERIFY_POWN_UNI:
		pl_rbuf_copy(r, p->alg_ind, sizeof(p->alg_ind));
		rd_lv(r, &p->session_key);
		break;
	default:
		return PL_E_UDS_SUBFUNC;
	}
	return 0;
}

static int parse_positive(struct pl_rbuf *r, struct uds_response *p)
{
	uint16_t v = 0;

	switch (p->sid) {
	case UDS_SID_SESSION:
		pl_rbuf_u16be(r, &p->p2_ms);
		pl_rbuf_u16be(r, &v);
		if (v > 0xFFFF / 10)
			return PL_E_UDS_BAD_VALUE;
		p->p2star_ms = (uint16_t)(v * 10u);
		return 0;
	case UDS_SID_RESET:
	case UDS_SID_CLEAR_DTC:
		return 0;
	case UDS_SID_TESTER_PRESENT:
		return p->sub == 0 ? 0 : PL_E_UDS_SUBFUNC;
	case UDS_SID_READ_DTC:
		pl_rbuf_u8(r, &p->dtc_avail_mask);
		if (p->sub == UDS_DTC_REPORT_COUNT_BY_MASK) {
			pl_rbuf_u8(r, &p->dtc_format);
			pl_rbuf_u16be(r, &p->dtc_count);
		} else if (p->sub == UDS_DTC_REPORT_BY_MASK) {
			rd_rest(r, &p->dtc_records);
			if (p->dtc_records.len % 4 != 0)
				return PL_E_UDS_LENGTH;
		} else {
			return PL_E_UDS_SUBFUNC;
		}
		return 0;
	case UDS_SID_READ_DID:
		pl_rbuf_u16be(r, &p->did);
		rd_rest(r, &p->data);
		return 0;
	case UDS_SID_AUTH:
		return parse_auth(r, p);
	case UDS_SID_ROUTINE:
		if (p->sub < UDS_ROUTINE_START || p->sub > UDS_ROUTINE_RESULTS)
			return PL_E_UDS_SUBFUNC;
		pl_rbuf_u16be(r, &p->routine_id);
		rd_rest(r, &p->data);
		return 0;
	default:
		return PL_E_UDS_SERVICE;
	}
}

int uds_parse_response(const uint8_t *msg, size_t len, uint8_t req_sid, uint8_t req_sub,
                       struct uds_response *resp)
{
	struct uds_response p;
	struct pl_rbuf r;
	uint8_t sid = 0, sub = 0;
	int rc;

	if (resp == NULL || (msg == NULL && len != 0))
		return PL_E_INVAL;
	if (len == 0)
		return PL_E_UDS_EMPTY;
	memset(&p, 0, sizeof(p));
	p.sid = req_sid;
	p.sub = req_sub & 0x7F;
	pl_rbuf_init(&r, msg, len);
	pl_rbuf_u8(&r, &sid);
	if (sid == UDS_SID_NEGATIVE) {
		pl_rbuf_u8(&r, &sid);
		pl_rbuf_u8(&r, &p.nrc);
		if (pl_rbuf_end(&r) != 0)
			return PL_E_UDS_LENGTH;
		if (sid != req_sid)
			return PL_E_UDS_MISMATCH;
		if (p.nrc == 0)
			return PL_E_UDS_BAD_VALUE;
		*resp = p;
		return 0;
	}
	if (sid != (uint8_t)(req_sid + UDS_POSITIVE_OFFSET))
		return PL_E_UDS_MISMATCH;
	if (uds_sid_has_subfunction(req_sid)) {
		if (pl_rbuf_u8(&r, &sub) != 0)
			return PL_E_UDS_LENGTH;
		if (sub != p.sub)
			return PL_E_UDS_MISMATCH;
	}
	if ((rc = parse_positive(&r, &p)) != 0)
		return rc;
	if (pl_rbuf_end(&r) != 0)
		return PL_E_UDS_LENGTH;
	*resp = p;
	return 0;
}

static void wr_lv(struct pl_wbuf *w, const struct uds_bytes *b, int *bad)
{
	if (b->len > 0xFFFF || (b->ptr == NULL && b->len != 0)) {
		*bad = 1;
		return;
	}
	pl_wbuf_u16be(w, (uint16_t)b->len);
	pl_wbuf_bytes(w, b->ptr, b->len);
}

static void wr_view(struct pl_wbuf *w, const struct uds_bytes *b, int *bad)
{
	if (b->ptr == NULL && b->len != 0) {
		*bad = 1;
		return;
	}
	pl_wbuf_bytes(w, b->ptr, b->len);
}

static int build_auth(struct pl_wbuf *w, const struct uds_response *p)
{
	int bad = 0;

	pl_wbuf_u8(w, p->auth_ret);
	switch (p->sub) {
	case UDS_AUTH_DEAUTHENTICATE:
	case UDS_AUTH_CONFIGURATION:
		return 0;
	case UDS_AUTH_REQUEST_CHALLENGE:
		pl_wbuf_bytes(w, p->alg_ind, sizeof(p->alg_ind));
		wr_lv(w, &p->challenge, &bad);
		wr_lv(w, &p->needed, &bad);
		break;
	case UDS_AUTH_VERIFY_POWN_UNI:
		pl_wbuf_bytes(w, p->alg_ind, sizeof(p->alg_ind));
		wr_lv(w, &p->session_key, &bad);
		break;
	default:
		return PL_E_UDS_SUBFUNC;
	}
	return bad ? PL_E_UDS_BAD_VALUE : 0;
}

static int build_positive(struct pl_wbuf *w, const struct uds_response *p)
{
	int bad = 0;

	switch (p->sid) {
	case UDS_SID_SESSION:
		if (p->p2star_ms % 10 != 0)
			return PL_E_UDS_BAD_VALUE;
		pl_wbuf_u16be(w, p->p2_ms);
		pl_wbuf_u16be(w, (uint16_t)(p->p2star_ms / 10));
		return 0;
	case UDS_SID_RESET:
	case UDS_SID_CLEAR_DTC:
		return 0;
	case UDS_SID_TESTER_PRESENT:
		return p->sub == 0 ? 0 : PL_E_UDS_SUBFUNC;
	case UDS_SID_READ_DTC:
		pl_wbuf_u8(w, p->dtc_avail_mask);
		if (p->sub == UDS_DTC_REPORT_COUNT_BY_MASK) {
			pl_wbuf_u8(w, p->dtc_format);
			pl_wbuf_u16be(w, p->dtc_count);
			return 0;
		}
		if (p->sub != UDS_DTC_REPORT_BY_MASK)
			return PL_E_UDS_SUBFUNC;
		if (p->dtc_records.len % 4 != 0)
			return PL_E_UDS_BAD_VALUE;
		wr_view(w, &p->dtc_records, &bad);
		break;
	case UDS_SID_READ_DID:
		pl_wbuf_u16be(w, p->did);
		wr_view(w, &p->data, &bad);
		break;
	case UDS_SID_AUTH:
		return build_auth(w, p);
	case UDS_SID_ROUTINE:
		if (p->sub < UDS_ROUTINE_START || p->sub > UDS_ROUTINE_RESULTS)
			return PL_E_UDS_SUBFUNC;
		pl_wbuf_u16be(w, p->routine_id);
		wr_view(w, &p->data, &bad);
		break;
	default:
		return PL_E_UDS_SERVICE;
	}
	return bad ? PL_E_INVAL : 0;
}

int uds_build_negative(uint8_t sid, uint8_t nrc, uint8_t *out, size_t cap, size_t *len)
{
	if (out == NULL || len == NULL)
		return PL_E_INVAL;
	if (nrc == 0)
		return PL_E_UDS_BAD_VALUE;
	if (cap < 3)
		return PL_E_NOSPACE;
	out[0] = UDS_SID_NEGATIVE;
	out[1] = sid;
	out[2] = nrc;
	*len = 3;
	return 0;
}

int uds_build_response(const struct uds_response *resp, uint8_t *out, size_t cap, size_t *len)
{
	struct pl_wbuf w;
	size_t n;
	int r;

	if (resp == NULL || out == NULL || len == NULL)
		return PL_E_INVAL;
	if (resp->nrc != 0)
		return uds_build_negative(resp->sid, resp->nrc, out, cap, len);
	pl_wbuf_init(&w, out, cap);
	pl_wbuf_u8(&w, (uint8_t)(resp->sid + UDS_POSITIVE_OFFSET));
	if (uds_sid_has_subfunction(resp->sid)) {
		if (resp->sub > 0x7F)
			return PL_E_UDS_BAD_VALUE;
		pl_wbuf_u8(&w, resp->sub);
	}
	if ((r = build_positive(&w, resp)) != 0)
		return r;
	if ((r = pl_wbuf_finish(&w, &n)) != 0)
		return r;
	*len = n;
	return 0;
}

size_t uds_dtc_record_count(const struct uds_response *resp)
{
	return resp->dtc_records.len / 4;
}

int uds_dtc_record(const struct uds_response *resp, size_t i, uint32_t *dtc, uint8_t *status)
{
	const uint8_t *p;

	if (resp == NULL || dtc == NULL || status == NULL)
		return PL_E_INVAL;
	if (i >= uds_dtc_record_count(resp))
		return PL_E_RANGE;
	p = resp->dtc_records.ptr + 4 * i;
	*dtc = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	*status = p[3];
	return 0;
}
