/*
 * Pending two-person approvals (table approvals). The broker creates them;
 * an officer (pitlanectl) or, where the policy allows, an approving
 * technician (POST /v1/approvals/{id}) approves or denies -- never the
 * requester, only a holder of an approver role; the requesting device polls
 * and receives its token once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <sqlite3.h>

#include "abuse_int.h"
#include "pl_codec.h"
#include "pl_err.h"

static const char *const state_names[] = {"pending", "approved", "denied", "issued", "expired"};

static int state_of(const char *s)
{
	for (int i = 0; i < 5; i++)
		if (s != NULL && strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

int abuse_approval_create(struct abuse *a, struct abuse_approval *ap)
{
	sqlite3_stmt *st = NULL;
	uint8_t rnd[ABUSE_APPROVAL_ID_LEN / 2];
	int r = PL_E_IO;

	if (a == NULL || ap == NULL || ap->cnonce_len == 0 || ap->cnonce_len > sizeof(ap->cnonce) ||
	    ap->request == NULL || ap->request_len == 0 || ap->request_len > INT32_MAX ||
	    !ap->has_request_sha256)
		return PL_E_INVAL;
	if (a->db == NULL)
		return PL_E_INVAL;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return PL_E_IO;
	pl_hex_encode(rnd, sizeof(rnd), ap->id, sizeof(ap->id));
	ap->state = ABUSE_APR_PENDING;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_prepare_v2(
	        a->db,
	        "INSERT INTO approvals (id, state, created_ms, expires_ms, "
	        "rule, device_cn, device_ou, technician, workshop, technician_id, "
	        "workshop_id, vin, op, cnonce, ttl_s, exi_s, policy_version, "
	        "work_order, request, request_sha256) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, "
	        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	        -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, ap->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ap->created_ms);
	sqlite3_bind_int64(st, 3, ap->expires_ms);
	sqlite3_bind_text(st, 4, ap->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ap->device_cn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ap->device_ou, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, ap->technician, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, ap->workshop, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, ap->technician_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, ap->workshop_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, ap->vin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, ap->op, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 13, ap->cnonce, (int)ap->cnonce_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, ap->ttl_s);
	sqlite3_bind_int64(st, 15, ap->exi_s);
	sqlite3_bind_int64(st, 16, ap->policy_version);
	sqlite3_bind_text(st, 17, ap->work_order, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 18, ap->request, (int)ap->request_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 19, ap->request_sha256, (int)sizeof(ap->request_sha256),
	                  SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : PL_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

#define TXT(col, field)                                                                            \
	abuse_strlcpy(ap->field, (const char *)sqlite3_column_text(st, col), sizeof(ap->field))

int abuse_approval_get(struct abuse *a, const char *id, int64_t now_ms, struct abuse_approval *ap)
{
	sqlite3_stmt *st = NULL;
	int rc, r = PL_E_IO;

	if (a == NULL || id == NULL || ap == NULL || a->db == NULL)
		return PL_E_INVAL;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_prepare_v2(
	        a->db,
	        "SELECT id, state, created_ms, expires_ms, rule, device_cn, "
	        "device_ou, technician, workshop, technician_id, workshop_id, vin, op, "
	        "cnonce, ttl_s, exi_s, policy_version, work_order, approver, "
	        "decided_ms, decision_reason, request_sha256 FROM approvals WHERE id = ?",
	        -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PL_E_NOTFOUND : PL_E_IO;
		goto out;
	}
	memset(ap, 0, sizeof(*ap));
	TXT(0, id);
	ap->state = state_of((const char *)sqlite3_column_text(st, 1));
	ap->created_ms = sqlite3_column_int64(st, 2);
	ap->expires_ms = sqlite3_column_int64(st, 3);
	TXT(4, rule);
	TXT(5, device_cn);
	TXT(6, device_ou);
	TXT(7, technician);
	TXT(8, workshop);
	TXT(9, technician_id);
	TXT(10, workshop_id);
	TXT(11, vin);
	TXT(12, op);
	ap->cnonce_len = (size_t)sqlite3_column_bytes(st, 13);
	if (ap->cnonce_len > sizeof(ap->cnonce) || ap->state < 0) {
		r = PL_E_IO;
		goto out;
	}
	memcpy(ap->cnonce, sqlite3_column_blob(st, 13), ap->cnonce_len);
	ap->ttl_s = (uint32_t)sqlite3_column_int64(st, 14);
	ap->exi_s = (uint32_t)sqlite3_column_int64(st, 15);
	ap->policy_version = (uint32_t)sqlite3_column_int64(st, 16);
	TXT(17, work_order);
	TXT(18, approver);
	ap->decided_ms = sqlite3_column_int64(st, 19);
	TXT(20, decision_reason);
	if (sqlite3_column_bytes(st, 21) == (int)sizeof(ap->request_sha256)) {
		memcpy(ap->request_sha256, sqlite3_column_blob(st, 21), sizeof(ap->request_sha256));
		ap->has_request_sha256 = 1;
	}
	if (ap->state == ABUSE_APR_PENDING && now_ms >= ap->expires_ms)
		ap->state = ABUSE_APR_EXPIRED;
	r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

static int transition(struct abuse *a, const char *id, const char *from, const char *to)
{
	sqlite3_stmt *st = NULL;
	int r = PL_E_IO;

	if (a == NULL || id == NULL || a->db == NULL)
		return PL_E_INVAL;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_prepare_v2(a->db, "UPDATE approvals SET state = ? WHERE id = ? AND state = ?",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			r = sqlite3_changes(a->db) == 1 ? 0 : PL_E_EXISTS;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

int abuse_approval_expire(struct abuse *a, const char *id)
{
	return transition(a, id, "pending", "expired");
}

/* One BLOB column of approval id into out[0..cap); PL_E_NOTFOUND when NULL or empty. */
static int read_blob(struct abuse *a, const char *sql, const char *id, uint8_t *out, size_t cap,
                     size_t *len)
{
	sqlite3_stmt *st = NULL;
	size_t n;
	int rc, r = PL_E_IO;

	if (a == NULL || id == NULL || out == NULL || len == NULL || a->db == NULL)
		return PL_E_INVAL;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PL_E_NOTFOUND : PL_E_IO;
		goto out;
	}
	n = (size_t)sqlite3_column_bytes(st, 0);
	if (sqlite3_column_type(st, 0) != SQLITE_BLOB || n == 0) {
		r = PL_E_NOTFOUND;
		goto out;
	}
	if (n > cap) {
		r = PL_E_NOSPACE;
		goto out;
	}
	memcpy(out, sqlite3_column_blob(st, 0), n);
	*len = n;
	r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

