/* The decider's side of the co-signer: jobs in flight, results, second audit rows (cosign.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cosign.h"
#include "decider.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_log.h"
#include "problem.h"

#define RESULT_POLL_MS 100
#define SEND_WAIT_MS 100 /* a job waits this long for room in the channel, then is refused */

struct kpend {
	uint64_t job; /* 0: a free slot */
	uint64_t gen; /* the client channel it was sent on */
	int fd;       /* the front end's channel (a duplicate) */
	uint64_t id;  /* the front end's request id */
	uint64_t start_ms, deadline_ms;
	struct token_answer a;
	struct audit_record rec;
	char approval_id[ABUSE_APPROVAL_ID_LEN + 1]; /* a poll's: given back when withheld */
};

struct decider_cosign {
	pthread_mutex_t mu; /* everything below */
	struct kpend *tab;
	int fd, pending_fd; /* the channel to the cosigner-client; the next one */
	uint64_t gen;       /* counts channels */
	uint64_t next_job;
	uint32_t timeout_ms;
	struct decider *dc;
	pthread_t t;
	int started;
	atomic_int stop;
	atomic_ullong n_signed, n_refused, n_down; /* outcomes, for /metrics */
};

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

int decider_cosign_new(uint32_t timeout_ms, struct decider_cosign **out)
{
	struct decider_cosign *k = calloc(1, sizeof(*k));

	if (k == NULL || (k->tab = calloc(COSIGN_PENDING_MAX, sizeof(*k->tab))) == NULL) {
		free(k);
		return PL_E_NOMEM;
	}
	pthread_mutex_init(&k->mu, NULL);
	k->fd = k->pending_fd = -1;
	k->timeout_ms = timeout_ms;
	*out = k;
	return 0;
}

void decider_cosign_give_fd(struct decider_cosign *k, int fd)
{
	pthread_mutex_lock(&k->mu);
	if (k->pending_fd >= 0)
		close(k->pending_fd);
	k->pending_fd = fd;
	pthread_mutex_unlock(&k->mu);
}

/* The channel to use now (under k->mu): a new one from the monitor replaces the old. */
static int cur_fd(struct decider_cosign *k)
{
	if (k->pending_fd >= 0) {
		if (k->fd >= 0)
			close(k->fd);
		k->fd = k->pending_fd;
		k->pending_fd = -1;
		k->gen++;
	}
	return k->fd;
}

/* The problem answer of a refused or unanswered job. */
static void set_problem(struct token_answer *a, const struct audit_record *rec, int status,
                        const char *code, const char *detail, const char *rule,
                        uint32_t retry_after)
{
	struct problem p = {
	    .status = status,
	    .code = code,
	    .title = problem_title_for(status),
	    .detail = detail,
	    .rule = rule,
	    .request_id = rec->request_id,
	    .retry_after = retry_after,
	};
	size_t len = 0;

	plt_wipe(a->body, sizeof(a->body));
	if (problem_encode(&p, a->body, sizeof(a->body), &len) != 0) {
		p.detail = NULL;
		if (problem_encode(&p, a->body, sizeof(a->body), &len) != 0)
			len = 0;
	}
	a->status = status;
	a->retry_after = retry_after;
	a->body_kind = ANSWER_PROBLEM;
	a->metric = status == 403 ? DEC_DENY_POLICY : DEC_ERROR;
	a->len = (uint32_t)len;
}

/* The second audit row of a token withheld (decision, rule cosigner, reason). */
static int second_row(struct decider *b, const struct audit_record *first, const char *decision,
                      const char *reason)
{
	struct audit_record rec = *first;
	int r;

	rec.time_ms = 0; /* now */
	rec.has_nonce = 0;
	snprintf(rec.decision, sizeof(rec.decision), "%.15s", decision);
	snprintf(rec.rule, sizeof(rec.rule), "%s", "cosigner");
	snprintf(rec.reason, sizeof(rec.reason), "%.159s", reason);
	if ((r = audit_append(b->audit, &rec, NULL)) != 0)
		pl_log_err("audit_append_failed", r, "request_id", rec.request_id, "decision",
		           decision, NULL);
	return r;
}

