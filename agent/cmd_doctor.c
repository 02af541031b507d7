/*
 * pitlane doctor [-c FILE] [--can URI] [--json]
 *
 * Checks what a run needs, in order, and says what to fix: the configuration,
 * this PC's certificate (expiry) and key file (owner-only, not a link), the
 * technician certificate, the pins
 * against the live broker (mTLS + GET /v1/health and /v1/ready), the
 * technician key (PIN, key matches certificate), the CAN link and whether a
 * vehicle answers. Every check prints one line: ok, warn or FAIL.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "broker.h"
#include "can_link.h"
#include "car.h"
#include "cmd.h"
#include "config.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "techkey.h"
#include "uds.h"
#include "uds_client.h"

#define WARN_DAYS 30

enum verdict { OK, WARN, FAIL };

struct doctor {
	int json, nfail, nwarn, nchecks;
	const char *can;
	struct agent_config cfg;
};

void cmd_doctor_usage(FILE *f)
{
	fputs("usage: pitlane doctor [-c FILE] [--can URI] [--json]\n\n"
	      "Checks the configuration, this PC's certificate and key file (owner-only),\n"
	      "the technician certificate, the broker (pins, client certificate, readiness),\n"
	      "the technician key and PIN, the CAN link and the vehicle, and says what to\n"
	      "fix. One line per check:\n"
	      "ok, warn or FAIL (--json: one JSON object per line).\n\n"
	      "exit: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage\n",
	      f);
}

static void report(struct doctor *d, enum verdict v, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(struct doctor *d, enum verdict v, const char *check, const char *fmt, ...)
{
	static const char *names[] = {"ok", "warn", "FAIL"};
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->nchecks++;
	d->nfail += v == FAIL;
	d->nwarn += v == WARN;
	if (d->json) {
		printf("{\"check\":\"%s\",\"result\":\"%s\",\"message\":", check,
		       v == OK     ? "ok"
		       : v == WARN ? "warn"
		                   : "fail");
		agent_json_str(stdout, msg);
		printf("}\n");
	} else {
		printf("%-4s %-16s %s\n", names[v], check, msg);
	}
	fflush(stdout);
}

static void check_cert(struct doctor *d, const char *check, const char *path, const char *who)
{
	long long left = 0, since = 0;
	char na[64] = "";
	int r;

	if ((r = broker_cert_validity(path, &left, &since, na, sizeof(na))) != 0)
		report(d, FAIL, check, "%s: %s; fix the path in agent.conf", path, pl_strerror(r));
	else if (left < 0)
		report(d, FAIL, check,
		       "%s expired on %s: ask the workshop admin for a new %s "
		       "certificate",
		       path, na, who);
	else if (since < 0)
		report(d, FAIL, check, "%s is not valid yet: check the PC's date and time", path);
	else if (left < WARN_DAYS * 86400LL)
		report(d, WARN, check,
		       "%s expires in %lld days (%s): order a new %s certificate "
		       "now",
		       path, left / 86400, na, who);
	else
		report(d, OK, check, "%s valid until %s (%lld days)", path, na, left / 86400);
}

static void check_device_key(struct doctor *d)
{
	char err[900];

	if (broker_check_device_key(&d->cfg, err, sizeof(err)) != 0)
		report(d, FAIL, "device_key", "%s", err);
	else if (strncmp(d->cfg.device_key, "pkcs11:", 7) == 0)
		report(d, OK, "device_key", "in a PKCS#11 token (%s)", d->cfg.device_key);
	else
		report(d, OK, "device_key", "%s: owner-only file", d->cfg.device_key);
}

static void check_broker(struct doctor *d)
{
	static struct broker_reply rep;
	struct broker *b = NULL;
	char err[900];
	int r;

	if (d->cfg.broker_pin_backup[0] == '\0')
		report(d, WARN, "pins",
		       "no broker_pin_backup: a broker key rotation will stop this "
		       "PC; ask OEM support for the backup pin");
	else
		report(d, OK, "pins", "primary and backup pin configured");
	if ((r = broker_open(&d->cfg, &b, err, sizeof(err))) != 0) {
		report(d, FAIL, "broker", "%s", err);
		return;
	}
	if ((r = broker_call(b, "/v1/health", NULL, NULL, 0, &rep, NULL, NULL, err, sizeof(err))) !=
	    0)
		report(d, FAIL, "broker", "%s", err);
	else if (rep.status != 200)
		report(d, FAIL, "broker", "%s answered /v1/health with HTTP %ld: check broker_url",
		       d->cfg.broker_url, rep.status);
	else
		report(d, OK, "broker",
		       "%s: TLS 1.3, key matches the pins, this PC's certificate "
		       "accepted",
		       d->cfg.broker_url);
	if (r == 0 && rep.status == 200) {
		r = broker_call(b, "/v1/ready", NULL, NULL, 0, &rep, NULL, NULL, err, sizeof(err));
		if (r != 0 || rep.status != 200)
			report(d, WARN, "broker_ready",
			       "the broker is up but not ready (HSM or audit "
			       "store): tokens will be refused for now; call OEM support if it "
			       "lasts");
		else
			report(d, OK, "broker_ready", "ready to issue tokens");
	}
	broker_close(b);
}

static void check_key(struct doctor *d)
{
	struct techkey *k = NULL;
	char err[900];
	int r;

	if ((r = techkey_open(&d->cfg, &k, err, sizeof(err))) != 0) {
		report(d, FAIL, "technician_key", "%s", err);
		return;
	}
	report(d, OK, "technician_key", "%s: PIN accepted, key matches the certificate of %s",
	       d->cfg.technician_key, techkey_id(k));
	techkey_close(k);
}

static void check_can(struct doctor *d)
{
	const char *uri = d->can ? d->can : d->cfg.can;
	struct can_link_info li;
	char vin[UDS_VIN_LEN + 1];
	struct uds_result u;
	struct car car;
	int r;

	if (strncmp(uri, "socketcan:", 10) == 0) {
		r = can_link_status(&can_link_system, uri + 10, &li);
		if (r != 0) {
			report(d, FAIL, "can_link",
			       "%s: %s; check the adapter and 'can' in "
			       "agent.conf (pitlane can status IFACE)",
			       uri, pl_strerror(r));
			return;
		}
		if (li.has_controller && li.state == CAN_LINK_BUS_OFF)
			report(d, FAIL, "can_link",
			       "%s is bus-off: check wiring and bitrate "
			       "(pitlane can setup IFACE --bitrate N --restart-ms 100)",
			       uri);
		else
			report(d, OK, "can_link", "%s %s", uri,
			       li.has_controller ? "controller up" : "(virtual interface)");
	}
	if ((r = car_open(uri, d->cfg.tester_id, d->cfg.ecu_id, &car)) != 0) {
		report(d, FAIL, "can_link", "cannot open %s: %s", uri, pl_strerror(r));
		return;
	}
	u = uds_client_read_vin(car.uc, vin);
	car_close(&car);
	if (u.err == 0 && u.nrc == 0)
		report(d, OK, "vehicle", "ECU 0x%X answers on %s, VIN %s", (unsigned)d->cfg.ecu_id,
		       uri, vin);
	else
		report(d, WARN, "vehicle",
		       "no ECU answers on %s (%s): fine if no vehicle is "
		       "connected; else check the cable and the ignition",
		       uri, u.err ? pl_strerror(u.err) : uds_nrc_text(u.nrc));
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", 1, 0, 'c'}, {"can", 1, 0, 'C'}, {"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	static struct doctor d;
	const char *conf = NULL;
	char err[900];
	int ch, r;

	memset(&d, 0, sizeof(d));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'C':
			d.can = optarg;
			break;
		case 'j':
			d.json = 1;
			break;
		default:
			cmd_doctor_usage(stderr);
			return CMD_USAGE;
		}
	}
	if (optind != argc) {
		cmd_doctor_usage(stderr);
		return CMD_USAGE;
	}
	if (conf == NULL)
		conf = getenv("PITLANE_AGENT_CONF");
	if (conf == NULL || conf[0] == '\0')
		conf = AGENT_CONF_DEFAULT;
	if ((r = agent_config_load(conf, &d.cfg, err, sizeof(err))) != 0) {
		report(&d, FAIL, "config", "%s", err);
		return CMD_FAIL;
	}
	report(&d, OK, "config", "%s", conf);
	check_cert(&d, "device_cert", d.cfg.device_cert, "device");
	check_device_key(&d);
	check_cert(&d, "technician_cert", d.cfg.technician_cert, "technician");
	check_broker(&d);
	check_key(&d);
	check_can(&d);
	if (!d.json)
		printf("%d checks: %d failed, %d warnings\n", d.nchecks, d.nfail, d.nwarn);
	return d.nfail ? CMD_FAIL : CMD_OK;
}
