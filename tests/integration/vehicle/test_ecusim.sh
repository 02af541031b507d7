#!/bin/sh
# pitlane-ecusim as a separate process on a loop: bus, driven by ecu-client
# (lib/can's UDS client) through the whole token flow and its refusals.
# Requirement ids REQ-ECU-040..049: docs/vehicle.md.
# usage: test_ecusim.sh PITLANE-ECUSIM ECU-CLIENT
set -u
ECUSIM=$1
CLIENT=$2
VIN=WVWZZZ1JZXW000001
tmp=$(mktemp -d)
SIM=
cleanup() {
	[ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export PITLANE_CANBUS_DIR="$tmp/bus"
mkdir -m 700 "$tmp/bus"
BUS="loop:ecu"

fail() {
	echo "FAIL: $*"
	echo "--- last client output"; cat "$tmp/out" 2>/dev/null
	echo "--- ecusim log"; cat "$tmp/sim.log" 2>/dev/null
	exit 1
}
pass() { echo "ok: $*"; }

# run EXPECTED_EXIT PATTERN client-args...: the exit code and a line of output
run() {
	want=$1 pat=$2
	shift 2
	"$CLIENT" --can "$BUS" "$@" >"$tmp/out" 2>&1
	got=$?
	[ "$got" -eq "$want" ] || fail "ecu-client $*: exit $got, want $want"
	grep -q -- "$pat" "$tmp/out" || fail "ecu-client $*: no line matching '$pat'"
}
# Session and authentication changes are written just after the answer:
# give the file up to 2 s to catch up.
state_has() {
	i=0
	while ! grep -q -- "$1" "$tmp/state.json" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 40 ] || fail "state file lacks $1: $(cat "$tmp/state.json")"
		sleep 0.05
	done
}
start_sim() {
	[ -f "$tmp/sim.log" ] && cat "$tmp/sim.log" >>"$tmp/sim-earlier.log"
	: >"$tmp/sim.log"
	"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/broker.pub.pem" \
		--state "$tmp/state.json" --attempts 3 --lockout 2 --session-timeout 2 \
		2>>"$tmp/sim.log" &
	SIM=$!
	i=0
	while ! grep -q "event=started" "$tmp/sim.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "pitlane-ecusim did not start"
		kill -0 "$SIM" 2>/dev/null || fail "pitlane-ecusim exited at start"
		sleep 0.05
	done
}
stop_sim() {
	kill -TERM "$SIM"
	wait "$SIM"
	rc=$?
	SIM=
	[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc, want 0"
	tail -n 1 "$tmp/sim.log" | grep -q "event=shutdown signal=SIGTERM" ||
		fail "no shutdown line"
}

for k in broker rogue; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$tmp/$k.key" 2>/dev/null || fail "openssl genpkey"
done
openssl pkey -in "$tmp/broker.key" -pubout -out "$tmp/broker.pub.pem" 2>/dev/null

# REQ-ECU-040 exit codes of the command line
"$ECUSIM" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no arguments: want exit 2"
"$ECUSIM" --help | grep -q "Exit status" || fail "--help"
"$ECUSIM" --can "$BUS" --vin WVWZZZ1JZXW00000O --trust "$tmp/broker.pub.pem" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "without I, O and Q" "$tmp/err" || fail "bad VIN: want exit 2 and a reason"
"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/missing.pem" 2>"$tmp/err"
[ $? -eq 3 ] && grep -q "event=trust_unreadable" "$tmp/err" || fail "missing trust: want 3"
"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/broker.key" 2>"$tmp/err"
[ $? -eq 3 ] && grep -q "event=trust_invalid" "$tmp/err" || fail "private key as trust: want 3"
echo '{"vin":"WVWZZZ1JZXW000002","doors":"locked","ignition":"off","attempts":0,"key_learn_count":0,"dtcs":[]}' >"$tmp/other.json"
"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/broker.pub.pem" --state "$tmp/other.json" 2>"$tmp/err"
[ $? -eq 3 ] && grep -q "event=state_other_vin" "$tmp/err" || fail "state of another VIN: want 3"
pass "REQ-ECU-040 exit codes"

start_sim
state_has '"doors":"locked"'
# REQ-ECU-041 reads without a token
run 0 "vin=$VIN" --vin-read
run 0 "dtc_count=2" --dtc-read
pass "REQ-ECU-041 VIN and DTC reads"

# REQ-ECU-042 the full flow: session, VIN, challenge, token, routine, deauth
run 0 "routine=door.unlock rid=0xF001" --flow door.unlock --key "$tmp/broker.key"
grep -q "step=deauth ok" "$tmp/out" || fail "no deauth step"
grep -q "challenge_len=32" "$tmp/out" || fail "challenge length"
state_has '"doors":"unlocked"'
state_has '"auth":"none"'
grep -q "event=auth_ok scope=door.unlock" "$tmp/sim.log" || fail "no auth_ok log line"
grep -q "event=routine op=door.unlock rid=0xF001" "$tmp/sim.log" || fail "no routine log line"
pass "REQ-ECU-042 full flow $(grep token_rtt_ms "$tmp/out")"
run 0 "routine=door.unlock" --flow door.unlock --full-claims --key "$tmp/broker.key"
len=$(sed -n 's/^token_len=//p' "$tmp/out")
[ "$len" -ge 390 ] && [ "$len" -le 400 ] || fail "full-claims token is $len bytes, want 390..400"
pass "REQ-ECU-042 full flow with a $len-byte token $(grep token_rtt_ms "$tmp/out")"

# REQ-ECU-043 refusals: scope, no token, other VIN, bad signature
run 1 "step=routine nrc=0x33" --flow ignition.enable --token-op door.unlock --key "$tmp/broker.key"
state_has '"ignition":"off"'
state_has '"auth":"door.unlock"'
run 0 "resp=690010" --raw 2900
state_has '"auth":"none"'
run 1 "step=routine nrc=0x34" --routine door.lock
run 1 "step=token nrc=0x55" --flow door.lock --token-vin WVWZZZ1JZXW000002 --key "$tmp/broker.key"
grep -q "event=auth_fail reason=wrong_vin nrc=0x55" "$tmp/sim.log" || fail "auth_fail reason"
run 1 "step=token nrc=0x51" --flow door.lock --corrupt-sig --key "$tmp/broker.key"
state_has '"attempts":2'
state_has '"doors":"unlocked"'
pass "REQ-ECU-043 refusals 0x33 0x34 0x55 0x51"

# REQ-ECU-044 third bad token: 0x36, then 0x37; the counter survives a restart
run 1 "step=token nrc=0x36" --flow door.lock --key "$tmp/rogue.key"
state_has '"attempts":3'
state_has '"locked_out":true'
run 1 "step=challenge nrc=0x37" --flow door.lock --key "$tmp/broker.key"
stop_sim
start_sim
grep -q "state=restored" "$tmp/sim.log" || fail "state not restored"
run 1 "step=challenge nrc=0x37" --flow door.lock --key "$tmp/broker.key"
sleep 2.1
run 0 "routine=door.lock" --flow door.lock --key "$tmp/broker.key"
state_has '"attempts":0'
state_has '"doors":"locked"'
pass "REQ-ECU-044 lockout 0x36/0x37 persisted across a restart"

# REQ-ECU-045 a token is good for one challenge only
run 1 "step=replay nrc=0x24" --flow door.unlock --replay --key "$tmp/broker.key"
pass "REQ-ECU-045 replay refused"

# REQ-ECU-046 session timeout ends the authentication
run 0 "routine=door.unlock" --flow door.unlock --no-deauth --key "$tmp/broker.key"
state_has '"auth":"door.unlock"'
sleep 2.5
state_has '"auth":"none"'
state_has '"session":"default"'
grep -q "event=deauth reason=session_timeout" "$tmp/sim.log" || fail "no S3 deauth line"
pass "REQ-ECU-046 session timeout"

# REQ-ECU-047 the log never carries a token or a challenge
if grep -Eq "[0-9a-f]{64}" "$tmp/sim.log"; then fail "long hex string in the log"; fi
pass "REQ-ECU-047 no token in the log"

stop_sim
pass "REQ-ECU-048 clean shutdown on SIGTERM"
echo PASS
