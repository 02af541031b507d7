/*
 * Privilege separation: the typed, length-checked messages the broker's
 * processes exchange over SOCK_SEQPACKET socketpairs (one message = one
 * datagram; the kernel keeps the boundaries).
 *
 *   header  { u32 type; u32 len; u64 id; }   len = payload bytes
 *   payload one fixed-size struct per type (ps_msg_size()), for the front
 *           end's requests followed by a tail of at most ps_msg_tail_max()
 *           bytes (the body and certificates it received)
 *
 * One table (ps_msg.c) says for every type: the channel it may travel on,
 * its fixed size, its largest tail and whether descriptors ride along. A
 * channel belongs to one pair of roles and accepts only the types its
 * sender may send (ps_chan_allows()). Anything else -- an unknown type, a
 * type the peer must never send, a size other than the type's, trailing
 * bytes, descriptors where none are expected, a string field without its
 * NUL -- is a protocol violation:
 * ps_recv() returns PL_E_SYNTAX / PL_E_TRUNCATED / PL_E_TRAILING and marks
 * the channel dead; the caller reports the peer to the monitor, which ends
 * that process. Library code: never logs, never exits.
 */
#ifndef PITLANE_PRIVSEP_MSG_H
#define PITLANE_PRIVSEP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "cosign_msg.h"
#include "proto.h"
#include "ps_config.h"
#include "signer.h"

enum ps_role {
	PS_ROLE_MONITOR = 0,
	PS_ROLE_SIGNER,
	PS_ROLE_DECIDER,
	PS_ROLE_FRONT,
	PS_ROLE_COSIGNER, /* the cosigner-client (cosign_msg.h) */
	PS_ROLE_COUNT
};
const char *ps_role_name(enum ps_role r);

enum ps_type {
	/* front end -> decider: struct fd_request + tail (proto.h) */
	PS_FD_TOKEN = 1,
	PS_FD_DECISION = 4,
	PS_FD_POLL = 5,
	PS_FD_REVOKED = 6,
	PS_FD_RECEIPT = 7,
	/* decider -> front end */
	PS_DF_ANSWER = 2,
	PS_DF_STATUS = 3,
	/* decider -> signer */
	PS_DS_ISSUE = 10,
	PS_DS_CKPT = 11,
	PS_DS_STATUS_REQ = 12,
	PS_DS_PUBKEY_REQ = 13,
	/* signer -> decider */
	PS_SD_ISSUED = 20,
	PS_SD_CKPT_SIG = 21,
	PS_SD_STATUS = 22,
	PS_SD_PUBKEY = 23,
	/* monitor -> child */
	PS_MC_PEERS = 30,
	PS_MC_RELOAD = 31,
	PS_MC_CRL = 32,  /* to front end and decider: the crl file, opened by the monitor (1 fd) */
	PS_MC_BOOT = 38, /* to a re-executed child: its configuration (struct ps_boot) */
	/* child -> monitor */
	PS_CM_READY = 40,
	PS_CM_PEER_BAD = 41,
	/* decider <-> cosigner-client (cosign_msg.h) */
	PS_DK_JOB = 50,
	PS_KD_RESULT = 51,
};

/* The channels: which role sends to which over one socket. */
enum ps_chan_kind {
	PS_CH_FRONT_TO_DECIDER, /* what the decider may receive from the front end */
	PS_CH_DECIDER_TO_FRONT,
	PS_CH_DECIDER_TO_SIGNER, /* what the signer may receive */
	PS_CH_SIGNER_TO_DECIDER,
	PS_CH_MONITOR_TO_CHILD,
	PS_CH_CHILD_TO_MONITOR,
	PS_CH_DECIDER_TO_COSIGNER, /* what the cosigner-client may receive */
	PS_CH_COSIGNER_TO_DECIDER,
};

#define PS_MAX_FDS 80 /* workers (<= 64) + control channels */

struct ps_hdr {
	uint32_t type;
	uint32_t len;
	uint64_t id;
};

