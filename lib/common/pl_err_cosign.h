/* Error codes of the co-signer daemon (-700 .. -749), from pl_err_cosign.def. Owner: cosign/. */
#ifndef PITLANE_ERR_COSIGN_H
#define PITLANE_ERR_COSIGN_H

enum pl_err_cosign {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_cosign.def"
#undef PL_ERR
};

#endif
