/* The real struct can_link_ops: an ioctl for the interface kind, libsocketcan for the rest. */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libsocketcan.h>

#include "can_link.h"
#include "pl_err.h"

static int sys_kind(const char *ifname, enum can_link_kind *kind)
{
	struct ifreq ifr;
	int fd, r;

	if (strlen(ifname) >= IFNAMSIZ || if_nametoindex(ifname) == 0) {
		*kind = CAN_LINK_KIND_MISSING;
		return 0;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return PL_E_IO;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (r != 0)
		return PL_E_IO;
	*kind = ifr.ifr_hwaddr.sa_family == ARPHRD_CAN ? CAN_LINK_KIND_CAN : CAN_LINK_KIND_NOT_CAN;
	return 0;
}

static int sys_get_state(const char *ifname, enum can_link_state *state)
{
	int s;

	if (can_get_state(ifname, &s) != 0)
		return -1;
	switch (s) {
	case CAN_STATE_ERROR_ACTIVE:
		*state = CAN_LINK_ERROR_ACTIVE;
		break;
	case CAN_STATE_ERROR_WARNING:
		*state = CAN_LINK_ERROR_WARNING;
		break;
	case CAN_STATE_ERROR_PASSIVE:
		*state = CAN_LINK_ERROR_PASSIVE;
		break;
	case CAN_STATE_BUS_OFF:
		*state = CAN_LINK_BUS_OFF;
		break;
	case CAN_STATE_STOPPED:
		*state = CAN_LINK_STOPPED;
		break;
	case CAN_STATE_SLEEPING:
		*state = CAN_LINK_SLEEPING;
		break;
	default:
		*state = CAN_LINK_UNKNOWN;
		break;
	}
	return 0;
}

static int sys_get_bitrate(const char *ifname, uint32_t *bitrate, uint32_t *sample_point)
{
	struct can_bittiming bt;

	memset(&bt, 0, sizeof(bt));
	if (can_get_bittiming(ifname, &bt) != 0)
		return -1;
	*bitrate = bt.bitrate;
	*sample_point = bt.sample_point;
	return 0;
}

static int sys_get_restart_ms(const char *ifname, uint32_t *restart_ms)
{
	__u32 v = 0;

	if (can_get_restart_ms(ifname, &v) != 0)
		return -1;
	*restart_ms = v;
	return 0;
}

static int sys_get_berr(const char *ifname, uint16_t *txerr, uint16_t *rxerr)
{
	struct can_berr_counter bc;

	memset(&bc, 0, sizeof(bc));
	if (can_get_berr_counter(ifname, &bc) != 0)
		return -1;
	*txerr = bc.txerr;
	*rxerr = bc.rxerr;
	return 0;
}

/* libsocketcan returns -1 and leaves the netlink error in errno when it has one. */
static int sys_result(int r)
{
	if (r == 0)
		return 0;
	return errno != 0 ? -errno : -EIO;
}

static int sys_stop(const char *ifname)
{
	errno = 0;
	return sys_result(can_do_stop(ifname));
}

static int sys_start(const char *ifname)
{
	errno = 0;
	return sys_result(can_do_start(ifname));
}

static int sys_set_bitrate(const char *ifname, uint32_t bitrate)
{
	errno = 0;
	return sys_result(can_set_bitrate(ifname, bitrate));
}

static int sys_set_restart_ms(const char *ifname, uint32_t restart_ms)
{
	errno = 0;
	return sys_result(can_set_restart_ms(ifname, restart_ms));
}

const struct can_link_ops can_link_system = {
    .kind = sys_kind,
    .get_state = sys_get_state,
    .get_bitrate = sys_get_bitrate,
    .get_restart_ms = sys_get_restart_ms,
    .get_berr = sys_get_berr,
    .stop = sys_stop,
    .start = sys_start,
    .set_bitrate = sys_set_bitrate,
    .set_restart_ms = sys_set_restart_ms,
};
