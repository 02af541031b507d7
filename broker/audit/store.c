/*
 * The audit store: open/close, group-committed appends, checkpoints.
 *
 * Group commit (leader/follower): a caller queues its record and waits. When
 * no thread is committing, the first waiting caller becomes the leader, takes
 * the whole queue as one batch, writes it in one IMMEDIATE transaction (one
 * fsync of the WAL with synchronous=FULL), then marks every entry of the batch
 * done and wakes the waiters. Records that arrived meanwhile form the next
 * batch. Entries live on their callers' stacks: a caller returns only after
 * its entry is done, so the leader never touches freed memory.
 *
 * Everything that uses the SQLite handle (commits, checkpoints, the writable
 * probe) runs while holding the leader role, so the handle has one user at a
 * time. The chain head is re-read inside each transaction, so the chain stays
 * right even if another process appends to the same file.
 *
 * With a time-based checkpoint schedule a timer thread wakes every T seconds
 * and signs uncovered rows, so the newest rows do not stay unsigned when
 * traffic stops.
 *
 * The writer remembers the head it last committed (the anchor; at open: the
 * head found on disk, once it is checked against the newest checkpoint).
 * A head that does not extend the anchor -- rows after it deleted, edited or
 * re-chained by someone writing the file -- is never signed: the store turns
 * "diverged" (audit_stats.chain_diverged) and stops checkpointing until it is
 * reopened. Appends go on, so no decision goes unrecorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "audit_int.h"
#include "migrations.h"
#include "pl_err.h"
#include "pl_err_audit.h"

#define AUDIT_BUSY_TIMEOUT_MS 5000
#define AUDIT_PROBE_TIMEOUT_MS 250 /* a readiness probe must answer quickly */

struct pending {
	const struct audit_record *rec;
	uint64_t seq; /* assigned by the leader */
	int result;
	int done;
	pthread_cond_t cv; /* this caller's wake-up: done, or its turn to lead */
	struct pending *next;
};

struct audit {
	sqlite3 *db;
	sqlite3_stmt *ins;      /* INSERT INTO audit_log */
	sqlite3_stmt *head;     /* last seq and row_hash */
	sqlite3_stmt *ckpt_ins; /* INSERT INTO checkpoints */

	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;  /* for lead_acquire() waiters only */
	unsigned lead_waiters;
	struct pending *qhead, *qtail;
	int leader; /* a thread holds the SQLite handle */

	audit_sign_fn sign;
	void *sign_ctx;
	uint8_t pub[AUDIT_PUB_LEN];
	unsigned every_rows, every_seconds;
	uint64_t ckpt_rows;   /* row_count of the newest checkpoint */
	int64_t ckpt_time_ms; /* when it was written (or when we opened) */
	uint64_t anchor_seq;  /* the head this writer committed last (leader only) */
	uint8_t anchor_hash[AUDIT_HASH_LEN];
	sqlite3_stmt *range; /* rows anchor..head, for chain_extends() */

	pthread_t timer;         /* time-based checkpoints */
	pthread_cond_t timer_cv; /* CLOCK_MONOTONIC; signalled to stop the timer */
	int timer_running;
	int timer_stop;

	struct audit_stats st;
};

static const char sql_insert[] =
    "INSERT INTO audit_log (seq, time_ms, request_id, client_identity, technician, "
    "workshop, vin, op, decision, rule, reason, client_addr, token_id, prev_hash, row_hash, "
    "row_version, work_order, request_reason, nonce, ckpt_rows) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17, ?18, ?19, ?20)";
static const char sql_head[] = "SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1";
static const char sql_ckpt_insert[] =
    "INSERT INTO checkpoints (time_ms, row_count, head_hash, signature, pubkey) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";

/* ---- the leader role ----------------------------------------------------- */

/*
 * The leader role just became free (mu held): the first queued appender
 * leads the next batch; lead_acquire() callers compete for it too. Waking
 * only those (not every waiting appender) keeps a commit at one or two
 * thread wake-ups instead of one per waiter.
 */
