/*
 * pitlane run OP --work-order ID [--reason TEXT] [--can URI] [--json]
 *                [--out FILE] [--token FILE] [-c FILE]
 *
 * The whole exchange for one operation: extended session, VIN, the ECU's
 * challenge, a token from the broker for exactly that challenge (signed
 * request, spinner, tester present), token delivery, the routine, end of
 * authentication. One progress line per step, one result line at the end.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "broker.h"
#include "car.h"
#include "cmd.h"
#include "config.h"
#include "ecu_routine.h"
#include "fetch.h"
#include "interrupt.h"
#include "pitlane/token.h"
#include "pitlane/token_tool.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_file.h"
#include "request.h"
#include "techkey.h"
#include "uds.h"
#include "uds_client.h"
#include "ui.h"

#define STEPS 7
#define RECEIPT_TIMEOUT_MS 2000

/* Phases timed for --json (milliseconds, monotonic clock). */
enum {
	T_KEY,
	T_LINK,
	T_SESSION,
	T_VIN,
	T_CHALLENGE,
	T_BROKER,
	T_DELIVERY,
	T_ROUTINE,
	T_DEAUTH,
	T_COUNT
};
static const char *const phase_names[T_COUNT] = {
    "key", "link", "session", "vin", "challenge", "broker", "delivery", "routine", "deauth"};

struct run_opts {
	const char *op, *work_order, *reason, *can, *config, *out, *token_file;
	int json;
};

struct run {
	struct run_opts o;
	struct agent_config cfg;
	const struct ecu_routine *rt;
	struct ui ui;
	struct car car;
	struct techkey *key;
	struct broker *broker;
	struct broker_reply rep;
	char vin[UDS_VIN_LEN + 1];
	uint8_t challenge[PLT_CNONCE_MAX];
	size_t challenge_len;
	uint8_t token[PLT_TOKEN_MAX];
	size_t token_len;
	int delivered;       /* 29 06 was sent with a token from the broker */
	int vehicle_touched; /* a UDS request was sent */
	int deauth_sent;     /* 29 00 was sent */
	uint8_t cti[PLT_CTI_LEN];
	int have_cti;
	/* the outcome */
	const char *step;
	int status;
	uint8_t nrc;
	char reason[900];
	/* the token login runs while the ECU talks (techkey_prepare/techkey_login) */
	pthread_t key_thread;
	int key_started;
	int key_err;
	char key_msg[900];
	/* the broker connection is set up (TLS) while the key opens and the ECU talks */
	pthread_t warm;
	int warm_started;
	int warm_done; /* under warm_mu; warm_cv signals it */
	pthread_mutex_t warm_mu;
	pthread_cond_t warm_cv;
	struct broker_reply warm_rep;
	/* timing */
	struct timespec t_start, t_last;
	double ms[T_COUNT];
};

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* Ends phase p: its duration is the time since the previous mark. */
static void mark(struct run *r, int p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	r->ms[p] = ms_between(&r->t_last, &now);
	r->t_last = now;
}

