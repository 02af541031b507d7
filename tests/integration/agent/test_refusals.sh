#!/bin/sh
# Refusals in words: the broker's (REQ-AGT-021) and the vehicle's (REQ-AGT-030..033).
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu --attempts 2 --lockout 30
agent_conf "$W/agent.conf"
export PITLANE_AGENT_CONF=$W/agent.conf

# REQ-AGT-021 the broker's policy, with the rule
expect_agent 1 "refused by the policy (rule workshops.ws-muc-01.vin_prefixes)" \
    "REQ-AGT-021 policy refusal names the rule (exit 1)" request door.unlock \
    --vin WBAPH5C55BA123456 --cnonce "$(openssl rand -hex 16)"
"$PITLANE" request door.unlock --vin WBAPH5C55BA123456 --cnonce "$(openssl rand -hex 16)" \
    --json >"$W/out" 2>&1
grep -q '"result":"refused","exit":1,.*"http_status":403,"code":"policy_denied","rule":"workshops.ws-muc-01.vin_prefixes"' \
    "$W/out" || fail "REQ-AGT-021 --json refusal"
pass "REQ-AGT-021 --json carries status, code and rule"
agent_conf "$W/carl.conf" "technician_cert $P/technicians/tech-carl.crt" \
    "technician_key pkcs11:token=pitlane-technicians;object=tech-carl;type=private"
expect_agent 1 "the technician card belongs to another workshop than this PC" \
    "REQ-AGT-021 workshop mismatch in words" -c "$W/carl.conf" run door.unlock --work-order W
grep -q "refused: " "$W/out" || fail "REQ-AGT-021 no refused line"
expect_agent 1 "refused by the policy (rule " "REQ-AGT-021 role without the operation" \
    run key.learn --work-order W

# REQ-AGT-030 no vehicle on the bus
expect_agent 5 "no answer from the vehicle at step 'session'" \
    "REQ-AGT-030 no ECU answering: exit 5" run door.unlock --work-order W --can loop:empty

# REQ-AGT-031 a token for another challenge: 0x55 in words; counts as a failed attempt
expect_agent 0 "^done:" "a token to replay" run door.unlock --work-order W --out "$W/t.cwt"
expect_agent 7 "the token is for another vehicle or another challenge (NRC 0x55" \
    "REQ-AGT-031 replayed token: NRC 0x55 in words" run door.unlock --work-order W \
    --token "$W/t.cwt"
# REQ-AGT-032 the second failure reaches --attempts 2: 0x36, then the lockout 0x37
expect_agent 7 "the ECU locked access (NRC 0x36" "REQ-AGT-032 lockout starts: NRC 0x36" \
    run door.unlock --work-order W --token "$W/t.cwt"
expect_agent 7 "lockout delay is still running: wait and try again (NRC 0x37" \
    "REQ-AGT-032 during the lockout: NRC 0x37 at the challenge" run door.unlock --work-order W
grep -q "step 'challenge'" "$W/out" || fail "REQ-AGT-032 refused at another step"

# REQ-AGT-033 an ECU that does not trust the broker's key: 0x52 in words
stop_ecu
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/rogue.key" 2>/dev/null
openssl pkey -in "$W/rogue.key" -pubout -out "$W/rogue.pub" 2>/dev/null
: >"$W/ecu.json.unused"
"$ECUSIM" --can "$CAN" --vin "$VIN" --trust "$W/rogue.pub" >"$W/ecu.log" 2>&1 &
ECU_PID=$!
i=0
while ! grep -q 'event=started' "$W/ecu.log"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "ecusim"; sleep 0.05
done
expect_agent 7 "signed by a key the ECU does not trust (NRC 0x52" \
    "REQ-AGT-033 untrusted signing key: NRC 0x52 and advice" run door.unlock --work-order W
grep -q "call OEM support" "$W/out" || fail "REQ-AGT-033 advice"
