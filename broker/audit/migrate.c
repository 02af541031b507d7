/*
 * Schema migrations: apply the embedded schema/NNNN_*.sql files in order, each
 * in one IMMEDIATE transaction together with its PRAGMA user_version, so a
 * crash or a failing file leaves the database at the previous version. The
 * version is re-read inside the transaction, so two processes opening the
 * same new file at once do not apply a migration twice.
 */
#include <stdio.h>

#include <sqlite3.h>

#include "audit_int.h"
#include "migrations.h"
#include "pl_err.h"
#include "pl_err_audit.h"

unsigned audit_schema_latest(void)
{
	return audit_migration_count;
}

static int read_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PL_E_AUDIT_DB : audit_sqlite_err(rc);
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/* The embedded table must be 1..n in order (the generator checks it too). */
static int table_valid(void)
{
	if (audit_migration_count == 0)
		return PL_E_INTERNAL;
	for (unsigned i = 0; i < audit_migration_count; i++)
		if (audit_migrations[i].version != i + 1)
			return PL_E_INTERNAL;
	return 0;
}

/* Applies the migration after version uv inside an open transaction. */
static int apply_one(sqlite3 *db, int64_t uv)
{
	const struct audit_migration *m = &audit_migrations[uv];
	char pragma[64];
	int r;

	if ((r = audit_exec(db, m->sql)) != 0)
		return r == PL_E_AUDIT_DB ? PL_E_AUDIT_MIGRATION : r;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %u", m->version);
	return audit_exec(db, pragma);
}

/* One step: 1 when a migration was applied, 0 when up to date, or an error. */
static int migrate_step(sqlite3 *db)
{
	int64_t uv = 0, ntables = 0;
	int r, applied = 0;

	if ((r = audit_exec(db, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = read_int(db, "PRAGMA user_version", &uv)) != 0)
		goto out;
	if (uv < 0 || uv > (int64_t)audit_migration_count) {
		r = PL_E_AUDIT_SCHEMA_NEWER;
		goto out;
	}
	if (uv == 0) {
		/* Version 0 with tables in it is someone else's database. */
		if ((r = read_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
		                  &ntables)) != 0)
			goto out;
		if (ntables != 0) {
			r = PL_E_AUDIT_NOT_AUDIT_DB;
			goto out;
		}
	}
	if (uv < (int64_t)audit_migration_count) {
		if ((r = apply_one(db, uv)) != 0)
			goto out;
		applied = 1;
	}
	r = audit_exec(db, "COMMIT");
out:
	if (r != 0)
		audit_exec(db, "ROLLBACK");
	return r != 0 ? r : applied;
}

int audit_migrate(sqlite3 *db)
{
	int r;

	if ((r = table_valid()) != 0)
		return r;
	while ((r = migrate_step(db)) == 1)
		;
	return r;
}
