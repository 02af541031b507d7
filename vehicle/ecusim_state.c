/* pitlane-ecusim: trust anchors, the state file, and the state log line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecu_statefile.h"
#include "ecusim.h"
#include "pitlane/token_openssl.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_file.h"
#include "pl_log.h"

#define TRUST_PEM_MAX 65536

int ecusim_trust_load(const struct ecusim_opts *o, struct plt_trust_anchor *anchors, size_t *count)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	char kid[2 * PLT_KID_LEN + 1];
	int r = 0;

	*count = 0;
	for (size_t i = 0; i < o->ntrust; i++) {
		const char *path = o->trust_paths[i];

		if ((r = pl_read_file(path, TRUST_PEM_MAX, &pem, &len)) != 0) {
			pl_log_err("trust_unreadable", r, "file", path, "hint",
			           "pass the broker's public key (PEM) with --trust", NULL);
			goto out;
		}
		r = plt_openssl_anchor_from_pem((const char *)pem, len, &anchors[i]);
		pl_free_wiped(pem, len);
		pem = NULL;
		if (r != 0) {
			pl_log_err("trust_invalid", r, "file", path, "hint",
			           "expected a PEM P-256 public key or certificate", NULL);
			goto out;
		}
		anchors[i].role = o->trust_roles[i];
		pl_hex_encode(anchors[i].kid, PLT_KID_LEN, kid, sizeof(kid));
		pl_log(PL_LOG_INFO, "trust_anchor", "file", path, "kid", kid, "role",
		       ecusim_role_name(anchors[i].role), NULL);
	}
	*count = o->ntrust;
	r = 0;
out:
	return r;
}

int ecusim_state_load(const char *path, const char *vin, struct ecu_vehicle *v, int *found)
{
	uint8_t *text = NULL;
	size_t len = 0, off = 0;
	char fvin[PLT_VIN_LEN + 1];
	char offs[24];
	int r;

	*found = 0;
	r = pl_read_file(path, ECU_STATEFILE_MAX, &text, &len);
	if (r == PL_E_NOENT)
		return 0;
	if (r != 0) {
		pl_log_err("state_unreadable", r, "file", path, NULL);
		return r;
	}
	r = ecu_statefile_parse((const char *)text, len, fvin, v, &off);
	free(text);
	if (r != 0) {
		snprintf(offs, sizeof(offs), "%zu", off);
		pl_log_err("state_invalid", r, "file", path, "offset", offs, "hint",
		           "fix or delete the state file (a deleted file means factory state "
		           "and a reset attempt counter)",
		           NULL);
		return r;
	}
	if (strcmp(fvin, vin) != 0) {
		pl_log_err("state_other_vin", PL_E_CONFIG, "file", path, "file_vin", fvin, "vin",
		           vin, "hint", "use one state file per simulated vehicle", NULL);
		return PL_E_CONFIG;
	}
	*found = 1;
	return 0;
}

int ecusim_state_save(const char *path, const struct ecu_status *st)
{
	char text[ECU_STATEFILE_MAX];
	size_t len = 0;
	int r;

	if ((r = ecu_statefile_format(st, text, sizeof(text), &len)) != 0 ||
	    (r = pl_write_file(path, text, len, 0644)) != 0)
		pl_log_err("state_write_failed", r, "file", path, NULL);
	return r;
}

void ecusim_state_log(const struct ecu_status *st)
{
	char attempts[16], keys[16], dtcs[16];

	snprintf(attempts, sizeof(attempts), "%u", (unsigned)st->vehicle.failed_attempts);
	snprintf(keys, sizeof(keys), "%u", (unsigned)st->vehicle.key_learn_count);
	snprintf(dtcs, sizeof(dtcs), "%zu", st->vehicle.ndtc);
	pl_log(PL_LOG_INFO, "state", "session",
	       st->session == ECU_SESSION_EXTENDED ? "extended" : "default", "doors",
	       st->vehicle.doors_locked ? "locked" : "unlocked", "ignition",
	       st->vehicle.ignition_on ? "on" : "off", "auth",
	       st->scope[0] != '\0' ? st->scope : "none", "attempts", attempts, "locked_out",
	       st->locked_out ? "yes" : "no", "key_learn_count", keys, "dtcs", dtcs, NULL);
}