/*
 * PS_FD_* carry a struct fd_request and its tail, PS_DF_ANSWER a struct
 * token_answer and PS_DF_STATUS a struct broker_status (proto.h).
 */

/* PS_SD_ISSUED */
struct ps_issued {
	int32_t err;
	uint32_t len;
	uint8_t cti[SIGNER_CTI_LEN];
	uint8_t tok[SIGNER_TOKEN_MAX];
};

/* PS_DS_CKPT */
struct ps_ckpt {
	uint64_t row_count;
	uint8_t head[32];
};

/* PS_SD_CKPT_SIG */
struct ps_ckpt_sig {
	int32_t err;
	uint8_t sig[SIGNER_SIG_LEN];
};

/* PS_SD_STATUS */
struct ps_signer_status {
	int32_t ready;
	int32_t last_err;
	uint64_t sign_calls, issued, refused, faults, reinits;
};

/* PS_SD_PUBKEY */
struct ps_pubkey {
	int32_t err;
	uint8_t pub[SIGNER_PUB_LEN];
	uint8_t kid[SIGNER_KID_LEN];
};

/* PS_MC_PEERS: count descriptors to the role peer ride along (SCM_RIGHTS). */
struct ps_peers {
	uint32_t peer; /* enum ps_role */
	uint32_t count;
};

/*
 * PS_MC_BOOT: what a child took from the monitor's memory when it was only
 * forked -- the configuration the monitor parsed and file-checked, and where
 * the front end makes its empty root. The first message on a re-executed
 * child's monitor channel, and only then (docs/privsep.md, "Re-exec").
 */
#define PS_BOOT_DIR_MAX 64
struct ps_boot {
	struct broker_config c;
	struct ps_config pc;
	char empty_dir[PS_BOOT_DIR_MAX];
	uint32_t log_level; /* enum pl_log_level of the monitor */
};

/* PS_CM_READY / PS_CM_PEER_BAD */
struct ps_role_msg {
	uint32_t role; /* READY: the sender; PEER_BAD: the misbehaving peer */
};

/* Empty payload: PS_DS_STATUS_REQ, PS_DS_PUBKEY_REQ, PS_MC_RELOAD, PS_MC_CRL (+ 1 fd). */

/* Fixed payload size of type t; -1 for an unknown type. */
long ps_msg_size(uint32_t t);
/* Largest tail after the fixed payload (0: none; the PS_FD_* requests). */
size_t ps_msg_tail_max(uint32_t t);
/* Largest payload of any message: the receive buffer's size. */
#define PS_MSG_MAX (sizeof(struct fd_request) + FD_BODY_MAX + FD_CERTS_MAX)
/*
 * The string fields of type t's fixed part (char arrays): field i (0, 1, ...;
 * NULL past the last). ps_recv() refuses a message when one of them has no
 * NUL within its size (PL_E_SYNTAX), so receivers may rely on termination.
 */
struct ps_str_field {
	uint32_t off, size;
	const char *name;
};
const struct ps_str_field *ps_msg_str_field(uint32_t t, size_t i);
/* Nonzero when a message of type t may arrive on a channel of kind k. */
int ps_chan_allows(enum ps_chan_kind k, uint32_t t);
/* Nonzero when type t carries descriptors. */
int ps_msg_has_fds(uint32_t t);

/*
 * The handler column of the message table (as OpenSSH's mon_dispatch): every
 * type names the handler that takes it in the receiving process; an answer
 * (PS_REPLY) is read by the call that sent the request (front_decide,
 * signer_call), never dispatched. Each process binds the names it handles to
 * its functions in its own table of struct ps_handler and hands every message
 * it receives to ps_dispatch(): a type whose handler that process does not
 * bind is refused there (the caller logs it, event=privsep_no_handler). The
 * table therefore says which process runs which code for a message.
 */
