/* Error codes of the can area (-200 .. -299). Append-only; see pl_err.h. Owner: lib/can, vehicle. */
#ifndef PITLANE_ERR_CAN_H
#define PITLANE_ERR_CAN_H

enum pl_err_can {
	PL_E_CAN_FIRST = -200, /* reserved: marks the start of the range */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_can_text(int err, int name);

#endif
