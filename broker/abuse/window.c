/*
 * Sliding windows of WIN_SLOTS + 1 slots. A window of W seconds is cut into
 * slots of ceil(W / WIN_SLOTS) s; the count is the sum of the slots that
 * overlap [now - W, now], so no interval of W seconds ever holds more than
 * the limit. A request leaves the count at most one slot after it left the
 * window (the refusal errs on the safe side by at most W / 16).
 */
#include <string.h>

#include "abuse_int.h"

#define NS (WIN_SLOTS + 1)

void win_init(struct win *w, uint32_t seconds)
{
	memset(w, 0, sizeof(*w));
	w->slot_ms = ((int64_t)seconds * 1000 + WIN_SLOTS - 1) / WIN_SLOTS;
	if (w->slot_ms < 1)
		w->slot_ms = 1;
	w->head = INT64_MIN;
}

static size_t pos(int64_t idx)
{
	int64_t r = idx % NS;

	return (size_t)(r < 0 ? r + NS : r);
}

/* Moves the head to the slot of now_ms, zeroing the slots that left. */
static void advance(struct win *w, int64_t now_ms)
{
	int64_t idx = now_ms / w->slot_ms;

	if (w->head == INT64_MIN || idx - w->head >= NS) {
		memset(w->c, 0, sizeof(w->c));
		w->head = idx;
		return;
	}
	while (w->head < idx) {
		w->head++;
		w->c[pos(w->head)] = 0;
	}
}

uint32_t win_count(struct win *w, int64_t now_ms)
{
	uint64_t sum = 0;

	if (w->head != INT64_MIN && now_ms / w->slot_ms < w->head)
		now_ms = w->head * w->slot_ms; /* clock went back: count as of the head */
	advance(w, now_ms);
	for (size_t i = 0; i < NS; i++)
		sum += w->c[i];
	return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

void win_add(struct win *w, int64_t now_ms)
{
	int64_t idx = now_ms / w->slot_ms;

	advance(w, now_ms);
	/* A past request (rebuild) still inside the slots is counted in its slot. */
	if (idx <= w->head && w->head - idx < NS) {
		if (w->c[pos(idx)] < UINT32_MAX)
			w->c[pos(idx)]++;
	}
}

uint32_t win_retry_after(struct win *w, int64_t now_ms, uint32_t limit)
{
	uint32_t count = win_count(w, now_ms);
	int64_t oldest = w->head - (NS - 1);

	for (int64_t k = 0; k < NS && count >= limit; k++) {
		count -= w->c[pos(oldest + k)];
		if (count < limit) {
			/* Slot oldest+k stops overlapping the window once it is NS slots old. */
			int64_t free_ms = (oldest + k + NS) * w->slot_ms;
			int64_t s = (free_ms - now_ms + 999) / 1000;

			return s < 1 ? 1 : (uint32_t)s;
		}
	}
	return 1;
}
