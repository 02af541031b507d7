/* Error codes of the server area (-450 .. -549). Append-only; see pl_err.h. Owner: broker/server (pitlaned, pitlanectl). */
#ifndef PITLANE_ERR_SERVER_H
#define PITLANE_ERR_SERVER_H

enum pl_err_server {
	PL_E_SERVER_FIRST = -450, /* reserved: marks the start of the range */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_server_text(int err, int name);

#endif
