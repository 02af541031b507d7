/* ISO-TP: segmentation and reassembly (pure state machines) and over the loop transport. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "can_test_util.h"
#include "isotp.h"
#include "pl_err.h"
#include "pl_err_can.h"

/* ---- pure state machines ---------------------------------------------- */

struct pump_stats {
	unsigned frames;   /* SF/FF/CF frames */
	unsigned fcs;      /* FC frames */
	unsigned short_frames; /* frames with DLC < 8 */
};

/* Moves msg from a tx to an rx state machine; returns the first error. */
static int pump(const uint8_t *msg, size_t len, const struct isotp_config *txc,
		const struct isotp_config *rxc, uint8_t *out, size_t cap, size_t *outlen,
		struct pump_stats *st)
{
	struct isotp_tx tx;
	struct isotp_rx rx;
	struct isotp_rx_result res;
	struct can_frame_pl f;
	int r;

	memset(st, 0, sizeof(*st));
	isotp_tx_init(&tx, txc);
	isotp_rx_init(&rx, out, cap, rxc);
	if ((r = isotp_tx_start(&tx, msg, len, &f)) != 0)
		return r;
	for (;;) {
		st->frames++;
		if (f.len < 8)
			st->short_frames++;
		if ((r = isotp_rx_feed(&rx, &f, &res)) != 0)
			return r;
		if (res.complete) {
			if (tx.state != ISOTP_TX_DONE)
				return PL_E_INTERNAL;
			*outlen = res.msg_len;
			return 0;
		}
		if (res.send_fc) {
			st->fcs++;
			if (res.fc.len < 8)
				st->short_frames++;
			if ((r = isotp_tx_on_fc(&tx, &res.fc)) != 0)
				return r;
			if (tx.st_us != isotp_stmin_to_us(rxc->stmin))
				return PL_E_INTERNAL;
		}
		if (tx.state != ISOTP_TX_SEND_CF)
			return PL_E_INTERNAL; /* stuck: receiver owes an FC it did not send */
		if ((r = isotp_tx_next(&tx, &f)) != 0)
			return r;
	}
}

static const struct {
	uint8_t bs, stmin;
	int padding;
} settings[] = {
	{ 0, 0x00, 1 }, { 1, 0xF1, 0 }, { 8, 0x05, 1 }, { 15, 0x7F, 0 }, { 2, 0xF9, 1 },
};

Test(isotp_sm, REQ_CAN_001_every_size_1_to_4095_with_several_bs_stmin)
{
	static uint8_t msg[4095], out[4095];
	struct isotp_config txc, rxc;
	struct pump_stats st;
	size_t n, len, i;
	unsigned ncf, exp_fc;

	ctu_pattern(msg, sizeof(msg), 1);
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		isotp_config_default(&txc, 0x7E0, 0x7E8);
		isotp_config_default(&rxc, 0x7E8, 0x7E0);
		txc.padding = rxc.padding = settings[i].padding;
		rxc.block_size = settings[i].bs;
		rxc.stmin = settings[i].stmin;
		for (len = 1; len <= 4095; len++) {
			memset(out, 0, len);
			n = 0;
			cr_assert_eq(pump(msg, len, &txc, &rxc, out, sizeof(out), &n, &st), 0,
				     "len %zu setting %zu", len, i);
			cr_assert_eq(n, len);
			cr_assert_eq(memcmp(out, msg, len), 0, "len %zu setting %zu", len, i);
			if (len <= 7) {
				cr_assert_eq(st.frames, 1);
				cr_assert_eq(st.fcs, 0);
				continue;
			}
			ncf = (unsigned)((len - 6 + 6) / 7);
			cr_assert_eq(st.frames, 1 + ncf, "len %zu", len);
			exp_fc = 1 + (settings[i].bs ? (ncf - 1) / settings[i].bs : 0);
			cr_assert_eq(st.fcs, exp_fc, "len %zu bs %u", len, settings[i].bs);
			if (settings[i].padding)
				cr_assert_eq(st.short_frames, 0);
		}
	}
}

