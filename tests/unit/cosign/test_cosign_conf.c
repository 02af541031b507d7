/* cosignd.conf: keys, defaults, each mistake with file:line, the pin and the key URI. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosign_conf.h"
#include "pl_err.h"
#include "pl_err_cosign.h"

#define PIN_A "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define PIN_B "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static const char base[] = "listen 127.0.0.1:8443\n"
                           "tls_cert /etc/pitlane/cosign/tls.crt\n"
                           "tls_key /etc/pitlane/cosign/tls.key\n"
                           "client_ca /etc/pitlane/cosign/service-ca.crt\n"
                           "broker_pin " PIN_A "\n"
                           "token_label pitlane-cosigner\n"
                           "key_label cosigner-signing\n"
                           "pin_file /etc/pitlane/cosign/pin\n"
                           "dealer_ca /etc/pitlane/cosign/dealer-ca.crt\n"
                           "crl /etc/pitlane/cosign/dealer-ca.crl\n"
                           "limits /etc/pitlane/cosign/limits.conf\n"
                           "audit_db /var/lib/pitlane-cosign/cosign.db\n"
                           "broker_token_key /etc/pitlane/cosign/broker-signing.pub.pem\n";

static int parse_with(const char *extra, struct cosign_conf *c, char *err, size_t errlen)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", base, extra);
	return cosign_conf_parse("cosignd.conf", text, c, err, errlen);
}

Test(cosign_conf, REQ_COS_001_parses_required_keys_and_defaults)
{
	struct cosign_conf c;
	char err[512] = "";

	cr_assert_eq(parse_with("", &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.listen_host, "127.0.0.1");
	cr_assert_eq(c.listen_port, 8443);
	cr_assert_eq(c.admin_enabled, 0);
	cr_assert_eq(c.broker_pins, 1);
	cr_assert_eq(c.broker_pin[0][0], 0xe3); /* 47DE... = e3 b0 c4 ... (SHA-256 of "") */
	cr_assert_eq(c.max_connections, 64);
	cr_assert_eq(c.request_window_s, 120);
	cr_assert_eq(c.approval_max_age_s, 3600);
	cr_assert_str_eq(c.crl, "/etc/pitlane/cosign/dealer-ca.crl");
	cr_assert_str_eq(c.officer_ca, "");
}

Test(cosign_conf, REQ_COS_002_each_mistake_has_its_code_and_line)
{
	struct cosign_conf c;
	char err[512];

	cr_assert_eq(parse_with("colour blue\n", &c, err, sizeof(err)), PL_E_COS_CONFIG_KEY);
	cr_assert_str_eq(err, "cosignd.conf:14: unknown key 'colour' (known keys are listed in "
	                      "docs/cosigner.md)");
	cr_assert_eq(parse_with("limits /x\n", &c, err, sizeof(err)), PL_E_COS_CONFIG_DUP);
	cr_assert(strstr(err, "cosignd.conf:14: key 'limits' given twice") != NULL, "%s", err);
	cr_assert_eq(parse_with("timeout_s 0\n", &c, err, sizeof(err)), PL_E_COS_CONFIG_VALUE);
	cr_assert(strstr(err, "cosignd.conf:14: timeout_s must be a whole number") != NULL, "%s",
	          err);
	cr_assert_eq(parse_with("admin_listen 10.0.0.1:9000\n", &c, err, sizeof(err)),
	             PL_E_COS_CONFIG_VALUE);
	cr_assert(strstr(err, "loopback") != NULL, "%s", err);
	cr_assert_eq(parse_with("technician_eku 1.3.6.1.5.5.7.3.2\n", &c, err, sizeof(err)),
	             PL_E_COS_CONFIG_VALUE);
	cr_assert_eq(cosign_conf_parse("x.conf", "listen 127.0.0.1:1\n", &c, err, sizeof(err)),
	             PL_E_COS_CONFIG_MISSING);
	cr_assert(strstr(err, "x.conf: required key 'tls_cert' is missing") != NULL, "%s", err);
}

Test(cosign_conf, REQ_COS_003_broker_pin_is_curls_sha256_form)
{
	struct cosign_conf c;
	char err[512];
	char text[4096];

	cr_assert_eq(parse_with("", &c, err, sizeof(err)), 0);
	/* Two pins (rotation), then the malformed forms. */
	snprintf(text, sizeof(text), "%s", base);
	{
		char *p = strstr(text, PIN_A);

		memcpy(p, PIN_A ";" PIN_B "\n", sizeof(PIN_A ";" PIN_B "\n"));
		strcat(p, strstr(base, "token_label")); /* lint: allow strcat (test) */
	}
	cr_assert_eq(cosign_conf_parse("c", text, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.broker_pins, 2);
	cr_assert_eq(c.broker_pin[1][0], 0);
	{
		uint8_t pins[COSIGN_PINS_MAX][32];
		uint32_t n = 99;

		cr_assert_eq(cosign_conf_parse_pins(
		                 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", pins, &n),
		             PL_E_COS_PIN_FORMAT);
		cr_assert_eq(cosign_conf_parse_pins("sha256//47DEQpj8", pins, &n),
		             PL_E_COS_PIN_FORMAT);
		cr_assert_eq(cosign_conf_parse_pins(PIN_A ";", pins, &n), PL_E_COS_PIN_FORMAT);
		cr_assert_eq(
		    cosign_conf_parse_pins(PIN_A ";" PIN_A ";" PIN_A ";" PIN_A ";" PIN_A, pins, &n),
		    PL_E_COS_PIN_FORMAT);
		cr_assert_eq(n, 99);
	}
	cr_assert_eq(parse_with("", &c, err, sizeof(err)), 0);
}

Test(cosign_conf, REQ_COS_004_crl_required_or_none)
{
	struct cosign_conf c;
	char err[512];
	char text[4096];
	char *p;

	snprintf(text, sizeof(text), "%s", base);
	p = strstr(text, "crl ");
	memcpy(p, "crl none\n", 9);
	memmove(p + 9, strstr(base, "limits"), strlen(strstr(base, "limits")) + 1);
	cr_assert_eq(cosign_conf_parse("c", text, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.crl_none, 1);
	p = strstr(text, "crl none\n");
	memmove(p, p + 9, strlen(p + 9) + 1);
	cr_assert_eq(cosign_conf_parse("c", text, &c, err, sizeof(err)), PL_E_COS_CONFIG_MISSING);
	cr_assert(strstr(err, "crl none") != NULL, "%s", err);
}

Test(cosign_conf, REQ_COS_005_print_parses_back_and_key_uri)
{
	struct cosign_conf c, d;
	char err[512], uri[1024];
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_eq(parse_with("admin_listen [::1]:9100\nuser pl-cosign\n"
	                        "pkcs11_module /usr/lib/softhsm/libsofthsm2.so\n",
	                        &c, err, sizeof(err)),
	             0, "%s", err);
	f = open_memstream(&text, &len);
	cr_assert_eq(cosign_conf_print(&c, f), 0);
	fclose(f);
	cr_assert_eq(cosign_conf_parse("printed", text, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(&c, &d, sizeof(c)), 0);
	free(text);
	cr_assert_eq(cosign_conf_key_uri(&c, uri, sizeof(uri)), 0);
	cr_assert_str_eq(uri, "pkcs11:token=pitlane-cosigner;object=cosigner-signing;"
	                      "type=private?module-path=%2Fusr%2Flib%2Fsofthsm%2Flibsofthsm2.so");
	cr_assert_eq(cosign_conf_key_uri(&c, uri, 20), PL_E_TOOBIG);
}
