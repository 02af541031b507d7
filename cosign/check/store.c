/* The co-signer's SQLite file: open, schema (store.h). */
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "store.h"

/* The whole schema (version 1). Every statement is idempotent. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS cosign_audit ("
    " seq INTEGER PRIMARY KEY,"  /* 1, 2, ... without gaps */
    " time INTEGER NOT NULL,"    /* UNIX seconds */
    " request_hash BLOB,"        /* SHA-256 of the technician's request, or NULL */
    " technician TEXT NOT NULL," /* certificate CN ("" before it was verified) */
    " workshop TEXT NOT NULL,"   /* certificate OU */
    " vin TEXT NOT NULL,"
    " op TEXT NOT NULL,"
    " cti BLOB," /* the broker token's id, or NULL */
    " decision TEXT NOT NULL CHECK (decision IN ('allow', 'refuse', 'signed', 'error')),"
    " code TEXT NOT NULL," /* the problem code ("" for allow and signed) */
    " rule TEXT NOT NULL," /* the limit that refused, or "" */
    " detail TEXT NOT NULL,"
    " prev_hash BLOB NOT NULL,"
    " row_hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cosign_nonce ("
    " nonce BLOB PRIMARY KEY," /* the technician request's nonce (key 6) */
    " iat INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS cosign_nonce_iat ON cosign_nonce (iat);"
    "CREATE TABLE IF NOT EXISTS cosign_rate ("
    " op TEXT NOT NULL,"
    " scope TEXT NOT NULL,"    /* technician, workshop, vin, fleet */
    " subject TEXT NOT NULL,"  /* the technician's CN, the OU, the VIN, "" */
    " time INTEGER NOT NULL);" /* when the co-signer allowed it */
    "CREATE INDEX IF NOT EXISTS cosign_rate_key ON cosign_rate (op, scope, subject, time);"
    "CREATE INDEX IF NOT EXISTS cosign_rate_time ON cosign_rate (time);"
    "PRAGMA user_version = 1;";

int cosign_store_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : PL_E_COS_STORE;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int r = PL_E_COS_STORE;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int cosign_store_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int r = PL_E_COS_STORE, v = 0;

	if (sqlite3_open_v2(path, &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
	                        SQLITE_OPEN_FULLMUTEX,
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen,
		         "audit_db %s: cannot open: %s; check the path and permissions", path,
		         db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, COSIGN_BUSY_TIMEOUT_MS);
	if (cosign_store_exec(db, "PRAGMA journal_mode = WAL") != 0 ||
	    cosign_store_exec(db, "PRAGMA synchronous = FULL") != 0 ||
	    cosign_store_exec(db, "PRAGMA trusted_schema = OFF") != 0 ||
	    user_version(db, &v) != 0) {
		snprintf(err, errlen, "audit_db %s: %s; is it an SQLite file on a writable disk?",
		         path, sqlite3_errmsg(db));
		goto out;
	}
	if (v > COSIGN_STORE_VERSION) {
		snprintf(err, errlen,
		         "audit_db %s has schema version %d, newer than this pitlane-cosignd's %d; "
		         "upgrade the program",
		         path, v, COSIGN_STORE_VERSION);
		goto out;
	}
	if (cosign_store_exec(db, "BEGIN IMMEDIATE") != 0 || cosign_store_exec(db, schema) != 0 ||
	    cosign_store_exec(db, "COMMIT") != 0) {
		snprintf(err, errlen, "audit_db %s: cannot create the tables: %s", path,
		         sqlite3_errmsg(db));
		(void)cosign_store_exec(db, "ROLLBACK");
		goto out;
	}
	*out = db;
	db = NULL;
	r = 0;
out:
	sqlite3_close(db);
	return r;
}
