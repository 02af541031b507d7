/*
 * The ECU's request dispatcher, sessions and timers, and the services that
 * need no token (0x10, 0x11, 0x22, 0x3E, 0x19) or use the authenticated scope
 * (0x31, 0x14). Service 0x29 lives in ecu_auth.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ecu_internal.h"
#include "pl_err.h"

/* P2server_max / P2*server_max announced in 50 03 / 50 01. */
#define ECU_P2_MS 50
#define ECU_P2STAR_MS 5000

void ecu_config_defaults(struct ecu_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_attempts = ECU_DEFAULT_MAX_ATTEMPTS;
	c->lockout_ms = ECU_DEFAULT_LOCKOUT_MS;
	c->s3_ms = ECU_DEFAULT_S3_MS;
	c->challenge_ttl_ms = ECU_DEFAULT_CHALLENGE_TTL_MS;
	c->challenge_len = ECU_DEFAULT_CHALLENGE_LEN;
}

void ecu_emit(const struct ecu *e, const struct ecu_event *ev)
{
	if (e->cfg.on_event != NULL)
		e->cfg.on_event(e->cfg.event_ctx, ev);
}

void ecu_touch(struct ecu *e)
{
	e->changes++;
}

void ecu_auth_end(struct ecu *e, enum ecu_deauth_reason reason)
{
	const struct ecu_routine *old = e->scope;
	int had_challenge = e->challenge.outstanding;

	ecu_challenge_clear(&e->challenge);
	if (old == NULL) {
		/* An explicit 29 00 that drops an unanswered challenge is worth a line too. */
		if (had_challenge && reason == ECU_DEAUTH_REQUEST) {
			struct ecu_event ev = {
			    .kind = ECU_EV_DEAUTH, .reason = reason, .scope = "none"};
			ecu_emit(e, &ev);
		}
		return;
	}
	e->scope = NULL;
	e->auth_until_ms = 0;
	plt_wipe(e->kid, sizeof(e->kid));
	plt_wipe(e->cti, sizeof(e->cti));
	e->cti_len = 0;
	ecu_touch(e);
	struct ecu_event ev = {.kind = ECU_EV_DEAUTH, .reason = reason, .scope = old->op};
	ecu_emit(e, &ev);
}

static void ecu_set_session(struct ecu *e, enum ecu_session s, enum ecu_deauth_reason why)
{
	if (s == ECU_SESSION_DEFAULT)
		ecu_auth_end(e, why);
	if (e->session == s)
		return;
	e->session = s;
	ecu_touch(e);
	struct ecu_event ev = {.kind = ECU_EV_SESSION, .session = s};
	ecu_emit(e, &ev);
}

int ecu_new(const struct ecu_config *cfg, uint64_t now_ms, struct ecu **out)
{
	struct ecu *e;

	*out = NULL;
	if (cfg == NULL || cfg->vin == NULL || strlen(cfg->vin) != PLT_VIN_LEN ||
	    !plt_vin_valid(cfg->vin, PLT_VIN_LEN) || cfg->trust == NULL || cfg->crypto == NULL ||
	    cfg->max_attempts == 0 || cfg->challenge_len < PLT_CNONCE_MIN ||
	    cfg->challenge_len > PLT_CNONCE_MAX || cfg->s3_ms == 0)
		return PL_E_INVAL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return PL_E_NOMEM;
	memcpy(e->vin, cfg->vin, PLT_VIN_LEN + 1);
	e->cfg = *cfg;
	e->cfg.vin = e->vin;
	e->cfg.restore = NULL;
	if (e->cfg.rnd == NULL)
		e->cfg.rnd = ecu_random_getrandom;
	if (cfg->restore != NULL)
		e->vehicle = *cfg->restore;
	else
		ecu_vehicle_init(&e->vehicle);
	if (e->vehicle.ndtc > ECU_DTC_MAX)
		e->vehicle.ndtc = ECU_DTC_MAX;
	/* A restored counter at the limit restarts the full delay now. */
	ecu_attempts_init(&e->attempts, cfg->max_attempts, cfg->lockout_ms,
	                  e->vehicle.failed_attempts, now_ms);
	e->vehicle.failed_attempts = e->attempts.failed;
	e->session = ECU_SESSION_DEFAULT;
	e->last_request_ms = now_ms;
	*out = e;
	return 0;
}

