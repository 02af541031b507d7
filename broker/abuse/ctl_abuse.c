/*
 * pitlanectl's officer commands (docs/abuse.md):
 *
 *   alerts list                      alerts from the audit log (newest last)
 *   approvals list|show ID           pending and recent approvals
 *   approvals approve|deny ID [--reason TEXT] [--officer FILE]
 *                                    signed with the officer's own key
 *                                    (ctl_officer.c), verified as the broker
 *                                    will, recorded by abuse_approval_decide()
 *                                    as POST /v1/approvals/{id} records it
 *   suspend|resume workshop|technician|device ID --reason TEXT
 *   revoke token CTI --reason TEXT   (CTI: 32 hex digits)
 *   breaker list | breaker reset NAME --reason TEXT
 *
 * Every command takes -f broker.conf (the database and policy directory).
 * Changes go to the broker's database in one transaction with a row in
 * admin_actions and a bump of abuse_generation: the running broker applies
 * them before its next request and writes each into the audit chain.
 * Exit: 0 done, 1 refused (not found, self-approval, expired, ...), 2 usage or I/O.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "abuse.h"
#include "config.h"
#include "ctl_officer.h"
#include "officer.h"
#include "pl_codec.h"
#include "pl_err.h"

#define OK 0
#define FAIL 1
#define USAGE 2
/* an officer's signed decision: the envelope, one certificate, the payload */
#define OFFICER_DECISION_MAX (20 * 1024)

struct ctl {
	const char *conf;
	const char *reason, *approver, *by, *officer;
	const char *arg[3];
	int nargs;
	struct broker_config cfg;
	sqlite3 *db;
};

static void usage(FILE *f)
{
	fputs("usage: pitlanectl alerts list -f broker.conf\n"
	      "       pitlanectl approvals list|show ID -f broker.conf\n"
	      "       pitlanectl approvals approve|deny ID [--reason TEXT] [--officer FILE] -f "
	      "broker.conf\n"
	      "       pitlanectl suspend|resume workshop|technician|device ID --reason TEXT -f "
	      "broker.conf\n"
	      "       pitlanectl revoke token CTI --reason TEXT -f broker.conf\n"
	      "       pitlanectl breaker list -f broker.conf\n"
	      "       pitlanectl breaker reset NAME --reason TEXT -f broker.conf\n"
	      "options: --by NAME (who acts; default: the login name)\n"
	      "         --officer FILE (approve|deny: the officer's key that signs the decision;\n"
	      "                         default " OFFICER_CONF_DEFAULT ")\n"
	      "exit: 0 done, 1 refused, 2 usage or I/O\n",
	      f);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_args(int argc, char **argv, struct ctl *c)
{
	for (int i = 1; i < argc; i++) {
		const char **opt = NULL;

		if (strcmp(argv[i], "-f") == 0)
			opt = &c->conf;
		else if (strcmp(argv[i], "--reason") == 0)
			opt = &c->reason;
		else if (strcmp(argv[i], "--approver") == 0)
			opt = &c->approver;
		else if (strcmp(argv[i], "--by") == 0)
			opt = &c->by;
		else if (strcmp(argv[i], "--officer") == 0)
			opt = &c->officer;
		if (opt != NULL) {
			if (++i >= argc) {
				fprintf(stderr, "pitlanectl: %s needs a value\n", argv[i - 1]);
				return USAGE;
			}
			*opt = argv[i];
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "pitlanectl: unknown option '%s'\n", argv[i]);
			return USAGE;
		} else if (c->nargs < 3) {
			c->arg[c->nargs++] = argv[i];
		} else {
			fprintf(stderr, "pitlanectl: too many arguments at '%s'\n", argv[i]);
			return USAGE;
		}
	}
	if (c->conf == NULL) {
		fprintf(stderr, "pitlanectl: -f broker.conf is required (it names the database)\n");
		return USAGE;
	}
	return OK;
}

