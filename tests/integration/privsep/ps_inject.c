/*
 * ps_inject: plays a compromised process of a running pitlaned. It takes a
 * copy of descriptor FD of process PID (pidfd_getfd: needs ptrace rights over
 * it, e.g. root) and sends one privsep message on it: the header
 * {type, len, id} and len zero bytes, as that process could.
 *
 *   ps_inject PID FD TYPE LEN [WORD]   (LEN "-": the size type TYPE has;
 *                                        WORD: the payload's first u32)
 *
 * PS_INJECT_FILL=N (environment, 0..255) fills the payload with byte N
 * instead of zeros (before WORD); PS_INJECT_AS_TOKEN=1 then sets the kind of a
 * PS_FD_DECIDE payload to a token request (so the filled bytes reach the
 * token path).
 *
 * Exit status: 0 sent, 1 failed, 2 usage.
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

int main(int argc, char **argv)
{
	static uint8_t msg[sizeof(struct hdr) + 8192];
	struct hdr h = { 0, 0, 42 };
	uint32_t pid, fd, type, len, word = 0, fill = 0;
	int pidfd, sock;

	if ((argc != 5 && argc != 6) || pl_parse_u32(argv[1], 1, 4194304, &pid) != 0 ||
	    (argc == 6 && pl_parse_u32(argv[5], 0, UINT32_MAX, &word) != 0) ||
	    pl_parse_u32(argv[2], 0, 1048576, &fd) != 0 ||
	    pl_parse_u32(argv[3], 0, UINT32_MAX, &type) != 0 ||
	    (strcmp(argv[4], "-") == 0 ? ps_msg_size(type) < 0 :
	     pl_parse_u32(argv[4], 0, 8192, &len) != 0)) {
		fprintf(stderr, "usage: ps_inject PID FD TYPE LEN|- [WORD] (LEN <= 8192)\n");
		return 2;
	}
	if (getenv("PS_INJECT_FILL") != NULL &&
	    pl_parse_u32(getenv("PS_INJECT_FILL"), 0, 255, &fill) != 0) {
		fprintf(stderr, "ps_inject: PS_INJECT_FILL must be 0..255\n");
		return 2;
	}
	if ((pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0)) < 0 ||
	    (sock = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0)) < 0) {
		fprintf(stderr, "ps_inject: cannot take fd %u of pid %u: %s\n", fd, pid,
			strerror(errno));
		return 1;
	}
	if (strcmp(argv[4], "-") == 0)
		len = (uint32_t)ps_msg_size(type);
	h.type = type;
	h.len = len;
	memcpy(msg, &h, sizeof(h));
	memset(msg + sizeof(h), (int)fill, len);
	if (getenv("PS_INJECT_AS_TOKEN") != NULL && type == PS_FD_DECIDE &&
	    len == sizeof(struct token_handoff))
		msg[sizeof(h) + offsetof(struct token_handoff, kind)] = HANDOFF_TOKEN;
	if (argc == 6 && len >= sizeof(word))
		memcpy(msg + sizeof(h), &word, sizeof(word));
	if (send(sock, msg, sizeof(h) + len, MSG_NOSIGNAL) != (ssize_t)(sizeof(h) + len)) {
		fprintf(stderr, "ps_inject: send failed: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
