/* Error codes of the agent area (-600 .. -699). Append-only; see pl_err.h. Owner: agent. */
#ifndef PITLANE_ERR_AGENT_H
#define PITLANE_ERR_AGENT_H

enum pl_err_agent {
	PL_E_AGENT_FIRST = -600, /* reserved: marks the start of the range */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_agent_text(int err, int name);

#endif
