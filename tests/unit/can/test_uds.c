/* UDS codec: every request and response both ways, exact bytes, and the NRC table. */
#include <criterion/criterion.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_can.h"
#include "uds.h"

static uint8_t out[UDS_MAX_MSG];

/* Builds q, compares with exp, parses the bytes back into *back. */
static void req_roundtrip(const struct uds_request *q, const uint8_t *exp, size_t elen,
			  struct uds_request *back)
{
	size_t n = 0;

	cr_assert_eq(uds_build_request(q, out, sizeof(out), &n), 0);
	cr_assert_eq(n, elen, "built %zu bytes, expected %zu", n, elen);
	cr_assert_eq(memcmp(out, exp, elen), 0);
	cr_assert_eq(uds_parse_request(exp, elen, back), 0);
	cr_assert_eq(back->sid, q->sid);
	cr_assert_eq(back->sub, q->sub);
	cr_assert_eq(back->suppress_pos, q->suppress_pos);
}

static void rsp_roundtrip(const struct uds_response *p, const uint8_t *exp, size_t elen,
			  struct uds_response *back)
{
	size_t n = 0;

	cr_assert_eq(uds_build_response(p, out, sizeof(out), &n), 0);
	cr_assert_eq(n, elen, "built %zu bytes, expected %zu", n, elen);
	cr_assert_eq(memcmp(out, exp, elen), 0);
	cr_assert_eq(uds_parse_response(exp, elen, p->sid, p->sub, back), 0);
	cr_assert_eq(back->nrc, 0);
}

Test(uds_codec, REQ_CAN_040_session_control)
{
	const uint8_t rq[] = { 0x10, 0x03 };
	const uint8_t rq_s[] = { 0x10, 0x83 };
	const uint8_t rs[] = { 0x50, 0x03, 0x00, 0x32, 0x01, 0xF4 };
	struct uds_request q = { .sid = 0x10, .sub = 0x03 }, bq;
	struct uds_response p = { .sid = 0x10, .sub = 0x03, .p2_ms = 50, .p2star_ms = 5000 }, bp;

	req_roundtrip(&q, rq, sizeof(rq), &bq);
	q.suppress_pos = 1;
	req_roundtrip(&q, rq_s, sizeof(rq_s), &bq);
	rsp_roundtrip(&p, rs, sizeof(rs), &bp);
	cr_assert_eq(bp.p2_ms, 50);
	cr_assert_eq(bp.p2star_ms, 5000);
	p.p2star_ms = 5005;
	cr_assert_eq(uds_build_response(&p, out, sizeof(out), &(size_t){ 0 }), PL_E_UDS_BAD_VALUE,
		     "P2* travels in 10 ms units");
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x10 }, 1, &bq), PL_E_UDS_LENGTH);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x10, 0x03, 0x00 }, 3, &bq),
		     PL_E_UDS_LENGTH);
	cr_assert_eq(uds_parse_response(rs, 5, 0x10, 0x03, &bp), PL_E_UDS_LENGTH);
	cr_assert_eq(uds_parse_response(rs, sizeof(rs), 0x10, 0x02, &bp), PL_E_UDS_MISMATCH);
}

Test(uds_codec, REQ_CAN_041_ecu_reset)
{
	const uint8_t rq[] = { 0x11, 0x01 };
	const uint8_t rs[] = { 0x51, 0x01 };
	struct uds_request q = { .sid = 0x11, .sub = 0x01 }, bq;
	struct uds_response p = { .sid = 0x11, .sub = 0x01 }, bp;

	req_roundtrip(&q, rq, sizeof(rq), &bq);
	rsp_roundtrip(&p, rs, sizeof(rs), &bp);
	cr_assert_eq(bp.sub, 0x01);
}

Test(uds_codec, REQ_CAN_042_read_vin)
{
	const uint8_t rq[] = { 0x22, 0xF1, 0x90 };
	uint8_t rs[20] = { 0x62, 0xF1, 0x90 };
	const char *vin = "WVWZZZ1JZXW000001";
	struct uds_request q = { .sid = 0x22, .did = UDS_DID_VIN }, bq;
	struct uds_response p = { .sid = 0x22, .did = UDS_DID_VIN }, bp;

	memcpy(rs + 3, vin, 17);
	req_roundtrip(&q, rq, sizeof(rq), &bq);
	cr_assert_eq(bq.did, 0xF190);
	p.data.ptr = (const uint8_t *)vin;
	p.data.len = 17;
	rsp_roundtrip(&p, rs, sizeof(rs), &bp);
	cr_assert_eq(bp.did, 0xF190);
	cr_assert_eq(bp.data.len, 17);
	cr_assert_eq(memcmp(bp.data.ptr, vin, 17), 0);
	cr_assert_eq(bp.data.ptr, rs + 3, "views point into the parsed buffer");
	/* one DID per request */
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x22, 0xF1, 0x90, 0xF1, 0x8C }, 5, &bq),
		     PL_E_UDS_LENGTH);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x22, 0xF1 }, 2, &bq), PL_E_UDS_LENGTH);
}

