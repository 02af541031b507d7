/*
 * isotp-peer - one end of an ISO-TP transfer, for the real-SocketCAN test tier.
 *
 *   isotp-peer send OPTIONS < payload.hex     sends the payload, prints timing
 *   isotp-peer recv OPTIONS > payload.hex     receives messages, prints them
 *
 * Payloads are hex bytes separated by white space ("0A 1B ..."), the format of
 * can-utils isotpsend / isotprecv, so the project's ISO-TP, the kernel's and
 * can-utils can be compared byte for byte in any combination.
 *
 * OPTIONS
 *   --can URI        the project's ISO-TP (lib/can) over a transport:
 *                    socketcan:vcan0 or loop:NAME
 *   --kernel IFACE   the kernel's CAN_ISOTP socket on IFACE instead (the
 *                    independent implementation, and the timing baseline)
 *   --tx-id ID       CAN id we send on (decimal or 0x hex), required
 *   --rx-id ID       CAN id we receive on, required
 *   --bs N           block size we announce as receiver (default 0)
 *   --stmin N        STmin byte we announce as receiver (default 0)
 *   --count N        send: send the message N times; recv: receive N
 *                    messages, one line each (default 1)
 *   --timeout MS     recv: wait at most MS for each message (default 5000)
 *
 * send prints one line on stdout:
 *   isotp-peer: sent BYTES bytes COUNT times: min A us, median B us, max C us
 * where a time runs from the start of the send until the last frame is on
 * the bus (the kernel socket uses CAN_ISOTP_WAIT_TX_DONE for the same).
 *
 * Exit status: 0 success, 1 a transfer failed, 2 usage error.
 */
#include <errno.h>
#include <linux/can.h>
#include <linux/can/isotp.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "can_transport.h"
#include "isotp.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_log.h"
#include "pl_parse.h"

#define PEER_MAX_MSG 65535u
#define PEER_MAX_COUNT 1000u
/* "XX " per byte plus a newline and slack. */
#define PEER_MAX_TEXT (3u * PEER_MAX_MSG + 16u)

struct peer_opts {
	int send;                  /* 1 send, 0 recv */
	const char *uri;           /* --can */
	const char *kernel_if;     /* --kernel */
	uint32_t tx_id;
	uint32_t rx_id;
	int have_tx;
	int have_rx;
	uint32_t bs;
	uint32_t stmin;
	uint32_t count;
	uint32_t timeout_ms;
};

/* One end: either the project's stack or a kernel socket. */
struct peer {
	struct can_transport *t;
	struct isotp *tp;
	int fd;                    /* kernel CAN_ISOTP socket, or -1 */
};

static uint8_t msg_buf[PEER_MAX_MSG];
static char text_buf[PEER_MAX_TEXT + 1];

static void usage(void)
{
	fputs("usage: isotp-peer send|recv (--can URI | --kernel IFACE) --tx-id ID --rx-id ID\n"
	      "                  [--bs N] [--stmin N] [--count N] [--timeout MS]\n",
	      stderr);
}

static int opt_u32(const char *name, const char *val, uint32_t min, uint32_t max,
		   uint32_t *out)
{
	int r;

	if (val == NULL) {
		pl_log(PL_LOG_ERROR, "usage", "option", name, "msg", "needs a value", NULL);
		return PL_E_USAGE;
	}
	if ((r = pl_parse_u32_any(val, min, max, out)) != 0) {
		pl_log_err("usage", r, "option", name, "value", val, NULL);
		return PL_E_USAGE;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct peer_opts *o)
{
	int i, r;

	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->timeout_ms = 5000;
	if (argc < 2)
		return PL_E_USAGE;
	if (strcmp(argv[1], "send") == 0)
		o->send = 1;
	else if (strcmp(argv[1], "recv") != 0)
		return PL_E_USAGE;
	/* Every option takes one value. */
	for (i = 2; i < argc; i += 2) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		r = 0;
		if (strcmp(a, "--can") == 0 && v != NULL)
			o->uri = v;
		else if (strcmp(a, "--kernel") == 0 && v != NULL)
			o->kernel_if = v;
		else if (strcmp(a, "--tx-id") == 0) {
			r = opt_u32(a, v, 0, CAN_PL_SFF_MASK, &o->tx_id);
			o->have_tx = 1;
		} else if (strcmp(a, "--rx-id") == 0) {
			r = opt_u32(a, v, 0, CAN_PL_SFF_MASK, &o->rx_id);
			o->have_rx = 1;
		} else if (strcmp(a, "--bs") == 0)
			r = opt_u32(a, v, 0, 255, &o->bs);
		else if (strcmp(a, "--stmin") == 0)
			r = opt_u32(a, v, 0, 255, &o->stmin);
		else if (strcmp(a, "--count") == 0)
			r = opt_u32(a, v, 1, PEER_MAX_COUNT, &o->count);
		else if (strcmp(a, "--timeout") == 0)
			r = opt_u32(a, v, 1, 600000, &o->timeout_ms);
		else {
			pl_log(PL_LOG_ERROR, "usage", "option", a, "msg",
			       "unknown option or missing value", NULL);
			return PL_E_USAGE;
		}
		if (r != 0)
			return r;
	}
	if ((o->uri == NULL) == (o->kernel_if == NULL) || !o->have_tx || !o->have_rx) {
		pl_log(PL_LOG_ERROR, "usage", "msg",
		       "give exactly one of --can and --kernel, and both --tx-id and --rx-id",
		       NULL);
		return PL_E_USAGE;
	}
	return 0;
}

