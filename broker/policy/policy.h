/*
 * pitlane broker policy: YAML files in a directory, loaded into an immutable
 * struct, and the decision function the broker asks for every token request.
 *
 * The language is documented in docs/policy.md; examples are in policy/.
 * Default deny: a request is allowed only when every check passes, and the
 * decision names the rule that decided ("workshops.ws-muc-01.vin_prefixes").
 *
 * Thread safety: a loaded policy is never modified. policy_decide() and the
 * accessors may run concurrently on one policy from any number of threads.
 * Lifetime is reference counted (policy_ref / policy_unref, atomic); for
 * SIGHUP reloads the server keeps the current policy in a struct policy_slot
 * (below), which swaps pointers atomically and never drops a policy that a
 * worker is still using. A policy that fails to load is never installed.
 *
 * No function here logs or exits. Functions return 0 or a negative code from
 * lib/common/pl_err_policy.h (-300..-349) or pl_err.h.
 */
#ifndef PITLANE_BROKER_POLICY_H
#define PITLANE_BROKER_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct policy; /* opaque, immutable after load, reference counted */

/* Where and why a policy failed to load: file:line:col: msg (line/col 1-based; 0 = unknown). */
struct policy_diag {
	char file[256];
	unsigned line, col;
	char msg[256];
	int err; /* the PL_E_POLICY_* code of this error */
};

/* Called once per error found while loading, in file order. */
typedef void (*policy_diag_fn)(void *ctx, const struct policy_diag *diag);

struct policy_load_opts {
	policy_diag_fn diag_fn; /* NULL: only the first error is reported (in *first) */
	void *diag_ctx;
	const char *zoneinfo_dir; /* NULL: /usr/share/zoneinfo */
};

/*
 * Loads every *.yaml / *.yml file of dir (not recursive; names starting with
 * '.' are skipped; files are read in byte order of their names) into one
 * policy. On success *out holds a policy with one reference. On failure *out
 * is untouched, the first error is written to *diag (if not NULL) and its
 * code is returned. The loader goes on after an error where it can, so
 * policy_load_dir_opts() reports every error through opts->diag_fn.
 */
int policy_load_dir(const char *dir, struct policy **out, struct policy_diag *diag);
/* 1 when a directory entry named n is a policy file (*.yaml, *.yml, not hidden). */
int policy_file_name_ok(const char *n);
int policy_load_dir_opts(const char *dir, const struct policy_load_opts *opts, struct policy **out,
                         struct policy_diag *diag);
/* The same for one file held in memory; name is used in messages. */
int policy_load_buffer(const char *name, const void *buf, size_t len,
                       const struct policy_load_opts *opts, struct policy **out,
                       struct policy_diag *diag);

/* Reference counting (atomic). policy_free() is policy_unref(); NULL is fine. */
struct policy *policy_ref(struct policy *p);
void policy_unref(struct policy *p);
void policy_free(struct policy *p);

/* The `version:` the policy declares (what the audit log and tokens carry). */
uint32_t policy_version(const struct policy *p);
/* SHA-256 of the normalised dump: tells two policies with one version apart. */
void policy_digest(const struct policy *p, uint8_t digest[32]);

/* Risk classes, ordered. */
enum policy_risk {
	POLICY_RISK_LOW = 0,
	POLICY_RISK_MEDIUM = 1,
	POLICY_RISK_HIGH = 2,
	POLICY_RISK_CRITICAL = 3,
};
const char *policy_risk_name(int risk); /* "low" .. "critical", "?" otherwise */

/* One token request, as the server sees it after TLS and signature checks. */
struct policy_request {
	const char *device_cn, *device_workshop;         /* from the device cert (CN, OU) */
	const char *technician_cn, *technician_workshop; /* from the technician cert (CN, OU) */
	const char *vin, *op;
	int64_t now;             /* Unix seconds (UTC) */
	const char *client_addr; /* may be NULL; not used for decisions yet (issue 7) */
	uint32_t requested_ttl;  /* seconds; 0 = the operation's default_ttl */
};

