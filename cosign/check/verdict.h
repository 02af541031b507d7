/* Refusal codes of POST /v1/cosign (contract section 3): one row per error code. */
#ifndef PITLANE_COSIGN_VERDICT_H
#define PITLANE_COSIGN_VERDICT_H

struct cosign_refusal {
	int err;
	const char *code; /* the problem code the broker logs and passes on */
	int status;       /* HTTP */
};

/* The row of err; an unknown code gets 500 internal (nothing is signed). */
const struct cosign_refusal *cosign_refusal_for(int err);

#endif
