#!/bin/sh
# This PC's TLS key in a PKCS#11 token (device_key = pkcs11: URI) through OpenSSL's pkcs11
# engine (libengine-pkcs11-openssl) (REQ-AGT-019). Skipped (77) without the engine.
openssl engine pkcs11 -t >/dev/null 2>&1 || { echo "skip: no OpenSSL pkcs11 engine"; exit 77; }
. "$(dirname "$0")/lib.sh"

MOD=
for m in /usr/lib/*/softhsm/libsofthsm2.so /usr/lib/softhsm/libsofthsm2.so; do
	[ -f "$m" ] && { MOD=$m; break; }
done
[ -n "$MOD" ] || fail "no SoftHSM2 module"
PIN=$(cat "$P/hsm-agent/pin")
# a device key pair inside the workshop token, and its certificate from the dealer CA
pkcs11-tool --module "$MOD" --token-label pitlane-technicians --login --pin "$PIN" \
    --keypairgen --key-type EC:prime256v1 --label ws-muc-01-pc9 --id 99 >/dev/null 2>&1 ||
    fail "keypairgen"
pkcs11-tool --module "$MOD" --token-label pitlane-technicians --read-object --type pubkey \
    --label ws-muc-01-pc9 -o "$W/pc9.der" >/dev/null 2>&1 || fail "read pubkey"
openssl pkey -pubin -inform DER -in "$W/pc9.der" -out "$W/pc9.pub" || fail "pubkey"
cat >"$W/ext.cnf" <<'CNF'
[ client ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
openssl x509 -new -subj "/O=Pitlane Demo/OU=ws-muc-01/CN=ws-muc-01-pc9" -force_pubkey "$W/pc9.pub" \
    -CA "$P/ca/ca.crt" -CAkey "$P/ca/ca.key" -set_serial 0x3009 -days 30 -sha256 \
    -extfile "$W/ext.cnf" -extensions client -out "$W/pc9.crt" 2>/dev/null || fail "issue"

start_broker
start_ecu
agent_conf "$W/agent.conf" "device_cert $W/pc9.crt" \
    "device_key pkcs11:token=pitlane-technicians;object=ws-muc-01-pc9;type=private;pin-value=$PIN"
chmod 600 "$W/agent.conf"
expect_agent 0 "^done: door.unlock on $VIN" "REQ-AGT-019 TLS key in the token via the engine" \
    -c "$W/agent.conf" run door.unlock --work-order WO-ENG
"$PITLANECTL" audit export "$W/audit.db" | grep -q '"client_identity":"CN=ws-muc-01-pc9' ||
    fail "REQ-AGT-019 the broker did not see device ws-muc-01-pc9"
pass "REQ-AGT-019 the broker saw the token-held device certificate"
