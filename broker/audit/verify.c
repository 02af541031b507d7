/*
 * Read-only verification of an audit database: recompute the hash chain row
 * by row and check every signed checkpoint against it. The first fault in seq
 * order is reported with the row's seq and what is wrong.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit_int.h"
#include "migrations.h"
#include "pl_err.h"
#include "pl_err_audit.h"

struct ckpt {
	int64_t id;
	uint64_t row_count;
	uint8_t head[AUDIT_HASH_LEN];
	uint8_t sig[AUDIT_SIG_LEN];
	uint8_t pub[AUDIT_PUB_LEN];
	int format_ok;
};

struct verifier {
	sqlite3 *db;
	int v2_columns;     /* schema 3+: the file has the version-2 columns */
	const uint8_t *pub; /* expected key or NULL */
	const struct audit_verify_opts *opts;
	unsigned last_version; /* row version of the previous row */
	uint64_t last_claim;   /* the last ckpt_rows found among the checkpoints */
	struct ckpt *ck;
	size_t nck;
	size_t next_ck; /* next checkpoint to meet in the row scan */
	struct audit_verify_report *rep;
};

static const char *const fault_names[] = {
    [AUDIT_OK] = "intact",
    [AUDIT_FAULT_SEQ_GAP] = "row_missing",
    [AUDIT_FAULT_SEQ_ORDER] = "seq_invalid",
    [AUDIT_FAULT_PREV_HASH] = "prev_hash_mismatch",
    [AUDIT_FAULT_ROW_HASH] = "row_hash_mismatch",
    [AUDIT_FAULT_ROW_FORMAT] = "row_malformed",
    [AUDIT_FAULT_CKPT_BEYOND_END] = "checkpoint_beyond_end",
    [AUDIT_FAULT_CKPT_HEAD] = "checkpoint_head_mismatch",
    [AUDIT_FAULT_CKPT_SIG] = "checkpoint_signature_invalid",
    [AUDIT_FAULT_CKPT_KEY] = "checkpoint_wrong_key",
    [AUDIT_FAULT_CKPT_ORDER] = "checkpoint_order",
    [AUDIT_FAULT_CKPT_FORMAT] = "checkpoint_malformed",
    [AUDIT_FAULT_CKPT_MISSING] = "checkpoint_missing",
    [AUDIT_FAULT_UNSIGNED_TAIL] = "unsigned_tail_too_long",
};

const char *audit_fault_name(enum audit_fault f)
{
	if ((unsigned)f < sizeof(fault_names) / sizeof(fault_names[0]) && fault_names[f])
		return fault_names[f];
	return "unknown";
}

static int fault(struct verifier *vf, enum audit_fault f, uint64_t seq, int64_t ckpt_id,
                 const char *detail)
{
	vf->rep->fault = f;
	vf->rep->bad_seq = seq;
	vf->rep->bad_checkpoint = ckpt_id;
	snprintf(vf->rep->detail, sizeof(vf->rep->detail), "%s", detail);
	return PL_E_AUDIT_TAMPERED;
}

static int blob_col(sqlite3_stmt *st, int col, void *dst, size_t len)
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    (size_t)sqlite3_column_bytes(st, col) != len)
		return -1;
	memcpy(dst, sqlite3_column_blob(st, col), len);
	return 0;
}