void ecu_free(struct ecu *e)
{
	if (e == NULL)
		return;
	plt_wipe(e, sizeof(*e));
	free(e);
}

void ecu_tick(struct ecu *e, uint64_t now_ms)
{
	int changed = 0;

	if (e->session != ECU_SESSION_DEFAULT && now_ms > e->last_request_ms &&
	    now_ms - e->last_request_ms > e->cfg.s3_ms)
		ecu_set_session(e, ECU_SESSION_DEFAULT, ECU_DEAUTH_S3);
	if (e->scope != NULL && now_ms > e->auth_until_ms)
		ecu_auth_end(e, ECU_DEAUTH_EXI);
	ecu_attempts_locked(&e->attempts, now_ms, &changed);
	if (changed) {
		struct ecu_event ev = {.kind = ECU_EV_LOCKOUT_END, .attempts = e->attempts.failed};
		e->vehicle.failed_attempts = e->attempts.failed;
		ecu_touch(e);
		ecu_emit(e, &ev);
	}
}

static uint64_t until(uint64_t now_ms, uint64_t when_ms)
{
	return when_ms > now_ms ? when_ms - now_ms : 0;
}

int64_t ecu_next_timer_ms(const struct ecu *e, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	/* Timers fire strictly after their deadline (see ecu_tick): +1 ms. */
	if (e->session != ECU_SESSION_DEFAULT)
		next = until(now_ms, e->last_request_ms + e->cfg.s3_ms + 1);
	if (e->scope != NULL && until(now_ms, e->auth_until_ms + 1) < next)
		next = until(now_ms, e->auth_until_ms + 1);
	if (e->attempts.locked && until(now_ms, e->attempts.until_ms) < next)
		next = until(now_ms, e->attempts.until_ms);
	if (next == UINT64_MAX)
		return -1;
	return next > INT64_MAX ? INT64_MAX : (int64_t)next;
}

void ecu_status_get(const struct ecu *e, uint64_t now_ms, struct ecu_status *st)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->vin, e->vin, sizeof(st->vin));
	st->vehicle = e->vehicle;
	st->session = e->session;
	if (e->scope != NULL) {
		size_t n = strlen(e->scope->op);
		memcpy(st->scope, e->scope->op, n < PLT_OP_MAX ? n : PLT_OP_MAX);
		st->auth_left_ms = until(now_ms, e->auth_until_ms);
	}
	st->locked_out = e->attempts.locked;
	st->lockout_left_ms = ecu_attempts_left_ms(&e->attempts, now_ms);
}

uint64_t ecu_change_count(const struct ecu *e)
{
	return e->changes;
}

/* ---- services ---------------------------------------------------------- */

static void svc_session(struct ecu *e, const struct uds_request *req, struct uds_response *resp)
{
	if (req->sub == UDS_SESSION_DEFAULT)
		ecu_set_session(e, ECU_SESSION_DEFAULT, ECU_DEAUTH_SESSION);
	else if (req->sub == UDS_SESSION_EXTENDED)
		ecu_set_session(e, ECU_SESSION_EXTENDED, ECU_DEAUTH_SESSION);
	else {
		resp->nrc = UDS_NRC_SUBFUNCTION_NOT_SUPPORTED;
		return;
	}
	resp->p2_ms = ECU_P2_MS;
	resp->p2star_ms = ECU_P2STAR_MS;
}

/* A reset ends every session and authentication; the ignition comes back
 * off. The vehicle state, including the failed-attempt counter, survives. */
static void svc_reset(struct ecu *e, const struct uds_request *req, struct uds_response *resp)
{
	if (req->sub != UDS_RESET_HARD && req->sub != UDS_RESET_KEY_OFF_ON &&
	    req->sub != UDS_RESET_SOFT) {
		resp->nrc = UDS_NRC_SUBFUNCTION_NOT_SUPPORTED;
		return;
	}
	ecu_set_session(e, ECU_SESSION_DEFAULT, ECU_DEAUTH_RESET);
	if (req->sub != UDS_RESET_SOFT && e->vehicle.ignition_on) {
		e->vehicle.ignition_on = 0;
		ecu_touch(e);
	}
	struct ecu_event ev = {.kind = ECU_EV_RESET};
	ecu_emit(e, &ev);
}

