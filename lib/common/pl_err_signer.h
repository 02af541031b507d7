/* Error codes of the signer area (-400 .. -449). Append-only; see pl_err.h. Owner: broker/signer. */
#ifndef PITLANE_ERR_SIGNER_H
#define PITLANE_ERR_SIGNER_H

enum pl_err_signer {
	PL_E_SIGNER_FIRST = -400, /* reserved: marks the start of the range */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_signer_text(int err, int name);

#endif
