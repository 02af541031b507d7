/*
 * JSON-lines export of the audit log: one object per row, ordered by seq.
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 become
 * U+FFFD so every line is valid JSON whatever the database holds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "audit_int.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_time.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void json_string(FILE *out, const unsigned char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t l;

		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			i++;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			fputc('\\', out);
			fputc(c == '\n' ? 'n' : c == '\r' ? 'r' : 't', out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else if ((l = utf8_len(s + i, n - i)) == 0) {
			fputs("\\ufffd", out);
			i++;
		} else {
			fwrite(s + i, 1, l, out);
			i += l;
		}
	}
	fputc('"', out);
}

static void json_hex(FILE *out, const void *p, int n)
{
	char hex[2 * AUDIT_HASH_LEN + 1];

	if (p == NULL || n <= 0 || n > AUDIT_HASH_LEN ||
	    pl_hex_encode(p, (size_t)n, hex, sizeof(hex)) != 0) {
		fputs("null", out);
		return;
	}
	fprintf(out, "\"%s\"", hex);
}

static void json_time(FILE *out, int64_t ms)
{
	char buf[PL_TIME_TEXT_MAX];

	if (pl_time_format_rfc3339_ms(ms, buf, sizeof(buf)) != 0) {
		fputs("null", out);
		return;
	}
	fprintf(out, "\"%s\"", buf);
}

/* Columns as in audit_row_columns(): 0 seq, 1 time_ms, 2..11 text, 12 token_id,
 * 14 row_hash, 15 row_version, 16 work_order, 17 request_reason, 18 nonce, 19 ckpt_rows. */
static void json_text_col(FILE *out, sqlite3_stmt *st, const char *name, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	fprintf(out, ",\"%s\":", name);
	json_string(out, t ? t : (const unsigned char *)"",
	            t ? (size_t)sqlite3_column_bytes(st, col) : 0);
}

static void export_row(FILE *out, sqlite3_stmt *st)
{
	fprintf(out, "{\"seq\":%lld,\"time\":", (long long)sqlite3_column_int64(st, 0));
	json_time(out, sqlite3_column_int64(st, 1));
	fprintf(out, ",\"time_ms\":%lld", (long long)sqlite3_column_int64(st, 1));
	for (int i = 0; i < AUDIT_F_COUNT; i++)
		json_text_col(out, st, audit_text_column[i], 2 + i);
	fputs(",\"token_id\":", out);
	json_hex(out, sqlite3_column_blob(st, 12), sqlite3_column_bytes(st, 12));
	json_text_col(out, st, "work_order", 16);
	json_text_col(out, st, "request_reason", 17);
	fputs(",\"nonce\":", out);
	json_hex(out, sqlite3_column_blob(st, 18), sqlite3_column_bytes(st, 18));
	fprintf(out, ",\"row_version\":%lld,\"ckpt_rows\":%lld",
	        (long long)sqlite3_column_int64(st, 15), (long long)sqlite3_column_int64(st, 19));
	fputs(",\"row_hash\":", out);
	json_hex(out, sqlite3_column_blob(st, 14), sqlite3_column_bytes(st, 14));
	fputs("}\n", out);
}

int audit_export(const char *db_path, int64_t since_ms, FILE *out, uint64_t *nrows)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;
	char sql[512];
	int rc, r, v2 = 0;

	if (db_path == NULL || out == NULL)
		return PL_E_INVAL;
	rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if ((r = audit_has_v2_columns(db, &v2)) != 0)
		goto out;
	snprintf(sql, sizeof(sql), "SELECT %s FROM audit_log WHERE time_ms >= ?1 ORDER BY seq",
	         audit_row_columns(v2));
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = rc == SQLITE_ERROR ? PL_E_AUDIT_NOT_AUDIT_DB : audit_sqlite_err(rc);
		goto out;
	}
	sqlite3_bind_int64(st, 1, since_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		export_row(out, st);
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = audit_sqlite_err(rc);
		goto out;
	}
	if (fflush(out) != 0 || ferror(out)) {
		r = PL_E_IO;
		goto out;
	}
	if (nrows)
		*nrows = n;
	r = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}