int abuse_approval_request(struct abuse *a, const char *id, uint8_t *out, size_t cap, size_t *len)
{
	return read_blob(a, "SELECT request FROM approvals WHERE id = ?", id, out, cap, len);
}

int abuse_approval_signed_decision(struct abuse *a, const char *id, uint8_t *out, size_t cap,
                                   size_t *len)
{
	return read_blob(a,
	                 "SELECT decision FROM approvals WHERE id = ? AND state IN ('approved', "
	                 "'denied', 'issued')",
	                 id, out, cap, len);
}

int abuse_approval_claim(struct abuse *a, const char *id)
{
	return transition(a, id, "approved", "issued");
}

int abuse_approval_unclaim(struct abuse *a, const char *id)
{
	return transition(a, id, "issued", "approved");
}

/* One statement of a decision's transaction; 0 or PL_E_IO. */
static int exec_bound(sqlite3 *db, const char *sql, const char *const *t, int n, int64_t num)
{
	sqlite3_stmt *st = NULL;
	int r = PL_E_IO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return PL_E_IO;
	for (int k = 0; k < n; k++)
		sqlite3_bind_text(st, k + 1, t[k], -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) > n)
		sqlite3_bind_int64(st, n + 1, num);
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(st);
	return r;
}

/* The approval row of a decision, with the signed decision's exact bytes; 0 or PL_E_IO. */
static int record_decision(sqlite3 *db, const char *const *upd, int64_t now_ms,
                           const struct abuse_decision *d)
{
	sqlite3_stmt *st = NULL;
	int r = PL_E_IO;

	if (sqlite3_prepare_v2(db,
	                       "UPDATE approvals SET state = ?1, approver = ?2, decision_reason = "
	                       "?3, decided_ms = ?5, decision = ?6 WHERE id = ?4 AND state = "
	                       "'pending' AND expires_ms > ?5",
	                       -1, &st, NULL) != SQLITE_OK)
		return PL_E_IO;
	for (int k = 0; k < 4; k++)
		sqlite3_bind_text(st, k + 1, upd[k], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_ms);
	sqlite3_bind_blob(st, 6, d->signed_decision, (int)d->signed_decision_len, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(st);
	return r;
}

int abuse_approval_decide(struct abuse *a, const struct abuse_decision *d)
{
	char target[ABUSE_APPROVAL_ID_LEN + 16];
	const char *upd[4], *adm[4], *reason;
	int64_t now_ms;
	int r = PL_E_IO;

	if (a == NULL || d == NULL || d->id == NULL || d->approver == NULL || d->actor == NULL ||
	    d->signed_decision == NULL || d->signed_decision_len == 0 ||
	    d->signed_decision_len > INT32_MAX || a->db == NULL)
		return PL_E_INVAL;
	reason = d->reason != NULL ? d->reason : "";
	now_ms = d->now_ms;
	snprintf(target, sizeof(target), "approval %.32s", d->id);
	upd[0] = d->approve ? "approved" : "denied";
	upd[1] = d->approver;
	upd[2] = reason;
	upd[3] = d->id;
	adm[0] = d->actor;
	adm[1] = d->approve ? "approve" : "deny";
	adm[2] = target;
	adm[3] = d->note != NULL ? d->note : reason;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	if (record_decision(a->db, upd, now_ms, d) != 0)
		goto rollback;
	if (sqlite3_changes(a->db) != 1) {
		r = PL_E_EXISTS;
		goto rollback;
	}
	if (exec_bound(a->db,
	               "INSERT INTO admin_actions (actor, action, target, reason, time_ms) "
	               "VALUES (?, ?, ?, ?, ?)",
	               adm, 4, now_ms) != 0 ||
	    sqlite3_exec(a->db, "UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1", NULL,
	                 NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	r = 0;
	goto out;
rollback:
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&a->mu);
	return r;
}

static void approver_set(struct abuse_approver *out, int verdict, const char *rule, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

static void approver_set(struct abuse_approver *out, int verdict, const char *rule, const char *fmt,
                         ...)
{
	va_list vl;

	out->verdict = verdict;
	abuse_strlcpy(out->rule, rule, sizeof(out->rule));
	va_start(vl, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, vl);
	va_end(vl);
}

/* Officer suspensions of the approver or their workshop (the tables, current). */
static int officer_suspended(struct abuse *a, const struct abuse_approver *who, const char *cn,
                             const char *ws_id, const char *ou, struct abuse_verdict *v)
{
	int r = 0, hit = 0;

	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&a->mu);
	if (a->db != NULL)
		r = store_refresh(a);
	if (r == 0)
		hit = susp_check(a, "technician", who->id, cn, v) ||
		      susp_check(a, "workshop", ws_id, ou, v);
	pthread_mutex_unlock(&a->mu);
	return r != 0 ? r : hit;
}

int abuse_approver_check(struct abuse *a, const struct policy *p, const struct abuse_approval *ap,
                         const char *cn, const char *ou, struct abuse_approver *out)
{
	char req_id[64] = "", ws_id[64] = "", name[64] = "", rule[ABUSE_ID_MAX];
	struct abuse_verdict v;
	int pv = POLICY_APPROVER_UNKNOWN, r;

	if (a == NULL || p == NULL || ap == NULL || cn == NULL || ou == NULL || out == NULL)
		return PL_E_INVAL;
	memset(out, 0, sizeof(*out));
	(void)policy_approval_for(p, ap->op, name, NULL);
	snprintf(rule, sizeof(rule), "approvals%s%.50s", name[0] ? "." : "", name);
	if (!policy_technician_approval(p, ap->op)) {
		approver_set(
		    out, ABUSE_APPROVER_DISABLED, rule,
		    "the policy lets only officers decide %s approvals (approvals entry %s "
		    "without technician_approval: true): an officer decides with pitlanectl",
		    ap->op, name[0] ? name : "(none lists it)");
		return 0;
	}
	if ((r = policy_approver_check(p, cn, ou, ap->op, &pv, out->id, ws_id)) != 0)
		return r;
	(void)policy_technician_id(p, ap->technician, req_id);
	if (strcmp(cn, ap->technician) == 0 ||
	    (out->id[0] != '\0' &&
	     (strcmp(out->id, ap->technician_id) == 0 || strcmp(out->id, req_id) == 0))) {
		approver_set(out, ABUSE_APPROVER_SELF, rule,
		             "%s made this request and cannot "
		             "approve or deny it: a second person must",
		             cn);
		return 0;
	}
	if (pv == POLICY_APPROVER_UNKNOWN || pv == POLICY_APPROVER_WORKSHOP) {
		approver_set(out, ABUSE_APPROVER_UNKNOWN, rule,
		             "technician certificate CN=%s OU=%s "
		             "is not a technician of that workshop in the policy: no approver role",
		             cn, ou);
		return 0;
	}
	if (pv == POLICY_APPROVER_SUSPENDED) {
		approver_set(out, ABUSE_APPROVER_SUSPENDED, rule,
		             "%s (or their workshop) is "
		             "suspended in the policy and may not approve",
		             out->id);
		return 0;
	}
	if ((r = officer_suspended(a, out, cn, ws_id, ou, &v)) < 0)
		return r;
	if (r == 1) {
		approver_set(out, ABUSE_APPROVER_SUSPENDED, v.rule, "%s may not approve: %s",
		             out->id, v.reason);
		return 0;
	}
	if (pv == POLICY_APPROVER_NO_ROLE) {
		approver_set(out, ABUSE_APPROVER_NO_ROLE, rule,
		             "%s holds none of the approver roles "
		             "of approvals entry %s",
		             out->id, name);
		return 0;
	}
	approver_set(out, ABUSE_APPROVER_OK, rule, "%s may decide", out->id);
	return 0;
}
