/*
 * pitlane error codes: one list, one strerror.
 *
 * Every function in pitlane returns 0 on success or a negative code. The codes, their
 * stable names and sentences are written once, in pl_err_all.def (the areas and their
 * ranges) and one pl_err_<area>.def per area; the enums and the tables are made from those
 * lists by the preprocessor. lib/token's codes (-1 .. -99, PLT_E_*) live in lib/token,
 * which has no dependencies; pl_strerror() and pl_errname() name those too.
 *
 * UDS negative response codes are not errors of ours: they are data (the ECU said no) and
 * travel separately (struct uds_result).
 */
#ifndef PITLANE_COMMON_ERR_H
#define PITLANE_COMMON_ERR_H

#include <stddef.h>

enum pl_err_common {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_common.def"
#undef PL_ERR
};

/* The last common code (tests walk the table down to it). */
#define PL_E_COMMON_LAST PL_E_NOT_DIR

/* A sentence describing err (never NULL; unknown codes get a generic text). */
const char *pl_strerror(int err);
/* A stable, machine-readable name for err, e.g. "secret_mode" (never NULL). */
const char *pl_errname(int err);

/* One entry of the lists (lib/token's codes are not in it). */
struct pl_err_info {
	int code;
	const char *symbol; /* "PL_E_SECRET_MODE" */
	const char *name;   /* "secret_mode" */
	const char *text;   /* the sentence */
};

/* One area of pl_err_all.def: it owns the codes first .. last (first > last). */
struct pl_err_area {
	const char *name;
	int first;
	int last;
};

/* Every entry of the lists, in list order; *n is the count. For tests and docs. */
const struct pl_err_info *pl_err_table(size_t *n);
/* Every area, lib/token's included, in list order; *n is the count. */
const struct pl_err_area *pl_err_areas(size_t *n);

#endif
