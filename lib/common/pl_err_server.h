/* Error codes of the server area (-450 .. -549), from pl_err_server.def. Owner: broker/server. */
#ifndef PITLANE_ERR_SERVER_H
#define PITLANE_ERR_SERVER_H

enum pl_err_server {
#define PL_ERR(sym, code, name, text) sym = code,
#include "pl_err_server.def"
#undef PL_ERR
};

#endif