static const uint8_t alg[16] = { 0x70, 0x6C, 0x2D, 0x63, 0x77, 0x74, 0x2D, 0x65,
				 0x73, 0x32, 0x35, 0x36, 0x00, 0x00, 0x00, 0x01 };

Test(uds_codec, REQ_CAN_043_algorithm_indicator_value)
{
	cr_assert_eq(memcmp(uds_pitlane_alg_ind, alg, 16), 0);
	cr_assert_eq(memcmp(uds_pitlane_alg_ind, "pl-cwt-es256", 12), 0);
}

Test(uds_codec, REQ_CAN_044_auth_configuration_and_deauthenticate)
{
	const uint8_t rq8[] = { 0x29, 0x08 }, rs8[] = { 0x69, 0x08, 0x03 };
	const uint8_t rq0[] = { 0x29, 0x00 }, rs0[] = { 0x69, 0x00, 0x10 };
	struct uds_request q = { .sid = 0x29, .sub = 0x08 }, bq;
	struct uds_response p = { .sid = 0x29, .sub = 0x08, .auth_ret = 0x03 }, bp;

	req_roundtrip(&q, rq8, sizeof(rq8), &bq);
	rsp_roundtrip(&p, rs8, sizeof(rs8), &bp);
	cr_assert_eq(bp.auth_ret, 0x03);
	q.sub = 0x00;
	p.sub = 0x00;
	p.auth_ret = 0x10;
	req_roundtrip(&q, rq0, sizeof(rq0), &bq);
	rsp_roundtrip(&p, rs0, sizeof(rs0), &bp);
	cr_assert_eq(bp.auth_ret, 0x10);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x29, 0x01 }, 2, &bq), PL_E_UDS_SUBFUNC);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x29, 0x08, 0x00 }, 3, &bq),
		     PL_E_UDS_LENGTH);
	cr_assert_eq(uds_parse_response((const uint8_t[]){ 0x69, 0x08 }, 2, 0x29, 0x08, &bp),
		     PL_E_UDS_LENGTH);
}

Test(uds_codec, REQ_CAN_045_request_challenge)
{
	uint8_t rq[19] = { 0x29, 0x05, 0x00 };
	uint8_t chal[32];
	uint8_t rs[3 + 16 + 2 + 32 + 2];
	struct uds_request q = { .sid = 0x29, .sub = 0x05 }, bq;
	struct uds_response p = { .sid = 0x29, .sub = 0x05, .auth_ret = 0x00 }, bp;

	memcpy(rq + 3, alg, 16);
	memcpy(q.alg_ind, uds_pitlane_alg_ind, 16);
	req_roundtrip(&q, rq, sizeof(rq), &bq);
	cr_assert_eq(bq.comm_cfg, 0);
	cr_assert_eq(memcmp(bq.alg_ind, alg, 16), 0);
	cr_assert_eq(uds_parse_request(rq, 18, &bq), PL_E_UDS_LENGTH);

	for (size_t i = 0; i < sizeof(chal); i++)
		chal[i] = (uint8_t)(0xC0 + i);
	rs[0] = 0x69;
	rs[1] = 0x05;
	rs[2] = 0x00;
	memcpy(rs + 3, alg, 16);
	rs[19] = 0x00;
	rs[20] = 0x20;
	memcpy(rs + 21, chal, 32);
	rs[53] = 0x00;
	rs[54] = 0x00;
	memcpy(p.alg_ind, alg, 16);
	p.challenge.ptr = chal;
	p.challenge.len = 32;
	rsp_roundtrip(&p, rs, sizeof(rs), &bp);
	cr_assert_eq(bp.challenge.len, 32);
	cr_assert_eq(memcmp(bp.challenge.ptr, chal, 32), 0);
	cr_assert_eq(bp.needed.len, 0);
	cr_assert_eq(memcmp(bp.alg_ind, alg, 16), 0);
	/* a length field that disagrees with the message */
	rs[20] = 0x21;
	cr_assert_eq(uds_parse_response(rs, sizeof(rs), 0x29, 0x05, &bp), PL_E_UDS_LENGTH);
	rs[20] = 0x1F;
	cr_assert_eq(uds_parse_response(rs, sizeof(rs), 0x29, 0x05, &bp), PL_E_UDS_LENGTH);
}

