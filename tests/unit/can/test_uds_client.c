/* UDS client: P2/P2* timing, response pending, convenience calls, against a peer thread on loop:. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "can_test_util.h"
#include "pl_err.h"
#include "pl_err_can.h"
#include "uds_client.h"

#define VIN "WVWZZZ1JZXW000001"

struct step {
	int delay_ms;
	uint8_t msg[64];
	size_t len;
};

struct server {
	char bus[32];
	/* scripted mode: answers the first request with these steps */
	struct step steps[8];
	size_t nsteps;
	/* responder mode: answers every request like a small ECU */
	int responder;
	int wrong_alg;
	uint8_t token[512];
	size_t token_len;
	unsigned requests;
	int r;
	int ready;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int respond(struct server *s, struct isotp *tp, const uint8_t *req, size_t len)
{
	static const uint8_t chal[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint8_t recs[8] = { 0x12, 0x34, 0x56, 0x08, 0xC1, 0x00, 0x01, 0x09 };
	static const uint8_t status = 0x00;
	struct uds_request q;
	struct uds_response p;
	uint8_t out[256];
	size_t n;
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = uds_parse_request(req, len, &q)) != 0) {
		uds_build_negative(req[0], uds_nrc_for_err(r), out, sizeof(out), &n);
		return isotp_send(tp, out, n);
	}
	p.sid = q.sid;
	p.sub = q.sub;
	switch (q.sid) {
	case UDS_SID_SESSION:
		p.p2_ms = 80;
		p.p2star_ms = 2000;
		break;
	case UDS_SID_READ_DID:
		p.did = q.did;
		p.data.ptr = (const uint8_t *)VIN;
		p.data.len = 17;
		break;
	case UDS_SID_AUTH:
		memcpy(p.alg_ind, uds_pitlane_alg_ind, 16);
		if (s->wrong_alg)
			p.alg_ind[15] ^= 1;
		if (q.sub == UDS_AUTH_CONFIGURATION)
			p.auth_ret = UDS_AUTH_RET_CONFIG_ACR_ASYM;
		if (q.sub == UDS_AUTH_DEAUTHENTICATE)
			p.auth_ret = UDS_AUTH_RET_DEAUTH_OK;
		if (q.sub == UDS_AUTH_REQUEST_CHALLENGE) {
			p.challenge.ptr = chal;
			p.challenge.len = sizeof(chal);
		}
		if (q.sub == UDS_AUTH_VERIFY_POWN_UNI) {
			memcpy(s->token, q.proof.ptr, q.proof.len);
			s->token_len = q.proof.len;
			p.auth_ret = UDS_AUTH_RET_OWNERSHIP_VERIFIED;
		}
		break;
	case UDS_SID_ROUTINE:
		p.routine_id = q.routine_id;
		p.data.ptr = &status;
		p.data.len = 1;
		break;
	case UDS_SID_READ_DTC:
		p.dtc_avail_mask = 0xFF;
		p.dtc_records.ptr = recs;
		p.dtc_records.len = sizeof(recs);
		break;
	default:
		break;
	}
	if (q.suppress_pos)
		return 0;
	if ((r = uds_build_response(&p, out, sizeof(out), &n)) != 0)
		return r;
	return isotp_send(tp, out, n);
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct can_transport *t = NULL;
	struct isotp *tp = NULL;
	struct isotp_config c;
	uint8_t req[UDS_MAX_MSG];
	size_t n, i;
	int r;

	t = ctu_open_loop(s->bus, 0x7E0);
	isotp_config_default(&c, 0x7E8, 0x7E0);
	if ((r = isotp_open(t, &c, &tp)) != 0)
		goto out;
	pthread_mutex_lock(&s->mu);
	s->ready = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (;;) {
		r = isotp_recv(tp, req, sizeof(req), &n, s->responder ? 400 : 2000);
		if (r == PL_E_ISOTP_RX_TIMEOUT && s->responder) {
			r = 0;
			break;
		}
		if (r != 0)
			break;
		s->requests++;
		if (s->responder) {
			if ((r = respond(s, tp, req, n)) != 0)
				break;
			continue;
		}
		for (i = 0; i < s->nsteps; i++) {
			sleep_ms(s->steps[i].delay_ms);
			if ((r = isotp_send(tp, s->steps[i].msg, s->steps[i].len)) != 0)
				goto out;
		}
		/* keep the endpoint open until the client gave up */
		sleep_ms(400);
		break;
	}