static void svc_read_did(struct ecu *e, const struct uds_request *req, struct uds_response *resp)
{
	if (req->did != UDS_DID_VIN) {
		resp->nrc = UDS_NRC_REQUEST_OUT_OF_RANGE;
		return;
	}
	resp->did = UDS_DID_VIN;
	resp->data.ptr = (const uint8_t *)e->vin;
	resp->data.len = PLT_VIN_LEN;
}

static void svc_tester_present(const struct uds_request *req, struct uds_response *resp)
{
	if (req->sub != 0x00)
		resp->nrc = UDS_NRC_SUBFUNCTION_NOT_SUPPORTED;
}

static void svc_read_dtc(struct ecu *e, const struct uds_request *req, struct uds_response *resp,
                         uint8_t *scratch, size_t cap)
{
	size_t n = 0;

	resp->dtc_avail_mask = ECU_DTC_AVAILABILITY;
	for (size_t i = 0; i < e->vehicle.ndtc; i++) {
		if ((ECU_DTC_STATUS & req->dtc_mask) == 0)
			continue;
		if (req->sub == UDS_DTC_REPORT_BY_MASK && n + 4 <= cap) {
			scratch[n++] = (uint8_t)(e->vehicle.dtc[i] >> 16);
			scratch[n++] = (uint8_t)(e->vehicle.dtc[i] >> 8);
			scratch[n++] = (uint8_t)e->vehicle.dtc[i];
			scratch[n++] = ECU_DTC_STATUS;
		} else if (req->sub == UDS_DTC_REPORT_COUNT_BY_MASK) {
			resp->dtc_count++;
		}
	}
	if (req->sub == UDS_DTC_REPORT_COUNT_BY_MASK) {
		resp->dtc_format = UDS_DTC_FORMAT_ISO14229;
	} else if (req->sub == UDS_DTC_REPORT_BY_MASK) {
		resp->dtc_records.ptr = scratch;
		resp->dtc_records.len = n;
	} else {
		resp->nrc = UDS_NRC_SUBFUNCTION_NOT_SUPPORTED;
	}
}

/* The authorisation rule shared by 0x31 and 0x14: a token, for this routine. */
static uint8_t check_scope(const struct ecu *e, const struct ecu_routine *rt)
{
	if (e->scope == NULL)
		return UDS_NRC_AUTHENTICATION_REQUIRED;
	if (e->scope != rt)
		return UDS_NRC_SECURITY_ACCESS_DENIED;
	return 0;
}

static void run_routine(struct ecu *e, const struct ecu_routine *rt, struct uds_response *resp)
{
	uint8_t nrc = check_scope(e, rt);

	if (nrc == 0)
		nrc = rt->run(&e->vehicle);
	if (nrc != 0) {
		resp->nrc = nrc;
		return;
	}
	ecu_touch(e);
	struct ecu_event ev = {.kind = ECU_EV_ROUTINE, .routine = rt, .scope = rt->op};
	ecu_emit(e, &ev);
}

static void svc_routine(struct ecu *e, const struct uds_request *req, struct uds_response *resp)
{
	const struct ecu_routine *rt = ecu_routine_by_id(req->routine_id);

	if (rt == NULL) {
		resp->nrc = UDS_NRC_REQUEST_OUT_OF_RANGE;
		return;
	}
	/* The catalogue's routines run to completion at start: nothing to stop
	 * or to report later. */
	if (req->sub != UDS_ROUTINE_START) {
		resp->nrc = UDS_NRC_SUBFUNCTION_NOT_SUPPORTED;
		return;
	}
	if (req->option.len != 0) {
		resp->nrc = UDS_NRC_INCORRECT_LENGTH;
		return;
	}
	resp->routine_id = req->routine_id;
	resp->data.ptr = NULL;
	resp->data.len = 0;
	run_routine(e, rt, resp);
}

/* 14 FFFFFF clears the DTCs like the dtc.clear routine, and needs its token. */
static void svc_clear_dtc(struct ecu *e, const struct uds_request *req, struct uds_response *resp)
{
	if (req->dtc_group != UDS_DTC_GROUP_ALL) {
		resp->nrc = UDS_NRC_REQUEST_OUT_OF_RANGE;
		return;
	}
	run_routine(e, ecu_routine_by_id(ECU_RID_DTC_CLEAR), resp);
}