Test(uds_codec, REQ_CAN_046_verify_proof_of_ownership_carries_the_token)
{
	uint8_t token[400];
	static uint8_t rq[2 + 16 + 2 + 400 + 2 + 2];
	uint8_t rs[3 + 16 + 2] = { 0x69, 0x06, 0x12 };
	struct uds_request q = { .sid = 0x29, .sub = 0x06 }, bq;
	struct uds_response p = { .sid = 0x29, .sub = 0x06, .auth_ret = 0x12 }, bp;

	for (size_t i = 0; i < sizeof(token); i++)
		token[i] = (uint8_t)i;
	rq[0] = 0x29;
	rq[1] = 0x06;
	memcpy(rq + 2, alg, 16);
	rq[18] = 0x01;
	rq[19] = 0x90;
	memcpy(rq + 20, token, 400);
	/* challengeClient and additionalParameter: empty */
	memcpy(q.alg_ind, alg, 16);
	q.proof.ptr = token;
	q.proof.len = 400;
	req_roundtrip(&q, rq, sizeof(rq), &bq);
	cr_assert_eq(sizeof(rq), 424);
	cr_assert_eq(bq.proof.len, 400);
	cr_assert_eq(memcmp(bq.proof.ptr, token, 400), 0);
	cr_assert_eq(bq.challenge_client.len, 0);
	cr_assert_eq(bq.additional.len, 0);
	cr_assert_eq(uds_parse_request(rq, sizeof(rq) - 1, &bq), PL_E_UDS_LENGTH);
	rq[19] = 0x91;
	cr_assert_eq(uds_parse_request(rq, sizeof(rq), &bq), PL_E_UDS_LENGTH);

	memcpy(rs + 3, alg, 16);
	memcpy(p.alg_ind, alg, 16);
	rsp_roundtrip(&p, rs, sizeof(rs), &bp);
	cr_assert_eq(bp.auth_ret, 0x12);
	cr_assert_eq(bp.session_key.len, 0);
}

Test(uds_codec, REQ_CAN_047_routine_control)
{
	const uint8_t rq[] = { 0x31, 0x01, 0x02, 0x01 };
	const uint8_t rq_opt[] = { 0x31, 0x01, 0x02, 0x01, 0xAA, 0xBB };
	const uint8_t rs[] = { 0x71, 0x01, 0x02, 0x01, 0x00 };
	const uint8_t st = 0x00, opt[2] = { 0xAA, 0xBB };
	struct uds_request q = { .sid = 0x31, .sub = 0x01, .routine_id = 0x0201 }, bq;
	struct uds_response p = { .sid = 0x31, .sub = 0x01, .routine_id = 0x0201 }, bp;

	req_roundtrip(&q, rq, sizeof(rq), &bq);
	cr_assert_eq(bq.routine_id, 0x0201);
	cr_assert_eq(bq.option.len, 0);
	q.option.ptr = opt;
	q.option.len = 2;
	req_roundtrip(&q, rq_opt, sizeof(rq_opt), &bq);
	cr_assert_eq(bq.option.len, 2);
	cr_assert_eq(bq.option.ptr[1], 0xBB);
	p.data.ptr = &st;
	p.data.len = 1;
	rsp_roundtrip(&p, rs, sizeof(rs), &bp);
	cr_assert_eq(bp.routine_id, 0x0201);
	cr_assert_eq(bp.data.len, 1);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x31, 0x01, 0x02 }, 3, &bq),
		     PL_E_UDS_LENGTH);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x31, 0x04, 0x02, 0x01 }, 4, &bq),
		     PL_E_UDS_SUBFUNC);
}

Test(uds_codec, REQ_CAN_048_tester_present)
{
	const uint8_t rq[] = { 0x3E, 0x00 }, rq_s[] = { 0x3E, 0x80 }, rs[] = { 0x7E, 0x00 };
	struct uds_request q = { .sid = 0x3E }, bq;
	struct uds_response p = { .sid = 0x3E }, bp;

	req_roundtrip(&q, rq, sizeof(rq), &bq);
	q.suppress_pos = 1;
	req_roundtrip(&q, rq_s, sizeof(rq_s), &bq);
	cr_assert_eq(bq.suppress_pos, 1);
	rsp_roundtrip(&p, rs, sizeof(rs), &bp);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x3E, 0x01 }, 2, &bq), PL_E_UDS_SUBFUNC);
}

