/* Error codes of the audit area (-350 .. -399). Append-only; see pl_err.h. Owner: broker/audit. */
#ifndef PITLANE_ERR_AUDIT_H
#define PITLANE_ERR_AUDIT_H

enum pl_err_audit {
	PL_E_AUDIT_FIRST = -350,        /* reserved: marks the start of the range */
	PL_E_AUDIT_DB = -351,           /* the SQLite database failed (open, prepare, step) */
	PL_E_AUDIT_SCHEMA_NEWER = -352, /* database schema is newer than this program */
	PL_E_AUDIT_MIGRATION = -353,    /* a schema migration failed to apply */
	PL_E_AUDIT_FIELD = -354,        /* a record field is not NUL-terminated or is empty */
	PL_E_AUDIT_READONLY = -355,     /* the database or its directory is read-only */
	PL_E_AUDIT_FULL = -356,         /* the disk holding the database is full */
	PL_E_AUDIT_TAMPERED = -357,     /* the hash chain or a checkpoint does not verify */
	PL_E_AUDIT_NO_SIGNER = -358,    /* no checkpoint signer is configured */
	PL_E_AUDIT_SIGN = -359,         /* the checkpoint signer failed */
	PL_E_AUDIT_NOT_AUDIT_DB = -360, /* the file is not a pitlane audit database */
	PL_E_AUDIT_BUSY = -361,         /* the database stayed locked past the busy timeout */
	PL_E_AUDIT_TIME = -362,         /* a time is not UNIX seconds or ISO 8601 */
	PL_E_AUDIT_DIVERGED = -363,     /* the chain head no longer extends what was committed */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_audit_text(int err, int name);

#endif
