/*
 * pitlaned -n: each process's part opened in turn in this one process, as
 * each process would open it, then closed. Nothing is served.
 */
#include <stdio.h>

#include "cosigner_client.h"
#include "decider.h"
#include "front.h"
#include "pl_err.h"
#include "privsep.h"
#include "signer_limits.h"

int ps_check_all(const struct broker_config *c, char *err, size_t errlen)
{
	uint8_t pub[SIGNER_PUB_LEN], kid[SIGNER_KID_LEN];
	struct signer *s = NULL;
	struct decider *d = NULL;
	struct front *f = NULL;
	int r;

	if ((r = signer_open_conf(c, &s, err, errlen)) != 0)
		goto out;
	/* the co-signer's certificate, key and address (no connection is made) */
	if ((r = cosigner_client_check(c, err, errlen)) != 0)
		goto out;
	if ((r = signer_public_key(s, pub, kid)) != 0) {
		snprintf(err, errlen, "audit checkpoint signer: %s", pl_strerror(r));
		goto out;
	}
	if ((r = decider_open(c, signer_audit_sign, s, pub, &d, err, errlen)) != 0)
		goto out;
	r = front_open(c, -1, -1, &f, err, errlen);
out:
	front_close(f);
	decider_close(d); /* its final checkpoint is signed by s */
	signer_close(s);
	return r;
}