/* Services this ECU offers, and those that need the extended session. */
static int sid_supported(uint8_t sid)
{
	switch (sid) {
	case UDS_SID_SESSION:
	case UDS_SID_RESET:
	case UDS_SID_CLEAR_DTC:
	case UDS_SID_READ_DTC:
	case UDS_SID_READ_DID:
	case UDS_SID_AUTH:
	case UDS_SID_ROUTINE:
	case UDS_SID_TESTER_PRESENT:
		return 1;
	default:
		return 0;
	}
}

static int sid_needs_extended(uint8_t sid)
{
	return sid == UDS_SID_AUTH || sid == UDS_SID_ROUTINE || sid == UDS_SID_CLEAR_DTC;
}

static void emit_refused(const struct ecu *e, uint8_t sid, uint8_t nrc)
{
	struct ecu_event ev = {.kind = ECU_EV_REFUSED, .sid = sid, .nrc = nrc};
	ecu_emit(e, &ev);
}

static int reply_negative(const struct ecu *e, uint8_t sid, uint8_t nrc, uint8_t *resp, size_t cap,
                          size_t *resp_len)
{
	emit_refused(e, sid, nrc);
	return uds_build_negative(sid, nrc, resp, cap, resp_len);
}

int ecu_request_is_slow(const uint8_t *req, size_t len)
{
	return len >= 2 && req[0] == UDS_SID_AUTH &&
	       (req[1] & (uint8_t)~UDS_SUPPRESS_POS) == UDS_AUTH_VERIFY_POWN_UNI;
}

int ecu_handle(struct ecu *e, uint64_t now_ms, const uint8_t *req, size_t len, uint8_t *resp,
               size_t cap, size_t *resp_len)
{
	struct uds_request rq;
	struct uds_response rs;
	uint8_t scratch[ECU_DTC_MAX * 4];
	uint8_t sid;
	int r;

	if (e == NULL || (req == NULL && len > 0) || resp == NULL || resp_len == NULL)
		return PL_E_INVAL;
	*resp_len = 0;
	/* Timers first: a request after S3 already meets the default session. */
	ecu_tick(e, now_ms);
	e->last_request_ms = now_ms;
	if (len == 0)
		return 0; /* nothing to answer: not even a SID to refuse */
	sid = req[0];
	if (!sid_supported(sid))
		return reply_negative(e, sid, UDS_NRC_SERVICE_NOT_SUPPORTED, resp, cap, resp_len);
	if (sid_needs_extended(sid) && e->session != ECU_SESSION_EXTENDED)
		return reply_negative(e, sid, UDS_NRC_SERVICE_NOT_SUPPORTED_IN_SESSION, resp, cap,
		                      resp_len);
	if ((r = uds_parse_request(req, len, &rq)) != 0)
		return reply_negative(e, sid, uds_nrc_for_err(r), resp, cap, resp_len);
	memset(&rs, 0, sizeof(rs));
	rs.sid = rq.sid;
	rs.sub = rq.sub;
	switch (rq.sid) {
	case UDS_SID_SESSION:
		svc_session(e, &rq, &rs);
		break;
	case UDS_SID_RESET:
		svc_reset(e, &rq, &rs);
		break;
	case UDS_SID_READ_DID:
		svc_read_did(e, &rq, &rs);
		break;
	case UDS_SID_TESTER_PRESENT:
		svc_tester_present(&rq, &rs);
		break;
	case UDS_SID_READ_DTC:
		svc_read_dtc(e, &rq, &rs, scratch, sizeof(scratch));
		break;
	case UDS_SID_ROUTINE:
		svc_routine(e, &rq, &rs);
		break;
	case UDS_SID_CLEAR_DTC:
		svc_clear_dtc(e, &rq, &rs);
		break;
	case UDS_SID_AUTH:
		ecu_auth_handle(e, now_ms, &rq, &rs);
		break;
	default:
		rs.nrc = UDS_NRC_SERVICE_NOT_SUPPORTED;
		break;
	}
	if (rs.nrc != 0)
		return reply_negative(e, sid, rs.nrc, resp, cap, resp_len);
	if (rq.suppress_pos && uds_sid_has_subfunction(rq.sid))
		return 0;
	return uds_build_response(&rs, resp, cap, resp_len);
}
