/*
 * The token of an approved request, co-signed like a new one (cosign.h): the
 * approval's stored request (key 1) and the approver's signed decision
 * (key 3, docs/cosigner.md) go with the broker's token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosign.h"
#include "decider.h"
#include "pitlane/token.h"
#include "pl_err.h"

/* The audit row the co-signer's refusal copies: the "issued" row of the delivery. */
static void poll_rec(const struct vreq *h, const struct abuse_approval *ap,
                     const uint8_t cti[SIGNER_CTI_LEN], struct audit_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->request_id, sizeof(rec->request_id), "%s", h->request_id);
	snprintf(rec->client_identity, sizeof(rec->client_identity), "%s", h->device_cn);
	snprintf(rec->technician, sizeof(rec->technician), "%s", ap->technician);
	snprintf(rec->workshop, sizeof(rec->workshop), "%s", ap->workshop);
	snprintf(rec->vin, sizeof(rec->vin), "%s", ap->vin);
	snprintf(rec->op, sizeof(rec->op), "%s", ap->op);
	snprintf(rec->client_addr, sizeof(rec->client_addr), "%s", h->client_addr);
	memcpy(rec->token_id, cti, sizeof(rec->token_id));
	rec->has_token_id = 1;
}

void decider_cosign_poll(struct decider *b, const struct vreq *h, const struct abuse_approval *ap,
                         const uint8_t cti[SIGNER_CTI_LEN], struct token_answer *a)
{
	struct audit_record rec;
	uint8_t *req = malloc(COSIGN_TAIL_MAX), *dec = malloc(COSIGN_TAIL_MAX);
	size_t rl = 0, dl = 0;

	poll_rec(h, ap, cti, &rec);
	if (req == NULL || dec == NULL ||
	    abuse_approval_request(b->abuse, ap->id, req, COSIGN_TAIL_MAX, &rl) != 0 ||
	    abuse_approval_signed_decision(b->abuse, ap->id, dec, COSIGN_TAIL_MAX, &dl) != 0)
		rl = dl = 0; /* an approval of before schema 0005: the co-signer refuses it */
	decider_cosign_submit(b, &rec, req != NULL ? req : dec, rl, dec, dl, ap->id, a);
	if (a->status != 0) /* withheld at once: the approval stays approved */
		(void)abuse_approval_unclaim(b->abuse, ap->id);
	if (req != NULL)
		plt_wipe(req, COSIGN_TAIL_MAX);
	free(req);
	free(dec);
}
