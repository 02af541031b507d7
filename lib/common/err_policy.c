/* Error table of the policy area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_policy.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
	{ PL_E_POLICY_FIRST, "policy_first", "reserved policy error code" },
	{ PL_E_POLICY_SYNTAX, "policy_syntax", "policy file is not well-formed YAML" },
	{ PL_E_POLICY_SCHEMA, "policy_schema",
	  "policy file does not follow the schema (unknown key, wrong type or missing key)" },
	{ PL_E_POLICY_REF, "policy_ref",
	  "policy refers to an operation, role or workshop it does not define" },
	{ PL_E_POLICY_VALUE, "policy_value", "policy value out of range or malformed" },
	{ PL_E_POLICY_DUP, "policy_dup", "policy defines the same name twice" },
	{ PL_E_POLICY_TZ, "policy_tz", "unknown or unreadable time zone in policy" },
	{ PL_E_POLICY_EMPTY, "policy_empty", "policy directory holds no *.yaml file" },
	{ PL_E_POLICY_LIMIT, "policy_limit", "policy exceeds a size limit (files, entries or bytes)" },
	{ PL_E_POLICY_TESTS, "policy_tests", "policy test cases failed" },
};

const char *pl_err_policy_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
