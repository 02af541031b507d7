/* ISO-TP segmentation: a pure state machine, no clocks and no I/O. */
#include <stdint.h>
#include <string.h>

#include "isotp.h"
#include "isotp_frame.h"
#include "pl_err.h"
#include "pl_err_can.h"

void isotp_tx_init(struct isotp_tx *tx, const struct isotp_config *c)
{
	memset(tx, 0, sizeof(*tx));
	tx->state = ISOTP_TX_IDLE;
	tx->wft_max = c->wft_max;
	tx->padding = c->padding;
	tx->pad_byte = c->pad_byte;
}

int isotp_tx_start(struct isotp_tx *tx, const uint8_t *msg, size_t len, struct can_frame_pl *f)
{
	if (tx == NULL || f == NULL || (msg == NULL && len != 0))
		return PL_E_INVAL;
	if (len == 0 || (uint64_t)len > UINT32_MAX)
		return PL_E_ISOTP_MSG_SIZE;
	tx->msg = msg;
	tx->len = len;
	tx->waits = 0;
	tx->sn = 1;
	f->id = 0;
	if (len <= ISOTP_SF_MAX) {
		f->data[0] = (uint8_t)len;
		memcpy(f->data + 1, msg, len);
		isotp_frame_finish(f, 1 + len, tx->padding, tx->pad_byte);
		tx->off = len;
		tx->state = ISOTP_TX_DONE;
		return 0;
	}
	if (len <= ISOTP_FF12_MAX) {
		f->data[0] = (uint8_t)(ISOTP_PCI_FF << 4 | (len >> 8));
		f->data[1] = (uint8_t)len;
		tx->off = 6;
	} else {
		f->data[0] = ISOTP_PCI_FF << 4;
		f->data[1] = 0;
		f->data[2] = (uint8_t)(len >> 24);
		f->data[3] = (uint8_t)(len >> 16);
		f->data[4] = (uint8_t)(len >> 8);
		f->data[5] = (uint8_t)len;
		tx->off = 2;
	}
	memcpy(f->data + CAN_PL_MAX_DLEN - tx->off, msg, tx->off);
	f->len = CAN_PL_MAX_DLEN;
	tx->state = ISOTP_TX_WAIT_FC;
	return 0;
}

int isotp_tx_on_fc(struct isotp_tx *tx, const struct can_frame_pl *f)
{
	if (tx == NULL || f == NULL)
		return PL_E_INVAL;
	if (tx->state != ISOTP_TX_WAIT_FC)
		return PL_E_ISOTP_STATE;
	if (f->len < 1 || f->len > CAN_PL_MAX_DLEN)
		return PL_E_ISOTP_BAD_PCI;
	if (f->data[0] >> 4 != ISOTP_PCI_FC)
		return PL_E_ISOTP_UNEXPECTED_FRAME;
	if (f->len < 3)
		return PL_E_ISOTP_BAD_PCI;
	switch (f->data[0] & 0x0F) {
	case ISOTP_FS_CTS:
		tx->bs = f->data[1];
		tx->bs_left = tx->bs;
		tx->st_us = isotp_stmin_to_us(f->data[2]);
		tx->waits = 0;
		tx->state = ISOTP_TX_SEND_CF;
		return 0;
	case ISOTP_FS_WAIT:
		if (++tx->waits > tx->wft_max) {
			tx->state = ISOTP_TX_IDLE;
			return PL_E_ISOTP_WAIT_LIMIT;
		}
		return 0;
	case ISOTP_FS_OVERFLOW:
		tx->state = ISOTP_TX_IDLE;
		return PL_E_ISOTP_FC_OVERFLOW;
	default:
		tx->state = ISOTP_TX_IDLE;
		return PL_E_ISOTP_BAD_FC;
	}
}

int isotp_tx_next(struct isotp_tx *tx, struct can_frame_pl *f)
{
	size_t n;

	if (tx == NULL || f == NULL)
		return PL_E_INVAL;
	if (tx->state != ISOTP_TX_SEND_CF)
		return PL_E_ISOTP_STATE;
	n = tx->len - tx->off;
	if (n > ISOTP_SF_MAX)
		n = ISOTP_SF_MAX;
	f->id = 0;
	f->data[0] = (uint8_t)(ISOTP_PCI_CF << 4 | tx->sn);
	memcpy(f->data + 1, tx->msg + tx->off, n);
	isotp_frame_finish(f, 1 + n, tx->padding, tx->pad_byte);
	tx->off += n;
	tx->sn = (uint8_t)((tx->sn + 1) & 0x0F);
	if (tx->off == tx->len) {
		tx->state = ISOTP_TX_DONE;
	} else if (tx->bs != 0 && --tx->bs_left == 0) {
		tx->waits = 0;
		tx->state = ISOTP_TX_WAIT_FC;
	}
	return 0;
}
