/*
 * Writes the seed corpus of fuzz_ecusim into DIR: request sequences that
 * reach every service and the authenticated state (tokens answer the
 * deterministic challenges and carry the stand-in "valid" signature).
 * Run by hand when the input format changes: make_corpus DIR
 */
#include <stdio.h>
#include <string.h>

#include "ecu_routine.h"
#include "fuzz_ecusim.h"
#include "uds.h"

struct seq {
	uint8_t buf[4096];
	size_t len;
};

static void add(struct seq *s, uint8_t dt, const uint8_t *req, size_t len)
{
	s->buf[s->len++] = dt;
	s->buf[s->len++] = (uint8_t)(len >> 8);
	s->buf[s->len++] = (uint8_t)len;
	memcpy(s->buf + s->len, req, len);
	s->len += len;
}

static void add_req(struct seq *s, uint8_t dt, const struct uds_request *rq)
{
	uint8_t b[1024];
	size_t n = 0;

	if (uds_build_request(rq, b, sizeof(b), &n) == 0)
		add(s, dt, b, n);
}

static int zero_sign(void *ctx, const struct plt_iov *parts, size_t n, uint8_t sig[PLT_SIG_LEN])
{
	(void)ctx;
	(void)parts;
	(void)n;
	memset(sig, 0, PLT_SIG_LEN);
	return 0;
}

/* The token for the k-th challenge of an input (challenges are 32 bytes). */
static size_t token(unsigned k, const char *vin, const char *op, uint32_t exi, uint8_t *out)
{
	static const uint8_t cti[PLT_CTI_LEN];
	uint8_t cn[32];
	struct plt_claims c;
	size_t len = 0;

	for (int i = 0; i < 32; i++)
		cn[i] = (uint8_t)(k * 32 + (unsigned)i);
	memset(&c, 0, sizeof(c));
	c.present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
		    PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI;
	c.iss = (struct plt_bytes){ (const uint8_t *)"fuzz", 4 };
	c.aud = (struct plt_bytes){ (const uint8_t *)vin, strlen(vin) };
	c.iat = 1700000000;
	c.exp = 1700000300;
	c.cti = (struct plt_bytes){ cti, sizeof(cti) };
	c.scope = (struct plt_bytes){ (const uint8_t *)op, strlen(op) };
	c.cnonce = (struct plt_bytes){ cn, sizeof(cn) };
	c.exi = exi;
	if (plt_encode(&c, fuzz_kid, zero_sign, NULL, out, PLT_TOKEN_MAX, &len) != 0)
		return 0;
	return len;
}

static void auth(struct seq *s, unsigned k, const char *vin, const char *op, uint8_t dt)
{
	struct uds_request ch = { .sid = UDS_SID_AUTH, .sub = UDS_AUTH_REQUEST_CHALLENGE };
	struct uds_request v = { .sid = UDS_SID_AUTH, .sub = UDS_AUTH_VERIFY_POWN_UNI };
	uint8_t tok[PLT_TOKEN_MAX];

	memcpy(ch.alg_ind, uds_pitlane_alg_ind, UDS_AUTH_ALG_IND_LEN);
	memcpy(v.alg_ind, uds_pitlane_alg_ind, UDS_AUTH_ALG_IND_LEN);
	add_req(s, 0, &ch);
	v.proof.ptr = tok;
	v.proof.len = token(k, vin, op, 30, tok);
	add_req(s, dt, &v);
}

static void routine(struct seq *s, uint16_t rid, uint8_t dt)
{
	struct uds_request rq = { .sid = UDS_SID_ROUTINE, .sub = UDS_ROUTINE_START,
				  .routine_id = rid };
	add_req(s, dt, &rq);
}

static const uint8_t ext[] = { 0x10, 0x03 };

static int write_seed(const char *dir, const char *name, const struct seq *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return 1;
	fwrite(s->buf, 1, s->len, f);
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	static const uint8_t vin[] = { 0x22, 0xF1, 0x90 }, dtc[] = { 0x19, 0x02, 0xFF },
			     dtc1[] = { 0x19, 0x01, 0x09 }, tp[] = { 0x3E, 0x00 },
			     reset[] = { 0x11, 0x01 }, cfg[] = { 0x29, 0x08 },
			     deauth[] = { 0x29, 0x00 }, clear[] = { 0x14, 0xFF, 0xFF, 0xFF },
			     dflt[] = { 0x10, 0x01 }, spr[] = { 0x3E, 0x80 };
	struct seq s;
	int r = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus DIR\n");
		return 2;
	}
	memset(&s, 0, sizeof(s));
	add(&s, 0, vin, sizeof(vin));
	add(&s, 0, dtc, sizeof(dtc));
	add(&s, 0, dtc1, sizeof(dtc1));
	add(&s, 0, tp, sizeof(tp));
	add(&s, 0, spr, sizeof(spr));
	r |= write_seed(argv[1], "reads", &s);

	for (size_t i = 0; i < ecu_routine_count(); i++) {
		const struct ecu_routine *rt = ecu_routine_at(i);
		char name[64];
		memset(&s, 0, sizeof(s));
		add(&s, 0, ext, sizeof(ext));
		auth(&s, 0, FUZZ_VIN, rt->op, 1);
		routine(&s, rt->id, 1);
		add(&s, 0, deauth, sizeof(deauth));
		routine(&s, rt->id, 0);
		snprintf(name, sizeof(name), "flow-%s", rt->op);
		r |= write_seed(argv[1], name, &s);
	}

	memset(&s, 0, sizeof(s));
	add(&s, 0, ext, sizeof(ext));
	auth(&s, 0, "WVWZZZ1JZXW000002", "door.unlock", 0);
	auth(&s, 1, FUZZ_VIN, "odometer.reset", 0);
	auth(&s, 2, "WVWZZZ1JZXW000002", "door.unlock", 0);
	add(&s, 0, cfg, sizeof(cfg));
	auth(&s, 3, FUZZ_VIN, "door.unlock", 0);
	add(&s, 40, tp, sizeof(tp));
	add(&s, 40, tp, sizeof(tp));
	add(&s, 30, tp, sizeof(tp));
	auth(&s, 3, FUZZ_VIN, "door.unlock", 0);
	routine(&s, ECU_RID_DOOR_UNLOCK, 0);
	r |= write_seed(argv[1], "lockout", &s);

	memset(&s, 0, sizeof(s));
	add(&s, 0, ext, sizeof(ext));
	auth(&s, 0, FUZZ_VIN, "dtc.clear", 0);
	add(&s, 0, clear, sizeof(clear));
	add(&s, 40, tp, sizeof(tp));
	add(&s, 60, clear, sizeof(clear));
	add(&s, 0, reset, sizeof(reset));
	add(&s, 0, dflt, sizeof(dflt));
	r |= write_seed(argv[1], "timeouts", &s);

	memset(&s, 0, sizeof(s));
	add(&s, 0, ext, sizeof(ext));
	auth(&s, 0, FUZZ_VIN, "ignition.enable", 0);
	routine(&s, ECU_RID_DOOR_UNLOCK, 0);
	routine(&s, 0xF0FF, 0);
	add(&s, 0, (const uint8_t *)"\x31\x02\xF0\x03", 4);
	add(&s, 0, (const uint8_t *)"\x27\x01", 2);
	add(&s, 0, (const uint8_t *)"\x22\xF1", 2);
	r |= write_seed(argv[1], "refusals", &s);
	return r;
}
