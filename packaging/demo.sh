#!/bin/sh
# `make demo`: the whole pitlane chain on this machine, in a few seconds.
#
#   packaging/demo.sh BUILD_DIR
#
# Creates a throw-away demo PKI and SoftHSM2 tokens in a temporary directory
# (packaging/demo-pki.sh), starts the broker (pitlaned) on 127.0.0.1 and the
# ECU simulator (pitlane-ecusim) on vcan when this kernel has it, else on the
# userspace loop bus, and lets technician tech-anna of workshop ws-muc-01
# unlock a car with `pitlane run door.unlock`. Then it shows refusals: the
# same token replayed, a VIN outside the workshop's policy and the rate
# limit (3 unlocks per technician per minute); prints the audit trail and
# verifies it; stops everything it started.
# Exit 0 only if every step behaved as expected.
#
# Environment: PITLANE_DEMO_CAN=loop forces the loop bus; PITLANE_DEMO_KEEP=1
# keeps the temporary directory (its path is printed).
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
PITLANE=$build/agent/pitlane
PITLANED=$build/broker/pitlaned
PITLANECTL=$build/broker/pitlanectl
ECUSIM=$build/vehicle/pitlane-ecusim
for p in "$PITLANE" "$PITLANED" "$PITLANECTL" "$ECUSIM"; do
	if [ ! -x "$p" ]; then
		echo "demo: $p not found: build first (make)" >&2
		exit 2
	fi
done

VIN=WVWZZZ1JZXW000001      # a Volkswagen: ws-muc-01 may work on WVW...
FOREIGN_VIN=WBAPH5C55BA123456  # a BMW: outside ws-muc-01's vin_prefixes
W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-demo.XXXXXX")
BROKER_PID=
ECU_PID=
VCAN=
failed=0

cleanup() {
	[ -n "$ECU_PID" ] && kill -TERM "$ECU_PID" 2>/dev/null && wait "$ECU_PID" 2>/dev/null
	[ -n "$BROKER_PID" ] && kill -TERM "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
	[ -n "$VCAN" ] && ip link delete "$VCAN" 2>/dev/null
	if [ "${PITLANE_DEMO_KEEP:-0}" = 1 ]; then
		echo "demo: kept $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
umask 077

heading() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || heading() { printf '\n== %s\n' "$*"; }
say() { printf '%s\n' "$*"; }

# expect WANT_EXIT PATTERN DESCRIPTION COMMAND...: runs COMMAND, shows its
# output, checks the exit status and that a line matches PATTERN.
expect() {
	want=$1 pat=$2 what=$3
	shift 3
	printf '$ %s\n' "$(echo "$*" | sed "s|$build/agent/||; s|$build/broker/||; s|$W|\$DEMO|g")"
	"$@" >"$W/out" 2>&1
	got=$?
	sed 's/^/  /' "$W/out"
	if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$W/out"; then
		printf '  -> %s (exit %d, as expected)\n' "$what" "$got"
	else
		printf '  -> UNEXPECTED: exit %d, wanted %d and a line matching "%s" (%s)\n' \
		    "$got" "$want" "$pat" "$what"
		failed=$((failed + 1))
	fi
}

die() {
	echo "demo: $*" >&2
	for f in "$W/broker.log" "$W/ecu.log"; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
	done
	exit 1
}

wait_for() { # FILE PATTERN PID WHAT
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 150 ] || die "$4 did not start"
		kill -0 "$3" 2>/dev/null || die "$4 exited at start"
		sleep 0.05
	done
}

heading "1. A demo PKI and two SoftHSM2 tokens (demo material, thrown away at the end)"
"$src/packaging/demo-pki.sh" "$W/pki" >"$W/pki.log" 2>&1 || { cat "$W/pki.log"; die "demo-pki.sh failed"; }
P=$W/pki
say "dealer CA, broker TLS key (pinned by the agent), device certificate of PC ws-muc-01-pc1,"
say "broker signing key in token 'pitlane-broker', technician keys in token 'pitlane-technicians'"

heading "2. The broker (pitlaned) with the demo policy"
cp -r "$src/policy" "$W/policy"
sh "$src/packaging/demo-broker-conf.sh" "$P" "$W/policy" "$W/audit.db" \
    "admin_listen 127.0.0.1:0" "workers 2" >"$W/broker.conf"
SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf "$PITLANED" -f "$W/broker.conf" -d >"$W/broker.log" 2>&1 &
BROKER_PID=$!
wait_for "$W/broker.log" 'event=started' "$BROKER_PID" pitlaned
PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/broker.log" | head -n 1)
[ -n "$PORT" ] || die "no API port in the broker log"
say "pitlaned listens on https://127.0.0.1:$PORT (mTLS, TLS 1.3); signing key in the HSM"

heading "3. The vehicle: pitlane-ecusim for VIN $VIN"
CAN=
if [ "${PITLANE_DEMO_CAN:-}" != loop ] && command -v ip >/dev/null 2>&1 &&
    ip link add dev pldemo0 type vcan 2>/dev/null; then
	VCAN=pldemo0
	if ip link set pldemo0 up 2>/dev/null; then
		CAN=socketcan:pldemo0
		say "CAN: SocketCAN virtual interface pldemo0 (this kernel has vcan)"
	fi
fi
if [ -z "$CAN" ]; then
	mkdir -m 700 "$W/bus"
	export PITLANE_CANBUS_DIR=$W/bus
	CAN=loop:demo
	say "CAN: the userspace loop bus loop:demo (no vcan in this kernel or no permission)"
