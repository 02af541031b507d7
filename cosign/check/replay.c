/*
 * The replay store: every technician request nonce the co-signer has seen,
 * in its SQLite file (survives restarts). A nonce is remembered as soon as
 * the request's signature verified, whatever the verdict: a refused request
 * cannot be sent again later either.
 */
#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "pl_err_server.h"
#include "store.h"

static int prune(sqlite3 *db, int64_t before)
{
	sqlite3_stmt *st = NULL;
	int r = PL_E_COS_STORE;

	if (sqlite3_prepare_v2(db, "DELETE FROM cosign_nonce WHERE iat < ?1", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_bind_int64(st, 1, before) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(st);
	return r;
}

int cosign_replay_remember(sqlite3 *db, const uint8_t nonce[16], int64_t iat, int64_t now,
                           uint32_t keep_s)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = prune(db, now - 2 * (int64_t)keep_s)) != 0)
		return r;
	if (sqlite3_prepare_v2(db, "INSERT INTO cosign_nonce (nonce, iat) VALUES (?1, ?2)", -1, &st,
	                       NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 1, nonce, 16, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, iat) != SQLITE_OK) {
		r = PL_E_COS_STORE;
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 0;
	else if (rc == SQLITE_CONSTRAINT)
		r = PL_E_SRV_REPLAY;
	else
		r = PL_E_COS_STORE;
out:
	sqlite3_finalize(st);
	return r;
}
