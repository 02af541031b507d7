/*
 * agent_signtime — the technician key's ES256 sign time as `pitlane run` uses
 * it (agent/techkey.c over p11-kit), the baseline of bench/agent/run-agent.sh.
 *   agent_signtime AGENT_CONF N   prints: signs=N sign_us_median=.. sign_us_p90=..
 *                                         open_ms=.. (module load + login + key check)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "pl_parse.h"
#include "techkey.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct agent_config cfg;
	struct techkey *k = NULL;
	uint8_t msg[1100], sig[64];
	char err[600];
	uint32_t n;
	double t0, open_ms, *lat;

	if (argc != 3 || pl_parse_u32(argv[2], 1, 100000, &n) != 0) {
		fprintf(stderr, "usage: agent_signtime AGENT_CONF N\n");
		return 2;
	}
	if (agent_config_load(argv[1], &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "agent_signtime: %s\n", err);
		return 1;
	}
	t0 = now_us();
	if (techkey_open(&cfg, &k, err, sizeof(err)) != 0) {
		fprintf(stderr, "agent_signtime: %s\n", err);
		return 1;
	}
	open_ms = (now_us() - t0) / 1e3;
	if ((lat = calloc(n, sizeof(*lat))) == NULL)
		return 1;
	/* a request's Sig_structure is about 900 bytes (certificate + payload) */
	memset(msg, 0x5a, sizeof(msg));
	for (uint32_t i = 0; i < n; i++) {
		t0 = now_us();
		if (techkey_sign(k, msg, sizeof(msg), sig) != 0) {
			fprintf(stderr, "agent_signtime: sign failed\n");
			return 1;
		}
		lat[i] = now_us() - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp);
	printf("signs=%u sign_us_median=%.1f sign_us_p90=%.1f open_ms=%.2f\n", n, lat[n / 2],
	       lat[n * 9 / 10], open_ms);
	free(lat);
	techkey_close(k);
	return 0;
}
