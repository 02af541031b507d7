#!/bin/sh
# The co-signer signs: the token of a co-signed operation carries the broker's and the
# co-signer's signatures (COSE_Sign, tag 98) and verifies with lib/token as an ECU that
# needs both roles (REQ-BRK-307, REQ-BRK-308). With pitlane-cosignd built (COSIGND) the real
# daemon signs; otherwise the stand-in of cosign_fault.py (it checks nothing).
. "$BRK_TESTDIR/lib.sh"
. "$CS_TESTDIR/cs_lib.sh"

make_key cc
make_key cs
make_key cosigner # the co-signer's signing key (the stand-in's; the daemon has its HSM's)
PIN=$(pin_of cs)
CN=00112233445566778899aabbccddeeff

start_fault sign "$W/cs.crt" "$W/cs.key" "$W/cosigner.key"
cosign_config "$W/b.conf" "$FAULT_PORT" "$PIN"
start_broker "$W/b.conf"
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANECTL" key export -f "$W/b.conf" >"$W/broker.pub" ||
    fail "pitlanectl key export failed"

# REQ-BRK-307: ignition.enable: two signatures, both verify, the roles' thresholds are met.
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN --out "$W/t1")
expect_line "REQ-BRK-307 co-signed token issued" "$out" "status=201"
[ "$(head -c 2 "$W/t1" | od -An -tx1 | tr -d ' ')" = d862 ] ||
    fail "REQ-BRK-307 the token is not a tagged COSE_Sign (98)"
v=$("$COSIGN_VERIFY" "$W/t1" "$W/broker.pub" "$W/cosigner.pub" "$VIN" ignition.enable $CN) ||
    fail "REQ-BRK-307 lib/token refuses the co-signed token: $v"
[ "$v" = "signers=2 verify=ok" ] || fail "REQ-BRK-307 verifier says: $v"
pass "REQ-BRK-307 COSE_Sign with two signatures verifies (broker 1 + cosigner 1)"
[ "$(wc -c <"$W/t1")" -le 512 ] || fail "REQ-BRK-307 the token is over 512 bytes"
grep -q 'event=token_cosigned .*op=ignition.enable' "$W/broker.log" ||
    fail "REQ-BRK-307 no token_cosigned log line"
pass "REQ-BRK-307 at most 512 bytes, token_cosigned logged"
# REQ-BRK-319: /metrics counts the outcome (the decider pushes its gauges every 200 ms)
i=0
until [ "$(metric 'pitlane_cosigner_total{outcome="signed"}')" = 1 ]; do
	i=$((i + 1))
	[ $i -lt 20 ] || fail "REQ-BRK-319 /metrics: $(curl -s "http://127.0.0.1:$ADMIN/metrics" | grep cosigner)"
	sleep 0.1
done
[ "$(metric pitlane_cosigner_inflight)" = 0 ] || fail "REQ-BRK-319 a job still in flight"
pass "REQ-BRK-319 /metrics: pitlane_cosigner_total{outcome=\"signed\"} 1, nothing in flight"

# REQ-BRK-320: several co-signed requests at once (8 connections): every one gets its token,
# each with both signatures (the cosigner-client runs the jobs side by side).
req ws-muc-01-pc1 tech-ben --op ignition.enable --count 8 --conns 8 >"$W/many"
[ "$(grep -c '^status=201' "$W/many")" = 8 ] || fail "REQ-BRK-320 not all issued: $(cat "$W/many")"
i=0
until [ "$(metric 'pitlane_cosigner_total{outcome="signed"}')" = 9 ]; do
	i=$((i + 1))
	[ $i -lt 20 ] || fail "REQ-BRK-320 /metrics does not count 9 co-signed tokens"
	sleep 0.1
done
pass "REQ-BRK-320 eight co-signed requests at once, all issued and co-signed"

# REQ-BRK-308: door.unlock (not in cosigned_operations) stays a COSE_Sign1 the broker alone
# signs; the ECU's broker-only row accepts it, and a co-signed operation's row does not
# accept a token with the broker's signature alone.
out=$(req ws-muc-01-pc1 tech-ben --op door.unlock --cnonce $CN --out "$W/t2")
expect_line "REQ-BRK-308 door.unlock issued" "$out" "status=201"
v=$("$COSIGN_VERIFY" "$W/t2" "$W/broker.pub" "$W/cosigner.pub" "$VIN" door.unlock $CN 0) ||
    fail "REQ-BRK-308 door.unlock does not meet broker 1: $v"

[ "$(head -c 1 "$W/t2" | od -An -tx1 | tr -d ' ')" = d2 ] ||
    fail "REQ-BRK-308 door.unlock is not a COSE_Sign1"
v=$("$COSIGN_VERIFY" "$W/t2" "$W/broker.pub" "$W/cosigner.pub" "$VIN" door.unlock $CN) &&
    fail "REQ-BRK-308 a broker-only token met the broker 1 + cosigner 1 row: $v"
[ "$v" = "signers=1 verify=signature_missing" ] || fail "REQ-BRK-308 verifier says: $v"
pass "REQ-BRK-308 door.unlock is a COSE_Sign1; broker-only fails a row that needs the co-signer"
