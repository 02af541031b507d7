/*
 * Front-end routes of abuse resistance (docs/protocol.md): checked here, then
 * answered by the decider (front_aux_submit), which verifies the device
 * certificate and every signature itself:
 *
 *   POST /v1/approvals/{id}/poll  API listener: the requesting technician polls
 *   POST /v1/approvals/{id}   API listener: an approving technician decides
 *                             (both COSE_Sign1, verified on a worker like POST /v1/token)
 *   GET  /v1/approvals/{id}   refused (405): it proves no technician, and an
 *                             approved token must not leave on a device's word
 *   GET  /v1/revoked[?after=N] API and admin listeners
 *   POST /v1/receipts         API listener: ECU outcomes (CBOR, decoded here)
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "front.h"
#include "identity.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_parse.h"
#include "problem.h"
#include "receipt.h"

#define APPROVALS_PREFIX "/v1/approvals/"

static void refuse(struct front *b, struct evhttp_request *req, int status, const char *code,
                   const char *detail)
{
	struct problem p = {
	    .status = status, .code = code, .title = problem_title_for(status), .detail = detail};
	uint8_t out[PROBLEM_MAX];
	size_t len = 0;
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (problem_encode(&p, out, sizeof(out), &len) != 0)
		len = 0;
	evhttp_add_header(h, "Content-Type", PROBLEM_CONTENT_TYPE);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (status == 503)
		evhttp_add_header(h, "Retry-After", "1");
	if (buf != NULL)
		evbuffer_add(buf, out, len);
	evhttp_send_reply(req, status, NULL, buf);
	if (buf != NULL)
		evbuffer_free(buf);
	metrics_request(b->metrics, EP_OTHER, status);
}

static void submit(struct front *b, struct evhttp_request *req, const char *addr, int kind,
                   const char *arg, const uint8_t *body, size_t len)
{
	int r;

	if (b->stopping) {
		refuse(b, req, 503, "shutting_down", "the broker is shutting down");
		return;
	}
	r = front_aux_submit(b, req, addr, kind, arg, body, len);
	if (r == PL_E_SRV_BUSY)
		refuse(b, req, 503, "busy", "all workers are busy; retry");
	else if (r != 0)
		refuse(b, req, 503, pl_errname(r), pl_strerror(r));
}

/* after=N of the query (empty when absent); 0 when the query is acceptable. */
static int after_of(struct evhttp_request *req, char *out, size_t cap)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	uint64_t v;

	out[0] = '\0';
	if (q == NULL || q[0] == '\0')
		return 0;
	if (strncmp(q, "after=", 6) != 0 || strlen(q + 6) >= cap ||
	    pl_parse_u64(q + 6, 0, INT64_MAX, &v) != 0)
		return -1;
	snprintf(out, cap, "%s", q + 6);
	return 0;
}

static void receipt_post(struct front *b, struct evhttp_request *req, const char *addr)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	uint8_t body[RECEIPT_MAX];
	struct receipt rc;
	char why[160] = "";

	if (len > sizeof(body)) {
		refuse(b, req, 413, "request_too_large", "a receipt is at most 1024 bytes");
		return;
	}
	if (evbuffer_remove(in, body, len) != (int)len ||
	    receipt_decode(body, len, &rc, why, sizeof(why)) != 0) {
		refuse(b, req, 400, "bad_receipt", why[0] ? why : "unreadable body");
		return;
	}
	plt_wipe(&rc, sizeof(rc));
	/* decoded here for its shape; the decider decodes the bytes again */
	submit(b, req, addr, HANDOFF_RECEIPT, "", body, len);
}

/* Content-Type: application/cose (parameters after ';' allowed), as for POST /v1/token. */
static int cose_type(struct evhttp_request *req)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");

	return ct != NULL && strncmp(ct, "application/cose", 16) == 0 &&
	       (ct[16] == '\0' || ct[16] == ';');
}

/*
 * An approving technician's signed decision, or the requesting technician's
 * signed poll (poll != 0): verified on a worker like a token request.
 */
static void signed_post(struct front *b, struct evhttp_request *req, const char *addr,
                        const char *id, int poll)
{
	int r;

	if (!cose_type(req)) {
		refuse(b, req, 415, "unsupported_media_type",
		       poll ? "POST /v1/approvals/{id}/poll "
		              "takes Content-Type: application/cose; cose-type=\"cose-sign1\""
		            : "POST /v1/approvals/{id} takes Content-Type: application/cose; "
		              "cose-type=\"cose-sign1\"");
		return;
	}
	if (b->stopping) {
		refuse(b, req, 503, "shutting_down", "the broker is shutting down");
		return;
	}
	r = poll ? front_poll_submit(b, req, addr, id) : front_decision_submit(b, req, addr, id);
	if (r == PL_E_TOOBIG)
		refuse(b, req, 413, "request_too_large",
		       "the request body is larger than max_body");
	else if (r == PL_E_SRV_BUSY)
		refuse(b, req, 503, "busy", "all workers are busy; retry");
	else if (r != 0)
		refuse(b, req, 503, pl_errname(r), pl_strerror(r));
}

/* "<id>" (a decision) or "<id>/poll" (the requester's poll) under /v1/approvals/. */
static void approvals_route(struct front *b, struct evhttp_request *req, const char *rest,
                            const char *addr)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char id[40];
	size_t n = strcspn(rest, "/");
	int poll = strcmp(rest + n, "/poll") == 0;

	if (n >= sizeof(id) || (rest[n] != '\0' && !poll)) {
		refuse(b, req, 404, "not_found",
		       "under /v1/approvals/ there are {id} (POST: an "
		       "approver decides) and {id}/poll (POST: the requester polls)");
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	if (cmd != EVHTTP_REQ_POST)
		refuse(b, req, 405, "method_not_allowed",
		       poll ? "use POST /v1/approvals/{id}/poll "
		              "with the requesting technician's signed poll"
		            : "the requester polls with "
		              "a technician-signed POST /v1/approvals/{id}/poll (an unsigned GET "
		              "proves "
		              "no technician and is not answered); an approver decides with POST "
		              "/v1/approvals/{id}");
	else if (!pl_hex_is_lower(id, strlen(id), ABUSE_APPROVAL_ID_LEN))
		refuse(b, req, 404, "approval_not_found",
		       "an approval id is 32 lower-case hex "
		       "digits");
	else
		signed_post(b, req, addr, id, poll);
}

int front_abuse_route(struct front *b, struct evhttp_request *req, const char *path, int api,
                      const char *addr)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char after[24];

	if (path == NULL)
		return 0;
	if (strcmp(path, "/v1/revoked") == 0) {
		if (cmd != EVHTTP_REQ_GET)
			refuse(b, req, 405, "method_not_allowed", "use GET /v1/revoked?after=N");
		else if (after_of(req, after, sizeof(after)) != 0)
			refuse(b, req, 400, "bad_request_field",
			       "the query must be after=N (a "
			       "revocation serial)");
		else
			submit(b, req, addr, HANDOFF_REVOKED, after, NULL, 0);
		return 1;
	}
	if (!api)
		return 0; /* the admin listener serves only the revocation list */
	if (strncmp(path, APPROVALS_PREFIX, strlen(APPROVALS_PREFIX)) == 0) {
		approvals_route(b, req, path + strlen(APPROVALS_PREFIX), addr);
		return 1;
	}
	if (strcmp(path, "/v1/receipts") == 0) {
		if (cmd != EVHTTP_REQ_POST)
			refuse(b, req, 405, "method_not_allowed", "use POST /v1/receipts");
		else
			receipt_post(b, req, addr);
		return 1;
	}
	return 0;
}