out:
	s->r = r;
	pthread_mutex_lock(&s->mu);
	s->ready = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	isotp_free(tp);
	can_transport_close(t);
	return NULL;
}

static struct server *srv;
static pthread_t srv_th;
static struct can_transport *cli_t;
static struct isotp *cli_tp;
static struct uds_client *cli;

static void setup(void)
{
	ctu_bus_dir();
	srv = calloc(1, sizeof(*srv));
	snprintf(srv->bus, sizeof(srv->bus), "uds");
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
}

static void teardown(void)
{
	uds_client_free(cli);
	isotp_free(cli_tp);
	can_transport_close(cli_t);
	free(srv);
	ctu_bus_dir_remove();
}

static void start(const struct uds_client_config *cc)
{
	struct uds_client_config def;
	struct isotp_config c;

	pthread_create(&srv_th, NULL, server_main, srv);
	pthread_mutex_lock(&srv->mu);
	while (!srv->ready)
		pthread_cond_wait(&srv->cv, &srv->mu);
	pthread_mutex_unlock(&srv->mu);
	cli_t = ctu_open_loop("uds", 0x7E8);
	isotp_config_default(&c, 0x7E0, 0x7E8);
	cr_assert_eq(isotp_open(cli_t, &c, &cli_tp), 0);
	uds_client_config_default(&def);
	cr_assert_eq(uds_client_open(cli_tp, cc ? cc : &def, &cli), 0);
}

static void stop(void)
{
	pthread_join(srv_th, NULL);
	cr_assert_eq(srv->r, 0, "server: %s", pl_errname(srv->r));
}

static void step(int delay, const uint8_t *msg, size_t len)
{
	srv->steps[srv->nsteps].delay_ms = delay;
	memcpy(srv->steps[srv->nsteps].msg, msg, len);
	srv->steps[srv->nsteps].len = len;
	srv->nsteps++;
}

static const uint8_t pending22[] = { 0x7F, 0x22, 0x78 };

static void vin_answer(uint8_t *m)
{
	m[0] = 0x62;
	m[1] = 0xF1;
	m[2] = 0x90;
	memcpy(m + 3, VIN, 17);
}

TestSuite(uds_client, .init = setup, .fini = teardown, .timeout = 30);

Test(uds_client, REQ_CAN_060_response_pending_then_final_answer)
{
	uint8_t ans[20];
	char vin[18];
	struct uds_result r;
	uint64_t t0, dt;

	vin_answer(ans);
	step(0, pending22, 3);
	step(150, pending22, 3);
	step(150, ans, sizeof(ans));
	start(NULL);
	t0 = ctu_now_ms();
	r = uds_client_read_vin(cli, vin);
	dt = ctu_now_ms() - t0;
	cr_assert_eq(r.err, 0, "%s", pl_errname(r.err));
	cr_assert_eq(r.nrc, 0);
	cr_assert_str_eq(vin, VIN);
	/* each wait was longer than P2 (50 ms): only P2* explains success */
	cr_assert_geq(dt, 300);
	stop();
}

Test(uds_client, REQ_CAN_061_no_answer_is_p2_timeout)
{
	char vin[18] = "unchanged";
	struct uds_result r;
	uint64_t t0, dt;

	start(NULL);
	t0 = ctu_now_ms();
	r = uds_client_read_vin(cli, vin);
	dt = ctu_now_ms() - t0;
	cr_assert_eq(r.err, PL_E_UDS_P2_TIMEOUT, "%s", pl_errname(r.err));
	cr_assert_eq(r.nrc, 0);
	cr_assert_str_eq(vin, "unchanged");
	cr_assert_geq(dt, 50);
	cr_assert_lt(dt, 400);
	stop();
}

