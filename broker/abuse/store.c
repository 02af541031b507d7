/*
 * The officer tables of schema/0002_abuse.sql: suspensions and open breakers
 * are mirrored in memory and re-read whenever abuse_generation.gen changed
 * (pitlanectl bumps it with every change); the rebuild of counters from the
 * audit log; the revocation list; officer actions waiting for their audit row.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "abuse_int.h"
#include "pl_err.h"

static int64_t read_gen(sqlite3 *db, int *err)
{
	sqlite3_stmt *st = NULL;
	int64_t gen = -1;

	*err = PL_E_IO;
	if (sqlite3_prepare_v2(db, "SELECT gen FROM abuse_generation WHERE id = 1", -1, &st,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		gen = sqlite3_column_int64(st, 0);
		*err = 0;
	}
	sqlite3_finalize(st);
	return gen;
}

static int load_suspensions(struct abuse *a)
{
	sqlite3_stmt *st = NULL;
	char key[ABUSE_ID_MAX + 4];
	int rc;

	smap_fini(&a->susp);
	if (smap_init(&a->susp, 160) != 0)
		return PL_E_NOMEM;
	if (sqlite3_prepare_v2(a->db, "SELECT kind, id, reason FROM suspensions", -1, &st, NULL) !=
	    SQLITE_OK)
		return PL_E_IO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		char *why;

		snprintf(key, sizeof(key), "%c\x1f%s", kind ? kind[0] : '?', id ? id : "");
		if ((why = smap_get(&a->susp, key, 1, 0)) != NULL)
			abuse_strlcpy(why, (const char *)sqlite3_column_text(st, 2), 160);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : PL_E_IO;
}

static int load_breakers(struct abuse *a)
{
	sqlite3_stmt *st = NULL;
	struct smap fresh;
	int rc;

	if (smap_init(&fresh, 160) != 0)
		return PL_E_NOMEM;
	if (sqlite3_prepare_v2(a->db, "SELECT name, evidence FROM breakers", -1, &st, NULL) !=
	    SQLITE_OK) {
		smap_fini(&fresh);
		return PL_E_IO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *e = smap_get(&fresh, (const char *)sqlite3_column_text(st, 0), 1, 0);

		if (e != NULL)
			abuse_strlcpy(e, (const char *)sqlite3_column_text(st, 1), 160);
	}
	sqlite3_finalize(st);
	/* A breaker an officer reset starts counting afresh. */
	for (size_t i = 0; i < a->breakers.nb; i++) {
		for (struct smap_node *n = a->breakers.b[i]; n != NULL; n = n->next) {
			char prefix[ABUSE_ID_MAX + 2];

			if (smap_get(&fresh, n->key, 0, 0) != NULL)
				continue;
			snprintf(prefix, sizeof(prefix), "%s\x1f", n->key);
			smap_clear_prefix(&a->limits, prefix);
		}
	}
	smap_fini(&a->breakers);
	a->breakers = fresh;
	return rc == SQLITE_DONE ? 0 : PL_E_IO;
}

int store_refresh(struct abuse *a)
{
	int r;
	int64_t gen = read_gen(a->db, &r);

	if (r != 0 || gen == a->gen)
		return r;
	if ((r = load_suspensions(a)) != 0 || (r = load_breakers(a)) != 0)
		return r;
	a->gen = gen;
	return 0;
}

static int exec_bind(sqlite3 *db, const char *sql, const char *t1, const char *t2, const char *t3,
                     const char *t4, int64_t i1)
{
	sqlite3_stmt *st = NULL;
	const char *t[4] = {t1, t2, t3, t4};
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return PL_E_IO;
	for (int k = 0; k < 4; k++)
		if (t[k] != NULL)
			sqlite3_bind_text(st, ++n, t[k], -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(st) > n)
		sqlite3_bind_int64(st, n + 1, i1);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : PL_E_IO;
}

