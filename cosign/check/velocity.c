/*
 * The co-signer's velocity limits: co-signatures counted per operation and
 * technician, workshop, VIN and fleet-wide in its own SQLite file (they
 * survive restarts), against the limits file's `velocity` lines. A second
 * circuit breaker next to the broker's: editing the broker's policy changes
 * nothing here.
 */
#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "rules.h"
#include "store.h"

static int count_since(sqlite3 *db, const char *op, const char *scope, const char *who,
                       int64_t since, uint32_t *n)
{
	static const char sql[] = "SELECT count(*) FROM cosign_rate WHERE op = ?1 AND scope = ?2 "
	                          "AND subject = ?3 AND time > ?4";
	sqlite3_stmt *st = NULL;
	int r = PL_E_COS_STORE;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, op, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 4, since) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		*n = (uint32_t)sqlite3_column_int64(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int cosign_velocity_check(sqlite3 *db, const struct cosign_op_limits *lim,
                          const struct cosign_subjects *s, int64_t now, size_t *hit,
                          uint32_t *count)
{
	for (size_t i = 0; i < lim->nrates; i++) {
		const struct cosign_rate *rt = &lim->rate[i];
		uint32_t n = 0;
		int r;

		if ((r = count_since(db, s->op, cosign_scope_name[rt->scope], s->who[rt->scope],
		                     now - (int64_t)rt->window_s, &n)) != 0)
			return r;
		if (n >= rt->count) {
			*hit = i;
			*count = n;
			return PL_E_COS_RATE_LIMITED;
		}
	}
	return 0;
}

int cosign_velocity_count(sqlite3 *db, const struct cosign_subjects *s, int64_t now,
                          uint32_t keep_s)
{
	sqlite3_stmt *st = NULL;
	int ok;

	ok = sqlite3_prepare_v2(db, "DELETE FROM cosign_rate WHERE time <= ?1", -1, &st, NULL) ==
	         SQLITE_OK &&
	     sqlite3_bind_int64(st, 1, now - (int64_t)keep_s) == SQLITE_OK &&
	     sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	st = NULL;
	ok = ok && sqlite3_prepare_v2(db,
	                              "INSERT INTO cosign_rate (op, scope, subject, time) "
	                              "VALUES (?1, ?2, ?3, ?4)",
	                              -1, &st, NULL) == SQLITE_OK;
	for (int sc = 0; ok && sc < COSIGN_SCOPE_COUNT; sc++)
		ok = sqlite3_reset(st) == SQLITE_OK &&
		     sqlite3_bind_text(st, 1, s->op, -1, SQLITE_STATIC) == SQLITE_OK &&
		     sqlite3_bind_text(st, 2, cosign_scope_name[sc], -1, SQLITE_STATIC) ==
		         SQLITE_OK &&
		     sqlite3_bind_text(st, 3, s->who[sc], -1, SQLITE_STATIC) == SQLITE_OK &&
		     sqlite3_bind_int64(st, 4, now) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	return ok ? 0 : PL_E_COS_STORE;
}
