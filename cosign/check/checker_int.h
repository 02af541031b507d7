/* The checker's state (cosign/check internals). */
#ifndef PITLANE_COSIGN_CHECKER_INT_H
#define PITLANE_COSIGN_CHECKER_INT_H

#include <openssl/x509.h>
#include <sqlite3.h>

#include "checks.h"
#include "cosign_check.h"
#include "rules.h"

struct cosign_checker {
	sqlite3 *db;
	X509_STORE *dealer;  /* dealer_ca + crl, technician_eku */
	X509_STORE *officer; /* officer_ca; NULL when not configured */
	struct plt_trust_anchor broker;
	struct cosign_limits *limits;
	struct cosign_approvers *approvers;
	uint32_t window_s;
	uint32_t approval_max_age_s;
	uint32_t nonce_keep_s; /* the oldest request accepted: nonces are kept twice as long */
	uint32_t keep_s;       /* the longest velocity window: older counts are dropped */
};

#endif
