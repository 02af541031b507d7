/* UDS client over ISO-TP: P2/P2* timing, response pending, convenience calls. */
#include <stdlib.h>
#include <string.h>

#include "can_clock.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_can.h"
#include "uds_client.h"

struct uds_client {
	struct isotp *tp;
	struct uds_client_config c;
	int p2_ms;
	int p2star_ms;
	uint64_t last_tx_us; /* when the last request went out */
	uint8_t tx[UDS_MAX_MSG];
	uint8_t rx[UDS_MAX_MSG];
};

void uds_client_config_default(struct uds_client_config *c)
{
	memset(c, 0, sizeof(*c));
	c->p2_ms = UDS_DEFAULT_P2_MS;
	c->p2star_ms = UDS_DEFAULT_P2STAR_MS;
	c->max_pending = UDS_DEFAULT_MAX_PENDING;
	c->adopt_server_timing = 0;
}

int uds_client_open(struct isotp *tp, const struct uds_client_config *c, struct uds_client **out)
{
	struct uds_client *u;

	if (tp == NULL || c == NULL || out == NULL)
		return PL_E_INVAL;
	*out = NULL;
	if (c->p2_ms <= 0 || c->p2star_ms <= 0)
		return PL_E_INVAL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return PL_E_NOMEM;
	u->tp = tp;
	u->c = *c;
	u->p2_ms = c->p2_ms;
	u->p2star_ms = c->p2star_ms;
	*out = u;
	return 0;
}

void uds_client_free(struct uds_client *c)
{
	if (c == NULL)
		return;
	/* Buffers may have carried a token: wipe before release. */
	plt_wipe(c->tx, sizeof(c->tx));
	plt_wipe(c->rx, sizeof(c->rx));
	free(c);
}

void uds_client_timing(const struct uds_client *c, int *p2_ms, int *p2star_ms)
{
	if (p2_ms != NULL)
		*p2_ms = c->p2_ms;
	if (p2star_ms != NULL)
		*p2star_ms = c->p2star_ms;
}

static struct uds_result result(int err, uint8_t nrc)
{
	struct uds_result r = {err, nrc};

	return r;
}

/* Waits for the answer to (sid, sub), honouring P2, 0x78 and P2*. */
static int client_wait(struct uds_client *c, uint8_t sid, uint8_t sub, struct uds_response *resp)
{
	uint64_t deadline = can_clock_us() + (uint64_t)c->p2_ms * 1000u;
	unsigned pending = 0;
	struct uds_response p;
	size_t n;
	int r;

	for (;;) {
		r = isotp_recv(c->tp, c->rx, sizeof(c->rx), &n, can_clock_left_ms(deadline));
		if (r == PL_E_ISOTP_RX_TIMEOUT)
			return pending ? PL_E_UDS_P2STAR_TIMEOUT : PL_E_UDS_P2_TIMEOUT;
		if (r != 0)
			return r;
		r = uds_parse_response(c->rx, n, sid, sub, &p);
		if (r == PL_E_UDS_MISMATCH)
			continue; /* a late answer to an earlier request */
		if (r != 0)
			return r;
		if (p.nrc == UDS_NRC_RESPONSE_PENDING) {
			if (++pending > c->c.max_pending)
				return PL_E_UDS_PENDING_LIMIT;
			deadline = can_clock_us() + (uint64_t)c->p2star_ms * 1000u;
			continue;
		}
		*resp = p;
		return 0;
	}
}

struct uds_result uds_client_transact(struct uds_client *c, const struct uds_request *req,
                                      struct uds_response *resp)
{
	struct uds_response p;
	size_t n;
	int r;

	if (c == NULL || req == NULL || resp == NULL)
		return result(PL_E_INVAL, 0);
	if ((r = uds_build_request(req, c->tx, sizeof(c->tx), &n)) != 0)
		return result(r, 0);
	if ((r = isotp_send(c->tp, c->tx, n)) != 0)
		return result(r, 0);
	c->last_tx_us = can_clock_us();
	if (req->suppress_pos && uds_sid_has_subfunction(req->sid)) {
		memset(resp, 0, sizeof(*resp));
		resp->sid = req->sid;
		resp->sub = req->sub;
		return result(0, 0);
	}
	if ((r = client_wait(c, req->sid, uds_sid_has_subfunction(req->sid) ? req->sub : 0, &p)) !=
	    0)
		return result(r, 0);
	if (p.nrc == 0 && req->sid == UDS_SID_SESSION && c->c.adopt_server_timing) {
		if (p.p2_ms != 0)
			c->p2_ms = p.p2_ms;
		if (p.p2star_ms != 0)
			c->p2star_ms = p.p2star_ms;
	}
	*resp = p;
	return result(0, p.nrc);
}

