/*
 * `pitlanectl key export` and `pitlanectl pki init`, called in-process
 * (ctl_key_main / ctl_pki_main) against a real SoftHSM2 token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fixture.h"
#include "pitlane/token.h"
#include "pitlane/token_openssl.h"
#include "pl_file.h"
#include "signer.h"

static struct fx fx;

static void setup(void)
{
	fx_setup(&fx);
}

static void teardown(void)
{
	fx_teardown(&fx);
}

TestSuite(ctl_key, .init = setup, .fini = teardown, .timeout = 60);

static int run_keyv(const char **v)
{
	int argc = 0;

	while (v[argc] != NULL)
		argc++;
	return ctl_key_main(argc, (char **)v);
}

#define run_key(...) run_keyv((const char *[]){ "key", __VA_ARGS__, NULL })

static void read_all(const char *path, uint8_t **buf, size_t *len)
{
	cr_assert_eq(pl_read_file(path, 65536, buf, len), 0, "cannot read %s", path);
}

Test(ctl_key, REQ_HSM_030_export_pem_equals_the_token_key)
{
	char out[320];
	uint8_t *pem = NULL, kid[8], pub[65];
	size_t len = 0;
	struct plt_trust_anchor a;

	fx_path(&fx, "export.pem", out, sizeof(out));
	cr_assert_eq(run_key("export", "--key-uri", FX_URI, "--pin-file", fx.pin, "-o", out),
		     0);
	read_all(out, &pem, &len);
	cr_assert_eq(plt_openssl_anchor_from_pem((const char *)pem, len, &a), 0);
	fx_anchor(&fx, kid, pub);
	cr_assert_arr_eq(a.pub, pub, 65);
	cr_assert_arr_eq(a.kid, kid, 8);
	cr_assert_not_null(strstr((const char *)pem, "kid "));
	free(pem);
}

Test(ctl_key, REQ_HSM_031_export_cose_key_has_kid_and_point)
{
	char out[320];
	uint8_t *cbor = NULL, kid[8], pub[65];
	size_t len = 0, n;
	struct plt_cbor_reader r;
	struct plt_bytes b;
	int64_t k, v;

	fx_path(&fx, "export.cose", out, sizeof(out));
	cr_assert_eq(run_key("export", "--key-uri", FX_URI, "--pin-file", fx.pin, "--format",
			     "cose", "-o", out), 0);
	read_all(out, &cbor, &len);
	fx_anchor(&fx, kid, pub);
	plt_cbor_reader_init(&r, cbor, len);
	cr_assert_eq(plt_cbor_get_map(&r, &n), 0);
	cr_assert_eq(n, 6);
	cr_assert_eq(plt_cbor_get_int(&r, &k), 0);
	cr_assert_eq(k, 1);
	cr_assert_eq(plt_cbor_get_int(&r, &v), 0);
	cr_assert_eq(v, 2); /* EC2 */
	cr_assert_eq(plt_cbor_get_int(&r, &k), 0);
	cr_assert_eq(k, 2);
	cr_assert_eq(plt_cbor_get_bstr(&r, &b), 0);
	cr_assert_eq(b.len, 8);
	cr_assert_arr_eq(b.ptr, kid, 8);
	cr_assert_eq(plt_cbor_get_int(&r, &k), 0);
	cr_assert_eq(k, 3);
	cr_assert_eq(plt_cbor_get_int(&r, &v), 0);
	cr_assert_eq(v, -7); /* ES256 */
	cr_assert_eq(plt_cbor_get_int(&r, &k), 0);
	cr_assert_eq(k, -1);
	cr_assert_eq(plt_cbor_get_int(&r, &v), 0);
	cr_assert_eq(v, 1); /* P-256 */
	cr_assert_eq(plt_cbor_get_int(&r, &k), 0);
	cr_assert_eq(k, -2);
	cr_assert_eq(plt_cbor_get_bstr(&r, &b), 0);
	cr_assert_arr_eq(b.ptr, pub + 1, 32);
	cr_assert_eq(plt_cbor_get_int(&r, &k), 0);
	cr_assert_eq(k, -3);
	cr_assert_eq(plt_cbor_get_bstr(&r, &b), 0);
	cr_assert_arr_eq(b.ptr, pub + 33, 32);
	cr_assert_eq(plt_cbor_end(&r), 0);
	free(cbor);
}

