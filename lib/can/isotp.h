/*
 * ISO-TP (ISO 15765-2) over classic CAN, in userspace.
 *
 * Two layers:
 *  - a pure, transport-free state machine (struct isotp_rx for reassembly,
 *    struct isotp_tx for segmentation) that turns frames into messages and
 *    back without clocks or I/O, for unit tests, fuzzing and other transports;
 *  - struct isotp, which drives both over a struct can_transport with the
 *    N_Bs / N_Cr timeouts and STmin pacing.
 *
 * Frames: single (SF, 1..7 bytes), first (FF, 12-bit length 8..4095 or the
 * 32-bit escape for 4096..2^32-1), consecutive (CF, sequence 1..15,0,1..),
 * flow control (FC: CTS / WAIT / OVERFLOW, block size, STmin).
 * STmin: 0x00..0x7F = 0..127 ms, 0xF1..0xF9 = 100..900 us; reserved values
 * received from a peer are treated as 127 ms (ISO 15765-2 9.6.5.5).
 */
#ifndef PITLANE_ISOTP_H
#define PITLANE_ISOTP_H

#include <stddef.h>
#include <stdint.h>

#include "can_transport.h"

#define ISOTP_SF_MAX 7u
#define ISOTP_FF12_MAX 4095u
#define ISOTP_DEFAULT_N_BS_MS 1000
#define ISOTP_DEFAULT_N_CR_MS 1000
#define ISOTP_DEFAULT_WFT_MAX 10
#define ISOTP_DEFAULT_PAD_BYTE 0xCC

/* Frame PCI types (high nibble of byte 0). */
enum isotp_pci {
	ISOTP_PCI_SF = 0x0,
	ISOTP_PCI_FF = 0x1,
	ISOTP_PCI_CF = 0x2,
	ISOTP_PCI_FC = 0x3,
};

/* Flow status (low nibble of an FC frame's byte 0). */
enum isotp_fs {
	ISOTP_FS_CTS = 0x0,
	ISOTP_FS_WAIT = 0x1,
	ISOTP_FS_OVERFLOW = 0x2,
};

struct isotp_config {
	uint32_t tx_id;     /* id we send on (e.g. 0x7E0 for a tester) */
	uint32_t rx_id;     /* id we receive on (e.g. 0x7E8) */
	uint8_t block_size; /* BS we announce in our FC (0 = no further FC) */
	uint8_t stmin;      /* STmin we announce (raw byte, see above) */
	int padding;        /* nonzero: pad every frame to 8 bytes with pad_byte */
	uint8_t pad_byte;
	int n_bs_ms;      /* sender: wait at most this long for an FC */
	int n_cr_ms;      /* receiver: wait at most this long for the next CF */
	int n_as_ms;      /* wait at most this long to put one frame on the bus */
	unsigned wft_max; /* FC WAIT frames accepted in a row before giving up */
};

/* Fills c with the defaults above (BS 0, STmin 0, padding on with 0xCC). */
void isotp_config_default(struct isotp_config *c, uint32_t tx_id, uint32_t rx_id);

/* STmin byte -> microseconds (reserved values -> 127000). */
uint32_t isotp_stmin_to_us(uint8_t stmin);

/* ---- pure reassembly state machine ------------------------------------ */

struct isotp_rx {
	uint8_t *buf; /* caller's buffer */
	size_t cap;
	size_t msg_len; /* announced length of the message in progress */
	size_t got;     /* bytes received so far */
	uint8_t next_sn;
	unsigned cf_in_block; /* CFs received since our last FC */
	int active;           /* a multi-frame message is in progress */
	uint8_t block_size;   /* what we announce in FC */
	uint8_t stmin;
	int padding;
	uint8_t pad_byte;
};

struct isotp_rx_result {
	int complete; /* buf[0..msg_len) holds a whole message */
	size_t msg_len;
	int send_fc;            /* fc holds a flow-control frame to send now */
	struct can_frame_pl fc; /* data/len only; the caller sets the id */
};

void isotp_rx_init(struct isotp_rx *rx, uint8_t *buf, size_t cap, const struct isotp_config *c);
/* Forgets any message in progress. */
void isotp_rx_reset(struct isotp_rx *rx);
/*
 * Feeds one frame that arrived on our rx id. res is always cleared first.
 * Returns 0 (see res->complete / res->send_fc) or:
 *  PL_E_ISOTP_BAD_PCI       malformed frame (ignored; state unchanged)
 *  PL_E_ISOTP_UNEXPECTED_CF CF while no message is in progress (ignored)
 *  PL_E_ISOTP_BAD_SN        wrong sequence number (reception aborted)
 *  PL_E_ISOTP_UNEXPECTED_FRAME SF or FF arrived while a message was in
 *                           progress: that message is dropped and the new
 *                           frame is processed (res says what it produced)
 *  PL_E_ISOTP_RX_OVERFLOW   FF announces more than cap; res->send_fc holds
 *                           the FC OVERFLOW frame to send
 * FC frames are not for the receiver and return 0 with nothing to do.
 */
