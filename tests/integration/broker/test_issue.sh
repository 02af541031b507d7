#!/bin/sh
# Token issuance end to end: REQ-BRK-001..REQ-BRK-012 (docs/broker.md).
. "$BRK_TESTDIR/lib.sh"
write_config "$W/broker.conf" "max_body 4096"
start_broker "$W/broker.conf"
# The trust anchor an ECU gets: `pitlanectl key export` from the broker's own config.
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANECTL" key export -f "$W/broker.conf" >"$W/exported.pem" ||
    fail "REQ-BRK-001 pitlanectl key export failed"
PUB=$W/exported.pem
CN=00112233445566778899aabbccddeeff

# REQ-BRK-001: a signed request gets a token that verifies with lib/token
# against the exported key, with claims equal to the request.
out=$(req ws-muc-01-pc1 tech-anna --cnonce $CN --op door.unlock --work-order WO-1 \
    --verify-pub "$PUB" --out "$W/tok")
expect_line "REQ-BRK-001 token issued and verified" "$out" "status=201 cti="
case "$out" in *verify=ok*) ;; *) fail "REQ-BRK-001 token does not verify: $out" ;; esac
cti=$(echo "$out" | sed 's/.*cti=\([0-9a-f]*\).*/\1/')
json=$("$PITLANECTL" token inspect "$W/tok")
for want in "\"aud\": \"$VIN\"" '"scope": "door.unlock"' "\"cnonce\": \"$CN\"" \
    '"workshop": "ws-muc-01"' '"technician": "tech-anna"' '"work_order": "WO-1"' \
    '"policy_version": 7' '"iss": "pitlane-broker"' '"exi": 60' "\"cti\": \"$cti\""; do
	case "$json" in *"$want"*) ;; *) fail "REQ-BRK-001 claim $want missing: $json" ;; esac
done
pass "REQ-BRK-001 claims match the request"
if [ -n "${PITLANE_TOKEN:-}" ]; then
	"$PITLANE_TOKEN" verify --trust "$PUB" --vin "$VIN" --op door.unlock --cnonce $CN \
	    "$W/tok" >/dev/null || fail "REQ-BRK-001 pitlane-token verify rejects the token"
	pass "REQ-BRK-001 pitlane-token verify accepts the token"
fi

# REQ-BRK-002: the audit row with the token id exists, and the chain verifies.
row=$("$PITLANECTL" audit export "$W/audit.db" | grep "\"token_id\":\"$cti\"" || true)
case "$row" in *'"decision":"allow"'*'"technician":"tech-anna"'*|*'"technician":"tech-anna"'*'"decision":"allow"'*) ;;
*) fail "REQ-BRK-002 no allow row for cti $cti" ;; esac
pass "REQ-BRK-002 audit row for the token"

# REQ-BRK-003: policy deny names the rule, is audited.
out=$(req ws-muc-01-pc1 tech-anna --vin WBAPH5C55BA123456 --expect 403)
expect_line "REQ-BRK-003 VIN outside the workshop's prefixes" "$out" \
    "status=403 code=policy_denied rule=workshops.ws-muc-01.vin_prefixes"
[ "$(audit_rows vin WBAPH5C55BA123456)" = 1 ] || fail "REQ-BRK-003 deny not audited"
out=$(req ws-muc-01-pc1 tech-anna --op ignition.enable --expect 403)
expect_line "REQ-BRK-003 operation outside the technician's roles" "$out" "status=403 code=policy_denied rule="

# REQ-BRK-004: a replayed request (same nonce) is refused.
out=$(req ws-muc-01-pc1 tech-anna --nonce 0102030405060708090a0b0c0d0e0f10)
expect_line "REQ-BRK-004 first use of a nonce" "$out" "status=201"
out=$(req ws-muc-01-pc1 tech-anna --nonce 0102030405060708090a0b0c0d0e0f10 --expect 401)
expect_line "REQ-BRK-004 replay refused" "$out" "status=401 code=replayed_request"

# REQ-BRK-005: a request whose iat is outside the window is refused.
out=$(req ws-muc-01-pc1 tech-anna --iat-offset -600 --expect 401)
expect_line "REQ-BRK-005 stale iat" "$out" "status=401 code=stale_request"
out=$(req ws-muc-01-pc1 tech-anna --iat-offset 600 --expect 401)
expect_line "REQ-BRK-005 future iat" "$out" "status=401 code=stale_request"

