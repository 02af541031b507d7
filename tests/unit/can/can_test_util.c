/* Helpers shared by the lib/can unit tests. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "can_test_util.h"

static char bus_dir[256];

const char *ctu_bus_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(bus_dir, sizeof(bus_dir), "%s/pl-can-test-XXXXXX", tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(bus_dir), "mkdtemp failed");
	cr_assert_eq(setenv("PITLANE_CANBUS_DIR", bus_dir, 1), 0);
	return bus_dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

void ctu_bus_dir_remove(void)
{
	if (bus_dir[0] != '\0')
		nftw(bus_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	bus_dir[0] = '\0';
}

struct can_transport *ctu_open_loop(const char *name, uint32_t rx_id)
{
	struct can_filter_ids ids = { .n = 0 };
	struct can_transport *t = NULL;
	char uri[64];
	int r;

	if (rx_id != 0xFFFFFFFFu) {
		ids.ids[0] = rx_id;
		ids.n = 1;
	}
	snprintf(uri, sizeof(uri), "loop:%s", name);
	r = can_transport_open(uri, &ids, &t);
	cr_assert_eq(r, 0, "can_transport_open(%s) = %d", uri, r);
	cr_assert_not_null(t);
	return t;
}

void ctu_pattern(uint8_t *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

uint64_t ctu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