static void lead_handover(struct audit *a)
{
	if (a->qhead != NULL)
		pthread_cond_signal(&a->qhead->cv);
	if (a->lead_waiters > 0)
		pthread_cond_broadcast(&a->cv);
}

static void lead_acquire(struct audit *a)
{
	pthread_mutex_lock(&a->mu);
	a->lead_waiters++;
	while (a->leader)
		pthread_cond_wait(&a->cv, &a->mu);
	a->lead_waiters--;
	a->leader = 1;
	pthread_mutex_unlock(&a->mu);
}

static void lead_release(struct audit *a)
{
	pthread_mutex_lock(&a->mu);
	a->leader = 0;
	lead_handover(a);
	pthread_mutex_unlock(&a->mu);
}

/* ---- SQLite steps (leader only) ------------------------------------------ */

/* The chain head: *seq = 0 and head = zeros for an empty chain. */
static int read_head(struct audit *a, uint64_t *seq, uint8_t head[AUDIT_HASH_LEN])
{
	int rc, r = 0;

	sqlite3_reset(a->head);
	rc = sqlite3_step(a->head);
	if (rc == SQLITE_DONE) {
		*seq = 0;
		memset(head, 0, AUDIT_HASH_LEN);
	} else if (rc == SQLITE_ROW) {
		sqlite3_int64 s = sqlite3_column_int64(a->head, 0);
		const void *h = sqlite3_column_blob(a->head, 1);

		if (s < 1 || h == NULL || sqlite3_column_bytes(a->head, 1) != AUDIT_HASH_LEN) {
			r = PL_E_AUDIT_TAMPERED;
		} else {
			*seq = (uint64_t)s;
			memcpy(head, h, AUDIT_HASH_LEN);
		}
	} else {
		r = audit_sqlite_err(rc);
	}
	sqlite3_reset(a->head);
	return r;
}

static int insert_row(struct audit *a, const struct audit_row_view *v,
                      const uint8_t prev[AUDIT_HASH_LEN], const uint8_t hash[AUDIT_HASH_LEN])
{
	sqlite3_stmt *st = a->ins;
	int rc = SQLITE_OK;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)v->seq);
	rc |= sqlite3_bind_int64(st, 2, v->time_ms);
	for (int i = 0; i < AUDIT_F_COUNT; i++)
		rc |= sqlite3_bind_text(st, 3 + i, v->text[i], (int)v->text_len[i], SQLITE_STATIC);
	if (v->token_id)
		rc |= sqlite3_bind_blob(st, 13, v->token_id, AUDIT_TOKEN_ID_LEN, SQLITE_STATIC);
	else
		rc |= sqlite3_bind_null(st, 13);
	rc |= sqlite3_bind_blob(st, 14, prev, AUDIT_HASH_LEN, SQLITE_STATIC);
	rc |= sqlite3_bind_blob(st, 15, hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	rc |= sqlite3_bind_int64(st, 16, (sqlite3_int64)v->version);
	rc |= sqlite3_bind_text(st, 17, v->work_order, (int)v->work_order_len, SQLITE_STATIC);
	rc |=
	    sqlite3_bind_text(st, 18, v->request_reason, (int)v->request_reason_len, SQLITE_STATIC);
	if (v->nonce)
		rc |= sqlite3_bind_blob(st, 19, v->nonce, AUDIT_NONCE_LEN, SQLITE_STATIC);
	else
		rc |= sqlite3_bind_null(st, 19);
	rc |= sqlite3_bind_int64(st, 20, (sqlite3_int64)v->ckpt_rows);
	if (rc != SQLITE_OK)
		return PL_E_AUDIT_DB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : audit_sqlite_err(rc);
}

/*
 * 1 when the chain whose head is (seq, head) extends the anchor: the anchor
 * row is still there with its hash, and every row after it links to the one
 * before and hashes to its stored row_hash. 0 when not, or a negative code.
 * Reads only the rows after the anchor (none when the head is the anchor).
 */
