/* Error table of the audit area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_audit.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
	{ PL_E_AUDIT_FIRST, "audit_first", "reserved audit error code" },
	{ PL_E_AUDIT_DB, "audit_db",
	  "the audit database failed (check the path, permissions and disk)" },
	{ PL_E_AUDIT_SCHEMA_NEWER, "audit_schema_newer",
	  "the audit database was written by a newer pitlane (upgrade this program)" },
	{ PL_E_AUDIT_MIGRATION, "audit_migration",
	  "a schema migration failed; the database was left at its previous version" },
	{ PL_E_AUDIT_FIELD, "audit_field",
	  "an audit record field is too long or missing (decision must be set)" },
	{ PL_E_AUDIT_READONLY, "audit_readonly",
	  "the audit database or its directory is read-only" },
	{ PL_E_AUDIT_FULL, "audit_full", "the disk holding the audit database is full" },
	{ PL_E_AUDIT_TAMPERED, "audit_tampered",
	  "the audit hash chain or a signed checkpoint does not verify" },
	{ PL_E_AUDIT_NO_SIGNER, "audit_no_signer", "no audit checkpoint signer is configured" },
	{ PL_E_AUDIT_SIGN, "audit_sign", "signing an audit checkpoint failed" },
	{ PL_E_AUDIT_NOT_AUDIT_DB, "audit_not_audit_db",
	  "the file is not a pitlane audit database (no audit_log table)" },
	{ PL_E_AUDIT_BUSY, "audit_busy",
	  "the audit database stayed locked by another process past the busy timeout" },
	{ PL_E_AUDIT_TIME, "audit_time",
	  "not a time: give UNIX seconds or ISO 8601 (2024-05-01 or 2024-05-01T12:00:00Z)" },
	{ PL_E_AUDIT_DIVERGED, "audit_chain_diverged",
	  "the audit chain head no longer extends the rows this broker committed (rows were "
	  "deleted or rewritten in the file); no checkpoint is signed: run pitlanectl audit "
	  "verify, then restart the broker" },
};

const char *pl_err_audit_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
