/*
 * Writes the seed corpus of fuzz_ps_recv (not built by cmake; see CORPUS.md):
 *   cc -D_GNU_SOURCE -Ibroker/proto -Ibroker/signer -Ibroker/abuse -Ibroker/policy \
 *      -Ibroker/conf -Ibroker/api -Ilib/common -Ilib/token/include tests/fuzz/ps_recv/gen_corpus.c broker/proto/ps_msg.c -o /tmp/gen && /tmp/gen tests/fuzz/ps_recv/corpus
 * Each file: one byte (the channel kind) + header + payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_msg.h"

static uint8_t buf[1 + sizeof(struct ps_hdr) + PS_MSG_MAX + 8];
static const char *dir;

static void put(const char *name, int kind, uint32_t type, uint32_t len, size_t n, int fill,
                int terminate)
{
	struct ps_hdr h = {.type = type, .len = len, .id = 1};
	const struct ps_str_field *f;
	char path[512];
	FILE *o;

	buf[0] = (uint8_t)kind;
	memcpy(buf + 1, &h, sizeof(h));
	memset(buf + 1 + sizeof(h), fill, n);
	for (size_t i = 0; terminate && (f = ps_msg_str_field(type, i)) != NULL; i++)
		if (f->off + f->size <= n)
			buf[1 + sizeof(h) + f->off + f->size - 1] = 0;
	if (type <= PS_FD_RECEIPT && type != PS_DF_ANSWER && type != PS_DF_STATUS &&
	    n >= sizeof(struct fd_request))
		memset(buf + 1 + sizeof(h) + offsetof(struct fd_request, body_len), 0, 8);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((o = fopen(path, "wb")) == NULL || fwrite(buf, 1, 1 + sizeof(h) + n, o) != 1 + sizeof(h) + n)
		exit(1);
	fclose(o);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint32_t type;
		int kind;
	} t[] = {
	    {"fd-token", PS_FD_TOKEN, PS_CH_FRONT_TO_DECIDER},
	    {"fd-revoked", PS_FD_REVOKED, PS_CH_FRONT_TO_DECIDER},
	    {"df-answer", PS_DF_ANSWER, PS_CH_DECIDER_TO_FRONT},
	    {"df-status", PS_DF_STATUS, PS_CH_DECIDER_TO_FRONT},
	    {"ds-issue", PS_DS_ISSUE, PS_CH_DECIDER_TO_SIGNER},
	    {"ds-status-req", PS_DS_STATUS_REQ, PS_CH_DECIDER_TO_SIGNER},
	    {"sd-issued", PS_SD_ISSUED, PS_CH_SIGNER_TO_DECIDER},
	    {"sd-pubkey", PS_SD_PUBKEY, PS_CH_SIGNER_TO_DECIDER},
	    {"mc-reload", PS_MC_RELOAD, PS_CH_MONITOR_TO_CHILD},
	    {"mc-boot", PS_MC_BOOT, PS_CH_MONITOR_TO_CHILD},
	    {"cm-ready", PS_CM_READY, PS_CH_CHILD_TO_MONITOR},
	};
	char name[64];

	if (argc != 2)
		return 2;
	dir = argv[1];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t n = (uint32_t)ps_msg_size(t[i].type);

		snprintf(name, sizeof(name), "valid-%s", t[i].name);
		put(name, t[i].kind, t[i].type, n, n, 'A', 1);
		snprintf(name, sizeof(name), "bad-channel-%s", t[i].name);
		put(name, (t[i].kind + 1) % 6, t[i].type, n, n, 'A', 1);
		if (ps_msg_str_field(t[i].type, 0) != NULL) {
			snprintf(name, sizeof(name), "bad-unterminated-%s", t[i].name);
			put(name, t[i].kind, t[i].type, n, n, 'A', 0);
		}
		if (n > 0) {
			snprintf(name, sizeof(name), "bad-short-%s", t[i].name);
			put(name, t[i].kind, t[i].type, n, n - 1, 0, 1);
		}
		snprintf(name, sizeof(name), "bad-len-%s", t[i].name);
		put(name, t[i].kind, t[i].type, n + 4, n, 0, 1);
	}
	{
		uint32_t n = (uint32_t)ps_msg_size(PS_FD_TOKEN) + 100;

		put("valid-fd-token-tail", PS_CH_FRONT_TO_DECIDER, PS_FD_TOKEN, n, n, 0, 1);
		put("bad-trailing-df-answer", PS_CH_DECIDER_TO_FRONT, PS_DF_ANSWER,
		    (uint32_t)ps_msg_size(PS_DF_ANSWER) + 1, (size_t)ps_msg_size(PS_DF_ANSWER) + 1, 0,
		    1);
	}
	put("bad-unknown-type", PS_CH_FRONT_TO_DECIDER, 99, 0, 0, 0, 1);
	put("bad-header-only-half", PS_CH_FRONT_TO_DECIDER, PS_FD_TOKEN, 0, 0, 0, 1);
	return 0;
}
