#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abuse_test_util.h"

const char abuse_test_base_yaml[] =
	"version: 7\n"
	"operations:\n"
	"  door.unlock: { routine: 0xF001, risk: medium, max_ttl: 300, exi: 60 }\n"
	"  ignition.enable: { routine: 0xF003, risk: high, max_ttl: 300, exi: 60 }\n"
	"  key.learn: { routine: 0xF004, risk: critical, max_ttl: 600, exi: 120 }\n"
	"  dtc.clear: { routine: 0xF005, risk: low, max_ttl: 600, exi: 120 }\n"
	"  door.lock: { routine: 0xF002, risk: low, max_ttl: 300, exi: 60 }\n"
	"roles:\n"
	"  master:\n"
	"    operations: [door.unlock, ignition.enable, key.learn, dtc.clear, door.lock]\n"
	"  approver: { operations: [] }\n"
	"workshops:\n"
	"  ws-a:\n"
	"    roles: [master]\n"
	"    vin_prefixes: [WVW]\n"
	"    opening_hours: { time_zone: UTC, mon: \"00:00-24:00\", tue: \"00:00-24:00\",\n"
	"      wed: \"00:00-24:00\", thu: \"00:00-24:00\", fri: \"00:00-24:00\",\n"
	"      sat: \"00:00-24:00\", sun: \"00:00-24:00\" }\n"
	"  ws-b:\n"
	"    roles: [master]\n"
	"    vin_prefixes: [WVW]\n"
	"    opening_hours: { time_zone: UTC, mon: \"00:00-24:00\", tue: \"00:00-24:00\",\n"
	"      wed: \"00:00-24:00\", thu: \"00:00-24:00\", fri: \"00:00-24:00\",\n"
	"      sat: \"00:00-24:00\", sun: \"00:00-24:00\" }\n"
	"  ws-night:\n"
	"    roles: [master]\n"
	"    vin_prefixes: [WVW]\n"
	"  oem:\n"
	"    roles: [approver]\n"
	"technicians:\n"
	"  t1: { workshop: ws-a, roles: [master] }\n"
	"  t2: { workshop: ws-a, roles: [master] }\n"
	"  t3: { workshop: ws-b, roles: [master] }\n"
	"  tn: { workshop: ws-night, roles: [master] }\n"
	"  officer: { workshop: oem, roles: [approver] }\n"
	"decoy_vins: [WVWZZZ1JZ3W386752]\n";

struct policy *abuse_test_policy(const char *extra)
{
	size_t n = strlen(abuse_test_base_yaml) + strlen(extra) + 1;
	char *text = malloc(n);
	struct policy *p = NULL;
	struct policy_diag d;
	int r;

	cr_assert_not_null(text);
	snprintf(text, n, "%s%s", abuse_test_base_yaml, extra);
	memset(&d, 0, sizeof(d));
	r = policy_load_buffer("test.yaml", text, strlen(text), NULL, &p, &d);
	cr_assert_eq(r, 0, "policy: %u:%u: %s", d.line, d.col, d.msg);
	free(text);
	return p;
}

int abuse_test_request(struct abuse *a, const struct policy *p, int64_t now_ms,
		       const char *tech, const char *ws, const char *addr, const char *vin,
		       const char *op, struct abuse_verdict *v)
{
	char dev[80];
	struct policy_request pr;
	struct policy_decision d;
	struct abuse_event ev;

	snprintf(dev, sizeof(dev), "%s-pc1", ws);
	memset(&pr, 0, sizeof(pr));
	pr.device_cn = dev;
	pr.device_workshop = ws;
	pr.technician_cn = tech;
	pr.technician_workshop = ws;
	pr.vin = vin;
	pr.op = op;
	pr.now = now_ms / 1000;
	cr_assert_eq(policy_decide(p, &pr, &d), 0);
	memset(&ev, 0, sizeof(ev));
	ev.now_ms = now_ms;
	ev.technician = tech;
	ev.workshop = ws;
	ev.device = dev;
	ev.client_addr = addr;
	ev.vin = vin;
	ev.op = op;
	ev.d = &d;
	cr_assert_eq(abuse_check(a, p, &ev, v), 0);
	if (!d.allow && v->kind == ABUSE_PASS)
		return -1;  /* the policy denied */
	return v->kind;
}
