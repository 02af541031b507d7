/*
 * pitlane approve ID [--show | --deny --reason TEXT] [--json] [-c FILE]
 *
 * The second person of a two-person approval, at a workshop PC: an approving
 * technician signs their decision on approval ID with their own key (the same
 * COSE_Sign1 envelope as a token request: ES256, their certificate in the
 * protected x5chain header) and sends it as POST /v1/approvals/ID
 * (docs/protocol.md). The broker allows it only where the policy says
 * `technician_approval: true`, only to a holder of an approver role, and
 * never to the requester. One line of outcome: approved, denied or refused.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "broker.h"
#include "cmd.h"
#include "config.h"
#include "fetch.h"
#include "pitlane/token.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "request.h"
#include "techkey.h"

#define APPROVAL_ID_LEN 32
#define REASON_MAX 160
#define PAYLOAD_MAX 512
#define RETRY_WAIT_MAX_S 5

/* Payload keys of a decision (docs/protocol.md), disjoint from the token request's. */
enum {
	K_APPROVAL_ID = 16,
	K_DECISION = 17,
	K_REASON = 18,
	K_NONCE = 19,
	K_IAT = 20,
	K_REQUEST_HASH = 21,
};
#define HASH_LEN 32

struct approve_opts {
	const char *id, *reason, *config;
	int deny, show, json;
};

/* What the broker's 200 says about the approval (work order and expiry: --show only). */
struct decided {
	char status[16], op[32], vin[18], technician[64], workshop[64], approver[64];
	char work_order[64];
	long long expires;
	uint8_t request_hash[HASH_LEN]; /* --show: what a decision signs (key 21) */
	int has_request_hash;
};

void cmd_approve_usage(FILE *f)
{
	fputs("usage: pitlane approve ID [--show | --deny --reason TEXT] [--json] [-c FILE]\n\n"
	      "Approves (or with --deny refuses) another technician's request that waits for\n"
	      "a second person; ID is the 32-digit approval id they were shown. Signed with\n"
	      "your technician key. The policy must let technicians approve this operation,\n"
	      "you need an approver role, and nobody may approve their own request.\n"
	      "  --show             only show what is to be approved (decides nothing)\n"
	      "  --deny             refuse the request (needs --reason)\n"
	      "  --reason TEXT      why (shown to the requester; recorded in the audit trail)\n"
	      "  --json             print one JSON object with the outcome\n"
	      "  -c FILE            configuration (default /etc/pitlane/agent.conf)\n\n"
	      "exit: 0 decided (approved or denied), 1 refused by the broker, 2 usage,\n"
	      "      3 configuration, 4 broker unreachable, 6 technician key\n",
	      f);
}

static int id_ok(const char *s)
{
	return pl_hex_is_lower(s, strlen(s), APPROVAL_ID_LEN);
}

