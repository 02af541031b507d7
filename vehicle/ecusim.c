/*
 * pitlane-ecusim: the reference ECU. Receives UDS requests over ISO-TP on a
 * CAN transport, answers them with the pitlane_ecu state machine, logs every
 * event and persists the vehicle state (before the answer leaves, so a reset
 * can never undo a counted failure).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "can_transport.h"
#include "ecusim.h"
#include "isotp.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_can.h"
#include "pl_log.h"
#include "uds.h"

/* Longest wait in one receive call, so a signal is seen promptly. */
#define ECUSIM_POLL_MS 200
/*
 * Session and authentication changes (lost on a reset anyway) are written
 * once the bus has been quiet this long, or at the latest after
 * ECUSIM_SYNC_MAX_MS: an fsync between two requests of a tester's exchange
 * would delay the next answer by the disk's latency.
 */
#define ECUSIM_SYNC_IDLE_MS 5
#define ECUSIM_SYNC_MAX_MS 200

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked poll returns at once. */
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
		return PL_E_IO;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return PL_E_IO;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int wall_clock(void *ctx, int64_t *now)
{
	struct timespec ts;

	(void)ctx;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return PL_E_IO;
	*now = (int64_t)ts.tv_sec;
	return 0;
}

struct sim {
	const struct ecusim_opts *o;
	struct ecu *ecu;
	struct can_transport *tr;
	struct isotp *tp;
	uint64_t saved_changes;
	struct ecu_vehicle saved; /* the persisted part as last written */
};

/* Logs and persists the state when it changed since the last call. */
static int sim_sync_state(struct sim *s)
{
	struct ecu_status st;
	uint64_t n = ecu_change_count(s->ecu);

	if (n == s->saved_changes)
		return 0;
	ecu_status_get(s->ecu, mono_ms(), &st);
	ecusim_state_log(&st);
	if (s->o->state_path != NULL) {
		int r = ecusim_state_save(s->o->state_path, &st);
		if (r != 0)
			return r;
	}
	s->saved = st.vehicle;
	s->saved_changes = n;
	return 0;
}

/* Nonzero when what survives a reset (attempt counter, doors...) changed. */
static int sim_persisted_changed(const struct sim *s)
{
	struct ecu_status st;

	if (ecu_change_count(s->ecu) == s->saved_changes)
		return 0;
	ecu_status_get(s->ecu, mono_ms(), &st);
	return memcmp(&st.vehicle, &s->saved, sizeof(st.vehicle)) != 0;
}

static void sim_send_pending(struct sim *s, uint8_t sid)
{
	uint8_t msg[3];
	size_t len = 0;
	int r;

	if (uds_build_negative(sid, UDS_NRC_RESPONSE_PENDING, msg, sizeof(msg), &len) == 0 &&
	    (r = isotp_send(s->tp, msg, len)) != 0)
		pl_log_err("send_failed", r, NULL);
}

static int sim_serve_one(struct sim *s, const uint8_t *req, size_t len)
{
	uint8_t resp[ECU_RESP_MAX];
	size_t rlen = 0;
	int pending = 0, r;

	if (ecu_request_is_slow(req, len)) {
		/* Signature checks may outlast P2: ask the tester to wait P2*. */
		sim_send_pending(s, req[0]);
		pending = 1;
	}
	if ((r = ecu_handle(s->ecu, mono_ms(), req, len, resp, sizeof(resp), &rlen)) != 0) {
		pl_log_err("handle_failed", r, NULL);
		return r;
	}
	/* What survives a reset is on disk before the tester learns of it: a
	 * counted failure cannot be undone by pulling the power. The write may
	 * outlast P2, so the tester is asked to wait. Session and authentication
	 * changes are written after the answer. */
	if (sim_persisted_changed(s)) {
		if (rlen > 0 && !pending)
			sim_send_pending(s, req[0]);
		if ((r = sim_sync_state(s)) != 0)
			return r;
	}
	if (rlen > 0 && (r = isotp_send(s->tp, resp, rlen)) != 0)
		pl_log_err("send_failed", r, "hint", "the tester may have gone; still serving",
		           NULL);
	return 0;
}

/* ISO-TP protocol errors lose one message; anything else (the transport
 * failed) ends the program rather than spinning on a dead bus. */
static int is_fatal(int err)
{
	switch (err) {
	case PL_E_ISOTP_TIMEOUT_CR:
	case PL_E_ISOTP_BAD_SN:
	case PL_E_ISOTP_UNEXPECTED_CF:
	case PL_E_ISOTP_UNEXPECTED_FRAME:
	case PL_E_ISOTP_BAD_PCI:
	case PL_E_ISOTP_RX_OVERFLOW:
	case PL_E_ISOTP_TIMEOUT_BS:
	case PL_E_ISOTP_FC_OVERFLOW:
	case PL_E_ISOTP_WAIT_LIMIT:
	case PL_E_ISOTP_BAD_FC:
		return 0;
	default:
		return 1;
	}
}

