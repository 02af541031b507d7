/* broker.conf parser: REQ-BRK-100..REQ-BRK-107, REQ-BRK-212 (docs/broker.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "identity.h"
#include "pl_err.h"
#include "pl_err_server.h"

#define REQUIRED \
	"listen 127.0.0.1:8443\n" \
	"tls_cert /etc/pitlane/broker.crt\n" \
	"tls_key /etc/pitlane/broker.key\n" \
	"client_ca /etc/pitlane/dealer-ca.crt\n" \
	"key_uri pkcs11:token=pitlane-broker;object=broker-signing;type=private\n" \
	"pin_file /etc/pitlane/hsm.pin\n" \
	"policy_dir /etc/pitlane/policy\n" \
	"database /var/lib/pitlane/audit.db\n" \
	"crl /etc/pitlane/dealer-ca.crl\n"

static char err[1024];

static int parse(const char *text, struct broker_config *c)
{
	err[0] = '\0';
	return broker_config_parse("t.conf", text, c, err, sizeof(err));
}

Test(config, REQ_BRK_100_required_keys_and_defaults)
{
	struct broker_config c;

	cr_assert_eq(parse(REQUIRED, &c), 0, "%s", err);
	cr_assert_str_eq(c.listen_host, "127.0.0.1");
	cr_assert_eq(c.listen_port, 8443);
	cr_assert_eq(c.workers, 4);
	cr_assert_eq(c.max_body, 16384);
	cr_assert_eq(c.admin_enabled, 0);
	cr_assert_str_eq(c.issuer, "pitlane-broker");
	cr_assert_str_eq(c.crl, "/etc/pitlane/dealer-ca.crl");
	cr_assert_eq(c.crl_none, 0);
}

Test(config, REQ_BRK_101_unknown_key_names_file_and_line)
{
	struct broker_config c;

	cr_assert_eq(parse(REQUIRED "# comment\n\nworkerz 3\n", &c), PL_E_SRV_CONFIG_KEY);
	cr_assert_str_eq(err, "t.conf:12: unknown key 'workerz' (known keys are listed in "
			 "docs/broker.md)");
}

Test(config, REQ_BRK_102_values_are_range_checked)
{
	struct broker_config c;

	cr_assert_eq(parse(REQUIRED "workers 65\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert(strstr(err, "t.conf:10: workers must be a whole number from 1 to 64") != NULL,
		  "%s", err);
	cr_assert_eq(parse(REQUIRED "max_body 12k\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "workers -1\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "workers 64\n", &c), 0);
	cr_assert_eq(c.workers, 64);
}

Test(config, REQ_BRK_103_missing_and_duplicate_keys)
{
	struct broker_config c;

	cr_assert_eq(parse("listen 127.0.0.1:1\n", &c), PL_E_SRV_CONFIG_MISSING);
	cr_assert(strstr(err, "required key 'tls_cert'") != NULL, "%s", err);
	cr_assert_eq(parse(REQUIRED "listen 127.0.0.1:2\n", &c), PL_E_SRV_CONFIG_DUP);
	cr_assert(strstr(err, "t.conf:10: key 'listen' given twice") != NULL, "%s", err);
	cr_assert_eq(parse(REQUIRED "workers\n", &c), PL_E_SRV_CONFIG_SYNTAX);
}

Test(config, REQ_BRK_104_admin_listener_loopback_only)
{
	struct broker_config c;

	cr_assert_eq(parse(REQUIRED "admin_listen 10.0.0.1:9090\n", &c),
		     PL_E_SRV_ADMIN_NOT_LOOPBACK);
	cr_assert_eq(parse(REQUIRED "admin_listen 0.0.0.0:9090\n", &c),
		     PL_E_SRV_ADMIN_NOT_LOOPBACK);
	cr_assert_eq(parse(REQUIRED "admin_listen [::]:9090\n", &c), PL_E_SRV_ADMIN_NOT_LOOPBACK);
	cr_assert_eq(parse(REQUIRED "admin_listen [::1]:9090\n", &c), 0);
	cr_assert_eq(c.admin_enabled, 1);
	cr_assert_str_eq(c.admin_host, "::1");
	cr_assert_eq(parse(REQUIRED "admin_listen 127.0.0.1:9090\n", &c), 0);
	cr_assert_eq(c.admin_port, 9090);
}

Test(config, REQ_BRK_105_addresses_are_numeric_with_port)
{
	char host[BROKER_ADDR_MAX];
	uint16_t port = 0;

	cr_assert_eq(broker_config_parse_addr("localhost:80", host, &port), PL_E_SRV_ADDR);
	cr_assert_eq(broker_config_parse_addr("127.0.0.1", host, &port), PL_E_SRV_ADDR);
	cr_assert_eq(broker_config_parse_addr("127.0.0.1:65536", host, &port), PL_E_SRV_ADDR);
	cr_assert_eq(broker_config_parse_addr("::1:80", host, &port), PL_E_SRV_ADDR);
	cr_assert_eq(broker_config_parse_addr("[::1]80", host, &port), PL_E_SRV_ADDR);
	cr_assert_eq(broker_config_parse_addr("[2001:db8::1]:8443", host, &port), 0);
	cr_assert_str_eq(host, "2001:db8::1");
	cr_assert_eq(port, 8443);
}

Test(config, REQ_BRK_106_print_parses_back)
{
	struct broker_config c, d;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_eq(parse(REQUIRED "admin_listen [::1]:9100\n"
			   "workers 8\nissuer broker-eu-1\n", &c), 0, "%s", err);
	f = open_memstream(&text, &len);
	cr_assert_eq(broker_config_print(&c, f), 0);
	fclose(f);
	cr_assert_eq(parse(text, &d), 0, "%s\n%s", err, text);
	cr_assert_eq(memcmp(&c, &d, sizeof(c)), 0, "dump does not parse back:\n%s", text);
	free(text);
}

Test(config, REQ_BRK_107_key_uri_must_be_pkcs11)
{
	struct broker_config c;
	char text[2048];

	snprintf(text, sizeof(text), "%s", REQUIRED);
	memcpy(strstr(text, "pkcs11:"), "file11:", 7);
	cr_assert_eq(parse(text, &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert(strstr(err, "pkcs11:") != NULL);
}

Test(config, REQ_BRK_212_technician_marker_and_refusal_budget_keys)
{
	struct broker_config c;

	cr_assert_eq(parse(REQUIRED, &c), 0, "%s", err);
	cr_assert_str_eq(c.technician_eku, TECHID_EKU_DEFAULT, "a marker is always required");
	cr_assert_eq(c.refusal_audit_threshold, 50);
	cr_assert_eq(c.refusal_audit_window_s, 60);
	cr_assert_eq(parse(REQUIRED "technician_eku 1.3.6.1.4.1.99999.7\n", &c), 0, "%s", err);
	cr_assert_str_eq(c.technician_eku, "1.3.6.1.4.1.99999.7");
	/* what device certificates carry cannot be the marker; nor can a non-OID */
	cr_assert_eq(parse(REQUIRED "technician_eku 1.3.6.1.5.5.7.3.2\n", &c),
		     PL_E_SRV_CONFIG_VALUE);
	cr_assert(strstr(err, "t.conf:10: technician_eku must be a dotted OID") != NULL, "%s", err);
	cr_assert_eq(parse(REQUIRED "technician_eku 2.5.29.37.0\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "technician_eku clientAuth\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "technician_eku 1.2..3\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "technician_eku 7.1\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "refusal_audit_threshold 0\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "refusal_audit_window_s 3601\n", &c), PL_E_SRV_CONFIG_VALUE);
}

/* refusal_contact (docs/broker.md): default text, the rest of the line, bounded. */
Test(config, REQ_ABU_125_refusal_contact)
{
	struct broker_config c;
	char long_line[700];

	cr_assert_eq(parse(REQUIRED, &c), 0, "%s", err);
	cr_assert_str_eq(c.refusal_contact, "the OEM security desk");
	cr_assert_eq(parse(REQUIRED "refusal_contact OEM security desk +49 89 1234-567 (24 h)\n",
			   &c), 0, "%s", err);
	cr_assert_str_eq(c.refusal_contact, "OEM security desk +49 89 1234-567 (24 h)");
	snprintf(long_line, sizeof(long_line), REQUIRED "refusal_contact %0200d\n", 7);
	cr_assert_eq(parse(long_line, &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert(strstr(err, "refusal_contact is longer than 127 bytes") != NULL, "%s", err);
}

Test(config, REQ_BRK_230_connection_keys_defaults_and_bounds)
{
	struct broker_config c;

	cr_assert_eq(parse(REQUIRED, &c), 0, "%s", err);
	cr_assert_eq(c.max_connections, 2048);
	cr_assert_eq(c.max_connections_per_address, 64);
	cr_assert_eq(c.tls_handshake_timeout_s, 5);
	cr_assert_eq(c.request_timeout_s, 10);
	cr_assert_eq(c.connection_max_age_s, 300);
	cr_assert_eq(parse(REQUIRED "max_connections 15\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "max_connections_per_address 0\n", &c),
		     PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "tls_handshake_timeout_s 61\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "request_timeout_s 0\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "connection_max_age_s 4\n", &c), PL_E_SRV_CONFIG_VALUE);
	cr_assert_eq(parse(REQUIRED "max_connections 100000\nmax_connections_per_address 8\n"
			   "tls_handshake_timeout_s 3\nrequest_timeout_s 20\n"
			   "connection_max_age_s 3600\n", &c), 0, "%s", err);
	cr_assert_eq(c.max_connections, 100000);
	cr_assert_eq(c.max_connections_per_address, 8);
	cr_assert_eq(c.tls_handshake_timeout_s, 3);
	cr_assert_eq(c.request_timeout_s, 20);
	cr_assert_eq(c.connection_max_age_s, 3600);
}

/* REQUIRED without its crl line. */
static void without_crl(char *text, size_t cap)
{
	snprintf(text, cap, "%s", REQUIRED);
	*strstr(text, "crl ") = '\0';
}

Test(config, REQ_BRK_240_crl_missing_is_an_error_naming_crl_none)
{
	struct broker_config c;
	char text[2048];

	without_crl(text, sizeof(text));
	cr_assert_eq(parse(text, &c), PL_E_SRV_CONFIG_MISSING);
	cr_assert(strstr(err, "t.conf: required key 'crl' is missing") != NULL, "%s", err);
	cr_assert(strstr(err, "'crl none'") != NULL, "%s", err);
}

Test(config, REQ_BRK_240_crl_none_turns_revocation_off_explicitly_and_prints_back)
{
	struct broker_config c, d;
	char text[2048], *dump = NULL;
	size_t len = 0;
	FILE *f;

	without_crl(text, sizeof(text));
	strcat(text, "crl none\n");
	cr_assert_eq(parse(text, &c), 0, "%s", err);
	cr_assert_eq(c.crl_none, 1);
	cr_assert_str_eq(c.crl, "");
	f = open_memstream(&dump, &len);
	cr_assert_eq(broker_config_print(&c, f), 0);
	fclose(f);
	cr_assert(strstr(dump, "\ncrl none\n") != NULL, "%s", dump);
	cr_assert_eq(parse(dump, &d), 0, "%s\n%s", err, dump);
	cr_assert_eq(memcmp(&c, &d, sizeof(c)), 0);
	free(dump);
	without_crl(text, sizeof(text));
	strcat(text, "crl none\ncrl /etc/pitlane/dealer-ca.crl\n");
	cr_assert_eq(parse(text, &c), PL_E_SRV_CONFIG_DUP);
}
