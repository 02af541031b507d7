/* The network child <-> core messages: the table and the checked framing (cs_msg.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "cs_msg.h"
#include "pl_err.h"
#include "pl_err_cosign.h"

struct cs_str_field {
	size_t off, size;
	const char *name;
};

struct cs_msg_info {
	uint32_t type;
	enum cs_dir dir;
	size_t size;     /* fixed part */
	size_t tail_max; /* largest tail */
	struct cs_str_field str[2];
};

static const struct cs_msg_info table[] = {
    {CS_NC_COSIGN,
     CS_NET_TO_CORE,
     sizeof(struct cs_request),
     COSIGN_BODY_MAX,
     {{offsetof(struct cs_request, peer), sizeof(((struct cs_request *)0)->peer), "peer"}}},
    {CS_NC_READY, CS_NET_TO_CORE, 0, 0, {{0, 0, NULL}}},
    {CS_CN_ANSWER,
     CS_CORE_TO_NET,
     sizeof(struct cs_answer),
     CS_ANSWER_BODY_MAX,
     {{offsetof(struct cs_answer, code), sizeof(((struct cs_answer *)0)->code), "code"},
      {offsetof(struct cs_answer, ctype), sizeof(((struct cs_answer *)0)->ctype), "ctype"}}},
    {CS_CN_STATUS, CS_CORE_TO_NET, sizeof(struct cs_status), CS_METRICS_MAX, {{0, 0, NULL}}},
};

_Static_assert(sizeof(struct cs_answer) + CS_ANSWER_BODY_MAX <=
                   sizeof(struct cs_request) + COSIGN_BODY_MAX,
               "CS_MSG_MAX covers every message");
_Static_assert(sizeof(struct cs_status) + CS_METRICS_MAX <=
                   sizeof(struct cs_request) + COSIGN_BODY_MAX,
               "CS_MSG_MAX covers every message");

static const struct cs_msg_info *info(uint32_t type)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].type == type)
			return &table[i];
	return NULL;
}

long cs_msg_size(uint32_t type)
{
	const struct cs_msg_info *m = info(type);

	return m != NULL ? (long)m->size : -1;
}

size_t cs_msg_tail_max(uint32_t type)
{
	const struct cs_msg_info *m = info(type);

	return m != NULL ? m->tail_max : 0;
}

int cs_dir_allows(enum cs_dir dir, uint32_t type)
{
	const struct cs_msg_info *m = info(type);

	return m != NULL && m->dir == dir;
}

int cs_send(int fd, uint32_t type, uint64_t id, const void *fixed, size_t flen, const void *tail,
            size_t tlen)
{
	const struct cs_msg_info *m = info(type);
	struct cs_hdr h = {.type = type, .len = (uint32_t)(flen + tlen), .id = id};
	struct iovec iov[3] = {
	    {&h, sizeof(h)}, {(void *)(uintptr_t)fixed, flen}, {(void *)(uintptr_t)tail, tlen}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 3};
	ssize_t n;

	if (m == NULL || flen != m->size || tlen > m->tail_max || (tlen > 0 && tail == NULL))
		return PL_E_INVAL;
	do {
		n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return PL_E_COS_BUSY;
	if (n != (ssize_t)(sizeof(h) + flen + tlen))
		return PL_E_IO;
	return 0;
}

/* Ends in a protocol violation; why gets the sentence. */
#define VIOLATION(...)                                                                             \
	do {                                                                                       \
		snprintf(why, whylen, __VA_ARGS__);                                                \
		return PL_E_COS_CHANNEL;                                                           \
	} while (0)

int cs_recv(int fd, enum cs_dir dir, struct cs_hdr *h, uint8_t *buf, size_t cap, char *why,
            size_t whylen)
{
	uint8_t dgram[CS_MSG_MAX + 1];
	struct iovec iov = {dgram, sizeof(dgram)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	const struct cs_msg_info *m;
	struct cs_hdr hh;
	size_t got;
	ssize_t n;

	do {
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return PL_E_TIMEOUT;
	if (n <= 0)
		return PL_E_IO;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		VIOLATION("a datagram larger than any message (%zu bytes)", CS_MSG_MAX);
	if ((size_t)n < sizeof(hh))
		VIOLATION("a datagram of %zd bytes, shorter than the header", n);
	memcpy(&hh, dgram, sizeof(hh));
	if ((m = info(hh.type)) == NULL || m->dir != dir)
		VIOLATION("message type %u is %s in this direction", hh.type,
		          m == NULL ? "unknown" : "not allowed");
	got = (size_t)n - sizeof(hh);
	if (hh.len != got || got < m->size || got > m->size + m->tail_max)
		VIOLATION("message type %u has %zu payload bytes (header says %u), expected %zu "
		          "(+ at most %zu)",
		          hh.type, got, hh.len, m->size, m->tail_max);
	for (size_t i = 0; i < sizeof(m->str) / sizeof(m->str[0]) && m->str[i].name; i++)
		if (memchr(dgram + sizeof(hh) + m->str[i].off, '\0', m->str[i].size) == NULL)
			VIOLATION("message type %u has an unterminated string field %s (%zu bytes)",
			          hh.type, m->str[i].name, m->str[i].size);
	if (got > cap)
		VIOLATION("message type %u: %zu bytes, the buffer holds %zu", hh.type, got, cap);
	memcpy(buf, dgram + sizeof(hh), got);
	*h = hh;
	return 0;
}

#undef VIOLATION
