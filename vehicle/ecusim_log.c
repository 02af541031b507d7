/* pitlane-ecusim: one key=value log line per ECU event (never a token). */
#include <stdio.h>

#include "ecusim.h"
#include "pitlane/token.h"
#include "pl_codec.h"
#include "pl_log.h"
#include "uds.h"

static const char *deauth_reason(enum ecu_deauth_reason r)
{
	switch (r) {
	case ECU_DEAUTH_REQUEST:
		return "request";
	case ECU_DEAUTH_EXI:
		return "exi_expired";
	case ECU_DEAUTH_S3:
		return "session_timeout";
	case ECU_DEAUTH_SESSION:
		return "default_session";
	case ECU_DEAUTH_RESET:
		return "ecu_reset";
	case ECU_DEAUTH_NEW_AUTH:
		return "new_challenge";
	}
	return "unknown";
}

static void log_auth_ok(const struct ecu_event *ev)
{
	char kid[2 * PLT_KID_LEN + 1] = "", cti[2 * PLT_CTI_LEN + 1] = "";

	if (ev->kid != NULL)
		pl_hex_encode(ev->kid, PLT_KID_LEN, kid, sizeof(kid));
	if (ev->cti != NULL && ev->cti_len <= PLT_CTI_LEN)
		pl_hex_encode(ev->cti, ev->cti_len, cti, sizeof(cti));
	pl_log(PL_LOG_INFO, "auth_ok", "scope", ev->scope, "kid", kid, "cti", cti, NULL);
}

static void log_auth_fail(const struct ecu_event *ev)
{
	char nrc[8], attempts[16];

	snprintf(nrc, sizeof(nrc), "0x%02X", ev->nrc);
	snprintf(attempts, sizeof(attempts), "%u", (unsigned)ev->attempts);
	pl_log(PL_LOG_WARN, "auth_fail", "reason", plt_errname(ev->err), "nrc", nrc, "nrc_name",
	       uds_nrc_name(ev->nrc), "attempts", attempts, "msg", plt_strerror(ev->err), NULL);
}

void ecusim_log_event(void *ctx, const struct ecu_event *ev)
{
	char a[24], b[24];

	(void)ctx;
	switch (ev->kind) {
	case ECU_EV_SESSION:
		pl_log(PL_LOG_INFO, "session", "session",
		       ev->session == ECU_SESSION_EXTENDED ? "extended" : "default", NULL);
		break;
	case ECU_EV_CHALLENGE:
		snprintf(a, sizeof(a), "%zu", ev->challenge_len);
		pl_log(PL_LOG_INFO, "challenge_issued", "bytes", a, NULL);
		break;
	case ECU_EV_AUTH_OK:
		log_auth_ok(ev);
		break;
	case ECU_EV_AUTH_FAIL:
		log_auth_fail(ev);
		break;
	case ECU_EV_LOCKOUT:
		snprintf(a, sizeof(a), "%u", (unsigned)ev->attempts);
		snprintf(b, sizeof(b), "%u", (unsigned)ev->lockout_ms);
		pl_log(PL_LOG_WARN, "lockout", "attempts", a, "delay_ms", b, NULL);
		break;
	case ECU_EV_LOCKOUT_END:
		pl_log(PL_LOG_INFO, "lockout_end", NULL);
		break;
	case ECU_EV_DEAUTH:
		pl_log(PL_LOG_INFO, "deauth", "reason", deauth_reason(ev->reason), "scope",
		       ev->scope, NULL);
		break;
	case ECU_EV_ROUTINE:
		snprintf(a, sizeof(a), "0x%04X", ev->routine->id);
		pl_log(PL_LOG_INFO, "routine", "op", ev->routine->op, "rid", a, NULL);
		break;
	case ECU_EV_REFUSED:
		snprintf(a, sizeof(a), "0x%02X", ev->sid);
		snprintf(b, sizeof(b), "0x%02X", ev->nrc);
		pl_log(PL_LOG_DEBUG, "negative_response", "sid", a, "nrc", b, "nrc_name",
		       uds_nrc_name(ev->nrc), NULL);
		break;
	case ECU_EV_RESET:
		pl_log(PL_LOG_INFO, "ecu_reset", NULL);
		break;
	}
}
