/*
 * Refusal audit budget (docs/broker.md, "Refusals under a flood"): every
 * refused request is counted, but per device and per technician only the
 * first `threshold` refusals of a window become an audit row and a log line
 * each; the rest of that window is counted and reported as one summary when
 * the window has ended. So one workshop PC (or one technician card) can make
 * the broker write at most threshold + 1 rows per window, whatever it sends.
 *
 * A key is a device (TLS certificate CN) or a technician (certificate CN).
 * Windows are fixed, from a key's first refusal. At most cap keys are held;
 * a key whose window ended with nothing to report is reused first. When all
 * cap keys are busy, a refusal of a new key is not written but counted into
 * one overflow summary (kind "overflow"): the writes stay bounded.
 * Thread-safe.
 */
#ifndef PITLANE_BROKER_REFUSALS_H
#define PITLANE_BROKER_REFUSALS_H

#include <stddef.h>
#include <stdint.h>

#define REFUSALS_TEXT 64

struct refusals;

struct refusal_summary {
	char kind[16];                 /* "device", "technician" or "overflow" */
	char name[REFUSALS_TEXT];      /* its CN ("" for overflow) */
	char workshop[REFUSALS_TEXT];  /* its OU */
	char last_rule[REFUSALS_TEXT]; /* the rule (or error name) of the last one counted */
	uint32_t count;                /* refusals counted, not written one by one */
	int64_t from, until;           /* the window(s) they fell in, UNIX seconds */
};

/* threshold: rows per key and window (>= 1); window_s >= 1; cap: keys (>= 1). */
int refusals_new(uint32_t threshold, uint32_t window_s, uint32_t cap, struct refusals **out);
void refusals_free(struct refusals *rf);

/*
 * Counts one refusal of device (and of technician, when not NULL/"") at now.
 * Returns 1 when it is to be audited and logged in full, 0 when it was
 * counted into a summary instead.
 */
int refusals_admit(struct refusals *rf, const char *device, const char *device_ou,
                   const char *technician, const char *tech_ou, const char *rule, int64_t now);

/*
 * Moves up to cap summaries whose window has ended by now (all of them when
 * flush != 0, e.g. at shutdown) into out; returns how many.
 */
size_t refusals_take_due(struct refusals *rf, int64_t now, int flush, struct refusal_summary *out,
                         size_t cap);

#endif
