/* CAN link status/setup logic over a scripted struct can_link_ops (no CAN hardware needed). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "can_link.h"
#include "pl_err.h"
#include "pl_err_can.h"

static struct {
	enum can_link_kind kind;
	int controller;
	enum can_link_state state;
	uint32_t bitrate, restart_ms;
	int fail_stop, fail_bitrate, fail_restart, fail_start;
	char calls[128];
} fk;

static void call(const char *c)
{
	strncat(fk.calls, c, sizeof(fk.calls) - strlen(fk.calls) - 1);
}

static int f_kind(const char *ifname, enum can_link_kind *kind)
{
	*kind = fk.kind;
	return 0;
}

static int f_state(const char *ifname, enum can_link_state *s)
{
	if (!fk.controller)
		return -1;
	*s = fk.state;
	return 0;
}

static int f_bitrate(const char *ifname, uint32_t *b, uint32_t *sp)
{
	if (!fk.controller)
		return -1;
	*b = fk.bitrate;
	*sp = 875;
	return 0;
}

static int f_restart(const char *ifname, uint32_t *ms)
{
	if (!fk.controller)
		return -1;
	*ms = fk.restart_ms;
	return 0;
}

static int f_berr(const char *ifname, uint16_t *tx, uint16_t *rx)
{
	if (!fk.controller)
		return -1;
	*tx = 130;
	*rx = 7;
	return 0;
}

static int f_stop(const char *ifname)
{
	call("stop;");
	return fk.fail_stop;
}

static int f_start(const char *ifname)
{
	call("start;");
	return fk.fail_start;
}

static int f_set_bitrate(const char *ifname, uint32_t b)
{
	call("bitrate;");
	if (fk.fail_bitrate == 0)
		fk.bitrate = b;
	return fk.fail_bitrate;
}

static int f_set_restart(const char *ifname, uint32_t ms)
{
	call("restart;");
	if (fk.fail_restart == 0)
		fk.restart_ms = ms;
	return fk.fail_restart;
}

static const struct can_link_ops fake = {
	f_kind, f_state, f_bitrate, f_restart, f_berr, f_stop, f_start, f_set_bitrate, f_set_restart,
};

static void reset(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.kind = CAN_LINK_KIND_CAN;
	fk.controller = 1;
	fk.bitrate = 500000;
	fk.restart_ms = 100;
}

TestSuite(can_link, .init = reset);

Test(can_link, REQ_CAN_080_virtual_interface_is_an_answer_not_an_error)
{
	struct can_link_info li;
	char buf[512];

	fk.controller = 0;
	cr_assert_eq(can_link_status(&fake, "vcan0", &li), 0);
	cr_assert_eq(li.has_controller, 0);
	cr_assert_eq(can_link_format("vcan0", &li, buf, sizeof(buf)), 0);
	cr_assert_not_null(strstr(buf, "vcan0: virtual CAN interface"));
	cr_assert_not_null(strstr(buf, "no bus state, bitrate or restart-ms"));
}

Test(can_link, REQ_CAN_081_bus_off_and_error_passive_in_plain_words)
{
	struct can_link_info li;
	char buf[1024];

	fk.state = CAN_LINK_BUS_OFF;
	cr_assert_eq(can_link_status(&fake, "can0", &li), 0);
	cr_assert_eq(li.has_controller, 1);
	cr_assert_eq(li.state, CAN_LINK_BUS_OFF);
	cr_assert_eq(li.bitrate, 500000);
	cr_assert_eq(li.restart_ms, 100);
	cr_assert_eq(li.txerr, 130);
	cr_assert_eq(can_link_format("can0", &li, buf, sizeof(buf)), 0);
	cr_assert_not_null(strstr(buf, "can0: bus-off - too many errors: the controller has left"));
	cr_assert_not_null(strstr(buf, "bitrate:    500000 bit/s (sample point 87.5%)"));
	cr_assert_not_null(strstr(buf, "restart-ms: 100 (restarts automatically 100 ms after"));
	cr_assert_not_null(strstr(buf, "errors:     transmit 130, receive 7"));

	fk.state = CAN_LINK_ERROR_PASSIVE;
	fk.restart_ms = 0;
	cr_assert_eq(can_link_status(&fake, "can0", &li), 0);
	cr_assert_eq(can_link_format("can0", &li, buf, sizeof(buf)), 0);
	cr_assert_not_null(strstr(buf, "can0: error-passive - many errors"));
	cr_assert_not_null(strstr(buf, "restart-ms: 0 (no automatic restart after bus-off"));
	cr_assert_eq(can_link_format("can0", &li, buf, 40), PL_E_NOSPACE);

	cr_assert_str_eq(can_link_state_name(CAN_LINK_ERROR_ACTIVE), "error-active");
	cr_assert_str_eq(can_link_state_name(CAN_LINK_ERROR_WARNING), "error-warning");
	cr_assert_str_eq(can_link_state_name(CAN_LINK_STOPPED), "stopped");
	cr_assert_str_eq(can_link_state_name((enum can_link_state)42), "unknown");
}

Test(can_link, REQ_CAN_082_missing_or_non_can_interfaces)
{
	struct can_link_info li;

	fk.kind = CAN_LINK_KIND_MISSING;
	cr_assert_eq(can_link_status(&fake, "nope0", &li), PL_E_CAN_NO_IFACE);
	cr_assert_eq(can_link_setup(&fake, "nope0", 500000, 0, 0), PL_E_CAN_NO_IFACE);
	fk.kind = CAN_LINK_KIND_NOT_CAN;
	cr_assert_eq(can_link_status(&fake, "eth0", &li), PL_E_CAN_NOT_CAN);
	cr_assert_eq(can_link_setup(&fake, "eth0", 500000, 0, 0), PL_E_CAN_NOT_CAN);
	cr_assert_str_eq(fk.calls, "", "nothing was changed");
}

Test(can_link, REQ_CAN_083_setup_stops_sets_and_restarts)
{
	cr_assert_eq(can_link_setup(&fake, "can0", 250000, 1, 50), 0);
	cr_assert_str_eq(fk.calls, "stop;bitrate;restart;start;");
	cr_assert_eq(fk.bitrate, 250000);
	cr_assert_eq(fk.restart_ms, 50);
	reset();
	cr_assert_eq(can_link_setup(&fake, "can0", 125000, 0, 0), 0);
	cr_assert_str_eq(fk.calls, "stop;bitrate;start;");
	cr_assert_eq(fk.restart_ms, 100, "untouched without --restart-ms");
}

Test(can_link, REQ_CAN_084_setup_failures_have_their_own_codes)
{
	cr_assert_eq(can_link_setup(&fake, "can0", 0, 0, 0), PL_E_INVAL);
	fk.controller = 0;
	cr_assert_eq(can_link_setup(&fake, "vcan0", 500000, 0, 0), PL_E_CAN_LINK_SET);
	cr_assert_str_eq(fk.calls, "");
	reset();
	fk.fail_stop = -EPERM;
	cr_assert_eq(can_link_setup(&fake, "can0", 500000, 0, 0), PL_E_CAN_LINK_PERM);
	cr_assert_str_eq(fk.calls, "stop;");
	reset();
	fk.fail_bitrate = -EINVAL;
	cr_assert_eq(can_link_setup(&fake, "can0", 123, 1, 10), PL_E_CAN_LINK_SET);
	cr_assert_str_eq(fk.calls, "stop;bitrate;start;", "the link comes back up");
	cr_assert_eq(fk.bitrate, 500000);
	reset();
	fk.fail_start = -ENETDOWN;
	cr_assert_eq(can_link_setup(&fake, "can0", 500000, 0, 0), PL_E_CAN_LINK_SET);
}

Test(can_link, REQ_CAN_085_system_binding_on_this_machine)
{
	struct can_link_info li;

	/* Interfaces that certainly are not CAN, and one that does not exist. */
	cr_assert_eq(can_link_status(&can_link_system, "lo", &li), PL_E_CAN_NOT_CAN);
	cr_assert_eq(can_link_status(&can_link_system, "nosuchcan0", &li), PL_E_CAN_NO_IFACE);
	cr_assert_eq(can_link_status(&can_link_system, "a-name-far-too-long-for-linux", &li),
		     PL_E_CAN_NO_IFACE);
}
