/*
 * pitlane-ecusim internals: options, trust anchors, state persistence and
 * event logging. The UDS logic itself is the pitlane_ecu library (ecu.h).
 */
#ifndef PITLANE_ECUSIM_H
#define PITLANE_ECUSIM_H

#include <stdint.h>

#include "ecu.h"

/* Exit codes (documented in --help and docs/vehicle.md). */
#define ECUSIM_EXIT_OK 0      /* clean shutdown on SIGTERM / SIGINT */
#define ECUSIM_EXIT_RUNTIME 1 /* the CAN transport or the state file failed while running */
#define ECUSIM_EXIT_USAGE 2   /* bad command line */
#define ECUSIM_EXIT_CONFIG 3  /* unusable trust anchor, state file, or transport at start */

#define ECUSIM_TRUST_MAX 8
#define ECUSIM_REQUIRE_MAX 8
#define ECUSIM_SIGNER_ROWS 16 /* one per catalogue operation, and the rest */

/* --require OP=ROLE[:K][,ROLE[:K]]: what one operation needs. */
struct ecusim_require {
	char op[PLT_OP_MAX + 1];
	uint8_t need[PLT_ROLE_COUNT];
};

struct ecusim_opts {
	const char *can_uri;
	const char *vin;
	const char *trust_paths[ECUSIM_TRUST_MAX];
	uint8_t trust_roles[ECUSIM_TRUST_MAX]; /* PLT_ROLE_* of each --trust */
	size_t ntrust;
	struct ecusim_require require[ECUSIM_REQUIRE_MAX];
	size_t nrequire;
	uint32_t tx_id;
	uint32_t rx_id;
	const char *state_path; /* NULL: no state file */
	uint32_t attempts;
	uint32_t lockout_s;
	uint32_t session_timeout_ms;
	uint32_t challenge_ttl_s;
	int trusted_clock;
	int verbose;
};

/* Parses argv; returns 0, 1 when --help/--version was printed, or PL_E_USAGE
 * (after printing what was wrong to stderr). */
int ecusim_opts_parse(int argc, char **argv, struct ecusim_opts *o);

/* ecusim_signers.c: "PEM[:ROLE]" of --trust (cuts the suffix off arg). */
int ecusim_trust_arg(char *arg, const char **path, uint8_t *role);
/* ecusim_signers.c: one --require value. */
int ecusim_require_parse(const char *arg, struct ecusim_require *out);
/* ecusim_signers.c: every --require names a catalogue operation once and
 * needs no more keys of a role than --trust gives. */
int ecusim_require_check(const struct ecusim_opts *o);
/* ecusim_signers.c: the signer rows the ECU enforces (and logs them): one per
 * catalogue operation from --require or the default, then broker 1 for the
 * rest. Default: broker 1; with a co-signer key, ignition.enable and
 * key.learn need broker 1 + cosigner 1. */
void ecusim_signers_build(const struct ecusim_opts *o, struct plt_threshold *rows, size_t *nrows);
const char *ecusim_role_name(uint8_t role);

/* Loads every --trust PEM into anchors[]; logs and returns an error for the
 * first unusable file. */
int ecusim_trust_load(const struct ecusim_opts *o, struct plt_trust_anchor *anchors, size_t *count);

/* Reads the state file if it exists (*found = 0 when it does not); logs and
 * returns an error when it is malformed or belongs to another VIN. */
int ecusim_state_load(const char *path, const char *vin, struct ecu_vehicle *v, int *found);
/* Rewrites the state file atomically (write, fsync, rename). */
int ecusim_state_save(const char *path, const struct ecu_status *st);
/* Logs the state as one key=value line. */
void ecusim_state_log(const struct ecu_status *st);

/* on_event callback: one log line per event. */
void ecusim_log_event(void *ctx, const struct ecu_event *ev);

#endif