static int chain_extends(struct audit *a, uint64_t seq, const uint8_t head[AUDIT_HASH_LEN])
{
	uint8_t prev[AUDIT_HASH_LEN], calc[AUDIT_HASH_LEN];
	struct audit_row_view v;
	struct audit_row_buf buf;
	uint64_t expect = a->anchor_seq + 1;
	int rc, r = 1, seen_anchor = a->anchor_seq == 0;

	if (seq == a->anchor_seq)
		return memcmp(head, a->anchor_hash, AUDIT_HASH_LEN) == 0;
	if (seq < a->anchor_seq)
		return 0;
	memcpy(prev, a->anchor_hash, AUDIT_HASH_LEN);
	sqlite3_reset(a->range);
	if (sqlite3_bind_int64(a->range, 1, (sqlite3_int64)a->anchor_seq) != SQLITE_OK ||
	    sqlite3_bind_int64(a->range, 2, (sqlite3_int64)seq) != SQLITE_OK)
		return PL_E_AUDIT_DB;
	while ((rc = sqlite3_step(a->range)) == SQLITE_ROW && r == 1) {
		if (audit_row_read(a->range, &v, &buf) != 0) {
			r = 0;
		} else if (v.seq == a->anchor_seq && !seen_anchor) {
			r = memcmp(buf.hash, a->anchor_hash, AUDIT_HASH_LEN) == 0;
			seen_anchor = 1;
			continue;
		} else if (!seen_anchor || v.seq != expect ||
		           memcmp(buf.prev, prev, AUDIT_HASH_LEN) != 0 ||
		           audit_row_hash(prev, &v, calc) != 0 ||
		           memcmp(calc, buf.hash, AUDIT_HASH_LEN) != 0) {
			r = 0;
		}
		memcpy(prev, buf.hash, AUDIT_HASH_LEN);
		expect++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = audit_sqlite_err(rc);
	else if (r == 1 && (expect != seq + 1 || memcmp(prev, head, AUDIT_HASH_LEN) != 0))
		r = 0;
	sqlite3_reset(a->range);
	return r;
}

/* The head (seq) does not extend what this writer committed: no more checkpoints. */
static void diverge(struct audit *a, uint64_t seq)
{
	pthread_mutex_lock(&a->mu);
	if (!a->st.chain_diverged) {
		a->st.chain_diverged = 1;
		a->st.diverged_head = seq;
	}
	a->st.last_checkpoint_err = PL_E_AUDIT_DIVERGED;
	pthread_mutex_unlock(&a->mu);
}

/* 0 when the head (seq, head) extends the anchor, PL_E_AUDIT_DIVERGED when not. */
static int check_anchor(struct audit *a, uint64_t seq, const uint8_t head[AUDIT_HASH_LEN])
{
	int r;

	if (a->st.chain_diverged)
		return PL_E_AUDIT_DIVERGED;
	if ((r = chain_extends(a, seq, head)) < 0)
		return r;
	if (r == 0) {
		diverge(a, seq);
		return PL_E_AUDIT_DIVERGED;
	}
	return 0;
}

/* Writes the batch in one transaction. On success every entry has its seq. */
static int commit_batch(struct audit *a, struct pending *batch)
{
	uint8_t prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
	struct audit_row_view v;
	uint64_t seq;
	int64_t now = audit_now_ms();
	int r;

	if ((r = audit_exec(a->db, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = read_head(a, &seq, prev)) != 0)
		goto out;
	/* A rewritten chain still gets the rows (no decision goes unrecorded), never a signature.
	 */
	if ((r = check_anchor(a, seq, prev)) != 0 && r != PL_E_AUDIT_DIVERGED)
		goto out;
	for (struct pending *p = batch; p != NULL; p = p->next) {
		int64_t t = p->rec->time_ms != 0 ? p->rec->time_ms : now;

		if ((r = audit_row_from_record(p->rec, seq + 1, t, &v)) != 0)
			goto out;
		v.ckpt_rows = a->ckpt_rows; /* a checkpoint deleted later is missed by this row */
		if ((r = audit_row_hash(prev, &v, hash)) != 0 ||
		    (r = insert_row(a, &v, prev, hash)) != 0)
			goto out;
		p->seq = ++seq;
		memcpy(prev, hash, AUDIT_HASH_LEN);
	}
	if ((r = audit_exec(a->db, "COMMIT")) == 0 && !a->st.chain_diverged) {
		a->anchor_seq = seq;
		memcpy(a->anchor_hash, prev, AUDIT_HASH_LEN);
	}
out:
	if (r != 0 && !sqlite3_get_autocommit(a->db))
		audit_exec(a->db, "ROLLBACK");
	return r;
}

/* Signs and stores a checkpoint of the current head if it is not covered yet. */
static int write_checkpoint(struct audit *a)
{
	uint8_t head[AUDIT_HASH_LEN], sig[AUDIT_SIG_LEN];
	sqlite3_stmt *st = a->ckpt_ins;
	uint64_t seq;
	int64_t now = audit_now_ms();
	int rc = SQLITE_OK, r;

	if (a->sign == NULL)
		return PL_E_AUDIT_NO_SIGNER;
	if ((r = read_head(a, &seq, head)) != 0)
		return r;
	if ((r = check_anchor(a, seq, head)) != 0)
		return r;
	if (seq == 0 || seq <= a->ckpt_rows)
		return 0;
	if ((r = a->sign(a->sign_ctx, seq, head, sig)) != 0)
		return r < 0 ? r : PL_E_AUDIT_SIGN;
	/* A wrong key or a broken signer must not produce checkpoints that never verify. */
	if (audit_checkpoint_verify(a->pub, seq, head, sig) != 0)
		return PL_E_AUDIT_SIGN;
	sqlite3_reset(st);
	rc |= sqlite3_bind_int64(st, 1, now);
	rc |= sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	rc |= sqlite3_bind_blob(st, 3, head, AUDIT_HASH_LEN, SQLITE_STATIC);
	rc |= sqlite3_bind_blob(st, 4, sig, AUDIT_SIG_LEN, SQLITE_STATIC);
	rc |= sqlite3_bind_blob(st, 5, a->pub, AUDIT_PUB_LEN, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return PL_E_AUDIT_DB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return audit_sqlite_err(rc);
	pthread_mutex_lock(&a->mu);
	a->ckpt_rows = seq;
	a->ckpt_time_ms = now;
	a->st.checkpoints++;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* Called with a->mu held. */
static int checkpoint_due(const struct audit *a)
{
	uint64_t fresh;

	if (a->sign == NULL || a->st.head_seq <= a->ckpt_rows || a->st.chain_diverged)
		return 0;
	fresh = a->st.head_seq - a->ckpt_rows;
	if (a->every_rows != 0 && fresh >= a->every_rows)
		return 1;
	if (a->every_seconds != 0 &&
	    audit_now_ms() - a->ckpt_time_ms >= (int64_t)a->every_seconds * 1000)
		return 1;
	return 0;
}

static void checkpoint_attempt(struct audit *a)
{
	int r = write_checkpoint(a);

	pthread_mutex_lock(&a->mu);
	a->st.last_checkpoint_err = r;
	pthread_mutex_unlock(&a->mu);
}

/* ---- the checkpoint timer ------------------------------------------------ */

static void *timer_main(void *arg)
{
	struct audit *a = arg;
	struct timespec ts;

	pthread_mutex_lock(&a->mu);
	while (!a->timer_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += a->every_seconds;
		pthread_cond_timedwait(&a->timer_cv, &a->mu, &ts);
		if (a->timer_stop || !checkpoint_due(a))
			continue;
		pthread_mutex_unlock(&a->mu);
		lead_acquire(a);
		checkpoint_attempt(a);
		lead_release(a);
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Stops the timer thread, if any. Must not hold mu or the leader role. */
static void timer_stop(struct audit *a)
{
	pthread_mutex_lock(&a->mu);
	if (!a->timer_running) {
		pthread_mutex_unlock(&a->mu);
		return;
	}
	a->timer_stop = 1;
	pthread_cond_signal(&a->timer_cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->timer, NULL);
	pthread_mutex_lock(&a->mu);
	a->timer_running = 0;
	a->timer_stop = 0;
	pthread_mutex_unlock(&a->mu);
}

static int timer_start(struct audit *a)
{
	int r = 0;

	pthread_mutex_lock(&a->mu);
	if (pthread_create(&a->timer, NULL, timer_main, a) != 0)
		r = PL_E_NOMEM;
	else
		a->timer_running = 1;
	pthread_mutex_unlock(&a->mu);
	return r;
}

/* ---- appends ------------------------------------------------------------- */

/* Leads one batch: called with a->mu held and a->leader == 0; returns with mu held. */
static void lead_batch(struct audit *a)
{
	struct pending *batch = a->qhead;
	uint64_t n = 0, last = 0;
	int r, due;

	a->qhead = a->qtail = NULL;
	a->leader = 1;
	pthread_mutex_unlock(&a->mu);

	r = commit_batch(a, batch);

	pthread_mutex_lock(&a->mu);
	for (struct pending *p = batch, *next; p != NULL; p = next) {
		next = p->next; /* p may vanish once done is set and mu is dropped */
		p->result = r;
		p->done = 1;
		pthread_cond_signal(&p->cv); /* it returns once we drop mu */
		n++;
		last = p->seq;
	}
	if (r == 0) {
		a->st.rows += n;
		a->st.commits++;
		a->st.head_seq = last;
	}
	due = r == 0 && checkpoint_due(a);
	if (due) {
		/* Keep the leader role while the HSM signs; the batch is already released. */
		pthread_mutex_unlock(&a->mu);
		checkpoint_attempt(a);
		pthread_mutex_lock(&a->mu);
	}
	a->leader = 0;
	lead_handover(a);
}

int audit_append(struct audit *a, const struct audit_record *rec, uint64_t *row_id)
{
	struct audit_row_view v;
	struct pending p;
	int r;

	if (a == NULL || rec == NULL)
		return PL_E_INVAL;
	if ((r = audit_row_from_record(rec, 0, 0, &v)) != 0)
		return r;
	memset(&p, 0, sizeof(p));
	p.rec = rec;
	if (pthread_cond_init(&p.cv, NULL) != 0)
		return PL_E_NOMEM;

	pthread_mutex_lock(&a->mu);
	if (a->qtail)
		a->qtail->next = &p;
	else
		a->qhead = &p;
	a->qtail = &p;
	while (!p.done) {
		if (!a->leader)
			lead_batch(a);
		else
			pthread_cond_wait(&p.cv, &a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	pthread_cond_destroy(&p.cv);
	if (p.result == 0 && row_id)
		*row_id = p.seq;
	return p.result;
}

/* ---- the rest of the API ------------------------------------------------- */

int audit_writable(struct audit *a)
{
	int ok;

	if (a == NULL)
		return 0;
	lead_acquire(a);
	sqlite3_busy_timeout(a->db, AUDIT_PROBE_TIMEOUT_MS);
	ok = audit_exec(a->db, "BEGIN IMMEDIATE") == 0;
	if (!sqlite3_get_autocommit(a->db))
		audit_exec(a->db, "ROLLBACK");
	sqlite3_busy_timeout(a->db, AUDIT_BUSY_TIMEOUT_MS);
	lead_release(a);
	return ok;
}

int audit_set_checkpoint_signer(struct audit *a, audit_sign_fn fn, void *ctx,
                                const uint8_t pub[AUDIT_PUB_LEN], unsigned every_rows,
                                unsigned every_seconds)
{
	if (a == NULL || (fn != NULL && (pub == NULL || pub[0] != 0x04)))
		return PL_E_INVAL;
	if (fn != NULL && every_rows == 0 && every_seconds == 0)
		return PL_E_INVAL;
	timer_stop(a);
	lead_acquire(a);
	pthread_mutex_lock(&a->mu);
	a->sign = fn;
	a->sign_ctx = ctx;
	if (fn != NULL)
		memcpy(a->pub, pub, AUDIT_PUB_LEN);
	a->every_rows = every_rows;
	a->every_seconds = every_seconds;
	pthread_mutex_unlock(&a->mu);
	lead_release(a);
	return fn != NULL && every_seconds != 0 ? timer_start(a) : 0;
}

int audit_checkpoint(struct audit *a)
{
	int r;

	if (a == NULL)
		return PL_E_INVAL;
	lead_acquire(a);
	r = write_checkpoint(a);
	pthread_mutex_lock(&a->mu);
	a->st.last_checkpoint_err = r;
	pthread_mutex_unlock(&a->mu);
	lead_release(a);
	return r;
}

int audit_recent_nonces(struct audit *a, int64_t since_ms, audit_nonce_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (a == NULL || fn == NULL)
		return PL_E_INVAL;
	lead_acquire(a);
	rc = sqlite3_prepare_v2(a->db,
	                        "SELECT nonce, time_ms FROM audit_log WHERE time_ms >= ?1 "
	                        "AND nonce IS NOT NULL ORDER BY seq",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK || sqlite3_bind_int64(st, 1, since_ms) != SQLITE_OK) {
		r = audit_sqlite_err(rc != SQLITE_OK ? rc : SQLITE_ERROR);
		goto out;
	}
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 0) != AUDIT_NONCE_LEN)
			continue; /* the CHECK constraint keeps these out; verify names them */
		r = fn(ctx, sqlite3_column_blob(st, 0), sqlite3_column_int64(st, 1));
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = audit_sqlite_err(rc);
out:
	sqlite3_finalize(st);
	lead_release(a);
	return r;
}

void audit_get_stats(struct audit *a, struct audit_stats *st)
{
	if (a == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&a->mu);
	*st = a->st;
	pthread_mutex_unlock(&a->mu);
}

/* ---- open / close -------------------------------------------------------- */

/* A new database file is created owner-only: the log names people and cars. */
static int create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno == EACCES || errno == EROFS)
		return errno == EROFS ? PL_E_AUDIT_READONLY : PL_E_PERM;
	return errno == ENOENT ? PL_E_NOENT : PL_E_IO;
}

static int pragma_text(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	int rc, r = PL_E_AUDIT_DB;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);

		r = (v != NULL && strcmp((const char *)v, want) == 0) ? 0 : PL_E_AUDIT_DB;
	} else {
		r = audit_sqlite_err(rc);
	}
out:
	sqlite3_finalize(st);
	return r;
}

/* Checks the schema version before anything writes to the file. */
static int precheck(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL)) != SQLITE_OK) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	r = sqlite3_column_int64(st, 0) > (sqlite3_int64)audit_schema_latest()
	        ? PL_E_AUDIT_SCHEMA_NEWER
	        : 0;
