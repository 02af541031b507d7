/* The co-signer's approvers file (rules.h): technician CN -> operations they may approve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "pl_file.h"
#include "request.h"
#include "rules.h"

static int approver_line(void *ctx, const struct cosign_line *ln, char *msg, size_t msglen)
{
	struct cosign_approvers *a = ctx;
	struct cosign_approver ap;
	size_t cnlen = strlen(ln->word[0]);

	memset(&ap, 0, sizeof(ap));
	if (ln->nwords < 2 || ln->nwords > 1 + COSIGN_APPROVER_OPS_MAX) {
		snprintf(msg, msglen, "write 'TECHNICIAN_CN OP [OP ...]' (1..%d operations)",
		         COSIGN_APPROVER_OPS_MAX);
		return PL_E_COS_APPROVERS_FILE;
	}
	if (cnlen >= sizeof(ap.cn)) {
		snprintf(msg, msglen, "technician CN longer than %zu bytes", sizeof(ap.cn) - 1);
		return PL_E_COS_APPROVERS_FILE;
	}
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->a[i].cn, ln->word[0]) == 0) {
			snprintf(msg, msglen, "technician %.64s is listed twice", ln->word[0]);
			return PL_E_COS_APPROVERS_FILE;
		}
	if (a->n == COSIGN_APPROVERS_MAX) {
		snprintf(msg, msglen, "more than %d approvers", COSIGN_APPROVERS_MAX);
		return PL_E_COS_APPROVERS_FILE;
	}
	memcpy(ap.cn, ln->word[0], cnlen + 1);
	for (size_t i = 1; i < ln->nwords; i++) {
		if (!request_op_valid(ln->word[i], strlen(ln->word[i]))) {
			snprintf(msg, msglen,
			         "'%.40s' is not an operation name like ignition.enable",
			         ln->word[i]);
			return PL_E_COS_APPROVERS_FILE;
		}
		memcpy(ap.op[ap.nops++], ln->word[i], strlen(ln->word[i]) + 1);
	}
	a->a[a->n++] = ap;
	return 0;
}

int cosign_approvers_parse(const char *name, const char *text, size_t len,
                           struct cosign_approvers *out, char *err, size_t errlen)
{
	struct cosign_approvers *a = calloc(1, sizeof(*a));
	int r;

	if (a == NULL)
		return PL_E_NOMEM;
	r = cosign_words_walk(name, text, len, PL_E_COS_APPROVERS_FILE, approver_line, a, err,
	                      errlen);
	if (r == 0)
		*out = *a;
	free(a);
	return r;
}

int cosign_approvers_load(const char *path, struct cosign_approvers *out, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = pl_read_file(path, COSIGN_RULES_FILE_MAX, &buf, &len)) != 0) {
		snprintf(err, errlen, "approvers %s: cannot read it: %s", path, pl_strerror(r));
		return r;
	}
	r = cosign_approvers_parse(path, (const char *)buf, len, out, err, errlen);
	free(buf);
	return r;
}

int cosign_approver_may(const struct cosign_approvers *a, const char *cn, const char *op)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->a[i].cn, cn) != 0)
			continue;
		for (size_t k = 0; k < a->a[i].nops; k++)
			if (strcmp(a->a[i].op[k], op) == 0)
				return 1;
		return 0;
	}
	return 0;
}