static int load_checkpoints(struct verifier *vf)
{
	sqlite3_stmt *st = NULL;
	struct ckpt *c;
	size_t cap = 0;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(vf->db,
	                        "SELECT id, row_count, head_hash, signature, pubkey "
	                        "FROM checkpoints ORDER BY id",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return audit_sqlite_err(rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vf->nck == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct ckpt *n = realloc(vf->ck, ncap * sizeof(*n));

			if (n == NULL) {
				r = PL_E_NOMEM;
				goto out;
			}
			vf->ck = n;
			cap = ncap;
		}
		c = &vf->ck[vf->nck++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(st, 0);
		c->format_ok = sqlite3_column_type(st, 1) == SQLITE_INTEGER &&
		               sqlite3_column_int64(st, 1) >= 1 &&
		               blob_col(st, 2, c->head, sizeof(c->head)) == 0 &&
		               blob_col(st, 3, c->sig, sizeof(c->sig)) == 0 &&
		               blob_col(st, 4, c->pub, sizeof(c->pub)) == 0;
		if (c->format_ok)
			c->row_count = (uint64_t)sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		r = audit_sqlite_err(rc);
	vf->rep->checkpoints = vf->nck;
out:
	sqlite3_finalize(st);
	return r;
}

/* Format, order, key and signature of checkpoint i (not its head). */
static int check_checkpoint_alone(struct verifier *vf, size_t i)
{
	const struct ckpt *c = &vf->ck[i];
	char d[256];
	int r;

	if (!c->format_ok) {
		snprintf(d, sizeof(d),
		         "checkpoint id %" PRId64 ": malformed (row_count, "
		         "head_hash, signature or pubkey has the wrong type or length)",
		         c->id);
		return fault(vf, AUDIT_FAULT_CKPT_FORMAT, 0, c->id, d);
	}
	if (i > 0 && vf->ck[i - 1].format_ok && c->row_count <= vf->ck[i - 1].row_count) {
		snprintf(d, sizeof(d),
		         "checkpoint id %" PRId64 ": covers %" PRIu64
		         " rows, not more than the checkpoint before it (%" PRIu64 ")",
		         c->id, c->row_count, vf->ck[i - 1].row_count);
		return fault(vf, AUDIT_FAULT_CKPT_ORDER, c->row_count, c->id, d);
	}
	if (vf->pub && memcmp(vf->pub, c->pub, AUDIT_PUB_LEN) != 0) {
		snprintf(d, sizeof(d),
		         "checkpoint id %" PRId64 " (row %" PRIu64 "): signed "
		         "with a key other than the one given with --pubkey",
		         c->id, c->row_count);
		return fault(vf, AUDIT_FAULT_CKPT_KEY, c->row_count, c->id, d);
	}
	r = audit_checkpoint_verify(vf->pub ? vf->pub : c->pub, c->row_count, c->head, c->sig);
	if (r == PL_E_AUDIT_TAMPERED || r == PL_E_BADKEY) {
		snprintf(d, sizeof(d),
		         "checkpoint id %" PRId64 " (row %" PRIu64 "): the "
		         "signature does not verify (forged or altered checkpoint)",
		         c->id, c->row_count);
		return fault(vf, AUDIT_FAULT_CKPT_SIG, c->row_count, c->id, d);
	}
	return r;
}

/* Checkpoints whose row_count is seq, now that row seq is known to hash to head. */
static int check_checkpoints_at(struct verifier *vf, uint64_t seq,
                                const uint8_t head[AUDIT_HASH_LEN])
{
	char d[256];
	int r;

	while (vf->next_ck < vf->nck && vf->ck[vf->next_ck].row_count <= seq) {
		const struct ckpt *c = &vf->ck[vf->next_ck];

		if ((r = check_checkpoint_alone(vf, vf->next_ck)) != 0)
			return r;
		if (memcmp(c->head, head, AUDIT_HASH_LEN) != 0) {
			snprintf(d, sizeof(d),
			         "checkpoint id %" PRId64 ": the signed chain head "
			         "differs from row %" PRIu64 "'s row_hash (rows up to %" PRIu64
			         " were rewritten or inserted)",
			         c->id, seq, seq);
			return fault(vf, AUDIT_FAULT_CKPT_HEAD, seq, c->id, d);
		}
		vf->rep->covered = seq;
		vf->next_ck++;
	}
	return 0;
}

/*
 * A version-2 row names the newest checkpoint its writer knew (ckpt_rows): that
 * checkpoint must be in the file, so deleting a checkpoint is seen through every
 * row written after it. Only a change of the value is looked up.
 */
static int check_claim(struct verifier *vf, const struct audit_row_view *v)
{
	char d[256];

	if (v->version < AUDIT_ROW_V2 || v->ckpt_rows == 0 || v->ckpt_rows == vf->last_claim)
		return 0;
	if (v->ckpt_rows < v->seq) {
		for (size_t i = 0; i < vf->nck; i++) {
			if (vf->ck[i].format_ok && vf->ck[i].row_count == v->ckpt_rows) {
				vf->last_claim = v->ckpt_rows;
				return 0;
			}
		}
	}
	snprintf(d, sizeof(d),
	         "row seq %" PRIu64 " was written after a checkpoint of rows "
	         "1..%" PRIu64 " that is not in the file (the checkpoint was deleted)",
	         v->seq, v->ckpt_rows);
	return fault(vf, AUDIT_FAULT_CKPT_MISSING, v->seq, -1, d);
}

/* Row versions never go down along the chain: a version-1 row after a version-2 row is forged. */
static int check_version(struct verifier *vf, const struct audit_row_view *v)
{
	char d[256];

	if (v->version >= vf->last_version) {
		vf->last_version = v->version;
		return 0;
	}
	snprintf(d, sizeof(d),
	         "row seq %" PRIu64 ": row version %u after a version-%u row "
	         "(the row was rewritten in an older format)",
	         v->seq, v->version, vf->last_version);
	return fault(vf, AUDIT_FAULT_ROW_FORMAT, v->seq, -1, d);
}

static int scan_rows(struct verifier *vf)
{
	uint8_t expect_prev[AUDIT_HASH_LEN], calc[AUDIT_HASH_LEN];
	uint8_t *prev, *stored;
	struct audit_row_buf buf;
	struct audit_row_view v;
	sqlite3_stmt *st = NULL;
	uint64_t expect = 1;
	char d[256], sql[512];
	int rc, r = 0;

	memset(expect_prev, 0, sizeof(expect_prev));
	prev = buf.prev;
	stored = buf.hash;
	snprintf(sql, sizeof(sql), "SELECT %s FROM audit_log ORDER BY seq",
	         audit_row_columns(vf->v2_columns));
	rc = sqlite3_prepare_v2(vf->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return audit_sqlite_err(rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 seq = sqlite3_column_int64(st, 0);

		if (seq < 1 || (uint64_t)seq < expect) {
			snprintf(d, sizeof(d),
			         "row seq %lld: not a valid sequence number "
			         "(expected %" PRIu64 ")",
			         (long long)seq, expect);
			r = fault(vf, AUDIT_FAULT_SEQ_ORDER, expect, -1, d);
			goto out;
		}
		if ((uint64_t)seq > expect) {
			snprintf(d, sizeof(d),
			         "row seq %" PRIu64 " is missing (the next row is "
			         "%lld): rows were deleted",
			         expect, (long long)seq);
			r = fault(vf, AUDIT_FAULT_SEQ_GAP, expect, -1, d);
			goto out;
		}
		if (audit_row_read(st, &v, &buf) != 0) {
			snprintf(d, sizeof(d),
			         "row seq %" PRIu64 ": a column has the wrong type "
			         "or length",
			         expect);
			r = fault(vf, AUDIT_FAULT_ROW_FORMAT, expect, -1, d);
			goto out;
		}
		v.seq = expect;
		if (memcmp(prev, expect_prev, AUDIT_HASH_LEN) != 0) {
			snprintf(d, sizeof(d),
			         "row seq %" PRIu64 ": prev_hash does not match the "
			         "row_hash of row %" PRIu64
			         " (rows reordered, inserted or deleted)",
			         expect, expect - 1);
			r = fault(vf, AUDIT_FAULT_PREV_HASH, expect, -1, d);
			goto out;
		}
		if ((r = audit_row_hash(prev, &v, calc)) != 0)
			goto out;
		if (memcmp(calc, stored, AUDIT_HASH_LEN) != 0) {
			snprintf(d, sizeof(d),
			         "row seq %" PRIu64 ": row_hash does not match the "
			         "row's fields (the row was edited after it was written)",
			         expect);
			r = fault(vf, AUDIT_FAULT_ROW_HASH, expect, -1, d);
			goto out;
		}
		vf->rep->rows = expect;
		if ((r = check_version(vf, &v)) != 0 || (r = check_claim(vf, &v)) != 0 ||
		    (r = check_checkpoints_at(vf, expect, stored)) != 0)
			goto out;
		memcpy(expect_prev, stored, AUDIT_HASH_LEN);
		expect++;
	}
	if (rc != SQLITE_DONE)
		r = audit_sqlite_err(rc);
out:
	sqlite3_finalize(st);
	return r;
}

/*
 * What the signed part leaves open: with --pubkey a log needs a checkpoint at all
 * (unless --max-unsigned allows its whole length), and with --max-unsigned N at
 * most N rows may follow the last valid checkpoint.
 */
static int check_unsigned(struct verifier *vf)
{
	const struct audit_verify_opts *o = vf->opts;
	uint64_t tail = vf->rep->rows - vf->rep->covered;
	char d[256];

	if (vf->pub && vf->nck == 0 && vf->rep->rows > 0 && !o->has_max_unsigned) {
		snprintf(d, sizeof(d),
		         "the log has %" PRIu64 " rows and no signed checkpoint at all "
		         "(checkpoints deleted, or the broker never signed one)",
		         vf->rep->rows);
		return fault(vf, AUDIT_FAULT_CKPT_MISSING, 1, -1, d);
	}
	if (o->has_max_unsigned && tail > o->max_unsigned) {
		snprintf(d, sizeof(d),
		         "rows %" PRIu64 "..%" PRIu64 " (%" PRIu64 " rows) follow the "
		         "last signed checkpoint; at most %" PRIu64 " are allowed (--max-unsigned)",
		         vf->rep->covered + 1, vf->rep->rows, tail, o->max_unsigned);
		return fault(vf, AUDIT_FAULT_UNSIGNED_TAIL, vf->rep->covered + 1, -1, d);
	}
	return 0;
}

/* Checkpoints left after the scan claim rows that are gone. */
static int check_tail(struct verifier *vf)
{
	char d[256];
	int r;

	if (vf->next_ck >= vf->nck)
		return 0;
	if ((r = check_checkpoint_alone(vf, vf->next_ck)) != 0)
		return r;
	snprintf(d, sizeof(d),
	         "checkpoint id %" PRId64 " covers %" PRIu64 " rows but the "
	         "log ends at row %" PRIu64 ": rows %" PRIu64 "..%" PRIu64 " were removed",
	         vf->ck[vf->next_ck].id, vf->ck[vf->next_ck].row_count, vf->rep->rows,
	         vf->rep->rows + 1, vf->ck[vf->next_ck].row_count);
	return fault(vf, AUDIT_FAULT_CKPT_BEYOND_END, vf->rep->rows + 1, vf->ck[vf->next_ck].id, d);
}

static int check_schema(sqlite3 *db, int *v2_columns)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	rc = sqlite3_prepare_v2(db,
	                        "SELECT (SELECT user_version FROM pragma_user_version), "
	                        "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	                        "name IN ('audit_log', 'checkpoints'))",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	*v2_columns = sqlite3_column_int64(st, 0) >= AUDIT_SCHEMA_ROW_V2;
	if (sqlite3_column_int64(st, 0) > (sqlite3_int64)audit_schema_latest())
		r = PL_E_AUDIT_SCHEMA_NEWER;
	else if (sqlite3_column_int64(st, 1) != 2)
		r = PL_E_AUDIT_NOT_AUDIT_DB;
	else
		r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

int audit_verify_opts(const char *db_path, const struct audit_verify_opts *o,
                      struct audit_verify_report *rep)
{
	static const struct audit_verify_opts none;
	struct verifier vf;
	int rc, r;

	if (rep == NULL)
		return PL_E_INVAL;
	memset(rep, 0, sizeof(*rep));
	rep->bad_checkpoint = -1;
	if (db_path == NULL)
		return PL_E_INVAL;
	memset(&vf, 0, sizeof(vf));
	vf.opts = o != NULL ? o : &none;
	vf.pub = vf.opts->pub;
	vf.rep = rep;
	vf.last_version = AUDIT_ROW_V1;
	rc = sqlite3_open_v2(db_path, &vf.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	sqlite3_busy_timeout(vf.db, 5000);
	/* One read transaction: rows and checkpoints from the same snapshot. */
	if ((r = audit_exec(vf.db, "BEGIN")) != 0 ||
	    (r = check_schema(vf.db, &vf.v2_columns)) != 0 || (r = load_checkpoints(&vf)) != 0 ||
	    (r = scan_rows(&vf)) != 0 || (r = check_tail(&vf)) != 0 ||
	    (r = check_unsigned(&vf)) != 0)
		goto out;
	r = 0;
out:
	free(vf.ck);
	sqlite3_close(vf.db);
	return r;
}

int audit_verify(const char *db_path, const uint8_t *pub, struct audit_verify_report *rep)
{
	struct audit_verify_opts o = {.pub = pub};

	return audit_verify_opts(db_path, &o, rep);
}
