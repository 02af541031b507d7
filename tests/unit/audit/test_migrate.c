/* broker/audit/migrate.c: schema migrations from schema/NNNN_*.sql. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "audit.h"
#include "audit_test_util.h"
#include "migrations.h"
#include "pl_err.h"
#include "pl_err_audit.h"

static char *dir;
static char db[1024];

static void setup(void)
{
	dir = aut_tmpdir();
	aut_path(db, sizeof(db), dir, "audit.db");
}

static void teardown(void)
{
	aut_rmdir(dir);
}

TestSuite(audit_migrate, .init = setup, .fini = teardown);

Test(audit_migrate, REQ_AUD_020_fresh_database_gets_latest_version)
{
	struct audit *a = NULL;

	cr_assert_geq(audit_schema_latest(), 1);
	cr_assert_eq(audit_open(db, &a), 0);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "PRAGMA user_version"), (int64_t)audit_schema_latest());
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
				     "AND name IN ('audit_log', 'checkpoints')"), 2);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"), 4);
}

Test(audit_migrate, REQ_AUD_021_reopen_is_idempotent)
{
	struct audit *a = NULL;
	int64_t objects;

	aut_fill(db, 5, NULL, 0);
	objects = aut_sql_int(db, "SELECT count(*) FROM sqlite_master");
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(audit_open(db, &a), 0);
		audit_close(a);
	}
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM sqlite_master"), objects);
	cr_assert_eq(aut_sql_int(db, "PRAGMA user_version"), (int64_t)audit_schema_latest());
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log"), 5);
}

Test(audit_migrate, REQ_AUD_022_newer_database_is_refused_untouched)
{
	struct audit *a = NULL;
	char sql[64];
	unsigned future = audit_schema_latest() + 1;

	aut_fill(db, 2, NULL, 0);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %u", future);
	aut_sql(db, sql);
	cr_assert_eq(audit_open(db, &a), PL_E_AUDIT_SCHEMA_NEWER);
	cr_assert_null(a);
	cr_assert_eq(aut_sql_int(db, "PRAGMA user_version"), (int64_t)future);
	cr_assert_str_eq(pl_errname(PL_E_AUDIT_SCHEMA_NEWER), "audit_schema_newer");
}

Test(audit_migrate, REQ_AUD_023_foreign_database_is_refused)
{
	struct audit *a = NULL;

	aut_sql(db, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
	cr_assert_eq(audit_open(db, &a), PL_E_AUDIT_NOT_AUDIT_DB);
	cr_assert_null(a);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'"), 0);
	cr_assert_eq(aut_sql_int(db, "PRAGMA user_version"), 0);
}

Test(audit_migrate, REQ_AUD_024_embedded_migrations_are_numbered_in_order)
{
	for (unsigned i = 0; i < audit_migration_count; i++) {
		char prefix[16];

		cr_assert_eq(audit_migrations[i].version, i + 1);
		snprintf(prefix, sizeof(prefix), "%04u_", i + 1);
		cr_assert_eq(strncmp(audit_migrations[i].name, prefix, 5), 0, "%s",
			     audit_migrations[i].name);
		cr_assert_gt(strlen(audit_migrations[i].sql), 0);
	}
}

Test(audit_migrate, REQ_AUD_025_not_a_database_file_is_refused)
{
	struct audit *a = NULL;
	FILE *f = fopen(db, "w");

	cr_assert_not_null(f);
	fputs("this is not an SQLite database, just some text long enough to fill a header "
	      "page of a hundred bytes or so...................................\n", f);
	fclose(f);
	cr_assert_eq(audit_open(db, &a), PL_E_AUDIT_NOT_AUDIT_DB);
	cr_assert_null(a);
}
