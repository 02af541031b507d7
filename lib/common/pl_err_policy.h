/* Error codes of the policy area (-300 .. -349). Append-only; see pl_err.h. Owner: broker/policy. */
#ifndef PITLANE_ERR_POLICY_H
#define PITLANE_ERR_POLICY_H

enum pl_err_policy {
	PL_E_POLICY_FIRST = -300,   /* reserved: marks the start of the range */
	PL_E_POLICY_SYNTAX = -301,  /* a policy file is not well-formed YAML */
	PL_E_POLICY_SCHEMA = -302,  /* unknown key, wrong type, missing key, alias/anchor/tag */
	PL_E_POLICY_REF = -303,     /* a reference names an undefined operation/role/workshop */
	PL_E_POLICY_VALUE = -304,   /* a value is out of range or malformed (TTL, VIN prefix, time) */
	PL_E_POLICY_DUP = -305,     /* the same name is defined twice */
	PL_E_POLICY_TZ = -306,      /* unknown or unreadable time zone */
	PL_E_POLICY_EMPTY = -307,   /* the directory holds no policy file */
	PL_E_POLICY_LIMIT = -308,   /* too many files, entries or bytes */
	PL_E_POLICY_TESTS = -309,   /* one or more `tests:` cases failed */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_policy_text(int err, int name);

#endif