int store_suspend(struct abuse *a, const char *kind, const char *id, const char *actor,
                  const char *reason, int64_t now_ms)
{
	char key[ABUSE_ID_MAX + 4], target[ABUSE_ID_MAX + 16];
	char *why;
	int r = 0;

	snprintf(key, sizeof(key), "%c\x1f%s", kind[0], id);
	if ((why = smap_get(&a->susp, key, 1, now_ms)) != NULL)
		abuse_strlcpy(why, reason, 160);
	if (a->db == NULL)
		return 0;
	snprintf(target, sizeof(target), "%s %s", kind, id);
	if (sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return PL_E_IO;
	if ((r = exec_bind(a->db,
	                   "INSERT OR IGNORE INTO suspensions (kind, id, actor, reason, "
	                   "since_ms) VALUES (?, ?, ?, ?, ?)",
	                   kind, id, actor, reason, now_ms)) == 0 &&
	    (r = exec_bind(a->db,
	                   "INSERT INTO admin_actions (actor, action, target, reason, "
	                   "time_ms) VALUES (?, 'suspend', ?, ?, ?)",
	                   actor, target, reason, NULL, now_ms)) == 0 &&
	    (r = exec_bind(a->db, "UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1", NULL,
	                   NULL, NULL, NULL, 0)) == 0)
		r = sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : PL_E_IO;
	if (r != 0)
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int store_trip(struct abuse *a, const char *name, const char *evidence, int64_t now_ms)
{
	if (a->db == NULL)
		return 0;
	return exec_bind(a->db,
	                 "INSERT OR IGNORE INTO breakers (name, evidence, tripped_ms) "
	                 "VALUES (?, ?, ?)",
	                 name, evidence, NULL, NULL, now_ms);
}

int store_tripped_ms(struct abuse *a, const char *name, int64_t *tripped_ms)
{
	sqlite3_stmt *st = NULL;
	int rc, r = PL_E_IO;

	if (a->db == NULL)
		return PL_E_NOTFOUND;
	if (sqlite3_prepare_v2(a->db, "SELECT tripped_ms FROM breakers WHERE name = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return PL_E_IO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*tripped_ms = sqlite3_column_int64(st, 0);
		r = 0;
	} else if (rc == SQLITE_DONE) {
		r = PL_E_NOTFOUND;
	}
	sqlite3_finalize(st);
	return r;
}

static int longest_window_ms(const struct policy *p, int64_t *out)
{
	struct policy_limit_view l;
	struct policy_anomaly_view an;
	int64_t m = 0;

	for (size_t i = 0; i < policy_limit_count(p); i++)
		if (policy_limit_at(p, i, &l) == 0)
			for (size_t k = 0; k < l.nwindows; k++)
				if ((int64_t)l.seconds[k] * 1000 > m)
					m = (int64_t)l.seconds[k] * 1000;
	for (size_t i = 0; i < policy_anomaly_count(p); i++)
		if (policy_anomaly_at(p, i, &an) == 0 && (int64_t)an.window * 1000 > m)
			m = (int64_t)an.window * 1000;
	*out = m + m / WIN_SLOTS + 1000;
	return 0;
}

int store_first_contact(struct abuse *a, const char *workshop, const char *vin, int64_t *first_ms)
{
	int rc;

	*first_ms = INT64_MAX;
	if (a->db == NULL)
		return 0;
	if (a->hist == NULL &&
	    sqlite3_prepare_v3(a->db,
	                       "SELECT min(time_ms) FROM audit_log WHERE workshop = ? AND "
	                       "vin = ? AND decision IN ('allow', 'issued')",
	                       -1, SQLITE_PREPARE_PERSISTENT, &a->hist, NULL) != SQLITE_OK)
		return PL_E_IO;
	sqlite3_bind_text(a->hist, 1, workshop, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->hist, 2, vin, -1, SQLITE_STATIC);
	rc = sqlite3_step(a->hist);
	if (rc == SQLITE_ROW && sqlite3_column_type(a->hist, 0) != SQLITE_NULL)
		*first_ms = sqlite3_column_int64(a->hist, 0);
	sqlite3_reset(a->hist);
	sqlite3_clear_bindings(a->hist);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : PL_E_IO;
}

int abuse_rebuild(struct abuse *a, const struct policy *p, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	struct policy_decision d;
	int64_t span;
	int rc, r;

	if (a == NULL || p == NULL)
		return PL_E_INVAL;
	if (a->db == NULL)
		return 0;
	longest_window_ms(p, &span);
	pthread_mutex_lock(&a->mu);
	r = PL_E_IO;
	if (sqlite3_prepare_v2(a->db,
	                       "SELECT time_ms, technician, workshop, vin, op, decision "
	                       "FROM audit_log WHERE time_ms >= ? AND decision IN ('allow', "
	                       "'approval') ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, now_ms - span);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct abuse_event ev = {
		    .now_ms = sqlite3_column_int64(st, 0),
		    .technician = (const char *)sqlite3_column_text(st, 1),
		    .workshop = (const char *)sqlite3_column_text(st, 2),
		    .vin = (const char *)sqlite3_column_text(st, 3),
		    .op = (const char *)sqlite3_column_text(st, 4),
		    .d = &d,
		};
		int idx = policy_op_index(p, ev.op);
		const char *dec;

		memset(&d, 0, sizeof(d));
		d.allow = 1;
		d.risk = -1;
		if (idx >= 0)
			policy_op_at(p, (size_t)idx, NULL, NULL, &d.risk, NULL);
		if (ev.technician == NULL || ev.workshop == NULL || ev.vin == NULL || ev.op == NULL)
			continue;
		limits_charge(a, p, &ev);
		detect_observe(a, &ev);
		dec = (const char *)sqlite3_column_text(st, 5);
		if (dec != NULL && strcmp(dec, "allow") == 0)
			detect_issued(a, &ev);
	}
	r = rc == SQLITE_DONE ? 0 : PL_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

int abuse_revoked(struct abuse *a, uint64_t after, size_t max,
                  void (*fn)(void *ctx, const uint8_t cti[ABUSE_CTI_LEN]), void *ctx,
                  uint64_t *last, int *more)
{
	sqlite3_stmt *st = NULL;
	uint64_t serial = after;
	size_t n = 0;
	int rc, r = PL_E_IO, extra = 0;

	if (a == NULL || a->db == NULL || max == 0 || after > INT64_MAX)
		return PL_E_INVAL;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_prepare_v2(a->db,
	                       "SELECT serial, cti FROM revocations WHERE serial > ? "
	                       "ORDER BY serial LIMIT ?",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (int64_t)after);
	sqlite3_bind_int64(st, 2, (int64_t)max + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == max) {
			extra = 1;
			continue;
		}
		serial = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == ABUSE_CTI_LEN && fn != NULL)
			fn(ctx, sqlite3_column_blob(st, 1));
		n++;
	}
	if (rc != SQLITE_DONE)
		goto out;
	if (last != NULL)
		*last = serial;
	if (more != NULL)
		*more = extra;
	r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

int abuse_is_revoked(struct abuse *a, const uint8_t cti[ABUSE_CTI_LEN])
{
	sqlite3_stmt *st = NULL;
	int yes = 0;

	if (a == NULL || a->db == NULL)
		return 0;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_prepare_v2(a->db, "SELECT 1 FROM revocations WHERE cti = ?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_blob(st, 1, cti, ABUSE_CTI_LEN, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return yes;
}

int abuse_audit_admin(struct abuse *a, int (*fn)(void *ctx, const struct abuse_admin_action *x),
                      void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct abuse_admin_action x[16];
	size_t n = 0;
	int rc, r = PL_E_IO;

	if (a == NULL || a->db == NULL)
		return 0;
	pthread_mutex_lock(&a->mu);
	if (a->admin_busy) {
		/* Another worker is writing them right now. */
		pthread_mutex_unlock(&a->mu);
		return 0;
	}
	if (sqlite3_prepare_v2(a->db,
	                       "SELECT seq, time_ms, actor, action, target, reason FROM "
	                       "admin_actions WHERE audited = 0 ORDER BY seq LIMIT 16",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	while (n < 16 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&x[n], 0, sizeof(x[n]));
		x[n].seq = sqlite3_column_int64(st, 0);
		x[n].time_ms = sqlite3_column_int64(st, 1);
		abuse_strlcpy(x[n].actor, (const char *)sqlite3_column_text(st, 2),
		              sizeof(x[n].actor));
		abuse_strlcpy(x[n].action, (const char *)sqlite3_column_text(st, 3),
		              sizeof(x[n].action));
		abuse_strlcpy(x[n].target, (const char *)sqlite3_column_text(st, 4),
		              sizeof(x[n].target));
		abuse_strlcpy(x[n].reason, (const char *)sqlite3_column_text(st, 5),
		              sizeof(x[n].reason));
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	a->admin_busy = n > 0;
	r = 0;
out:
	pthread_mutex_unlock(&a->mu);
	/* The audit append blocks (fsync): outside the engine lock. */
	for (size_t i = 0; i < n && r == 0; i++) {
		if ((r = fn(ctx, &x[i])) != 0)
			break;
		pthread_mutex_lock(&a->mu);
		r = exec_bind(a->db, "UPDATE admin_actions SET audited = 1 WHERE seq = ?", NULL,
		              NULL, NULL, NULL, x[i].seq);
		pthread_mutex_unlock(&a->mu);
	}
	if (n > 0) {
		pthread_mutex_lock(&a->mu);
		a->admin_busy = 0;
		pthread_mutex_unlock(&a->mu);
	}
	return r;
}