Test(isotp_sm, REQ_CAN_002_escape_first_frame_for_long_messages)
{
	const size_t sizes[] = { 4096, 5000, 70000 };
	struct isotp_config c;
	struct pump_stats st;
	uint8_t *msg = malloc(70000), *out = malloc(70000);
	struct isotp_tx tx;
	struct can_frame_pl f;
	size_t n;

	cr_assert(msg && out);
	ctu_pattern(msg, 70000, 2);
	isotp_config_default(&c, 1, 2);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(pump(msg, sizes[i], &c, &c, out, 70000, &n, &st), 0);
		cr_assert_eq(n, sizes[i]);
		cr_assert_eq(memcmp(msg, out, n), 0);
	}
	/* 4096 = 0x1000: 10 00 00 00 10 00 + 2 data bytes */
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, 4096, &f), 0);
	cr_assert_eq(f.len, 8);
	cr_assert_eq(f.data[0], 0x10);
	cr_assert_eq(f.data[1], 0x00);
	cr_assert_eq(f.data[2], 0x00);
	cr_assert_eq(f.data[3], 0x00);
	cr_assert_eq(f.data[4], 0x10);
	cr_assert_eq(f.data[5], 0x00);
	cr_assert_eq(memcmp(f.data + 6, msg, 2), 0);
	free(msg);
	free(out);
}

Test(isotp_sm, REQ_CAN_003_frame_layouts_and_padding)
{
	const uint8_t msg[20] = { 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9,
				  0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xB0, 0xB1, 0xB2, 0xB3 };
	const uint8_t sf_pad[8] = { 0x03, 0xA0, 0xA1, 0xA2, 0xCC, 0xCC, 0xCC, 0xCC };
	const uint8_t ff[8] = { 0x10, 0x14, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5 };
	const uint8_t cf1[8] = { 0x21, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC };
	const uint8_t cf2[8] = { 0x22, 0xAD, 0xAE, 0xAF, 0xB0, 0xB1, 0xB2, 0xB3 };
	const uint8_t fc_pad[8] = { 0x30, 0x04, 0xF3, 0x55, 0x55, 0x55, 0x55, 0x55 };
	struct isotp_config c;
	struct isotp_tx tx;
	struct isotp_rx rx;
	struct isotp_rx_result res;
	struct can_frame_pl f;
	uint8_t buf[32];

	isotp_config_default(&c, 1, 2);
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, 3, &f), 0);
	cr_assert_eq(f.len, 8);
	cr_assert_eq(memcmp(f.data, sf_pad, 8), 0);
	cr_assert_eq(tx.state, ISOTP_TX_DONE);

	c.padding = 0;
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, 3, &f), 0);
	cr_assert_eq(f.len, 4);
	cr_assert_eq(memcmp(f.data, sf_pad, 4), 0);

	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, 20, &f), 0);
	cr_assert_eq(f.len, 8);
	cr_assert_eq(memcmp(f.data, ff, 8), 0);
	cr_assert_eq(tx.state, ISOTP_TX_WAIT_FC);

	/* The receiver answers with its BS/STmin and the pad byte of its config. */
	c.block_size = 4;
	c.stmin = 0xF3;
	c.padding = 1;
	c.pad_byte = 0x55;
	isotp_rx_init(&rx, buf, sizeof(buf), &c);
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), 0);
	cr_assert_eq(res.send_fc, 1);
	cr_assert_eq(res.fc.len, 8);
	cr_assert_eq(memcmp(res.fc.data, fc_pad, 8), 0);
	cr_assert_eq(isotp_tx_on_fc(&tx, &res.fc), 0);
	cr_assert_eq(tx.st_us, 300);
	cr_assert_eq(isotp_tx_next(&tx, &f), 0);
	cr_assert_eq(f.len, 8);
	cr_assert_eq(memcmp(f.data, cf1, 8), 0);
	cr_assert_eq(isotp_tx_next(&tx, &f), 0);
	cr_assert_eq(f.len, 8);
	cr_assert_eq(memcmp(f.data, cf2, 8), 0);
	cr_assert_eq(tx.state, ISOTP_TX_DONE);
}

Test(isotp_sm, REQ_CAN_003_sequence_number_wraps_after_15)
{
	uint8_t msg[200];
	struct isotp_config c;
	struct isotp_tx tx;
	struct can_frame_pl f, fc = { .len = 3, .data = { 0x30, 0, 0 } };
	unsigned i;

	ctu_pattern(msg, sizeof(msg), 3);
	isotp_config_default(&c, 1, 2);
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, sizeof(msg), &f), 0);
	cr_assert_eq(isotp_tx_on_fc(&tx, &fc), 0);
	for (i = 1; i <= 20; i++) {
		cr_assert_eq(isotp_tx_next(&tx, &f), 0);
		cr_assert_eq(f.data[0], 0x20 | (i & 0x0F), "cf %u", i);
	}
}

