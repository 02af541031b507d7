/* CAN link status and setup above struct can_link_ops. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "can_link.h"
#include "pl_err.h"
#include "pl_err_can.h"

static const struct {
	const char *name;
	const char *text;
} states[] = {
    [CAN_LINK_ERROR_ACTIVE] = {"error-active",
                               "healthy: the controller takes part in bus traffic normally"},
    [CAN_LINK_ERROR_WARNING] = {"error-warning",
                                "errors are being counted (96 or more): traffic still flows, check "
                                "wiring, termination and bitrate"},
    [CAN_LINK_ERROR_PASSIVE] =
        {"error-passive",
         "many errors (128 or more): the controller may no longer flag errors on the bus; check "
         "cabling, termination (120 ohm at both ends) and that every node uses the same bitrate"},
    [CAN_LINK_BUS_OFF] =
        {"bus-off", "too many errors: the controller has left the bus and sends nothing; it "
                    "rejoins after restart-ms if set, or run: ip link set IFACE type can restart"},
    [CAN_LINK_STOPPED] = {"stopped", "the interface is down: ip link set IFACE up"},
    [CAN_LINK_SLEEPING] = {"sleeping", "the controller is in sleep mode"},
    [CAN_LINK_UNKNOWN] = {"unknown", "the driver reported a state pitlane does not know"},
};

const char *can_link_state_name(enum can_link_state s)
{
	if ((unsigned)s > CAN_LINK_UNKNOWN)
		s = CAN_LINK_UNKNOWN;
	return states[s].name;
}

const char *can_link_state_text(enum can_link_state s)
{
	if ((unsigned)s > CAN_LINK_UNKNOWN)
		s = CAN_LINK_UNKNOWN;
	return states[s].text;
}

static int check_kind(const struct can_link_ops *ops, const char *ifname)
{
	enum can_link_kind kind = CAN_LINK_KIND_MISSING;

	if (ops->kind(ifname, &kind) != 0)
		return PL_E_CAN_LINK_QUERY;
	if (kind == CAN_LINK_KIND_MISSING)
		return PL_E_CAN_NO_IFACE;
	if (kind != CAN_LINK_KIND_CAN)
		return PL_E_CAN_NOT_CAN;
	return 0;
}

int can_link_status(const struct can_link_ops *ops, const char *ifname, struct can_link_info *info)
{
	struct can_link_info li;
	int r;

	if (ops == NULL || ifname == NULL || info == NULL || ifname[0] == '\0')
		return PL_E_INVAL;
	if ((r = check_kind(ops, ifname)) != 0)
		return r;
	memset(&li, 0, sizeof(li));
	li.state = CAN_LINK_UNKNOWN;
	/* vcan and other controller-less CAN devices carry no link data. */
	if (ops->get_state(ifname, &li.state) != 0) {
		*info = li;
		return 0;
	}
	li.has_controller = 1;
	if ((unsigned)li.state > CAN_LINK_UNKNOWN)
		li.state = CAN_LINK_UNKNOWN;
	if (ops->get_bitrate(ifname, &li.bitrate, &li.sample_point) != 0) {
		li.bitrate = 0;
		li.sample_point = 0;
	}
	li.have_restart_ms = ops->get_restart_ms(ifname, &li.restart_ms) == 0;
	li.have_berr = ops->get_berr(ifname, &li.txerr, &li.rxerr) == 0;
	*info = li;
	return 0;
}

static int map_set(int e)
{
	if (e == -EPERM || e == -EACCES)
		return PL_E_CAN_LINK_PERM;
	return PL_E_CAN_LINK_SET;
}

int can_link_setup(const struct can_link_ops *ops, const char *ifname, uint32_t bitrate,
                   int have_restart, uint32_t restart_ms)
{
	enum can_link_state st;
	int r, e;

	if (ops == NULL || ifname == NULL || ifname[0] == '\0' || bitrate == 0)
		return PL_E_INVAL;
	if ((r = check_kind(ops, ifname)) != 0)
		return r;
	if (ops->get_state(ifname, &st) != 0)
		return PL_E_CAN_LINK_SET; /* a virtual interface has no bitrate */
	if ((e = ops->stop(ifname)) != 0)
		return map_set(e);
	if ((e = ops->set_bitrate(ifname, bitrate)) != 0) {
		r = map_set(e);
		goto restart;
	}
	if (have_restart && (e = ops->set_restart_ms(ifname, restart_ms)) != 0) {
		r = map_set(e);
		goto restart;
	}
	r = 0;
restart:
	/* Bring the link back up even when a setting was refused. */
	if ((e = ops->start(ifname)) != 0 && r == 0)
		r = map_set(e);
	return r;
}

/* Appends printf-style text to buf at *off; PL_E_NOSPACE once it does not fit. */
__attribute__((format(printf, 4, 5))) static int put(char *buf, size_t cap, size_t *off,
                                                     const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= cap)
		return PL_E_NOSPACE;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *off)
		return PL_E_NOSPACE;
	*off += (size_t)n;
	return 0;
}

int can_link_format(const char *ifname, const struct can_link_info *li, char *buf, size_t cap)
{
	size_t off = 0;
	int r;

	if (ifname == NULL || li == NULL || buf == NULL || cap == 0)
		return PL_E_INVAL;
	buf[0] = '\0';
	if (!li->has_controller)
		return put(buf, cap, &off,
		           "%s: virtual CAN interface (for example vcan): it has no controller, so "
		           "there is no bus state, bitrate or restart-ms to show.\n",
		           ifname);
	if ((r = put(buf, cap, &off, "%s: %s - %s\n", ifname, can_link_state_name(li->state),
	             can_link_state_text(li->state))) != 0)
		return r;
	if (li->bitrate != 0)
		r = put(buf, cap, &off, "  bitrate:    %u bit/s (sample point %u.%u%%)\n",
		        li->bitrate, li->sample_point / 10, li->sample_point % 10);
	else
		r = put(buf, cap, &off,
		        "  bitrate:    not configured (pitlane can setup %s --bitrate N)\n",
		        ifname);
	if (r != 0)
		return r;
	if (li->have_restart_ms) {
		if (li->restart_ms == 0)
			r = put(buf, cap, &off,
			        "  restart-ms: 0 (no automatic restart after bus-off: "
			        "set one with --restart-ms, e.g. 100)\n");
		else
			r = put(buf, cap, &off,
			        "  restart-ms: %u (restarts automatically %u ms after bus-off)\n",
			        li->restart_ms, li->restart_ms);
		if (r != 0)
			return r;
	}
	if (li->have_berr)
		r = put(buf, cap, &off,
		        "  errors:     transmit %u, receive %u (96 = warning, 128 = passive, "
		        "256 = bus-off)\n",
		        li->txerr, li->rxerr);
	return r;
}