struct policy_decision {
	int allow;            /* 1 only when every check passed */
	int need_approval;    /* allow == 1 and the operation is listed in `approvals:` */
	char rule[64];        /* the rule that decided, e.g. "workshops.ws-muc-01.vin_prefixes" */
	char reason[160];     /* a plain sentence for the technician and the audit log */
	char workshop_id[64]; /* policy ids, filled as far as they were resolved */
	char technician_id[64];
	uint16_t routine_id; /* UDS routine id of the operation (0 if unknown) */
	int risk;            /* enum policy_risk of the operation (-1 if unknown) */
	uint32_t ttl_s;      /* requested TTL clamped to the operation's max_ttl */
	uint32_t exi_s;      /* the operation's exi */
	uint32_t policy_version;
};

/*
 * Decides one request. Returns 0 and fills *d (allow or deny alike) or
 * PL_E_INVAL when p, req or d is NULL; a deny is not an error. Never blocks,
 * never allocates; safe to call from many threads at once.
 */
int policy_decide(const struct policy *p, const struct policy_request *req,
                  struct policy_decision *d);

/* The operations catalogue, for the signer's own copy of the hard limits. */
size_t policy_op_count(const struct policy *p);
/* PL_E_RANGE when i >= policy_op_count(); outputs may be NULL. */
int policy_op_at(const struct policy *p, size_t i, char name[32], uint32_t *max_ttl, int *risk,
                 uint16_t *routine);
/* The largest exi of any operation (for signer_limits.max_exi). */
uint32_t policy_max_exi(const struct policy *p);

/*
 * Normalised YAML text of the whole policy (one document, fixed key order,
 * defaults written out). Loading the dump gives the same dump again.
 * *text is NUL-terminated, caller frees it with free().
 */
int policy_dump(const struct policy *p, char **text, size_t *len);

/*
 * What changes from policy a to policy b, for review before a reload: one
 * line per added (+) or removed (-) entity, and for a changed one (~) its
 * differing lines of the normalised dump. *ndiff counts the entities.
 */
int policy_diff(const struct policy *a, const struct policy *b, FILE *out, size_t *ndiff);

/*
 * The `tests:` cases carried in the policy files: runs each and calls fn
 * with its outcome. *failed counts the failures. Returns 0 when it ran them.
 */
struct policy_test_result {
	const char *name; /* the case's name */
	const char *file; /* where it is defined */
	unsigned line;
	int pass;
	char detail[512]; /* what differed (empty on pass) */
};
typedef void (*policy_test_fn)(void *ctx, const struct policy_test_result *r);
int policy_run_tests(const struct policy *p, policy_test_fn fn, void *ctx, size_t *total,
                     size_t *failed);

/*
 * A slot holding "the current policy" for a threaded server.
 * policy_slot_get() returns the current policy with a new reference (drop it
 * with policy_unref() when the request is done). policy_slot_reload() loads
 * dir and installs it only if it loaded without error; on failure the old
 * policy stays in force and the error is returned (with *diag filled).
 */
struct policy_slot;
int policy_slot_new(struct policy *initial, struct policy_slot **out); /* takes the reference */
void policy_slot_free(struct policy_slot *s);
struct policy *policy_slot_get(struct policy_slot *s);
void policy_slot_set(struct policy_slot *s, struct policy *p); /* takes the reference */
int policy_slot_reload(struct policy_slot *s, const char *dir, const struct policy_load_opts *opts,
                       struct policy_diag *diag);

/*
 * Views of the abuse-resistance sections for broker/abuse (docs/abuse.md).
 * The strings point into the policy: valid while the caller holds a reference.
 */
