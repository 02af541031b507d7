/* Error codes of the audit area (-350 .. -399). Append-only; see pl_err.h. Owner: broker/audit. */
#ifndef PITLANE_ERR_AUDIT_H
#define PITLANE_ERR_AUDIT_H

enum pl_err_audit {
	PL_E_AUDIT_FIRST = -350, /* reserved: marks the start of the range */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_audit_text(int err, int name);

#endif
