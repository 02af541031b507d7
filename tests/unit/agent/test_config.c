/* agent.conf parser (agent/config.c): REQ-AGT-060..064 in docs/agent.md. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "pl_err.h"
#include "pl_err_agent.h"

#define PIN_A "sha256//af+l3CwhDUI072urdpHq9MVnMRKeWCWQmWvhKjytTTw="
#define PIN_B "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static const char good[] = "# comment\n"
                           "\n"
                           "broker_url https://broker.example:8443/\n"
                           "broker_ca /etc/pitlane/ca.crt\n"
                           "broker_pin " PIN_A "\n"
                           "device_cert /etc/pitlane/device.crt\n"
                           "device_key /etc/pitlane/device.key\n"
                           "technician_cert /etc/pitlane/tech.crt\n"
                           "technician_key pkcs11:token=card;object=tech;type=private\n";

static int parse(const char *text, struct agent_config *c, char *err, size_t n)
{
	return agent_config_parse("agent.conf", text, strlen(text), c, err, n);
}

/* good with one more line appended (line 10). */
static int parse_plus(const char *line, struct agent_config *c, char *err, size_t n)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s%s\n", good, line);
	return parse(buf, c, err, n);
}

Test(agent_config, REQ_AGT_060_good_file_and_defaults)
{
	struct agent_config c;
	char err[512] = "";

	cr_assert_eq(parse(good, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.broker_url, "https://broker.example:8443/");
	cr_assert_str_eq(c.technician_key, "pkcs11:token=card;object=tech;type=private");
	cr_assert_str_eq(c.can, "socketcan:can0");
	cr_assert_eq(c.tester_id, 0x7E0);
	cr_assert_eq(c.ecu_id, 0x7E8);
	cr_assert_eq(c.connect_timeout_s, 5);
	cr_assert_eq(c.broker_timeout_s, 30);
	cr_assert_eq(c.retries, 2);
	cr_assert_eq(c.ttl_s, 0);
	cr_assert_str_eq(c.pin_file, "");
}

Test(agent_config, REQ_AGT_060_values_and_hex_ids)
{
	struct agent_config c;
	char err[512] = "";

	cr_assert_eq(parse_plus("tester_id 0x18DA10F1\necu_id 2024\ncan loop:bench\n"
	                        "pin_file /run/pin  \t",
	                        &c, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(c.tester_id, 0x18DA10F1);
	cr_assert_eq(c.ecu_id, 2024);
	cr_assert_str_eq(c.can, "loop:bench");
	cr_assert_str_eq(c.pin_file, "/run/pin");
}

Test(agent_config, REQ_AGT_061_errors_name_file_and_line)
{
	struct agent_config c;
	char err[512];
	const struct {
		const char *line, *want;
	} cases[] = {
	    {"colour blue", "agent.conf:10: unknown key 'colour'"},
	    {"can loop:a\ncan loop:b", "agent.conf:11: key 'can' given twice"},
	    {"retries 6", "agent.conf:10: retries must be a whole number from 0 to 5, got '6'"},
	    {"retries -1", "agent.conf:10: retries must be a whole number from 0 to 5, got '-1'"},
	    {"ecu_id 0x20000000", "agent.conf:10: ecu_id must be a number from 0x0 to 0x1FFFFFFF (decimal or 0x-hex), got '0x20000000'"},
	    {"broker_pin_backup sha256//abc", "agent.conf:10: broker_pin_backup: "
	                                      "'sha256//abc' is not sha256//"},
	    {"connect_timeout_s", "agent.conf:10: key 'connect_timeout_s' has no value"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0x5a, sizeof(c));
		err[0] = '\0';
		cr_assert_eq(parse_plus(cases[i].line, &c, err, sizeof(err)), PL_E_AGENT_CONFIG,
		             "%s", cases[i].line);
		cr_assert(strstr(err, cases[i].want) != NULL, "'%s': got '%s'", cases[i].line, err);
		cr_assert_eq(((unsigned char *)&c)[0], 0x5a, "output written on error");
	}
}

Test(agent_config, REQ_AGT_062_missing_required_key_and_bad_url)
{
	struct agent_config c;
	char err[512] = "";
	char buf[2048];
	const char *p;

	/* drop the device_key line */
	p = strstr(good, "device_key");
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(p - good), good, strchr(p, '\n') + 1);
	cr_assert_eq(parse(buf, &c, err, sizeof(err)), PL_E_AGENT_CONFIG);
	cr_assert(strstr(err, "required key 'device_key' is missing") != NULL, "%s", err);

	snprintf(buf, sizeof(buf), "%s", good);
	memcpy(strstr(buf, "https"), "http:", 5);
	cr_assert_eq(parse(buf, &c, err, sizeof(err)), PL_E_AGENT_CONFIG);
	cr_assert(strstr(err, "agent.conf:3: broker_url:") != NULL, "%s", err);
}

Test(agent_config, REQ_AGT_062_technician_key_must_be_pkcs11)
{
	struct agent_config c;
	char err[512] = "";
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s", good);
	memcpy(strstr(buf, "pkcs11:token"), "/tmp/k.pem//", 12);
	cr_assert_eq(parse(buf, &c, err, sizeof(err)), PL_E_AGENT_CONFIG);
	cr_assert(strstr(err, "technician_key must be a pkcs11: URI") != NULL, "%s", err);
}

Test(agent_config, REQ_AGT_063_nul_byte_refused)
{
	struct agent_config c;
	char err[512] = "";
	char buf[] = "broker_url https://x\0y\n";

	cr_assert_eq(agent_config_parse("agent.conf", buf, sizeof(buf) - 1, &c, err, sizeof(err)),
	             PL_E_AGENT_CONFIG);
	cr_assert(strstr(err, "NUL byte") != NULL, "%s", err);
}

Test(agent_config, REQ_AGT_064_pins_for_curl)
{
	struct agent_config c;
	char err[512] = "", pins[300];

	cr_assert_eq(parse(good, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(agent_config_pins(&c, pins, sizeof(pins)), 0);
	cr_assert_str_eq(pins, PIN_A);
	cr_assert_eq(parse_plus("broker_pin_backup " PIN_B, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(agent_config_pins(&c, pins, sizeof(pins)), 0);
	cr_assert_str_eq(pins, PIN_A ";" PIN_B);
	cr_assert_eq(agent_config_pins(&c, pins, 20), PL_E_NOSPACE);
}
