/*
 * The simulator's state file: one JSON object, rewritten atomically after
 * every change, e.g.
 *
 *   {"vin":"WVWZZZ1JZXW000001","session":"default","doors":"locked",
 *    "ignition":"off","auth":"none","attempts":0,"locked_out":false,
 *    "key_learn_count":0,"dtcs":["P0300","U0100"]}
 *
 * On start the persisted part (vin, doors, ignition, attempts,
 * key_learn_count, dtcs) is read back; session, auth and locked_out are
 * informational (a restart always begins in the default session, not
 * authenticated) but must be well-formed. The parser is strict: a flat object,
 * known keys once each, strings of printable ASCII without escapes, unsigned
 * decimal integers, nothing after the object but white space.
 */
#ifndef PITLANE_ECU_STATEFILE_H
#define PITLANE_ECU_STATEFILE_H

#include <stddef.h>

#include "ecu.h"

/* Largest file this module writes or reads. */
#define ECU_STATEFILE_MAX 1024

/* Writes the JSON text (with a final newline, NUL-terminated) of st. */
int ecu_statefile_format(const struct ecu_status *st, char *out, size_t cap, size_t *len);

/*
 * Parses text[0..len) into vin (NUL-terminated) and *v. Returns 0,
 * PL_E_SYNTAX (not the format above), PL_E_RANGE (a number too large, too many
 * DTCs), PL_E_NOTFOUND (a required key is missing) or PL_E_EXISTS (a key
 * twice); *err_off (if not NULL) gets the byte offset of the problem.
 * Outputs are written only on success.
 */
int ecu_statefile_parse(const char *text, size_t len, char vin[PLT_VIN_LEN + 1],
                        struct ecu_vehicle *v, size_t *err_off);

#endif
