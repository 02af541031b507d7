/* SQLite helpers shared by the store, the migrations and the verifier. */
#include <time.h>

#include <sqlite3.h>

#include "audit_int.h"
#include "pl_err.h"
#include "pl_err_audit.h"

int audit_sqlite_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return PL_E_NOMEM;
	case SQLITE_READONLY:
		return PL_E_AUDIT_READONLY;
	case SQLITE_FULL:
		return PL_E_AUDIT_FULL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return PL_E_AUDIT_BUSY;
	case SQLITE_CANTOPEN:
		return PL_E_NOENT;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return PL_E_PERM;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return PL_E_AUDIT_NOT_AUDIT_DB;
	default:
		return PL_E_AUDIT_DB;
	}
}

int audit_exec(struct sqlite3 *db, const char *sql)
{
	return audit_sqlite_err(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

int64_t audit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
