/*
 * policy_decide(): default deny, each deny reason with the rule that names
 * it, identity binding, VIN prefixes, roles, opening hours in a workshop's
 * own time zone across DST changes, TTL clamping, approvals.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pl_err.h"
#include "policy.h"
#include "policy_int.h"

static const char fixture[] =
	"version: 42\n"
	"operations:\n"
	"  door.unlock: { routine: 0xF001, risk: medium, max_ttl: 300, default_ttl: 120, exi: 60 }\n"
	"  ignition.enable: { routine: 0xF003, risk: high, max_ttl: 300, exi: 30 }\n"
	"  key.learn: { routine: 0xF004, risk: critical, max_ttl: 600, default_ttl: 300, exi: 120 }\n"
	"roles:\n"
	"  tech: { operations: [door.unlock] }\n"
	"  master: { operations: [door.unlock, ignition.enable, key.learn] }\n"
	"  approver: { operations: [] }\n"
	"workshops:\n"
	"  ws-muc-01:\n"
	"    roles: [tech, master]\n"
	"    vin_prefixes: [WVW, WAUZZZ8V]\n"
	"    opening_hours: { time_zone: Europe/Berlin, mon: \"07:00-19:00\", sat: [\"08:00-10:00\", \"11:00-13:00\"] }\n"
	"  ws-nyc-01:\n"
	"    certificate: { ou: \"Workshop NYC 1\", device_cns: [nyc-pc1] }\n"
	"    roles: [master]\n"
	"    vin_prefixes: [1VW]\n"
	"    opening_hours: { time_zone: America/New_York, sun: \"00:00-24:00\", mon: \"08:00-17:00\" }\n"
	"  ws-nohours:\n"
	"    roles: [master]\n"
	"    vin_prefixes: [WVW]\n"
	"  ws-closed:\n"
	"    roles: [master]\n"
	"    vin_prefixes: [WVW]\n"
	"    suspended: true\n"
	"technicians:\n"
	"  anna: { certificate: { cn: tech-anna }, workshop: ws-muc-01, roles: [tech] }\n"
	"  ben: { certificate: { cn: tech-ben }, workshop: ws-muc-01, roles: [tech, master] }\n"
	"  dora: { workshop: ws-muc-01, roles: [master], suspended: true }\n"
	"  nick: { workshop: ws-nyc-01, roles: [master] }\n"
	"  tia: { workshop: ws-nyc-01, roles: [tech] }\n"
	"  nora: { workshop: ws-nohours, roles: [master] }\n"
	"  cleo: { workshop: ws-closed, roles: [master] }\n"
	"  olga: { workshop: ws-muc-01, roles: [approver] }\n"
	"approvals:\n"
	"  - { name: key-learning, operations: [key.learn], approver_roles: [approver], expires: 900 }\n"
	"decoy_vins: [WVWZZZ1JZ3W386752, WVWZZZ1JZ1W000009, WVWZZZ1JZ9W000001, WVWZZZ1JZ5W000005]\n";

#define VIN "WVWZZZ1JZXW000001"

static struct policy *pol;

static void setup(void)
{
	struct policy_diag d;
	int r = policy_load_buffer("fixture.yaml", fixture, sizeof(fixture) - 1, NULL, &pol, &d);

	cr_assert_eq(r, 0, "%s:%u:%u: %s", d.file, d.line, d.col, d.msg);
}

static void teardown(void)
{
	policy_unref(pol);
}

/* 2025-03-11 (a Tuesday) ... times are given as UTC strings. */
static int64_t at(const char *s)
{
	int64_t t = 0;

	cr_assert_eq(pol_parse_time(s, &t), 0, "%s", s);
	return t;
}

static struct policy_decision decide(const char *dev_cn, const char *dev_ou, const char *tech_cn,
				     const char *tech_ou, const char *vin, const char *op,
				     const char *when, uint32_t ttl)
{
	struct policy_request q = {
		.device_cn = dev_cn, .device_workshop = dev_ou,
		.technician_cn = tech_cn, .technician_workshop = tech_ou,
		.vin = vin, .op = op, .now = at(when), .client_addr = "127.0.0.1",
		.requested_ttl = ttl,
	};
	struct policy_decision d;

	cr_assert_eq(policy_decide(pol, &q, &d), 0);
	cr_assert_eq(d.policy_version, 42);
	return d;
}

