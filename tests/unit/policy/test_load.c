/*
 * The loader: every broken file under bad/ gives its expected error at the
 * exact file:line:column (each file's first line says "# expect: L:C code
 * message"), every error is listed (not just the first), directory rules,
 * and the demo policy in policy/ loads.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_err_policy.h"
#include "pl_file.h"
#include "pl_parse.h"
#include "policy.h"
#include "policy_int.h"

static const char *src_dir(void)
{
	const char *s = getenv("PITLANE_SOURCE_DIR");

	cr_assert_not_null(s, "PITLANE_SOURCE_DIR is not set");
	return s;
}

struct expect {
	unsigned line, col;
	char code[64];
	char msg[200];
};

static void parse_expect(const char *file, const char *text, struct expect *e)
{
	char head[300], *line, *col, *code, *msg, *sp;
	const char *nl = strchr(text, '\n');

	cr_assert(strncmp(text, "# expect: ", 10) == 0 && nl != NULL && nl - text < 290,
		  "%s: first line must be '# expect: L:C code message'", file);
	snprintf(head, sizeof(head), "%.*s", (int)(nl - text - 10), text + 10);
	line = head;
	col = strchr(line, ':');
	cr_assert_not_null(col, "%s", file);
	*col++ = '\0';
	sp = strchr(col, ' ');
	cr_assert_not_null(sp, "%s", file);
	*sp = '\0';
	code = sp + 1;
	msg = strchr(code, ' ');
	cr_assert_not_null(msg, "%s", file);
	*msg++ = '\0';
	cr_assert_eq(pl_parse_u32(line, 0, 100000, &e->line), 0, "%s", file);
	cr_assert_eq(pl_parse_u32(col, 0, 100000, &e->col), 0, "%s", file);
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

Test(policy_load, REQ_POL_020_each_bad_file_reports_its_exact_position)
{
	char dir[4096];
	DIR *d;
	struct dirent *de;
	unsigned checked = 0;

	snprintf(dir, sizeof(dir), "%s/tests/unit/policy/bad", src_dir());
	d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	while ((de = readdir(d)) != NULL) {
		char path[8192];
		uint8_t *buf = NULL;
		size_t len = 0;
		struct expect e;
		struct policy_diag diag;
		struct policy *p = NULL;
		int r;

		if (strstr(de->d_name, ".yaml") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		cr_assert_eq(pl_read_file(path, 1 << 20, &buf, &len), 0, "%s", path);
		parse_expect(de->d_name, (const char *)buf, &e);
		r = policy_load_buffer(de->d_name, buf, len, NULL, &p, &diag);
		cr_expect_neq(r, 0, "%s: loaded", de->d_name);
		cr_expect_null(p);
		cr_expect_eq(r, diag.err, "%s", de->d_name);
		cr_expect_str_eq(pl_errname(r), e.code, "%s: got %s (%u:%u %s)", de->d_name,
				 pl_errname(r), diag.line, diag.col, diag.msg);
		cr_expect_str_eq(diag.file, de->d_name);
		cr_expect(diag.line == e.line && diag.col == e.col,
			  "%s: expected %u:%u, got %u:%u (%s)", de->d_name, e.line, e.col, diag.line,
			  diag.col, diag.msg);
		cr_expect_not_null(strstr(diag.msg, e.msg), "%s: message '%s' lacks '%s'", de->d_name,
				   diag.msg, e.msg);
		free(buf);
		checked++;
	}
	closedir(d);
	cr_assert_geq(checked, 30, "only %u bad files", checked);
}

struct collect {
	struct policy_diag d[16];
	unsigned n;
};

static void collect_fn(void *ctx, const struct policy_diag *d)
{
	struct collect *c = ctx;

	if (c->n < 16)
		c->d[c->n] = *d;
	c->n++;
}

Test(policy_load, REQ_POL_021_all_errors_are_listed_not_just_the_first)
{
	static const char text[] =
		"version: 1\n"
		"operations:\n"
		"  a.b: { routine: 1, risk: low, max_ttl: 0, exi: 1 }\n"
		"roles:\n"
		"  r: { operations: [nope], extra: 1 }\n"
		"workshops:\n"
		"  w: { roles: [r], suspended: maybe }\n";
	struct collect c = { .n = 0 };
	struct policy_load_opts o = { .diag_fn = collect_fn, .diag_ctx = &c };
	struct policy_diag first;
	struct policy *p = NULL;

	cr_assert_eq(policy_load_buffer("many.yaml", text, sizeof(text) - 1, &o, &p, &first),
		     PL_E_POLICY_VALUE);
	cr_assert_eq(c.n, 4);
	cr_assert_eq(c.d[0].line, 3);
	cr_assert_eq(c.d[0].col, 42); /* max_ttl: 0 */
	cr_assert_eq(c.d[1].line, 5); /* unknown key extra */
	cr_assert_eq(c.d[1].col, 28);
	cr_assert_eq(c.d[1].err, PL_E_POLICY_SCHEMA);
	cr_assert_eq(c.d[2].line, 5); /* undefined op */
	cr_assert_eq(c.d[2].col, 21);
	cr_assert_eq(c.d[2].err, PL_E_POLICY_REF);
	cr_assert_eq(c.d[3].line, 7); /* suspended: maybe */
	cr_assert_eq(c.d[3].col, 31);
	cr_assert_eq(first.line, 3);
	cr_assert_null(p);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static char *tmpdir(void)
{
	char *t = strdup("/tmp/pitlane-policy-XXXXXX");

	cr_assert_not_null(mkdtemp(t));
	return t;
}