out:
	sqlite3_finalize(st);
	return r;
}

static int load_checkpoint_state(struct audit *a)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	a->ckpt_time_ms = audit_now_ms();
	rc = sqlite3_prepare_v2(
	    a->db, "SELECT row_count, time_ms FROM checkpoints ORDER BY id DESC LIMIT 1", -1, &st,
	    NULL);
	if (rc != SQLITE_OK)
		return audit_sqlite_err(rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 n = sqlite3_column_int64(st, 0);

		a->ckpt_rows = n > 0 ? (uint64_t)n : 0;
		a->ckpt_time_ms = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		r = audit_sqlite_err(rc);
	}
	sqlite3_finalize(st);
	return r;
}

static int prepare_all(struct audit *a)
{
	char range[512];
	int rc;

	if ((rc = sqlite3_prepare_v3(a->db, sql_insert, -1, SQLITE_PREPARE_PERSISTENT, &a->ins,
	                             NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v3(a->db, sql_head, -1, SQLITE_PREPARE_PERSISTENT, &a->head,
	                             NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v3(a->db, sql_ckpt_insert, -1, SQLITE_PREPARE_PERSISTENT,
	                             &a->ckpt_ins, NULL)) != SQLITE_OK)
		return audit_sqlite_err(rc);
	snprintf(range, sizeof(range),
	         "SELECT %s FROM audit_log WHERE seq >= ?1 AND seq <= ?2 "
	         "ORDER BY seq",
	         audit_row_columns(1));
	if ((rc = sqlite3_prepare_v3(a->db, range, -1, SQLITE_PREPARE_PERSISTENT, &a->range,
	                             NULL)) != SQLITE_OK)
		return audit_sqlite_err(rc);
	return 0;
}

/*
 * The anchor at open: the head on disk, after checking that the newest
 * checkpoint still matches its row (else the signed part was rewritten while
 * the store was closed, and the store starts diverged).
 */
static int open_anchor(struct audit *a)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = read_head(a, &a->anchor_seq, a->anchor_hash)) != 0)
		return r;
	a->st.head_seq = a->anchor_seq;
	rc = sqlite3_prepare_v2(a->db,
	                        "SELECT c.row_count, c.head_hash = l.row_hash FROM "
	                        "checkpoints c LEFT JOIN audit_log l ON l.seq = c.row_count "
	                        "ORDER BY c.id DESC LIMIT 1",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return audit_sqlite_err(rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 1) != 1)
		diverge(a, a->anchor_seq);
	r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : audit_sqlite_err(rc);
	sqlite3_finalize(st);
	return r;
}

