/* Error codes of the co-signer's checks (-750 .. -799), from pl_err_cosign_check.def. Owner:
 * cosign/check. */
#ifndef PITLANE_ERR_COSIGN_CHECK_H
#define PITLANE_ERR_COSIGN_CHECK_H

enum pl_err_cosign_check {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_cosign_check.def"
#undef PL_ERR
};

#endif
