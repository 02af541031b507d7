/*
 * ps_inject: plays a compromised process of a running pitlaned. It takes a
 * copy of descriptor FD of process PID (pidfd_getfd: needs ptrace rights over
 * it, e.g. root) and sends one privsep message on it: the header
 * {type, len, id} and len zero bytes, as that process could.
 *
 *   ps_inject PID FD TYPE LEN [WORD]   (LEN "-": the size type TYPE has;
 *                                        WORD: the payload's first u32)
 *   ps_inject PID FD TYPE forge BODY CERTS [ARG]
 *
 * PS_INJECT_FILL=N (environment, 0..255) fills the payload with byte N
 * instead of zeros (before WORD); PS_INJECT_WELLFORMED=1 then zeroes the
 * body and certificate lengths of a PS_FD_* request (so the filled strings
 * reach the decider's request path instead of its length check).
 *
 * forge: a front end's request (PS_FD_*, proto.h) as a subverted front end
 * could write it: the bytes of file BODY as the request body ("-": none), the
 * DER certificates of file CERTS as the TLS peer's ("-": none), ARG as the
 * path argument (an approval id); request id "forged-<pid>". It then waits
 * (5 s) for the decider's answer and prints "status=N".
 *
 * Exit status: 0 sent (forge: and answered), 1 failed, 2 usage.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pl_parse.h"
#include "ps_msg.h"

struct hdr {
	uint32_t type;
	uint32_t len;
	uint64_t id;
};

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f;
	size_t n;

	if (strcmp(path, "-") == 0)
		return 0;
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "ps_inject: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "ps_inject: %s is unreadable or larger than %zu bytes\n", path, cap);
		exit(1);
	}
	fclose(f);
	return n;
}

static int take_fd(uint32_t pid, uint32_t fd)
{
	int pidfd, sock;

	if ((pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0)) < 0 ||
	    (sock = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0)) < 0) {
		fprintf(stderr, "ps_inject: cannot take fd %u of pid %u: %s\n", fd, pid,
			strerror(errno));
		return -1;
	}
	return sock;
}

/* forge mode: one PS_FD_* request with real bytes, then the decider's answer. */
static int forge(uint32_t pid, uint32_t fd, uint32_t type, int argc, char **argv)
{
	static uint8_t msg[sizeof(struct fd_request) + FD_BODY_MAX + FD_CERTS_MAX];
	static struct token_answer a;
	struct fd_request q;
	struct ps_chan ch;
	struct ps_hdr h;
	size_t blen, clen;
	int sock, r;

	if (argc != 7 && argc != 8)
		return 2;
	memset(&q, 0, sizeof(q));
	blen = slurp(argv[5], msg + sizeof(q), FD_BODY_MAX);
	clen = slurp(argv[6], msg + sizeof(q) + blen, FD_CERTS_MAX);
	snprintf(q.request_id, sizeof(q.request_id), "forged-%d", (int)getpid());
	snprintf(q.client_addr, sizeof(q.client_addr), "forged");
	if (argc == 8)
		snprintf(q.arg, sizeof(q.arg), "%s", argv[7]);
	q.body_len = (uint32_t)blen;
	q.cert_len = (uint32_t)clen;
	memcpy(msg, &q, sizeof(q));
	if ((sock = take_fd(pid, fd)) < 0)
		return 1;
	/* the decider answers on this channel: read it as the front end's worker would */
	ps_chan_init(&ch, sock, PS_CH_DECIDER_TO_FRONT);
	if ((r = ps_send(&ch, type, 4242, msg, sizeof(q) + blen + clen, NULL, 0)) != 0) {
		fprintf(stderr, "ps_inject: send failed: %d\n", r);
		return 1;
	}
	for (;;) {
		if ((r = ps_recv(&ch, &h, &a, sizeof(a), NULL, 0, NULL, 5000)) != 0) {
			fprintf(stderr, "ps_inject: no answer: %d %s\n", r, ch.why);
			return 1;
		}
		if (h.type == PS_DF_ANSWER && h.id == 4242)
			break;
	}
	printf("status=%d body=%s\n", a.status, a.body_kind == ANSWER_TOKEN ? "token" :
	       a.body_kind == ANSWER_CBOR ? "cbor" : "problem");
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t msg[sizeof(struct hdr) + 8192];
	struct hdr h = { 0, 0, 42 };
	uint32_t pid, fd, type, len, word = 0, fill = 0;
	int sock;

	if (argc >= 7 && strcmp(argv[4], "forge") == 0) {
		if (pl_parse_u32(argv[1], 1, 4194304, &pid) != 0 ||
		    pl_parse_u32(argv[2], 0, 1048576, &fd) != 0 ||
		    pl_parse_u32(argv[3], 0, UINT32_MAX, &type) != 0)
			return 2;
		return forge(pid, fd, type, argc, argv);
	}
	if ((argc != 5 && argc != 6) || pl_parse_u32(argv[1], 1, 4194304, &pid) != 0 ||
	    (argc == 6 && pl_parse_u32(argv[5], 0, UINT32_MAX, &word) != 0) ||
	    pl_parse_u32(argv[2], 0, 1048576, &fd) != 0 ||
	    pl_parse_u32(argv[3], 0, UINT32_MAX, &type) != 0 ||
	    (strcmp(argv[4], "-") == 0 ? ps_msg_size(type) < 0 :
	     pl_parse_u32(argv[4], 0, 8192, &len) != 0)) {
		fprintf(stderr, "usage: ps_inject PID FD TYPE LEN|- [WORD] (LEN <= 8192)\n"
			"       ps_inject PID FD TYPE forge BODY|- CERTS|- [ARG]\n");
		return 2;
	}
	if (getenv("PS_INJECT_FILL") != NULL &&
	    pl_parse_u32(getenv("PS_INJECT_FILL"), 0, 255, &fill) != 0) {
		fprintf(stderr, "ps_inject: PS_INJECT_FILL must be 0..255\n");
		return 2;
	}
	if ((sock = take_fd(pid, fd)) < 0)
		return 1;
	if (strcmp(argv[4], "-") == 0)
		len = (uint32_t)ps_msg_size(type);
	h.type = type;
	h.len = len;
	memcpy(msg, &h, sizeof(h));
	memset(msg + sizeof(h), (int)fill, len);
	if (getenv("PS_INJECT_WELLFORMED") != NULL && ps_chan_allows(PS_CH_FRONT_TO_DECIDER, type) &&
	    len == sizeof(struct fd_request))
		memset(msg + sizeof(h) + offsetof(struct fd_request, body_len), 0,
		       2 * sizeof(uint32_t));
	if (argc == 6 && len >= sizeof(word))
		memcpy(msg + sizeof(h), &word, sizeof(word));
	if (send(sock, msg, sizeof(h) + len, MSG_NOSIGNAL) != (ssize_t)(sizeof(h) + len)) {
		fprintf(stderr, "ps_inject: send failed: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
