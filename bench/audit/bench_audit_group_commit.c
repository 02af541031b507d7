/*
 * bench_audit_group_commit: audit rows per second with group commit (T threads
 * appending at once, sharing transactions and fsyncs) against the baseline of
 * one thread, where every row is its own transaction and fsync. Both run in
 * the same process on the same file system, one after the other, each on a
 * fresh database in a temporary directory ($TMPDIR or /tmp).
 *
 * usage: bench_audit_group_commit [-t THREADS] [-n ROWS_PER_RUN]
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

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	uint32_t threads = 8, rows = 800;
	struct audit_stats s1, sn;
	double r1 = 0, rn = 0;
	int c, r;

	while ((c = getopt(argc, argv, "t:n:")) != -1) {
		if (c == 't' && pl_parse_u32(optarg, 2, 64, &threads) == 0)
			continue;
		if (c == 'n' && pl_parse_u32(optarg, 64, 1000000, &rows) == 0)
			continue;
		fprintf(stderr, "usage: bench_audit_group_commit [-t 2..64] [-n 64..1000000]\n");
		return 2;
	}
	rows -= rows % threads;
	snprintf(tmpl, sizeof(tmpl), "%s/pl-bench-audit-XXXXXX", base && base[0] ? base : "/tmp");
	if (mkdtemp(tmpl) == NULL) {
		perror("bench_audit_group_commit: mkdtemp");
		return 1;
	}
	if ((r = measure(tmpl, "single", 1, rows, &r1, &s1)) != 0 ||
	    (r = measure(tmpl, "group", threads, rows, &rn, &sn)) != 0) {
		fprintf(stderr, "bench_audit_group_commit: %s (err=%s)\n", pl_strerror(r),
			pl_errname(r));
		rmdir(tmpl);
		return 1;
	}
	rmdir(tmpl);
	printf("baseline  1 thread : %8.0f rows/s  (%llu rows, %llu commits: one fsync per row)\n",
	       r1, (unsigned long long)s1.rows, (unsigned long long)s1.commits);
	printf("group    %2u threads: %8.0f rows/s  (%llu rows, %llu commits, %.1f rows/commit)\n",
	       threads, rn, (unsigned long long)sn.rows, (unsigned long long)sn.commits,
	       (double)sn.rows / (double)(sn.commits ? sn.commits : 1));
	printf("ratio group/baseline: %.2fx\n", rn / r1);
	return 0;
}
