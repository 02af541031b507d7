/* The schema migrations embedded from schema/NNNN_*.sql (generated table). */
#ifndef PITLANE_AUDIT_MIGRATIONS_H
#define PITLANE_AUDIT_MIGRATIONS_H

struct sqlite3;

struct audit_migration {
	unsigned version; /* NNNN of the file name; 1, 2, 3, ... */
	const char *name; /* file name, for messages */
	const char *sql;  /* the whole file, NUL-terminated */
};

extern const struct audit_migration audit_migrations[];
extern const unsigned audit_migration_count;

/*
 * Brings db up to the latest version: each pending migration in its own
 * transaction together with the PRAGMA user_version update. Refuses a newer
 * database with PL_E_AUDIT_SCHEMA_NEWER (nothing is changed).
 */
int audit_migrate(struct sqlite3 *db);

/* The schema version this code writes (the last migration's number). */
unsigned audit_schema_latest(void);

#endif