Test(isotp_sm, REQ_CAN_004_stmin_values)
{
	cr_assert_eq(isotp_stmin_to_us(0x00), 0);
	cr_assert_eq(isotp_stmin_to_us(0x01), 1000);
	cr_assert_eq(isotp_stmin_to_us(0x7F), 127000);
	cr_assert_eq(isotp_stmin_to_us(0xF1), 100);
	cr_assert_eq(isotp_stmin_to_us(0xF5), 500);
	cr_assert_eq(isotp_stmin_to_us(0xF9), 900);
	/* reserved values: the slowest legal rate */
	cr_assert_eq(isotp_stmin_to_us(0x80), 127000);
	cr_assert_eq(isotp_stmin_to_us(0xF0), 127000);
	cr_assert_eq(isotp_stmin_to_us(0xFA), 127000);
	cr_assert_eq(isotp_stmin_to_us(0xFF), 127000);
}

static struct can_frame_pl mk(uint8_t len, const uint8_t *d)
{
	struct can_frame_pl f;

	memset(&f, 0, sizeof(f));
	f.len = len;
	memcpy(f.data, d, len);
	return f;
}

Test(isotp_sm, REQ_CAN_005_malformed_frames_are_bad_pci)
{
	struct isotp_config c;
	struct isotp_rx rx;
	struct isotp_rx_result res;
	uint8_t buf[100];
	struct can_frame_pl f;

	isotp_config_default(&c, 1, 2);
	isotp_rx_init(&rx, buf, sizeof(buf), &c);
	f = mk(0, (const uint8_t[]){ 0 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "empty frame");
	f = mk(8, (const uint8_t[]){ 0x00, 1, 2, 3, 4, 5, 6, 7 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "SF_DL 0");
	f = mk(8, (const uint8_t[]){ 0x08, 1, 2, 3, 4, 5, 6, 7 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "SF_DL 8");
	f = mk(3, (const uint8_t[]){ 0x05, 1, 2 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "SF longer than frame");
	f = mk(7, (const uint8_t[]){ 0x10, 0x20, 1, 2, 3, 4, 5 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "FF with DLC 7");
	f = mk(8, (const uint8_t[]){ 0x10, 0x07, 1, 2, 3, 4, 5, 6 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "FF_DL 7");
	f = mk(8, (const uint8_t[]){ 0x10, 0x00, 0x00, 0x00, 0x0F, 0xFF, 1, 2 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "escape FF_DL 4095");
	f = mk(8, (const uint8_t[]){ 0x40, 1, 2, 3, 4, 5, 6, 7 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "PCI type 4");
	f = mk(8, (const uint8_t[]){ 0xF0, 1, 2, 3, 4, 5, 6, 7 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI, "PCI type F");
	cr_assert_eq(rx.active, 0);
	cr_assert_eq(res.send_fc, 0);
	cr_assert_eq(res.complete, 0);

	/* A CF shorter than the bytes still owed is malformed; reception goes on. */
	f = mk(8, (const uint8_t[]){ 0x10, 0x0A, 1, 2, 3, 4, 5, 6 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), 0);
	f = mk(3, (const uint8_t[]){ 0x21, 7, 8 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_PCI);
	cr_assert_eq(rx.active, 1);
	f = mk(5, (const uint8_t[]){ 0x21, 7, 8, 9, 10 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), 0);
	cr_assert_eq(res.complete, 1);
	cr_assert_eq(res.msg_len, 10);
}

Test(isotp_sm, REQ_CAN_006_consecutive_frame_without_first_frame)
{
	struct isotp_config c;
	struct isotp_rx rx;
	struct isotp_rx_result res;
	uint8_t buf[100];
	struct can_frame_pl f = mk(8, (const uint8_t[]){ 0x21, 1, 2, 3, 4, 5, 6, 7 });

	isotp_config_default(&c, 1, 2);
	isotp_rx_init(&rx, buf, sizeof(buf), &c);
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_UNEXPECTED_CF);
	cr_assert_eq(res.complete, 0);
	cr_assert_eq(res.send_fc, 0);
}

Test(isotp_sm, REQ_CAN_007_wrong_sequence_number_aborts)
{
	struct isotp_config c;
	struct isotp_rx rx;
	struct isotp_rx_result res;
	uint8_t buf[100];
	struct can_frame_pl f;

	isotp_config_default(&c, 1, 2);
	isotp_rx_init(&rx, buf, sizeof(buf), &c);
	f = mk(8, (const uint8_t[]){ 0x10, 0x14, 1, 2, 3, 4, 5, 6 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), 0);
	f = mk(8, (const uint8_t[]){ 0x22, 1, 2, 3, 4, 5, 6, 7 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_BAD_SN);
	cr_assert_eq(rx.active, 0);
	/* the next CF now has no first frame */
	f = mk(8, (const uint8_t[]){ 0x21, 1, 2, 3, 4, 5, 6, 7 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_UNEXPECTED_CF);
}

Test(isotp_sm, REQ_CAN_008_new_message_interrupts_one_in_progress)
{
	struct isotp_config c;
	struct isotp_rx rx;
	struct isotp_rx_result res;
	uint8_t buf[100];
	struct can_frame_pl f;

	isotp_config_default(&c, 1, 2);
	isotp_rx_init(&rx, buf, sizeof(buf), &c);
	f = mk(8, (const uint8_t[]){ 0x10, 0x14, 1, 2, 3, 4, 5, 6 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), 0);
	f = mk(3, (const uint8_t[]){ 0x02, 0x50, 0x03 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_UNEXPECTED_FRAME);
	cr_assert_eq(res.complete, 1);
	cr_assert_eq(res.msg_len, 2);
	cr_assert_eq(buf[0], 0x50);
	cr_assert_eq(rx.active, 0);

	f = mk(8, (const uint8_t[]){ 0x10, 0x14, 1, 2, 3, 4, 5, 6 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), 0);
	f = mk(8, (const uint8_t[]){ 0x10, 0x09, 9, 9, 9, 9, 9, 9 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_UNEXPECTED_FRAME);
	cr_assert_eq(res.send_fc, 1);
	cr_assert_eq(rx.msg_len, 9);
	cr_assert_eq(rx.active, 1);

	/* FC frames are not for a receiver: nothing happens */
	f = mk(3, (const uint8_t[]){ 0x30, 0, 0 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), 0);
	cr_assert_eq(res.send_fc, 0);
	cr_assert_eq(rx.active, 1);
}

Test(isotp_sm, REQ_CAN_009_overflow_both_sides)
{
	struct isotp_config c;
	struct isotp_rx rx;
	struct isotp_rx_result res;
	struct isotp_tx tx;
	uint8_t buf[50], msg[51];
	struct can_frame_pl f;

	isotp_config_default(&c, 1, 2);
	isotp_rx_init(&rx, buf, sizeof(buf), &c);
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, sizeof(msg), &f), 0);
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_RX_OVERFLOW);
	cr_assert_eq(res.send_fc, 1);
	cr_assert_eq(res.fc.data[0], 0x32);
	cr_assert_eq(rx.active, 0);
	cr_assert_eq(isotp_tx_on_fc(&tx, &res.fc), PL_E_ISOTP_FC_OVERFLOW);
	cr_assert_eq(tx.state, ISOTP_TX_IDLE);

	/* exactly the buffer size is fine */
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, sizeof(buf), &f), 0);
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), 0);
	cr_assert_eq(res.fc.data[0], 0x30);
	/* a single frame longer than a tiny buffer */
	isotp_rx_init(&rx, buf, 2, &c);
	f = mk(4, (const uint8_t[]){ 0x03, 1, 2, 3 });
	cr_assert_eq(isotp_rx_feed(&rx, &f, &res), PL_E_ISOTP_RX_OVERFLOW);
	cr_assert_eq(res.complete, 0);
}

Test(isotp_sm, REQ_CAN_010_flow_control_wait_limit)
{
	struct isotp_config c;
	struct isotp_tx tx;
	uint8_t msg[30] = { 0 };
	struct can_frame_pl f, wait = mk(3, (const uint8_t[]){ 0x31, 0, 0 });
	struct can_frame_pl cts = mk(3, (const uint8_t[]){ 0x30, 0, 0 });
	unsigned i;

	isotp_config_default(&c, 1, 2);
	c.wft_max = 3;
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, sizeof(msg), &f), 0);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(isotp_tx_on_fc(&tx, &wait), 0);
		cr_assert_eq(tx.state, ISOTP_TX_WAIT_FC);
	}
	cr_assert_eq(isotp_tx_on_fc(&tx, &cts), 0, "CTS after wft_max waits is fine");
	cr_assert_eq(tx.state, ISOTP_TX_SEND_CF);

	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, sizeof(msg), &f), 0);
	for (i = 0; i < 3; i++)
		cr_assert_eq(isotp_tx_on_fc(&tx, &wait), 0);
	cr_assert_eq(isotp_tx_on_fc(&tx, &wait), PL_E_ISOTP_WAIT_LIMIT);
	cr_assert_eq(tx.state, ISOTP_TX_IDLE);

	c.wft_max = 0;
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, sizeof(msg), &f), 0);
	cr_assert_eq(isotp_tx_on_fc(&tx, &wait), PL_E_ISOTP_WAIT_LIMIT);
}

