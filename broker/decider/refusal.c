/* The generic refusal a suspect gets (refusal.h, docs/protocol.md). */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "refusal.h"

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int refusal_is_confidential(const char *code, const char *rule)
{
	if (code == NULL)
		return 0;
	/* Officer and detector suspensions, and a detector's deny or suspend. */
	if (strcmp(code, "suspended") == 0 || strcmp(code, "anomaly_denied") == 0)
		return 1;
	if (strcmp(code, "policy_denied") != 0 || rule == NULL)
		return 0;
	/*
	 * The policy's own refusals that would give the game away: a decoy VIN
	 * ("decoy_vins") and `suspended: true` of a workshop or technician
	 * ("workshops.<id>.suspended", "technicians.<id>.suspended"). Every other
	 * policy refusal (roles, VIN prefixes, opening hours, ...) keeps its rule
	 * and reason: an honest technician needs them and they reveal nothing.
	 */
	return strcmp(rule, "decoy_vins") == 0 || ends_with(rule, ".suspended");
}

void refusal_make_generic(struct problem *p, const char *contact, char *detail, size_t cap)
{
	const char *who =
	    contact != NULL && contact[0] != '\0' ? contact : BROKER_REFUSAL_CONTACT_DEFAULT;

	snprintf(detail, cap, "no reason is given; call %s and quote request id %s", who,
	         p->request_id != NULL && p->request_id[0] != '\0' ? p->request_id : "(none)");
	p->status = 403;
	p->code = REFUSAL_CODE;
	p->title = problem_title_for(403);
	p->detail = detail;
	p->rule = NULL;
	p->retry_after = 0;
}

const char *refusal_rule_for_requester(const char *rule)
{
	return rule != NULL && strncmp(rule, "anomalies.", 10) == 0 ? "review" : rule;
}
