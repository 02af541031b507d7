/*
 * bench_audit_group_commit: audit rows per second with group commit (T threads
 * appending at once, sharing transactions and fsyncs) against the baseline of
 * one thread, where every row is its own transaction and fsync. Both run in
 * the same process on the same file system, each on a fresh database in a
 * temporary directory ($TMPDIR or /tmp). fsync latency on a shared machine
 * drifts, so the two modes alternate for R rounds and the medians are compared.
 *
 * usage: bench_audit_group_commit [-t THREADS] [-n ROWS_PER_RUN] [-r ROUNDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "pl_err.h"
#include "pl_parse.h"

struct run {
	struct audit *a;
	unsigned rows;      /* rows this thread appends */
	unsigned base;
	int err;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void record(struct audit_record *r, unsigned i)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->request_id, sizeof(r->request_id), "bench-%u", i);
	snprintf(r->client_identity, sizeof(r->client_identity), "ws-muc-01-pc1");
	snprintf(r->technician, sizeof(r->technician), "tech-anna");
	snprintf(r->workshop, sizeof(r->workshop), "ws-muc-01");
	snprintf(r->vin, sizeof(r->vin), "WVWZZZ1JZXW%06u", i % 1000000);
	snprintf(r->op, sizeof(r->op), "door.unlock");
	snprintf(r->decision, sizeof(r->decision), "allow");
	snprintf(r->rule, sizeof(r->rule), "ws-muc-01.door");
	snprintf(r->reason, sizeof(r->reason), "benchmark");
	snprintf(r->client_addr, sizeof(r->client_addr), "127.0.0.1");
	memset(r->token_id, (int)(i & 0xff), sizeof(r->token_id));
	r->has_token_id = 1;
}

static void *worker(void *p)
{
	struct run *w = p;
	struct audit_record rec;

	for (unsigned i = 0; i < w->rows; i++) {
		record(&rec, w->base + i);
		if ((w->err = audit_append(w->a, &rec, NULL)) != 0)
			break;
	}
	return NULL;
}

/* Appends total rows from nthreads threads into a fresh database; rows/s. */
static int measure(const char *dir, const char *name, unsigned nthreads, unsigned total,
		   double *rate, struct audit_stats *st)
{
	char path[1024], wal[1100], shm[1100];
	pthread_t th[64];
	struct run w[64];
	struct audit *a = NULL;
	double t0, t1;
	int r;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	if ((r = audit_open(path, &a)) != 0)
		return r;
	t0 = now_s();
	for (unsigned t = 0; t < nthreads; t++) {
		w[t] = (struct run){ .a = a, .rows = total / nthreads, .base = t * total };
		pthread_create(&th[t], NULL, worker, &w[t]);
	}
	for (unsigned t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	t1 = now_s();
	audit_get_stats(a, st);
	audit_close(a);
	unlink(path);
	unlink(wal);
	unlink(shm);
	for (unsigned t = 0; t < nthreads; t++)
		if (w[t].err != 0)
			return w[t].err;
	*rate = (double)st->rows / (t1 - t0);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_ROUNDS 15

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	uint32_t threads = 8, rows = 400, rounds = 3;
	struct audit_stats s1, sn;
	double v1[MAX_ROUNDS], vn[MAX_ROUNDS], r1, rn;
	uint64_t rows_n = 0, commits_n = 0;
	int c, r = 0;

	while ((c = getopt(argc, argv, "t:n:r:")) != -1) {
		if (c == 't' && pl_parse_u32(optarg, 2, 64, &threads) == 0)
			continue;
		if (c == 'n' && pl_parse_u32(optarg, 64, 1000000, &rows) == 0)
			continue;
		if (c == 'r' && pl_parse_u32(optarg, 1, MAX_ROUNDS, &rounds) == 0)
			continue;
		fprintf(stderr, "usage: bench_audit_group_commit [-t 2..64] [-n 64..1000000] "
			"[-r 1..%d]\n", MAX_ROUNDS);
		return 2;
	}
	rows -= rows % threads;
	snprintf(tmpl, sizeof(tmpl), "%s/pl-bench-audit-XXXXXX", base && base[0] ? base : "/tmp");
	if (mkdtemp(tmpl) == NULL) {
		perror("bench_audit_group_commit: mkdtemp");
		return 1;
	}
	for (unsigned i = 0; i < rounds && r == 0; i++) {
		if ((r = measure(tmpl, "single", 1, rows, &v1[i], &s1)) != 0 ||
		    (r = measure(tmpl, "group", threads, rows, &vn[i], &sn)) != 0)
			break;
		rows_n += sn.rows;
		commits_n += sn.commits;
	}
	if (r != 0) {
		fprintf(stderr, "bench_audit_group_commit: %s (err=%s)\n", pl_strerror(r),
			pl_errname(r));
		rmdir(tmpl);
		return 1;
	}
	rmdir(tmpl);
	r1 = median(v1, rounds);
	rn = median(vn, rounds);
	printf("baseline  1 thread : %8.0f rows/s  (median of %u runs of %u rows; one commit "
	       "and fsync per row)\n", r1, rounds, rows);
	printf("group    %2u threads: %8.0f rows/s  (median of %u runs; %.1f rows per commit)\n",
	       threads, rn, rounds, (double)rows_n / (double)(commits_n ? commits_n : 1));
	printf("ratio group/baseline: %.2fx\n", rn / r1);
	return 0;
}
