/*
 * isotp_echo — a tiny ISO-TP peer for the cross-process tests.
 *
 *   isotp_echo serve URI TX_ID RX_ID COUNT
 *       receives COUNT messages and sends each one back (waits up to 10 s each)
 *   isotp_echo send URI TX_ID RX_ID SIZE [SIZE...]
 *       sends a patterned message of each SIZE, expects it back unchanged,
 *       prints "size=N ms=T" per message
 * Exit: 0 all good, 1 failure (logged), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "can_transport.h"
#include "isotp.h"
#include "pl_err.h"
#include "pl_log.h"
#include "pl_parse.h"

#define MAX_MSG 4095u

static uint8_t buf[MAX_MSG], msg[MAX_MSG];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void pattern(uint8_t *p, size_t n, size_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31u + seed * 7u + 1u);
}

static int serve(struct isotp *tp, uint32_t count)
{
	size_t n;
	int r;

	for (uint32_t i = 0; i < count; i++) {
		if ((r = isotp_recv(tp, buf, sizeof(buf), &n, 10000)) != 0) {
			pl_log_err("echo_recv_failed", r, NULL);
			return 1;
		}
		if ((r = isotp_send(tp, buf, n)) != 0) {
			pl_log_err("echo_send_failed", r, NULL);
			return 1;
		}
	}
	return 0;
}

static int send_all(struct isotp *tp, int argc, char **argv)
{
	uint32_t size;
	size_t n;
	double t0;
	int r;

	for (int i = 0; i < argc; i++) {
		if (pl_parse_u32(argv[i], 1, MAX_MSG, &size) != 0) {
			fprintf(stderr, "isotp_echo: bad size '%s' (1..4095)\n", argv[i]);
			return 2;
		}
		pattern(msg, size, (size_t)i);
		t0 = now_ms();
		if ((r = isotp_send(tp, msg, size)) != 0) {
			pl_log_err("send_failed", r, "size", argv[i], NULL);
			return 1;
		}
		if ((r = isotp_recv(tp, buf, sizeof(buf), &n, 5000)) != 0) {
			pl_log_err("recv_failed", r, "size", argv[i], NULL);
			return 1;
		}
		if (n != size || memcmp(buf, msg, n) != 0) {
			pl_log(PL_LOG_ERROR, "echo_mismatch", "size", argv[i], NULL);
			return 1;
		}
		printf("size=%u ms=%.3f\n", size, now_ms() - t0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct can_filter_ids ids = { .n = 1 };
	struct can_transport *t = NULL;
	struct isotp *tp = NULL;
	struct isotp_config c;
	uint32_t tx, rx, count = 0;
	int r, rc = 1;

	pl_log_init("isotp_echo", PL_LOG_INFO);
	if (argc < 6 || pl_parse_u32_any(argv[3], 0, 0x7FF, &tx) != 0 ||
	    pl_parse_u32_any(argv[4], 0, 0x7FF, &rx) != 0 ||
	    (strcmp(argv[1], "serve") == 0 && pl_parse_u32(argv[5], 1, 100000, &count) != 0) ||
	    (strcmp(argv[1], "serve") != 0 && strcmp(argv[1], "send") != 0)) {
		fprintf(stderr, "usage: isotp_echo serve|send URI TX_ID RX_ID COUNT|SIZE...\n");
		return 2;
	}
	ids.ids[0] = rx;
	if ((r = can_transport_open(argv[2], &ids, &t)) != 0) {
		pl_log_err("open_failed", r, "uri", argv[2], NULL);
		return 1;
	}
	isotp_config_default(&c, tx, rx);
	if ((r = isotp_open(t, &c, &tp)) != 0) {
		pl_log_err("isotp_open_failed", r, NULL);
		goto out;
	}
	if (strcmp(argv[1], "serve") == 0)
		rc = serve(tp, count);
	else
		rc = send_all(tp, argc - 5, argv + 5);
out:
	isotp_free(tp);
	can_transport_close(t);
	return rc;
}
