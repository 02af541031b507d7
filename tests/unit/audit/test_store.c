/* broker/audit/store.c: appends, group commit, crash safety, readiness. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <time.h>

#include "audit.h"
#include "audit_test_util.h"
#include "pl_err.h"
#include "pl_err_audit.h"

static char *dir;
static char db[1024];

static void setup(void)
{
	dir = aut_tmpdir();
	aut_path(db, sizeof(db), dir, "audit.db");
}

static void teardown(void)
{
	aut_rmdir(dir);
	dir = NULL;
}

TestSuite(audit_store, .init = setup, .fini = teardown);

Test(audit_store, REQ_AUD_001_append_then_verify_round_trip)
{
	struct audit_verify_report rep;

	aut_fill(db, 25, NULL, 0);
	cr_assert_eq(audit_verify(db, NULL, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.rows, 25);
	cr_assert_eq(rep.fault, AUDIT_OK);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log"), 25);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log WHERE token_id IS NULL"), 8);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log WHERE seq = 7 AND "
				     "vin = 'WVWZZZ1JZXW000007' AND request_id = 'req-00000007' "
				     "AND time_ms = 1714550407000 AND decision = 'allow'"), 1);
}

Test(audit_store, REQ_AUD_002_chain_continues_across_reopen)
{
	struct audit_verify_report rep;
	struct audit *a = NULL;
	struct audit_record rec;
	struct audit_stats st;
	uint64_t id = 0;

	aut_fill(db, 10, NULL, 0);
	cr_assert_eq(audit_open(db, &a), 0);
	audit_get_stats(a, &st);
	cr_assert_eq(st.head_seq, 10);
	aut_record(&rec, 11);
	cr_assert_eq(audit_append(a, &rec, &id), 0);
	cr_assert_eq(id, 11);
	audit_close(a);
	cr_assert_eq(audit_verify(db, NULL, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.rows, 11);
}

Test(audit_store, REQ_AUD_003_rejects_unterminated_or_empty_fields)
{
	struct audit *a = NULL;
	struct audit_record rec;
	uint64_t id = 77;

	cr_assert_eq(audit_open(db, &a), 0);
	aut_record(&rec, 1);
	memset(rec.vin, 'W', sizeof(rec.vin));            /* no NUL inside the array */
	cr_assert_eq(audit_append(a, &rec, &id), PL_E_AUDIT_FIELD);
	aut_record(&rec, 1);
	rec.decision[0] = '\0';
	cr_assert_eq(audit_append(a, &rec, &id), PL_E_AUDIT_FIELD);
	cr_assert_eq(id, 77, "out-param written on failure");
	aut_record(&rec, 1);
	cr_assert_eq(audit_append(a, &rec, &id), 0);
	cr_assert_eq(id, 1, "a refused record must not consume a seq");
	audit_close(a);
}

Test(audit_store, REQ_AUD_004_zero_time_means_now)
{
	struct audit *a = NULL;
	struct audit_record rec;
	int64_t t0 = (int64_t)time(NULL) * 1000, t;

	cr_assert_eq(audit_open(db, &a), 0);
	aut_record(&rec, 1);
	rec.time_ms = 0;
	cr_assert_eq(audit_append(a, &rec, NULL), 0);
	audit_close(a);
	t = aut_sql_int(db, "SELECT time_ms FROM audit_log WHERE seq = 1");
	cr_assert(t >= t0 - 1000 && t <= t0 + 60000, "time_ms %lld", (long long)t);
}

Test(audit_store, REQ_AUD_005_rows_are_append_only_through_sql)
{
	aut_fill(db, 3, NULL, 0);
	cr_assert_neq(aut_sql_rc(db, "UPDATE audit_log SET vin = 'X' WHERE seq = 2"), 0);
	cr_assert_neq(aut_sql_rc(db, "DELETE FROM audit_log WHERE seq = 3"), 0);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log WHERE vin = 'X'"), 0);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log"), 3);
}

