/*
 * POST /v1/receipts decoding (untrusted bytes -> plain struct): what the ECU
 * said after a token was delivered (docs/protocol.md):
 *
 *   { "vin": tstr .size 17, "op": tstr, "result": "ok" / "failure",
 *     ? "nrc": uint .le 255, ? "cti": bstr .size 16 }
 *
 * Keys in any order, each at most once, no others; no trailing bytes. Pure
 * function: no allocation, no clock (a fuzz target).
 */
#ifndef PITLANE_BROKER_RECEIPT_H
#define PITLANE_BROKER_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "pitlane/token.h"

#define RECEIPT_MAX 1024
#define RECEIPT_CTI_LEN 16

struct receipt {
	char vin[PLT_VIN_LEN + 1];
	char op[PLT_OP_MAX];
	int failure; /* result "failure" */
	int has_nrc;
	uint8_t nrc;
	int has_cti;
	uint8_t cti[RECEIPT_CTI_LEN];
};

/* 0, or PL_E_SRV_REQ_MALFORMED / PL_E_SRV_REQ_FIELD with a sentence in why. */
int receipt_decode(const uint8_t *body, size_t len, struct receipt *out, char *why, size_t whylen);

#endif
