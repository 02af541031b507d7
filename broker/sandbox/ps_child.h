/*
 * What the three children (signer, decider, front end) do to themselves and
 * share: start-up failure, signals, the privilege drop, the monitor channel.
 */
#ifndef PITLANE_SANDBOX_CHILD_H
#define PITLANE_SANDBOX_CHILD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ps_config.h"
#include "ps_msg.h"

/* Logs startup_failed with msg and err, exits 1 (the monitor sees it). */
void ps_child_fail(const char *msg, int err) __attribute__((noreturn));

/* Blocks SIGTERM, SIGINT, SIGHUP and returns a signalfd for them (-1 on failure). */
int ps_child_signals(void);

/*
 * Nonzero when privileges are dropped before the modules open: not root, or
 * root without the configured user (then uid 0 stays, without capabilities,
 * and the module threads must not inherit any). Zero when root with the user:
 * the PIN file / database are opened as root, then the user is taken.
 */
int ps_drop_early(const struct ps_config *pc);

/*
 * Drops what role does not need (ps_drop.c): the user when root (for the
 * front end first a chroot to a new empty directory made under empty_dir and
 * deleted at once), PR_SET_NO_NEW_PRIVS, the capability
 * bounding set and every capability, then the role's seccomp allow-list and
 * Landlock rules. Logs what it kept. err gets one sentence on failure.
 */
int ps_drop(enum ps_role role, const struct ps_config *pc, const struct broker_config *c,
            const char *empty_dir, char *err, size_t errlen);

/*
 * A Landlock ruleset (fd, or -1) handling every file and network right and
 * scope that kernel ABI abi knows, granting none; *handled_fs (may be NULL)
 * gets the file rights handled.
 */
int ps_landlock_ruleset(long abi, uint64_t *handled_fs);

/*
 * The cosigner-client's Landlock (no files, TCP connect to the co-signer's
 * port) and seccomp list (ps_drop_cosigner.c); ps_drop() calls it.
 */
int ps_drop_cosigner(const struct broker_config *c, int *abi, int *sc, char *err, size_t errlen);

/* Closes every descriptor above 2 that is not in keep[0..n) (the monitor, after fork). */
void ps_close_except(const int *keep, size_t n);

/* Child side of the monitor channel. */
int ps_ctl_ready(struct ps_chan *ctl, enum ps_role self);
int ps_ctl_peer_bad(struct ps_chan *ctl, enum ps_role peer);

/*
 * Re-exec (ps_exec.c). The monitor's forked child calls ps_child_reexec():
 * it executes /proc/self/exe as "pitlaned: ROLE --privsep-child ROLE ctl=N
 * [api=N admin=N]" with those descriptors kept; it returns only by exiting.
 */
#define PS_CHILD_FLAG "--privsep-child"
void ps_child_reexec(enum ps_role role, int ctl, int api, int admin) __attribute__((noreturn));

struct ps_exec_args {
	enum ps_role role;
	int ctl, api, admin; /* api, admin: the front end's listeners (admin -1: none) */
};

/*
 * The re-executed child's command line: role and descriptors, each checked
 * (the channel a SOCK_SEQPACKET socket, the listeners listening TCP sockets)
 * and made close-on-exec again. Errors: PL_E_USAGE, PL_E_IO (err says what).
 */
int ps_exec_parse(int argc, char **argv, struct ps_exec_args *out, char *err, size_t errlen);

/*
 * Waits (10 s) for the monitor's PS_MC_BOOT on ctl, the first message, and
 * copies it to out. Errors: those of ps_recv(), PL_E_NOTFOUND (another type
 * first); err says which.
 */
int ps_child_boot(int ctl, struct ps_boot *out, char *err, size_t errlen);

#define PS_CRL_FILE_MAX (16u * 1024 * 1024)

/*
 * Reads what is left of fd (a file the monitor opened for a child that may
 * not open files: the crl on SIGHUP) into a new buffer; NULL when unreadable
 * or larger than max. The caller frees it and closes fd.
 */
uint8_t *ps_read_fd(int fd, size_t max, size_t *len);

#endif