Test(ctl_key, REQ_HSM_032_export_reads_key_uri_and_pin_file_from_broker_conf)
{
	char conf[320], out[320], text[2048];
	uint8_t *pem = NULL, kid[8], pub[65];
	size_t len = 0;
	struct plt_trust_anchor a;
	FILE *f;

	fx_path(&fx, "broker.conf", conf, sizeof(conf));
	fx_path(&fx, "export.pem", out, sizeof(out));
	snprintf(text, sizeof(text),
		 "listen 127.0.0.1:8443\n"
		 "tls_cert %s/broker/broker.crt\n"
		 "tls_key %s/broker/broker.key\n"
		 "client_ca %s/ca/ca.crt\n"
		 "key_uri %s\n"
		 "pin_file %s\n"
		 "policy_dir %s\n"
		 "database %s/audit.db\n"
		 "crl none\n",
		 fx.dir, fx.dir, fx.dir, FX_URI, fx.pin, fx.dir, fx.dir);
	cr_assert_not_null(f = fopen(conf, "w"));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(run_key("export", "-f", conf, "-o", out), 0);
	read_all(out, &pem, &len);
	cr_assert_eq(plt_openssl_anchor_from_pem((const char *)pem, len, &a), 0);
	fx_anchor(&fx, kid, pub);
	cr_assert_arr_eq(a.pub, pub, 65);
	free(pem);
}

Test(ctl_key, REQ_HSM_033_export_usage_and_hsm_errors)
{
	char out[320];

	fx_path(&fx, "x.pem", out, sizeof(out));
	cr_assert_eq(run_keyv((const char *[]){ "key", NULL }), 2);
	cr_assert_eq(run_key("export"), 2);
	cr_assert_eq(run_key("export", "--key-uri", FX_URI), 2);
	cr_assert_eq(run_key("export", "--key-uri", FX_URI, "--pin-file", fx.pin, "--format",
			     "der"), 2);
	cr_assert_eq(run_key("export", "--key-uri",
			     "pkcs11:token=pitlane-broker;object=nope", "--pin-file", fx.pin,
			     "-o", out), 1);
	cr_assert_eq(access(out, F_OK), -1, "no output file on failure");
	cr_assert_eq(chmod(fx.pin, 0644), 0);
	cr_assert_eq(run_key("export", "--key-uri", FX_URI, "--pin-file", fx.pin), 1);
}

Test(ctl_key, REQ_HSM_034_pki_init_builds_the_demo_pki)
{
	char dir[320], probe[400], cmd[800];
	const char *src = getenv("PITLANE_SOURCE_DIR");
	const char *v[] = { "pki", "init", dir, NULL };
	const char *bad[] = { "pki", "create", dir, NULL };

	snprintf(cmd, sizeof(cmd), "%s/packaging/demo-pki.sh", src);
	cr_assert_eq(setenv("PITLANE_DEMO_PKI", cmd, 1), 0);
	fx_path(&fx, "pki2", dir, sizeof(dir));
	cr_assert_eq(ctl_pki_main(3, (char **)bad), 2);
	cr_assert_eq(ctl_pki_main(3, (char **)v), 0);
	snprintf(probe, sizeof(probe), "%s/hsm-broker/broker-signing.pub.pem", dir);
	cr_assert_eq(access(probe, R_OK), 0);
	snprintf(probe, sizeof(probe), "%s/README", dir);
	cr_assert_eq(access(probe, R_OK), 0);
	/* a complete PKI is left alone; a non-empty foreign directory is refused */
	cr_assert_eq(ctl_pki_main(3, (char **)v), 0);
	fx_path(&fx, "ca", dir, sizeof(dir));
	cr_assert_eq(ctl_pki_main(3, (char **)v), 1);
}
