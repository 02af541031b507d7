/*
 * libFuzzer target: the co-signer's two rules files (cosign/check/limits.c,
 * approvers.c), read from the same bytes. Parsed files are checked against
 * the parsers' promises (bounded counts, valid names, sane limits).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_limits(const struct cosign_limits *l)
{
	if (l->nops == 0 || l->nops > COSIGN_OPS_MAX)
		abort();
	for (size_t i = 0; i < l->nops; i++) {
		const struct cosign_op_limits *o = &l->op[i];

		if (!request_op_valid(o->op, strlen(o->op)) || o->max_ttl == 0 || o->max_exi == 0 ||
		    o->nrates > COSIGN_RATES_MAX || cosign_limits_find(l, o->op) != o)
			abort();
		for (size_t k = 0; k < o->nrates; k++)
			if (o->rate[k].count == 0 || o->rate[k].window_s == 0 ||
			    o->rate[k].scope >= COSIGN_SCOPE_COUNT)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cosign_limits l;
	static struct cosign_approvers a;
	char err[256];

	if (cosign_limits_parse("fuzz", (const char *)data, size, &l, err, sizeof(err)) == 0)
		check_limits(&l);
	if (cosign_approvers_parse("fuzz", (const char *)data, size, &a, err, sizeof(err)) == 0) {
		if (a.n > COSIGN_APPROVERS_MAX)
			abort();
		for (size_t i = 0; i < a.n; i++)
			if (a.a[i].nops == 0 || a.a[i].nops > COSIGN_APPROVER_OPS_MAX ||
			    !cosign_approver_may(&a, a.a[i].cn, a.a[i].op[0]))
				abort();
	}
	return 0;
}
