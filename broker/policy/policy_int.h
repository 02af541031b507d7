/*
 * Internal representation of a loaded policy (shared by the loader, the
 * decision function, the dump and the test runner). Nothing here is exported
 * beyond broker/policy.
 */
#ifndef PITLANE_BROKER_POLICY_INT_H
#define PITLANE_BROKER_POLICY_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "tz.h"

#define POL_ID_MAX 64                      /* ids and names, NUL included */
#define POL_OP_NAME_MAX 32                 /* operation names, NUL included (PLT_OP_MAX) */
#define POL_MAX_OPS 64                     /* operations are a bit set (uint64_t) */
#define POL_MAX_ROLES 64                   /* roles are a bit set (uint64_t) */
#define POL_MAX_RANGES 4                   /* opening-hour ranges per day */
#define POL_MAX_WINDOWS 8                  /* windows per limit */
#define POL_MAX_PARAMS 8                   /* parameters per anomaly rule */
#define POL_MAX_TTL 86400u                 /* the largest max_ttl / exi the language accepts */
#define POL_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* A source position: files[file] line:col (1-based). */
struct pol_loc {
	uint32_t file;
	uint32_t line, col;
};

struct pol_op {
	char name[POL_OP_NAME_MAX];
	uint16_t routine;
	int risk;
	uint32_t max_ttl, default_ttl, exi;
	struct pol_loc loc;
};

struct pol_role {
	char name[POL_ID_MAX];
	uint64_t ops;
	struct pol_loc loc;
};

struct pol_range {
	uint16_t start, end; /* minutes of the local day, start < end <= 1440 */
};

struct pol_hours {
	size_t tz;    /* index into policy.tzs */
	uint8_t n[7]; /* ranges per weekday, 0 = Sunday */
	struct pol_range r[7][POL_MAX_RANGES];
};

struct pol_workshop {
	char id[POL_ID_MAX];
	char ou[POL_ID_MAX];
	char (*devices)[POL_ID_MAX]; /* device certificate CNs; none = any device of the OU */
	size_t ndevices;
	uint64_t roles;
	char (*prefixes)[18];
	size_t nprefixes;
	int has_hours;
	struct pol_hours hours;
	int suspended;
	struct pol_loc loc;
};

struct pol_tech {
	char id[POL_ID_MAX];
	char cn[POL_ID_MAX];
	size_t workshop;
	uint64_t roles;
	int suspended;
	struct pol_loc loc;
};

enum pol_limit_key {
	POL_KEY_TECHNICIAN,
	POL_KEY_WORKSHOP,
	POL_KEY_VIN,
	POL_KEY_OPERATION,
	POL_KEY_RISK,
	POL_KEY_FLEET,
	POL_KEY_COUNT
};

enum pol_limit_action { POL_LACT_REFUSE, POL_LACT_APPROVAL, POL_LACT_COUNT };

struct pol_window {
	uint32_t count, seconds;
};

struct pol_limit {
	char name[POL_ID_MAX];
	int key;
	uint64_t ops; /* 0 in the source = every operation; stored as the full set */
	int all_ops;
	int min_risk; /* -1 = any */
	int action;
	size_t nwindows;
	struct pol_window w[POL_MAX_WINDOWS];
	struct pol_loc loc;
};

struct pol_approval {
	char name[POL_ID_MAX];
	uint64_t ops;
	uint64_t approvers; /* roles */
	uint32_t expires;   /* seconds */
	int tech_approval;  /* technician_approval: true (POST /v1/approvals/{id}) */
	struct pol_loc loc;
};

enum pol_detector {
	POL_DET_VIN_SWEEP,
	POL_DET_OUT_OF_HOURS,
	POL_DET_UNLOCK_THEN_START,
	POL_DET_TWO_PLACES,
	POL_DET_DECOY_VIN,
	POL_DET_ECU_FAILURES,
	POL_DET_COUNT
};

enum pol_anomaly_action {
	POL_AACT_ALERT,
	POL_AACT_APPROVAL,
	POL_AACT_DENY,
	POL_AACT_SUSPEND,
	POL_AACT_COUNT
};

struct pol_param {
	char name[32];
	uint32_t value;
};

struct pol_anomaly {
	char name[POL_ID_MAX];
	int detector;
	int action;
	size_t nparams;
	struct pol_param params[POL_MAX_PARAMS];
	struct pol_loc loc;
};

enum pol_expect { POL_EXPECT_ALLOW, POL_EXPECT_DENY, POL_EXPECT_APPROVAL };

struct pol_test {
	char name[128];
	char device[POL_ID_MAX], device_ws[POL_ID_MAX];
	char tech[POL_ID_MAX], tech_ws[POL_ID_MAX];
	char vin[POL_ID_MAX], op[POL_ID_MAX];
	int64_t time;
	uint32_t ttl;
	int expect;
	char rule[POL_ID_MAX]; /* empty = not checked */
	int has_ttl;
	uint32_t expect_ttl;
	struct pol_loc loc;
};

struct policy {
	atomic_uint refs;
	uint32_t version;
	uint8_t digest[32];
	int hours_min_risk;

	char **files; /* file names, for locations */
	size_t nfiles;

	struct pol_op ops[POL_MAX_OPS];
	size_t nops;
	struct pol_role roles[POL_MAX_ROLES];
	size_t nroles;
	struct pol_workshop *workshops;
	size_t nworkshops;
	struct pol_tech *techs;
	size_t ntechs;
	size_t *tech_by_cn; /* indices into techs, sorted by cn */
	size_t *ws_by_ou;   /* indices into workshops, sorted by ou */

	struct pol_limit *limits;
	size_t nlimits;
	struct pol_approval *approvals;
	size_t napprovals;
	struct pol_anomaly *anomalies;
	size_t nanomalies;
	char (*decoys)[18];
	size_t ndecoys;
	struct pol_test *tests;
	size_t ntests;

	struct pol_tz **tzs;
	size_t ntzs;
};

/* Names of enumerations (the language's words). */
extern const char *const pol_key_names[POL_KEY_COUNT];
extern const char *const pol_lact_names[POL_LACT_COUNT];
extern const char *const pol_det_names[POL_DET_COUNT];
extern const char *const pol_aact_names[POL_AACT_COUNT];
extern const char *const pol_day_names[7]; /* "sun" .. "sat" */

/* Lookups (binary search / scans over the immutable tables). */
const struct pol_op *pol_find_op(const struct policy *p, const char *name, size_t *idx);
const struct pol_tech *pol_find_tech_cn(const struct policy *p, const char *cn);
const struct pol_workshop *pol_find_ws_ou(const struct policy *p, const char *ou);

/* Copies src into dst[cap] (truncating, always NUL-terminated). */
void pol_strlcpy(char *dst, const char *src, size_t cap);

/* "YYYY-MM-DDTHH:MM:SSZ" or with a "+HH:MM"/"-HH:MM" offset → Unix seconds (pl_time.h). */
int pol_parse_time(const char *s, int64_t *out);
/* Unix seconds → "YYYY-MM-DDTHH:MM:SSZ" (buf of at least 32 bytes). */
void pol_format_time(int64_t t, char *buf, size_t cap);

void pol_free(struct policy *p);

#endif
