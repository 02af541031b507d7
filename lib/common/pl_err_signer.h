/* Error codes of the signer area (-400 .. -449), from pl_err_signer.def. Owner: broker/signer. */
#ifndef PITLANE_ERR_SIGNER_H
#define PITLANE_ERR_SIGNER_H

enum pl_err_signer {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_signer.def"
#undef PL_ERR
};

#endif