Test(uds_client, REQ_CAN_062_pending_without_final_answer_is_p2star_timeout)
{
	struct uds_client_config cc;
	char vin[18];
	struct uds_result r;
	uint64_t t0, dt;

	uds_client_config_default(&cc);
	cc.p2star_ms = 200;
	step(0, pending22, 3);
	start(&cc);
	t0 = ctu_now_ms();
	r = uds_client_read_vin(cli, vin);
	dt = ctu_now_ms() - t0;
	cr_assert_eq(r.err, PL_E_UDS_P2STAR_TIMEOUT, "%s", pl_errname(r.err));
	cr_assert_geq(dt, 200);
	cr_assert_lt(dt, 600);
	stop();
}

Test(uds_client, REQ_CAN_063_too_many_pending_answers)
{
	struct uds_client_config cc;
	char vin[18];
	struct uds_result r;

	uds_client_config_default(&cc);
	cc.max_pending = 2;
	step(0, pending22, 3);
	step(5, pending22, 3);
	step(5, pending22, 3);
	start(&cc);
	r = uds_client_read_vin(cli, vin);
	cr_assert_eq(r.err, PL_E_UDS_PENDING_LIMIT, "%s", pl_errname(r.err));
	stop();
}

Test(uds_client, REQ_CAN_064_late_answers_to_other_requests_are_dropped)
{
	const uint8_t stale[] = { 0x7E, 0x00 }, stale_neg[] = { 0x7F, 0x3E, 0x13 };
	uint8_t ans[20];
	char vin[18];
	struct uds_result r;

	vin_answer(ans);
	step(0, stale, sizeof(stale));
	step(0, stale_neg, sizeof(stale_neg));
	step(0, ans, sizeof(ans));
	start(NULL);
	r = uds_client_read_vin(cli, vin);
	cr_assert_eq(r.err, 0, "%s", pl_errname(r.err));
	cr_assert_str_eq(vin, VIN);
	stop();
}

Test(uds_client, REQ_CAN_066_negative_answer_is_kept_apart_from_errors)
{
	const uint8_t neg[] = { 0x7F, 0x31, 0x34 };
	uint8_t st[4];
	size_t n = 99;
	struct uds_result r;

	step(0, neg, sizeof(neg));
	start(NULL);
	r = uds_client_routine_start(cli, 0x0201, NULL, 0, st, sizeof(st), &n);
	cr_assert_eq(r.err, 0);
	cr_assert_eq(r.nrc, 0x34);
	cr_assert_eq(n, 99, "out-parameters untouched on a negative answer");
	stop();
}

Test(uds_client, REQ_CAN_067_garbled_answer_is_a_local_error)
{
	const uint8_t bad[] = { 0x62, 0xF1 };
	char vin[18];
	struct uds_result r;

	step(0, bad, sizeof(bad));
	start(NULL);
	r = uds_client_read_vin(cli, vin);
	cr_assert_eq(r.err, PL_E_UDS_LENGTH, "%s", pl_errname(r.err));
	stop();
}