Test(isotp_sm, REQ_CAN_011_bad_flow_control_frames)
{
	struct isotp_config c;
	struct isotp_tx tx;
	uint8_t msg[30] = { 0 };
	struct can_frame_pl f, fc;

	isotp_config_default(&c, 1, 2);
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, sizeof(msg), &f), 0);
	fc = mk(8, (const uint8_t[]){ 0x21, 0, 0, 0, 0, 0, 0, 0 });
	cr_assert_eq(isotp_tx_on_fc(&tx, &fc), PL_E_ISOTP_UNEXPECTED_FRAME);
	cr_assert_eq(tx.state, ISOTP_TX_WAIT_FC);
	fc = mk(2, (const uint8_t[]){ 0x30, 0 });
	cr_assert_eq(isotp_tx_on_fc(&tx, &fc), PL_E_ISOTP_BAD_PCI);
	cr_assert_eq(tx.state, ISOTP_TX_WAIT_FC);
	fc = mk(3, (const uint8_t[]){ 0x33, 0, 0 });
	cr_assert_eq(isotp_tx_on_fc(&tx, &fc), PL_E_ISOTP_BAD_FC);
	cr_assert_eq(tx.state, ISOTP_TX_IDLE);
}

Test(isotp_sm, REQ_CAN_016_misuse_and_message_size)
{
	struct isotp_config c;
	struct isotp_tx tx;
	uint8_t msg[30] = { 0 };
	struct can_frame_pl f, fc = mk(3, (const uint8_t[]){ 0x30, 0, 0 });

	isotp_config_default(&c, 1, 2);
	isotp_tx_init(&tx, &c);
	cr_assert_eq(isotp_tx_start(&tx, msg, 0, &f), PL_E_ISOTP_MSG_SIZE);
	cr_assert_eq(isotp_tx_next(&tx, &f), PL_E_ISOTP_STATE);
	cr_assert_eq(isotp_tx_on_fc(&tx, &fc), PL_E_ISOTP_STATE);
	cr_assert_eq(isotp_tx_start(&tx, msg, 5, &f), 0);
	cr_assert_eq(isotp_tx_on_fc(&tx, &fc), PL_E_ISOTP_STATE, "SF needs no FC");
	cr_assert_eq(isotp_tx_start(&tx, msg, 30, &f), 0);
	cr_assert_eq(isotp_tx_next(&tx, &f), PL_E_ISOTP_STATE, "CF before FC");
}

