/* broker/audit/ctl_audit.c (+ export.c, timeparse.c): `pitlanectl audit ...`. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "audit.h"
#include "audit_int.h"
#include "audit_test_util.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_time.h"

static char *dir;
static char db[1024], outp[1024], errp[1024];
static char out[1 << 16], err[1 << 14];
static struct aut_key key;

static void setup(void)
{
	dir = aut_tmpdir();
	aut_path(db, sizeof(db), dir, "audit.db");
	aut_path(outp, sizeof(outp), dir, "stdout");
	aut_path(errp, sizeof(errp), dir, "stderr");
	aut_key_new(&key);
}

static void teardown(void)
{
	aut_key_free(&key);
	aut_rmdir(dir);
}

TestSuite(audit_ctl, .init = setup, .fini = teardown);

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs ctl_audit_main with stdout/stderr captured into out/err; returns the exit status. */
static int run(int argc, const char **argv)
{
	int so = dup(1), se = dup(2), fo, fe, rc;

	fflush(stdout);
	fflush(stderr);
	fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(fo >= 0 && fe >= 0);
	dup2(fo, 1);
	dup2(fe, 2);
	rc = ctl_audit_main(argc, (char **)argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	slurp(outp, out, sizeof(out));
	slurp(errp, err, sizeof(err));
	return rc;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(audit_ctl, REQ_AUD_060_verify_intact_exits_0)
{
	const char *argv[] = { "audit", "verify", db };

	aut_fill(db, 12, &key, 5);
	cr_assert_eq(run(3, argv), 0, "stderr: %s", err);
	cr_assert_not_null(strstr(out, "intact: 12 rows, 3 checkpoints"), "%s", out);
	cr_assert_not_null(strstr(out, "give --pubkey"), "%s", out);
}

Test(audit_ctl, REQ_AUD_061_verify_tampered_exits_1_and_names_the_row)
{
	const char *argv[] = { "audit", "verify", db };

	aut_fill(db, 6, NULL, 0);
	aut_drop_guards(db);
	aut_sql(db, "UPDATE audit_log SET technician = 'tech-ben' WHERE seq = 3");
	cr_assert_eq(run(3, argv), 1);
	cr_assert_not_null(strstr(out, "TAMPERED: row seq 3: row_hash"), "%s", out);
	cr_assert_not_null(strstr(err, "fault=row_hash_mismatch"), "%s", err);
}

Test(audit_ctl, REQ_AUD_062_verify_with_pubkey)
{
	char pem[1100], pem2[1100];
	struct aut_key k2;
	const char *ok[] = { "audit", "verify", db, "--pubkey", pem };
	const char *wrong[] = { "audit", "verify", "--pubkey", pem2, db };

	aut_path(pem, sizeof(pem), dir, "broker.pub.pem");
	aut_path(pem2, sizeof(pem2), dir, "other.pub.pem");
	aut_key_write_pem(&key, pem);
	aut_key_new(&k2);
	aut_key_write_pem(&k2, pem2);
	aut_key_free(&k2);
	aut_fill(db, 7, &key, 5);
	cr_assert_eq(run(5, ok), 0, "stderr: %s", err);
	cr_assert_not_null(strstr(out, "signatures checked with"), "%s", out);
	cr_assert_eq(run(5, wrong), 1);
	cr_assert_not_null(strstr(out, "--pubkey"), "%s", out);
	cr_assert_not_null(strstr(err, "fault=checkpoint_wrong_key"), "%s", err);
}

Test(audit_ctl, REQ_AUD_063_usage_and_io_errors_exit_2)
{
	char missing[1100], bad[1100];
	const char *none[] = { "audit" };
	const char *unknown[] = { "audit", "frobnicate" };
	const char *nodb[] = { "audit", "verify" };
	const char *extra[] = { "audit", "verify", db, db };
	const char *nofile[] = { "audit", "verify", missing };
	const char *badpem[] = { "audit", "verify", db, "--pubkey", bad };
	const char *badsince[] = { "audit", "export", db, "--since", "yesterday" };
	FILE *f;

	aut_fill(db, 2, NULL, 0);
	aut_path(missing, sizeof(missing), dir, "missing.db");
	aut_path(bad, sizeof(bad), dir, "bad.pem");
	f = fopen(bad, "w");
	cr_assert_not_null(f);
	fputs("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", f);
	fclose(f);
	cr_assert_eq(run(1, none), 2);
	cr_assert_eq(run(2, unknown), 2);
	cr_assert_not_null(strstr(err, "unknown command 'frobnicate'"), "%s", err);
	cr_assert_eq(run(2, nodb), 2);
	cr_assert_not_null(strstr(err, "missing the database path"), "%s", err);
	cr_assert_eq(run(4, extra), 2);
	cr_assert_eq(run(3, nofile), 2);
	cr_assert_not_null(strstr(err, "err=noent"), "%s", err);
	cr_assert_eq(run(5, badpem), 2);
	cr_assert_not_null(strstr(err, "err=badkey"), "%s", err);
	cr_assert_eq(run(5, badsince), 2);
	cr_assert_not_null(strstr(err, "err=audit_time"), "%s", err);
	cr_assert_not_null(strstr(err, "expected a 4-digit year at byte 0"), "%s", err);
}

Test(audit_ctl, REQ_AUD_064_export_writes_one_json_object_per_row)
{
	const char *argv[] = { "audit", "export", db };
	static const char line2[] =
		"{\"seq\":2,\"time\":\"2024-05-01T08:00:02.000Z\",\"time_ms\":1714550402000,"
		"\"request_id\":\"req-00000002\",\"client_identity\":\"CN=ws-muc-01-pc1,OU=ws-muc-01\","
		"\"technician\":\"tech-anna\",\"workshop\":\"ws-muc-01\",\"vin\":\"WVWZZZ1JZXW000002\","
		"\"op\":\"door.unlock\",\"decision\":\"deny\",\"rule\":\"ws-muc-01.door\","
		"\"reason\":\"work order WO-2\",\"client_addr\":\"127.0.0.1:40002\",\"token_id\":null,"
		"\"work_order\":\"WO-2\",\"request_reason\":\"\","
		"\"nonce\":\"0e0f101112131415161718191a1b1c1d\",\"row_version\":2,\"ckpt_rows\":0,"
		"\"row_hash\":\"";

	aut_fill(db, 10, NULL, 0);
	cr_assert_eq(run(3, argv), 0, "stderr: %s", err);
	cr_assert_eq(count_lines(out), 10);
	cr_assert_not_null(strstr(out, line2), "%s", out);
	cr_assert_not_null(strstr(out, "\"seq\":1,") , "%s", out);
	cr_assert_not_null(strstr(out, "\"token_id\":\"1f202122"), "%s", out);
}

Test(audit_ctl, REQ_AUD_065_export_escapes_strings)
{
	const char *argv[] = { "audit", "export", db };
	struct audit *a = NULL;
	struct audit_record rec;

	cr_assert_eq(audit_open(db, &a), 0);
	aut_record(&rec, 1);
	snprintf(rec.reason, sizeof(rec.reason), "a \"quote\", a \\ and\na newline \x01 "
		 "bad \xff utf8, good \xc3\xa4");
	cr_assert_eq(audit_append(a, &rec, NULL), 0);
	audit_close(a);
	cr_assert_eq(run(3, argv), 0, "stderr: %s", err);
	cr_assert_not_null(strstr(out, "\"reason\":\"a \\\"quote\\\", a \\\\ and\\na newline "
				       "\\u0001 bad \\ufffd utf8, good \xc3\xa4\""), "%s", out);
	cr_assert_eq(count_lines(out), 1);
}

Test(audit_ctl, REQ_AUD_066_export_since_unix_or_iso8601)
{
	const char *unix_s[] = { "audit", "export", db, "--since", "1714550405" };
	const char *iso_z[] = { "audit", "export", "--since", "2024-05-01T08:00:05Z", db };
	const char *iso_off[] = { "audit", "export", db, "--since", "2024-05-01T10:00:05+02:00" };
	const char *date[] = { "audit", "export", db, "--since", "2024-05-02" };

	aut_fill(db, 10, NULL, 0);          /* rows at 08:00:01 .. 08:00:10 */
	cr_assert_eq(run(5, unix_s), 0, "%s", err);
	cr_assert_eq(count_lines(out), 6);
	cr_assert_eq(run(5, iso_z), 0, "%s", err);
	cr_assert_eq(count_lines(out), 6);
	cr_assert_eq(run(5, iso_off), 0, "%s", err);
	cr_assert_eq(count_lines(out), 6);
	cr_assert_not_null(strstr(out, "\"seq\":5,"), "%s", out);
	cr_assert_null(strstr(out, "\"seq\":4,"), "%s", out);
	cr_assert_eq(run(5, date), 0, "%s", err);
	cr_assert_eq(count_lines(out), 0);
}

Test(audit_ctl, REQ_AUD_067_time_parser_is_strict)
{
	struct pl_time_error why;
	int64_t t = 7;

	cr_assert_eq(audit_parse_time("2024-02-29", &t, NULL), 0);
	cr_assert_eq(t, 1709164800);
	cr_assert_eq(audit_parse_time("2024-05-01 08:00", &t, NULL), 0);
	cr_assert_eq(t, 1714550400);
	cr_assert_eq(audit_parse_time("0", &t, NULL), 0);
	cr_assert_eq(t, 0);
	t = 7;
	cr_assert_eq(audit_parse_time("2023-02-29", &t, NULL), PL_E_AUDIT_TIME);
	cr_assert_eq(audit_parse_time("2024-13-01", &t, NULL), PL_E_AUDIT_TIME);
	cr_assert_eq(audit_parse_time("2024-05-01T24:00:00Z", &t, NULL), PL_E_AUDIT_TIME);
	cr_assert_eq(audit_parse_time("2024-05-01T08:00:00+0200", &t, NULL), PL_E_AUDIT_TIME);
	cr_assert_eq(audit_parse_time("2024-05-01X", &t, NULL), PL_E_AUDIT_TIME);
	cr_assert_eq(audit_parse_time("-5", &t, NULL), PL_E_AUDIT_TIME);
	cr_assert_eq(audit_parse_time("12abc", &t, NULL), PL_E_AUDIT_TIME);
	cr_assert_eq(audit_parse_time("", &t, NULL), PL_E_AUDIT_TIME);
	cr_assert_eq(audit_parse_time("99999999999999", &t, NULL), PL_E_RANGE);
	cr_assert_eq(t, 7, "out-param written on failure");
	cr_assert_eq(audit_parse_time("2024-05-01T08:60", &t, &why), PL_E_AUDIT_TIME);
	cr_assert_eq(why.offset, 14);
	cr_assert_str_eq(why.what, "minutes not 00..59");
}