fi
"$ECUSIM" --can "$CAN" --vin "$VIN" --trust "$P/hsm-broker/broker-signing.pub.pem" \
    --state "$W/ecu.json" >"$W/ecu.log" 2>&1 &
ECU_PID=$!
wait_for "$W/ecu.log" 'event=started' "$ECU_PID" pitlane-ecusim
say "the ECU trusts only the broker's signing key (hsm-broker/broker-signing.pub.pem)"

heading "4. The workshop PC: agent.conf for technician tech-anna"
cat >"$W/agent.conf" <<CONF
# demo agent configuration (written by packaging/demo.sh)
broker_url https://127.0.0.1:$PORT
broker_ca $P/ca/ca.crt
broker_pin sha256//$(cat "$P/broker/broker.spki-pin")
device_cert $P/devices/ws-muc-01-pc1.crt
device_key $P/devices/ws-muc-01-pc1.key
technician_cert $P/technicians/tech-anna.crt
technician_key pkcs11:token=pitlane-technicians;object=tech-anna;type=private
pin_file $P/hsm-agent/pin
can $CAN
CONF
sed "s|$W|\$DEMO|g; s/^/  /" "$W/agent.conf"
export PITLANE_AGENT_CONF=$W/agent.conf
export SOFTHSM2_CONF=$P/hsm-agent/softhsm2.conf

heading "5. Read the VIN"
expect 0 "^$VIN\$" "the ECU answers" "$PITLANE" vin

heading "6. Unlock the door: the whole chain"
expect 0 "^done: door.unlock on $VIN" "door unlocked" \
    "$PITLANE" run door.unlock --work-order WO-2025-0042 --reason "customer locked the keys in" \
    --out "$W/token.cwt"
say "the simulator's state file now says: $(sed -n 's/.*"doors":"\([a-z]*\)".*/doors \1/p' "$W/ecu.json")"
say "the token (the demo kept a copy with --out to replay it below):"
expect 0 '"scope": *"door.unlock"' "token decoded" "$PITLANE" token inspect "$W/token.cwt"

heading "7. Refusal: the same token presented again"
expect 7 "NRC 0x55" "the vehicle refuses a replayed token" \
    "$PITLANE" run door.unlock --work-order WO-2025-0042 --token "$W/token.cwt"

heading "8. Refusal: a VIN outside the workshop's policy ($FOREIGN_VIN)"
expect 1 "refused by the policy (rule workshops.ws-muc-01.vin_prefixes)" "the broker refuses" \
    "$PITLANE" request door.unlock --vin "$FOREIGN_VIN" --cnonce "$(openssl rand -hex 32)" \
    --work-order WO-2025-0043

heading "9. Refusal: the rate limit (policy: 3 unlocks per technician per minute)"
limited=0
for n in 2 3 4; do
	printf '$ pitlane run door.unlock --work-order WO-2025-004%d\n' "$n"
	"$PITLANE" run door.unlock --work-order "WO-2025-004$n" >"$W/out" 2>&1
	rc=$?
	sed 's/^/  /' "$W/out"
	if [ "$rc" -eq 1 ] && grep -q "rate limit reached" "$W/out"; then
		limited=1
		say "  -> refused by the rate limit (exit 1, as expected)"
		break
	elif [ "$rc" -ne 0 ]; then
		say "  -> UNEXPECTED: exit $rc"
		failed=$((failed + 1))
		break
	fi
done
if [ "$limited" -eq 0 ] && [ "$failed" -eq 0 ]; then
	say "  -> UNEXPECTED: 4 unlocks within a minute were issued (the policy allows 3)"
	failed=$((failed + 1))
fi

heading "10. Stop the ECU simulator and the broker (it signs a final audit checkpoint)"
kill -TERM "$ECU_PID" && wait "$ECU_PID"
rc=$?
ECU_PID=
[ "$rc" -eq 0 ] || { say "pitlane-ecusim exited with $rc"; failed=$((failed + 1)); }
kill -TERM "$BROKER_PID" && wait "$BROKER_PID"
rc=$?
BROKER_PID=
[ "$rc" -eq 0 ] || { say "pitlaned exited with $rc"; failed=$((failed + 1)); }
say "stopped (both exited 0)"

heading "11. The audit trail (pitlanectl audit export, one JSON object per row)"
"$PITLANECTL" audit export "$W/audit.db" >"$W/audit.jsonl" 2>&1 || die "audit export failed"
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",]*\).*/\\1/p"; }
printf '  %-4s %-8s %-12s %-18s %-12s %-34s %s\n' seq decision technician vin op rule token_id
while IFS= read -r row; do
	printf '  %-4s %-8s %-12s %-18s %-12s %-34s %s\n' \
	    "$(echo "$row" | field seq)" "$(echo "$row" | field decision)" \
	    "$(echo "$row" | field technician)" "$(echo "$row" | field vin)" \
	    "$(echo "$row" | field op)" "$(echo "$row" | field rule)" \
	    "$(echo "$row" | field token_id)"
done <"$W/audit.jsonl"
say "  ($(wc -l <"$W/audit.jsonl") rows; every token id is the cti of a token that left the broker)"
expect 0 "intact" "the hash chain and the signed checkpoints are intact" \
    "$PITLANECTL" audit verify "$W/audit.db" --pubkey "$P/hsm-broker/broker-signing.pub.pem"

echo
if [ "$failed" -ne 0 ]; then
	echo "demo: $failed step(s) did not behave as expected"
	exit 1
fi
echo "demo: every step behaved as expected"
