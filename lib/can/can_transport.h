/*
 * CAN transports: one small vtable, two backends.
 *
 *   socketcan:IFACE   PF_CAN / CAN_RAW socket on a kernel interface (can0, vcan0)
 *   loop:NAME         userspace bus between processes of this user on this
 *                     machine (UNIX datagram sockets in one directory; see
 *                     docs/uds.md "loop bus")
 *
 * Frames are classic CAN (at most 8 data bytes). Standard 11-bit ids are
 * plain numbers 0..0x7FF; 29-bit ids carry CAN_PL_EFF_FLAG. A transport
 * delivers frames sent by every other endpoint on the bus, never its own.
 * All calls take an explicit timeout in milliseconds (0 = poll once, never
 * block forever). One transport is used by one thread at a time.
 */
#ifndef PITLANE_CAN_TRANSPORT_H
#define PITLANE_CAN_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#define CAN_PL_MAX_DLEN 8
#define CAN_PL_EFF_FLAG 0x80000000u /* id is a 29-bit extended id */
#define CAN_PL_SFF_MASK 0x000007FFu
#define CAN_PL_EFF_MASK 0x1FFFFFFFu
#define CAN_PL_MAX_FILTER_IDS 8

struct can_frame_pl {
	uint32_t id; /* 11-bit id, or 29-bit id | CAN_PL_EFF_FLAG */
	uint8_t len; /* 0..8 */
	uint8_t data[CAN_PL_MAX_DLEN];
};

/* Receive filter: only frames whose id is in ids[0..n) are delivered; n == 0 delivers all. */
struct can_filter_ids {
	uint32_t ids[CAN_PL_MAX_FILTER_IDS];
	size_t n;
};

struct can_transport {
	/* 0, PL_E_CAN_TX_TIMEOUT, PL_E_CAN_SEND, PL_E_CAN_BAD_FRAME, PL_E_CAN_IFACE_DOWN. */
	int (*send)(struct can_transport *t, const struct can_frame_pl *f, int timeout_ms);
	/* 0 with *f filled, PL_E_CAN_RX_TIMEOUT, PL_E_CAN_RECV, PL_E_CAN_IFACE_DOWN. */
	int (*recv)(struct can_transport *t, struct can_frame_pl *f, int timeout_ms);
	void (*close)(struct can_transport *t);
	const char *kind; /* "socketcan" or "loop" */
};

/*
 * Opens the transport named by uri ("socketcan:IFACE" or "loop:NAME") with
 * receive filter ids (NULL = everything). Errors: PL_E_CAN_URI (bad uri),
 * PL_E_CAN_NO_SOCKETCAN, PL_E_CAN_NO_IFACE, PL_E_CAN_BUS_DIR,
 * PL_E_CAN_PATH_TOO_LONG, PL_E_CAN_TOO_MANY_IDS, PL_E_NOMEM, PL_E_IO.
 * *out is written only on success; release with can_transport_close().
 */
int can_transport_open(const char *uri, const struct can_filter_ids *ids,
                       struct can_transport **out);

/* Backends, also usable directly. */
int can_socketcan_open(const char *ifname, const struct can_filter_ids *ids,
                       struct can_transport **out);
/*
 * The loop bus NAME ([A-Za-z0-9._-], 1..32 characters, not starting with '.')
 * lives in $PITLANE_CANBUS_DIR/NAME when that variable is set, else in
 * /tmp/pitlane-canbus-<uid>/NAME.
 */
int can_loop_open(const char *name, const struct can_filter_ids *ids, struct can_transport **out);

/* Wrappers that check arguments (NULL, len > 8, id range) before dispatching. */
int can_transport_send(struct can_transport *t, const struct can_frame_pl *f, int timeout_ms);
int can_transport_recv(struct can_transport *t, struct can_frame_pl *f, int timeout_ms);
/* Accepts NULL. */
void can_transport_close(struct can_transport *t);

/* 1 when f has a valid id and length. */
int can_frame_valid(const struct can_frame_pl *f);

#endif