static struct policy_decision muc(const char *tech, const char *vin, const char *op,
				  const char *when, uint32_t ttl)
{
	return decide("ws-muc-01-pc1", "ws-muc-01", tech, "ws-muc-01", vin, op, when, ttl);
}

#define DENIED(d, r)                                                                  \
	do {                                                                          \
		cr_assert_eq((d).allow, 0, "allowed: %s", (d).reason);                \
		cr_assert_eq((d).need_approval, 0);                                   \
		cr_assert_str_eq((d).rule, (r), "reason: %s", (d).reason);            \
		cr_assert_neq((d).reason[0], '\0');                                   \
	} while (0)

TestSuite(policy_decide, .init = setup, .fini = teardown);

Test(policy_decide, REQ_POL_001_allows_with_role_and_names_it)
{
	struct policy_decision d = muc("tech-anna", VIN, "door.unlock", "2025-03-11T09:00:00Z", 0);

	cr_assert_eq(d.allow, 1, "%s %s", d.rule, d.reason);
	cr_assert_eq(d.need_approval, 0);
	cr_assert_str_eq(d.rule, "roles.tech");
	cr_assert_str_eq(d.workshop_id, "ws-muc-01");
	cr_assert_str_eq(d.technician_id, "anna");
	cr_assert_eq(d.routine_id, 0xF001);
	cr_assert_eq(d.risk, POLICY_RISK_MEDIUM);
	cr_assert_eq(d.ttl_s, 120); /* default_ttl */
	cr_assert_eq(d.exi_s, 60);
}

Test(policy_decide, REQ_POL_002_ttl_is_clamped_to_max)
{
	cr_assert_eq(muc("tech-anna", VIN, "door.unlock", "2025-03-11T09:00:00Z", 299).ttl_s, 299);
	cr_assert_eq(muc("tech-anna", VIN, "door.unlock", "2025-03-11T09:00:00Z", 300).ttl_s, 300);
	cr_assert_eq(muc("tech-anna", VIN, "door.unlock", "2025-03-11T09:00:00Z", 301).ttl_s, 300);
	cr_assert_eq(muc("tech-anna", VIN, "door.unlock", "2025-03-11T09:00:00Z", UINT32_MAX).ttl_s,
		     300);
	/* default_ttl left out = max_ttl */
	cr_assert_eq(muc("tech-ben", VIN, "ignition.enable", "2025-03-17T09:00:00Z", 0).ttl_s, 300);
}

