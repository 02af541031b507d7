/* ISO-TP configuration defaults and frame helpers shared by rx and tx. */
#include <string.h>

#include "isotp.h"
#include "isotp_frame.h"

void isotp_config_default(struct isotp_config *c, uint32_t tx_id, uint32_t rx_id)
{
	memset(c, 0, sizeof(*c));
	c->tx_id = tx_id;
	c->rx_id = rx_id;
	c->block_size = 0;
	c->stmin = 0;
	c->padding = 1;
	c->pad_byte = ISOTP_DEFAULT_PAD_BYTE;
	c->n_bs_ms = ISOTP_DEFAULT_N_BS_MS;
	c->n_cr_ms = ISOTP_DEFAULT_N_CR_MS;
	c->n_as_ms = ISOTP_DEFAULT_N_BS_MS;
	c->wft_max = ISOTP_DEFAULT_WFT_MAX;
}

uint32_t isotp_stmin_to_us(uint8_t stmin)
{
	if (stmin <= 0x7F)
		return (uint32_t)stmin * 1000u;
	if (stmin >= 0xF1 && stmin <= 0xF9)
		return (uint32_t)(stmin - 0xF0) * 100u;
	return 127000u;
}

void isotp_frame_finish(struct can_frame_pl *f, size_t used, int padding, uint8_t pad_byte)
{
	if (padding) {
		memset(f->data + used, pad_byte, CAN_PL_MAX_DLEN - used);
		f->len = CAN_PL_MAX_DLEN;
	} else {
		memset(f->data + used, 0, CAN_PL_MAX_DLEN - used);
		f->len = (uint8_t)used;
	}
}
