/*
 * The one channel of pitlane-cosignd: network child <-> core, an AF_UNIX
 * SOCK_SEQPACKET socketpair (one message = one datagram).
 *
 *   header  { u32 type; u32 len; u64 id; }   len = payload bytes
 *   payload one fixed-size struct per type, then a tail of at most the
 *           type's largest tail (the request body, the answer body, the
 *           core's metrics text)
 *
 * One table (cs_msg.c) says for every type its direction, fixed size, largest
 * tail and string fields. cs_recv() accepts a message only if its type may
 * travel in that direction, its size is the type's size plus at most its tail,
 * the header's length agrees and every string field holds its NUL; anything
 * else is a protocol violation (PL_E_COS_CHANNEL): the receiver ends the
 * channel (the core then ends and restarts the network child). Library code:
 * never logs, never exits.
 */
#ifndef PITLANE_COSIGN_MSG_H
#define PITLANE_COSIGN_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "cosign_conf.h"

enum cs_type {
	CS_NC_COSIGN = 1,  /* net -> core: struct cs_request + the body as received */
	CS_NC_READY = 2,   /* net -> core: no payload; started, dropped, serving */
	CS_CN_ANSWER = 10, /* core -> net: struct cs_answer + the response body */
	CS_CN_STATUS = 11, /* core -> net: struct cs_status + the core's metrics text */
};

enum cs_dir {
	CS_NET_TO_CORE, /* what the core accepts */
	CS_CORE_TO_NET, /* what the network child accepts */
};

struct cs_hdr {
	uint32_t type;
	uint32_t len;
	uint64_t id;
};

#define CS_ANSWER_BODY_MAX 1024 /* a COSE_Signature (~90 bytes) or problem details */
#define CS_METRICS_MAX 16384

struct cs_request {
	char peer[64]; /* "address:port" of the broker connection, for the log */
};

struct cs_answer {
	uint32_t status;      /* HTTP status */
	uint32_t retry_after; /* seconds, 0 = none */
	char code[64];        /* "signed" or the problem code, for the network child's metrics */
	char ctype[64];       /* Content-Type of the tail */
};

struct cs_status {
	uint32_t hsm_ready;   /* the HSM session answers */
	uint32_t audit_ready; /* the audit store is writable */
	uint64_t seq;         /* increases with every status */
};

/* The largest datagram: header + the largest fixed part + its tail. */
#define CS_MSG_MAX (sizeof(struct cs_hdr) + sizeof(struct cs_request) + COSIGN_BODY_MAX)

/* Fixed payload size of type, or -1 when unknown. */
long cs_msg_size(uint32_t type);
/* Largest tail of type (0 when it has none). */
size_t cs_msg_tail_max(uint32_t type);
/* 1 when type may travel in direction dir. */
int cs_dir_allows(enum cs_dir dir, uint32_t type);

/*
 * Sends one message: fixed (exactly the type's size) then tail (at most its
 * tail). PL_E_INVAL for a wrong size (nothing sent), PL_E_COS_BUSY when the
 * socket buffer is full (never blocks), PL_E_IO when the peer is gone.
 */
int cs_send(int fd, uint32_t type, uint64_t id, const void *fixed, size_t flen, const void *tail,
            size_t tlen);

/*
 * Receives one message travelling in direction dir into buf (the fixed part,
 * then the tail; cap >= CS_MSG_MAX), *h gets the header. Returns 0, PL_E_TIMEOUT
 * (nothing to read on a non-blocking socket), PL_E_IO (the peer closed) or
 * PL_E_COS_CHANNEL with why (a sentence) filled: a protocol violation.
 */
int cs_recv(int fd, enum cs_dir dir, struct cs_hdr *h, uint8_t *buf, size_t cap, char *why,
            size_t whylen);

#endif