/* ---- over the loop transport ------------------------------------------ */

struct peer {
	const char *bus;
	struct isotp_config c;
	size_t len;            /* message size to send or expect */
	size_t cap;
	unsigned seed;
	int rounds;
	int r;
	int ready;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void peer_ready(struct peer *p)
{
	pthread_mutex_lock(&p->mu);
	p->ready = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void peer_wait_ready(struct peer *p)
{
	pthread_mutex_lock(&p->mu);
	while (!p->ready)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Receives rounds messages of p->len bytes and checks their content. */
static void *receiver(void *arg)
{
	struct peer *p = arg;
	struct can_transport *t = NULL;
	struct isotp *tp = NULL;
	struct can_filter_ids ids = { .ids = { p->c.rx_id }, .n = 1 };
	uint8_t *buf = malloc(p->cap), *exp = malloc(p->len ? p->len : 1);
	char uri[64];
	size_t n;
	int r, i;

	snprintf(uri, sizeof(uri), "loop:%s", p->bus);
	if ((r = can_transport_open(uri, &ids, &t)) != 0 || (r = isotp_open(t, &p->c, &tp)) != 0) {
		p->r = r;
		peer_ready(p);
		goto out;
	}
	peer_ready(p);
	for (i = 0; i < p->rounds; i++) {
		r = isotp_recv(tp, buf, p->cap, &n, 3000);
		if (r != 0) {
			p->r = r;
			break;
		}
		ctu_pattern(exp, p->len, p->seed + (unsigned)i);
		if (n != p->len || memcmp(buf, exp, n) != 0) {
			p->r = PL_E_INTERNAL;
			break;
		}
	}
out:
	isotp_free(tp);
	can_transport_close(t);
	free(buf);
	free(exp);
	return NULL;
}

static struct peer *peer_new(const char *bus, uint32_t tx, uint32_t rx)
{
	struct peer *p = calloc(1, sizeof(*p));

	cr_assert_not_null(p);
	p->bus = bus;
	isotp_config_default(&p->c, tx, rx);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;
}

static void loop_setup(void)
{
	ctu_bus_dir();
}

static void loop_teardown(void)
{
	ctu_bus_dir_remove();
}

Test(isotp_loop, REQ_CAN_015_messages_between_two_endpoints, .init = loop_setup,
     .fini = loop_teardown)
{
	const size_t sizes[] = { 1, 7, 8, 13, 14, 62, 63, 400, 1000, 4095 };
	const struct {
		uint8_t bs, stmin;
		int padding;
	} cfg[] = { { 0, 0, 1 }, { 1, 0, 0 }, { 8, 0xF1, 1 } };
	uint8_t *msg = malloc(4095);

	for (size_t k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct peer *p = peer_new("iso", 0x7E8, 0x7E0);
			struct can_transport *t = ctu_open_loop("iso", 0x7E8);
			struct isotp_config c;
			struct isotp *tp;
			pthread_t th;
			int j;

			p->len = sizes[i];
			p->cap = 4095;
			p->seed = (unsigned)(i * 10 + k);
			p->rounds = 3;
			p->c.block_size = cfg[k].bs;
			p->c.stmin = cfg[k].stmin;
			p->c.padding = cfg[k].padding;
			pthread_create(&th, NULL, receiver, p);
			peer_wait_ready(p);
			cr_assert_eq(p->r, 0);
			isotp_config_default(&c, 0x7E0, 0x7E8);
			c.padding = cfg[k].padding;
			cr_assert_eq(isotp_open(t, &c, &tp), 0);
			for (j = 0; j < p->rounds; j++) {
				ctu_pattern(msg, p->len, p->seed + (unsigned)j);
				cr_assert_eq(isotp_send(tp, msg, p->len), 0, "size %zu cfg %zu",
					     p->len, k);
			}
			pthread_join(th, NULL);
			cr_assert_eq(p->r, 0, "receiver: %d (%s) size %zu cfg %zu", p->r,
				     pl_errname(p->r), p->len, k);
			isotp_free(tp);
			can_transport_close(t);
			free(p);
		}
	}
	free(msg);
}

Test(isotp_loop, REQ_CAN_012_no_flow_control_is_n_bs_timeout, .init = loop_setup,
     .fini = loop_teardown)
{
	struct can_transport *t = ctu_open_loop("nbs", 0x7E8);
	struct can_transport *silent = ctu_open_loop("nbs", 0x7E0);
	struct isotp_config c;
	struct isotp *tp;
	uint8_t msg[100] = { 0 };
	uint64_t t0;

	isotp_config_default(&c, 0x7E0, 0x7E8);
	c.n_bs_ms = 150;
	cr_assert_eq(isotp_open(t, &c, &tp), 0);
	t0 = ctu_now_ms();
	cr_assert_eq(isotp_send(tp, msg, sizeof(msg)), PL_E_ISOTP_TIMEOUT_BS);
	cr_assert_geq(ctu_now_ms() - t0, 150);
	cr_assert_lt(ctu_now_ms() - t0, 1000);
	/* a single frame needs no flow control */
	cr_assert_eq(isotp_send(tp, msg, 7), 0);
	isotp_free(tp);
	can_transport_close(t);
	can_transport_close(silent);
}

Test(isotp_loop, REQ_CAN_013_sender_stops_midway_is_n_cr_timeout, .init = loop_setup,
     .fini = loop_teardown)
{
	struct can_transport *rxt = ctu_open_loop("ncr", 0x7E0);
	struct can_transport *raw = ctu_open_loop("ncr", 0x7E8);
	struct can_frame_pl ff = { .id = 0x7E0, .len = 8, .data = { 0x10, 0x20, 1, 2, 3, 4, 5, 6 } };
	struct can_frame_pl cf = { .id = 0x7E0, .len = 8, .data = { 0x21, 1, 2, 3, 4, 5, 6, 7 } };
	struct can_frame_pl fc;
	struct isotp_config c;
	struct isotp *tp;
	uint8_t buf[64];
	size_t n = 12345;
	uint64_t t0;

	isotp_config_default(&c, 0x7E8, 0x7E0);
	c.n_cr_ms = 120;
	cr_assert_eq(isotp_open(rxt, &c, &tp), 0);
	/* nothing at all: rx timeout */
	t0 = ctu_now_ms();
	cr_assert_eq(isotp_recv(tp, buf, sizeof(buf), &n, 80), PL_E_ISOTP_RX_TIMEOUT);
	cr_assert_geq(ctu_now_ms() - t0, 80);
	cr_assert_eq(can_transport_send(raw, &ff, 100), 0);
	cr_assert_eq(can_transport_send(raw, &cf, 100), 0);
	t0 = ctu_now_ms();
	cr_assert_eq(isotp_recv(tp, buf, sizeof(buf), &n, 1000), PL_E_ISOTP_TIMEOUT_CR);
	cr_assert_geq(ctu_now_ms() - t0, 120);
	cr_assert_lt(ctu_now_ms() - t0, 900);
	cr_assert_eq(n, 12345, "len untouched on error");
	/* the receiver did answer the first frame with CTS */
	cr_assert_eq(can_transport_recv(raw, &fc, 100), 0);
	cr_assert_eq(fc.id, 0x7E8);
	cr_assert_eq(fc.data[0], 0x30);
	isotp_free(tp);
	can_transport_close(rxt);
	can_transport_close(raw);
}

Test(isotp_loop, REQ_CAN_007_wrong_sequence_number_over_transport, .init = loop_setup,
     .fini = loop_teardown)
{
	struct can_transport *rxt = ctu_open_loop("sn", 0x7E0);
	struct can_transport *raw = ctu_open_loop("sn", 0x7E8);
	struct can_frame_pl ff = { .id = 0x7E0, .len = 8, .data = { 0x10, 0x20, 1, 2, 3, 4, 5, 6 } };
	struct can_frame_pl cf = { .id = 0x7E0, .len = 8, .data = { 0x23, 1, 2, 3, 4, 5, 6, 7 } };
	struct can_frame_pl stray = { .id = 0x7E0, .len = 8, .data = { 0x21, 1, 2, 3, 4, 5, 6, 7 } };
	struct isotp_config c;
	struct isotp *tp;
	uint8_t buf[64];
	size_t n;

	isotp_config_default(&c, 0x7E8, 0x7E0);
	cr_assert_eq(isotp_open(rxt, &c, &tp), 0);
	/* a stray CF before the FF is ignored by the blocking receiver */
	cr_assert_eq(can_transport_send(raw, &stray, 100), 0);
	cr_assert_eq(can_transport_send(raw, &ff, 100), 0);
	cr_assert_eq(can_transport_send(raw, &cf, 100), 0);
	cr_assert_eq(isotp_recv(tp, buf, sizeof(buf), &n, 1000), PL_E_ISOTP_BAD_SN);
	isotp_free(tp);
	can_transport_close(rxt);
	can_transport_close(raw);
}

Test(isotp_loop, REQ_CAN_009_overflow_over_transport, .init = loop_setup, .fini = loop_teardown)
{
	struct peer *p = peer_new("ovf", 0x7E8, 0x7E0);
	struct can_transport *t = ctu_open_loop("ovf", 0x7E8);
	struct isotp_config c;
	struct isotp *tp;
	uint8_t msg[200] = { 0 };
	pthread_t th;

	p->len = 200;
	p->cap = 100;
	p->rounds = 1;
	pthread_create(&th, NULL, receiver, p);
	peer_wait_ready(p);
	isotp_config_default(&c, 0x7E0, 0x7E8);
	cr_assert_eq(isotp_open(t, &c, &tp), 0);
	cr_assert_eq(isotp_send(tp, msg, sizeof(msg)), PL_E_ISOTP_FC_OVERFLOW);
	pthread_join(th, NULL);
	cr_assert_eq(p->r, PL_E_ISOTP_RX_OVERFLOW);
	isotp_free(tp);
	can_transport_close(t);
	free(p);
}

Test(isotp_loop, REQ_CAN_010_wait_frames_over_transport, .init = loop_setup,
     .fini = loop_teardown)
{
	struct can_transport *t = ctu_open_loop("wft", 0x7E8);
	struct can_transport *raw = ctu_open_loop("wft", 0x7E0);
	struct can_frame_pl wait = { .id = 0x7E8, .len = 3, .data = { 0x31, 0, 0 } };
	struct isotp_config c;
	struct isotp *tp;
	uint8_t msg[100] = { 0 };
	int i;

	/* Queue the WAITs before the transfer starts: the sender reads them after its FF. */
	for (i = 0; i < 3; i++)
		cr_assert_eq(can_transport_send(raw, &wait, 100), 0);
	isotp_config_default(&c, 0x7E0, 0x7E8);
	c.wft_max = 2;
	c.n_bs_ms = 300;
	cr_assert_eq(isotp_open(t, &c, &tp), 0);
	cr_assert_eq(isotp_send(tp, msg, sizeof(msg)), PL_E_ISOTP_WAIT_LIMIT);
	isotp_free(tp);
	can_transport_close(t);
	can_transport_close(raw);
}

Test(isotp_loop, REQ_CAN_014_stmin_paces_consecutive_frames, .init = loop_setup,
     .fini = loop_teardown)
{
	struct peer *p = peer_new("stmin", 0x7E8, 0x7E0);
	struct can_transport *t = ctu_open_loop("stmin", 0x7E8);
	struct isotp_config c;
	struct isotp *tp;
	uint8_t msg[62];
	pthread_t th;
	uint64_t t0, dt;

	/* 62 bytes = FF + 8 CFs: 7 gaps of STmin 20 ms between CFs */
	p->len = sizeof(msg);
	p->cap = 100;
	p->rounds = 1;
	p->c.stmin = 20;
	ctu_pattern(msg, sizeof(msg), 0);
	p->seed = 0;
	pthread_create(&th, NULL, receiver, p);
	peer_wait_ready(p);
	isotp_config_default(&c, 0x7E0, 0x7E8);
	cr_assert_eq(isotp_open(t, &c, &tp), 0);
	t0 = ctu_now_ms();
	cr_assert_eq(isotp_send(tp, msg, sizeof(msg)), 0);
	dt = ctu_now_ms() - t0;
	pthread_join(th, NULL);
	cr_assert_eq(p->r, 0);
	cr_assert_geq(dt, 140, "7 gaps of 20 ms took %llu ms", (unsigned long long)dt);
	cr_assert_lt(dt, 1000);
	isotp_free(tp);
	can_transport_close(t);
	free(p);
}

Test(isotp_loop, REQ_CAN_017_extended_29_bit_ids, .init = loop_setup, .fini = loop_teardown)
{
	const uint32_t tester = 0x18DA10F1u | CAN_PL_EFF_FLAG, ecu = 0x18DAF110u | CAN_PL_EFF_FLAG;
	struct peer *p = peer_new("eff", ecu, tester);
	struct can_transport *t = ctu_open_loop("eff", ecu);
	struct can_transport *other = ctu_open_loop("eff", 0xFFFFFFFFu);
	struct can_frame_pl noise = { .id = 0x0F1, .len = 2, .data = { 0x01, 0xEE } };
	struct isotp_config c;
	struct isotp *tp;
	uint8_t msg[300];
	pthread_t th;

	p->len = sizeof(msg);
	p->cap = 4095;
	p->rounds = 1;
	p->seed = 77;
	pthread_create(&th, NULL, receiver, p);
	peer_wait_ready(p);
	/* Single frames on other ids (11-bit, and a neighbouring 29-bit id) are not ours. */
	cr_assert_eq(can_transport_send(other, &noise, 100), 0);
	noise.id = 0x18DA10F2u | CAN_PL_EFF_FLAG;
	cr_assert_eq(can_transport_send(other, &noise, 100), 0);
	can_transport_close(other); /* a listener that never reads would stall the bus once */
	isotp_config_default(&c, tester, ecu);
	cr_assert_eq(isotp_open(t, &c, &tp), 0);
	ctu_pattern(msg, sizeof(msg), 77);
	cr_assert_eq(isotp_send(tp, msg, sizeof(msg)), 0);
	pthread_join(th, NULL);
	cr_assert_eq(p->r, 0, "receiver: %s", pl_errname(p->r));
	isotp_free(tp);
	can_transport_close(t);
	free(p);
}
