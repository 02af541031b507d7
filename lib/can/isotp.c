/* ISO-TP over a struct can_transport: timeouts and STmin pacing around the pure state machines. */
#include <stdlib.h>
#include <string.h>

#include "can_clock.h"
#include "isotp.h"
#include "pl_err.h"
#include "pl_err_can.h"

struct isotp {
	struct can_transport *t;
	struct isotp_config c;
};

int isotp_open(struct can_transport *t, const struct isotp_config *c, struct isotp **out)
{
	struct isotp *tp;

	if (t == NULL || c == NULL || out == NULL)
		return PL_E_INVAL;
	*out = NULL;
	if (c->n_bs_ms < 0 || c->n_cr_ms < 0 || c->n_as_ms < 0)
		return PL_E_INVAL;
	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return PL_E_NOMEM;
	tp->t = t;
	tp->c = *c;
	*out = tp;
	return 0;
}

void isotp_free(struct isotp *tp)
{
	free(tp);
}

const struct isotp_config *isotp_get_config(const struct isotp *tp)
{
	return &tp->c;
}

static int tp_send_frame(struct isotp *tp, struct can_frame_pl *f)
{
	f->id = tp->c.tx_id;
	return can_transport_send(tp->t, f, tp->c.n_as_ms);
}

/* Waits for the FC that lets a transfer go on (N_Bs restarts after every WAIT). */
static int tp_wait_fc(struct isotp *tp, struct isotp_tx *tx)
{
	uint64_t deadline = can_clock_us() + (uint64_t)tp->c.n_bs_ms * 1000u;
	struct can_frame_pl f;
	int r;

	while (tx->state == ISOTP_TX_WAIT_FC) {
		r = can_transport_recv(tp->t, &f, can_clock_left_ms(deadline));
		if (r == PL_E_CAN_RX_TIMEOUT)
			return PL_E_ISOTP_TIMEOUT_BS;
		if (r != 0)
			return r;
		if (f.id != tp->c.rx_id)
			continue;
		r = isotp_tx_on_fc(tx, &f);
		if (r == PL_E_ISOTP_UNEXPECTED_FRAME || r == PL_E_ISOTP_BAD_PCI)
			continue;
		if (r != 0)
			return r;
		if (tx->state == ISOTP_TX_WAIT_FC)
			deadline = can_clock_us() + (uint64_t)tp->c.n_bs_ms * 1000u;
	}
	return 0;
}

int isotp_send(struct isotp *tp, const uint8_t *msg, size_t len)
{
	struct isotp_tx tx;
	struct can_frame_pl f;
	uint64_t last_cf = 0;
	int r, first_in_block = 1;

	if (tp == NULL)
		return PL_E_INVAL;
	isotp_tx_init(&tx, &tp->c);
	if ((r = isotp_tx_start(&tx, msg, len, &f)) != 0)
		return r;
	if ((r = tp_send_frame(tp, &f)) != 0)
		return r;
	while (tx.state != ISOTP_TX_DONE) {
		if (tx.state == ISOTP_TX_WAIT_FC) {
			if ((r = tp_wait_fc(tp, &tx)) != 0)
				return r;
			first_in_block = 1;
			continue;
		}
		/* STmin separates consecutive frames; the first after an FC may go at once. */
		if (!first_in_block && tx.st_us != 0)
			can_clock_sleep_until(last_cf + tx.st_us);
		if ((r = isotp_tx_next(&tx, &f)) != 0)
			return r;
		if ((r = tp_send_frame(tp, &f)) != 0)
			return r;
		last_cf = can_clock_us();
		first_in_block = 0;
	}
	return 0;
}

int isotp_recv(struct isotp *tp, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct isotp_rx rx;
	struct isotp_rx_result res;
	struct can_frame_pl f;
	uint64_t deadline, cr_deadline = 0;
	int r, fr;

	if (tp == NULL || buf == NULL || len == NULL || timeout_ms < 0)
		return PL_E_INVAL;
	isotp_rx_init(&rx, buf, cap, &tp->c);
	deadline = can_clock_us() + (uint64_t)timeout_ms * 1000u;
	for (;;) {
		r = can_transport_recv(tp->t, &f,
		                       can_clock_left_ms(rx.active ? cr_deadline : deadline));
		if (r == PL_E_CAN_RX_TIMEOUT)
			return rx.active ? PL_E_ISOTP_TIMEOUT_CR : PL_E_ISOTP_RX_TIMEOUT;
		if (r != 0)
			return r;
		if (f.id != tp->c.rx_id)
			continue;
		fr = isotp_rx_feed(&rx, &f, &res);
		if (res.send_fc && (r = tp_send_frame(tp, &res.fc)) != 0)
			return r;
		if (fr == PL_E_ISOTP_RX_OVERFLOW || fr == PL_E_ISOTP_BAD_SN)
			return fr;
		if (res.complete) {
			*len = res.msg_len;
			return 0;
		}
		/* Stray CFs, malformed frames and FCs are ignored; accepted frames restart N_Cr. */
		if (rx.active && (fr == 0 || fr == PL_E_ISOTP_UNEXPECTED_FRAME) &&
		    (f.data[0] >> 4) != ISOTP_PCI_FC)
			cr_deadline = can_clock_us() + (uint64_t)tp->c.n_cr_ms * 1000u;
	}
}
