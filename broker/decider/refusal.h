/*
 * Refusals that tell a suspect nothing (docs/protocol.md, "Refusals without a
 * reason"). A request refused because its VIN is a decoy, because a detector
 * denied it or suspended its sender, or because the technician, workshop or
 * device is suspended (by an officer, a detector or the policy file) is
 * answered with one generic 403: code "refused", no rule, a detail naming only
 * the request id and whom to call (broker.conf `refusal_contact`). Whoever
 * probes learns neither that a VIN is a decoy, nor which detector fired with
 * what evidence, nor an officer's reason. What decided stays in the audit row,
 * the log line and pitlanectl (alerts list, audit export).
 */
#ifndef PITLANE_BROKER_REFUSAL_H
#define PITLANE_BROKER_REFUSAL_H

#include <stddef.h>

#include "problem.h"

#define REFUSAL_CODE "refused"
#define REFUSAL_DETAIL_MAX 256

/* 1 when a refusal with this problem code and rule must not say why. */
int refusal_is_confidential(const char *code, const char *rule);

/*
 * Turns p (status, request_id kept) into the generic refusal: status 403,
 * code "refused", no rule, no Retry-After, a detail written into detail[cap]
 * that names p->request_id and contact (the default text when contact is
 * NULL or empty).
 */
void refusal_make_generic(struct problem *p, const char *contact, char *detail, size_t cap);

/*
 * The rule a requester is shown for an approval (202 map, approval_denied,
 * approval_expired): "review" when a detector asked for it ("anomalies.<name>"
 * names the detector), else the rule itself (approvals.*, limits.*).
 */
const char *refusal_rule_for_requester(const char *rule);

#endif
