/* The network child <-> core channel: sizes, directions, strings (cosign/proto/cs_msg.c). */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cs_msg.h"
#include "pl_err.h"
#include "pl_err_cosign.h"

static int sp[2];
static uint8_t buf[CS_MSG_MAX];

static void setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
}

static void teardown(void)
{
	close(sp[0]);
	close(sp[1]);
}

static int recv_one(enum cs_dir dir, struct cs_hdr *h, char *why)
{
	return cs_recv(sp[1], dir, h, buf, sizeof(buf), why, 192);
}

TestSuite(cosign_msg, .init = setup, .fini = teardown);

Test(cosign_msg, REQ_COS_006_request_round_trips_with_body_and_id)
{
	struct cs_request rq = {.peer = "127.0.0.1:1"};
	uint8_t body[COSIGN_BODY_MAX];
	struct cs_hdr h;
	char why[192];

	memset(body, 0xa5, sizeof(body));
	cr_assert_eq(cs_send(sp[0], CS_NC_COSIGN, 42, &rq, sizeof(rq), body, sizeof(body)), 0);
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), 0, "%s", why);
	cr_assert_eq(h.type, CS_NC_COSIGN);
	cr_assert_eq(h.id, 42);
	cr_assert_eq(h.len, sizeof(rq) + sizeof(body));
	cr_assert_eq(memcmp(buf + sizeof(rq), body, sizeof(body)), 0);
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), PL_E_TIMEOUT);
	/* READY: no payload, towards the core only */
	cr_assert_eq(cs_send(sp[0], CS_NC_READY, 0, NULL, 0, NULL, 0), 0);
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), 0, "%s", why);
	cr_assert_eq(h.type, CS_NC_READY);
	cr_assert_eq(h.len, 0);
	cr_assert_eq(cs_send(sp[0], CS_NC_READY, 0, NULL, 0, NULL, 0), 0);
	cr_assert_eq(recv_one(CS_CORE_TO_NET, &h, why), PL_E_COS_CHANNEL);
}

Test(cosign_msg, REQ_COS_006_wrong_sizes_refused_on_send)
{
	struct cs_request rq = {.peer = "x"};
	uint8_t body[COSIGN_BODY_MAX + 1] = {0};

	cr_assert_eq(cs_send(sp[0], CS_NC_COSIGN, 1, &rq, sizeof(rq) - 1, NULL, 0), PL_E_INVAL);
	cr_assert_eq(cs_send(sp[0], CS_NC_COSIGN, 1, &rq, sizeof(rq), body, sizeof(body)),
	             PL_E_INVAL);
	cr_assert_eq(cs_send(sp[0], 99, 1, &rq, sizeof(rq), NULL, 0), PL_E_INVAL);
}

/* A raw datagram: what a subverted peer could send. */
static void raw(uint32_t type, uint32_t len, const void *payload, size_t plen)
{
	uint8_t d[sizeof(struct cs_hdr) + 512];
	struct cs_hdr h = {.type = type, .len = len, .id = 7};

	memcpy(d, &h, sizeof(h));
	if (plen > 0)
		memcpy(d + sizeof(h), payload, plen);
	cr_assert_eq(send(sp[0], d, sizeof(h) + plen, 0), (ssize_t)(sizeof(h) + plen));
}

Test(cosign_msg, REQ_COS_006_violations_refused_on_receive)
{
	struct cs_request rq = {.peer = "127.0.0.1:1"};
	struct cs_answer a;
	struct cs_hdr h;
	char why[192];

	/* an answer type from the network child: not allowed towards the core */
	memset(&a, 0, sizeof(a));
	raw(CS_CN_ANSWER, sizeof(a), &a, sizeof(a));
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), PL_E_COS_CHANNEL);
	cr_assert(strstr(why, "not allowed") != NULL, "%s", why);
	/* unknown type */
	raw(77, 0, NULL, 0);
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), PL_E_COS_CHANNEL);
	cr_assert(strstr(why, "unknown") != NULL, "%s", why);
	/* header length lies */
	raw(CS_NC_COSIGN, sizeof(rq) + 5, &rq, sizeof(rq));
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), PL_E_COS_CHANNEL);
	/* shorter than the fixed part */
	raw(CS_NC_COSIGN, 3, &rq, 3);
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), PL_E_COS_CHANNEL);
	/* unterminated string */
	memset(rq.peer, 'A', sizeof(rq.peer));
	raw(CS_NC_COSIGN, sizeof(rq), &rq, sizeof(rq));
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), PL_E_COS_CHANNEL);
	cr_assert(strstr(why, "unterminated string field peer") != NULL, "%s", why);
	/* shorter than the header */
	cr_assert_eq(send(sp[0], "abc", 3, 0), 3);
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), PL_E_COS_CHANNEL);
	/* the peer gone: an I/O end, not a violation */
	close(sp[0]);
	sp[0] = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	cr_assert_eq(recv_one(CS_NET_TO_CORE, &h, why), PL_E_IO);
}
