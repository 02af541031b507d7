/* Error table of the agent area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_agent.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
	{ PL_E_AGENT_FIRST, "agent_first", "reserved agent error code" },
};

const char *pl_err_agent_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
