#!/bin/sh
# The co-signer down, hung or with the wrong key: co-signed operations fail closed
# within cosigner_timeout_ms, with a second audit row; others are issued
# (REQ-BRK-301..REQ-BRK-306, docs/broker.md "Co-signer").
. "$BRK_TESTDIR/lib.sh"
. "$CS_TESTDIR/cs_lib.sh"

TIMEOUT_MS=1000
SLACK_MS=700 # the client's and the decider's scheduling, the refusal's audit row, tokreq
make_key cc   # the broker's client certificate for the co-signer
make_key cs   # the co-signer's TLS key (pinned)
make_key rogue # a TLS key that is not the pinned one
PIN=$(pin_of cs)
CN=00112233445566778899aabbccddeeff

# check_fail REQ WHAT WHY: ignition.enable refused 503 cosigner_unavailable within the
# bound, a second row cosign_down naming WHY; door.unlock issued.
check_fail() {
	rows0=$(cosigner_rows cosign_down)
	out=$(timed_req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN --expect 503)
	ms=$(cat "$W/elapsed")
	expect_line "$1 $2: ignition.enable refused" "$out" "status=503 code=cosigner_unavailable"
	[ "$ms" -le $((TIMEOUT_MS + SLACK_MS)) ] ||
	    fail "$1 $2: the refusal took $ms ms, more than $TIMEOUT_MS + $SLACK_MS"
	pass "$1 $2: refused after $ms ms (bound $((TIMEOUT_MS + SLACK_MS)) ms)"
	wait_rows cosign_down $((rows0 + 1)) ||
	    fail "$1 $2: no second audit row cosign_down (rows before $rows0, now $(cosigner_rows cosign_down))"
	"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"cosign_down"' | tail -n 1 |
	    grep -q "\"reason\":\"$3" || fail "$1 $2: the second row does not say '$3'"
	pass "$1 $2: second audit row cosign_down ($3)"
	out=$(req ws-muc-01-pc1 tech-ben --op door.unlock --cnonce $CN)
	expect_line "$1 $2: door.unlock still issued" "$out" "status=201"
}

# REQ-BRK-301: nobody listens (connection refused).
cosign_config "$W/b1.conf" "$(free_port)" "$PIN" "cosigner_timeout_ms $TIMEOUT_MS"
start_broker "$W/b1.conf"
grep -q 'event=privsep_child_started role=cosigner-client' "$W/broker.log" ||
    fail "REQ-BRK-301 no cosigner-client process started"
check_fail REQ-BRK-301 "co-signer not running" "connect"
# the allow row and the withheld token: the first row says allow, with the token id
"$PITLANECTL" audit export "$W/audit.db" | grep '"op":"ignition.enable"' |
    grep -q '"decision":"allow"' || fail "REQ-BRK-301 no first row (allow) for the withheld token"
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "REQ-BRK-301 audit chain broken"
pass "REQ-BRK-301 first row allow, second row cosign_down, chain verifies"
i=0
until [ "$(metric 'pitlane_cosigner_total{outcome="unavailable"}')" = 1 ]; do
	i=$((i + 1))
	[ $i -lt 20 ] || fail "REQ-BRK-319 /metrics: $(curl -s "http://127.0.0.1:$ADMIN/metrics" | grep cosigner)"
	sleep 0.1
done
pass "REQ-BRK-319 /metrics counts the unavailable outcome"
stop_broker

# REQ-BRK-302: the co-signer accepts and never answers.
start_fault hang
cosign_config "$W/b2.conf" "$FAULT_PORT" "$PIN" "cosigner_timeout_ms $TIMEOUT_MS"
start_broker "$W/b2.conf"
out=$(timed_req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN --expect 503)
ms=$(cat "$W/elapsed")
[ "$ms" -ge $((TIMEOUT_MS - 50)) ] || fail "REQ-BRK-302 refused after $ms ms, before the timeout"
check_fail REQ-BRK-302 "co-signer hung" "timeout"
# REQ-BRK-303: door.unlock is answered at once while co-signed requests wait.
BG=
for i in 1 2 3; do
	req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN >"$W/bg$i" &
	BG="$BG $!"
done
sleep 0.2
out=$(timed_req ws-muc-01-pc1 tech-ben --op door.unlock --cnonce $CN)
ms=$(cat "$W/elapsed")
expect_line "REQ-BRK-303 door.unlock while three co-signed requests wait" "$out" "status=201"
# answered while the co-signed requests still wait: it did not queue behind them
for i in 1 2 3; do
	[ ! -s "$W/bg$i" ] || fail "REQ-BRK-303 door.unlock ($ms ms) came after a co-signed request"
done
[ "$ms" -lt "$TIMEOUT_MS" ] || fail "REQ-BRK-303 door.unlock took $ms ms"
pass "REQ-BRK-303 door.unlock answered in $ms ms, while the co-signed requests still wait"
for p in $BG; do
	wait "$p" || true
done
for i in 1 2 3; do
	grep -q "status=503 code=cosigner_unavailable" "$W/bg$i" ||
	    fail "REQ-BRK-303 a waiting request got: $(cat "$W/bg$i")"