void cmd_run_usage(FILE *f)
{
	fputs("usage: pitlane run OP --work-order ID [--reason TEXT] [--can URI] [--json]\n"
	      "                   [--out FILE] [--token FILE] [-c FILE]\n\n"
	      "Runs operation OP (door.unlock, door.lock, ignition.enable, key.learn,\n"
	      "dtc.clear) on the vehicle: extended session, VIN, challenge, a token from the\n"
	      "broker for that challenge, token delivery, the routine, end of authentication.\n\n"
	      "  --work-order ID  the work order this is done for (required, 1..63 characters)\n"
	      "  --reason TEXT    why (0..160 characters, recorded in the audit trail)\n"
	      "  --can URI        socketcan:IFACE or loop:NAME (default: 'can' in agent.conf)\n"
	      "  --json           print one JSON object with the outcome instead of progress\n"
	      "  --out FILE       also keep a copy of the token in FILE (mode 0600)\n"
	      "  --token FILE     present the token in FILE instead of asking the broker\n"
	      "                   (a token works only for the challenge it was made for)\n"
	      "  -c FILE          configuration (default /etc/pitlane/agent.conf)\n\n"
	      "exit: 0 done, 1 refused by the broker, 3 configuration, 4 broker unreachable,\n"
	      "      5 no answer from the vehicle, 6 technician key, 7 refused by the vehicle\n",
	      f);
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option lo[] = {{"work-order", 1, 0, 'w'}, {"reason", 1, 0, 'r'},
	                                   {"can", 1, 0, 'C'},        {"config", 1, 0, 'c'},
	                                   {"json", 0, 0, 'j'},       {"out", 1, 0, 'o'},
	                                   {"token", 1, 0, 't'},      {0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	o->reason = "";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		switch (ch) {
		case 'w':
			o->work_order = optarg;
			break;
		case 'r':
			o->reason = optarg;
			break;
		case 'C':
			o->can = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 't':
			o->token_file = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc - 1) {
		agent_error("run: give exactly one operation, e.g. pitlane run door.unlock "
		            "--work-order WO-1");
		return -1;
	}
	o->op = argv[optind];
	if (o->work_order == NULL) {
		agent_error("run: --work-order ID is required (the audit trail records it)");
		return -1;
	}
	return 0;
}

/* Records the failure of the current step. */
static int fail(struct run *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct run *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->status = status;
	ui_done(&r->ui, "%s",
	        status == CMD_ECU_REFUSED || status == CMD_FAIL ? "REFUSED" : "FAILED");
	return status;
}

/* Ctrl-C (interrupt.h): the run stops after the exchange in progress. */
static int interrupted(struct run *r, const char *after)
{
	const char *sig = agent_interrupted() == SIGTERM ? "SIGTERM" : "Ctrl-C";

	if (after == NULL)
		return fail(r, CMD_INTERRUPTED, "interrupted (%s) before the vehicle was touched",
		            sig);
	return fail(r, CMD_INTERRUPTED, "interrupted (%s) after step '%s'", sig, after);
}

/* The outcome of one UDS exchange: 0, or the failure recorded. */
static int ecu_step(struct run *r, const char *step, struct uds_result u)
{
	r->step = step;
	r->vehicle_touched = 1;
	if (u.err != 0)
		return fail(r, CMD_VEHICLE,
		            "no answer from the vehicle at step '%s': %s; check "
		            "the cable, the ignition and the CAN interface (pitlane doctor)",
		            step, pl_strerror(u.err));
	if (u.nrc != 0) {
		const char *name = uds_nrc_name(u.nrc);

		r->nrc = u.nrc;
		return fail(r, CMD_ECU_REFUSED,
		            "the vehicle refused step '%s': %s (NRC 0x%02X "
		            "%s); %s",
		            step, uds_nrc_text(u.nrc), u.nrc, name ? name : "unknown",
		            agent_nrc_advice(u.nrc));
	}
	if (agent_interrupted() && strcmp(step, "deauthenticate") != 0)
		return interrupted(r, step);
	return 0;
}

/* Pre-connects to the broker (GET /v1/health) so that the token request finds a
 * finished TLS handshake; a failure here is ignored: the real request reports it. */
static void *key_login(void *arg)
{
	struct run *r = arg;

	r->key_err = techkey_login(r->key, &r->cfg, r->key_msg, sizeof(r->key_msg));
	return NULL;
}

static void key_wait(struct run *r)
{
	if (r->key_started) {
		pthread_join(r->key_thread, NULL);
		r->key_started = 0;
	}
}

/*
 * Waits for the token login (or does it, when no thread could be started).
 * Phase "key" ends here. A failed login ends the run before the vehicle is
 * touched.
 */
static int key_join(struct run *r)
{
	if (r->key_started)
		key_wait(r);
	else if (r->key_err == 0)
		key_login(r);
	mark(r, T_KEY);
	if (r->key_err == 0)
		return 0;
	r->step = "technician_key";
	return fail(r, r->key_err == PL_E_AGENT_TECH_CERT ? CMD_CONFIG : CMD_TECHKEY, "%s",
	            r->key_msg);
}

/* The broker's TLS connection, set up while the key opens and the ECU talks. */
static void *prewarm(void *arg)
{
	struct run *r = arg;
	char err[300];

	broker_call(r->broker, "/v1/health", NULL, NULL, 0, &r->warm_rep, NULL, NULL, err,
	            sizeof(err));
	pthread_mutex_lock(&r->warm_mu);
	r->warm_done = 1;
	pthread_cond_signal(&r->warm_cv);
	pthread_mutex_unlock(&r->warm_mu);
	return NULL;
}

/* Waits for the pre-connect; with fx, ticks meanwhile (tester present, spinner). */
static void prewarm_join(struct run *r, struct fetch_ctx *fx)
{
	if (!r->warm_started)
		return;
	pthread_mutex_lock(&r->warm_mu);
	while (fx != NULL && !r->warm_done) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		/* wakes as soon as the pre-connect ends; every 50 ms a tick */
		if (pthread_cond_timedwait(&r->warm_cv, &r->warm_mu, &until) != 0) {
			pthread_mutex_unlock(&r->warm_mu);
			fetch_tick(fx);
			pthread_mutex_lock(&r->warm_mu);
		}
	}
	pthread_mutex_unlock(&r->warm_mu);
	pthread_join(r->warm, NULL);
	r->warm_started = 0;
}

static int read_token_file(struct run *r)
{
	int e = plt_tool_read_token(r->o.token_file, 0, r->token, sizeof(r->token), &r->token_len);

	if (e != 0)
		return fail(r, CMD_CONFIG, "--token %s: %s", r->o.token_file, pl_strerror(e));
	return 0;
}

static int get_token(struct run *r)
{
	struct token_request q = {.vin = r->vin,
	                          .op = r->o.op,
	                          .cnonce = r->challenge,
	                          .cnonce_len = r->challenge_len,
	                          .work_order = r->o.work_order,
	                          .reason = r->o.reason,
	                          .ttl = r->cfg.ttl_s};
	struct fetch_ctx fx = {.cfg = &r->cfg, .key = r->key, .ui = &r->ui, .ecu = r->car.uc};
	struct plt_token t;
	char err[900];
	int e;

	r->step = "token";
	if (r->o.token_file != NULL) {
		ui_step(&r->ui, 4, "Token from a file (--token)");
		if (read_token_file(r) != 0)
			return r->status;
		ui_done(&r->ui, "%zu bytes (not from the broker)", r->token_len);
		return 0;
	}
	ui_step(&r->ui, 4, "Token from the broker");
	if ((e = request_check(&q, err, sizeof(err))) != 0)
		return fail(r, CMD_USAGE, "%s", err);
	prewarm_join(r, &fx);
	fx.broker = r->broker;
	e = fetch_token(&fx, &q, r->token, sizeof(r->token), &r->token_len, &r->rep, err,
	                sizeof(err));
	if (e != 0)
		return fail(r, agent_exit_for(e), "%s", err);
	if (plt_decode(r->token, r->token_len, &t, NULL) == 0 && t.claims.cti.len == PLT_CTI_LEN) {
		memcpy(r->cti, t.claims.cti.ptr, PLT_CTI_LEN);
		r->have_cti = 1;
	}
	if (plt_decode(r->token, r->token_len, &t, NULL) == 0)
		ui_done(&r->ui, "issued for %s: %zu bytes, valid %lld s", techkey_id(r->key),
		        r->token_len, (long long)(t.claims.exp - t.claims.iat));
	else
		ui_done(&r->ui, "issued for %s: %zu bytes", techkey_id(r->key), r->token_len);
	if (r->o.out != NULL && (e = pl_write_file(r->o.out, r->token, r->token_len, 0600)) != 0)
		ui_say(&r->ui, "        (could not write --out %s: %s)", r->o.out, pl_strerror(e));
	return 0;
}

/* Steps 3..5: challenge, token for it, delivery (the challenge is consumed). */
static int challenge_token_delivery(struct run *r)
{
	uint8_t ret = 0;
	int e;

	ui_step(&r->ui, 3, "Challenge from the ECU (29 05)");
	if (ecu_step(r, "challenge",
	             uds_client_request_challenge(r->car.uc, r->challenge, sizeof(r->challenge),
	                                          &r->challenge_len)) != 0)
		return r->status;
	mark(r, T_CHALLENGE);
	ui_done(&r->ui, "%zu bytes", r->challenge_len);
	if ((e = get_token(r)) != 0)
		return e;
	mark(r, T_BROKER);
	ui_step(&r->ui, 5, "Token to the ECU (29 06)");
	r->delivered = r->o.token_file == NULL;
	e = ecu_step(r, "token_delivery",
	             uds_client_send_token(r->car.uc, r->token, r->token_len, &ret));
	plt_wipe(r->token, sizeof(r->token));
	return e;
}

static int vehicle_steps(struct run *r)
{
	size_t n = 0;
	int e;

	if (agent_interrupted())
		return interrupted(r, NULL);
	ui_step(&r->ui, 1, "Diagnostic session (10 03)");
	if (ecu_step(r, "session", uds_client_session(r->car.uc, UDS_SESSION_EXTENDED)) != 0)
		return r->status;
	mark(r, T_SESSION);
	ui_done(&r->ui, "extended");
	ui_step(&r->ui, 2, "Vehicle identification (22 F190)");
	if (ecu_step(r, "vin", uds_client_read_vin(r->car.uc, r->vin)) != 0)
		return r->status;
	mark(r, T_VIN);
	ui_done(&r->ui, "%s", r->vin);
	for (int round = 0;; round++) {
		if ((e = challenge_token_delivery(r)) == 0)
			break;
		/* An approval can outlast the ECU's challenge: once, ask anew. */
		if (round > 0 || r->rep.approval_id[0] == '\0' ||
		    (r->nrc != 0x24 && r->nrc != 0x50))
			return e;
		ui_say(&r->ui, "        the challenge expired while the approver decided: a new "
		               "challenge and a new request");
		r->status = 0;
		r->nrc = 0;
		r->reason[0] = '\0';
	}
	mark(r, T_DELIVERY);
	ui_done(&r->ui, "accepted");
	ui_step(&r->ui, 6, "Routine %s (31 01 %04X)", r->rt->op, r->rt->id);
	e = ecu_step(r, "routine",
	             uds_client_routine_start(r->car.uc, r->rt->id, NULL, 0, NULL, 0, &n));
	mark(r, T_ROUTINE);
	if (e == 0)
		ui_done(&r->ui, "done");
	ui_step(&r->ui, 7, "End of authentication (29 00)");
	r->deauth_sent = 1;
	if (e != 0) {
		uds_client_deauthenticate(r->car.uc);
		ui_done(&r->ui, "sent");
		return e;
	}
	if (ecu_step(r, "deauthenticate", uds_client_deauthenticate(r->car.uc)) != 0)
		return r->status;
	mark(r, T_DEAUTH);
	ui_done(&r->ui, "ok");
	return 0;
}

/*
 * Tells the broker what the ECU said after a delivered token (POST
 * /v1/receipts, docs/protocol.md): failures feed its detectors. Best effort:
 * the technician's outcome does not depend on it.
 */
static void send_receipt(struct run *r)
{
	struct plt_cbor_writer w;
	uint8_t body[256];
	size_t len = 0;
	char err[300];
	int ok = r->status == 0;

	if (!r->delivered || r->broker == NULL)
		return;
	plt_cbor_writer_init(&w, body, sizeof(body));
	plt_cbor_put_map(&w, 3 + (!ok && r->nrc != 0) + r->have_cti);
	plt_cbor_put_cstr(&w, "vin");
	plt_cbor_put_cstr(&w, r->vin);
	plt_cbor_put_cstr(&w, "op");
	plt_cbor_put_cstr(&w, r->o.op);
	plt_cbor_put_cstr(&w, "result");
	plt_cbor_put_cstr(&w, ok ? "ok" : "failure");
	if (!ok && r->nrc != 0) {
		plt_cbor_put_cstr(&w, "nrc");
		plt_cbor_put_uint(&w, r->nrc);
	}
	if (r->have_cti) {
		plt_cbor_put_cstr(&w, "cti");
		plt_cbor_put_bstr(&w, r->cti, sizeof(r->cti));
	}
	if (plt_cbor_writer_finish(&w, &len) != 0)
		return;
	broker_set_timeout(r->broker, RECEIPT_TIMEOUT_MS);
	broker_call(r->broker, "/v1/receipts", BROKER_CT_CBOR, body, len, &r->warm_rep, NULL, NULL,
	            err, sizeof(err));
}

/*
 * Everything that can fail without the vehicle, before the vehicle is
 * touched: the technician certificate and PIN, the device certificate, the
 * CAN link, the token login. The login (milliseconds of CPU with SoftHSM2)
 * runs on a thread while the main thread checks the device certificate and
 * opens the link, and the broker's TLS connection is set up on another
 * thread until the token request needs it.
 */
static int prepare(struct run *r)
{
	char err[900];
	int e;

	if (r->o.token_file == NULL) {
		ui_step(&r->ui, 0, "Technician key (%s)", "PKCS#11");
		if ((e = techkey_prepare(&r->cfg, &r->key, err, sizeof(err))) != 0) {
			if (agent_interrupted()) /* Ctrl-C at the PIN prompt */
				return interrupted(r, NULL);
			r->step = "technician_key";
			return fail(r, e == PL_E_AGENT_TECH_CERT ? CMD_CONFIG : CMD_TECHKEY, "%s",
			            err);
		}
		r->key_started = pthread_create(&r->key_thread, NULL, key_login, r) == 0;
		if ((e = broker_open(&r->cfg, &r->broker, err, sizeof(err))) != 0) {
			r->step = "device_certificate";
			return fail(r, CMD_CONFIG, "%s", err);
		}
		r->warm_started = pthread_create(&r->warm, NULL, prewarm, r) == 0;
	}
	e = car_open(r->o.can ? r->o.can : r->cfg.can, r->cfg.tester_id, r->cfg.ecu_id, &r->car);
	if (r->o.token_file == NULL) {
		if (key_join(r) != 0)
			return r->status;
		ui_done(&r->ui, "%s", techkey_id(r->key));
	}
	ui_step(&r->ui, 0, "Vehicle link (%s)", r->o.can ? r->o.can : r->cfg.can);
	if (e != 0) {
		r->step = "can";
		return fail(r, CMD_VEHICLE,
		            "cannot open the CAN link %s: %s; check --can or 'can' "
		            "in agent.conf (pitlane doctor)",
		            r->o.can ? r->o.can : r->cfg.can, pl_strerror(e));
	}
	mark(r, T_LINK);
	ui_done(&r->ui, "open");
	return 0;
}

static void print_json(const struct run *r)
{
	printf("{\"result\":\"%s\",\"exit\":%d,\"op\":",
	       r->status == 0                                          ? "done"
	       : r->status == CMD_FAIL || r->status == CMD_ECU_REFUSED ? "refused"
	                                                               : "failed",
	       r->status);
	agent_json_str(stdout, r->o.op);
	printf(",\"work_order\":");
	agent_json_str(stdout, r->o.work_order);
	printf(",\"vin\":");
	agent_json_str(stdout, r->vin);
	if (r->status != 0) {
		printf(",\"step\":");
		agent_json_str(stdout, r->step ? r->step : "");
		printf(",\"reason\":");
		agent_json_str(stdout, r->reason);
	}
	if (r->nrc != 0)
		printf(",\"nrc\":%u", r->nrc);
	if (r->rep.status != 0)
		printf(",\"http_status\":%ld", r->rep.status);
	if (r->rep.code[0]) {
		printf(",\"code\":");
		agent_json_str(stdout, r->rep.code);
	}
	if (r->rep.rule[0]) {
		printf(",\"rule\":");
		agent_json_str(stdout, r->rep.rule);
	}
	if (r->rep.retry_after >= 0 && r->rep.status != 0)
		printf(",\"retry_after\":%ld", r->rep.retry_after);
	if (r->rep.approval_id[0]) {
		printf(",\"approval_id\":");
		agent_json_str(stdout, r->rep.approval_id);
	}
	if (r->rep.request_id[0]) {
		printf(",\"request_id\":");
		agent_json_str(stdout, r->rep.request_id);
	}
	if (r->status == 0) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		printf(",\"ms\":{");
		for (int i = 0; i < T_COUNT; i++)
			printf("\"%s\":%.3f,", phase_names[i], r->ms[i]);
		printf("\"broker_tls\":%.3f,\"total\":%.3f}", r->rep.connect_ms,
		       ms_between(&r->t_start, &now));
	}
	printf("}\n");
}

