/* Internal helpers of the signer module (not part of its interface). */
#ifndef PITLANE_SIGNER_INT_H
#define PITLANE_SIGNER_INT_H

#include "signer.h"

/* 0 when the limits table is usable (ops named, unique, max_ttl > 0, max_exi > 0). */
int signer_limits_check(const struct signer_limits *l);
/* 0 when req is inside the limits and well-formed; else the PL_E_SIGNER_* reason. */
int signer_request_check(const struct signer_limits *l, const struct signer_request *req);

#endif