Test(uds_client, REQ_CAN_065_convenience_calls_end_to_end)
{
	struct uds_client_config cc;
	uint8_t chal[32], st[4], ret = 0, token[400];
	struct uds_dtc dtcs[4];
	size_t n = 0;
	char vin[18];
	int p2, p2s;
	struct uds_result r;

	for (size_t i = 0; i < sizeof(token); i++)
		token[i] = (uint8_t)(i * 7);
	srv->responder = 1;
	uds_client_config_default(&cc);
	cc.adopt_server_timing = 1;
	start(&cc);
	r = uds_client_session(cli, UDS_SESSION_EXTENDED);
	cr_assert(r.err == 0 && r.nrc == 0, "%s", pl_errname(r.err));
	uds_client_timing(cli, &p2, &p2s);
	cr_assert_eq(p2, 80, "P2 adopted from the ECU");
	cr_assert_eq(p2s, 2000);
	r = uds_client_read_vin(cli, vin);
	cr_assert(r.err == 0 && r.nrc == 0);
	cr_assert_str_eq(vin, VIN);
	r = uds_client_auth_config(cli, &ret);
	cr_assert(r.err == 0 && r.nrc == 0);
	cr_assert_eq(ret, 0x03);
	r = uds_client_request_challenge(cli, chal, sizeof(chal), &n);
	cr_assert(r.err == 0 && r.nrc == 0, "%s", pl_errname(r.err));
	cr_assert_eq(n, 16);
	cr_assert_eq(chal[15], 16);
	r = uds_client_send_token(cli, token, sizeof(token), &ret);
	cr_assert(r.err == 0 && r.nrc == 0, "%s", pl_errname(r.err));
	cr_assert_eq(ret, 0x12);
	r = uds_client_routine_start(cli, 0x0201, NULL, 0, st, sizeof(st), &n);
	cr_assert(r.err == 0 && r.nrc == 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(st[0], 0x00);
	r = uds_client_tester_present(cli, 0);
	cr_assert(r.err == 0 && r.nrc == 0);
	r = uds_client_tester_present(cli, 1);
	cr_assert(r.err == 0 && r.nrc == 0);
	r = uds_client_clear_dtc(cli, UDS_DTC_GROUP_ALL);
	cr_assert(r.err == 0 && r.nrc == 0);
	r = uds_client_read_dtc(cli, 0x08, dtcs, 4, &n);
	cr_assert(r.err == 0 && r.nrc == 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(dtcs[0].dtc, 0x123456);
	cr_assert_eq(dtcs[1].status, 0x09);
	r = uds_client_read_dtc(cli, 0x08, dtcs, 1, &n);
	cr_assert_eq(r.err, PL_E_NOSPACE);
	r = uds_client_deauthenticate(cli);
	cr_assert(r.err == 0 && r.nrc == 0);
	r = uds_client_reset(cli, UDS_RESET_HARD);
	cr_assert(r.err == 0 && r.nrc == 0);
	stop();
	cr_assert_eq(srv->token_len, sizeof(token), "the ECU got the whole token");
	cr_assert_eq(memcmp(srv->token, token, sizeof(token)), 0);
	cr_assert_eq(srv->requests, 13);
}

Test(uds_client, REQ_CAN_068_foreign_algorithm_indicator_is_refused)
{
	uint8_t chal[32];
	size_t n = 0;
	struct uds_result r;

	srv->responder = 1;
	srv->wrong_alg = 1;
	start(NULL);
	r = uds_client_request_challenge(cli, chal, sizeof(chal), &n);
	cr_assert_eq(r.err, PL_E_UDS_ALG_MISMATCH);
	cr_assert_eq(n, 0);
	stop();
}

Test(uds_client, REQ_CAN_069_keepalive_sends_tester_present_only_when_due)
{
	struct uds_result r;
	int sent = -1;

	srv->responder = 1;
	start(NULL);
	r = uds_client_keepalive(cli, 150, &sent);
	cr_assert(r.err == 0 && r.nrc == 0);
	cr_assert_eq(sent, 1, "nothing was sent yet: due at once");
	r = uds_client_session(cli, UDS_SESSION_EXTENDED);
	cr_assert(r.err == 0 && r.nrc == 0);
	r = uds_client_keepalive(cli, 150, &sent);
	cr_assert(r.err == 0 && r.nrc == 0);
	cr_assert_eq(sent, 0, "a request was just sent");
	sleep_ms(200);
	r = uds_client_keepalive(cli, 150, &sent);
	cr_assert(r.err == 0 && r.nrc == 0);
	cr_assert_eq(sent, 1);
	r = uds_client_keepalive(cli, 150, &sent);
	cr_assert_eq(sent, 0);
	cr_assert_eq(uds_client_keepalive(cli, 0, &sent).err, PL_E_INVAL);
	stop();
	cr_assert_eq(srv->requests, 3, "3E 80, 10 03, 3E 80");
}
