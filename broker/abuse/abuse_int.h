/* Internal structures of broker/abuse (not exported beyond the folder). */
#ifndef PITLANE_BROKER_ABUSE_INT_H
#define PITLANE_BROKER_ABUSE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "abuse.h"

struct sqlite3;
struct sqlite3_stmt;

/* ---- smap: string-keyed hash map, payload allocated with the node ------- */
struct smap_node {
	struct smap_node *next;
	uint64_t hash;
	int64_t last_ms; /* last use; smap_expire() drops nodes older than a cut */
	void *payload;
	char key[];
};
struct smap {
	struct smap_node **b;
	size_t nb, n;
	size_t psize;
};
int smap_init(struct smap *m, size_t payload_size);
void smap_fini(struct smap *m);
/* The payload of key (zeroed when new, if create); NULL when absent or out of memory. */
void *smap_get(struct smap *m, const char *key, int create, int64_t now_ms);
void smap_expire(struct smap *m, int64_t cut_ms);
void smap_clear_prefix(struct smap *m, const char *prefix);

/* ---- sliding windows ----------------------------------------------------- */
#define WIN_SLOTS 16
struct win {
	int64_t slot_ms;           /* ceil(window / WIN_SLOTS) */
	int64_t head;              /* absolute index of the newest slot */
	uint32_t c[WIN_SLOTS + 1]; /* ring: slot head - k at (head - k) % (WIN_SLOTS+1) */
};
void win_init(struct win *w, uint32_t seconds);
/* Requests counted at now_ms: every slot that overlaps [now - window, now]. */
uint32_t win_count(struct win *w, int64_t now_ms);
void win_add(struct win *w, int64_t now_ms);
/* Seconds (>= 1) until fewer than limit requests are counted. */
uint32_t win_retry_after(struct win *w, int64_t now_ms, uint32_t limit);

struct limit_state {
	uint32_t nwin;
	uint32_t seconds[POLICY_MAX_WINDOWS];
	struct win w[POLICY_MAX_WINDOWS];
};

/* ---- detectors ----------------------------------------------------------- */
#define SWEEP_MAX 64
struct sweep_state {
	uint32_t n;
	int64_t t[SWEEP_MAX];
	char vin[SWEEP_MAX][18];
};
struct place_state {
	char addr[64], workshop[ABUSE_ID_MAX];
	int64_t t;
};
struct pair_state {        /* one (workshop, VIN) */
	int64_t first_ms;  /* first token issued (in memory; older ones: audit_log) */
	int64_t unlock_ms; /* last door.unlock */
};
struct fail_state {
	uint32_t n;
	int64_t t[64];
};

struct abuse {
	pthread_mutex_t mu;
	struct sqlite3 *db;        /* NULL: memory only */
	struct sqlite3_stmt *hist; /* first contact of a workshop with a VIN (audit_log) */
	int64_t gen;               /* abuse_generation.gen last loaded */
	struct smap limits;        /* "<limit>\x1f<key>" -> struct limit_state */
	struct smap sweeps;        /* "<rule>\x1f<t|w>\x1f<id>" -> struct sweep_state */
	struct smap places;        /* "<t|d>\x1f<id>" -> struct place_state */
	struct smap pairs;         /* "<workshop>\x1f<vin>" -> struct pair_state: recent contacts
	                            * (all of them without a database) */
	struct smap fails;         /* "<workshop>" -> struct fail_state */
	struct smap alerted;       /* "<rule>\x1f<subject>" -> int64_t until_ms */
	struct smap susp;          /* "w\x1f<id>" / "t\x1f<id>" -> char reason[160] */
	struct smap breakers;      /* "<limit>" -> char evidence[160] */
	int64_t last_gc_ms;
	int admin_busy; /* abuse_audit_admin() running */
	struct abuse_stats st;
};

/* store.c: the officer tables (database only). */
int store_refresh(struct abuse *a); /* reload if gen changed; mu held */
int store_suspend(struct abuse *a, const char *kind, const char *id, const char *actor,
                  const char *reason, int64_t now_ms); /* mu held */
int store_trip(struct abuse *a, const char *name, const char *evidence, int64_t now_ms);
/* When breaker name tripped (table breakers); PL_E_NOTFOUND when it is not open. mu held. */
int store_tripped_ms(struct abuse *a, const char *name, int64_t *tripped_ms);
/*
 * Earliest row of a token issued to workshop for vin in the audit log ("allow",
 * or "issued" after an approval; INT64_MAX: none). mu held.
 */
int store_first_contact(struct abuse *a, const char *workshop, const char *vin, int64_t *first_ms);

/*
 * Officer suspensions (table suspensions) of kind "workshop" or "technician"
 * under id1 or id2 (policy id, certificate name; either may be NULL or ""):
 * 1 and v set to DENY "suspended" (rule suspensions.<kind>.<id>), else 0. mu held.
 */
int susp_check(struct abuse *a, const char *kind, const char *id1, const char *id2,
               struct abuse_verdict *v);

/*
 * Whom a detector's `suspend` action suspends: a technician the policy knows;
 * for an identity it does not know (a technician CN that is no technician of
 * the policy, e.g. the PC's own certificate offered as a technician's) the
 * device and its workshop -- never a phantom technician of that name; for a
 * workshop-level detector the workshop.
 */
struct suspect {
	const char *technician; /* technician certificate CN of a known technician, or NULL */
	const char *workshop;   /* workshop policy id (else certificate OU), or NULL */
	const char *device;     /* device certificate CN, or NULL */
};

/* detect.c */
void detect_all(struct abuse *a, const struct policy *p, const struct abuse_event *ev,
                struct abuse_verdict *v);
/* An unlock the policy allows (unlock_then_start); also on the rebuild path. */
void detect_observe(struct abuse *a, const struct abuse_event *ev);
/* A token issued at once for ev: the workshop's work on the VIN (history). */
void detect_issued(struct abuse *a, const struct abuse_event *ev);
/* Applies an anomaly's action to v (and suspends); used by detect.c and receipts. */
void detect_fire(struct abuse *a, const struct policy_anomaly_view *an, const char *subject,
                 const struct suspect *who, int64_t now_ms, const char *detector,
                 const char *evidence, struct abuse_verdict *v);

/* limits.c */
/* 1 when limit l applies to ev's operation (and risk class). */
int limit_matches(const struct policy *p, const struct policy_limit_view *l,
                  const struct abuse_event *ev);
void limits_check(struct abuse *a, const struct policy *p, const struct abuse_event *ev,
                  struct abuse_verdict *v);
void limits_charge(struct abuse *a, const struct policy *p, const struct abuse_event *ev);

void verdict_set(struct abuse_verdict *v, int kind, const char *code, const char *rule,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void verdict_alert(struct abuse_verdict *v, const char *rule, const char *detector,
                   const char *action, const char *subject, const char *evidence);
void abuse_strlcpy(char *dst, const char *src, size_t cap);

#endif
