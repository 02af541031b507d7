/*
 * Reference counting and the reload slot: a bad new policy is refused and
 * the old one stays in force; readers never see a freed policy while the
 * slot is swapped under them (run under ASan/TSan-like stress here).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_err_policy.h"
#include "policy.h"

static void write_policy(const char *dir, unsigned version, int broken)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"version: %u\n"
		"operations: { door.unlock: { routine: 0xF001, risk: low, max_ttl: 60, exi: 5 } }\n"
		"roles: { r: { operations: [door.unlock] } }\n"
		"workshops: { w: { roles: [r], vin_prefixes: [WVW] } }\n"
		"technicians: { t: { workshop: w, roles: [%s] } }\n",
		version, broken ? "nosuchrole" : "r");
	fclose(f);
}

static void cleanup(char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	unlink(path);
	rmdir(dir);
}

Test(policy_slot, REQ_POL_050_bad_reload_keeps_the_old_policy)
{
	char dir[] = "/tmp/pitlane-slot-XXXXXX";
	struct policy *p = NULL, *cur;
	struct policy_slot *s = NULL;
	struct policy_diag d;

	cr_assert_not_null(mkdtemp(dir));
	write_policy(dir, 1, 0);
	cr_assert_eq(policy_load_dir(dir, &p, &d), 0);
	cr_assert_eq(policy_slot_new(p, &s), 0);
	write_policy(dir, 2, 1);
	cr_assert_eq(policy_slot_reload(s, dir, NULL, &d), PL_E_POLICY_REF);
	cr_assert_eq(d.line, 5);
	cur = policy_slot_get(s);
	cr_assert_eq(policy_version(cur), 1);
	policy_unref(cur);
	write_policy(dir, 3, 0);
	cr_assert_eq(policy_slot_reload(s, dir, NULL, &d), 0);
	cur = policy_slot_get(s);
	cr_assert_eq(policy_version(cur), 3);
	policy_unref(cur);
	policy_slot_free(s);
	cleanup(dir);
}

struct reader {
	struct policy_slot *s;
	volatile int *stop;
	unsigned long decisions;
	int bad;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct policy_request q = {
		.device_cn = "pc", .device_workshop = "w", .technician_cn = "t",
		.technician_workshop = "w", .vin = "WVWZZZ1JZXW000001", .op = "door.unlock",
		.now = 1741683600, .requested_ttl = 30,
	};

	while (!*r->stop) {
		struct policy *p = policy_slot_get(r->s);
		struct policy_decision d;

		if (policy_decide(p, &q, &d) != 0 || !d.allow || d.policy_version != policy_version(p))
			r->bad++;
		r->decisions++;
		policy_unref(p);
	}
	return NULL;
}

Test(policy_slot, REQ_POL_051_swaps_under_concurrent_readers)
{
	char dir[] = "/tmp/pitlane-slot-XXXXXX";
	struct policy *p = NULL;
	struct policy_slot *s = NULL;
	struct policy_diag d;
	struct reader rd[3];
	pthread_t th[3];
	volatile int stop = 0;

	cr_assert_not_null(mkdtemp(dir));
	write_policy(dir, 1, 0);
	cr_assert_eq(policy_load_dir(dir, &p, &d), 0);
	cr_assert_eq(policy_slot_new(p, &s), 0);
	for (int i = 0; i < 3; i++) {
		rd[i] = (struct reader){ .s = s, .stop = &stop };
		cr_assert_eq(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
	}
	for (unsigned v = 2; v < 60; v++) {
		write_policy(dir, v, v % 5 == 0);
		cr_assert_eq(policy_slot_reload(s, dir, NULL, &d), v % 5 == 0 ? PL_E_POLICY_REF : 0);
	}
	stop = 1;
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(pthread_join(th[i], NULL), 0);
		cr_assert_eq(rd[i].bad, 0);
		cr_assert_gt(rd[i].decisions, 0);
	}
	p = policy_slot_get(s);
	cr_assert_eq(policy_version(p), 59);
	policy_unref(p);
	policy_slot_free(s);
	cleanup(dir);
}

Test(policy_slot, REQ_POL_052_refcount)
{
	struct policy *p = NULL;
	struct policy_diag d;

	cr_assert_eq(policy_load_buffer("r.yaml", "version: 5\n", 11, NULL, &p, &d), 0);
	cr_assert_eq(policy_ref(p), p);
	policy_unref(p);
	cr_assert_eq(policy_version(p), 5); /* still alive: one reference left */
	policy_free(p);
	policy_free(NULL);
	policy_unref(NULL);
	cr_assert_null(policy_ref(NULL));
}
