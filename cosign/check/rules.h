/*
 * The co-signer's own rules, two small files it reads at start (never the
 * broker's policy): the hard limits file (`limits`) and the approvers file
 * (`approvers`). Both are lines of blank-separated words; '#' starts a
 * comment line. Mistakes are errors with "FILE:LINE: what; what to do".
 *
 * limits:
 *   operation OP max_ttl SECONDS max_exi SECONDS approval required|none
 *   velocity OP technician|workshop|vin|fleet COUNT/WINDOW_SECONDS
 * Every operation the co-signer signs has exactly one `operation` line (an
 * operation without one is refused, operation_not_cosigned); `velocity`
 * lines name an operation given above and may repeat with other windows.
 *
 * approvers:
 *   TECHNICIAN_CN OP [OP ...]
 * the technicians (certificate CN under the dealer CA) who may approve those
 * operations. Officers (certificate under officer_ca) may approve any.
 */
#ifndef PITLANE_COSIGN_RULES_H
#define PITLANE_COSIGN_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "pitlane/token.h"

#define COSIGN_OPS_MAX 32
#define COSIGN_RATES_MAX 8 /* velocity lines per operation */
#define COSIGN_APPROVERS_MAX 256
#define COSIGN_APPROVER_OPS_MAX 8
#define COSIGN_RULES_FILE_MAX (256 * 1024)
#define COSIGN_RULE_TEXT_MAX 80

enum cosign_scope {
	COSIGN_SCOPE_TECHNICIAN,
	COSIGN_SCOPE_WORKSHOP,
	COSIGN_SCOPE_VIN,
	COSIGN_SCOPE_FLEET,
	COSIGN_SCOPE_COUNT,
};

struct cosign_rate {
	enum cosign_scope scope;
	uint32_t count;                  /* at most count allowed ... */
	uint32_t window_s;               /* ... within the last window_s seconds */
	char text[COSIGN_RULE_TEXT_MAX]; /* "velocity OP SCOPE COUNT/WINDOW": the rule's name */
};

struct cosign_op_limits {
	char op[PLT_OP_MAX];
	uint32_t max_ttl; /* exp - iat, seconds */
	uint32_t max_exi; /* seconds */
	int approval;     /* 1: a second person's signed approval is required */
	struct cosign_rate rate[COSIGN_RATES_MAX];
	size_t nrates;
};

struct cosign_limits {
	struct cosign_op_limits op[COSIGN_OPS_MAX];
	size_t nops;
};

struct cosign_approver {
	char cn[64];
	char op[COSIGN_APPROVER_OPS_MAX][PLT_OP_MAX];
	size_t nops;
};

struct cosign_approvers {
	struct cosign_approver a[COSIGN_APPROVERS_MAX];
	size_t n;
};

extern const char *const cosign_scope_name[COSIGN_SCOPE_COUNT];

/* Parses text (len bytes) named name into *out. Errors: PL_E_COS_LIMITS_FILE (err: file:line). */
int cosign_limits_parse(const char *name, const char *text, size_t len, struct cosign_limits *out,
                        char *err, size_t errlen);
/* Reads and parses path. Errors: as above, or the file's (err says which). */
int cosign_limits_load(const char *path, struct cosign_limits *out, char *err, size_t errlen);
/* The operation's limits, or NULL when the file does not list it. */
const struct cosign_op_limits *cosign_limits_find(const struct cosign_limits *l, const char *op);

/* Same for the approvers file. Errors: PL_E_COS_APPROVERS_FILE. */
int cosign_approvers_parse(const char *name, const char *text, size_t len,
                           struct cosign_approvers *out, char *err, size_t errlen);
int cosign_approvers_load(const char *path, struct cosign_approvers *out, char *err, size_t errlen);
/* 1 when the technician cn may approve op. */
int cosign_approver_may(const struct cosign_approvers *a, const char *cn, const char *op);

/* ---- the line walker both files share (words.c) -------------------------- */
#define COSIGN_WORDS_MAX 16
#define COSIGN_LINE_MAX 1024

/* One line's words (NUL-terminated copies) and its number. */
struct cosign_line {
	char *word[COSIGN_WORDS_MAX];
	size_t nwords;
	unsigned lineno;
};

/*
 * Calls fn for every line with words (comments and blank lines skipped). A
 * control character, a NUL, a line over COSIGN_LINE_MAX bytes or over
 * COSIGN_WORDS_MAX words is an error (code). fn returns 0 or an error with
 * msg filled; err then gets "name:line: msg".
 */
int cosign_words_walk(const char *name, const char *text, size_t len, int code,
                      int (*fn)(void *ctx, const struct cosign_line *l, char *msg, size_t msglen),
                      void *ctx, char *err, size_t errlen);

#endif
