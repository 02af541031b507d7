/* Error codes of the agent area (-600 .. -699), from pl_err_agent.def. Owner: agent. */
#ifndef PITLANE_ERR_AGENT_H
#define PITLANE_ERR_AGENT_H

enum pl_err_agent {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_agent.def"
#undef PL_ERR
};

#endif
