/* Error codes of the policy area (-300 .. -349), from pl_err_policy.def. Owner: broker/policy. */
#ifndef PITLANE_ERR_POLICY_H
#define PITLANE_ERR_POLICY_H

enum pl_err_policy {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_policy.def"
#undef PL_ERR
};

#endif