int isotp_rx_feed(struct isotp_rx *rx, const struct can_frame_pl *f, struct isotp_rx_result *res);

/* ---- pure segmentation state machine ---------------------------------- */

enum isotp_tx_state {
	ISOTP_TX_IDLE = 0,
	ISOTP_TX_WAIT_FC, /* the next input must be an FC (N_Bs runs) */
	ISOTP_TX_SEND_CF, /* call isotp_tx_next() after st_us microseconds */
	ISOTP_TX_DONE,
};

struct isotp_tx {
	const uint8_t *msg; /* caller's message, must stay valid until DONE */
	size_t len;
	size_t off;
	uint8_t sn;
	enum isotp_tx_state state;
	uint8_t bs; /* block size from the last FC (0 = unlimited) */
	unsigned bs_left;
	uint32_t st_us; /* separation time from the last FC */
	unsigned waits; /* FC WAIT frames seen in a row */
	unsigned wft_max;
	int padding;
	uint8_t pad_byte;
};

void isotp_tx_init(struct isotp_tx *tx, const struct isotp_config *c);
/*
 * Starts sending msg[0..len) and writes the first frame (SF or FF) to *f
 * (data/len only). State afterwards: DONE (SF) or WAIT_FC (FF).
 * PL_E_ISOTP_MSG_SIZE for len 0 or len > UINT32_MAX.
 */
int isotp_tx_start(struct isotp_tx *tx, const uint8_t *msg, size_t len, struct can_frame_pl *f);
/*
 * Feeds a frame received on our rx id while in WAIT_FC. CTS -> SEND_CF;
 * WAIT -> stays (PL_E_ISOTP_WAIT_LIMIT after wft_max in a row);
 * OVERFLOW -> PL_E_ISOTP_FC_OVERFLOW; reserved status -> PL_E_ISOTP_BAD_FC;
 * a frame that is not an FC -> PL_E_ISOTP_UNEXPECTED_FRAME (state unchanged,
 * the caller may ignore it); malformed -> PL_E_ISOTP_BAD_PCI.
 * Errors other than UNEXPECTED_FRAME / BAD_PCI end the transfer (IDLE).
 */
int isotp_tx_on_fc(struct isotp_tx *tx, const struct can_frame_pl *f);
/* In SEND_CF: writes the next CF to *f; state becomes SEND_CF, WAIT_FC or DONE. */
int isotp_tx_next(struct isotp_tx *tx, struct can_frame_pl *f);

/* ---- ISO-TP over a transport ------------------------------------------ */

struct isotp;

/* The transport stays the caller's: isotp_free() does not close it. */
int isotp_open(struct can_transport *t, const struct isotp_config *c, struct isotp **out);
/* Accepts NULL. */
void isotp_free(struct isotp *tp);
/*
 * Sends one message, blocking until the last frame is on the bus.
 * Errors: PL_E_ISOTP_MSG_SIZE, PL_E_ISOTP_TIMEOUT_BS, PL_E_ISOTP_FC_OVERFLOW,
 * PL_E_ISOTP_WAIT_LIMIT, PL_E_ISOTP_BAD_FC, and transport errors.
 * Frames other than FC that arrive during the transfer are dropped.
 */
int isotp_send(struct isotp *tp, const uint8_t *msg, size_t len);
/*
 * Receives one message into buf[0..cap). timeout_ms bounds the wait for the
 * first frame (SF or FF); after an FF each CF must follow within N_Cr.
 * Errors: PL_E_ISOTP_RX_TIMEOUT, PL_E_ISOTP_TIMEOUT_CR, PL_E_ISOTP_BAD_SN,
 * PL_E_ISOTP_RX_OVERFLOW (after answering FC OVERFLOW), transport errors.
 * Stray CFs, malformed frames and FCs while idle are ignored (ISO 15765-2);
 * a new SF/FF interrupting a message restarts reception with it.
 * *len is written only on success.
 */
int isotp_recv(struct isotp *tp, uint8_t *buf, size_t cap, size_t *len, int timeout_ms);
const struct isotp_config *isotp_get_config(const struct isotp *tp);

#endif
