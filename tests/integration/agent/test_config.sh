#!/bin/sh
# agent.conf errors name file:line and what to do; usage and help (REQ-AGT-040..042).
. "$(dirname "$0")/lib.sh"

PORT=1
agent_conf "$W/good.conf"
bad() { # WHAT PATTERN [lines to append...]
	what=$1 pat=$2
	shift 2
	cp "$W/good.conf" "$W/bad.conf"
	for l in "$@"; do echo "$l" >>"$W/bad.conf"; done
	expect_agent 3 "$pat" "REQ-AGT-040 $what" -c "$W/bad.conf" run door.unlock --work-order W
}
n=$(($(wc -l <"$W/good.conf") + 1))
bad "unknown key" "bad.conf:$n: unknown key 'colour' (known keys are listed in docs/agent.md)" \
    "colour blue"
bad "key given twice" "bad.conf:$n: key 'can' given twice" "can loop:other"
bad "number out of range" "bad.conf:$n: connect_timeout_s must be a whole number from 1 to 60, got '99'" "connect_timeout_s 99"
bad "CAN id" "bad.conf:$n: tester_id must be a number from 0x0 to 0x1FFFFFFF (decimal or 0x-hex), got '0xZZ'" "tester_id 0xZZ"
grep -v '^broker_pin ' "$W/good.conf" >"$W/nopin.conf"
echo "broker_pin md5//abc" >>"$W/nopin.conf"
expect_agent 3 "nopin.conf:$((n - 1)): broker_pin: 'md5//abc' is not sha256//" "REQ-AGT-040 bad pin" \
    -c "$W/nopin.conf" vin
grep -v '^device_cert ' "$W/good.conf" >"$W/missing.conf"
expect_agent 3 "missing.conf: required key 'device_cert' is missing" "REQ-AGT-040 missing key" \
    -c "$W/missing.conf" run door.unlock --work-order W
expect_agent 3 "/nonexistent.conf: no such file" "REQ-AGT-040 missing file" \
    -c /nonexistent.conf run door.unlock --work-order W

# REQ-AGT-041 usage errors exit 2, --help on every command exits 0
expect_agent 2 "work-order ID is required" "REQ-AGT-041 run without --work-order" run door.unlock
expect_agent 2 "unknown operation 'door.smash'" "REQ-AGT-041 unknown operation" \
    run door.smash --work-order W
expect_agent 2 "is not a VIN" "REQ-AGT-041 request with a bad VIN" -c "$W/good.conf" \
    request door.unlock --vin WVWZZZ1JZXW00000O --cnonce "$(openssl rand -hex 16)"
expect_agent 2 "unknown command 'fly'" "REQ-AGT-041 unknown command" fly
for c in run vin request token doctor can; do
	expect_agent 0 "usage: pitlane $c" "REQ-AGT-042 pitlane $c --help" $c --help
done
expect_agent 0 "^pitlane [0-9]" "REQ-AGT-042 --version" --version