static int text_ok(const char *s)
{
	if (strlen(s) > REASON_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int parse(int argc, char **argv, struct approve_opts *o)
{
	static const struct option lo[] = {{"deny", 0, 0, 'd'},   {"show", 0, 0, 's'},
	                                   {"reason", 1, 0, 'r'}, {"json", 0, 0, 'j'},
	                                   {"config", 1, 0, 'c'}, {0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	o->reason = "";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->deny = 1;
			break;
		case 's':
			o->show = 1;
			break;
		case 'r':
			o->reason = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'c':
			o->config = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc - 1) {
		agent_error("approve: give exactly one approval ID");
		return -1;
	}
	o->id = argv[optind];
	if (!id_ok(o->id)) {
		agent_error("approve: '%s' is not an approval id (32 lower-case hex digits, as "
		            "the requester's pitlane showed it)",
		            o->id);
		return -1;
	}
	if (!text_ok(o->reason)) {
		agent_error("approve: the reason must be at most %d printable characters",
		            REASON_MAX);
		return -1;
	}
	if (o->show && (o->deny || o->reason[0] != '\0')) {
		agent_error("approve: --show decides nothing: give it without --deny and --reason");
		return -1;
	}
	if (o->deny && o->reason[0] == '\0') {
		agent_error("approve: --deny needs --reason TEXT (the requester reads it)");
		return -1;
	}
	return 0;
}

/*
 * {16: id, 17: word, ?18: reason, 19: fresh nonce, 20: now, ?21: hash}: word is "show"
 * (hash NULL) or the decision, which names the request it decides on by its SHA-256.
 */
static int build_payload(const struct approve_opts *o, const char *word, const uint8_t *hash,
                         uint8_t *out, size_t cap, size_t *len)
{
	struct plt_cbor_writer w;
	uint8_t nonce[16];
	const char *reason = hash != NULL ? o->reason : "";
	int r;

	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return PL_E_IO;
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_map(&w, 4 + (reason[0] != '\0') + (hash != NULL));
	plt_cbor_put_uint(&w, K_APPROVAL_ID);
	plt_cbor_put_cstr(&w, o->id);
	plt_cbor_put_uint(&w, K_DECISION);
	plt_cbor_put_cstr(&w, word);
	if (reason[0]) {
		plt_cbor_put_uint(&w, K_REASON);
		plt_cbor_put_cstr(&w, reason);
	}
	plt_cbor_put_uint(&w, K_NONCE);
	plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
	plt_cbor_put_uint(&w, K_IAT);
	plt_cbor_put_uint(&w, (uint64_t)time(NULL));
	if (hash != NULL) {
		plt_cbor_put_uint(&w, K_REQUEST_HASH);
		plt_cbor_put_bstr(&w, hash, HASH_LEN);
	}
	r = plt_cbor_writer_finish(&w, len);
	plt_wipe(nonce, sizeof(nonce));
	return r;
}

/* The signed body: a tagged COSE_Sign1 over the payload, as a token request's. */
static int build_body(struct techkey *k, const struct approve_opts *o, const char *word,
                      const uint8_t *hash, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t payload[PAYLOAD_MAX];
	size_t ylen;
	int r;

	if ((r = build_payload(o, word, hash, payload, sizeof(payload), &ylen)) != 0)
		return r;
	return request_sign1(k, payload, ylen, out, cap, len);
}

/* "request-sha256" of the 200 map of a "show" (a byte string of 32). */
static void read_request_hash(const struct broker_reply *rep, struct decided *d)
{
	struct plt_cbor_reader r;
	struct plt_bytes k, v;
	size_t n;

	plt_cbor_reader_init(&r, rep->body, rep->len);
	if (plt_cbor_get_map(&r, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (plt_cbor_get_tstr(&r, &k) != 0)
			return;
		if (k.len == 14 && memcmp(k.ptr, "request-sha256", 14) == 0 &&
		    plt_cbor_peek(&r) == PLT_CBOR_BSTR) {
			if (plt_cbor_get_bstr(&r, &v) != 0 || v.len != HASH_LEN)
				return;
			memcpy(d->request_hash, v.ptr, HASH_LEN);
			d->has_request_hash = 1;
		} else if (plt_cbor_skip(&r) != 0) {
			return;
		}
	}
}

/* The 200 map: text values by name; unknown entries are skipped. */
static int parse_decided(const struct approve_opts *o, const struct broker_reply *rep,
                         struct decided *d)
{
	const struct named_text f[] = {
	    {"status", d->status, sizeof(d->status)},
	    {"op", d->op, sizeof(d->op)},
	    {"vin", d->vin, sizeof(d->vin)},
	    {"technician", d->technician, sizeof(d->technician)},
	    {"workshop", d->workshop, sizeof(d->workshop)},
	    {"approver", d->approver, sizeof(d->approver)},
	    {"work-order", d->work_order, sizeof(d->work_order)},
	};
	const struct named_uint u[] = {{"expires", (uint64_t)1 << 62, &d->expires}};
	struct plt_cbor_reader r;

	memset(d, 0, sizeof(*d));
	plt_cbor_reader_init(&r, rep->body, rep->len);
	if (broker_read_named_map(&r, f, sizeof(f) / sizeof(f[0]), u, 1) != 0)
		return PL_E_AGENT_BROKER_REPLY;
	read_request_hash(rep, d);
	if (o->show)
		return strcmp(d->status, "pending") == 0 ? 0 : PL_E_AGENT_BROKER_REPLY;
	return strcmp(d->status, "approved") == 0 || strcmp(d->status, "denied") == 0
	           ? 0
	           : PL_E_AGENT_BROKER_REPLY;
}

/* A refusal of the decision in words: what happened, what to do. */
static void refusal_text(const struct approve_opts *o, const struct broker_reply *rep, char *out,
                         size_t cap)
{
	const char *c = rep->code, *d = rep->detail;
	char rid[96] = "";

	if (rep->request_id[0] != '\0')
		snprintf(rid, sizeof(rid), " [request %s]", rep->request_id);
	if (strcmp(c, "self_approval") == 0)
		snprintf(out, cap, "you made this request yourself: a second person must %s it%s",
		         o->deny ? "deny" : "approve", rid);
	else if (strcmp(c, "approver_role_missing") == 0)
		snprintf(out, cap,
		         "you may not decide this approval (%s): ask a technician with "
		         "the approver role, or an OEM officer%s",
		         d[0] ? d : "no approver role", rid);
	else if (strcmp(c, "technician_approval_disabled") == 0)
		snprintf(out, cap,
		         "the policy lets only OEM officers decide this operation: give "
		         "the approval id %s to an officer%s",
		         o->id, rid);
	else if (strcmp(c, "approval_not_found") == 0)
		snprintf(out, cap,
		         "the broker knows no approval %s: check the id the requester "
		         "was shown%s",
		         o->id, rid);
	else if (strcmp(c, "approval_not_pending") == 0)
		snprintf(out, cap, "%s: nothing to do%s",
		         d[0] ? d : "the approval was already decided", rid);
	else if (strcmp(c, "request_hash_mismatch") == 0)
		snprintf(out, cap,
		         "the approval no longer holds the request you looked at (%s): run pitlane "
		         "approve %s --show again and decide anew%s",
		         d[0] ? d : "another request", o->id, rid);
	else if (strcmp(c, "approval_expired") == 0)
		snprintf(out, cap,
		         "approval %s expired before anyone decided: the requester has "
		         "to run the command again%s",
		         o->id, rid);
	else if (strcmp(c, "suspended") == 0) /* brokers before issue 12; now "refused" */
		snprintf(out, cap,
		         "you are suspended and may not approve (%s): ask the workshop "
		         "admin%s",
		         d[0] ? d : "suspended", rid);
	else
		fetch_refusal_text(rep, out, cap); /* certificate, clock, signature, busy, ... */
}

static int retryable(int r, const struct broker_reply *rep)
{
	if (r == PL_E_AGENT_BROKER_DOWN)
		return 1;
	return r == 0 && rep->status == 503 && rep->retry_after <= RETRY_WAIT_MAX_S &&
	       strcmp(rep->code, "busy") == 0;
}

/* Signs and sends one message (a fresh nonce and time on every attempt); 0 or CMD_*. */
static int call(const struct approve_opts *o, const struct agent_config *cfg, struct techkey *key,
                struct broker *b, const char *word, const uint8_t *hash, struct broker_reply *rep,
                char *err, size_t errlen)
{
	uint8_t body[REQUEST_MAX]; /* the same envelope as a token request (request.h) */
	char path[64];
	size_t len = 0;
	int r, st;

	snprintf(path, sizeof(path), "/v1/approvals/%s", o->id);
	for (unsigned attempt = 0;; attempt++) {
		if ((r = build_body(key, o, word, hash, body, sizeof(body), &len)) != 0) {
			snprintf(err, errlen,
			         "signing the decision with the technician key failed "
			         "(%s): is the smartcard still inserted?",
			         pl_strerror(r));
			st = agent_exit_for(r);
			goto out;
		}
		r = broker_call(b, path, BROKER_CT_COSE, body, len, rep, NULL, NULL, err, errlen);
		if (!retryable(r, rep) || attempt >= cfg->retries)
			break;
		sleep(r == 0 && rep->retry_after > 0 ? (unsigned)rep->retry_after : 1);
	}
	if (r != 0) {
		st = agent_exit_for(r);
		goto out;
	}
	if (rep->status == 200) {
		st = CMD_OK;
	} else {
		refusal_text(o, rep, err, errlen);
		st = rep->status >= 500 ? CMD_BROKER : CMD_FAIL;
	}
out:
	plt_wipe(body, sizeof(body));
	return st;
}

/*
 * --show: one signed "show". A decision: a "show" first, for the SHA-256 of the
 * request the approval holds, then the decision naming it (key 21): the approver
 * signs a yes or no to that request, not to whatever the approval id names later.
 */
static int send_decision(const struct approve_opts *o, const struct agent_config *cfg,
                         struct broker_reply *rep, char *err, size_t errlen)
{
	struct techkey *key = NULL;
	struct broker *b = NULL;
	struct decided d;
	int r, st;

	if ((r = techkey_open(cfg, &key, err, errlen)) != 0) {
		st = r == PL_E_AGENT_TECH_CERT ? CMD_CONFIG : CMD_TECHKEY;
		goto out;
	}
	if ((r = broker_open(cfg, &b, err, errlen)) != 0) {
		st = CMD_CONFIG;
		goto out;
	}
	if ((st = call(o, cfg, key, b, "show", NULL, rep, err, errlen)) != CMD_OK || o->show)
		goto out;
	memset(&d, 0, sizeof(d));
	read_request_hash(rep, &d);
	if (!d.has_request_hash) {
		snprintf(err, errlen,
		         "the broker did not show the SHA-256 of the request of approval %s, so "
		         "there is nothing to sign: the approval predates signed decisions (the "
		         "requester has to ask again) or the broker is older than this pitlane",
		         o->id);
		st = CMD_FAIL;
		goto out;
	}
	memset(rep, 0, sizeof(*rep));
	rep->retry_after = -1;
	st = call(o, cfg, key, b, o->deny ? "deny" : "approve", d.request_hash, rep, err, errlen);
out:
	broker_close(b);
	techkey_close(key);
	return st;
}

/* --show: what the approver would decide on, and how. */
static void print_pending(const struct approve_opts *o, const struct decided *d)
{
	char at[16] = "?", hash[2 * HASH_LEN + 1] = "-";
	time_t t = (time_t)d->expires;
	struct tm tm;

	if (d->expires > 0 && localtime_r(&t, &tm) != NULL)
		strftime(at, sizeof(at), "%H:%M:%S", &tm);
	if (d->has_request_hash)
		pl_hex_encode(d->request_hash, HASH_LEN, hash, sizeof(hash));
	printf("pending: %s on %s for %s (%s), work order %s, approval %s, open until %s\n", d->op,
	       d->vin, d->technician, d->workshop, d->work_order[0] ? d->work_order : "-", o->id,
	       at);
	printf("request sha256 %s (your decision signs it)\n", hash);
	printf("decide: pitlane approve %s   or   pitlane approve %s --deny --reason TEXT\n", o->id,
	       o->id);
}

static void print_result(const struct approve_opts *o, int st, const struct decided *d,
                         const char *reason, const struct broker_reply *rep)
{
	const char *result = st != CMD_OK ? (st == CMD_FAIL ? "refused" : "failed") : d->status;

	if (!o->json) {
		if (st == CMD_OK && o->show)
			print_pending(o, d);
		else if (st == CMD_OK && strcmp(d->status, "approved") == 0)
			printf("approved: %s on %s for %s (%s), approval %s\n", d->op, d->vin,
			       d->technician, d->workshop, o->id);
		else if (st == CMD_OK)
			printf("denied: %s on %s for %s (%s), approval %s: %s\n", d->op, d->vin,
			       d->technician, d->workshop, o->id, o->reason);
		else if (st == CMD_FAIL)
			printf("refused: %s\n", reason);
		else
			agent_error("%s", reason);
		return;
	}
	printf("{\"result\":\"%s\",\"exit\":%d,\"approval_id\":\"%s\"", result, st, o->id);
	if (st == CMD_OK) {
		if (o->show) {
			printf(",\"work_order\":");
			agent_json_str(stdout, d->work_order);
			printf(",\"expires\":%lld", d->expires);
			if (d->has_request_hash) {
				char hash[2 * HASH_LEN + 1];

				pl_hex_encode(d->request_hash, HASH_LEN, hash, sizeof(hash));
				printf(",\"request_sha256\":\"%s\"", hash);
			}
		}
		printf(",\"op\":");
		agent_json_str(stdout, d->op);
		printf(",\"vin\":");
		agent_json_str(stdout, d->vin);
		printf(",\"technician\":");
		agent_json_str(stdout, d->technician);
		printf(",\"workshop\":");
		agent_json_str(stdout, d->workshop);
		printf(",\"approver\":");
		agent_json_str(stdout, d->approver);
	} else {
		printf(",\"reason\":");
		agent_json_str(stdout, reason);
	}
	if (rep->status != 0)
		printf(",\"http_status\":%ld", rep->status);
	if (rep->code[0]) {
		printf(",\"code\":");
		agent_json_str(stdout, rep->code);
	}
	printf("}\n");
}

int cmd_approve(int argc, char **argv)
{
	static struct agent_config cfg;
	static struct broker_reply rep;
	struct approve_opts o;
	struct decided d;
	char err[900] = "";
	int st;

	if (parse(argc, argv, &o) != 0) {
		cmd_approve_usage(stderr);
		return CMD_USAGE;
	}
	if ((st = agent_load_config(o.config, &cfg)) != 0)
		return st;
	memset(&d, 0, sizeof(d));
	rep.retry_after = -1;
	st = send_decision(&o, &cfg, &rep, err, sizeof(err));
	if (st == CMD_OK && parse_decided(&o, &rep, &d) != 0) {
		snprintf(err, sizeof(err),
		         "the broker's answer to the decision is unreadable (HTTP "
		         "%ld): ask an OEM officer whether approval %s was decided",
		         rep.status, o.id);
		st = CMD_BROKER;
	}
	print_result(&o, st, &d, err, &rep);
	plt_wipe(&rep, sizeof(rep));
	return st;
}
