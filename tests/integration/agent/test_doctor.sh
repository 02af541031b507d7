#!/bin/sh
# pitlane doctor (REQ-AGT-043).
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu
agent_conf "$W/agent.conf"
expect_agent 0 "^ok   vehicle .*VIN $VIN" "REQ-AGT-043 doctor: everything fine (exit 0)" \
    -c "$W/agent.conf" doctor
for c in config device_cert technician_cert broker broker_ready technician_key; do
	grep -q "^ok   $c " "$W/out" || fail "REQ-AGT-043 no ok line for $c"
done
grep -q "^warn pins .*no broker_pin_backup" "$W/out" || fail "REQ-AGT-043 backup pin warning"

agent_conf "$W/bad.conf" "broker_pin sha256//$(openssl rand 32 | openssl enc -base64)" \
    "device_cert $P/devices/device-expired.crt" "device_key $P/devices/device-expired.key" \
    "can loop:empty"
expect_agent 1 "^FAIL device_cert .*expired on" "REQ-AGT-043 doctor: expired certificate" \
    -c "$W/bad.conf" doctor
grep -q "^FAIL broker " "$W/out" || fail "REQ-AGT-043 broker check not failed"
grep -q "^warn vehicle .*no ECU answers on loop:empty" "$W/out" || fail "REQ-AGT-043 vehicle"
"$PITLANE" -c "$W/agent.conf" doctor --json >"$W/out" 2>&1 || fail "doctor --json"
grep -q '^{"check":"broker","result":"ok","message":' "$W/out" || fail "REQ-AGT-043 --json"
pass "REQ-AGT-043 doctor --json: one object per check"
