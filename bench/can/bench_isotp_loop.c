/*
 * bench_isotp_loop — ISO-TP transfer time of a 400-byte message (a token in
 * 29 06) over the loop: transport, between two processes.
 *
 * Baseline, measured in the same run: the round trip of one raw CAN frame
 * over the same bus. Reported: raw frame RTT, 400-byte ISO-TP echo RTT, the
 * one-way transfer time (RTT / 2) and the ratio of the ISO-TP RTT to the raw
 * frame RTT (a 400-byte message is 1 FF + 57 CF + 1 FC = 59 frames).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "can_transport.h"
#include "isotp.h"
#include "pl_err.h"

#define RAW_ROUNDS 2000
#define TP_ROUNDS 200
#define MSG_LEN 400

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int open_ep(const char *uri, uint32_t rx, struct can_transport **t)
{
	struct can_filter_ids ids = { .ids = { rx }, .n = 1 };

	return can_transport_open(uri, &ids, t);
}

/* Child: echo RAW_ROUNDS frames, then echo ISO-TP messages until told to stop. */
static int child(const char *uri, uint8_t bs)
{
	struct can_transport *t;
	struct isotp *tp;
	struct isotp_config c;
	struct can_frame_pl f = { .id = 0x7E8, .len = 1, .data = { 0xAA } };
	uint8_t buf[4095];
	size_t n;
	int i;

	if (open_ep(uri, 0x7E0, &t) != 0)
		return 1;
	if (can_transport_send(t, &f, 1000) != 0)
		return 1;
	for (i = 0; i < RAW_ROUNDS; i++) {
		if (can_transport_recv(t, &f, 5000) != 0)
			return 1;
		f.id = 0x7E8;
		if (can_transport_send(t, &f, 1000) != 0)
			return 1;
	}
	isotp_config_default(&c, 0x7E8, 0x7E0);
	c.block_size = bs;
	if (isotp_open(t, &c, &tp) != 0)
		return 1;
	for (i = 0; i < TP_ROUNDS; i++) {
		if (isotp_recv(tp, buf, sizeof(buf), &n, 5000) != 0)
			return 1;
		if (isotp_send(tp, buf, n) != 0)
			return 1;
	}
	isotp_free(tp);
	can_transport_close(t);
	return 0;
}

static int run(const char *uri, uint8_t bs, double *raw_rtt, double *tp_rtt)
{
	struct can_transport *t;
	struct isotp *tp;
	struct isotp_config c;
	struct can_frame_pl f;
	uint8_t msg[MSG_LEN], buf[4095];
	size_t n;
	double t0;
	pid_t pid;
	int i, st, r;

	if ((r = open_ep(uri, 0x7E8, &t)) != 0) {
		fprintf(stderr, "bench_isotp_loop: %s: %s\n", uri, pl_strerror(r));
		return 1;
	}
	if ((pid = fork()) == 0)
		_exit(child(uri, bs));
	if (can_transport_recv(t, &f, 5000) != 0)
		goto fail;
	t0 = now_us();
	for (i = 0; i < RAW_ROUNDS; i++) {
		f.id = 0x7E0;
		f.len = 8;
		f.data[0] = (uint8_t)i;
		if (can_transport_send(t, &f, 1000) != 0 || can_transport_recv(t, &f, 5000) != 0)
			goto fail;
	}
	*raw_rtt = (now_us() - t0) / RAW_ROUNDS;
	isotp_config_default(&c, 0x7E0, 0x7E8);
	c.block_size = bs;
	if (isotp_open(t, &c, &tp) != 0)
		goto fail;
	for (i = 0; i < MSG_LEN; i++)
		msg[i] = (uint8_t)i;
	t0 = now_us();
	for (i = 0; i < TP_ROUNDS; i++) {
		if (isotp_send(tp, msg, sizeof(msg)) != 0 ||
		    isotp_recv(tp, buf, sizeof(buf), &n, 5000) != 0 || n != MSG_LEN ||
		    memcmp(buf, msg, n) != 0) {
			isotp_free(tp);
			goto fail;
		}
	}
	*tp_rtt = (now_us() - t0) / TP_ROUNDS;
	isotp_free(tp);
	can_transport_close(t);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 1;
	return 0;
fail:
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	can_transport_close(t);
	fprintf(stderr, "bench_isotp_loop: transfer failed\n");
	return 1;
}

int main(void)
{
	char dir[] = "/tmp/pl-bench-can-XXXXXX";
	const uint8_t bss[] = { 0, 8 };
	double raw, tpr;
	int rc = 0;

	if (mkdtemp(dir) == NULL || setenv("PITLANE_CANBUS_DIR", dir, 1) != 0) {
		perror("bench_isotp_loop: mkdtemp");
		return 1;
	}
	for (size_t k = 0; k < sizeof(bss); k++) {
		if (run("loop:bench", bss[k], &raw, &tpr) != 0) {
			rc = 1;
			break;
		}
		printf("isotp_loop bs=%u stmin=0: raw frame rtt %.1f us (baseline); "
		       "400-byte echo rtt %.1f us; one-way 400-byte transfer %.1f us "
		       "= %.1fx the raw frame rtt\n",
		       bss[k], raw, tpr, tpr / 2, tpr / raw / 2);
	}
	{
		char bus[sizeof(dir) + 8];

		snprintf(bus, sizeof(bus), "%s/bench", dir);
		rmdir(bus);
		rmdir(dir);
	}
	return rc;
}