static int open_db(struct ctl *c)
{
	char err[256] = "";

	if (broker_config_load(c->conf, &c->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "pitlanectl: %s\n", err);
		return USAGE;
	}
	if (sqlite3_open_v2(c->cfg.database, &c->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr,
		        "pitlanectl: cannot open database %s: %s (has pitlaned run once?)\n",
		        c->cfg.database, c->db ? sqlite3_errmsg(c->db) : "out of memory");
		return USAGE;
	}
	sqlite3_busy_timeout(c->db, 5000);
	return OK;
}

static const char *actor(const struct ctl *c)
{
	struct passwd *pw;

	if (c->by != NULL)
		return c->by;
	pw = getpwuid(geteuid());
	return pw != NULL ? pw->pw_name : "unknown";
}

/* One officer change: sql (bound to t[0..n)), an admin_actions row, a generation bump. */
static int change(struct ctl *c, const char *sql, const char *const *t, int n, const void *blob,
                  int bloblen, const char *action, const char *target)
{
	sqlite3_stmt *st = NULL;
	int rc, changed = 0, r = USAGE;

	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto io;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto io;
	for (int k = 0; k < n; k++)
		sqlite3_bind_text(st, k + 1, t[k], -1, SQLITE_STATIC);
	if (blob != NULL)
		sqlite3_bind_blob(st, n + 1, blob, bloblen, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) > n + (blob != NULL))
		sqlite3_bind_int64(st, sqlite3_bind_parameter_count(st), now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto io;
	changed = sqlite3_changes(c->db);
	if (changed == 0) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return FAIL;
	}
	if (sqlite3_prepare_v2(c->db,
	                       "INSERT INTO admin_actions (time_ms, actor, action, target, "
	                       "reason) VALUES (?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		goto io;
	sqlite3_bind_int64(st, 1, now_ms());
	sqlite3_bind_text(st, 2, actor(c), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->reason ? c->reason : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE ||
	    sqlite3_exec(c->db, "UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1", NULL,
	                 NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto io;
	return OK;
io:
	fprintf(stderr, "pitlanectl: database %s: %s\n", c->cfg.database, sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int need_reason(const struct ctl *c)
{
	if (c->reason == NULL || c->reason[0] == '\0') {
		fprintf(stderr,
		        "pitlanectl: --reason TEXT is required (it goes to the audit log)\n");
		return USAGE;
	}
	return OK;
}

static int cmd_suspend(struct ctl *c, int resume)
{
	const char *t[4];
	char target[160];
	int r;

	if (c->nargs != 2 ||
	    (strcmp(c->arg[0], "workshop") != 0 && strcmp(c->arg[0], "technician") != 0 &&
	     strcmp(c->arg[0], "device") != 0)) {
		usage(stderr);
		return USAGE;
	}
	if ((r = need_reason(c)) != OK)
		return r;
	snprintf(target, sizeof(target), "%s %s", c->arg[0], c->arg[1]);
	t[0] = c->arg[0];
	t[1] = c->arg[1];
	t[2] = actor(c);
	t[3] = c->reason;
	if (resume)
		r = change(c, "DELETE FROM suspensions WHERE kind = ? AND id = ?", t, 2, NULL, 0,
		           "resume", target);
	else
		r = change(c,
		           "INSERT OR IGNORE INTO suspensions (kind, id, actor, reason, since_ms) "
		           "VALUES (?, ?, ?, ?, ?)",
		           t, 4, NULL, 0, "suspend", target);
	if (r == FAIL)
		fprintf(stderr, "pitlanectl: %s is %s suspended\n", target,
		        resume ? "not" : "already");
	else if (r == OK)
		printf("%s %s\n", resume ? "resumed" : "suspended", target);
	return r;
}

static int cmd_revoke(struct ctl *c)
{
	uint8_t cti[ABUSE_CTI_LEN];
	size_t len = 0;
	const char *t[2];
	char target[64];
	int r;

	if (c->nargs != 2 || strcmp(c->arg[0], "token") != 0) {
		usage(stderr);
		return USAGE;
	}
	if (pl_hex_decode(c->arg[1], strlen(c->arg[1]), cti, sizeof(cti), &len) != 0 ||
	    len != sizeof(cti)) {
		fprintf(stderr,
		        "pitlanectl: CTI '%s' must be 32 hex digits (the token's cti, as in "
		        "the audit log)\n",
		        c->arg[1]);
		return USAGE;
	}
	if ((r = need_reason(c)) != OK)
		return r;
	snprintf(target, sizeof(target), "token %s", c->arg[1]);
	t[0] = actor(c);
	t[1] = c->reason;
	r = change(c,
	           "INSERT OR IGNORE INTO revocations (actor, reason, cti, time_ms) VALUES "
	           "(?, ?, ?, ?)",
	           t, 2, cti, (int)sizeof(cti), "revoke", target);
	if (r == FAIL)
		fprintf(stderr, "pitlanectl: %s is already revoked\n", target);
	else if (r == OK)
		printf("revoked %s\n", target);
	return r;
}

static int print_rows(struct ctl *c, const char *sql, const char *arg, const char *empty)
{
	sqlite3_stmt *st = NULL;
	int rc, rows = 0;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "pitlanectl: database %s: %s\n", c->cfg.database,
		        sqlite3_errmsg(c->db));
		return USAGE;
	}
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int k = 0; k < sqlite3_column_count(st); k++) {
			const char *v = (const char *)sqlite3_column_text(st, k);

			printf("%s%s=%s", k ? " " : "", sqlite3_column_name(st, k), v ? v : "");
		}
		putchar('\n');
		rows++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return USAGE;
	if (rows == 0 && empty != NULL)
		fprintf(stderr, "%s\n", empty);
	return rows == 0 && arg != NULL ? FAIL : OK;
}

static int cmd_alerts(struct ctl *c)
{
	if (c->nargs != 1 || strcmp(c->arg[0], "list") != 0) {
		usage(stderr);
		return USAGE;
	}
	return print_rows(c,
	                  "SELECT seq, strftime('%Y-%m-%dT%H:%M:%SZ', time_ms / 1000, "
	                  "'unixepoch') AS time, rule, technician, workshop, vin, op, reason FROM "
	                  "audit_log WHERE decision = 'alert' ORDER BY seq",
	                  NULL, "no alerts");
}

static int cmd_breaker(struct ctl *c)
{
	const char *t[1];
	char target[96];
	int r;

	if (c->nargs == 1 && strcmp(c->arg[0], "list") == 0)
		return print_rows(c,
		                  "SELECT name, strftime('%Y-%m-%dT%H:%M:%SZ', tripped_ms / "
		                  "1000, 'unixepoch') AS tripped, evidence FROM breakers ORDER BY "
		                  "name",
		                  NULL, "no breaker is open");
	if (c->nargs != 2 || strcmp(c->arg[0], "reset") != 0) {
		usage(stderr);
		return USAGE;
	}
	if ((r = need_reason(c)) != OK)
		return r;
	t[0] = c->arg[1];
	snprintf(target, sizeof(target), "breaker %s", c->arg[1]);
	r = change(c, "DELETE FROM breakers WHERE name = ?", t, 1, NULL, 0, "breaker_reset",
	           target);
	if (r == FAIL)
		fprintf(stderr, "pitlanectl: breaker %s is not open\n", c->arg[1]);
	else if (r == OK)
		printf("reset breaker %s\n", c->arg[1]);
	return r;
}

/* The approval to decide: pending, unexpired, with the request its decision must name. */
static int decidable(struct ctl *c, struct abuse *a, struct abuse_approval *ap)
{
	int r = abuse_approval_get(a, c->arg[1], now_ms(), ap);

	if (r != 0) {
		fprintf(stderr, "pitlanectl: approval %s: %s\n", c->arg[1], pl_strerror(r));
		return r == PL_E_NOTFOUND ? FAIL : USAGE;
	}
	if (ap->state != ABUSE_APR_PENDING) {
		fprintf(stderr, "pitlanectl: approval %s is %s, not pending\n", ap->id,
		        ap->state == ABUSE_APR_EXPIRED ? "expired" : "already decided");
		return FAIL;
	}
	if (!ap->has_request_sha256) {
		fprintf(stderr,
		        "pitlanectl: approval %s was made before signed decisions and holds no "
		        "signed request to decide on; the requester has to ask again\n",
		        ap->id);
		return FAIL;
	}
	return OK;
}

/*
 * The officer signs the decision with their own key, and pitlanectl verifies it
 * as the broker will (officer_ca, validity, signature, approval id, request hash)
 * before it writes anything: into *dec (malloc'd, *len bytes) and *who.
 */
static int sign_and_verify(struct ctl *c, const struct abuse_approval *ap, int approve,
                           uint8_t **dec, size_t *len, struct officer_identity *who)
{
	struct officer_conf oc;
	struct officer_key *k = NULL;
	struct decision_binding bind = {.approval_id = ap->id, .request_hash = ap->request_sha256};
	struct approval_decision d;
	X509_STORE *officers = NULL;
	char err[600] = "";
	uint8_t *buf = NULL;
	size_t n = 0, cap = OFFICER_DECISION_MAX;
	int r;

	if (c->cfg.officer_ca[0] == '\0') {
		fprintf(stderr,
		        "pitlanectl: %s has no officer_ca: the broker could not verify an "
		        "officer's decision; add officer_ca (the officer CA's PEM) to it\n",
		        c->conf);
		return USAGE;
	}
	if (officer_store_open(c->cfg.officer_ca, NULL, &officers, err, sizeof(err)) != 0 ||
	    officer_conf_load(c->officer != NULL ? c->officer : OFFICER_CONF_DEFAULT, &oc, err,
	                      sizeof(err)) != 0) {
		fprintf(stderr, "pitlanectl: %s\n", err);
		r = USAGE;
		goto out;
	}
	if ((buf = malloc(cap)) == NULL || officer_key_open(&oc, &k, err, sizeof(err)) != 0 ||
	    officer_key_sign_decision(k, ap->id, approve, c->reason, ap->request_sha256, buf, cap,
	                              &n) != 0) {
		fprintf(stderr, "pitlanectl: signing the decision: %s\n",
		        err[0] ? err : "the officer key could not sign");
		r = FAIL;
		goto out;
	}
	if ((r = officer_decision_verify(officers, buf, n, &bind, now_ms() / 1000, &d, who, err,
	                                 sizeof(err))) != 0) {
		fprintf(stderr, "pitlanectl: the decision was not written: %s (%s)\n", err,
		        pl_errname(r));
		r = FAIL;
		goto out;
	}
	*dec = buf;
	*len = n;
	buf = NULL;
	r = OK;
out:
	free(buf);
	officer_key_close(k);
	X509_STORE_free(officers);
	return r;
}

/*
 * Approve or deny: the approval must be pending and unexpired; the officer signs
 * the decision with their own key and may not be the requester.
 */
static int decide(struct ctl *c, int approve)
{
	struct abuse *a = NULL;
	struct abuse_approval ap;
	struct officer_identity who;
	struct abuse_decision dec = {0};
	char name[ABUSE_ID_MAX], note[240];
	uint8_t *signed_dec = NULL;
	size_t len = 0;
	int r;

	if (c->approver != NULL) {
		fprintf(
		    stderr,
		    "pitlanectl: --approver is gone: a typed name proved nothing. An officer now "
		    "signs the decision with their own key (--officer FILE, default %s: "
		    "officer_cert, officer_key, pin_file; see pitlanectl(8))\n",
		    OFFICER_CONF_DEFAULT);
		return USAGE;
	}
	if (!approve && (r = need_reason(c)) != OK)
		return r;
	if ((r = abuse_open(c->cfg.database, &a)) != 0) {
		fprintf(stderr, "pitlanectl: database %s: %s\n", c->cfg.database, pl_strerror(r));
		return USAGE;
	}
	if ((r = decidable(c, a, &ap)) != OK ||
	    (r = sign_and_verify(c, &ap, approve, &signed_dec, &len, &who)) != OK)
		goto out;
	if (strcmp(who.id.cn, ap.technician) == 0 || strcmp(who.id.cn, ap.technician_id) == 0) {
		fprintf(stderr,
		        "pitlanectl: %s made this request and cannot approve or deny it; "
		        "a second person must\n",
		        who.id.cn);
		r = FAIL;
		goto out;
	}
	/* The same record as POST /v1/approvals/{id}: approvals row, admin action, generation. */
	snprintf(name, sizeof(name), OFFICER_ACTOR_PREFIX "%.50s", who.id.cn);
	snprintf(note, sizeof(note), "login %.32s%s%.160s", actor(c),
	         c->reason != NULL && c->reason[0] != '\0' ? ": " : "",
	         c->reason != NULL ? c->reason : "");
	dec.id = ap.id;
	dec.approve = approve;
	dec.approver = name;
	dec.actor = name;
	dec.reason = c->reason;
	dec.note = note;
	dec.now_ms = now_ms();
	dec.signed_decision = signed_dec;
	dec.signed_decision_len = len;
	r = abuse_approval_decide(a, &dec);
	if (r == PL_E_EXISTS) {
		fprintf(stderr, "pitlanectl: approval %s was decided meanwhile (or expired)\n",
		        ap.id);
		r = FAIL;
	} else if (r != 0) {
		fprintf(stderr, "pitlanectl: database %s: %s\n", c->cfg.database, pl_strerror(r));
		r = USAGE;
	} else {
		printf("%s %s (%s %s for %s by %s)\n", approve ? "approved" : "denied", ap.id,
		       ap.op, ap.vin, ap.technician, name);
		r = OK;
	}
out:
	free(signed_dec);
	abuse_close(a);
	return r;
}

static int cmd_approvals(struct ctl *c)
{
	if (c->nargs == 1 && strcmp(c->arg[0], "list") == 0)
		return print_rows(
		    c,
		    "SELECT id, state, rule, technician, workshop, vin, op, "
		    "strftime('%Y-%m-%dT%H:%M:%SZ', expires_ms / 1000, 'unixepoch') AS "
		    "expires, approver FROM approvals ORDER BY created_ms",
		    NULL, "no approvals");
	if (c->nargs == 2 && strcmp(c->arg[0], "show") == 0)
		return print_rows(
		    c,
		    "SELECT id, state, rule, device_cn, device_ou, technician, "
		    "workshop, vin, op, ttl_s, work_order, strftime('%Y-%m-%dT%H:%M:%SZ', "
		    "created_ms / 1000, 'unixepoch') AS created, strftime("
		    "'%Y-%m-%dT%H:%M:%SZ', expires_ms / 1000, 'unixepoch') AS expires, "
		    "approver, decision_reason, lower(hex(request_sha256)) AS request_sha256 "
		    "FROM approvals WHERE id = ?",
		    c->arg[1], "no such approval");
	if (c->nargs == 2 && strcmp(c->arg[0], "approve") == 0)
		return decide(c, 1);
	if (c->nargs == 2 && strcmp(c->arg[0], "deny") == 0)
		return decide(c, 0);
	usage(stderr);
	return USAGE;
}

int ctl_abuse_main(int argc, char **argv)
{
	struct ctl c;
	int r;

	memset(&c, 0, sizeof(c));
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return OK;
	}
	if ((r = parse_args(argc, argv, &c)) != OK || (r = open_db(&c)) != OK) {
		if (r == USAGE && c.conf != NULL && c.db == NULL)
			return USAGE;
		if (c.conf == NULL)
			usage(stderr);
		sqlite3_close(c.db);
		return r;
	}
	if (strcmp(argv[0], "alerts") == 0)
		r = cmd_alerts(&c);
	else if (strcmp(argv[0], "approvals") == 0)
		r = cmd_approvals(&c);
	else if (strcmp(argv[0], "suspend") == 0)
		r = cmd_suspend(&c, 0);
	else if (strcmp(argv[0], "resume") == 0)
		r = cmd_suspend(&c, 1);
	else if (strcmp(argv[0], "revoke") == 0)
		r = cmd_revoke(&c);
	else if (strcmp(argv[0], "breaker") == 0)
		r = cmd_breaker(&c);
	else
		r = USAGE;
	sqlite3_close(c.db);
	return r;
}