/* Receive timeout: the next ECU timer, the deferred state write, a signal check. */
static int sim_wait_ms(struct sim *s, uint64_t dirty_since)
{
	uint64_t now = mono_ms();
	int64_t next = ecu_next_timer_ms(s->ecu, now);
	int wait = (next < 0 || next > ECUSIM_POLL_MS) ? ECUSIM_POLL_MS : (int)next;

	if (dirty_since != 0 && wait > ECUSIM_SYNC_IDLE_MS)
		wait = ECUSIM_SYNC_IDLE_MS;
	return wait;
}

static int sim_run(struct sim *s)
{
	static uint8_t req[UDS_MAX_MSG];
	uint64_t dirty_since = 0; /* a request changed the state that is not on disk yet */
	size_t len;
	int r;

	while (!stop_signal) {
		r = isotp_recv(s->tp, req, sizeof(req), &len, sim_wait_ms(s, dirty_since));
		if (r == 0) {
			if ((r = sim_serve_one(s, req, len)) != 0)
				return r;
			if (dirty_since == 0 && ecu_change_count(s->ecu) != s->saved_changes)
				dirty_since = mono_ms();
		} else if (r != PL_E_ISOTP_RX_TIMEOUT && r != PL_E_CAN_RX_TIMEOUT) {
			if (is_fatal(r) && !stop_signal) {
				pl_log_err("can_failed", r, "can", s->o->can_uri, NULL);
				return r;
			}
			if (!stop_signal)
				pl_log_err("isotp_error", r, "hint", "message dropped", NULL);
		}
		ecu_tick(s->ecu, mono_ms());
		/* quiet bus (no request within the wait), or written late enough */
		if (r != 0 || dirty_since == 0 || mono_ms() - dirty_since >= ECUSIM_SYNC_MAX_MS) {
			if ((r = sim_sync_state(s)) != 0)
				return r;
			dirty_since = 0;
		}
	}
	return sim_sync_state(s);
}

static int sim_open_can(struct sim *s)
{
	struct can_filter_ids ids = {.ids = {s->o->rx_id}, .n = 1};
	struct isotp_config ic;
	int r;

	if ((r = can_transport_open(s->o->can_uri, &ids, &s->tr)) != 0) {
		pl_log_err("can_open_failed", r, "can", s->o->can_uri, NULL);
		return r;
	}
	isotp_config_default(&ic, s->o->tx_id, s->o->rx_id);
	if ((r = isotp_open(s->tr, &ic, &s->tp)) != 0)
		pl_log_err("isotp_open_failed", r, NULL);
	return r;
}

int main(int argc, char **argv)
{
	struct ecusim_opts o;
	struct plt_trust_anchor anchors[ECUSIM_TRUST_MAX];
	struct plt_trust_store trust;
	struct plt_threshold rows[ECUSIM_SIGNER_ROWS];
	struct plt_thresholds signers;
	struct plt_crypto crypto;
	struct ecu_vehicle restored;
	struct ecu_config cfg;
	struct sim s;
	int found = 0, rc = ECUSIM_EXIT_CONFIG, r;

	memset(&s, 0, sizeof(s));
	if ((r = ecusim_opts_parse(argc, argv, &o)) != 0)
		return r == 1 ? ECUSIM_EXIT_OK : ECUSIM_EXIT_USAGE;
	pl_log_init("pitlane-ecusim", o.verbose ? PL_LOG_DEBUG : PL_LOG_INFO);
	s.o = &o;
	if (ecusim_trust_load(&o, anchors, &trust.count) != 0)
		goto out;
	trust.anchors = anchors;
	ecusim_signers_build(&o, rows, &signers.count);
	signers.rows = rows;
	plt_openssl_crypto(&crypto);
	if (o.state_path != NULL && ecusim_state_load(o.state_path, o.vin, &restored, &found) != 0)
		goto out;
	ecu_config_defaults(&cfg);
	cfg.vin = o.vin;
	cfg.trust = &trust;
	cfg.crypto = &crypto;
	cfg.signers = &signers;
	cfg.max_attempts = o.attempts;
	cfg.lockout_ms = o.lockout_s * 1000u;
	cfg.s3_ms = o.session_timeout_ms;
	cfg.challenge_ttl_ms = o.challenge_ttl_s * 1000u;
	cfg.unix_now = o.trusted_clock ? wall_clock : NULL;
	cfg.on_event = ecusim_log_event;
	cfg.restore = found ? &restored : NULL;
	if ((r = ecu_new(&cfg, mono_ms(), &s.ecu)) != 0) {
		pl_log_err("ecu_init_failed", r, NULL);
		goto out;
	}
	if (install_signals() != 0 || sim_open_can(&s) != 0)
		goto out;
	pl_log(PL_LOG_INFO, "started", "can", o.can_uri, "vin", o.vin, "state",
	       found ? "restored" : "factory", NULL);
	/* Show (and persist) the starting state once. */
	s.saved_changes = ecu_change_count(s.ecu) + 1;
	memset(&s.saved, 0, sizeof(s.saved));
	rc = ECUSIM_EXIT_RUNTIME;
	if (sim_sync_state(&s) != 0 || sim_run(&s) != 0)
		goto out;
	pl_log(PL_LOG_INFO, "shutdown", "signal", stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
	       NULL);
	rc = ECUSIM_EXIT_OK;
out:
	isotp_free(s.tp);
	can_transport_close(s.tr);
	ecu_free(s.ecu);
	return rc;
}
