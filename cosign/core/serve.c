/*
 * One co-sign request in the core (core.h): the checks (cosign/check/, which
 * write the audit row before they answer), then the HSM signature over the
 * broker's token payload (lib/token plt_cosign), then the signed row; only
 * then does the COSE_Signature leave. Every other path answers a problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "cosign_check.h"
#include "pl_err.h"
#include "pl_err_cosign.h"
#include "pl_log.h"
#include "problem.h"

#define COSE_CTYPE "application/cose"

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void answer(struct core *c, uint64_t id, int status, const char *code, const char *ctype,
                   const uint8_t *body, size_t len, uint32_t retry_after)
{
	struct cs_answer a;
	int r;

	memset(&a, 0, sizeof(a));
	a.status = (uint32_t)status;
	a.retry_after = retry_after;
	snprintf(a.code, sizeof(a.code), "%s", code);
	snprintf(a.ctype, sizeof(a.ctype), "%s", ctype);
	metrics_outcome(&c->m, code);
	if (c->net_fd >= 0 &&
	    (r = cs_send(c->net_fd, CS_CN_ANSWER, id, &a, sizeof(a), body, len)) != 0)
		pl_log_err("cosign_answer_lost", r, "code", code, NULL);
}

static void answer_problem(struct core *c, uint64_t id, int status, const char *code,
                           const char *detail, const char *rule, uint32_t retry_after)
{
	struct problem p = {.status = status,
	                    .code = code,
	                    .title = problem_title_for(status),
	                    .detail = detail,
	                    .rule = rule,
	                    .retry_after = retry_after};
	uint8_t out[PROBLEM_MAX];
	size_t len = 0;

	if (problem_encode(&p, out, sizeof(out), &len) != 0)
		len = 0;
	answer(c, id, status, code, PROBLEM_CONTENT_TYPE, out, len, retry_after);
}

static const char *nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static void log_outcome(const char *peer, const char *code, const char *rule, const char *detail)
{
	pl_log(strcmp(code, "signed") == 0 ? PL_LOG_INFO : PL_LOG_WARN, "cosign", "peer", peer,
	       "outcome", code, "rule", rule ? rule : "", "detail", detail ? detail : "", NULL);
}

/* The checks allowed it: sign, record, answer. */
static void sign_allowed(struct core *c, uint64_t id, const char *peer,
                         const struct cosign_verdict *v)
{
	uint8_t sig[PLT_COSIGNATURE_LEN + 16];
	size_t n = 0;
	double t0 = mono_s();
	int r, ra;

	r = plt_cosign(v->token, v->token_len, cosign_hsm_kid(c->hsm), cosign_hsm_sign, c->hsm, sig,
	               sizeof(sig), &n);
	if (r == 0)
		metrics_observe(&c->m.sign, mono_s() - t0);
	/* The outcome is recorded before the signature leaves: no row, no signature. */
	ra = cosign_check_signed(c->checker, v, r);
	if (r != 0) {
		log_outcome(peer, "hsm_unavailable", "hsm", pl_errname(r));
		answer_problem(c, id, 503, "hsm_unavailable",
		               "the co-signer's HSM did not sign; retry later", "hsm", 5);
	} else if (ra != 0) {
		log_outcome(peer, "audit_unavailable", "audit", pl_errname(ra));
		answer_problem(c, id, 503, "audit_unavailable",
		               "the co-signer could not record the signature in its audit log; "
		               "nothing was signed for you",
		               "audit", 5);
	} else {
		log_outcome(peer, "signed", NULL, NULL);
		answer(c, id, 200, "signed", COSE_CTYPE, sig, n, 0);
	}
	plt_wipe(sig, sizeof(sig));
}

void core_serve(struct core *c, uint64_t id, const struct cs_request *rq, const uint8_t *body,
                size_t len)
{
	struct cosign_verdict v;
	const char *code, *detail, *rule;
	double t0 = mono_s();
	int r;

	memset(&v, 0, sizeof(v));
	r = cosign_check(c->checker, body, len, time(NULL), &v);
	metrics_observe(&c->m.check, mono_s() - t0);
	if (r == 0 && v.allowed) {
		sign_allowed(c, id, rq->peer, &v);
		return;
	}
	code = nonempty(v.code);
	detail = nonempty(v.detail);
	rule = nonempty(v.rule);
	if (r != 0 && code == NULL) {
		/* Fail closed: no verdict (its audit row could not be written). */
		log_outcome(rq->peer, "audit_unavailable", "audit", pl_errname(r));
		answer_problem(
		    c, id, 503, "audit_unavailable",
		    "the co-signer cannot record decisions in its audit log; retry later", "audit",
		    5);
		return;
	}
	if (code == NULL)
		code = "bad_cosign_request";
	log_outcome(rq->peer, code, rule, detail);
	answer_problem(c, id, v.status >= 400 && v.status <= 599 ? v.status : 403, code, detail,
	               rule, v.status == 503 ? 5 : 0);
}

void core_push_status(struct core *c, int probe)
{
	struct cs_status s;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (c->net_fd < 0)
		return;
	if (probe) {
		c->hsm_ok = cosign_hsm_ready(c->hsm);
		c->audit_ok = cosign_checker_ready(c->checker) == 0;
	}
	memset(&s, 0, sizeof(s));
	s.hsm_ready = (uint32_t)c->hsm_ok;
	s.audit_ready = (uint32_t)c->audit_ok;
	s.seq = ++c->status_seq;
	if ((f = open_memstream(&text, &len)) == NULL)
		return;
	metrics_render(&c->m, f);
	fclose(f);
	if (len > CS_METRICS_MAX)
		len = 0;
	/* A full socket buffer (the child is busy) loses one status, not the loop. */
	(void)cs_send(c->net_fd, CS_CN_STATUS, 0, &s, sizeof(s), text, len);
	free(text);
}