/*
 * The technician's answer when the co-signer said no or did not answer: the
 * token is withheld (wiped), the second row written, the log line.
 */
static void withhold(struct decider *b, struct token_answer *a, const struct audit_record *rec,
                     const struct cosign_result *res)
{
	char detail[480], reason[sizeof(rec->reason)], ms[16];
	int refused = res->outcome == COSIGN_REFUSED;

	snprintf(ms, sizeof(ms), "%u", res->elapsed_ms);
	if (refused) {
		snprintf(reason, sizeof(reason), "%.47s: %.100s", res->code, res->detail);
		snprintf(
		    detail, sizeof(detail),
		    "the co-signer refused this %.31s token (%.47s: %.160s); no token was issued. "
		    "Check the request and the approval; if it should pass, call %.64s",
		    rec->op, res->code, res->detail, b->cfg.refusal_contact);
	} else {
		/* a 503 of the co-signer names its code (audit_unavailable, hsm_unavailable, busy)
		 */
		snprintf(reason, sizeof(reason), "%s: %.47s%s%.100s", cosign_why_name(res->why),
		         res->code, res->code[0] != '\0' ? ": " : "", res->detail);
		if (res->why == COSIGN_WHY_TIMEOUT)
			snprintf(
			    detail, sizeof(detail),
			    "the co-signer gave no answer within %u ms; %s cannot be issued "
			    "now (operations without co-signer can). Retry later or call %.64s",
			    b->cfg.cosigner_timeout_ms, rec->op, b->cfg.refusal_contact);
		else
			snprintf(detail, sizeof(detail),
			         "the co-signer is not reachable (%s); %s cannot be issued now "
			         "(operations without co-signer can). Retry later or call %.64s",
			         cosign_why_name(res->why), rec->op, b->cfg.refusal_contact);
	}
	if (refused)
		set_problem(a, rec, 403, "cosigner_refused", detail,
		            res->rule[0] != '\0' ? res->rule : NULL, 0);
	else
		set_problem(a, rec, 503, "cosigner_unavailable", detail, NULL,
		            res->retry_after > 0 ? res->retry_after : COSIGN_RETRY_AFTER_S);
	if (b->cosign != NULL)
		atomic_fetch_add(refused ? &b->cosign->n_refused : &b->cosign->n_down, 1);
	a->audit_error =
	    second_row(b, rec, refused ? COSIGN_ROW_REFUSED : COSIGN_ROW_DOWN, reason) != 0;
	pl_log(PL_LOG_WARN, refused ? "cosigner_refused" : "cosigner_unavailable", "request_id",
	       rec->request_id, "op", rec->op, "vin", rec->vin, "technician", rec->technician,
	       "code", refused ? res->code : "", "why", refused ? "" : cosign_why_name(res->why),
	       "elapsed_ms", ms, "reason", reason, NULL);
}

/* Appends the co-signer's signature; 0, or the token is not deliverable. */
static int append_sig(struct token_answer *a, const struct cosign_result *res)
{
	uint8_t out[sizeof(a->body)];
	size_t n = 0;
	int r = plt_sign_append(a->body, a->len, res->sig,
	                        res->sig_len <= sizeof(res->sig) ? res->sig_len : 0, out,
	                        sizeof(out), &n);

	if (r == 0) {
		memcpy(a->body, out, n);
		a->len = (uint32_t)n;
	}
	plt_wipe(out, sizeof(out));
	return r;
}

