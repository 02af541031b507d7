#!/bin/sh
# pitlane-cosignd serves: health, ready, metrics; a request the checks allow gets one
# COSE_Signature that verifies with the co-signer's public key (and the token then carries
# broker + co-signer); too large and wrong Content-Type are refused before the core.
# A refusal of the checks travels back as problem details with its code.
# REQ-COS-010 REQ-COS-011 REQ-COS-012 REQ-COS-013 REQ-COS-014 REQ-COS-015
. "$COS_TESTDIR/lib.sh"

write_config "$W/cosignd.conf"
start_cosignd "$W/cosignd.conf"

# REQ-COS-010: health and ready on both listeners, /metrics in Prometheus text 0.0.4
[ "$(curl -s "http://127.0.0.1:$ADMIN/v1/health")" = alive ] || fail "admin health"
[ "$(curl -s "http://127.0.0.1:$ADMIN/v1/ready")" = ready ] || fail "admin ready"
ct=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$ADMIN/metrics")
[ "$ct" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "metrics content type: $ct"
curl -s "http://127.0.0.1:$ADMIN/metrics" | grep -q '^# TYPE pitlane_cosign_sign_seconds histogram$' ||
    fail "no sign latency histogram"
[ "$(metric pitlane_cosign_ready)" = 1 ] || fail "pitlane_cosign_ready is not 1"
h=$(curl -s --cacert "$P/service-ca/ca.crt" --cert "$P/broker-client/broker-client.crt" \
    --key "$P/broker-client/broker-client.key" "https://localhost:$PORT/v1/ready")
[ "$h" = ready ] || fail "API ready: $h"
pass "REQ-COS-010 health, ready, metrics"

# REQ-COS-011: an allowed request is co-signed; the signature verifies with the co-signer's
# key and the token with both signatures passes an ECU needing broker 1 + cosigner 1
make_request ok
st=$(post "$W/ok.body" "$W/ok.sig")
[ "$st" = 200 ] || fail "allowed request: HTTP $st ($(problem_code "$W/ok.sig"))"
[ "$(wc -c <"$W/ok.sig")" -eq 82 ] || fail "COSE_Signature is not 82 bytes"
v=$("$COSREQ" verify --token "$W/ok.token" --cosig "$W/ok.sig" \
    --broker-pub "$P/hsm-broker/broker-signing.pub.pem" \
    --cosigner-pub "$P/hsm-cosigner/cosigner-signing.pub.pem" \
    --vin "$VIN" --op "$OP" --cnonce "$CNONCE" || true)
[ "$v" = verified ] || fail "co-signed token does not verify: $v"
# negative control: the same signature under another key is not the co-signer's
v=$("$COSREQ" verify --token "$W/ok.token" --cosig "$W/ok.sig" \
    --broker-pub "$P/hsm-broker/broker-signing.pub.pem" \
    --cosigner-pub "$P/technicians/tech-anna.pub.pem" \
    --vin "$VIN" --op "$OP" --cnonce "$CNONCE" || true)
[ "$v" != verified ] || fail "signature verified under a foreign key"
[ "$(metric 'pitlane_cosign_requests_total{code="signed"}')" = 1 ] ||
    fail "signed requests metric is not 1"
[ "$(metric pitlane_cosign_sign_seconds_count)" = 1 ] || fail "sign latency not observed"
pass "REQ-COS-011 allowed request co-signed and verified ($v)"

# REQ-COS-012: the public key the co-signer prints is its token's key
SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/cosignd.conf" --print-pubkey \
    >"$W/pub.pem" 2>"$W/pub.log" || fail "--print-pubkey failed"
cmp -s "$W/pub.pem" "$P/hsm-cosigner/cosigner-signing.pub.pem" ||
    fail "--print-pubkey differs from the token's public key"
grep -q 'event=cosign_pubkey kid=[0-9a-f]\{16\}' "$W/pub.log" || fail "no kid logged"
# in the key ceremony the key is printed before the rest of the configuration exists
sed 's|^limits .*|limits /nonexistent/limits.conf|; s|^dealer_ca .*|dealer_ca /nonexistent/ca.crt|' \
    "$W/cosignd.conf" >"$W/early.conf"
SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/early.conf" --print-pubkey \
    >"$W/pub2.pem" 2>"$W/pub2.log" || fail "--print-pubkey before the ceremony's end: $(cat "$W/pub2.log")"
cmp -s "$W/pub2.pem" "$W/pub.pem" || fail "--print-pubkey differs"
pass "REQ-COS-012 --print-pubkey"

# REQ-COS-013: more than 16 KiB: 413 request_too_large, before the core
head -c 16385 /dev/zero >"$W/big.body"
st=$(post "$W/big.body" "$W/big.out")
[ "$st" = 413 ] || fail "16385-byte body: HTTP $st"
[ "$(problem_code "$W/big.out")" = request_too_large ] || fail "413 code"
# REQ-COS-014: the wrong Content-Type: 415
st=$(post "$W/ok.body" "$W/ct.out" broker-client application/cose)
[ "$st" = 415 ] || fail "application/cose: HTTP $st"
[ "$(problem_code "$W/ct.out")" = unsupported_media_type ] || fail "415 code"
[ "$(metric 'pitlane_cosign_front_refused_total{code="request_too_large"}')" = 1 ] ||
    fail "413 not counted"
pass "REQ-COS-013 REQ-COS-014 too large and wrong type refused"

# REQ-COS-015: the checks' refusal reaches the broker as problem details with the contract's
# code (here the same request again: replayed_request), counted by outcome code
st=$(post "$W/ok.body" "$W/replay.out")
[ "$st" = 403 ] || fail "replayed request: HTTP $st"
[ "$(problem_code "$W/replay.out")" = replayed_request ] ||
    fail "replayed request: code $(problem_code "$W/replay.out")"
[ "$(metric 'pitlane_cosign_requests_total{code="replayed_request"}')" = 1 ] ||
    fail "refusal not counted by code"
grep -q 'event=cosign .*outcome=replayed_request' "$W/cosignd.log" || fail "refusal not logged"
printf '\241\001\100' >"$W/junk.body" # {1: h''}
st=$(post "$W/junk.body" "$W/junk.out")
[ "$st" = 400 ] || fail "malformed body: HTTP $st"
[ "$(problem_code "$W/junk.out")" = bad_cosign_request ] || fail "malformed body code"
pass "REQ-COS-015 refusals answered as problem details with their code"