done
pass "REQ-BRK-303 the waiting requests failed closed"
stop_broker
stop_fault

# REQ-BRK-304: a TLS server whose key is not the pinned one.
start_fault tls "$W/rogue.crt" "$W/rogue.key"
cosign_config "$W/b3.conf" "$FAULT_PORT" "$PIN" "cosigner_timeout_ms $TIMEOUT_MS"
start_broker "$W/b3.conf"
check_fail REQ-BRK-304 "co-signer key not the pinned one" "pin"
stop_broker
stop_fault

# REQ-BRK-305: the co-signer refuses: its code is passed on, a second row cosign_refused.
start_fault refuse "$W/cs.crt" "$W/cs.key" approval_required
cosign_config "$W/b4.conf" "$FAULT_PORT" "$PIN" "cosigner_timeout_ms $TIMEOUT_MS"
start_broker "$W/b4.conf"
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN --expect 403)
expect_line "REQ-BRK-305 refusal passed on" "$out" "status=403 code=cosigner_refused rule=test"
wait_rows cosign_refused 1 || fail "REQ-BRK-305 no second audit row cosign_refused"
"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"cosign_refused"' |
    grep -q '"reason":"approval_required: ' || fail "REQ-BRK-305 the row lacks the co-signer's code"
pass "REQ-BRK-305 second audit row cosign_refused with the co-signer's code"
grep -q 'event=cosigner_refused .*code=approval_required' "$W/broker.log" ||
    fail "REQ-BRK-305 no cosigner_refused log line"
pass "REQ-BRK-305 log line names the co-signer's code"
stop_broker
stop_fault

# REQ-BRK-317: answers that are not a signature: a 503 of the co-signer (its code in the row,
# its Retry-After passed on) and 200 with bytes that are no COSE_Signature.
start_fault busy "$W/cs.crt" "$W/cs.key"
cosign_config "$W/b6.conf" "$FAULT_PORT" "$PIN" "cosigner_timeout_ms $TIMEOUT_MS"
start_broker "$W/b6.conf"
check_fail REQ-BRK-317 "co-signer busy" "http: busy: "
SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/ie.cose" \
    --tech-cert "$P/technicians/tech-ben.crt" --p11-token pitlane-technicians \
    --p11-object tech-ben --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op ignition.enable \
    --cnonce $CN >/dev/null || fail "tokreq --dump-body"
ra=$(curl -s -o /dev/null -D - -X POST --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    -H 'Content-Type: application/cose; cose-type="cose-sign1"' --data-binary "@$W/ie.cose" \
    "https://127.0.0.1:$PORT/v1/token" | tr -d '\r' | sed -n 's/^Retry-After: //Ip')
[ "$ra" = 7 ] || fail "REQ-BRK-317 Retry-After '$ra', not the co-signer's 7"
pass "REQ-BRK-317 the co-signer's Retry-After (7) is passed on"
stop_broker
stop_fault
start_fault junk "$W/cs.crt" "$W/cs.key"
cosign_config "$W/b7.conf" "$FAULT_PORT" "$PIN" "cosigner_timeout_ms $TIMEOUT_MS"
start_broker "$W/b7.conf"
check_fail REQ-BRK-317 "an answer that is no COSE_Signature" "http: "
stop_broker
stop_fault

# REQ-BRK-318: the co-signer's name does not resolve: pitlaned -n says so; the broker starts
# anyway, refuses co-signed operations (connect, the reason) and issues the others.
write_config "$W/b8.conf" "cosigner_url https://cosigner.invalid:8444" "cosigner_pin $PIN" \
    "cosigner_cert $W/cc.crt" "cosigner_key $W/cc.key"
if SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/b8.conf" -n >"$W/out" 2>&1; then
	fail "REQ-BRK-318 pitlaned -n accepted a co-signer name that does not resolve"
fi
grep -q "cannot resolve 'cosigner.invalid'" "$W/out" || fail "REQ-BRK-318 -n says: $(cat "$W/out")"
pass "REQ-BRK-318 pitlaned -n names the name that does not resolve"
start_broker "$W/b8.conf"
grep -q 'event=cosigner_unresolved' "$W/broker.log" || fail "REQ-BRK-318 no cosigner_unresolved line"
check_fail REQ-BRK-318 "co-signer name unresolved" "connect: cosigner_url: cannot resolve"
stop_broker

# REQ-BRK-306: no co-signer configured: ignition.enable is issued as today (COSE_Sign1).
write_config "$W/b5.conf"
start_broker "$W/b5.conf"
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN --out "$W/t5")
expect_line "REQ-BRK-306 without a co-signer" "$out" "status=201"
[ "$(head -c 1 "$W/t5" | od -An -tx1 | tr -d ' ')" = d2 ] ||
    fail "REQ-BRK-306 the token is not a tagged COSE_Sign1"
grep -q 'role=cosigner-client' "$W/broker.log" && fail "REQ-BRK-306 a cosigner-client was started"
curl -s "http://127.0.0.1:$ADMIN/metrics" | grep -q pitlane_cosigner &&
    fail "REQ-BRK-319 /metrics shows co-signer counters without a co-signer"
pass "REQ-BRK-306 COSE_Sign1, no cosigner-client process"
