/* Audit checkpoints signed with the broker key inside SoftHSM2 (pitlane_signer). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "audit.h"
#include "audit_test_util.h"
#include "pl_err.h"
#include "signer.h"

#define KEY_URI "pkcs11:token=pitlane-broker;object=broker-signing;type=private"
#define THREADS 4
#define PER_THREAD 10

static char *dir;
static char db[1024], pin[1024], conf[1024], pem[1024];

static void setup(void)
{
	const char *src = getenv("PITLANE_SOURCE_DIR");
	char cmd[2048];

	cr_assert_not_null(src, "PITLANE_SOURCE_DIR is not set (run through ctest)");
	dir = aut_tmpdir();
	aut_path(db, sizeof(db), dir, "audit.db");
	aut_path(pin, sizeof(pin), dir, "pki/hsm-broker/pin");
	aut_path(conf, sizeof(conf), dir, "pki/hsm-broker/softhsm2.conf");
	aut_path(pem, sizeof(pem), dir, "pki/hsm-broker/broker-signing.pub.pem");
	snprintf(cmd, sizeof(cmd), "sh '%s/packaging/demo-pki.sh' '%s/pki' >/dev/null", src, dir);
	cr_assert_eq(system(cmd), 0, "demo-pki.sh failed");
	cr_assert_eq(setenv("SOFTHSM2_CONF", conf, 1), 0);
}

static void teardown(void)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/pki'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s/pki\n", dir);
	aut_rmdir(dir);
}

TestSuite(audit_hsm, .init = setup, .fini = teardown);

struct worker {
	struct audit *a;
	unsigned base;
	int err;
};

static void *append_rows(void *p)
{
	struct worker *w = p;
	struct audit_record rec;

	for (unsigned i = 0; i < PER_THREAD && w->err == 0; i++) {
		aut_record(&rec, w->base + i);
		w->err = audit_append(w->a, &rec, NULL);
	}
	return NULL;
}

Test(audit_hsm, REQ_AUD_057_hsm_signed_checkpoints_verify_with_exported_key)
{
	struct signer_limits lim;
	struct signer *s = NULL;
	struct audit *a = NULL;
	struct audit_stats st;
	struct worker w[THREADS];
	pthread_t th[THREADS];
	uint8_t pub[SIGNER_PUB_LEN], kid[SIGNER_KID_LEN];
	const char *argv[] = { "audit", "verify", db, "--pubkey", pem };
	int r;

	memset(&lim, 0, sizeof(lim));
	lim.nops = 1;
	snprintf(lim.ops[0].name, sizeof(lim.ops[0].name), "door.unlock");
	lim.ops[0].max_ttl = 300;
	lim.max_exi = 120;
	r = signer_open(KEY_URI, pin, &lim, &s);
	cr_assert_eq(r, 0, "signer_open: %s", pl_strerror(r));
	cr_assert_eq(signer_public_key(s, pub, kid), 0);

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, signer_audit_sign, s, pub, 8, 0), 0);
	for (int t = 0; t < THREADS; t++) {
		w[t] = (struct worker){ .a = a, .base = (unsigned)t * 100 };
		cr_assert_eq(pthread_create(&th[t], NULL, append_rows, &w[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		cr_assert_eq(w[t].err, 0, "append: %s", pl_strerror(w[t].err));
	}
	audit_get_stats(a, &st);
	cr_assert_eq(st.last_checkpoint_err, 0, "checkpoint: %s", pl_strerror(st.last_checkpoint_err));
	cr_assert_geq(st.checkpoints, 1);
	audit_close(a);                  /* the final checkpoint covers the last rows */
	signer_close(s);

	cr_assert_eq(aut_sql_int(db, "SELECT max(row_count) FROM checkpoints"), THREADS * PER_THREAD);
	cr_assert_eq(ctl_audit_main(5, (char **)argv), 0);
	/* The same file fails against any other key. */
	{
		struct aut_key other;
		char pem2[1100];
		const char *argv2[] = { "audit", "verify", db, "--pubkey", pem2 };

		aut_key_new(&other);
		aut_path(pem2, sizeof(pem2), dir, "other.pem");
		aut_key_write_pem(&other, pem2);
		aut_key_free(&other);
		cr_assert_eq(ctl_audit_main(5, (char **)argv2), 1);
	}
}
