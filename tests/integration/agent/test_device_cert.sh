#!/bin/sh
# This PC's certificate: expired (checked locally), revoked / foreign (the
# broker refuses it in the handshake; curl 55/56) (REQ-AGT-012, REQ-AGT-013).
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu
dev() { agent_conf "$W/$1.conf" "device_cert $P/devices/$1.crt" "device_key $P/devices/$1.key"; }

dev device-expired
expect_agent 3 "this PC's certificate .* expired on Jan  2 00:00:00 2020 GMT" \
    "REQ-AGT-012 expired device certificate: said locally (exit 3)" \
    -c "$W/device-expired.conf" run door.unlock --work-order WO-1
grep -q "ask the workshop admin for a new device certificate" "$W/out" || fail "REQ-AGT-012 advice"
grep -q "Diagnostic session" "$W/out" && fail "REQ-AGT-012 the vehicle was touched"
grep -q 'tls_client_cert_rejected' "$W/broker.log" && fail "REQ-AGT-012 a handshake was tried"
pass "REQ-AGT-012 no connection and no vehicle step with an expired certificate"

dev device-notyet
expect_agent 3 "is not valid yet: check the PC's date and time" \
    "REQ-AGT-012 not-yet-valid device certificate" -c "$W/device-notyet.conf" \
    request door.unlock --vin "$VIN" --cnonce "$(openssl rand -hex 16)"

for d in device-revoked device-other-ca; do
	dev $d
	expect_agent 3 "the broker rejected this PC's certificate (expired, revoked or unknown CA?)" \
	    "REQ-AGT-013 $d: the broker's handshake refusal in words (exit 3)" \
	    -c "$W/$d.conf" request door.unlock --vin "$VIN" --cnonce "$(openssl rand -hex 16)"
done
grep -q 'tls_client_cert_rejected' "$W/broker.log" || fail "REQ-AGT-013 broker log"
