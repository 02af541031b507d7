/* Shared fixture of the signer tests (see fixture.h). */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fixture.h"
#include "pitlane/token.h"
#include "pitlane/token_openssl.h"
#include "pl_file.h"

void fx_path(const struct fx *f, const char *rel, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", f->dir, rel);

	cr_assert(n > 0 && (size_t)n < cap, "path too long: %s/%s", f->dir, rel);
}

int fx_sh(const struct fx *f, const char *cmd)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "D='%s'; %s", f->dir, cmd);

	cr_assert(n > 0 && (size_t)n < sizeof(line));
	return system(line);
}

/*
 * demo-pki.sh runs once per test program (PRE_ALL, in the runner); each test
 * gets a copy of that template with its SoftHSM2 configurations pointed at
 * the copy, so every test still has its own tokens.
 */
static char template_dir[64];

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	const char *src = getenv("PITLANE_SOURCE_DIR");
	char cmd[1024];

	(void)set;
	if (src == NULL)
		return;
	strcpy(template_dir, "/tmp/pitlane-signer-tpl-XXXXXX");
	if (mkdtemp(template_dir) == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "sh '%s/packaging/demo-pki.sh' '%s/pki' >/dev/null", src,
		 template_dir);
	if (system(cmd) == 0) {
		snprintf(cmd, sizeof(cmd), "%s/pki", template_dir);
		setenv("PITLANE_TEST_PKI_TEMPLATE", cmd, 1);
	}
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	char cmd[256];

	(void)stats;
	if (template_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", template_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", template_dir);
}

static void pki_make(struct fx *f)
{
	const char *src = getenv("PITLANE_SOURCE_DIR");
	const char *tpl = getenv("PITLANE_TEST_PKI_TEMPLATE");
	char cmd[2048];

	if (tpl != NULL) {
		snprintf(cmd, sizeof(cmd),
			 "cp -a '%s/.' '%s/' && for h in hsm-broker hsm-agent; do "
			 "sed -i \"s|^directories.tokendir = .*|directories.tokendir = %s/$h/tokens|\" "
			 "'%s'/$h/softhsm2.conf || exit 1; done", tpl, f->dir, f->dir, f->dir);
		cr_assert_eq(system(cmd), 0, "copying the demo PKI template failed");
		return;
	}
	cr_assert(src != NULL, "PITLANE_SOURCE_DIR is not set (run through ctest)");
	snprintf(cmd, sizeof(cmd), "sh '%s/packaging/demo-pki.sh' '%s' >/dev/null", src, f->dir);
	cr_assert_eq(system(cmd), 0, "demo-pki.sh failed in %s", f->dir);
}

void fx_setup(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/pitlane-signer-XXXXXX");
	cr_assert(mkdtemp(f->dir) != NULL);
	pki_make(f);
	fx_path(f, "hsm-broker/pin", f->pin, sizeof(f->pin));
	fx_path(f, "hsm-broker/softhsm2.conf", f->conf, sizeof(f->conf));
	fx_path(f, "hsm-broker/broker-signing.pub.pem", f->pubpem, sizeof(f->pubpem));
	cr_assert_eq(setenv("SOFTHSM2_CONF", f->conf, 1), 0);
}

void fx_teardown(struct fx *f)
{
	char cmd[512];

	if (f->dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

void fx_limits(struct signer_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->nops = 2;
	strcpy(l->ops[0].name, "door.unlock");
	l->ops[0].max_ttl = 300;
	strcpy(l->ops[1].name, "key.learn");
	l->ops[1].max_ttl = 120;
	l->max_exi = 120;
}

void fx_request(struct signer_request *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->vin, FX_VIN);
	strcpy(r->op, "door.unlock");
	for (unsigned i = 0; i < 16; i++)
		r->cnonce[i] = (uint8_t)(0xa0 + i);
	r->cnonce_len = 16;
	r->ttl_s = 300;
	r->exi_s = 60;
	r->iat = 1764000000;
	strcpy(r->iss, "pitlane-broker.test");
	strcpy(r->workshop, "ws-muc-01");
	strcpy(r->technician, "tech-anna");
	strcpy(r->work_order, "WO-4711");
	r->policy_version = 7;
}

void fx_anchor(const struct fx *f, uint8_t kid[8], uint8_t pub[65])
{
	struct plt_trust_anchor a;
	uint8_t *pem = NULL;
	size_t len = 0;

	cr_assert_eq(pl_read_file(f->pubpem, 4096, &pem, &len), 0);
	cr_assert_eq(plt_openssl_anchor_from_pem((const char *)pem, len, &a), 0);
	free(pem);
	memcpy(kid, a.kid, 8);
	memcpy(pub, a.pub, 65);
}

int fx_wait_ready(struct signer *s, int want, unsigned ms)
{
	struct timespec ts = { 0, 20 * 1000000L };
	int r = signer_ready(s);

	for (unsigned waited = 0; r != want && waited < ms; waited += 20) {
		nanosleep(&ts, NULL);
		r = signer_ready(s);
	}
	return r;
}

const char *fx_softhsm_module(void)
{
	static char path[512];
	glob_t g;

	if (path[0] != '\0')
		return path;
	cr_assert_eq(glob("/usr/lib/*/softhsm/libsofthsm2.so", 0, NULL, &g), 0,
		     "libsofthsm2.so not found");
	snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
	globfree(&g);
	return path;
}
