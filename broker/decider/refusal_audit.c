/*
 * Refusals under a flood (docs/broker.md): which refused requests become an
 * audit row and a log line each, and the summary rows of the others. The
 * budget itself is broker/decider/refusals.c; here it meets the audit store.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decider.h"
#include "pl_err.h"
#include "pl_log.h"
#include "pl_time.h"
#include "refusals.h"

#define REFUSALS_KEYS 1024 /* devices + technicians tracked at once */
#define SUMMARIES_PER_TICK 32

int decider_refusals_open(struct decider *b, char *err, size_t errlen)
{
	int r = refusals_new(b->cfg.refusal_audit_threshold, b->cfg.refusal_audit_window_s,
	                     REFUSALS_KEYS, &b->refusals);

	if (r != 0)
		snprintf(err, errlen, "cannot set up the refusal audit budget: %s", pl_strerror(r));
	return r;
}

int decider_refusal_admit(struct decider *b, const char *device, const char *device_ou,
                          const char *technician, const char *tech_ou, const char *rule,
                          int64_t now)
{
	if (b->refusals == NULL)
		return 1;
	decider_refusals_tick(b); /* summaries of ended windows go first */
	return refusals_admit(b->refusals, device, device_ou, technician, tech_ou, rule, now);
}

static void utc(int64_t t, char out[24])
{
	if (pl_time_format_rfc3339(t, out, 24) != 0)
		snprintf(out, 24, "%lld", (long long)t);
}

/* One summary: an audit row (decision "refusals") and a log line. */
static void write_summary(struct decider *b, const struct refusal_summary *s)
{
	struct audit_record rec;
	char from[24], until[24], count[16], reason[512];
	size_t len;
	int r;

	utc(s->from, from);
	utc(s->until, until);
	snprintf(count, sizeof(count), "%u", s->count);
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.request_id, sizeof(rec.request_id), "refusals-%lld", (long long)s->from);
	if (strcmp(s->kind, "device") == 0)
		snprintf(rec.client_identity, sizeof(rec.client_identity), "CN=%.60s,OU=%.60s",
		         s->name, s->workshop);
	else if (strcmp(s->kind, "technician") == 0)
		snprintf(rec.technician, sizeof(rec.technician), "%s", s->name);
	snprintf(rec.workshop, sizeof(rec.workshop), "%s", s->workshop);
	snprintf(rec.decision, sizeof(rec.decision), "refusals");
	snprintf(rec.rule, sizeof(rec.rule), "refusal_summary");
	snprintf(reason, sizeof(reason),
	         "%u refusals of %.15s %.63s from %.23s to %.23s over "
	         "refusal_audit_threshold %u per %u s, counted not written; last: %.63s",
	         s->count, s->kind, s->name, from, until, b->cfg.refusal_audit_threshold,
	         b->cfg.refusal_audit_window_s, s->last_rule);
	len = strnlen(reason, sizeof(rec.reason) - 1); /* the audit field is bounded */
	memcpy(rec.reason, reason, len);
	rec.reason[len] = '\0';
	if ((r = audit_append(b->audit, &rec, NULL)) != 0) {
		pl_log_err("audit_append_failed", r, "request_id", rec.request_id, "decision",
		           rec.decision, NULL);
	}
	pl_log(PL_LOG_WARN, "refusals_summarized", "kind", s->kind, "name", s->name, "workshop",
	       s->workshop, "count", count, "from", from, "until", until, "last_rule", s->last_rule,
	       NULL);
}

static void write_due(struct decider *b, int flush)
{
	struct refusal_summary s[SUMMARIES_PER_TICK];
	size_t n;

	if (b == NULL || b->refusals == NULL || b->audit == NULL)
		return;
	do {
		n = refusals_take_due(b->refusals, (int64_t)time(NULL), flush, s,
		                      SUMMARIES_PER_TICK);
		for (size_t i = 0; i < n; i++)
			write_summary(b, &s[i]);
	} while (n == SUMMARIES_PER_TICK);
}

void decider_refusals_tick(struct decider *b)
{
	write_due(b, 0);
}

void decider_refusals_close(struct decider *b)
{
	write_due(b, 1);
	refusals_free(b->refusals);
	b->refusals = NULL;
}