/* Finishes one job: the answer to the front end, on its channel, with its id. */
static void complete(struct decider *b, struct kpend *p, const struct cosign_result *in)
{
	struct cosign_result res = *in;
	struct ps_chan ch;
	int r;

	res.elapsed_ms = (uint32_t)(mono_ms() - p->start_ms);
	if (res.outcome == COSIGN_SIGNED && (r = append_sig(&p->a, &res)) != 0) {
		res.outcome = COSIGN_UNAVAILABLE;
		res.why = COSIGN_WHY_HTTP;
		snprintf(res.detail, sizeof(res.detail),
		         "its signature could not be added to the token: %s", pl_strerror(r));
	}
	if (res.outcome == COSIGN_SIGNED) {
		char ms[16];

		atomic_fetch_add(&b->cosign->n_signed, 1);
		snprintf(ms, sizeof(ms), "%u", res.elapsed_ms);
		pl_log(PL_LOG_INFO, "token_cosigned", "request_id", p->rec.request_id, "op",
		       p->rec.op, "vin", p->rec.vin, "elapsed_ms", ms, NULL);
	} else {
		withhold(b, &p->a, &p->rec, &res);
		/* an approval stays approved: a later poll asks the co-signer again */
		if (p->approval_id[0] != '\0')
			(void)abuse_approval_unclaim(b->abuse, p->approval_id);
	}
	ps_chan_init(&ch, p->fd, PS_CH_FRONT_TO_DECIDER);
	(void)ps_send(&ch, PS_DF_ANSWER, p->id, &p->a, sizeof(p->a), NULL, 0);
	ps_chan_close(&ch); /* the duplicate; a dead front end: the rows are committed */
	plt_wipe(p, sizeof(*p));
	p->fd = -1;
}

static void fail_now(struct decider *b, struct token_answer *a, const struct audit_record *rec,
                     uint32_t why, const char *detail)
{
	struct cosign_result res;

	memset(&res, 0, sizeof(res));
	res.outcome = COSIGN_UNAVAILABLE;
	res.why = why;
	snprintf(res.detail, sizeof(res.detail), "%s", detail);
	withhold(b, a, rec, &res);
}

/* A free slot (under k->mu), or NULL. */
static struct kpend *slot_free(struct decider_cosign *k)
{
	for (size_t i = 0; i < COSIGN_PENDING_MAX; i++)
		if (k->tab[i].job == 0)
			return &k->tab[i];
	return NULL;
}

/* The channel takes a message within SEND_WAIT_MS. */
static int writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r;

	do {
		r = poll(&p, 1, SEND_WAIT_MS);
	} while (r < 0 && errno == EINTR);
	return r == 1 && (p.revents & POLLOUT);
}

/* Sends the job (under k->mu); 0, or the channel is gone. */
static int send_job(struct decider_cosign *k, int fd, uint64_t job, const struct token_answer *a,
                    const uint8_t *req, size_t req_len, const uint8_t *apr, size_t apr_len)
{
	size_t len = sizeof(struct cosign_job) + req_len + a->len + apr_len;
	uint8_t *m = malloc(len);
	struct cosign_job j = {.job = job,
	                       .req_len = (uint32_t)req_len,
	                       .tok_len = a->len,
	                       .apr_len = (uint32_t)apr_len};
	struct ps_chan ch;
	int r;

	if (m == NULL)
		return PL_E_NOMEM;
	memcpy(m, &j, sizeof(j));
	memcpy(m + sizeof(j), req, req_len);
	memcpy(m + sizeof(j) + req_len, a->body, a->len);
	if (apr_len > 0)
		memcpy(m + sizeof(j) + req_len + a->len, apr, apr_len);
	ps_chan_init(&ch, fd, PS_CH_COSIGNER_TO_DECIDER);
	/* a cosigner-client that stopped reading must not stall the decider's workers */
	if (!writable(fd)) {
		plt_wipe(m, len);
		free(m);
		return PL_E_TIMEOUT;
	}
	r = ps_send(&ch, PS_DK_JOB, job, m, len, NULL, 0);
	if (r != 0 && ch.fd < 0)
		k->fd = -1; /* ps_send closed it: the client is gone */
	plt_wipe(m, len);
	free(m);
	return r;
}

