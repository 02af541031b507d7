/* ISO-TP reassembly: a pure state machine, no clocks and no I/O. */
#include <string.h>

#include "isotp.h"
#include "isotp_frame.h"
#include "pl_err.h"
#include "pl_err_can.h"

void isotp_rx_init(struct isotp_rx *rx, uint8_t *buf, size_t cap, const struct isotp_config *c)
{
	memset(rx, 0, sizeof(*rx));
	rx->buf = buf;
	rx->cap = cap;
	rx->block_size = c->block_size;
	rx->stmin = c->stmin;
	rx->padding = c->padding;
	rx->pad_byte = c->pad_byte;
}

void isotp_rx_reset(struct isotp_rx *rx)
{
	rx->active = 0;
	rx->msg_len = 0;
	rx->got = 0;
	rx->next_sn = 0;
	rx->cf_in_block = 0;
}

static void rx_fc(struct isotp_rx *rx, struct isotp_rx_result *res, uint8_t fs)
{
	res->send_fc = 1;
	res->fc.id = 0;
	res->fc.data[0] = (uint8_t)(ISOTP_PCI_FC << 4 | fs);
	res->fc.data[1] = rx->block_size;
	res->fc.data[2] = rx->stmin;
	isotp_frame_finish(&res->fc, 3, rx->padding, rx->pad_byte);
}

static int rx_single(struct isotp_rx *rx, const struct can_frame_pl *f, struct isotp_rx_result *res,
                     int interrupted)
{
	size_t dl = f->data[0] & 0x0F;

	if (dl == 0 || dl > ISOTP_SF_MAX || dl > (size_t)f->len - 1)
		return PL_E_ISOTP_BAD_PCI;
	isotp_rx_reset(rx);
	if (dl > rx->cap)
		return PL_E_ISOTP_RX_OVERFLOW;
	memcpy(rx->buf, f->data + 1, dl);
	res->complete = 1;
	res->msg_len = dl;
	return interrupted ? PL_E_ISOTP_UNEXPECTED_FRAME : 0;
}

static int rx_first(struct isotp_rx *rx, const struct can_frame_pl *f, struct isotp_rx_result *res,
                    int interrupted)
{
	size_t dl, hdr;

	if (f->len != CAN_PL_MAX_DLEN)
		return PL_E_ISOTP_BAD_PCI;
	dl = (size_t)(f->data[0] & 0x0F) << 8 | f->data[1];
	hdr = 2;
	if (dl == 0) {
		dl = (size_t)f->data[2] << 24 | (size_t)f->data[3] << 16 | (size_t)f->data[4] << 8 |
		     f->data[5];
		hdr = 6;
		if (dl <= ISOTP_FF12_MAX)
			return PL_E_ISOTP_BAD_PCI; /* escape only for lengths above 4095 */
	} else if (dl <= ISOTP_SF_MAX) {
		return PL_E_ISOTP_BAD_PCI; /* would have fit a single frame */
	}
	isotp_rx_reset(rx);
	if (dl > rx->cap) {
		rx_fc(rx, res, ISOTP_FS_OVERFLOW);
		return PL_E_ISOTP_RX_OVERFLOW;
	}
	memcpy(rx->buf, f->data + hdr, CAN_PL_MAX_DLEN - hdr);
	rx->got = CAN_PL_MAX_DLEN - hdr;
	rx->msg_len = dl;
	rx->next_sn = 1;
	rx->active = 1;
	rx_fc(rx, res, ISOTP_FS_CTS);
	return interrupted ? PL_E_ISOTP_UNEXPECTED_FRAME : 0;
}

static int rx_consecutive(struct isotp_rx *rx, const struct can_frame_pl *f,
                          struct isotp_rx_result *res)
{
	size_t need;

	if (!rx->active)
		return PL_E_ISOTP_UNEXPECTED_CF;
	if ((f->data[0] & 0x0F) != rx->next_sn) {
		isotp_rx_reset(rx);
		return PL_E_ISOTP_BAD_SN;
	}
	need = rx->msg_len - rx->got;
	if (need > ISOTP_SF_MAX)
		need = ISOTP_SF_MAX;
	if ((size_t)f->len - 1 < need)
		return PL_E_ISOTP_BAD_PCI;
	memcpy(rx->buf + rx->got, f->data + 1, need);
	rx->got += need;
	rx->next_sn = (uint8_t)((rx->next_sn + 1) & 0x0F);
	if (rx->got == rx->msg_len) {
		res->complete = 1;
		res->msg_len = rx->msg_len;
		rx->active = 0;
		return 0;
	}
	if (rx->block_size != 0 && ++rx->cf_in_block == rx->block_size) {
		rx->cf_in_block = 0;
		rx_fc(rx, res, ISOTP_FS_CTS);
	}
	return 0;
}

int isotp_rx_feed(struct isotp_rx *rx, const struct can_frame_pl *f, struct isotp_rx_result *res)
{
	if (rx == NULL || f == NULL || res == NULL)
		return PL_E_INVAL;
	memset(res, 0, sizeof(*res));
	if (f->len < 1 || f->len > CAN_PL_MAX_DLEN)
		return PL_E_ISOTP_BAD_PCI;
	switch (f->data[0] >> 4) {
	case ISOTP_PCI_SF:
		return rx_single(rx, f, res, rx->active);
	case ISOTP_PCI_FF:
		return rx_first(rx, f, res, rx->active);
	case ISOTP_PCI_CF:
		return rx_consecutive(rx, f, res);
	case ISOTP_PCI_FC:
		return 0; /* flow control is for a sender */
	default:
		return PL_E_ISOTP_BAD_PCI;
	}
}
