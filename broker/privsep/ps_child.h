/* What the three children share: start-up failure, signals, the monitor channel. */
#ifndef PITLANE_PRIVSEP_CHILD_H
#define PITLANE_PRIVSEP_CHILD_H

#include "privsep.h"

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

#endif
