/*
 * pitlane-ecusim: signer roles of the trust anchors (--trust PEM[:ROLE]) and
 * the signatures each operation needs (--require OP=ROLE[:K][,ROLE[:K]]).
 * The ECU's own configuration decides; a token never says what it needs.
 */
#include <stdio.h>
#include <string.h>

#include "ecu_routine.h"
#include "ecusim.h"
#include "pl_err.h"
#include "pl_log.h"
#include "pl_parse.h"

static const char *const role_names[PLT_ROLE_COUNT] = {"broker", "cosigner"};

const char *ecusim_role_name(uint8_t role)
{
	return role < PLT_ROLE_COUNT ? role_names[role] : "unknown";
}

/* The role named s[0..len), or -1. */
static int role_by_name(const char *s, size_t len)
{
	for (int i = 0; i < PLT_ROLE_COUNT; i++)
		if (strlen(role_names[i]) == len && strncmp(s, role_names[i], len) == 0)
			return i;
	return -1;
}

int ecusim_trust_arg(char *arg, const char **path, uint8_t *role)
{
	char *colon = strrchr(arg, ':');
	int r;

	*role = PLT_ROLE_BROKER;
	*path = arg;
	if (colon == NULL)
		return 0;
	if ((r = role_by_name(colon + 1, strlen(colon + 1))) < 0)
		return 0; /* a ':' of the path itself */
	if (colon == arg) {
		fprintf(stderr, "pitlane-ecusim: --trust '%s': no file before the role\n", arg);
		return PL_E_USAGE;
	}
	*colon = '\0';
	*role = (uint8_t)r;
	return 0;
}

static int require_bad(const char *arg, const char *why)
{
	fprintf(stderr,
	        "pitlane-ecusim: --require '%s': %s; expected OP=ROLE[:K][,ROLE[:K]] such as "
	        "ignition.enable=broker,cosigner (roles: broker, cosigner; K 1..%d)\n",
	        arg, why, ECUSIM_TRUST_MAX);
	return PL_E_USAGE;
}

/* One "ROLE[:K]" of s[0..len) into need[]. */
static int require_term(const char *arg, const char *s, size_t len, uint8_t *need)
{
	const char *colon = memchr(s, ':', len);
	size_t nlen = colon != NULL ? (size_t)(colon - s) : len;
	char num[8];
	uint32_t k = 1;
	int role = role_by_name(s, nlen);

	if (role < 0)
		return require_bad(arg, "unknown role");
	if (colon != NULL) {
		size_t dl = len - nlen - 1;

		if (dl == 0 || dl >= sizeof(num))
			return require_bad(arg, "bad count");
		memcpy(num, colon + 1, dl);
		num[dl] = '\0';
		if (pl_parse_u32(num, 1, ECUSIM_TRUST_MAX, &k) != 0)
			return require_bad(arg, "bad count");
	}
	if (need[role] != 0)
		return require_bad(arg, "a role named twice");
	need[role] = (uint8_t)k;
	return 0;
}

int ecusim_require_parse(const char *arg, struct ecusim_require *out)
{
	const char *eq = strchr(arg, '='), *p;
	size_t oplen;

	memset(out, 0, sizeof(*out));
	if (eq == NULL)
		return require_bad(arg, "no '='");
	oplen = (size_t)(eq - arg);
	if (oplen == 0 || oplen > PLT_OP_MAX)
		return require_bad(arg, "no operation");
	memcpy(out->op, arg, oplen);
	out->op[oplen] = '\0';
	p = eq + 1;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		int r;

		if (len == 0)
			return require_bad(arg, "empty role");
		if ((r = require_term(arg, p, len, out->need)) != 0)
			return r;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

int ecusim_require_check(const struct ecusim_opts *o)
{
	size_t have[PLT_ROLE_COUNT] = {0};

	for (size_t i = 0; i < o->ntrust; i++)
		have[o->trust_roles[i]]++;
	for (size_t i = 0; i < o->nrequire; i++) {
		const struct ecusim_require *q = &o->require[i];

		if (ecu_routine_by_op((const uint8_t *)q->op, strlen(q->op)) == NULL) {
			fprintf(stderr,
			        "pitlane-ecusim: --require %s: not an operation of this ECU "
			        "(door.unlock, door.lock, ignition.enable, key.learn, dtc.clear)\n",
			        q->op);
			return PL_E_USAGE;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(o->require[j].op, q->op) == 0) {
				fprintf(stderr, "pitlane-ecusim: --require %s given twice\n",
				        q->op);
				return PL_E_USAGE;
			}
		for (int r = 0; r < PLT_ROLE_COUNT; r++)
			if (q->need[r] > have[r]) {
				fprintf(stderr,
				        "pitlane-ecusim: --require %s needs %u %s signature(s) but "
				        "--trust gives %zu %s key(s): add them with --trust "
				        "PEM:%s\n",
				        q->op, (unsigned)q->need[r], role_names[r], have[r],
				        role_names[r], role_names[r]);
				return PL_E_USAGE;
			}
	}
	return 0;
}

static const struct ecusim_require *require_find(const struct ecusim_opts *o, const char *op)
{
	for (size_t i = 0; i < o->nrequire; i++)
		if (strcmp(o->require[i].op, op) == 0)
			return &o->require[i];
	return NULL;
}

/* The default of op: broker 1, and a co-signer for the critical operations
 * once the ECU knows a co-signer key. */
static void default_need(const struct ecusim_opts *o, const char *op, uint8_t *need)
{
	int cosigner = 0;

	for (size_t i = 0; i < o->ntrust; i++)
		cosigner |= o->trust_roles[i] == PLT_ROLE_COSIGNER;
	need[PLT_ROLE_BROKER] = 1;
	need[PLT_ROLE_COSIGNER] =
	    cosigner && (strcmp(op, "ignition.enable") == 0 || strcmp(op, "key.learn") == 0);
}

void ecusim_signers_build(const struct ecusim_opts *o, struct plt_threshold *rows, size_t *nrows)
{
	size_t n = 0;

	for (size_t i = 0; i < ecu_routine_count() && n + 1 < ECUSIM_SIGNER_ROWS; i++) {
		const struct ecu_routine *rt = ecu_routine_at(i);
		const struct ecusim_require *q = require_find(o, rt->op);
		char b[8], c[8];

		rows[n].op = rt->op;
		if (q != NULL)
			memcpy(rows[n].need, q->need, sizeof(rows[n].need));
		else
			default_need(o, rt->op, rows[n].need);
		snprintf(b, sizeof(b), "%u", (unsigned)rows[n].need[PLT_ROLE_BROKER]);
		snprintf(c, sizeof(c), "%u", (unsigned)rows[n].need[PLT_ROLE_COSIGNER]);
		pl_log(PL_LOG_INFO, "signers", "op", rt->op, "broker", b, "cosigner", c, "from",
		       q != NULL ? "require" : "default", NULL);
		n++;
	}
	/* Any other scope is refused by the catalogue; the row only keeps the
	 * verifier from answering no_threshold first. */
	rows[n].op = NULL;
	rows[n].need[PLT_ROLE_BROKER] = 1;
	rows[n].need[PLT_ROLE_COSIGNER] = 0;
	*nrows = n + 1;
}
