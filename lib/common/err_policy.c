/* Error table of the policy area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_policy.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
	{ PL_E_POLICY_FIRST, "policy_first", "reserved policy error code" },
};

const char *pl_err_policy_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