enum policy_limit_key {
	POLICY_KEY_TECHNICIAN,
	POLICY_KEY_WORKSHOP,
	POLICY_KEY_VIN,
	POLICY_KEY_OPERATION,
	POLICY_KEY_RISK,
	POLICY_KEY_FLEET,
};
#define POLICY_MAX_WINDOWS 8
struct policy_limit_view {
	const char *name;
	int key;      /* enum policy_limit_key */
	uint64_t ops; /* bit i = operation i of the catalogue (policy_op_index) */
	int all_ops;  /* the limit named no operations: every one */
	int min_risk; /* -1 = any */
	int approval; /* action require_approval (else refuse) */
	size_t nwindows;
	uint32_t count[POLICY_MAX_WINDOWS], seconds[POLICY_MAX_WINDOWS];
};
size_t policy_limit_count(const struct policy *p);
int policy_limit_at(const struct policy *p, size_t i, struct policy_limit_view *v);

enum policy_detector {
	POLICY_DET_VIN_SWEEP,
	POLICY_DET_OUT_OF_HOURS,
	POLICY_DET_UNLOCK_THEN_START,
	POLICY_DET_TWO_PLACES,
	POLICY_DET_DECOY_VIN,
	POLICY_DET_ECU_FAILURES,
};
enum policy_anomaly_action {
	POLICY_AACT_ALERT,
	POLICY_AACT_APPROVAL,
	POLICY_AACT_DENY,
	POLICY_AACT_SUSPEND,
};
struct policy_anomaly_view {
	const char *name;
	int detector;                          /* enum policy_detector */
	int action;                            /* enum policy_anomaly_action */
	uint32_t distinct_vins, window, count; /* the detector's params; 0 = not used */
};
size_t policy_anomaly_count(const struct policy *p);
int policy_anomaly_at(const struct policy *p, size_t i, struct policy_anomaly_view *v);

/* Index of op in the catalogue (the bit of policy_limit_view.ops), -1 if unknown. */
int policy_op_index(const struct policy *p, const char *op);
/* The approvals: entry listing op (name, expires); PL_E_NOTFOUND if none. */
int policy_approval_for(const struct policy *p, const char *op, char name[64], uint32_t *expires_s);
/*
 * 0 when technician id `approver` (a policy id) holds an approver role for op:
 * the roles of the entry listing op, or of any approvals: entry when none
 * lists it. PL_E_NOTFOUND unknown technician, PL_E_PERM no such role or
 * suspended.
 */
int policy_may_approve(const struct policy *p, const char *approver, const char *op);
/*
 * 1 when the approvals: entry listing op says `technician_approval: true`: an
 * approving technician may then decide through the API (POST
 * /v1/approvals/{id}, `pitlane approve`). 0 otherwise, also when no entry
 * lists op (approvals sent by a limit, breaker or detector are for officers).
 */
int policy_technician_approval(const struct policy *p, const char *op);

enum policy_approver_verdict {
	POLICY_APPROVER_OK = 0,
	POLICY_APPROVER_UNKNOWN,   /* cn is no technician of the policy */
	POLICY_APPROVER_WORKSHOP,  /* ou is not the certificate OU of the technician's workshop */
	POLICY_APPROVER_SUSPENDED, /* the technician or their workshop is suspended here */
	POLICY_APPROVER_NO_ROLE,   /* none of the approver roles for op (policy_may_approve) */
};
/*
 * The technician whose certificate has subject (cn, ou) as an approver of op:
 * *verdict = enum policy_approver_verdict; id and workshop_id = their policy
 * ids ("" when unknown). Returns 0, or PL_E_INVAL for a NULL argument.
 */
int policy_approver_check(const struct policy *p, const char *cn, const char *ou, const char *op,
                          int *verdict, char id[64], char workshop_id[64]);
/* The policy id of the technician whose certificate CN is cn. */
int policy_technician_id(const struct policy *p, const char *cn, char id[64]);
/* The policy id of the workshop whose certificate OU is ou; PL_E_NOTFOUND if none. */
int policy_workshop_id(const struct policy *p, const char *ou, char id[64]);

/* `pitlanectl policy check|dump|test DIR`, `pitlanectl policy diff OLD NEW`
 * (argv[0] == "policy"). Exit codes: docs/policy.md. */
int ctl_policy_main(int argc, char **argv);

#endif
