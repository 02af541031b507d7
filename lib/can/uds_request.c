/* UDS requests (tester -> ECU): parse on the server, build on the client. Layouts in docs/uds.md.
 */
#include <string.h>

#include "pl_buf.h"
#include "pl_err.h"
#include "pl_err_can.h"
#include "uds.h"

const uint8_t uds_pitlane_alg_ind[UDS_AUTH_ALG_IND_LEN] = {
    'p', 'l', '-', 'c', 'w', 't', '-', 'e', 's', '2', '5', '6', 0x00, 0x00, 0x00, 0x01,
};

int uds_sid_has_subfunction(uint8_t sid)
{
	switch (sid) {
	case UDS_SID_SESSION:
	case UDS_SID_RESET:
	case UDS_SID_READ_DTC:
	case UDS_SID_AUTH:
	case UDS_SID_ROUTINE:
	case UDS_SID_TESTER_PRESENT:
		return 1;
	default:
		return 0;
	}
}

/* Reads a 2-byte length and a view of that many bytes. */
static void rd_lv(struct pl_rbuf *r, struct uds_bytes *b)
{
	uint16_t n = 0;

	pl_rbuf_u16be(r, &n);
	b->len = n;
	pl_rbuf_bytes(r, n, &b->ptr);
	if (r->err != 0) {
		b->ptr = NULL;
		b->len = 0;
	}
}

static int rd_end(const struct pl_rbuf *r)
{
	return pl_rbuf_end(r) == 0 ? 0 : PL_E_UDS_LENGTH;
}

static int parse_auth(struct pl_rbuf *r, struct uds_request *q)
{
	switch (q->sub) {
	case UDS_AUTH_DEAUTHENTICATE:
	case UDS_AUTH_CONFIGURATION:
		break;
	case UDS_AUTH_REQUEST_CHALLENGE:
		pl_rbuf_u8(r, &q->comm_cfg);
		pl_rbuf_copy(r, q->alg_ind, sizeof(q->alg_ind));
		break;
	case UDS_AUTH_VERIFY_POWN_UNI:
		pl_rbuf_copy(r, q->alg_ind, sizeof(q->alg_ind));
		rd_lv(r, &q->proof);
		rd_lv(r, &q->challenge_client);
		rd_lv(r, &q->additional);
		break;
	default:
		return PL_E_UDS_SUBFUNC;
	}
	return rd_end(r);
}

static int parse_body(struct pl_rbuf *r, struct uds_request *q)
{
	uint8_t b;

	if (uds_sid_has_subfunction(q->sid)) {
		if (pl_rbuf_u8(r, &b) != 0)
			return PL_E_UDS_LENGTH;
		q->sub = b & 0x7F;
		q->suppress_pos = (b & UDS_SUPPRESS_POS) != 0;
	}
	switch (q->sid) {
	case UDS_SID_SESSION:
	case UDS_SID_RESET:
		return rd_end(r);
	case UDS_SID_TESTER_PRESENT:
		if (q->sub != 0x00)
			return PL_E_UDS_SUBFUNC;
		return rd_end(r);
	case UDS_SID_CLEAR_DTC: {
		uint8_t g[3] = {0};

		pl_rbuf_copy(r, g, 3);
		q->dtc_group = (uint32_t)g[0] << 16 | (uint32_t)g[1] << 8 | g[2];
		return rd_end(r);
	}
	case UDS_SID_READ_DTC:
		if (q->sub != UDS_DTC_REPORT_COUNT_BY_MASK && q->sub != UDS_DTC_REPORT_BY_MASK)
			return PL_E_UDS_SUBFUNC;
		pl_rbuf_u8(r, &q->dtc_mask);
		return rd_end(r);
	case UDS_SID_READ_DID:
		pl_rbuf_u16be(r, &q->did);
		return rd_end(r);
	case UDS_SID_AUTH:
		return parse_auth(r, q);
	case UDS_SID_ROUTINE:
		if (q->sub < UDS_ROUTINE_START || q->sub > UDS_ROUTINE_RESULTS)
			return PL_E_UDS_SUBFUNC;
		if (pl_rbuf_u16be(r, &q->routine_id) != 0)
			return PL_E_UDS_LENGTH;
		q->option.len = pl_rbuf_left(r);
		pl_rbuf_bytes(r, q->option.len, &q->option.ptr);
		if (q->option.len == 0)
			q->option.ptr = NULL;
		return rd_end(r);
	default:
		return PL_E_UDS_SERVICE;
	}
}

