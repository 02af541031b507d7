/*
 * socketcan:IFACE — a CAN_RAW socket bound to one interface. Non-blocking
 * socket plus poll() with explicit timeouts; the receive filter runs in the
 * kernel (CAN_RAW_FILTER). Error frames, RTR frames and CAN FD frames are
 * not delivered.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/can.h>
#include <linux/can/raw.h>

#include "can_clock.h"
#include "can_transport.h"
#include "pl_err.h"
#include "pl_err_can.h"

struct socketcan {
	struct can_transport base; /* first: the vtable */
	int fd;
};

static int map_errno(int e, int fallback)
{
	switch (e) {
	case ENETDOWN:
		return PL_E_CAN_IFACE_DOWN;
	case ENODEV:
	case ENXIO:
		return PL_E_CAN_NO_IFACE;
	default:
		return fallback;
	}
}

static int sc_send(struct can_transport *t, const struct can_frame_pl *f, int timeout_ms)
{
	struct socketcan *s = (struct socketcan *)t;
	uint64_t deadline = can_clock_us() + (uint64_t)timeout_ms * 1000u;
	struct can_frame cf;
	struct pollfd p;
	ssize_t n;
	int e;

	memset(&cf, 0, sizeof(cf));
	cf.can_id = (f->id & CAN_PL_EFF_FLAG) ? ((f->id & CAN_PL_EFF_MASK) | CAN_EFF_FLAG) : f->id;
	cf.len = f->len;
	memcpy(cf.data, f->data, f->len);
	for (;;) {
		n = write(s->fd, &cf, sizeof(cf));
		if (n == (ssize_t)sizeof(cf))
			return 0;
		if (n >= 0)
			return PL_E_CAN_SEND;
		e = errno;
		/* ENOBUFS: the interface queue is full; wait like for EAGAIN. */
		if (e != EAGAIN && e != EWOULDBLOCK && e != ENOBUFS && e != EINTR)
			return map_errno(e, PL_E_CAN_SEND);
		if (can_clock_us() >= deadline)
			return PL_E_CAN_TX_TIMEOUT;
		p.fd = s->fd;
		p.events = POLLOUT;
		p.revents = 0;
		/* ENOBUFS does not wake POLLOUT reliably: poll in short slices. */
		if (poll(&p, 1, e == ENOBUFS ? 1 : can_clock_left_ms(deadline)) < 0 &&
		    errno != EINTR)
			return PL_E_CAN_SEND;
	}
}

static int sc_recv(struct can_transport *t, struct can_frame_pl *f, int timeout_ms)
{
	struct socketcan *s = (struct socketcan *)t;
	uint64_t deadline = can_clock_us() + (uint64_t)timeout_ms * 1000u;
	struct can_frame cf;
	struct pollfd p;
	ssize_t n;
	int r;

	for (;;) {
		n = read(s->fd, &cf, sizeof(cf));
		if (n == (ssize_t)sizeof(cf)) {
			if (cf.can_id & (CAN_ERR_FLAG | CAN_RTR_FLAG) || cf.len > CAN_PL_MAX_DLEN)
				continue;
			f->id = (cf.can_id & CAN_EFF_FLAG)
			            ? ((cf.can_id & CAN_EFF_MASK) | CAN_PL_EFF_FLAG)
			            : (cf.can_id & CAN_SFF_MASK);
			f->len = cf.len;
			memset(f->data, 0, sizeof(f->data));
			memcpy(f->data, cf.data, cf.len);
			return 0;
		}
		if (n >= 0)
			continue; /* a CAN FD frame or a short read: not ours */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return map_errno(errno, PL_E_CAN_RECV);
		p.fd = s->fd;
		p.events = POLLIN;
		p.revents = 0;
		r = poll(&p, 1, can_clock_left_ms(deadline));
		if (r == 0)
			return PL_E_CAN_RX_TIMEOUT;
		if (r < 0 && errno != EINTR)
			return PL_E_CAN_RECV;
	}
}

static void sc_close(struct can_transport *t)
{
	struct socketcan *s = (struct socketcan *)t;

	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static int sc_set_filter(int fd, const struct can_filter_ids *ids)
{
	struct can_filter flt[CAN_PL_MAX_FILTER_IDS];
	size_t i;

	if (ids == NULL || ids->n == 0)
		return 0;
	for (i = 0; i < ids->n; i++) {
		if (ids->ids[i] & CAN_PL_EFF_FLAG) {
			flt[i].can_id = (ids->ids[i] & CAN_EFF_MASK) | CAN_EFF_FLAG;
			flt[i].can_mask = CAN_EFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG;
		} else {
			flt[i].can_id = ids->ids[i] & CAN_SFF_MASK;
			flt[i].can_mask = CAN_SFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG;
		}
	}
	if (setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, flt,
	               (socklen_t)(ids->n * sizeof(flt[0]))) != 0)
		return PL_E_IO;
	return 0;
}

int can_socketcan_open(const char *ifname, const struct can_filter_ids *ids,
                       struct can_transport **out)
{
	struct socketcan *s = NULL;
	struct sockaddr_can addr;
	unsigned int idx;
	int r;

	if (ifname == NULL || out == NULL)
		return PL_E_INVAL;
	*out = NULL;
	if (ids != NULL && ids->n > CAN_PL_MAX_FILTER_IDS)
		return PL_E_CAN_TOO_MANY_IDS;
	if (ifname[0] == '\0' || strlen(ifname) >= IF_NAMESIZE)
		return PL_E_CAN_URI;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PL_E_NOMEM;
	s->fd = socket(PF_CAN, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, CAN_RAW);
	if (s->fd < 0) {
		r = (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT) ? PL_E_CAN_NO_SOCKETCAN
		                                                        : PL_E_IO;
		goto out;
	}
	if ((idx = if_nametoindex(ifname)) == 0) {
		r = PL_E_CAN_NO_IFACE;
		goto out;
	}
	if ((r = sc_set_filter(s->fd, ids)) != 0)
		goto out;
	memset(&addr, 0, sizeof(addr));
	addr.can_family = AF_CAN;
	addr.can_ifindex = (int)idx;
	if (bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		r = map_errno(errno, PL_E_IO);
		goto out;
	}
	s->base.send = sc_send;
	s->base.recv = sc_recv;
	s->base.close = sc_close;
	s->base.kind = "socketcan";
	*out = &s->base;
	s = NULL;
	r = 0;
out:
	if (s != NULL)
		sc_close(&s->base);
	return r;
}