Test(audit_store, REQ_AUD_006_database_is_wal_full_sync_private)
{
	struct audit *a = NULL;
	struct stat sb;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(stat(db, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "mode %o", sb.st_mode & 0777);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE "
				     "journal_mode = 'wal'"), 1);
}

Test(audit_store, REQ_AUD_007_writable_reflects_a_held_write_lock)
{
	struct audit *a = NULL;
	sqlite3 *h = NULL;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_writable(a), 1);
	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(audit_writable(a), 0);
	cr_assert_eq(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	cr_assert_eq(audit_writable(a), 1);
	audit_close(a);
}

Test(audit_store, REQ_AUD_008_open_fails_cleanly_for_missing_directory)
{
	struct audit *a = (struct audit *)&a;
	char p[1100];

	aut_path(p, sizeof(p), dir, "no-such-dir/audit.db");
	cr_assert_eq(audit_open(p, &a), PL_E_NOENT);
	cr_assert_null(a);
	audit_close(NULL);
}

Test(audit_store, REQ_AUD_009_failed_commit_writes_nothing_and_chain_continues)
{
	struct audit_verify_report rep;
	struct audit *a = NULL;
	struct audit_record rec;
	uint64_t id = 99;

	cr_assert_eq(audit_open(db, &a), 0);
	aut_record(&rec, 1);
	cr_assert_eq(audit_append(a, &rec, &id), 0);
	/* Another writer makes the next insert fail inside the transaction. */
	aut_sql(db, "CREATE TRIGGER poison BEFORE INSERT ON audit_log "
		    "WHEN NEW.vin = 'WBAPH5C55BA123456' BEGIN SELECT RAISE(ABORT, 'poison'); END");
	aut_record(&rec, 2);
	snprintf(rec.vin, sizeof(rec.vin), "WBAPH5C55BA123456");
	cr_assert_eq(audit_append(a, &rec, &id), PL_E_AUDIT_DB);
	cr_assert_eq(id, 1, "out-param written on failure");
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log"), 1);
	aut_record(&rec, 3);
	cr_assert_eq(audit_append(a, &rec, &id), 0);
	cr_assert_eq(id, 2);
	audit_close(a);
	cr_assert_eq(audit_verify(db, NULL, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.rows, 2);
}

/* ---- group commit ------------------------------------------------------- */

#define GC_THREADS 8
#define GC_PER_THREAD 60

struct gc_arg {
	struct audit *a;
	unsigned base;
	uint64_t ids[GC_PER_THREAD];
	int err;
};

static void *gc_worker(void *p)
{
	struct gc_arg *g = p;
	struct audit_record rec;

	for (unsigned i = 0; i < GC_PER_THREAD; i++) {
		aut_record(&rec, g->base + i);
		if ((g->err = audit_append(g->a, &rec, &g->ids[i])) != 0)
			break;
	}
	return NULL;
}

Test(audit_store, REQ_AUD_010_group_commit_shares_commits_between_threads)
{
	static struct gc_arg args[GC_THREADS];
	pthread_t th[GC_THREADS];
	static uint8_t seen[GC_THREADS * GC_PER_THREAD + 1];
	struct audit_verify_report rep;
	struct audit_stats st;
	struct audit *a = NULL;

	memset(seen, 0, sizeof(seen));
	cr_assert_eq(audit_open(db, &a), 0);
	for (int t = 0; t < GC_THREADS; t++) {
		args[t].a = a;
		args[t].base = (unsigned)t * 1000;
		cr_assert_eq(pthread_create(&th[t], NULL, gc_worker, &args[t]), 0);
	}
	for (int t = 0; t < GC_THREADS; t++)
		pthread_join(th[t], NULL);
	audit_get_stats(a, &st);
	audit_close(a);

	for (int t = 0; t < GC_THREADS; t++) {
		cr_assert_eq(args[t].err, 0, "thread %d: %s", t, pl_strerror(args[t].err));
		for (int i = 0; i < GC_PER_THREAD; i++) {
			uint64_t id = args[t].ids[i];

			cr_assert(id >= 1 && id <= GC_THREADS * GC_PER_THREAD, "id %llu",
				  (unsigned long long)id);
			cr_assert_eq(seen[id], 0, "seq %llu handed out twice", (unsigned long long)id);
			seen[id] = 1;
			if (i > 0)
				cr_assert_gt(id, args[t].ids[i - 1], "a thread's rows out of order");
		}
	}
	cr_assert_eq(st.rows, GC_THREADS * GC_PER_THREAD);
	cr_assert_lt(st.commits, st.rows, "no commit was shared: %llu commits for %llu rows",
		     (unsigned long long)st.commits, (unsigned long long)st.rows);
	cr_assert_eq(audit_verify(db, NULL, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.rows, GC_THREADS * GC_PER_THREAD);
}

Test(audit_store, REQ_AUD_011_one_thread_commits_each_row_alone)
{
	struct audit_stats st;
	struct audit *a = NULL;
	struct audit_record rec;

	cr_assert_eq(audit_open(db, &a), 0);
	for (unsigned i = 1; i <= 20; i++) {
		aut_record(&rec, i);
		cr_assert_eq(audit_append(a, &rec, NULL), 0);
	}
	audit_get_stats(a, &st);
	audit_close(a);
	cr_assert_eq(st.commits, 20);
	cr_assert_eq(st.rows, 20);
}

/* ---- crash safety ------------------------------------------------------- */

#define CRASH_THREADS 4
#define CRASH_MIN_REPORTED 150

struct crash_arg {
	struct audit *a;
	int fd;
	unsigned base;
};

static void *crash_worker(void *p)
{
	struct crash_arg *c = p;
	struct audit_record rec;
	uint64_t id;

	for (unsigned i = 0;; i++) {
		aut_record(&rec, c->base + i);
		if (audit_append(c->a, &rec, &id) != 0)
			_exit(3);
		/* 8-byte writes to a pipe are atomic: reports never interleave. */
		if (write(c->fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
			_exit(4);
	}
	return NULL;
}

static void crash_child(const char *path, int fd)
{
	static struct crash_arg args[CRASH_THREADS];
	pthread_t th[CRASH_THREADS];
	struct audit *a = NULL;

	if (audit_open(path, &a) != 0)
		_exit(2);
	for (int t = 0; t < CRASH_THREADS; t++) {
		args[t] = (struct crash_arg){ .a = a, .fd = fd, .base = (unsigned)t * 100000 };
		if (pthread_create(&th[t], NULL, crash_worker, &args[t]) != 0)
			_exit(5);
	}
	for (;;)
		pause();
}

Test(audit_store, REQ_AUD_012_every_reported_row_survives_sigkill)
{
	static uint64_t reported[1 << 16];
	struct audit_verify_report rep;
	size_t n = 0;
	uint64_t maxid = 0, id;
	int fds[2], status;
	pid_t pid;
	ssize_t got;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		crash_child(db, fds[1]);
	}
	close(fds[1]);
	while (n < CRASH_MIN_REPORTED &&
	       (got = read(fds[0], &reported[n], sizeof(id))) == (ssize_t)sizeof(id))
		n++;
	cr_assert_eq(n, CRASH_MIN_REPORTED, "child stopped early");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	/* Reports written before the kill are still in the pipe: they count too. */
	while (n < sizeof(reported) / sizeof(reported[0]) &&
	       (got = read(fds[0], &reported[n], sizeof(id))) == (ssize_t)sizeof(id))
		n++;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child was not killed");

	for (size_t i = 0; i < n; i++)
		if (reported[i] > maxid)
			maxid = reported[i];
	cr_assert_eq(audit_verify(db, NULL, &rep), 0, "%s", rep.detail);
	cr_assert_geq(rep.rows, maxid, "reported seq %llu missing: only %llu rows",
		      (unsigned long long)maxid, (unsigned long long)rep.rows);
	/* The chain verified, so seqs 1..rows are all present: every reported seq is. */
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log"), (int64_t)rep.rows);
}