static void req_init(struct uds_request *q, uint8_t sid, uint8_t sub)
{
	memset(q, 0, sizeof(*q));
	q->sid = sid;
	q->sub = sub;
}

/* Runs q; on a positive answer resp is valid. A negative answer or error is returned as is. */
static struct uds_result run(struct uds_client *c, const struct uds_request *q,
                             struct uds_response *resp)
{
	return uds_client_transact(c, q, resp);
}

static int failed(struct uds_result r)
{
	return r.err != 0 || r.nrc != 0;
}

struct uds_result uds_client_session(struct uds_client *c, uint8_t session)
{
	struct uds_request q;
	struct uds_response p;

	req_init(&q, UDS_SID_SESSION, session);
	return run(c, &q, &p);
}

struct uds_result uds_client_reset(struct uds_client *c, uint8_t type)
{
	struct uds_request q;
	struct uds_response p;

	req_init(&q, UDS_SID_RESET, type);
	return run(c, &q, &p);
}

struct uds_result uds_client_tester_present(struct uds_client *c, int suppress)
{
	struct uds_request q;
	struct uds_response p;

	req_init(&q, UDS_SID_TESTER_PRESENT, 0);
	q.suppress_pos = suppress != 0;
	return run(c, &q, &p);
}

struct uds_result uds_client_keepalive(struct uds_client *c, int interval_ms, int *sent)
{
	if (c == NULL || sent == NULL || interval_ms <= 0)
		return result(PL_E_INVAL, 0);
	*sent = 0;
	if (c->last_tx_us != 0 && can_clock_us() - c->last_tx_us < (uint64_t)interval_ms * 1000u)
		return result(0, 0);
	*sent = 1;
	return uds_client_tester_present(c, 1);
}

struct uds_result uds_client_read_did(struct uds_client *c, uint16_t did, uint8_t *out, size_t cap,
                                      size_t *len)
{
	struct uds_request q;
	struct uds_response p;
	struct uds_result r;

	if (out == NULL || len == NULL)
		return result(PL_E_INVAL, 0);
	req_init(&q, UDS_SID_READ_DID, 0);
	q.did = did;
	r = run(c, &q, &p);
	if (failed(r))
		return r;
	if (p.did != did)
		return result(PL_E_UDS_MISMATCH, 0);
	if (p.data.len > cap)
		return result(PL_E_NOSPACE, 0);
	if (p.data.len > 0)
		memcpy(out, p.data.ptr, p.data.len);
	*len = p.data.len;
	return r;
}

struct uds_result uds_client_read_vin(struct uds_client *c, char vin[UDS_VIN_LEN + 1])
{
	uint8_t buf[UDS_VIN_LEN + 1];
	struct uds_result r;
	size_t n = 0, i;

	if (vin == NULL)
		return result(PL_E_INVAL, 0);
	r = uds_client_read_did(c, UDS_DID_VIN, buf, sizeof(buf), &n);
	if (r.err == PL_E_NOSPACE)
		return result(PL_E_UDS_BAD_VALUE, 0);
	if (failed(r))
		return r;
	if (n != UDS_VIN_LEN)
		return result(PL_E_UDS_BAD_VALUE, 0);
	for (i = 0; i < n; i++)
		if (buf[i] < 0x21 || buf[i] > 0x7E)
			return result(PL_E_UDS_BAD_VALUE, 0);
	memcpy(vin, buf, n);
	vin[n] = '\0';
	return r;
}

struct uds_result uds_client_auth_config(struct uds_client *c, uint8_t *ret)
{
	struct uds_request q;
	struct uds_response p;
	struct uds_result r;

	if (ret == NULL)
		return result(PL_E_INVAL, 0);
	req_init(&q, UDS_SID_AUTH, UDS_AUTH_CONFIGURATION);
	r = run(c, &q, &p);
	if (failed(r))
		return r;
	*ret = p.auth_ret;
	return r;
}

