#!/bin/sh
# The broker with the real co-signer, pitlane-cosignd (docs/cosigner.md): the success path
# end to end and a refusal of the daemon passed on with its code (REQ-BRK-311, REQ-BRK-312).
. "$BRK_TESTDIR/lib.sh"
. "$CS_TESTDIR/cs_lib.sh"
[ -n "${COSIGND:-}" ] || fail "pitlane-cosignd is not built (it is part of the tree)"

sh "$PITLANE_SOURCE_DIR/packaging/demo-cosignd-conf.sh" "$P" "$W/cosign.db" \
    "$CS_TESTDIR/cosignd_limits.conf" >"$W/cosignd.conf"
cosignd_start "$W/cosignd.conf"

write_config "$W/b.conf" "cosigner_url https://localhost:$CS_PORT" \
    "cosigner_pin sha256//$(cat "$P/cosigner/cosigner.spki-pin")" \
    "cosigner_cert $P/broker-client/broker-client.crt" \
    "cosigner_key $P/broker-client/broker-client.key" \
    "cosigned_operations ignition.enable key.learn door.unlock"
start_broker "$W/b.conf"
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANECTL" key export -f "$W/b.conf" >"$W/broker.pub" ||
    fail "pitlanectl key export failed"
CN=00112233445566778899aabbccddeeff

# REQ-BRK-311: the daemon checks and signs; the token has both signatures and meets the ECU's
# "broker 1 + cosigner 1" with the co-signer's HSM key as the cosigner anchor.
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN --out "$W/t1")
expect_line "REQ-BRK-311 ignition.enable co-signed by pitlane-cosignd" "$out" "status=201"
v=$("$COSIGN_VERIFY" "$W/t1" "$W/broker.pub" "$P/hsm-cosigner/cosigner-signing.pub.pem" \
    "$VIN" ignition.enable $CN) || fail "REQ-BRK-311 lib/token refuses the token: $v"
[ "$v" = "signers=2 verify=ok" ] || fail "REQ-BRK-311 verifier says: $v"
pass "REQ-BRK-311 two signatures (broker's HSM, co-signer's HSM) verify with lib/token"

# REQ-BRK-312: the daemon refuses (door.unlock is not in its limits file): the code reaches
# the technician and the broker's audit log.
out=$(req ws-muc-01-pc1 tech-ben --op door.unlock --cnonce $CN --expect 403)
expect_line "REQ-BRK-312 the daemon's refusal passed on" "$out" "status=403 code=cosigner_refused"
"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"cosign_refused"' |
    grep -q '"reason":"operation_not_cosigned: ' ||
    fail "REQ-BRK-312 no cosign_refused row with operation_not_cosigned"
pass "REQ-BRK-312 cosign_refused row names operation_not_cosigned"

# REQ-BRK-315: the daemon refuses the broker's TLS client (a valid service-CA certificate
# whose key it does not pin): ignition.enable fails closed with cosign_down naming tls.
stop_broker
write_config "$W/b2.conf" "cosigner_url https://localhost:$CS_PORT" \
    "cosigner_pin sha256//$(cat "$P/cosigner/cosigner.spki-pin")" \
    "cosigner_cert $P/broker-client/unpinned-client.crt" \
    "cosigner_key $P/broker-client/unpinned-client.key" "cosigner_timeout_ms 1000"
start_broker "$W/b2.conf"
t0=$(now_ms)
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN --expect 503)
ms=$(($(now_ms) - t0))
expect_line "REQ-BRK-315 the daemon refuses the client's key" "$out" \
    "status=503 code=cosigner_unavailable"
[ "$ms" -le 1700 ] || fail "REQ-BRK-315 the refusal took $ms ms"
"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"cosign_down"' | tail -n 1 |
    grep -q '"reason":"tls: ' || fail "REQ-BRK-315 the second row does not name tls"
pass "REQ-BRK-315 refused after $ms ms, cosign_down row naming tls"
out=$(req ws-muc-01-pc1 tech-ben --op door.lock --cnonce $CN)
expect_line "REQ-BRK-315 door.lock still issued" "$out" "status=201"