void decider_cosign_submit(struct decider *b, const struct audit_record *rec, const uint8_t *req,
                           size_t req_len, const uint8_t *apr, size_t apr_len,
                           const char *approval_id, struct token_answer *a)
{
	struct decider_cosign *k = b->cosign;
	struct kpend *p;
	uint64_t id = 0, now = mono_ms();
	int ffd = -1, fd, r = 0;

	if (k == NULL || !k->started) {
		fail_now(b, a, rec, COSIGN_WHY_GONE, "the cosigner-client is not running");
		return;
	}
	if (req_len == 0) {
		fail_now(b, a, rec, COSIGN_WHY_HTTP,
		         "no signed request is kept for it (an approval made before the upgrade); "
		         "make a new request");
		return;
	}
	if (req_len + a->len + apr_len > COSIGN_TAIL_MAX) {
		fail_now(b, a, rec, COSIGN_WHY_HTTP, "the request is too large for the co-signer");
		return;
	}
	if (decider_front_defer(b, &ffd, &id) != 0) {
		fail_now(b, a, rec, COSIGN_WHY_GONE, "the front end's channel is gone");
		return;
	}
	pthread_mutex_lock(&k->mu);
	if ((p = slot_free(k)) == NULL) {
		pthread_mutex_unlock(&k->mu);
		close(ffd);
		fail_now(b, a, rec, COSIGN_WHY_BUSY, "too many requests wait for the co-signer");
		return;
	}
	if ((fd = cur_fd(k)) < 0 ||
	    (r = send_job(k, fd, k->next_job + 1, a, req, req_len, apr, apr_len)) != 0) {
		pthread_mutex_unlock(&k->mu);
		close(ffd);
		fail_now(b, a, rec, r == PL_E_TIMEOUT ? COSIGN_WHY_BUSY : COSIGN_WHY_GONE,
		         r == PL_E_TIMEOUT ? "the cosigner-client takes no more jobs now"
		                           : "the cosigner-client is not running");
		return;
	}
	p->job = ++k->next_job;
	p->gen = k->gen;
	p->fd = ffd;
	p->id = id;
	p->start_ms = now;
	p->deadline_ms = now + k->timeout_ms + COSIGN_SLACK_MS;
	p->a = *a;
	p->rec = *rec;
	snprintf(p->approval_id, sizeof(p->approval_id), "%s",
	         approval_id != NULL ? approval_id : "");
	pthread_mutex_unlock(&k->mu);
	plt_wipe(a, sizeof(*a));
	a->status = 0; /* answered by the result thread */
}

/* Takes the job out of the table (under k->mu) into out; 0, or not there. */
static int take_job(struct decider_cosign *k, uint64_t job, struct kpend *out)
{
	for (size_t i = 0; i < COSIGN_PENDING_MAX; i++) {
		if (k->tab[i].job == job && job != 0) {
			*out = k->tab[i];
			plt_wipe(&k->tab[i], sizeof(k->tab[i]));
			return 0;
		}
	}
	return PL_E_NOENT;
}

/* Jobs past their deadline, or sent on a channel that died (gen), answered unavailable. */
static void expire(struct decider_cosign *k, uint64_t dead_gen)
{
	struct cosign_result res;
	struct kpend p;
	uint64_t now = mono_ms();

	for (size_t i = 0; i < COSIGN_PENDING_MAX; i++) {
		int gone;

		pthread_mutex_lock(&k->mu);
		gone = k->tab[i].job != 0 && dead_gen != 0 && k->tab[i].gen <= dead_gen;
		if (k->tab[i].job == 0 || (!gone && k->tab[i].deadline_ms > now)) {
			pthread_mutex_unlock(&k->mu);
			continue;
		}
		(void)take_job(k, k->tab[i].job, &p);
		pthread_mutex_unlock(&k->mu);
		memset(&res, 0, sizeof(res));
		res.outcome = COSIGN_UNAVAILABLE;
		res.why = gone ? COSIGN_WHY_GONE : COSIGN_WHY_TIMEOUT;
		snprintf(res.detail, sizeof(res.detail), "%s",
		         gone ? "the cosigner-client ended" : "no result in time");
		complete(k->dc, &p, &res);
	}
}

