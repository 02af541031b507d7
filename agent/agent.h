/*
 * Helpers shared by the commands: the configuration, the exit status of an
 * error code, the technician-facing error line, JSON string output.
 */
#ifndef PITLANE_AGENT_AGENT_H
#define PITLANE_AGENT_AGENT_H

#include <stdio.h>

struct agent_config;

/* Loads path (NULL: the default or $PITLANE_AGENT_CONF); prints the error; CMD_* status. */
int agent_load_config(const char *path, struct agent_config *c);
/* The CMD_* exit status for a PL_E_* code of a failed step. */
int agent_exit_for(int err);
/* "pitlane: <msg>" on stderr (the one place an error is reported). */
void agent_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes s as a JSON string (with quotes). */
void agent_json_str(FILE *f, const char *s);
/* A CBOR text value into out[cap] (truncated, NUL-terminated), control characters as '?'. */
struct plt_bytes;
void agent_copy_text(const struct plt_bytes *v, char *out, size_t cap);
/* Advice for the technician after an ECU negative response (never NULL). */
const char *agent_nrc_advice(unsigned char nrc);

#endif
