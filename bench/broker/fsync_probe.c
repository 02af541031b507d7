/*
 * broker_fsync_probe DIR [COUNT]: the latency of one 4 KiB write + fdatasync
 * in DIR (the file system of the audit database), COUNT times (default 200).
 * A token is released only after its audit row is committed, so this is the
 * floor of the broker's request latency: run-issue.sh prints it next to the
 * p99 it measured. Prints: fdatasync_p50_us=N p99_us=N max_us=N
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pl_parse.h"

#define COUNT_MAX 100000

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return (x > y) - (x < y);
}

static unsigned long long elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (unsigned long long)((b->tv_sec - a->tv_sec) * 1000000LL +
				    (b->tv_nsec - a->tv_nsec) / 1000);
}

int main(int argc, char **argv)
{
	char path[4096], block[4096];
	unsigned long long *lat = NULL;
	uint32_t n = 200;
	int fd = -1, rc = 1;

	if (argc < 2 || argc > 3 || (argc == 3 && pl_parse_u32(argv[2], 1, COUNT_MAX, &n) != 0)) {
		fprintf(stderr, "usage: broker_fsync_probe DIR [COUNT 1..%d]\n", COUNT_MAX);
		return 2;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/fsync-probe", argv[1]) >= sizeof(path)) {
		fprintf(stderr, "broker_fsync_probe: directory name too long: %s\n", argv[1]);
		return 2;
	}
	if ((lat = calloc(n, sizeof(*lat))) == NULL)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "broker_fsync_probe: %s: %s\n", path, strerror(errno));
		goto out;
	}
	memset(block, 'a', sizeof(block));
	for (uint32_t i = 0; i < n; i++) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) || fdatasync(fd) != 0) {
			fprintf(stderr, "broker_fsync_probe: %s: %s\n", path, strerror(errno));
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		lat[i] = elapsed_us(&t0, &t1);
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("fdatasync_p50_us=%llu p99_us=%llu max_us=%llu\n", lat[n / 2],
	       lat[(size_t)n * 99 / 100], lat[n - 1]);
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(lat);
	return rc;
}