static void rmtree(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[4096];

		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	free(dir);
}

Test(policy_load, REQ_POL_022_names_are_unique_across_files)
{
	char *dir = tmpdir();
	struct policy_diag d;
	struct policy *p = NULL;
	char want[4200];

	write_file(dir, "a.yaml",
		   "version: 1\noperations:\n  door.unlock: { routine: 1, risk: low, max_ttl: 9, exi: 1 }\n");
	write_file(dir, "b.yaml",
		   "# second\noperations:\n  door.unlock: { routine: 2, risk: low, max_ttl: 9, exi: 1 }\n");
	cr_assert_eq(policy_load_dir(dir, &p, &d), PL_E_POLICY_DUP);
	snprintf(want, sizeof(want), "%s/b.yaml", dir);
	cr_assert_str_eq(d.file, want);
	cr_assert_eq(d.line, 3);
	cr_assert_eq(d.col, 3);
	snprintf(want, sizeof(want), "already defined at %s/a.yaml:3:3", dir);
	cr_assert_not_null(strstr(d.msg, want), "%s", d.msg);
	write_file(dir, "b.yaml", "version: 2\n");
	cr_assert_eq(policy_load_dir(dir, &p, &d), PL_E_POLICY_DUP);
	cr_assert_not_null(strstr(d.msg, "version: already declared at"), "%s", d.msg);
	cr_assert_null(p);
	rmtree(dir);
}

Test(policy_load, REQ_POL_023_references_across_files_and_file_order)
{
	char *dir = tmpdir();
	struct policy_diag d;
	struct policy *p = NULL;
	char name[32];

	/* Sections are read over all files before the sections that refer to them, so a
	 * technician in an earlier file may name workshops, roles and operations defined
	 * in later files. Files are read in name order; others are ignored. */
	write_file(dir, "00-people.yaml", "technicians:\n  t: { workshop: w, roles: [r] }\n");
	write_file(dir, "10-ops.yaml",
		   "version: 3\noperations:\n  z.op: { routine: 2, risk: low, max_ttl: 9, exi: 1 }\n"
		   "roles: { r: { operations: [z.op, a.op] } }\nworkshops: { w: { roles: [r] } }\n");
	write_file(dir, "20-more.yml",
		   "operations:\n  a.op: { routine: 1, risk: low, max_ttl: 9, exi: 1 }\n");
	write_file(dir, ".hidden.yaml", "this is: [not loaded\n");
	write_file(dir, "notes.txt", "not: [a policy\n");
	cr_assert_eq(policy_load_dir(dir, &p, &d), 0, "%s:%u:%u %s", d.file, d.line, d.col, d.msg);
	cr_assert_eq(policy_version(p), 3);
	cr_assert_eq(policy_op_count(p), 2);
	cr_assert_eq(policy_op_at(p, 0, name, NULL, NULL, NULL), 0);
	cr_assert_str_eq(name, "z.op");
	cr_assert_eq(policy_op_at(p, 1, name, NULL, NULL, NULL), 0);
	cr_assert_str_eq(name, "a.op");
	policy_unref(p);
	p = NULL;
	/* An undefined name is reported where it is used, in its file. */
	write_file(dir, "20-more.yml", "{}\n");
	cr_assert_eq(policy_load_dir(dir, &p, &d), PL_E_POLICY_REF);
	cr_assert_not_null(strstr(d.file, "/10-ops.yaml"), "%s", d.file);
	cr_assert_eq(d.line, 4);
	cr_assert_eq(d.col, 34);
	cr_assert_null(p);
	rmtree(dir);
}