static void audit_free(struct audit *a)
{
	sqlite3_finalize(a->ins);
	sqlite3_finalize(a->head);
	sqlite3_finalize(a->ckpt_ins);
	sqlite3_finalize(a->range);
	sqlite3_close(a->db);
	pthread_cond_destroy(&a->cv);
	pthread_cond_destroy(&a->timer_cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int audit_open(const char *db_path, struct audit **out)
{
	struct audit *a = NULL;
	int rc, r;

	if (out == NULL)
		return PL_E_INVAL;
	*out = NULL;
	if (db_path == NULL || db_path[0] == '\0')
		return PL_E_INVAL;
	if ((r = create_private(db_path)) != 0)
		return r;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return PL_E_NOMEM;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&a->timer_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	rc = sqlite3_open_v2(db_path, &a->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
	                     NULL);
	if (rc != SQLITE_OK) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	sqlite3_extended_result_codes(a->db, 1);
	sqlite3_busy_timeout(a->db, AUDIT_BUSY_TIMEOUT_MS);
	if ((r = precheck(a->db)) != 0 ||
	    (r = pragma_text(a->db, "PRAGMA journal_mode = WAL", "wal")) != 0 ||
	    (r = audit_exec(a->db, "PRAGMA synchronous = FULL")) != 0 ||
	    (r = audit_exec(a->db, "PRAGMA foreign_keys = ON")) != 0 ||
	    (r = audit_exec(a->db, "PRAGMA trusted_schema = OFF")) != 0 ||
	    (r = audit_migrate(a->db)) != 0 || (r = prepare_all(a)) != 0 ||
	    (r = load_checkpoint_state(a)) != 0 || (r = open_anchor(a)) != 0)
		goto out;
	*out = a;
	a = NULL;
	r = 0;
out:
	if (a)
		audit_free(a);
	return r;
}

void audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	timer_stop(a);
	if (a->sign != NULL && a->st.head_seq > a->ckpt_rows)
		write_checkpoint(a);
	audit_free(a);
}
