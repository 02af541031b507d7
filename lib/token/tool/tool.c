/* Host-side token tooling: read tokens, load anchors, print JSON. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pitlane/token_openssl.h"
#include "pitlane/token_tool.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_file.h"

/* Keeps the hex digits of text (drops whitespace); PL_E_SYNTAX on other bytes. */
static int hex_compact(const uint8_t *text, size_t len, char *out, size_t *olen)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (isspace(text[i]))
			continue;
		if (pl_hex_value((char)text[i], PL_HEX_ANY) < 0)
			return PL_E_SYNTAX;
		out[n++] = (char)text[i];
	}
	*olen = n;
	return 0;
}

int plt_tool_read_token(const char *path, int hex, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t *data = NULL;
	char *digits = NULL;
	size_t dlen = 0, n = 0, max;
	int r;

	/* Hex text needs two characters a byte, plus room for line breaks. */
	max = hex ? 4 * cap + 64 : cap;
	if ((r = pl_read_file(path, max, &data, &dlen)) != 0)
		goto out;
	if (!hex) {
		memcpy(buf, data, dlen);
		*len = dlen;
		goto out;
	}
	digits = malloc(dlen + 1);
	if (digits == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	if ((r = hex_compact(data, dlen, digits, &n)) != 0)
		goto out;
	if (n / 2 > cap) {
		r = PL_E_TOOBIG;
		goto out;
	}
	r = pl_hex_decode(digits, n, buf, cap, len);
out:
	free(digits);
	free(data);
	return r;
}

int plt_tool_anchor_file(const char *path, struct plt_trust_anchor *out)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	int r;

	if ((r = pl_read_file(path, 64 * 1024, &pem, &len)) != 0)
		return r;
	r = plt_openssl_anchor_from_pem((const char *)pem, len, out);
	free(pem);
	return r;
}

static void json_hex(FILE *out, struct plt_bytes b)
{
	fputc('"', out);
	pl_hex_fput(out, b.ptr, b.len);
	fputc('"', out);
}

/* Text claims are valid UTF-8 (the decoder checked); escape for JSON. */
static void json_text(FILE *out, struct plt_bytes b)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < b.len; i++) {
		uint8_t c = b.ptr[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void plt_tool_claims_json(FILE *out, const struct plt_claims *c)
{
	const char *sep = "";

#define FIELD(bit, name, code)                                                                     \
	do {                                                                                       \
		if (c->present & (bit)) {                                                          \
			fprintf(out, "%s\"%s\": ", sep, name);                                     \
			code;                                                                      \
			sep = ", ";                                                                \
		}                                                                                  \
	} while (0)
	fputc('{', out);
	FIELD(PLT_HAS_ISS, "iss", json_text(out, c->iss));
	FIELD(PLT_HAS_AUD, "aud", json_text(out, c->aud));
	FIELD(PLT_HAS_EXP, "exp", fprintf(out, "%lld", (long long)c->exp));
	FIELD(PLT_HAS_IAT, "iat", fprintf(out, "%lld", (long long)c->iat));
	FIELD(PLT_HAS_CTI, "cti", json_hex(out, c->cti));
	FIELD(PLT_HAS_SCOPE, "scope", json_text(out, c->scope));
	FIELD(PLT_HAS_CNONCE, "cnonce", json_hex(out, c->cnonce));
	FIELD(PLT_HAS_EXI, "exi", fprintf(out, "%lu", (unsigned long)c->exi));
	FIELD(PLT_HAS_WORKSHOP, "workshop", json_text(out, c->workshop));
	FIELD(PLT_HAS_TECHNICIAN, "technician", json_text(out, c->technician));
	FIELD(PLT_HAS_WORK_ORDER, "work_order", json_text(out, c->work_order));
	FIELD(PLT_HAS_POLICY_VER, "policy_version",
	      fprintf(out, "%lu", (unsigned long)c->policy_version));
	fputc('}', out);
#undef FIELD
}

int plt_tool_inspect_json(FILE *out, const uint8_t *tok, size_t len, size_t *err_off)
{
	struct plt_token t;
	int r;

	if ((r = plt_decode(tok, len, &t, err_off)) != 0)
		return r;
	fprintf(out, "{\"size\": %zu, \"protected\": {\"alg\": %lld, \"kid\": ", len,
	        (long long)t.alg);
	json_hex(out, t.kid);
	fputs("}, \"claims\": ", out);
	plt_tool_claims_json(out, &t.claims);
	fputs(", \"signature\": ", out);
	json_hex(out, t.signature);
	fprintf(out, ", \"tag\": %u, \"signers\": [", t.tag);
	for (size_t i = 0; i < t.nsigners; i++) {
		fputs(i ? ", {\"kid\": " : "{\"kid\": ", out);
		json_hex(out, t.signers[i].kid);
		fputs(", \"signature\": ", out);
		json_hex(out, t.signers[i].signature);
		fputc('}', out);
	}
	fputs("]}\n", out);
	return 0;
}