/* One result from the client. */
static void on_result(struct decider_cosign *k, const struct ps_hdr *h,
                      const struct cosign_result *res)
{
	struct kpend p;
	int r;

	pthread_mutex_lock(&k->mu);
	r = h->id == res->job ? take_job(k, res->job, &p) : PL_E_NOENT;
	pthread_mutex_unlock(&k->mu);
	if (r == 0)
		complete(k->dc, &p, res); /* else late (the decider answered already) */
}

static void *result_main(void *arg)
{
	struct decider_cosign *k = arg;
	uint64_t rgen = 0;
	int rfd = -1;

	while (!atomic_load(&k->stop)) {
		struct cosign_result res;
		struct ps_chan ch;
		struct ps_hdr h;
		int r;

		pthread_mutex_lock(&k->mu);
		if (cur_fd(k) >= 0 && (rfd < 0 || rgen != k->gen)) {
			if (rfd >= 0)
				close(rfd);
			rfd = fcntl(k->fd, F_DUPFD_CLOEXEC, 0);
			rgen = k->gen;
		}
		pthread_mutex_unlock(&k->mu);
		expire(k, 0);
		if (rfd < 0) {
			usleep(RESULT_POLL_MS * 1000);
			continue;
		}
		ps_chan_init(&ch, rfd, PS_CH_COSIGNER_TO_DECIDER);
		r = ps_recv(&ch, &h, &res, sizeof(res), NULL, 0, NULL, RESULT_POLL_MS);
		if (r == PL_E_TIMEOUT)
			continue;
		if (r == 0) {
			on_result(k, &h, &res);
			plt_wipe(&res, sizeof(res));
			continue;
		}
		/* the client is gone or misbehaved: its channel ends, its jobs are answered */
		rfd = -1;
		if (r != PL_E_IO) {
			pl_log_err("privsep_bad_message", r, "role", "decider", "from",
			           "cosigner-client", "why", ch.why, "action",
			           "refused; the channel is closed and the monitor ends the "
			           "cosigner-client",
			           NULL);
			decider_report_cosigner(k->dc);
		}
		pthread_mutex_lock(&k->mu);
		if (k->gen == rgen && k->fd >= 0) {
			close(k->fd);
			k->fd = -1;
		}
		pthread_mutex_unlock(&k->mu);
		expire(k, rgen);
	}
	if (rfd >= 0)
		close(rfd);
	return NULL;
}

int decider_cosign_start(struct decider_cosign *k, struct decider *dc)
{
	k->dc = dc;
	if (pthread_create(&k->t, NULL, result_main, k) != 0)
		return PL_E_NOMEM;
	k->started = 1;
	return 0;
}

void decider_cosign_stats(struct decider_cosign *k, struct broker_status *st)
{
	uint32_t n = 0;

	if (k == NULL)
		return;
	st->cosign_signed = atomic_load(&k->n_signed);
	st->cosign_refused = atomic_load(&k->n_refused);
	st->cosign_down = atomic_load(&k->n_down);
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < COSIGN_PENDING_MAX; i++)
		n += k->tab[i].job != 0;
	pthread_mutex_unlock(&k->mu);
	st->cosign_inflight = n;
}

void decider_cosign_free(struct decider_cosign *k)
{
	if (k == NULL)
		return;
	if (k->started) {
		atomic_store(&k->stop, 1);
		pthread_join(k->t, NULL);
		expire(k, UINT64_MAX); /* every job still in flight */
	}
	if (k->fd >= 0)
		close(k->fd);
	if (k->pending_fd >= 0)
		close(k->pending_fd);
	pthread_mutex_destroy(&k->mu);
	free(k->tab);
	free(k);
}