Test(uds_codec, REQ_CAN_049_clear_and_read_dtc)
{
	const uint8_t rq14[] = { 0x14, 0xFF, 0xFF, 0xFF }, rs14[] = { 0x54 };
	const uint8_t rq1901[] = { 0x19, 0x01, 0x08 };
	const uint8_t rs1901[] = { 0x59, 0x01, 0xFF, 0x01, 0x00, 0x02 };
	const uint8_t rq1902[] = { 0x19, 0x02, 0x08 };
	const uint8_t recs[] = { 0x12, 0x34, 0x56, 0x08, 0xC1, 0x00, 0x01, 0x09 };
	uint8_t rs1902[3 + sizeof(recs)] = { 0x59, 0x02, 0xFF };
	struct uds_request q = { .sid = 0x14, .dtc_group = UDS_DTC_GROUP_ALL }, bq;
	struct uds_response p = { .sid = 0x14 }, bp;
	uint32_t dtc;
	uint8_t status;

	req_roundtrip(&q, rq14, sizeof(rq14), &bq);
	cr_assert_eq(bq.dtc_group, 0xFFFFFF);
	rsp_roundtrip(&p, rs14, sizeof(rs14), &bp);
	q.dtc_group = 0x1000000;
	cr_assert_eq(uds_build_request(&q, out, sizeof(out), &(size_t){ 0 }), PL_E_UDS_BAD_VALUE);

	memset(&q, 0, sizeof(q));
	q.sid = 0x19;
	q.sub = 0x01;
	q.dtc_mask = 0x08;
	req_roundtrip(&q, rq1901, sizeof(rq1901), &bq);
	cr_assert_eq(bq.dtc_mask, 0x08);
	memset(&p, 0, sizeof(p));
	p.sid = 0x19;
	p.sub = 0x01;
	p.dtc_avail_mask = 0xFF;
	p.dtc_format = 0x01;
	p.dtc_count = 2;
	rsp_roundtrip(&p, rs1901, sizeof(rs1901), &bp);
	cr_assert_eq(bp.dtc_count, 2);

	q.sub = 0x02;
	req_roundtrip(&q, rq1902, sizeof(rq1902), &bq);
	memcpy(rs1902 + 3, recs, sizeof(recs));
	p.sub = 0x02;
	p.dtc_records.ptr = recs;
	p.dtc_records.len = sizeof(recs);
	rsp_roundtrip(&p, rs1902, sizeof(rs1902), &bp);
	cr_assert_eq(uds_dtc_record_count(&bp), 2);
	cr_assert_eq(uds_dtc_record(&bp, 1, &dtc, &status), 0);
	cr_assert_eq(dtc, 0xC10001);
	cr_assert_eq(status, 0x09);
	cr_assert_eq(uds_dtc_record(&bp, 2, &dtc, &status), PL_E_RANGE);
	cr_assert_eq(uds_parse_response(rs1902, sizeof(rs1902) - 1, 0x19, 0x02, &bp),
		     PL_E_UDS_LENGTH, "records are 4 bytes each");
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x19, 0x0A }, 2, &bq), PL_E_UDS_SUBFUNC);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x14, 0xFF, 0xFF }, 3, &bq),
		     PL_E_UDS_LENGTH);
}

