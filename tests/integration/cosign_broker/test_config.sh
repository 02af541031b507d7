#!/bin/sh
# The co-signer's broker.conf keys and pitlaned -n (REQ-BRK-300, docs/broker.md "Co-signer").
. "$BRK_TESTDIR/lib.sh"
. "$CS_TESTDIR/cs_lib.sh"

make_key cc
make_key cs
make_key other
PIN=$(pin_of cs)

# expect_cfg_error WHAT CONF EXPECTED-TEXT
expect_cfg_error() {
	if SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$2" -n >"$W/out" 2>&1; then
		fail "$1: pitlaned -n accepted the config"
	fi
	grep -qF -- "$3" "$W/out" || fail "$1: message lacks '$3': $(cat "$W/out")"
	pass "$1"
}

cosign_config "$W/good.conf" 9 "$PIN" "cosigner_timeout_ms 1500" \
    "cosigned_operations ignition.enable key.learn dtc.clear"
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/good.conf" -n >"$W/out" 2>&1 ||
    fail "REQ-BRK-300 a good co-signer config refused: $(cat "$W/out")"
pass "REQ-BRK-300 pitlaned -n accepts a co-signer config (no connection needed)"
"$PITLANED" -f "$W/good.conf" -T >"$W/t1.conf" || fail "REQ-BRK-300 -T failed"
"$PITLANED" -f "$W/t1.conf" -T >"$W/t2.conf" || fail "REQ-BRK-300 -T of the dump failed"
cmp -s "$W/t1.conf" "$W/t2.conf" || fail "REQ-BRK-300 -T does not parse back to itself"
for k in "cosigner_url https://127.0.0.1:9" "cosigner_pin $PIN" "cosigner_timeout_ms 1500" \
    "cosigned_operations ignition.enable key.learn dtc.clear"; do
	grep -qxF "$k" "$W/t1.conf" || fail "REQ-BRK-300 -T lacks '$k'"
done
write_config "$W/plain.conf"
"$PITLANED" -f "$W/plain.conf" -T >"$W/t3.conf" || fail "REQ-BRK-300 -T failed"
grep -qx "cosigner_timeout_ms 2000" "$W/t3.conf" &&
    grep -qx "cosigned_operations ignition.enable key.learn" "$W/t3.conf" &&
    ! grep -q "^cosigner_url" "$W/t3.conf" || fail "REQ-BRK-300 defaults: $(grep cosign "$W/t3.conf")"
pass "REQ-BRK-300 -T prints the keys and the defaults (2000 ms, ignition.enable key.learn, no co-signer)"

write_config "$W/c1.conf" "cosigner_url https://127.0.0.1:9" "cosigner_pin $PIN"
expect_cfg_error "REQ-BRK-300 url without client certificate" "$W/c1.conf" \
    "cosigner_url is set but cosigner_cert is missing"
write_config "$W/c2.conf" "cosigner_pin $PIN"
expect_cfg_error "REQ-BRK-300 pin without url" "$W/c2.conf" \
    "cosigner_pin, cosigner_cert or cosigner_key is set without cosigner_url"
cosign_config "$W/c3.conf" 9 "sha256//abc"
expect_cfg_error "REQ-BRK-300 pin format" "$W/c3.conf" "cosigner_pin must be sha256//BASE64"
cosign_config "$W/c4.conf" 9 "$PIN" "cosigner_timeout_ms 50"
expect_cfg_error "REQ-BRK-300 timeout below its bound" "$W/c4.conf" \
    "cosigner_timeout_ms must be a whole number from 100 to 10000"
cosign_config "$W/c5.conf" 9 "$PIN" "cosigner_timeout_ms 10001"
expect_cfg_error "REQ-BRK-300 timeout above its bound" "$W/c5.conf" \
    "cosigner_timeout_ms must be a whole number from 100 to 10000"
write_config "$W/c6.conf" "cosigner_url http://127.0.0.1:9" "cosigner_pin $PIN" \
    "cosigner_cert $W/cc.crt" "cosigner_key $W/cc.key"
expect_cfg_error "REQ-BRK-300 not https" "$W/c6.conf" "cosigner_url must be https://HOST:PORT"
write_config "$W/c7.conf" "cosigner_url https://127.0.0.1" "cosigner_pin $PIN" \
    "cosigner_cert $W/cc.crt" "cosigner_key $W/cc.key"
expect_cfg_error "REQ-BRK-300 no port" "$W/c7.conf" "cosigner_url must be https://HOST:PORT"
cosign_config "$W/c8.conf" 9 "$PIN" "cosigned_operations ignition.enable Key!"
expect_cfg_error "REQ-BRK-300 operation names" "$W/c8.conf" \
    "cosigned_operations must be operation names"
write_config "$W/c9.conf" "cosigner_url https://127.0.0.1:9" "cosigner_pin $PIN" \
    "cosigner_cert $W/cc.crt" "cosigner_key $W/other.key"
expect_cfg_error "REQ-BRK-300 key of another certificate" "$W/c9.conf" \
    "does not belong to cosigner_cert"
write_config "$W/c10.conf" "cosigner_url https://127.0.0.1:9" "cosigner_pin $PIN" \
    "cosigner_cert $W/missing.crt" "cosigner_key $W/cc.key"
expect_cfg_error "REQ-BRK-300 certificate missing" "$W/c10.conf" "missing.crt"
chmod 644 "$W/cc.key"
expect_cfg_error "REQ-BRK-300 client key readable by others" "$W/good.conf" "cosigner_key"
chmod 600 "$W/cc.key"
