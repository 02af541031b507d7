/*
 * pitlane_abuse — abuse resistance in the broker's decider: multi-window rate
 * limits, fleet-wide circuit breakers, anomaly detectors, two-person
 * approvals, suspension and revocation (docs/abuse.md).
 *
 * The engine keeps its counters in memory and derives them at open from the
 * audit log (rows with decision "allow" or "approval" inside the longest
 * window), so counts survive a restart without a write per request. What an
 * officer decides (suspensions, revocations, breaker resets, approvals) lives
 * in tables of the same SQLite file (schema/0002_abuse.sql); pitlanectl writes
 * them and bumps a generation number that the engine checks before every
 * request, so a change is effective on the next request without a restart.
 *
 * Thread-safe: one mutex around the in-memory state (no I/O under it except
 * the rare suspension write of a `suspend` action). Library code: never logs,
 * never exits; 0 or a negative code from pl_err.h.
 */
#ifndef PITLANE_BROKER_ABUSE_H
#define PITLANE_BROKER_ABUSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

#define ABUSE_ID_MAX 64
#define ABUSE_APPROVAL_ID_LEN 32 /* hex digits */
#define ABUSE_CTI_LEN 16
#define ABUSE_MAX_ALERTS 6

struct abuse;

/*
 * Opens the engine on the broker database db_path (which audit_open() has
 * created and migrated), or purely in memory when db_path is NULL (tests,
 * simulations: no persistence, no officer actions). *out only on success.
 */
int abuse_open(const char *db_path, struct abuse **out);
void abuse_close(struct abuse *a);

/*
 * Charges the limits and primes the detectors from the audit log: every row
 * with decision "allow" or "approval" newer than now_ms minus the policy's
 * longest window, and the (workshop, VIN) history of all "allow" rows.
 * Called once after abuse_open(). No-op without a database.
 */
int abuse_rebuild(struct abuse *a, const struct policy *p, int64_t now_ms);

/* One identified request, after policy_decide(). */
struct abuse_event {
	int64_t now_ms;
	const char *technician;  /* technician certificate CN */
	const char *workshop;    /* technician certificate OU (= the device's) */
	const char *device;      /* device certificate CN */
	const char *client_addr; /* "host:port" or "host"; the port is ignored */
	const char *vin, *op;
	const struct policy_decision *d;
};

enum abuse_kind {
	ABUSE_PASS = 0, /* go on with the policy's decision */
	ABUSE_LIMITED,  /* 429 rate_limited */
	ABUSE_DENY,     /* 403 (code says why) */
	ABUSE_APPROVAL, /* 202: a second person must approve */
};

/* One alert the caller must write to the audit log (decision "alert"). */
struct abuse_alert {
	char rule[ABUSE_ID_MAX];    /* "anomalies.<name>" or "limits.<name>" (breaker trip) */
	char detector[32];          /* "vin_sweep", ..., "breaker" */
	char action[20];            /* "alert", "require_approval", "deny", "suspend" */
	char subject[ABUSE_ID_MAX]; /* who or what: technician, workshop, VIN or class */
	char evidence[160];         /* counts, window, addresses */
};

struct abuse_verdict {
	int kind;      /* enum abuse_kind */
	char code[32]; /* problem code: rate_limited, suspended, ... */
	char rule[ABUSE_ID_MAX];
	char reason[160];
	uint32_t retry_after; /* seconds, ABUSE_LIMITED */
	size_t nalerts;
	struct abuse_alert alerts[ABUSE_MAX_ALERTS];
};

/*
 * Decides what abuse resistance adds to the policy's decision ev->d:
 *   1. officer suspensions (store) refuse at once;
 *   2. every detector sees the request (also one the policy denied: decoy
 *      VINs and out-of-hours attempts are denied by the policy);
 *   3. for a request the policy allows, every matching limit and breaker.
 * A request whose verdict is PASS or APPROVAL (and the policy allows) is
 * charged against every matching limit; LIMITED and DENY charge nothing.
 * Returns 0 (any verdict) or a negative code (store unreadable: fail closed).
 */
int abuse_check(struct abuse *a, const struct policy *p, const struct abuse_event *ev,
                struct abuse_verdict *v);

/*
 * 1 when the device whose certificate CN is device_cn is suspended (kind
 * "device": `pitlanectl suspend device`, or a detector's `suspend` on an
 * identity the policy does not know), with v set to DENY "suspended", rule
 * "suspensions.device.<cn>"; 0 when not; a negative code when the officer
 * tables are unreadable (fail closed). abuse_check() does this for token
 * requests; this is for the other requests a PC makes (approval decisions).
 */
int abuse_device_suspended(struct abuse *a, const char *device_cn, struct abuse_verdict *v);