/*
 * After Ctrl-C: 29 00, so that no authenticated session outlives the run
 * (without it, the ECU's S3 timer would end it some seconds later).
 */
static void end_authentication(struct run *r)
{
	struct uds_result u = {0};
	size_t n = strlen(r->reason);

	if (!r->deauth_sent)
		u = uds_client_deauthenticate(r->car.uc);
	snprintf(r->reason + n, sizeof(r->reason) - n, "%s",
	         u.err == 0 && u.nrc == 0
	             ? "; the vehicle confirmed the end of authentication (29 00)"
	             : "; the vehicle did not confirm the end of authentication (29 00): its "
	               "session timeout ends it within seconds");
}

static void finish(struct run *r)
{
	if (r->o.json) {
		print_json(r);
		return;
	}
	if (r->status == 0) {
		ui_say(&r->ui, "done: %s on %s (work order %s)", r->rt->op, r->vin,
		       r->o.work_order);
		return;
	}
	if (r->status == CMD_FAIL || r->status == CMD_ECU_REFUSED)
		ui_say(&r->ui, "refused: %s", r->reason);
	else
		agent_error("%s", r->reason);
}

int cmd_run(int argc, char **argv)
{
	static struct run r;
	int st;

	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.warm_mu, NULL);
	pthread_cond_init(&r.warm_cv, NULL);
	r.rep.retry_after = -1;
	if (parse(argc, argv, &r.o) != 0) {
		cmd_run_usage(stderr);
		return CMD_USAGE;
	}
	agent_interrupt_catch();
	if ((r.rt = ecu_routine_by_op((const uint8_t *)r.o.op, strlen(r.o.op))) == NULL) {
		agent_error("run: unknown operation '%s'; the operations are door.unlock, "
		            "door.lock, ignition.enable, key.learn and dtc.clear",
		            r.o.op);
		return CMD_USAGE;
	}
	if ((st = agent_load_config(r.o.config, &r.cfg)) != 0)
		return st;
	clock_gettime(CLOCK_MONOTONIC, &r.t_start);
	r.t_last = r.t_start;
	ui_init(&r.ui, r.o.json, STEPS);
	if (prepare(&r) == 0)
		vehicle_steps(&r);
	key_wait(&r);
	prewarm_join(&r, NULL);
	if (r.status == CMD_INTERRUPTED && r.vehicle_touched)
		end_authentication(&r);
	finish(&r);
	send_receipt(&r);
	st = r.status;
	car_close(&r.car);
	broker_close(r.broker);
	techkey_close(r.key);
	pthread_cond_destroy(&r.warm_cv);
	pthread_mutex_destroy(&r.warm_mu);
	plt_wipe(&r, sizeof(r));
	return st;
}
