/* Error codes of the can area (-200 .. -299), from pl_err_can.def. Owner: lib/can, vehicle. */
#ifndef PITLANE_ERR_CAN_H
#define PITLANE_ERR_CAN_H

enum pl_err_can {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_can.def"
#undef PL_ERR
};

#endif
