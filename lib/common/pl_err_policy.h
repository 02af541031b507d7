/* Error codes of the policy area (-300 .. -349). Append-only; see pl_err.h. Owner: broker/policy. */
#ifndef PITLANE_ERR_POLICY_H
#define PITLANE_ERR_POLICY_H

enum pl_err_policy {
	PL_E_POLICY_FIRST = -300, /* reserved: marks the start of the range */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_policy_text(int err, int name);

#endif