Test(policy_load, REQ_POL_024_directory_errors)
{
	char *dir = tmpdir();
	struct policy_diag d;
	struct policy *p = NULL;
	char missing[4200];

	cr_assert_eq(policy_load_dir(dir, &p, &d), PL_E_POLICY_EMPTY);
	cr_assert_str_eq(d.file, dir);
	cr_assert_eq(d.line, 0);
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	cr_assert_eq(policy_load_dir(missing, &p, &d), PL_E_NOENT);
	cr_assert_not_null(strstr(d.msg, "cannot open policy directory"), "%s", d.msg);
	write_file(dir, "empty.yaml", "# nothing here\n");
	cr_assert_eq(policy_load_dir(dir, &p, &d), PL_E_POLICY_SCHEMA);
	cr_assert_not_null(strstr(d.msg, "declares 'version:'"), "%s", d.msg);
	cr_assert_null(p);
	cr_assert_eq(policy_load_dir(NULL, &p, &d), PL_E_INVAL);
	rmtree(dir);
}

Test(policy_load, REQ_POL_025_bytes_must_be_utf8_text)
{
	static const char bad_utf8[] = "version: 1\nroles: { \"r\xc3\x28\": { operations: [] } }\n";
	static const char bom[] = "\xef\xbb\xbfversion: 1\n";
	static const char nul[] = "version: 1\n\0roles: {}\n";
	struct policy_diag d;
	struct policy *p = NULL;

	cr_assert_eq(policy_load_buffer("u.yaml", bad_utf8, sizeof(bad_utf8) - 1, NULL, &p, &d),
		     PL_E_POLICY_SYNTAX);
	cr_assert_eq(d.line, 2);
	cr_assert_eq(d.col, 12);
	cr_assert_eq(policy_load_buffer("b.yaml", bom, sizeof(bom) - 1, NULL, &p, &d),
		     PL_E_POLICY_SYNTAX);
	cr_assert_eq(policy_load_buffer("n.yaml", nul, sizeof(nul) - 1, NULL, &p, &d),
		     PL_E_POLICY_SYNTAX);
	cr_assert_eq(d.line, 2);
	cr_assert_eq(d.col, 1);
	cr_assert_null(p);
}

Test(policy_load, REQ_POL_026_demo_policy_loads)
{
	char dir[4096];
	struct policy_diag d;
	struct policy *p = NULL;
	struct policy_request q = {
		.device_cn = "ws-muc-01-pc1", .device_workshop = "ws-muc-01",
		.technician_cn = "tech-anna", .technician_workshop = "ws-muc-01",
		.vin = "WVWZZZ1JZXW000001", .op = "door.unlock", .now = 1741683600,
	};
	struct policy_decision dec;

	snprintf(dir, sizeof(dir), "%s/policy", src_dir());
	cr_assert_eq(policy_load_dir(dir, &p, &d), 0, "%s:%u:%u: %s", d.file, d.line, d.col, d.msg);
	cr_assert_eq(policy_op_count(p), 5);
	cr_assert_eq(policy_decide(p, &q, &dec), 0);
	cr_assert_eq(dec.allow, 1, "%s: %s", dec.rule, dec.reason);
	cr_assert_eq(dec.routine_id, 0xF001);
	policy_unref(p);
}

Test(policy_load, REQ_POL_027_every_prefix_of_a_policy_is_handled)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	unsigned ok = 0, bad = 0;

	snprintf(path, sizeof(path), "%s/policy/10-workshops.yaml", src_dir());
	cr_assert_eq(pl_read_file(path, 1 << 20, &buf, &len), 0);
	for (size_t cut = 0; cut <= len; cut += 3) {
		struct policy *p = NULL;
		struct policy_diag d;
		int r = policy_load_buffer("cut.yaml", buf, cut, NULL, &p, &d);

		if (r == 0) {
			ok++;
			policy_unref(p);
		} else {
			cr_assert_lt(r, 0);
			cr_assert_neq(d.msg[0], '\0');
			bad++;
		}
	}
	/* no prefix declares version: so none may load */
	cr_assert_eq(ok, 0);
	cr_assert_gt(bad, 100);
	free(buf);
}