# REQ-BRK-006: malformed bodies get 400 with the decoder's code.
printf 'not cbor at all' >"$W/garbage"
out=$(req ws-muc-01-pc1 tech-anna --raw "$W/garbage" --expect 400)
expect_line "REQ-BRK-006 garbage body" "$out" "status=400 code=not_cose_sign1"
out=$(req ws-muc-01-pc1 tech-anna --extra-key --expect 400)
expect_line "REQ-BRK-006 unknown payload key" "$out" "status=400 code=bad_request_field"
out=$(req ws-muc-01-pc1 tech-anna --cnonce 0011 --expect 400)
expect_line "REQ-BRK-006 short cnonce" "$out" "status=400 code=bad_request_field"

# REQ-BRK-007: a body over max_body is 413; a wrong media type 415.
head -c 6000 /dev/zero >"$W/big"
out=$(req ws-muc-01-pc1 tech-anna --raw "$W/big" --expect 413)
expect_line "REQ-BRK-007 body over max_body" "$out" "status=413"
out=$(req ws-muc-01-pc1 tech-anna --content-type text/plain --expect 415)
expect_line "REQ-BRK-007 wrong content type" "$out" "status=415 code=unsupported_media_type"

# REQ-BRK-008: curl as an independent client of /v1/health, with and without a client cert.
body=$(curl -sS --cacert "$P/ca/ca.crt" --cert "$P/devices/ws-muc-01-pc1.crt" \
    --key "$P/devices/ws-muc-01-pc1.key" "https://localhost:$PORT/v1/health")
[ "$body" = alive ] || fail "REQ-BRK-008 health with client cert: '$body'"
pass "REQ-BRK-008 curl /v1/health with a client certificate"
if curl -sS --cacert "$P/ca/ca.crt" "https://localhost:$PORT/v1/health" >/dev/null 2>&1; then
	fail "REQ-BRK-008 /v1/health answered without a client certificate"
fi
pass "REQ-BRK-008 curl /v1/health without a client certificate is refused"
pin=$(cat "$P/broker/broker.spki-pin")
curl -sS --cacert "$P/ca/ca.crt" --pinnedpubkey "sha256//$pin" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    "https://localhost:$PORT/v1/ready" | grep -qx ready || fail "REQ-BRK-008 ready with pin"
pass "REQ-BRK-008 /v1/ready through the SPKI pin"

# REQ-BRK-009: /metrics only on the admin listener; counters move.
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    "https://localhost:$PORT/metrics")
[ "$code" = 404 ] || fail "REQ-BRK-009 /metrics on the API listener gave $code"
[ "$(metric pitlane_tokens_issued_total)" = 2 ] || fail "REQ-BRK-009 tokens_issued != 2"
[ "$(metric 'pitlane_decisions_total{decision="deny_policy"}')" = 2 ] ||
    fail "REQ-BRK-009 deny_policy != 2"
curl -s "http://127.0.0.1:$ADMIN/metrics" | grep -q '^pitlane_token_request_seconds_bucket{le="+Inf"} ' ||
    fail "REQ-BRK-009 no latency histogram"
pass "REQ-BRK-009 metrics on the admin listener"

# REQ-BRK-010: keep-alive: 50 requests over one connection all succeed.
out=$(req ws-muc-01-pc1 tech-anna --count 50 --quiet) || true
SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" --count 50 --conns 4 \
    --quiet || fail "REQ-BRK-010 concurrent keep-alive requests failed"
pass "REQ-BRK-010 50 + 50 requests over keep-alive connections"

# REQ-BRK-011: every decision is audited and the chain verifies after SIGTERM.
stop_broker
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "REQ-BRK-011 audit verify failed"
n=$("$PITLANECTL" audit export "$W/audit.db" | wc -l)
[ "$n" -eq 110 ] || fail "REQ-BRK-011 expected 110 audit rows, found $n"
pass "REQ-BRK-011 $n decisions audited, chain and checkpoints verify"

# REQ-BRK-012: `pitlanectl status` reports a broker that is not running.
if "$PITLANECTL" status --admin "127.0.0.1:$ADMIN" >/dev/null 2>&1; then
	fail "REQ-BRK-012 status succeeded against a stopped broker"
fi
pass "REQ-BRK-012 status fails when the broker is down"