#define PS_REPLY "reply"
#define PS_H_DECIDER_REQUEST "decider_request"     /* PS_FD_*: decider worker */
#define PS_H_FRONT_STATUS "front_status"           /* PS_DF_STATUS */
#define PS_H_SIGNER_ISSUE "signer_issue"           /* PS_DS_ISSUE */
#define PS_H_SIGNER_CHECKPOINT "signer_checkpoint" /* PS_DS_CKPT */
#define PS_H_SIGNER_STATUS "signer_status"         /* PS_DS_STATUS_REQ */
#define PS_H_SIGNER_PUBKEY "signer_pubkey"         /* PS_DS_PUBKEY_REQ */
#define PS_H_CHILD_PEERS "child_peers"             /* PS_MC_PEERS: every child */
#define PS_H_CHILD_RELOAD "child_reload"           /* PS_MC_RELOAD: signer, decider */
#define PS_H_CHILD_CRL "child_crl"                 /* PS_MC_CRL: decider, front end */
#define PS_H_CHILD_BOOT "child_boot"               /* PS_MC_BOOT: a child before it starts */
#define PS_H_MONITOR_READY "monitor_ready"         /* PS_CM_READY */
#define PS_H_MONITOR_PEER_BAD "monitor_peer_bad"   /* PS_CM_PEER_BAD */
#define PS_H_COSIGNER_JOB "cosigner_job"           /* PS_DK_JOB: cosigner-client */

/* The handler type t names (PS_H_*, PS_REPLY), NULL for an unknown type. */
const char *ps_msg_handler(uint32_t t);

struct ps_chan;
struct ps_hdr;
/* A received message as ps_recv() gave it, for a handler. */
struct ps_msg_in {
	struct ps_chan *ch;
	const struct ps_hdr *hdr;
	void *payload; /* hdr->len bytes */
	int *fds;      /* the handler owns them */
	size_t nfds;
};
typedef int (*ps_handler_fn)(void *ctx, const struct ps_msg_in *m);
struct ps_handler {
	const char *name; /* a PS_H_* of the message table */
	ps_handler_fn fn;
};

/*
 * Calls the function tab binds to the handler m's type names, with ctx, and
 * returns what it returns. Errors: PL_E_NOTFOUND when tab binds none (this
 * process has no handler for that type; a reply, an unknown type): m's
 * descriptors are closed, m->ch->why says which type, the channel stays.
 */
int ps_dispatch(const struct ps_handler *tab, size_t n, void *ctx, const struct ps_msg_in *m);
#define PS_NHANDLERS(tab) (sizeof(tab) / sizeof((tab)[0]))

/*
 * One end of a socketpair. After a protocol violation or an I/O error the
 * channel is dead (fd closed, -1): every later call returns PL_E_IO.
 */
struct ps_chan {
	int fd;
	enum ps_chan_kind kind; /* what this end receives */
	char why[160];          /* the last violation, one sentence */
};

void ps_chan_init(struct ps_chan *c, int fd, enum ps_chan_kind rx_kind);
void ps_chan_close(struct ps_chan *c);

/*
 * Sends one message (payload len must equal ps_msg_size(type), plus at most
 * ps_msg_tail_max(type)); fds may be NULL.
 */
int ps_send(struct ps_chan *c, uint32_t type, uint64_t id, const void *payload, size_t len,
            const int *fds, size_t nfds);

/*
 * Receives one message into hdr and payload (cap bytes; hdr->len says how
 * many arrived). timeout_ms < 0
 * waits for ever. Errors: PL_E_TIMEOUT (channel stays usable), PL_E_IO (peer
 * gone), PL_E_SYNTAX (type unknown or not allowed on this channel, or a
 * string field unterminated),
 * PL_E_TRUNCATED / PL_E_TRAILING / PL_E_TOOBIG (size differs from the
 * type's), PL_E_INVAL (descriptors on a type without). Descriptors of a
 * PS_MC_PEERS message go into fds (cap nfds_cap; *nfds gets the count).
 */
int ps_recv(struct ps_chan *c, struct ps_hdr *hdr, void *payload, size_t cap, int *fds,
            size_t nfds_cap, size_t *nfds, int timeout_ms);

/* Largest payload of any type with its tail (for receive buffers). */
size_t ps_msg_max(void);

#endif
