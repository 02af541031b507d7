/*
 * CAN link management: read and set the controller state of a SocketCAN
 * interface (state, bitrate, restart-ms, error counters).
 *
 * The netlink calls (libsocketcan) sit behind struct can_link_ops so the
 * logic above them can be tested without CAN hardware; can_link_system is
 * the real binding. A virtual interface (vcan) has no controller: status
 * then reports has_controller = 0, which is an answer, not an error.
 */
#ifndef PITLANE_CAN_LINK_H
#define PITLANE_CAN_LINK_H

#include <stddef.h>
#include <stdint.h>

enum can_link_state {
	CAN_LINK_ERROR_ACTIVE = 0,
	CAN_LINK_ERROR_WARNING,
	CAN_LINK_ERROR_PASSIVE,
	CAN_LINK_BUS_OFF,
	CAN_LINK_STOPPED,
	CAN_LINK_SLEEPING,
	CAN_LINK_UNKNOWN,
};

enum can_link_kind {
	CAN_LINK_KIND_MISSING = 0, /* no interface of that name */
	CAN_LINK_KIND_NOT_CAN,     /* exists, but not a CAN interface (e.g. eth0) */
	CAN_LINK_KIND_CAN,
};

struct can_link_ops {
	/* Kind of interface; 0 or PL_E_IO. */
	int (*kind)(const char *ifname, enum can_link_kind *kind);
	/* Each getter: 0, or -1 when the interface has no such controller data. */
	int (*get_state)(const char *ifname, enum can_link_state *state);
	int (*get_bitrate)(const char *ifname, uint32_t *bitrate, uint32_t *sample_point);
	int (*get_restart_ms)(const char *ifname, uint32_t *restart_ms);
	int (*get_berr)(const char *ifname, uint16_t *txerr, uint16_t *rxerr);
	/* Setters: 0, or a negative errno (e.g. -EPERM, -EOPNOTSUPP, -EBUSY). */
	int (*stop)(const char *ifname);
	int (*start)(const char *ifname);
	int (*set_bitrate)(const char *ifname, uint32_t bitrate);
	int (*set_restart_ms)(const char *ifname, uint32_t restart_ms);
};

/* The real binding: ioctl for the kind, libsocketcan for the rest. */
extern const struct can_link_ops can_link_system;

struct can_link_info {
	int has_controller; /* 0: virtual interface, the fields below are unset */
	enum can_link_state state;
	uint32_t bitrate;      /* bit/s, 0 = not configured */
	uint32_t sample_point; /* tenths of a percent */
	int have_restart_ms;
	uint32_t restart_ms; /* 0 = no automatic restart after bus-off */
	int have_berr;
	uint16_t txerr, rxerr;
};

/*
 * Reads the link. Errors: PL_E_CAN_NO_IFACE, PL_E_CAN_NOT_CAN,
 * PL_E_CAN_LINK_QUERY (the interface kind could not be read). *info is written only on success.
 */
int can_link_status(const struct can_link_ops *ops, const char *ifname, struct can_link_info *info);
/*
 * Sets bitrate (and restart-ms when have_restart): stop, set, start.
 * Errors: PL_E_CAN_NO_IFACE, PL_E_CAN_NOT_CAN, PL_E_CAN_LINK_SET
 * (virtual interface or refused), PL_E_CAN_LINK_PERM (needs CAP_NET_ADMIN).
 */
int can_link_setup(const struct can_link_ops *ops, const char *ifname, uint32_t bitrate,
                   int have_restart, uint32_t restart_ms);

/* "error-active", "bus-off", ... */
const char *can_link_state_name(enum can_link_state s);
/* One sentence in plain words on what the state means and what to do. */
const char *can_link_state_text(enum can_link_state s);

/*
 * Renders info for a technician in plain words (several lines, each ending
 * in a newline) into buf. PL_E_NOSPACE when cap is too small.
 */
int can_link_format(const char *ifname, const struct can_link_info *info, char *buf, size_t cap);

#endif