Test(policy_decide, REQ_POL_003_vin_prefix_of_workshop)
{
	DENIED(muc("tech-anna", "WBAPH5C55BA123456", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "workshops.ws-muc-01.vin_prefixes");
	cr_assert_eq(muc("tech-anna", "WAUZZZ8V5KA000001", "door.unlock", "2025-03-11T09:00:00Z", 0)
			     .allow,
		     1);
	DENIED(muc("tech-anna", "WAUZZZ8K5KA000001", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "workshops.ws-muc-01.vin_prefixes");
}

Test(policy_decide, REQ_POL_004_malformed_vin)
{
	DENIED(muc("tech-anna", "WVWZZZ1JZXW00000", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "request.vin");
	DENIED(muc("tech-anna", "WVWZZZ1JZXW00000O", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "request.vin");
	DENIED(muc("tech-anna", "wvwzzz1jzxw000001", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "request.vin");
	DENIED(muc("tech-anna", NULL, "door.unlock", "2025-03-11T09:00:00Z", 0), "request.vin");
}

Test(policy_decide, REQ_POL_005_unknown_operation)
{
	struct policy_decision d = muc("tech-ben", VIN, "trunk.open", "2025-03-11T09:00:00Z", 0);

	DENIED(d, "operations");
	cr_assert_eq(d.risk, -1);
	cr_assert_eq(d.routine_id, 0);
	DENIED(muc("tech-ben", VIN, "", "2025-03-11T09:00:00Z", 0), "request.op");
}

Test(policy_decide, REQ_POL_006_operation_needs_a_role)
{
	DENIED(muc("tech-anna", VIN, "ignition.enable", "2025-03-17T09:00:00Z", 0),
	       "technicians.anna.roles");
	/* olga's approver role allows no vehicle operation */
	DENIED(muc("olga", VIN, "door.unlock", "2025-03-17T09:00:00Z", 0), "technicians.olga.roles");
}

Test(policy_decide, REQ_POL_007_role_must_be_held_by_the_workshop_too)
{
	/* nick holds master, which ws-nyc-01 holds too */
	struct policy_decision d = decide("nyc-pc1", "Workshop NYC 1", "nick", "Workshop NYC 1",
					  "1VWZZZ1JZXW000001", "door.unlock",
					  "2025-03-11T15:00:00Z", 0);

	cr_assert_eq(d.allow, 1, "%s %s", d.rule, d.reason);
	cr_assert_str_eq(d.rule, "roles.master");
	/* tia holds only "tech", which ws-nyc-01 does not hold */
	d = decide("nyc-pc1", "Workshop NYC 1", "tia", "Workshop NYC 1", "1VWZZZ1JZXW000001",
		   "door.unlock", "2025-03-11T15:00:00Z", 0);
	DENIED(d, "technicians.tia.roles");
}

Test(policy_decide, REQ_POL_008_suspended_technician)
{
	DENIED(muc("dora", VIN, "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "technicians.dora.suspended");
}

Test(policy_decide, REQ_POL_009_suspended_workshop)
{
	DENIED(decide("pc", "ws-closed", "cleo", "ws-closed", VIN, "door.unlock",
		      "2025-03-11T09:00:00Z", 0),
	       "workshops.ws-closed.suspended");
}

Test(policy_decide, REQ_POL_010_technician_of_other_workshop)
{
	/* nick (ws-nyc-01) at a ws-muc-01 device, with his own certificate OU */
	DENIED(decide("ws-muc-01-pc1", "ws-muc-01", "nick", "Workshop NYC 1", VIN, "door.unlock",
		      "2025-03-11T09:00:00Z", 0),
	       "technicians.nick.workshop");
	/* anna's certificate OU says another workshop */
	DENIED(decide("ws-muc-01-pc1", "ws-muc-01", "tech-anna", "ws-ber-02", VIN, "door.unlock",
		      "2025-03-11T09:00:00Z", 0),
	       "technicians.anna.workshop");
}

Test(policy_decide, REQ_POL_011_unknown_identities)
{
	DENIED(decide("pc", "ws-ham-09", "tech-anna", "ws-muc-01", VIN, "door.unlock",
		      "2025-03-11T09:00:00Z", 0),
	       "workshops");
	DENIED(muc("tech-zed", VIN, "door.unlock", "2025-03-11T09:00:00Z", 0), "technicians");
	/* the technician id is not the CN: anna's CN is tech-anna */
	DENIED(muc("anna", VIN, "door.unlock", "2025-03-11T09:00:00Z", 0), "technicians");
	DENIED(decide("nyc-pc2", "Workshop NYC 1", "nick", "Workshop NYC 1", "1VWZZZ1JZXW000001",
		      "door.unlock", "2025-03-11T15:00:00Z", 0),
	       "workshops.ws-nyc-01.certificate.device_cns");
	DENIED(decide("", "ws-muc-01", "tech-anna", "ws-muc-01", VIN, "door.unlock",
		      "2025-03-11T09:00:00Z", 0),
	       "request.device");
	DENIED(decide("pc", "ws-muc-01", "tech-anna", NULL, VIN, "door.unlock",
		      "2025-03-11T09:00:00Z", 0),
	       "request.technician");
}

Test(policy_decide, REQ_POL_012_decoy_vin)
{
	DENIED(muc("tech-anna", "WVWZZZ1JZ3W386752", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "decoy_vins");
	DENIED(muc("tech-anna", "WVWZZZ1JZ1W000009", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "decoy_vins");
	DENIED(muc("tech-anna", "WVWZZZ1JZ9W000001", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "decoy_vins");
	DENIED(muc("tech-anna", "WVWZZZ1JZ5W000005", "door.unlock", "2025-03-11T09:00:00Z", 0),
	       "decoy_vins");
	cr_assert_eq(muc("tech-anna", "WVWZZZ1JZ5W000006", "door.unlock", "2025-03-11T09:00:00Z", 0)
			     .allow,
		     1);
}

Test(policy_decide, REQ_POL_013_opening_hours_for_high_risk)
{
	/* Monday 2025-03-17, Berlin is UTC+1: 07:00 local = 06:00Z */
	DENIED(muc("tech-ben", VIN, "ignition.enable", "2025-03-17T05:59:59Z", 0),
	       "workshops.ws-muc-01.opening_hours");
	cr_assert_eq(muc("tech-ben", VIN, "ignition.enable", "2025-03-17T06:00:00Z", 0).allow, 1);
	cr_assert_eq(muc("tech-ben", VIN, "ignition.enable", "2025-03-17T17:59:59Z", 0).allow, 1);
	DENIED(muc("tech-ben", VIN, "ignition.enable", "2025-03-17T18:00:00Z", 0),
	       "workshops.ws-muc-01.opening_hours");
	/* Tuesday: no hours at all */
	DENIED(muc("tech-ben", VIN, "ignition.enable", "2025-03-18T10:00:00Z", 0),
	       "workshops.ws-muc-01.opening_hours");
	/* Saturday: two ranges with a gap 10:00-11:00 local */
	cr_assert_eq(muc("tech-ben", VIN, "ignition.enable", "2025-03-22T08:30:00Z", 0).allow, 1);
	DENIED(muc("tech-ben", VIN, "ignition.enable", "2025-03-22T09:30:00Z", 0),
	       "workshops.ws-muc-01.opening_hours");
	cr_assert_eq(muc("tech-ben", VIN, "ignition.enable", "2025-03-22T10:30:00Z", 0).allow, 1);
	/* medium risk ignores hours */
	cr_assert_eq(muc("tech-ben", VIN, "door.unlock", "2025-03-18T02:00:00Z", 0).allow, 1);
	/* no opening_hours at all: high risk never allowed (default deny) */
	DENIED(decide("pc", "ws-nohours", "nora", "ws-nohours", VIN, "ignition.enable",
		      "2025-03-17T10:00:00Z", 0),
	       "workshops.ws-nohours.opening_hours");
}

Test(policy_decide, REQ_POL_014_opening_hours_follow_dst_berlin)
{
	/* Monday 2025-03-31 after the switch to CEST (UTC+2): 07:00 local = 05:00Z */
	DENIED(muc("tech-ben", VIN, "ignition.enable", "2025-03-31T04:59:59Z", 0),
	       "workshops.ws-muc-01.opening_hours");
	cr_assert_eq(muc("tech-ben", VIN, "ignition.enable", "2025-03-31T05:00:00Z", 0).allow, 1);
	DENIED(muc("tech-ben", VIN, "ignition.enable", "2025-03-31T17:00:00Z", 0),
	       "workshops.ws-muc-01.opening_hours");
	/* Monday 2025-10-27, the day after the switch back to CET */
	DENIED(muc("tech-ben", VIN, "ignition.enable", "2025-10-27T05:30:00Z", 0),
	       "workshops.ws-muc-01.opening_hours");
	cr_assert_eq(muc("tech-ben", VIN, "ignition.enable", "2025-10-27T06:00:00Z", 0).allow, 1);
}

Test(policy_decide, REQ_POL_014_opening_hours_follow_dst_new_york)
{
	/* Sunday 2025-03-09: US DST starts at 02:00 EST (07:00Z); Sunday is open all day */
	struct policy_decision d;

	/* Sunday 23:59 EDT = Monday 03:59Z: still Sunday locally → open */
	d = decide("nyc-pc1", "Workshop NYC 1", "nick", "Workshop NYC 1", "1VWZZZ1JZXW000001",
		   "ignition.enable", "2025-03-10T03:59:00Z", 0);
	cr_assert_eq(d.allow, 1, "%s", d.reason);
	/* Monday 00:30 EDT = 04:30Z: Monday, before 08:00 → closed */
	d = decide("nyc-pc1", "Workshop NYC 1", "nick", "Workshop NYC 1", "1VWZZZ1JZXW000001",
		   "ignition.enable", "2025-03-10T04:30:00Z", 0);
	DENIED(d, "workshops.ws-nyc-01.opening_hours");
	/* A week earlier (EST, UTC-5): Sunday 23:59 EST = Monday 04:59Z → still open */
	d = decide("nyc-pc1", "Workshop NYC 1", "nick", "Workshop NYC 1", "1VWZZZ1JZXW000001",
		   "ignition.enable", "2025-03-03T04:59:00Z", 0);
	cr_assert_eq(d.allow, 1, "%s", d.reason);
	/* Monday 08:00 EDT = 12:00Z open; 11:59Z closed */
	d = decide("nyc-pc1", "Workshop NYC 1", "nick", "Workshop NYC 1", "1VWZZZ1JZXW000001",
		   "ignition.enable", "2025-03-10T11:59:59Z", 0);
	DENIED(d, "workshops.ws-nyc-01.opening_hours");
	d = decide("nyc-pc1", "Workshop NYC 1", "nick", "Workshop NYC 1", "1VWZZZ1JZXW000001",
		   "ignition.enable", "2025-03-10T12:00:00Z", 0);
	cr_assert_eq(d.allow, 1, "%s", d.reason);
}

Test(policy_decide, REQ_POL_015_approvals_mark_need_approval)
{
	struct policy_decision d = muc("tech-ben", VIN, "key.learn", "2025-03-17T09:00:00Z", 0);

	cr_assert_eq(d.allow, 1);
	cr_assert_eq(d.need_approval, 1);
	cr_assert_str_eq(d.rule, "approvals.key-learning");
	cr_assert_eq(d.ttl_s, 300);
	cr_assert_eq(d.exi_s, 120);
	cr_assert_eq(d.risk, POLICY_RISK_CRITICAL);
	/* critical + outside hours: denied before approval is considered */
	DENIED(muc("tech-ben", VIN, "key.learn", "2025-03-18T09:00:00Z", 0),
	       "workshops.ws-muc-01.opening_hours");
}

Test(policy_decide, REQ_POL_016_catalogue_for_the_signer)
{
	char name[32];
	uint32_t max_ttl = 0;
	int risk = -1;
	uint16_t routine = 0;

	cr_assert_eq(policy_op_count(pol), 3);
	cr_assert_eq(policy_op_at(pol, 1, name, &max_ttl, &risk, &routine), 0);
	cr_assert_str_eq(name, "ignition.enable");
	cr_assert_eq(max_ttl, 300);
	cr_assert_eq(risk, POLICY_RISK_HIGH);
	cr_assert_eq(routine, 0xF003);
	cr_assert_eq(policy_op_at(pol, 3, name, &max_ttl, &risk, &routine), PL_E_RANGE);
	cr_assert_eq(policy_max_exi(pol), 120);
	cr_assert_eq(policy_version(pol), 42);
	cr_assert_eq(policy_decide(NULL, NULL, NULL), PL_E_INVAL);
}

Test(policy_decide, REQ_POL_017_request_time_out_of_range)
{
	struct policy_request q = {
		.device_cn = "ws-muc-01-pc1", .device_workshop = "ws-muc-01",
		.technician_cn = "tech-ben", .technician_workshop = "ws-muc-01",
		.vin = VIN, .op = "ignition.enable", .now = INT64_MAX,
	};
	struct policy_decision d;

	cr_assert_eq(policy_decide(pol, &q, &d), 0);
	DENIED(d, "request.time");
	q.now = -1;
	cr_assert_eq(policy_decide(pol, &q, &d), 0);
	DENIED(d, "request.time");
	q.now = INT64_C(253402300799); /* 9999-12-31T23:59:59Z, a Friday: closed */
	cr_assert_eq(policy_decide(pol, &q, &d), 0);
	DENIED(d, "workshops.ws-muc-01.opening_hours");
}