/* Reads the hex payload from stdin into msg_buf; *len gets its size. */
static int read_payload(size_t *len)
{
	size_t n = 0, got = 0, off;
	ssize_t k;
	int r;

	while (got < sizeof(text_buf) - 1) {
		k = read(STDIN_FILENO, text_buf + got, sizeof(text_buf) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return PL_E_IO;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	if (got == sizeof(text_buf) - 1) {
		pl_log(PL_LOG_ERROR, "payload_too_long", "msg",
		       "stdin holds more than 65535 hex bytes", NULL);
		return PL_E_TOOBIG;
	}
	text_buf[got] = '\0';
	for (off = 0; off < got;) {
		size_t tlen, one;

		if (strchr(" \t\r\n", text_buf[off]) != NULL) {
			off++;
			continue;
		}
		tlen = strcspn(text_buf + off, " \t\r\n");
		if (tlen != 2 || n == PEER_MAX_MSG ||
		    (r = pl_hex_decode(text_buf + off, 2, msg_buf + n, 1, &one)) != 0) {
			char where[32];

			snprintf(where, sizeof(where), "%zu", off);
			pl_log(PL_LOG_ERROR, "payload_syntax", "offset", where, "msg",
			       "stdin must be hex bytes separated by white space, e.g. \"0A 1B\"",
			       NULL);
			return PL_E_SYNTAX;
		}
		n++;
		off += tlen;
	}
	if (n == 0) {
		pl_log(PL_LOG_ERROR, "payload_empty", "msg", "stdin holds no hex bytes", NULL);
		return PL_E_SYNTAX;
	}
	*len = n;
	return 0;
}

static int kernel_open(const struct peer_opts *o, struct peer *p)
{
	struct can_isotp_options opts;
	struct can_isotp_fc_options fc;
	struct sockaddr_can addr;
	unsigned int ifindex;
	int fd, r = PL_E_IO;

	ifindex = if_nametoindex(o->kernel_if);
	if (ifindex == 0) {
		pl_log(PL_LOG_ERROR, "no_iface", "iface", o->kernel_if, "msg", strerror(errno),
		       NULL);
		return PL_E_NOTFOUND;
	}
	fd = socket(PF_CAN, SOCK_DGRAM | SOCK_CLOEXEC, CAN_ISOTP);
	if (fd < 0) {
		pl_log(PL_LOG_ERROR, "isotp_socket", "msg", strerror(errno), NULL);
		return PL_E_IO;
	}
	memset(&opts, 0, sizeof(opts));
	/*
	 * write() returns only when the last frame is out, and frames go back to back (the kernel
	 * otherwise waits a 50 us default frame time between frames): the timing then compares
	 * like with like.
	 */
	opts.flags = CAN_ISOTP_WAIT_TX_DONE;
	opts.frame_txtime = CAN_ISOTP_FRAME_TXTIME_ZERO;
	memset(&fc, 0, sizeof(fc));
	fc.bs = (uint8_t)o->bs;
	fc.stmin = (uint8_t)o->stmin;
	memset(&addr, 0, sizeof(addr));
	addr.can_family = AF_CAN;
	addr.can_ifindex = (int)ifindex;
	addr.can_addr.tp.tx_id = o->tx_id;
	addr.can_addr.tp.rx_id = o->rx_id;
	if (setsockopt(fd, SOL_CAN_ISOTP, CAN_ISOTP_OPTS, &opts, sizeof(opts)) != 0 ||
	    setsockopt(fd, SOL_CAN_ISOTP, CAN_ISOTP_RECV_FC, &fc, sizeof(fc)) != 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		pl_log(PL_LOG_ERROR, "isotp_socket_setup", "iface", o->kernel_if, "msg",
		       strerror(errno), NULL);
		goto out;
	}
	p->fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int project_open(const struct peer_opts *o, struct peer *p)
{
	struct can_filter_ids ids;
	struct isotp_config c;
	int r;

	memset(&ids, 0, sizeof(ids));
	ids.ids[0] = o->rx_id;
	ids.n = 1;
	if ((r = can_transport_open(o->uri, &ids, &p->t)) != 0) {
		pl_log_err("transport_open", r, "uri", o->uri, NULL);
		return r;
	}
	isotp_config_default(&c, o->tx_id, o->rx_id);
	c.block_size = (uint8_t)o->bs;
	c.stmin = (uint8_t)o->stmin;
	if ((r = isotp_open(p->t, &c, &p->tp)) != 0)
		pl_log_err("isotp_open", r, "uri", o->uri, NULL);
	return r;
}

static void peer_close(struct peer *p)
{
	isotp_free(p->tp);
	can_transport_close(p->t);
	if (p->fd >= 0)
		close(p->fd);
}

static int peer_send(struct peer *p, const uint8_t *msg, size_t len)
{
	ssize_t k;
	int r;

	if (p->fd < 0) {
		if ((r = isotp_send(p->tp, msg, len)) != 0)
			pl_log_err("isotp_send", r, NULL);
		return r;
	}
	k = write(p->fd, msg, len);
	if (k < 0 || (size_t)k != len) {
		pl_log(PL_LOG_ERROR, "isotp_write", "msg", k < 0 ? strerror(errno) : "short write",
		       NULL);
		return PL_E_IO;
	}
	return 0;
}

static int peer_recv(struct peer *p, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct pollfd pfd;
	ssize_t k;
	int r;

	if (p->fd < 0) {
		if ((r = isotp_recv(p->tp, buf, cap, len, timeout_ms)) != 0)
			pl_log_err("isotp_recv", r, NULL);
		return r;
	}
	pfd.fd = p->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	r = poll(&pfd, 1, timeout_ms);
	if (r == 0) {
		pl_log(PL_LOG_ERROR, "isotp_recv", "msg", "no message within the timeout", NULL);
		return PL_E_TIMEOUT;
	}
	k = r > 0 ? read(p->fd, buf, cap) : -1;
	if (k <= 0) {
		pl_log(PL_LOG_ERROR, "isotp_read", "msg", k < 0 ? strerror(errno) : "empty", NULL);
		return PL_E_IO;
	}
	*len = (size_t)k;
	return 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int run_send(struct peer *p, const struct peer_opts *o, size_t len)
{
	uint64_t times[PEER_MAX_COUNT];
	uint32_t i;
	int r;

	for (i = 0; i < o->count; i++) {
		uint64_t t0 = now_us();

		if ((r = peer_send(p, msg_buf, len)) != 0)
			return r;
		times[i] = now_us() - t0;
	}
	qsort(times, o->count, sizeof(times[0]), cmp_u64);
	printf("isotp-peer: sent %zu bytes %u times: min %llu us, median %llu us, max %llu us\n",
	       len, o->count, (unsigned long long)times[0],
	       (unsigned long long)times[o->count / 2],
	       (unsigned long long)times[o->count - 1]);
	return fflush(stdout) == 0 ? 0 : PL_E_IO;
}

static int run_recv(struct peer *p, const struct peer_opts *o)
{
	size_t len, j;
	uint32_t i;
	int r;

	for (i = 0; i < o->count; i++) {
		if ((r = peer_recv(p, msg_buf, sizeof(msg_buf), &len, (int)o->timeout_ms)) != 0)
			return r;
		for (j = 0; j < len; j++)
			printf("%02X%s", msg_buf[j], j + 1 < len ? " " : "\n");
		if (fflush(stdout) != 0)
			return PL_E_IO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct peer_opts o;
	struct peer p = { .t = NULL, .tp = NULL, .fd = -1 };
	size_t len = 0;
	int r;

	pl_log_init("isotp-peer", PL_LOG_INFO);
	if (parse_opts(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	/* The payload first: bad input fails before anything touches the bus. */
	r = o.send ? read_payload(&len) : 0;
	if (r == 0)
		r = o.kernel_if != NULL ? kernel_open(&o, &p) : project_open(&o, &p);
	if (r == 0)
		r = o.send ? run_send(&p, &o, len) : run_recv(&p, &o);
	peer_close(&p);
	return r == 0 ? 0 : 1;
}