/*
 * An ECU-side outcome reported by an agent (POST /v1/receipts); failures feed
 * the ecu_failures detector of the workshop. Alerts land in *v (kind is
 * ABUSE_PASS, or ABUSE_DENY when the detector's action suspended someone).
 */
int abuse_receipt(struct abuse *a, const struct policy *p, int64_t now_ms, const char *workshop,
                  const char *technician, int failure, struct abuse_verdict *v);

/* ---- approvals ----------------------------------------------------------- */

enum abuse_approval_state {
	ABUSE_APR_PENDING,
	ABUSE_APR_APPROVED,
	ABUSE_APR_DENIED,
	ABUSE_APR_ISSUED,
	ABUSE_APR_EXPIRED, /* stored as such once noticed, or pending past expires_ms */
};

/* Everything needed to sign the token later, bound to the same challenge. */
struct abuse_approval {
	char id[ABUSE_APPROVAL_ID_LEN + 1];
	int state; /* enum abuse_approval_state */
	int64_t created_ms, expires_ms, decided_ms;
	char rule[ABUSE_ID_MAX]; /* what asked for approval */
	char device_cn[ABUSE_ID_MAX], device_ou[ABUSE_ID_MAX];
	char technician[ABUSE_ID_MAX], workshop[ABUSE_ID_MAX];       /* cert CN / OU */
	char technician_id[ABUSE_ID_MAX], workshop_id[ABUSE_ID_MAX]; /* policy ids */
	char vin[18], op[32];
	uint8_t cnonce[64];
	size_t cnonce_len;
	uint32_t ttl_s, exi_s, policy_version;
	char work_order[64];
	char approver[ABUSE_ID_MAX];
	char decision_reason[160];
	/*
	 * The requester's exact signed token request: given to abuse_approval_create()
	 * (not owned; request_len bytes); its SHA-256 (key 21 of every decision) is
	 * stored with it and read back by abuse_approval_get() (has_request_sha256 = 0
	 * for approvals made before schema 0005). The bytes themselves:
	 * abuse_approval_request().
	 */
	const uint8_t *request;
	size_t request_len;
	uint8_t request_sha256[32];
	int has_request_sha256;
};

/* Records a pending approval (random id written into ap->id). Needs a database. */
int abuse_approval_create(struct abuse *a, struct abuse_approval *ap);
/*
 * Reads approval id as seen at now_ms (a pending one past its expiry reads as
 * EXPIRED). PL_E_NOTFOUND when unknown.
 */
int abuse_approval_get(struct abuse *a, const char *id, int64_t now_ms, struct abuse_approval *ap);
/* PENDING (past its expiry) -> EXPIRED once; PL_E_EXISTS when it was not pending. */
int abuse_approval_expire(struct abuse *a, const char *id);
/*
 * The requester's exact signed token request of approval id (what the
 * co-signer checks), or the approver's exact signed decision (a COSE_Sign1 by
 * the approving technician's or officer's own key, as received or as
 * pitlanectl wrote it): copied into out[0..cap), *len its length.
 * PL_E_NOTFOUND when the approval is unknown or holds none (a decision only
 * once decided), PL_E_NOSPACE when cap is too small, PL_E_IO.
 */
int abuse_approval_request(struct abuse *a, const char *id, uint8_t *out, size_t cap, size_t *len);
int abuse_approval_signed_decision(struct abuse *a, const char *id, uint8_t *out, size_t cap,
                                   size_t *len);
/* APPROVED -> ISSUED exactly once; PL_E_EXISTS when it was not APPROVED. */
int abuse_approval_claim(struct abuse *a, const char *id);
/* ISSUED -> APPROVED again (the token could not be delivered). */
int abuse_approval_unclaim(struct abuse *a, const char *id);

/* An approver's decision on one approval. */
struct abuse_decision {
	const char *id;
	int approve;          /* 1 approve, 0 deny */
	const char *approver; /* a technician id of the policy */
	const char *actor;    /* who acted: a login name (pitlanectl), "api:<id>" (API) */
	const char *reason;   /* the approver's words, shown to the requester; may be "" */
	const char *note;     /* the officer-action row's reason; NULL: reason */
	int64_t now_ms;
	/* the approver's exact signed decision (COSE_Sign1), checked by the caller; required */
	const uint8_t *signed_decision;
	size_t signed_decision_len;
};
/*
 * Records d the one way pitlanectl and POST /v1/approvals/{id} share: in one
 * transaction the approval goes from pending (and unexpired at now_ms) to
 * approved or denied (approver, decision_reason, decided_ms, the signed
 * decision's bytes), a row goes into
 * admin_actions (actor, action "approve"/"deny", target "approval <id>",
 * note) and the generation is bumped; the broker writes that row into the
 * audit chain (decision "admin"). PL_E_EXISTS when the approval was not
 * pending and unexpired (the caller reads it again to tell which); PL_E_IO
 * for the database.
 */
