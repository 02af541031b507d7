/*
 * Fuzz target: ISO-TP reassembly and segmentation, and the UDS parsers on
 * every reassembled message.
 *
 * Input: two config bytes (block size / flags, STmin / message length) then
 * records of 9 bytes: DLC (mod 9) and 8 data bytes. Each record is fed to the
 * receiver and, while it waits for flow control, to a sender.
 * Invariants (trap on violation): a complete message fits the buffer; a
 * parsed UDS request or response rebuilds to the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "isotp.h"
#include "uds.h"

static uint8_t rxbuf[4095];
static uint8_t txmsg[4096];
static uint8_t out[4200];

static void check_uds(const uint8_t *m, size_t len)
{
	struct uds_request q;
	struct uds_response p;
	size_t n;

	if (uds_parse_request(m, len, &q) == 0) {
		if (uds_build_request(&q, out, sizeof(out), &n) != 0 || n != len ||
		    memcmp(out, m, len) != 0)
			__builtin_trap();
	}
	if (len >= 1) {
		uint8_t sid = m[0] == 0x7F && len > 1 ? m[1] : (uint8_t)(m[0] - 0x40);
		uint8_t sub = len > 1 ? m[1] : 0;

		if (m[0] == 0x7F)
			sub = 0;
		if (uds_parse_response(m, len, sid, sub, &p) == 0) {
			if (uds_build_response(&p, out, sizeof(out), &n) != 0 || n != len ||
			    memcmp(out, m, len) != 0)
				__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isotp_config c;
	struct isotp_rx rx;
	struct isotp_rx_result res;
	struct isotp_tx tx;
	struct can_frame_pl f, tf;
	size_t cap, off, mlen;

	if (size < 2)
		return 0;
	isotp_config_default(&c, 0x7E0, 0x7E8);
	c.block_size = data[0] >> 2;
	c.padding = data[0] & 1;
	c.stmin = data[1];
	c.wft_max = data[1] & 7;
	cap = (data[0] & 2) ? 64 : sizeof(rxbuf);
	isotp_rx_init(&rx, rxbuf, cap, &c);
	isotp_tx_init(&tx, &c);
	mlen = (size_t)data[1] * 16 + 1;
	for (size_t i = 0; i < mlen; i++)
		txmsg[i] = (uint8_t)i;
	if (isotp_tx_start(&tx, txmsg, mlen, &tf) != 0)
		__builtin_trap();
	for (off = 2; off + 9 <= size; off += 9) {
		memset(&f, 0, sizeof(f));
		f.len = data[off] % 9;
		memcpy(f.data, data + off + 1, 8);
		(void)isotp_rx_feed(&rx, &f, &res);
		if (res.complete) {
			if (res.msg_len > cap || res.msg_len == 0)
				__builtin_trap();
			check_uds(rxbuf, res.msg_len);
		}
		if (rx.active && (rx.got > rx.msg_len || rx.msg_len > cap))
			__builtin_trap();
		if (res.send_fc && (res.fc.len < 3 || res.fc.len > 8))
			__builtin_trap();
		if (tx.state == ISOTP_TX_WAIT_FC) {
			(void)isotp_tx_on_fc(&tx, &f);
		}
		while (tx.state == ISOTP_TX_SEND_CF) {
			if (isotp_tx_next(&tx, &tf) != 0 || tf.len > 8 || tx.off > tx.len)
				__builtin_trap();
		}
	}
	/* the trailing bytes as one whole UDS message */
	if (off < size)
		check_uds(data + off, size - off);
	return 0;
}
