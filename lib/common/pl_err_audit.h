/* Error codes of the audit area (-350 .. -399), from pl_err_audit.def. Owner: broker/audit. */
#ifndef PITLANE_ERR_AUDIT_H
#define PITLANE_ERR_AUDIT_H

enum pl_err_audit {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_audit.def"
#undef PL_ERR
};

#endif