int abuse_approval_decide(struct abuse *a, const struct abuse_decision *d);

/*
 * Before the token of approved request ap leaves (the requester's signed poll):
 * the checks a new request of the same technician, workshop and operation
 * would meet now and that count nothing. d is the policy's decision now (its
 * ids and risk class; the caller has checked that it allows). In this order:
 * officer suspensions of the workshop or the technician (the policy ids of the
 * approval and of d, and the certificate names) -> DENY "suspended"; every
 * open fleet breaker of the operation's class -> DENY "breaker_open" (one in
 * approval mode only when it tripped after ap was decided). Rate limits and
 * detectors counted the request when it was parked and are not run again.
 * *v is PASS or DENY. Returns 0, or a negative code when the officer tables
 * cannot be read (fail closed: deliver nothing).
 */
int abuse_delivery_check(struct abuse *a, const struct policy *p, const struct abuse_approval *ap,
                         const struct policy_decision *d, struct abuse_verdict *v);

/* Who may decide an approval through the API (POST /v1/approvals/{id}). */
enum abuse_approver_verdict {
	ABUSE_APPROVER_OK = 0,
	ABUSE_APPROVER_DISABLED,  /* the approvals: entry of the operation lacks technician_approval
	                           */
	ABUSE_APPROVER_SELF,      /* the approver made the request (any device) */
	ABUSE_APPROVER_UNKNOWN,   /* not a technician of the policy, or of another workshop */
	ABUSE_APPROVER_SUSPENDED, /* suspended in the policy or by an officer (or the workshop) */
	ABUSE_APPROVER_NO_ROLE,   /* none of the entry's approver_roles */
};
struct abuse_approver {
	int verdict;             /* enum abuse_approver_verdict */
	char id[ABUSE_ID_MAX];   /* the approver's policy id ("" when unknown) */
	char rule[ABUSE_ID_MAX]; /* what refused (a suspension's rule, the entry) */
	char reason[200];        /* a sentence: who, what, what to do */
};
/*
 * May the technician with certificate subject (cn, ou) decide approval ap
 * through the API under policy p? In this order: the approvals: entry listing
 * ap->op has `technician_approval: true`; the approver is not the requester
 * (certificate CN or policy id, whatever device either used); the CN is a
 * technician of the policy whose workshop has OU ou; neither they nor their
 * workshop is suspended (policy, officer); they hold one of the entry's
 * approver_roles. Fills *out (verdict OK or why not). Returns 0, or a
 * negative code when the officer tables cannot be read (fail closed).
 */
int abuse_approver_check(struct abuse *a, const struct policy *p, const struct abuse_approval *ap,
                         const char *cn, const char *ou, struct abuse_approver *out);

/* ---- revocation list, metrics ------------------------------------------- */

/*
 * Calls fn for at most max token ids revoked after serial `after`, in serial
 * order; *last = the serial of the last one given (after, when none), *more =
 * 1 when further ones follow (ask again with after = *last).
 */
int abuse_revoked(struct abuse *a, uint64_t after, size_t max,
                  void (*fn)(void *ctx, const uint8_t cti[ABUSE_CTI_LEN]), void *ctx,
                  uint64_t *last, int *more);

/* 1 when cti is revoked (for tests and the approval path). */
int abuse_is_revoked(struct abuse *a, const uint8_t cti[ABUSE_CTI_LEN]);

/*
 * Officer actions recorded by pitlanectl and not yet in the audit log: fn is
 * called for each (its return value 0 marks it audited). Run it after every
 * generation change (abuse_check reports it) or on a timer.
 */
struct abuse_admin_action {
	int64_t seq, time_ms;
	char actor[ABUSE_ID_MAX], action[32], target[ABUSE_ID_MAX + 16], reason[160];
};
int abuse_audit_admin(struct abuse *a, int (*fn)(void *ctx, const struct abuse_admin_action *x),
                      void *ctx);

struct abuse_stats {
	uint64_t checked, limited, denied, approvals, alerts, breaker_trips;
	uint64_t alerts_by_detector[7]; /* enum policy_detector, [6] = breaker */
	uint32_t breakers_open, suspensions;
	uint64_t keys; /* live rate-limit keys */
};
void abuse_get_stats(struct abuse *a, struct abuse_stats *st);

/* `pitlanectl alerts|approvals|suspend|resume|revoke|breaker ...` (argv[0] = command). */
int ctl_abuse_main(int argc, char **argv);

#endif
