/* Error table of the audit area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_audit.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
	{ PL_E_AUDIT_FIRST, "audit_first", "reserved audit error code" },
};

const char *pl_err_audit_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
