/*
 * policy_dump(): the normalised dump parses back to the same dump (a fixed
 * point), does not depend on how the files were split or written, and the
 * digest follows the content.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_err.h"
#include "policy.h"

static struct policy *load_text(const char *text)
{
	struct policy *p = NULL;
	struct policy_diag d;
	int r = policy_load_buffer("t.yaml", text, strlen(text), NULL, &p, &d);

	cr_assert_eq(r, 0, "%s:%u:%u: %s", d.file, d.line, d.col, d.msg);
	return p;
}

static char *dump(const struct policy *p)
{
	char *text = NULL;
	size_t len = 0;

	cr_assert_eq(policy_dump(p, &text, &len), 0);
	cr_assert_eq(strlen(text), len);
	return text;
}

Test(policy_dump, REQ_POL_040_demo_dump_is_a_fixed_point)
{
	char dir[4096];
	struct policy *p = NULL, *p2;
	struct policy_diag d;
	char *a, *b;
	uint8_t d1[32], d2[32];

	snprintf(dir, sizeof(dir), "%s/policy", getenv("PITLANE_SOURCE_DIR"));
	cr_assert_eq(policy_load_dir(dir, &p, &d), 0, "%s:%u:%u: %s", d.file, d.line, d.col, d.msg);
	a = dump(p);
	p2 = load_text(a);
	b = dump(p2);
	cr_assert_str_eq(a, b);
	policy_digest(p, d1);
	policy_digest(p2, d2);
	cr_assert_eq(memcmp(d1, d2, 32), 0);
	/* every section is there, with defaults written out */
	cr_assert_not_null(strstr(a, "\nsettings:\n  hours_min_risk: \"high\"\n"));
	cr_assert_not_null(strstr(a, "\n    default_ttl: 120\n"));
	cr_assert_not_null(strstr(a, "\n      cn: \"tech-anna\"\n"));
	cr_assert_not_null(strstr(a, "\ntests:\n"));
	cr_assert_not_null(strstr(a, "\ndecoy_vins: [\"WVWZZZ1JZ3W386752\"]\n"));
	free(a);
	free(b);
	policy_unref(p);
	policy_unref(p2);
}

/* The same policy written two ways dumps identically. */
Test(policy_dump, REQ_POL_041_dump_is_normalised)
{
	static const char terse[] =
		"version: 9\n"
		"operations: { x.y: { routine: 0x10, risk: low, max_ttl: 60, exi: 5 } }\n"
		"roles: { r: { operations: [x.y] } }\n"
		"workshops: { w: { roles: [r], vin_prefixes: [WVW],\n"
		"  opening_hours: { time_zone: UTC, mon: [\"13:00-14:00\", \"08:00-09:00\"] } } }\n"
		"technicians: { t: { workshop: w, roles: [r] } }\n";
	static const char verbose[] =
		"# the same, spelled out\n"
		"version: 9\n"
		"settings:\n  hours_min_risk: high\n"
		"operations:\n  \"x.y\":\n    routine: 16\n    risk: \"low\"\n    max_ttl: 60\n"
		"    default_ttl: 60\n    exi: 5\n"
		"roles:\n  r:\n    operations:\n      - x.y\n"
		"workshops:\n  w:\n    certificate: { ou: w }\n    roles: [r]\n"
		"    vin_prefixes: [\"WVW\"]\n    suspended: false\n"
		"    opening_hours:\n      mon: [\"08:00-09:00\", \"13:00-14:00\"]\n"
		"      time_zone: \"UTC\"\n"
		"technicians:\n  t:\n    certificate: { cn: t }\n    workshop: w\n    roles: [r]\n"
		"limits: []\napprovals: []\nanomalies: []\ndecoy_vins: []\ntests: []\n";
	struct policy *p1 = load_text(terse), *p2 = load_text(verbose);
	char *a = dump(p1), *b = dump(p2);
	uint8_t d1[32], d2[32];

	cr_assert_str_eq(a, b);
	cr_assert_not_null(strstr(a, "mon: [\"08:00-09:00\", \"13:00-14:00\"]"), "%s", a);
	policy_digest(p1, d1);
	policy_digest(p2, d2);
	cr_assert_eq(memcmp(d1, d2, 32), 0);
	free(a);
	free(b);
	policy_unref(p1);
	policy_unref(p2);
}

Test(policy_dump, REQ_POL_042_digest_changes_with_content)
{
	struct policy *p1 = load_text("version: 1\nroles: { r: { operations: [] } }\n");
	struct policy *p2 = load_text("version: 1\nroles: { s: { operations: [] } }\n");
	uint8_t d1[32], d2[32];

	policy_digest(p1, d1);
	policy_digest(p2, d2);
	cr_assert_neq(memcmp(d1, d2, 32), 0);
	cr_assert_eq(policy_version(p1), policy_version(p2));
	policy_unref(p1);
	policy_unref(p2);
}

Test(policy_dump, REQ_POL_043_strings_with_quotes_survive)
{
	static const char text[] =
		"version: 1\n"
		"workshops: { w: { roles: [], certificate: { ou: 'Dealer \"Nord\" \\\\ Ost' } } }\n";
	struct policy *p = load_text(text), *p2;
	char *a = dump(p), *b;

	cr_assert_not_null(strstr(a, "ou: \"Dealer \\\"Nord\\\" \\\\\\\\ Ost\""), "%s", a);
	p2 = load_text(a);
	b = dump(p2);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	policy_unref(p);
	policy_unref(p2);
}

/* technician_approval (docs/policy.md): written out with its default, read back the same. */
Test(policy_dump, REQ_POL_044_technician_approval_round_trips)
{
	static const char text[] =
		"version: 1\n"
		"operations: { k.l: { routine: 0x10, risk: high, max_ttl: 60, exi: 5 },\n"
		"  i.e: { routine: 0x11, risk: high, max_ttl: 60, exi: 5 } }\n"
		"roles: { a: { operations: [] } }\n"
		"approvals:\n"
		"  - { name: on, operations: [k.l], approver_roles: [a], expires: 60,\n"
		"      technician_approval: true }\n"
		"  - { name: off, operations: [i.e], approver_roles: [a], expires: 60 }\n";
	struct policy *p = load_text(text), *p2;
	char *a = dump(p), *b;

	cr_assert_not_null(strstr(a, "  - name: \"on\"\n    operations: [\"k.l\"]\n    approver_roles: "
				     "[\"a\"]\n    expires: 60\n    technician_approval: true\n"), "%s", a);
	cr_assert_not_null(strstr(a, "    expires: 60\n    technician_approval: false\n"), "%s", a);
	p2 = load_text(a);
	b = dump(p2);
	cr_assert_str_eq(a, b);
	cr_assert_eq(policy_technician_approval(p2, "k.l"), 1);
	cr_assert_eq(policy_technician_approval(p2, "i.e"), 0);
	free(a);
	free(b);
	policy_unref(p);
	policy_unref(p2);
}
