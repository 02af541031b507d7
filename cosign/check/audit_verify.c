/* cosign_audit_verify(): walks the co-signer's audit chain from the first row (audit.c). */
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "store.h"

#define TEXT(st, i) ((const char *)sqlite3_column_text(st, i))

/* Checks one row against the previous hash; prev becomes its hash. */
static int check_row(sqlite3_stmt *st, uint64_t want, uint8_t prev[32], char *err, size_t errlen)
{
	struct cosign_audit_row r;
	uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
	uint8_t hash[32];
	int hlen = sqlite3_column_bytes(st, 2), clen = sqlite3_column_bytes(st, 7);

	if (seq != want) {
		snprintf(err, errlen, "row %llu follows row %llu: a row was removed or inserted",
		         (unsigned long long)seq, (unsigned long long)(want - 1));
		return PL_E_COS_AUDIT_BROKEN;
	}
	memset(&r, 0, sizeof(r));
	r.time = sqlite3_column_int64(st, 1);
	r.request_hash = hlen == 32 ? sqlite3_column_blob(st, 2) : NULL;
	r.technician = TEXT(st, 3);
	r.workshop = TEXT(st, 4);
	r.vin = TEXT(st, 5);
	r.op = TEXT(st, 6);
	r.cti = clen == 16 ? sqlite3_column_blob(st, 7) : NULL;
	r.decision = TEXT(st, 8);
	r.code = TEXT(st, 9);
	r.rule = TEXT(st, 10);
	r.detail = TEXT(st, 11);
	if ((hlen != 0 && hlen != 32) || (clen != 0 && clen != 16) ||
	    sqlite3_column_bytes(st, 12) != 32 || sqlite3_column_bytes(st, 13) != 32 ||
	    memcmp(sqlite3_column_blob(st, 12), prev, 32) != 0 ||
	    cosign_audit_hash(prev, seq, &r, hash) != 0 ||
	    memcmp(sqlite3_column_blob(st, 13), hash, 32) != 0) {
		snprintf(err, errlen,
		         "row %llu does not match its hash or its predecessor's: it or an earlier "
		         "row was changed",
		         (unsigned long long)seq);
		return PL_E_COS_AUDIT_BROKEN;
	}
	memcpy(prev, hash, 32);
	return 0;
}

int cosign_audit_verify(const char *path, uint64_t *rows, uint64_t *bad_seq, char *err,
                        size_t errlen)
{
	static const char sql[] = "SELECT seq, time, request_hash, technician, workshop, vin, op, "
	                          "cti, decision, code, rule, detail, prev_hash, row_hash "
	                          "FROM cosign_audit ORDER BY seq";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t prev[32] = {0};
	uint64_t n = 0;
	int r = PL_E_COS_STORE, rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) !=
	        SQLITE_OK ||
	    sqlite3_busy_timeout(db, COSIGN_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot read the audit table: %s", path,
		         db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = check_row(st, n + 1, prev, err, errlen)) != 0) {
			*bad_seq = n + 1;
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: reading row %llu failed: %s", path,
		         (unsigned long long)(n + 1), sqlite3_errmsg(db));
		r = PL_E_COS_STORE;
		goto out;
	}
	*rows = n;
	r = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}
