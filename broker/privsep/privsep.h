/*
 * pitlaned's privilege separation (docs/privsep.md).
 *
 *   monitor (pitlaned's first process: holds only the config and the bound
 *   |        listening sockets; forks, watches and restarts the others)
 *   +-- signer   the PIN file and the PKCS#11 session; its own hard limits
 *   +-- decider  policy, audit database; asks the signer
 *   +-- front    TLS key, HTTP, request decoding; asks the decider only
 *
 * The children talk over SOCK_SEQPACKET socketpairs with the typed,
 * length-checked messages of ps_msg.h. The monitor hands the socketpairs out
 * (SCM_RIGHTS) and again after a restart, so a restarted process rejoins
 * without its peers restarting.
 */
#ifndef PITLANE_PRIVSEP_H
#define PITLANE_PRIVSEP_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "ps_msg.h"

#define PS_USER_MAX 64

/* The privsep settings of broker.conf (its `user` key, see ps_config.c). */
struct ps_config {
	char user[PS_USER_MAX];       /* unprivileged user when started as root ["pitlane"] */
	int user_set;                 /* given in the file (else the default) */
};

/* The privsep part of a loaded broker.conf. */
void ps_config_from_broker(const struct broker_config *c, struct ps_config *pc);
/* broker_config_load() plus the privsep keys. */
int ps_config_load(const char *path, struct broker_config *c, struct ps_config *pc, char *err,
		   size_t errlen);

/*
 * Runs the monitor: binds the listeners, starts signer, decider and front end,
 * writes 'R' to notify (when >= 0) once all three are up, restarts crashed
 * children, forwards SIGHUP to the decider and stops all on SIGTERM/SIGINT.
 * Returns the exit status (0 clean, 1 start-up failure).
 */
int ps_monitor_run(const struct broker_config *c, const struct ps_config *pc, int notify);

/* The children (never return). ctl: the channel to the monitor. */
void ps_signer_main(const struct broker_config *c, const struct ps_config *pc, int ctl)
	__attribute__((noreturn));
void ps_decider_main(const struct broker_config *c, const struct ps_config *pc, int ctl)
	__attribute__((noreturn));
void ps_front_main(const struct broker_config *c, const struct ps_config *pc, int ctl,
		   int api_fd, int admin_fd, const char *empty_dir) __attribute__((noreturn));

/*
 * Drops what role does not need (ps_drop.c): the user when root (for the
 * front end first a chroot to a new empty directory made under empty_dir and
 * deleted at once), PR_SET_NO_NEW_PRIVS, the capability
 * bounding set and every capability, then the role's seccomp allow-list and
 * Landlock rules. Logs what it kept. err gets one sentence on failure.
 */
int ps_drop(enum ps_role role, const struct ps_config *pc, const struct broker_config *c,
	    const char *empty_dir, char *err, size_t errlen);

/* Closes every descriptor above 2 that is not in keep[0..n). */
void ps_close_except(const int *keep, size_t n);

/* Child side of the monitor channel. */
int ps_ctl_ready(struct ps_chan *ctl, enum ps_role self);
int ps_ctl_peer_bad(struct ps_chan *ctl, enum ps_role peer);

#endif
