/*
 * libFuzzer target for the agent's readers of broker answers (agent/problem.c):
 * RFC 9290 problem details (4xx/5xx) and the pending-approval map (202). The
 * first byte picks the reader, the rest is the body. Beyond no crash and no
 * out-of-bounds access: every text copied out is NUL-terminated inside its
 * field and holds no control character (it is printed to the technician's
 * terminal), and the numbers stay in their documented ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
	const char *end = memchr(s, '\0', cap);

	if (end == NULL)
		abort();
	for (const char *c = s; c < end; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();
}

#define TEXT(field) check_text(rep.field, sizeof(rep.field))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct broker_reply rep;

	if (size == 0)
		return 0;
	memset(&rep, 0, sizeof(rep));
	rep.retry_after = -1;
	if (data[0] & 1)
		(void)broker_parse_pending(data + 1, size - 1, &rep);
	else
		(void)broker_parse_problem(data + 1, size - 1, &rep);
	TEXT(code);
	TEXT(rule);
	TEXT(request_id);
	TEXT(title);
	TEXT(detail);
	TEXT(approval_id);
	TEXT(status_text);
	if (rep.retry_after < -1 || rep.retry_after >= 86400L * 366 || rep.expires < 0)
		abort();
	return 0;
}