int uds_parse_request(const uint8_t *msg, size_t len, struct uds_request *req)
{
	struct uds_request q;
	struct pl_rbuf r;
	int rc;

	if (req == NULL || (msg == NULL && len != 0))
		return PL_E_INVAL;
	if (len == 0)
		return PL_E_UDS_EMPTY;
	memset(&q, 0, sizeof(q));
	pl_rbuf_init(&r, msg, len);
	pl_rbuf_u8(&r, &q.sid);
	if ((rc = parse_body(&r, &q)) != 0)
		return rc;
	*req = q;
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

static int build_body(struct pl_wbuf *w, const struct uds_request *q)
{
	int bad = 0;

	if (uds_sid_has_subfunction(q->sid)) {
		if (q->sub > 0x7F)
			return PL_E_UDS_BAD_VALUE;
		pl_wbuf_u8(w, (uint8_t)(q->sub | (q->suppress_pos ? UDS_SUPPRESS_POS : 0)));
	}
	switch (q->sid) {
	case UDS_SID_SESSION:
	case UDS_SID_RESET:
		return 0;
	case UDS_SID_TESTER_PRESENT:
		return q->sub == 0 ? 0 : PL_E_UDS_SUBFUNC;
	case UDS_SID_CLEAR_DTC:
		if (q->dtc_group > UDS_DTC_GROUP_ALL)
			return PL_E_UDS_BAD_VALUE;
		pl_wbuf_u8(w, (uint8_t)(q->dtc_group >> 16));
		pl_wbuf_u16be(w, (uint16_t)q->dtc_group);
		return 0;
	case UDS_SID_READ_DTC:
		if (q->sub != UDS_DTC_REPORT_COUNT_BY_MASK && q->sub != UDS_DTC_REPORT_BY_MASK)
			return PL_E_UDS_SUBFUNC;
		pl_wbuf_u8(w, q->dtc_mask);
		return 0;
	case UDS_SID_READ_DID:
		pl_wbuf_u16be(w, q->did);
		return 0;
	case UDS_SID_AUTH:
		switch (q->sub) {
		case UDS_AUTH_DEAUTHENTICATE:
		case UDS_AUTH_CONFIGURATION:
			return 0;
		case UDS_AUTH_REQUEST_CHALLENGE:
			pl_wbuf_u8(w, q->comm_cfg);
			pl_wbuf_bytes(w, q->alg_ind, sizeof(q->alg_ind));
			return 0;
		case UDS_AUTH_VERIFY_POWN_UNI:
			pl_wbuf_bytes(w, q->alg_ind, sizeof(q->alg_ind));
			wr_lv(w, &q->proof, &bad);
			wr_lv(w, &q->challenge_client, &bad);
			wr_lv(w, &q->additional, &bad);
			return bad ? PL_E_UDS_BAD_VALUE : 0;
		default:
			return PL_E_UDS_SUBFUNC;
		}
	case UDS_SID_ROUTINE:
		if (q->sub < UDS_ROUTINE_START || q->sub > UDS_ROUTINE_RESULTS)
			return PL_E_UDS_SUBFUNC;
		if (q->option.ptr == NULL && q->option.len != 0)
			return PL_E_INVAL;
		pl_wbuf_u16be(w, q->routine_id);
		pl_wbuf_bytes(w, q->option.ptr, q->option.len);
		return 0;
	default:
		return PL_E_UDS_SERVICE;
	}
}

int uds_build_request(const struct uds_request *req, uint8_t *out, size_t cap, size_t *len)
{
	struct pl_wbuf w;
	size_t n;
	int r;

	if (req == NULL || out == NULL || len == NULL)
		return PL_E_INVAL;
	pl_wbuf_init(&w, out, cap);
	pl_wbuf_u8(&w, req->sid);
	if ((r = build_body(&w, req)) != 0)
		return r;
	if ((r = pl_wbuf_finish(&w, &n)) != 0)
		return r;
	*len = n;
	return 0;
}