Test(policy_load, REQ_POL_028_duplicate_keys_anywhere_are_errors)
{
	static const char in_fields[] =
		"version: 1\n"
		"operations:\n"
		"  a.b: { routine: 1, risk: low, max_ttl: 9, exi: 1, risk: high }\n";
	static const char in_names[] =
		"version: 1\n"
		"roles: { r: { operations: [] } }\n"
		"technicians:\n"
		"  t: { workshop: w, roles: [r] }\n"
		"workshops: { w: { roles: [r] } }\n"
		"technicians:\n"
		"  t: { workshop: w, roles: [r] }\n";
	static const char names_one_map[] =
		"version: 1\n"
		"roles: { r: { operations: [] } }\n"
		"workshops:\n"
		"  w: { roles: [r] }\n"
		"  w: { roles: [r] }\n";
	struct policy *p = NULL;
	struct policy_diag d;

	cr_assert_eq(policy_load_buffer("f.yaml", in_fields, sizeof(in_fields) - 1, NULL, &p, &d),
		     PL_E_POLICY_DUP);
	cr_assert_eq(d.line, 3);
	cr_assert_eq(d.col, 53);
	cr_assert_not_null(strstr(d.msg, "duplicate key 'risk' (first at line 3, column 22)"), "%s",
			   d.msg);
	cr_assert_eq(policy_load_buffer("n.yaml", in_names, sizeof(in_names) - 1, NULL, &p, &d),
		     PL_E_POLICY_DUP);
	cr_assert_eq(d.line, 6);
	cr_assert_eq(d.col, 1);
	cr_assert_eq(policy_load_buffer("m.yaml", names_one_map, sizeof(names_one_map) - 1, NULL, &p,
					&d),
		     PL_E_POLICY_DUP);
	cr_assert_eq(d.line, 5);
	cr_assert_eq(d.col, 3);
	cr_assert_not_null(strstr(d.msg, "workshops.w: already defined at m.yaml:4:3"), "%s", d.msg);
	cr_assert_null(p);
}

/* A large dealer network loads in linear time (libfyaml's quadratic duplicate-key
 * check is off; the loader's own checks use a hash index). */
Test(policy_load, REQ_POL_029_large_policy_loads_quickly, .timeout = 60)
{
	size_t cap = 8u << 20, n = 0;
	char *buf = malloc(cap);
	struct policy *p = NULL;
	struct policy_diag d;
	struct timespec t0, t1;
	struct policy_request q = {
		.device_cn = "pc", .device_workshop = "ws-04321", .technician_cn = "tech-049321",
		.technician_workshop = "ws-04321", .vin = "WVWZZZ1JZXW000001", .op = "door.unlock",
		.now = 1741683600,
	};
	struct policy_decision dec;

	cr_assert_not_null(buf);
	n += (size_t)snprintf(buf + n, cap - n,
			      "version: 1\noperations:\n  door.unlock: { routine: 1, risk: medium, "
			      "max_ttl: 60, exi: 5 }\nroles: { tech: { operations: [door.unlock] } }\n"
			      "workshops:\n");
	for (unsigned i = 0; i < 5000; i++)
		n += (size_t)snprintf(buf + n, cap - n,
				      "  ws-%05u: { roles: [tech], vin_prefixes: [WVW], opening_hours: "
				      "{ time_zone: Europe/Berlin, mon: \"08:00-17:00\" } }\n",
				      i);
	n += (size_t)snprintf(buf + n, cap - n, "technicians:\n");
	for (unsigned i = 0; i < 50000; i++)
		n += (size_t)snprintf(buf + n, cap - n,
				      "  tech-%06u: { workshop: ws-%05u, roles: [tech] }\n", i, i % 5000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(policy_load_buffer("big.yaml", buf, n, NULL, &p, &d), 0, "%u:%u %s", d.line,
		     d.col, d.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, 20.0);
	cr_assert_eq(policy_decide(p, &q, &dec), 0);
	cr_assert_eq(dec.allow, 1, "%s %s", dec.rule, dec.reason);
	cr_assert_str_eq(dec.technician_id, "tech-049321");
	policy_unref(p);
	free(buf);
}
