/*
 * The one strerror. Names and sentences come from the lists (pl_err_all.def); lib/token's
 * codes (-1 .. -99) from lib/token's own table.
 */
#include <stddef.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_err_audit.h"
#include "pl_err_can.h"
#include "pl_err_policy.h"
#include "pl_err_server.h"
#include "pl_err_signer.h"

static const struct pl_err_info table[] = {
#define PL_ERR_AREA(area, first, last)
#define PL_ERR(sym, code, name, text) {code, #sym, name, text},
#include "pl_err_all.def"
#undef PL_ERR
#undef PL_ERR_AREA
};

static const struct pl_err_area areas[] = {
#define PL_ERR_AREA(area, first, last) {#area, first, last},
#define PL_ERR(sym, code, name, text)
#include "pl_err_all.def"
#undef PL_ERR
#undef PL_ERR_AREA
};

/* Positions in table[], one per code. */
enum pl_err_index {
#define PL_ERR_AREA(area, first, last)
#define PL_ERR(sym, code, name, text) PL_ERR_INDEX_##sym,
#include "pl_err_all.def"
#undef PL_ERR
#undef PL_ERR_AREA
	PL_ERR_INDEX_COUNT
};

_Static_assert(PL_ERR_INDEX_COUNT == sizeof(table) / sizeof(table[0]), "one index per entry");

/* A switch, so that two entries with the same code do not compile ("duplicate case value"). */
static const struct pl_err_info *find(int err)
{
	switch (err) {
#define PL_ERR_AREA(area, first, last)
#define PL_ERR(sym, code, name, text)                                                              \
	case code:                                                                                 \
		return &table[PL_ERR_INDEX_##sym];
#include "pl_err_all.def"
#undef PL_ERR
#undef PL_ERR_AREA
	default:
		return NULL;
	}
}

static const char *lookup(int err, int name)
{
	const struct pl_err_info *e;

	if (err < 0 && err > -100)
		return name ? plt_errname(err) : plt_strerror(err);
	e = find(err);
	if (e == NULL)
		return NULL;
	return name ? e->name : e->text;
}

const char *pl_strerror(int err)
{
	const char *s = lookup(err, 0);
	return s ? s : "unknown error";
}

const char *pl_errname(int err)
{
	const char *s = lookup(err, 1);
	return s ? s : "unknown";
}

const struct pl_err_info *pl_err_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct pl_err_area *pl_err_areas(size_t *n)
{
	*n = sizeof(areas) / sizeof(areas[0]);
	return areas;
}