Test(uds_codec, REQ_CAN_050_negative_response_is_data_not_error)
{
	const uint8_t neg[] = { 0x7F, 0x31, 0x34 };
	struct uds_response p = { .sid = 0x31, .sub = 0x01, .nrc = 0x34 }, bp;
	size_t n;

	cr_assert_eq(uds_build_response(&p, out, sizeof(out), &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(memcmp(out, neg, 3), 0);
	cr_assert_eq(uds_build_negative(0x31, 0x34, out, 3, &n), 0);
	cr_assert_eq(memcmp(out, neg, 3), 0);
	cr_assert_eq(uds_build_negative(0x31, 0x34, out, 2, &n), PL_E_NOSPACE);
	cr_assert_eq(uds_build_negative(0x31, 0x00, out, 3, &n), PL_E_UDS_BAD_VALUE);
	cr_assert_eq(uds_parse_response(neg, 3, 0x31, 0x01, &bp), 0);
	cr_assert_eq(bp.nrc, 0x34);
	cr_assert_eq(uds_parse_response(neg, 3, 0x29, 0x05, &bp), PL_E_UDS_MISMATCH,
		     "an NRC for another service");
	cr_assert_eq(uds_parse_response(neg, 2, 0x31, 0x01, &bp), PL_E_UDS_LENGTH);
	cr_assert_eq(uds_parse_response((const uint8_t[]){ 0x7F, 0x31, 0x34, 0x00 }, 4, 0x31, 1,
					&bp), PL_E_UDS_LENGTH);
	cr_assert_eq(uds_parse_response((const uint8_t[]){ 0x7F, 0x31, 0x00 }, 3, 0x31, 1, &bp),
		     PL_E_UDS_BAD_VALUE);
}

Test(uds_codec, REQ_CAN_051_unknown_services_and_empty_messages)
{
	struct uds_request bq;
	struct uds_response bp;

	cr_assert_eq(uds_parse_request(NULL, 0, &bq), PL_E_UDS_EMPTY);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x27, 0x01 }, 2, &bq), PL_E_UDS_SERVICE);
	cr_assert_eq(uds_parse_request((const uint8_t[]){ 0x7F }, 1, &bq), PL_E_UDS_SERVICE);
	cr_assert_eq(uds_parse_response((const uint8_t[]){ 0x67, 0x01 }, 2, 0x27, 0x01, &bp),
		     PL_E_UDS_SERVICE);
	cr_assert_eq(uds_parse_response((const uint8_t[]){ 0x50, 0x03 }, 2, 0x22, 0, &bp),
		     PL_E_UDS_MISMATCH);
	cr_assert_eq(uds_nrc_for_err(PL_E_UDS_SERVICE), 0x11);
	cr_assert_eq(uds_nrc_for_err(PL_E_UDS_SUBFUNC), 0x12);
	cr_assert_eq(uds_nrc_for_err(PL_E_UDS_LENGTH), 0x13);
	cr_assert_eq(uds_nrc_for_err(PL_E_UDS_EMPTY), 0x13);
	cr_assert_eq(uds_build_request(&(struct uds_request){ .sid = 0x27 }, out, sizeof(out),
				       &(size_t){ 0 }), PL_E_UDS_SERVICE);
	cr_assert_eq(uds_build_request(&(struct uds_request){ .sid = 0x22 }, out, 2,
				       &(size_t){ 0 }), PL_E_NOSPACE);
}

Test(uds_codec, REQ_CAN_052_nrc_table_names_every_nrc_pitlane_uses)
{
	const uint8_t used[] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x21, 0x22, 0x24, 0x31, 0x33, 0x34,
				 0x35, 0x36, 0x37, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56,
				 0x57, 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x78, 0x7E, 0x7F };

	for (size_t i = 0; i < sizeof(used); i++) {
		cr_assert_not_null(uds_nrc_name(used[i]), "NRC 0x%02X", used[i]);
		cr_assert_str_neq(uds_nrc_text(used[i]), "unknown negative response code");
	}
	cr_assert_str_eq(uds_nrc_name(0x34), "authenticationRequired");
	cr_assert_str_eq(uds_nrc_name(0x78), "requestCorrectlyReceived_ResponsePending");
	cr_assert_str_eq(uds_nrc_name(0x56), "certificateVerificationFailed_InvalidScope");
	cr_assert_null(uds_nrc_name(0x00));
	cr_assert_null(uds_nrc_name(0xFE));
	cr_assert_str_eq(uds_nrc_text(0xFE), "unknown negative response code");
}

Test(uds_codec, REQ_CAN_053_every_parseable_request_rebuilds_identically)
{
	/* Exhaustive over short messages: whatever parses must build back to the same bytes. */
	uint8_t msg[4];
	struct uds_request q;
	size_t n;
	unsigned ok = 0;

	for (unsigned sid = 0; sid < 256; sid++) {
		for (unsigned len = 1; len <= 4; len++) {
			for (unsigned v = 0; v < (len == 1 ? 1u : 256u); v++) {
				memset(msg, 0x5A, sizeof(msg));
				msg[0] = (uint8_t)sid;
				if (len > 1)
					msg[1] = (uint8_t)v;
				if (uds_parse_request(msg, len, &q) != 0)
					continue;
				ok++;
				cr_assert_eq(uds_build_request(&q, out, sizeof(out), &n), 0);
				cr_assert_eq(n, len, "sid %02X len %u", sid, len);
				cr_assert_eq(memcmp(out, msg, len), 0, "sid %02X", sid);
			}
		}
	}
	cr_assert_gt(ok, 1000);
}
