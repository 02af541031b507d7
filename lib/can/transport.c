/* Transport URI dispatch and checked wrappers around the vtable. */
#include <string.h>

#include "can_transport.h"
#include "pl_err.h"
#include "pl_err_can.h"

int can_frame_valid(const struct can_frame_pl *f)
{
	if (f == NULL || f->len > CAN_PL_MAX_DLEN)
		return 0;
	if (f->id & CAN_PL_EFF_FLAG)
		return (f->id & ~CAN_PL_EFF_FLAG) <= CAN_PL_EFF_MASK;
	return f->id <= CAN_PL_SFF_MASK;
}

int can_transport_open(const char *uri, const struct can_filter_ids *ids,
                       struct can_transport **out)
{
	static const char sc[] = "socketcan:";
	static const char lp[] = "loop:";

	if (uri == NULL || out == NULL)
		return PL_E_INVAL;
	*out = NULL;
	if (ids != NULL && ids->n > CAN_PL_MAX_FILTER_IDS)
		return PL_E_CAN_TOO_MANY_IDS;
	if (strncmp(uri, sc, sizeof(sc) - 1) == 0 && uri[sizeof(sc) - 1] != '\0')
		return can_socketcan_open(uri + sizeof(sc) - 1, ids, out);
	if (strncmp(uri, lp, sizeof(lp) - 1) == 0 && uri[sizeof(lp) - 1] != '\0')
		return can_loop_open(uri + sizeof(lp) - 1, ids, out);
	return PL_E_CAN_URI;
}

int can_transport_send(struct can_transport *t, const struct can_frame_pl *f, int timeout_ms)
{
	if (t == NULL || f == NULL || timeout_ms < 0)
		return PL_E_INVAL;
	if (!can_frame_valid(f))
		return PL_E_CAN_BAD_FRAME;
	return t->send(t, f, timeout_ms);
}

int can_transport_recv(struct can_transport *t, struct can_frame_pl *f, int timeout_ms)
{
	if (t == NULL || f == NULL || timeout_ms < 0)
		return PL_E_INVAL;
	return t->recv(t, f, timeout_ms);
}

void can_transport_close(struct can_transport *t)
{
	if (t != NULL)
		t->close(t);
}
