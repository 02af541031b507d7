/* broker.conf's co-signer keys: REQ-BRK-316 (docs/broker.md, "Co-signer"). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cosign_config.h"
#include "pl_err.h"
#include "pl_err_server.h"

#define REQUIRED                                                                                   \
	"listen 127.0.0.1:8443\n"                                                                  \
	"tls_cert /etc/pitlane/broker.crt\n"                                                       \
	"tls_key /etc/pitlane/broker.key\n"                                                        \
	"client_ca /etc/pitlane/dealer-ca.crt\n"                                                   \
	"key_uri pkcs11:token=pitlane-broker;object=broker-signing;type=private\n"                 \
	"pin_file /etc/pitlane/hsm.pin\n"                                                          \
	"policy_dir /etc/pitlane/policy\n"                                                         \
	"database /var/lib/pitlane/audit.db\n"                                                     \
	"crl /etc/pitlane/dealer-ca.crl\n"
#define PIN "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define PIN2 "sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
#define KEYS "cosigner_cert /etc/pitlane/cc.crt\ncosigner_key /etc/pitlane/cc.key\n"

static char err[1024];
static struct broker_config c;

static int parse(const char *extra)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", REQUIRED, extra);
	err[0] = '\0';
	return broker_config_parse("t.conf", text, &c, err, sizeof(err));
}

Test(cosign_config, REQ_BRK_316_no_cosigner_nothing_cosigned)
{
	cr_assert_eq(parse(""), 0, "%s", err);
	cr_assert_eq(c.cosigner_timeout_ms, 2000);
	cr_assert_str_eq(c.cosigned_operations, "ignition.enable key.learn");
	cr_assert_eq(cosign_config_op(&c, "ignition.enable"), 0);
}

Test(cosign_config, REQ_BRK_316_operations_matched_whole)
{
	cr_assert_eq(parse("cosigner_url https://cosigner.example:8444\ncosigner_pin " PIN "\n" KEYS
	                   "cosigned_operations ignition.enable  key.learn\n"),
	             0, "%s", err);
	cr_assert_eq(cosign_config_op(&c, "ignition.enable"), 1);
	cr_assert_eq(cosign_config_op(&c, "key.learn"), 1);
	cr_assert_eq(cosign_config_op(&c, "ignition"), 0);
	cr_assert_eq(cosign_config_op(&c, "key.learn.x"), 0);
	cr_assert_eq(cosign_config_op(&c, "door.unlock"), 0);
}

Test(cosign_config, REQ_BRK_316_endpoint_and_address)
{
	char url[BROKER_URI_MAX + 16], host[256];
	unsigned port = 0;

	cr_assert_eq(
	    parse("cosigner_url https://cosigner.example:8444\ncosigner_pin " PIN "\n" KEYS), 0,
	    "%s", err);
	cosign_config_endpoint(&c, url, sizeof(url));
	cr_assert_str_eq(url, "https://cosigner.example:8444/v1/cosign");
	cr_assert_eq(cosign_config_host_port(&c, host, sizeof(host), &port), 0);
	cr_assert_str_eq(host, "cosigner.example");
	cr_assert_eq(port, 8444);
	cr_assert_eq(parse("cosigner_url https://[::1]:9/\ncosigner_pin " PIN "\n" KEYS), 0, "%s",
	             err);
	cosign_config_endpoint(&c, url, sizeof(url));
	cr_assert_str_eq(url, "https://[::1]:9/v1/cosign");
	cr_assert_eq(cosign_config_host_port(&c, host, sizeof(host), &port), 0);
	cr_assert_str_eq(host, "::1");
	cr_assert_eq(parse("cosigner_url https://10.0.0.1:443/v1/cosign\ncosigner_pin " PIN ";" PIN2
	                   "\n" KEYS),
	             0, "%s", err);
	cosign_config_endpoint(&c, url, sizeof(url));
	cr_assert_str_eq(url, "https://10.0.0.1:443/v1/cosign");
}

Test(cosign_config, REQ_BRK_316_bad_values_name_the_line)
{
	static const char *const bad[] = {
	    "cosigner_url https://h:0\n",
	    "cosigner_url https://h:65536\n",
	    "cosigner_url https://h\n",
	    "cosigner_url https://h:1/other\n",
	    "cosigner_url https://h:1?x=1\n",
	    "cosigner_url https://h_h:1\n",
	    "cosigner_url ftp://h:1\n",
	    "cosigner_pin sha256//AAAA\n",
	    "cosigner_pin " PIN ";\n",
	    "cosigner_pin sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	    "cosigner_timeout_ms 99\n",
	    "cosigner_timeout_ms 10001\n",
	    "cosigned_operations ignition.enable Door\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i]), PL_E_SRV_CONFIG_VALUE, "accepted: %s", bad[i]);
		cr_assert(strstr(err, "t.conf:10:") != NULL, "%s: %s", bad[i], err);
	}
}

Test(cosign_config, REQ_BRK_316_all_or_nothing)
{
	cr_assert_eq(parse("cosigner_url https://h:1\n"), PL_E_SRV_CONFIG_MISSING);
	cr_assert(strstr(err, "cosigner_pin is missing") != NULL, "%s", err);
	cr_assert_eq(parse("cosigner_url https://h:1\ncosigner_pin " PIN "\n"),
	             PL_E_SRV_CONFIG_MISSING);
	cr_assert(strstr(err, "cosigner_cert is missing") != NULL, "%s", err);
	cr_assert_eq(parse(KEYS), PL_E_SRV_CONFIG_MISSING);
	cr_assert(strstr(err, "without cosigner_url") != NULL, "%s", err);
}