struct uds_result uds_client_request_challenge(struct uds_client *c, uint8_t *out, size_t cap,
                                               size_t *len)
{
	struct uds_request q;
	struct uds_response p;
	struct uds_result r;

	if (out == NULL || len == NULL)
		return result(PL_E_INVAL, 0);
	req_init(&q, UDS_SID_AUTH, UDS_AUTH_REQUEST_CHALLENGE);
	q.comm_cfg = 0x00;
	memcpy(q.alg_ind, uds_pitlane_alg_ind, sizeof(q.alg_ind));
	r = run(c, &q, &p);
	if (failed(r))
		return r;
	if (memcmp(p.alg_ind, uds_pitlane_alg_ind, sizeof(p.alg_ind)) != 0)
		return result(PL_E_UDS_ALG_MISMATCH, 0);
	if (p.auth_ret != UDS_AUTH_RET_ACCEPTED || p.challenge.len == 0)
		return result(PL_E_UDS_BAD_VALUE, 0);
	if (p.challenge.len > cap)
		return result(PL_E_NOSPACE, 0);
	memcpy(out, p.challenge.ptr, p.challenge.len);
	*len = p.challenge.len;
	return r;
}

struct uds_result uds_client_send_token(struct uds_client *c, const uint8_t *token, size_t len,
                                        uint8_t *ret)
{
	struct uds_request q;
	struct uds_response p;
	struct uds_result r;

	if (token == NULL || len == 0 || ret == NULL)
		return result(PL_E_INVAL, 0);
	req_init(&q, UDS_SID_AUTH, UDS_AUTH_VERIFY_POWN_UNI);
	memcpy(q.alg_ind, uds_pitlane_alg_ind, sizeof(q.alg_ind));
	q.proof.ptr = token;
	q.proof.len = len;
	r = run(c, &q, &p);
	if (failed(r))
		return r;
	if (memcmp(p.alg_ind, uds_pitlane_alg_ind, sizeof(p.alg_ind)) != 0)
		return result(PL_E_UDS_ALG_MISMATCH, 0);
	*ret = p.auth_ret;
	return r;
}

struct uds_result uds_client_deauthenticate(struct uds_client *c)
{
	struct uds_request q;
	struct uds_response p;
	struct uds_result r;

	req_init(&q, UDS_SID_AUTH, UDS_AUTH_DEAUTHENTICATE);
	r = run(c, &q, &p);
	if (failed(r))
		return r;
	if (p.auth_ret != UDS_AUTH_RET_DEAUTH_OK)
		return result(PL_E_UDS_BAD_VALUE, 0);
	return r;
}

struct uds_result uds_client_routine_start(struct uds_client *c, uint16_t routine_id,
                                           const uint8_t *option, size_t option_len,
                                           uint8_t *status, size_t cap, size_t *len)
{
	struct uds_request q;
	struct uds_response p;
	struct uds_result r;

	if ((option == NULL && option_len != 0) || (status == NULL && cap != 0) || len == NULL)
		return result(PL_E_INVAL, 0);
	req_init(&q, UDS_SID_ROUTINE, UDS_ROUTINE_START);
	q.routine_id = routine_id;
	q.option.ptr = option;
	q.option.len = option_len;
	r = run(c, &q, &p);
	if (failed(r))
		return r;
	if (p.routine_id != routine_id)
		return result(PL_E_UDS_MISMATCH, 0);
	if (p.data.len > cap)
		return result(PL_E_NOSPACE, 0);
	if (p.data.len > 0)
		memcpy(status, p.data.ptr, p.data.len);
	*len = p.data.len;
	return r;
}

struct uds_result uds_client_clear_dtc(struct uds_client *c, uint32_t group)
{
	struct uds_request q;
	struct uds_response p;

	req_init(&q, UDS_SID_CLEAR_DTC, 0);
	q.dtc_group = group;
	return run(c, &q, &p);
}

struct uds_result uds_client_read_dtc(struct uds_client *c, uint8_t mask, struct uds_dtc *out,
                                      size_t cap, size_t *n)
{
	struct uds_request q;
	struct uds_response p;
	struct uds_result r;
	size_t i, count;

	if ((out == NULL && cap != 0) || n == NULL)
		return result(PL_E_INVAL, 0);
	req_init(&q, UDS_SID_READ_DTC, UDS_DTC_REPORT_BY_MASK);
	q.dtc_mask = mask;
	r = run(c, &q, &p);
	if (failed(r))
		return r;
	count = uds_dtc_record_count(&p);
	if (count > cap)
		return result(PL_E_NOSPACE, 0);
	for (i = 0; i < count; i++)
		uds_dtc_record(&p, i, &out[i].dtc, &out[i].status);
	*n = count;
	return r;
}
