#!/bin/sh
# An approved request is co-signed like a new one: the token delivered by
# POST /v1/approvals/{id}/poll goes to the co-signer with the technician's original signed
# request (key 1) and the approver's exact signed decision (key 3) (REQ-BRK-314).
BRK_TESTDIR=$PITLANE_SOURCE_DIR/tests/integration/agent/approve # key.learn: technician approval
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"
. "$CS_TESTDIR/cs_lib.sh"
[ -n "${DECREQ:-}" ] || { echo "skip: decreq is not built"; exit 0; }

make_key cc
make_key cs
make_key cosigner
PIN=$(pin_of cs)
CN=b1b2b3b4b5b6b7b8b9babbbcbdbebfc0
COSIGN_FAULT_RECORD=$W/cosign-request.cbor
export COSIGN_FAULT_RECORD
start_fault sign "$W/cs.crt" "$W/cs.key" "$W/cosigner.key"
cosign_config "$W/b.conf" "$FAULT_PORT" "$PIN"
start_broker "$W/b.conf"
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANECTL" key export -f "$W/b.conf" >"$W/broker.pub" ||
    fail "pitlanectl key export failed"
API=https://127.0.0.1:$PORT
COSE='Content-Type: application/cose; cose-type="cose-sign1"'
post() {
	curl -s -o "$2" -D "$W/hdr" -w '%{http_code}' -X POST --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
	    -H "$COSE" --data-binary "@$3" "$API$1"
}

# tech-anna asks for key.learn: parked for a second person
SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/kl.cose" \
    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op key.learn \
    --cnonce $CN >/dev/null || fail "tokreq --dump-body key.learn"
st=$(post /v1/token "$W/out" "$W/kl.cose")
ID=$(tr -d '\r' <"$W/hdr" | sed -n 's|^Location: /v1/approvals/||Ip')
[ "$st" = 202 ] && [ ${#ID} = 32 ] || fail "REQ-BRK-314 expected 202 with Location, got $st"
[ ! -e "$COSIGN_FAULT_RECORD" ] || fail "REQ-BRK-314 a parked request reached the co-signer"
# tech-ben approves (his signed decision names the request), tech-anna polls
SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --tech-cert "$P/technicians/tech-ben.crt" \
    --p11-token pitlane-technicians --p11-object tech-ben --pin-file "$P/hsm-agent/pin" \
    --id "$ID" --out "$W/approve.cose" --request "$W/kl.cose" || fail "decreq approve"
st=$(post "/v1/approvals/$ID" "$W/out" "$W/approve.cose")
[ "$st" = 200 ] || fail "REQ-BRK-314 the decision: HTTP $st"
SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --tech-cert "$P/technicians/tech-anna.crt" \
    --p11-token pitlane-technicians --p11-object tech-anna --pin-file "$P/hsm-agent/pin" \
    --id "$ID" --out "$W/poll.cose" --poll || fail "decreq poll"
st=$(post "/v1/approvals/$ID/poll" "$W/kl.cwt" "$W/poll.cose")
[ "$st" = 201 ] || fail "REQ-BRK-314 the approved poll: HTTP $st"
v=$("$COSIGN_VERIFY" "$W/kl.cwt" "$W/broker.pub" "$W/cosigner.pub" "$VIN" key.learn $CN) ||
    fail "REQ-BRK-314 the delivered token: $v"
[ "$v" = "signers=2 verify=ok" ] || fail "REQ-BRK-314 verifier says: $v"
pass "REQ-BRK-314 the approved key.learn token carries both signatures"
# what the co-signer received: key 1 = the request as tech-anna signed it, key 3 = tech-ben's
# decision byte for byte
/usr/bin/python3 - "$COSIGN_FAULT_RECORD" "$W/kl.cose" "$W/approve.cose" <<'PY' ||
import sys
b = open(sys.argv[1], "rb").read()
def head(i):
    ib = b[i]; ai = ib & 31
    if ai < 24: return ib >> 5, ai, i + 1
    n = {24: 1, 25: 2, 26: 4}[ai]
    return ib >> 5, int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n
m, n, i = head(0)
assert m == 5 and n == 3, "not a map of 3"
got = {}
for _ in range(n):
    _, k, i = head(i)
    t, ln, i = head(i)
    assert t == 2
    got[k] = b[i:i + ln]; i += ln
assert got[1] == open(sys.argv[2], "rb").read(), "key 1 is not the request"
assert got[3] == open(sys.argv[3], "rb").read(), "key 3 is not the signed decision"
assert got[2][:2] == b"\xd8\x62", "key 2 is not a tag-98 token"
PY
    fail "REQ-BRK-314 the co-signer did not get the request and the decision as keys 1 and 3"
pass "REQ-BRK-314 the co-signer got the original request (key 1) and the signed decision (key 3)"
