/*
 * Logging front end for programs (library code never logs).
 * One line per event on stderr, key=value form for journald and grep:
 *   level=error prog=pitlaned event=config_invalid file=broker.conf line=3 msg="..."
 * Values with spaces, quotes or '=' are quoted. Never log a PIN, key or token.
 */
#ifndef PITLANE_COMMON_LOG_H
#define PITLANE_COMMON_LOG_H

enum pl_log_level { PL_LOG_ERROR = 0, PL_LOG_WARN = 1, PL_LOG_INFO = 2, PL_LOG_DEBUG = 3 };

void pl_log_init(const char *prog, enum pl_log_level max_level);
/* The max_level of the last pl_log_init() (PL_LOG_INFO before any). */
enum pl_log_level pl_log_max_level(void);
/*
 * Logs event with key/value pairs: the variadic list is alternating
 * const char *key, const char *value, terminated by a NULL key.
 */
void pl_log(enum pl_log_level level, const char *event, ...);
/* Convenience: logs event with err=<name> msg=<sentence> plus the pairs. */
void pl_log_err(const char *event, int err, ...);
/*
 * Like pl_log, for events an outsider can repeat at will (refused connections,
 * TLS alerts): identical lines within a second are collapsed into one line a
 * second carrying repeated=N, and at most 50 distinct such lines are written a
 * second (the rest are counted in one event=log_suppressed line). Thread-safe.
 */
void pl_log_rl(enum pl_log_level level, const char *event, ...);
/* Writes the counts of collapsed lines whose second has passed (call about once a second). */
void pl_log_rl_flush(void);

#endif
