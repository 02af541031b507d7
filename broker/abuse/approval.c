/*
 * Pending two-person approvals (table approvals). The broker creates them;
 * pitlanectl approves or denies (never the requester, only a holder of an
 * approver role); the requesting device polls and receives its token once.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <sqlite3.h>

#include "abuse_int.h"
#include "pl_codec.h"
#include "pl_err.h"

static const char *const state_names[] = { "pending", "approved", "denied", "issued",
					    "expired" };

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

	if (a == NULL || ap == NULL || ap->cnonce_len == 0 || ap->cnonce_len > sizeof(ap->cnonce))
		return PL_E_INVAL;
	if (a->db == NULL)
		return PL_E_INVAL;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return PL_E_IO;
	pl_hex_encode(rnd, sizeof(rnd), ap->id, sizeof(ap->id));
	ap->state = ABUSE_APR_PENDING;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_prepare_v2(a->db, "INSERT INTO approvals (id, state, created_ms, expires_ms, "
			       "rule, device_cn, device_ou, technician, workshop, technician_id, "
			       "workshop_id, vin, op, cnonce, ttl_s, exi_s, policy_version, "
			       "work_order) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			       "?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
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
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : PL_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

#define TXT(col, field) abuse_strlcpy(ap->field, (const char *)sqlite3_column_text(st, col), \
				      sizeof(ap->field))

int abuse_approval_get(struct abuse *a, const char *id, int64_t now_ms,
		       struct abuse_approval *ap)
{
	sqlite3_stmt *st = NULL;
	int rc, r = PL_E_IO;

	if (a == NULL || id == NULL || ap == NULL || a->db == NULL)
		return PL_E_INVAL;
	pthread_mutex_lock(&a->mu);
	if (sqlite3_prepare_v2(a->db, "SELECT id, state, created_ms, expires_ms, rule, device_cn, "
			       "device_ou, technician, workshop, technician_id, workshop_id, vin, op, "
			       "cnonce, ttl_s, exi_s, policy_version, work_order, approver, "
			       "decided_ms, decision_reason FROM approvals WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
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

int abuse_approval_claim(struct abuse *a, const char *id)
{
	return transition(a, id, "approved", "issued");
}

int abuse_approval_unclaim(struct abuse *a, const char *id)
{
	return transition(a, id, "issued", "approved");
}
