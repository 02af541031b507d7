/*
 * pitlaned's privilege separation (docs/privsep.md).
 *
 *   monitor (pitlaned's first process: holds only the config and the bound
 *   |        listening sockets; forks, watches and restarts the others)
 *   +-- signer   the PIN file and the PKCS#11 session; its own hard limits (broker/signer)
 *   +-- decider  authentication, policy, audit database; asks the signer (broker/decider)
 *   +-- front    TLS key, HTTP, structural decoding; asks the decider only (broker/front)
 *
 * The children talk over SOCK_SEQPACKET socketpairs with the typed,
 * length-checked messages of broker/proto. The monitor hands the socketpairs
 * out (SCM_RIGHTS) and again after a restart, so a restarted process rejoins
 * without its peers restarting.
 */
#ifndef PITLANE_MONITOR_PRIVSEP_H
#define PITLANE_MONITOR_PRIVSEP_H

#include "config.h"
#include "ps_child.h"
#include "ps_config.h"

/*
 * Runs the monitor: binds the listeners, starts signer, decider and front end,
 * writes 'R' to notify (when >= 0) once all three are up, restarts crashed
 * children, forwards SIGHUP to the decider and stops all on SIGTERM/SIGINT.
 * Returns the exit status (0 clean, 1 start-up failure).
 */
int ps_monitor_run(const struct broker_config *c, const struct ps_config *pc, int notify);

/*
 * pitlaned -n: opens each process's part in turn in this one process (the
 * signer's HSM session, the decider's policy and database, the front end's
 * TLS context), serves nothing and closes them. err gets one sentence.
 */
int ps_check_all(const struct broker_config *c, char *err, size_t errlen);

#endif
