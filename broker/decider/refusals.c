/* Refusal audit budget: per-key fixed windows in a bounded table (see refusals.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_err.h"
#include "refusals.h"

enum { KEY_FREE = 0, KEY_DEVICE, KEY_TECHNICIAN };

struct key {
	int kind;
	int open; /* a window is running */
	char name[REFUSALS_TEXT];
	char ou[REFUSALS_TEXT];
	char last_rule[REFUSALS_TEXT];
	int64_t start;       /* this window: [start, start + window_s) */
	uint32_t seen;       /* refusals in this window */
	uint32_t suppressed; /* of them, counted instead of written */
	uint32_t pend;       /* suppressed in ended windows, not yet taken */
	int64_t pend_from, pend_until;
};

struct refusals {
	pthread_mutex_t lock;
	uint32_t threshold, window_s, cap;
	struct key *k;
	/* refusals of keys that found no room in the table */
	uint32_t over;
	int64_t over_from, over_until;
	char over_rule[REFUSALS_TEXT];
};

static void copy(char *dst, const char *src)
{
	snprintf(dst, REFUSALS_TEXT, "%s", src != NULL ? src : "");
}

int refusals_new(uint32_t threshold, uint32_t window_s, uint32_t cap, struct refusals **out)
{
	struct refusals *rf;

	if (threshold == 0 || window_s == 0 || cap == 0 || cap > (1u << 20))
		return PL_E_INVAL;
	if ((rf = calloc(1, sizeof(*rf))) == NULL ||
	    (rf->k = calloc(cap, sizeof(*rf->k))) == NULL) {
		free(rf);
		return PL_E_NOMEM;
	}
	pthread_mutex_init(&rf->lock, NULL);
	rf->threshold = threshold;
	rf->window_s = window_s;
	rf->cap = cap;
	*out = rf;
	return 0;
}

void refusals_free(struct refusals *rf)
{
	if (rf == NULL)
		return;
	pthread_mutex_destroy(&rf->lock);
	free(rf->k);
	free(rf);
}

/*
 * Closes k's window when it has ended by now (with force: in any case): its
 * suppressed count moves to pend, to be taken as a summary. A closed key is
 * reused for another key once its pend is taken.
 */
static void close_window(struct refusals *rf, struct key *k, int64_t now, int force)
{
	int64_t end = k->start + (int64_t)rf->window_s;

	if (!k->open || (!force && now < end))
		return;
	if (k->suppressed > 0) {
		if (k->pend == 0)
			k->pend_from = k->start;
		k->pend += k->suppressed;
		k->pend_until = now < end ? now : end;
	}
	k->open = 0;
	k->seen = 0;
	k->suppressed = 0;
}

static int reusable(const struct refusals *rf, const struct key *k, int64_t now)
{
	return k->kind == KEY_FREE || ((!k->open || now >= k->start + (int64_t)rf->window_s) &&
	                               k->suppressed == 0 && k->pend == 0);
}

/* The key of (kind, name), created or rolled on to now's window; NULL: no room. */
static struct key *find(struct refusals *rf, int kind, const char *name, const char *ou,
                        int64_t now)
{
	struct key *room = NULL;

	for (uint32_t i = 0; i < rf->cap; i++) {
		struct key *k = &rf->k[i];

		if (k->kind == kind && strcmp(k->name, name) == 0) {
			close_window(rf, k, now, 0);
			if (!k->open) {
				k->open = 1;
				k->start = now;
			}
			return k;
		}
		if (room == NULL && reusable(rf, k, now))
			room = k;
	}
	if (room != NULL) {
		memset(room, 0, sizeof(*room));
		room->kind = kind;
		copy(room->name, name);
		copy(room->ou, ou);
		room->open = 1;
		room->start = now;
	}
	return room;
}

int refusals_admit(struct refusals *rf, const char *device, const char *device_ou,
                   const char *technician, const char *tech_ou, const char *rule, int64_t now)
{
	int has_tech = technician != NULL && technician[0] != '\0';
	struct key *d, *t = NULL;
	int full;

	pthread_mutex_lock(&rf->lock);
	d = find(rf, KEY_DEVICE, device != NULL ? device : "", device_ou, now);
	if (has_tech)
		t = find(rf, KEY_TECHNICIAN, technician, tech_ou, now);
	if (d != NULL) {
		d->seen++;
		copy(d->last_rule, rule);
	}
	if (t != NULL) {
		t->seen++;
		copy(t->last_rule, rule);
	}
	full = d != NULL && d->seen <= rf->threshold &&
	       (!has_tech || (t != NULL && t->seen <= rf->threshold));
	if (!full) {
		/* counted once, on the first key over its budget (else: no room) */
		if (d != NULL && d->seen > rf->threshold) {
			d->suppressed++;
		} else if (t != NULL && t->seen > rf->threshold) {
			t->suppressed++;
		} else {
			if (rf->over++ == 0)
				rf->over_from = now;
			rf->over_until = now;
			copy(rf->over_rule, rule);
		}
	}
	pthread_mutex_unlock(&rf->lock);
	return full;
}

size_t refusals_take_due(struct refusals *rf, int64_t now, int flush, struct refusal_summary *out,
                         size_t cap)
{
	size_t n = 0;

	pthread_mutex_lock(&rf->lock);
	for (uint32_t i = 0; i < rf->cap && n < cap; i++) {
		struct key *k = &rf->k[i];

		if (k->kind == KEY_FREE)
			continue;
		close_window(rf, k, now, flush);
		if (k->pend == 0)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].kind, sizeof(out[n].kind), "%s",
		         k->kind == KEY_DEVICE ? "device" : "technician");
		copy(out[n].name, k->name);
		copy(out[n].workshop, k->ou);
		copy(out[n].last_rule, k->last_rule);
		out[n].count = k->pend;
		out[n].from = k->pend_from;
		out[n].until = k->pend_until;
		k->pend = 0;
		n++;
	}
	if (rf->over > 0 && n < cap && (flush || now >= rf->over_from + (int64_t)rf->window_s)) {
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].kind, sizeof(out[n].kind), "overflow");
		copy(out[n].last_rule, rf->over_rule);
		out[n].count = rf->over;
		out[n].from = rf->over_from;
		out[n].until = rf->over_until;
		rf->over = 0;
		n++;
	}
	pthread_mutex_unlock(&rf->lock);
	return n;
}
