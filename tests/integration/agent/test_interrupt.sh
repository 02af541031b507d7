#!/bin/sh
# Ctrl-C during `pitlane run` (REQ-AGT-024): the run stops after the exchange in
# progress, tells the ECU to end the authentication (29 00), says so and exits 130;
# a pending approval stays pending; at the PIN prompt (on a pseudo-terminal, ptyint.py) it
# stops before the vehicle is touched.
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu
agent_conf "$W/ben.conf" "technician_cert $P/technicians/tech-ben.crt" \
    "technician_key pkcs11:token=pitlane-technicians;object=tech-ben;type=private" \
    "approval_wait_s 60"
export PITLANE_AGENT_CONF=$W/ben.conf

# key.learn needs an approval: the agent waits (tester present), then gets SIGINT.
"$PITLANE" run key.learn --work-order WO-INT >"$W/out" 2>&1 &
AGENT=$!
i=0
until "$PITLANECTL" approvals list -f "$W/broker.conf" 2>/dev/null | grep -q pending; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "REQ-AGT-024 no pending approval"
	sleep 0.1
done
sleep 0.5
kill -INT "$AGENT"
i=0
while kill -0 "$AGENT" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "REQ-AGT-024 pitlane still runs 5 s after Ctrl-C"
	sleep 0.1
done
rc=0
wait "$AGENT" || rc=$?
[ "$rc" -eq 130 ] || fail "REQ-AGT-024 exit $rc after Ctrl-C, want 130: $(cat "$W/out")"
grep -q "interrupted while waiting for an approver; approval [0-9a-f]\{32\} stays pending until it expires; the vehicle confirmed the end of authentication (29 00)" "$W/out" ||
    fail "REQ-AGT-024 message: $(cat "$W/out")"
grep -q "event=deauth reason=request scope=none" "$W/ecu.log" || fail "REQ-AGT-024 the ECU got no 29 00"
"$PITLANECTL" approvals list -f "$W/broker.conf" | grep -q pending ||
    fail "REQ-AGT-024 the approval is no longer pending"
pass "REQ-AGT-024 Ctrl-C while waiting: 29 00 sent, exit 130, the approval stays pending"

# Ctrl-C at the PIN prompt (no pin_file: pitlane asks at the terminal): interrupted, exit
# 130, and the vehicle was not touched.
agent_conf "$W/nopin.conf" "technician_cert $P/technicians/tech-ben.crt" \
    "technician_key pkcs11:token=pitlane-technicians;object=tech-ben;type=private" "pin_file"
n0=$(wc -l <"$W/ecu.log")
rc=0
python3 "$(dirname "$0")/ptyint.py" "Technician PIN:" "$PITLANE" -c "$W/nopin.conf" \
    run door.unlock --work-order WO-PIN >"$W/pin.out" 2>&1 || rc=$?
[ "$rc" -eq 130 ] || fail "REQ-AGT-024 Ctrl-C at the PIN prompt: exit $rc: $(cat "$W/pin.out")"
grep -q "interrupted (Ctrl-C) before the vehicle was touched" "$W/pin.out" ||
    fail "REQ-AGT-024 PIN prompt message: $(cat "$W/pin.out")"
[ "$(wc -l <"$W/ecu.log")" -eq "$n0" ] || fail "REQ-AGT-024 the vehicle was touched"
pass "REQ-AGT-024 Ctrl-C at the PIN prompt: interrupted before the vehicle, exit 130"
