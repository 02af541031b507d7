# Shared helpers of the agent integration tests (sourced by test_*.sh, flow.sh).
# Real processes: pitlaned on 127.0.0.1 (port from the kernel), pitlane-ecusim on
# the CAN URI in $AGT_CAN (default: a private loop: bus), a fresh demo PKI and
# SoftHSM2 tokens per run. Environment: PITLANE, PITLANED, PITLANECTL, ECUSIM,
# PITLANE_SOURCE_DIR.
set -u

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${W:-}" ]; then
		[ -f "$W/out" ] && { echo "--- last pitlane output" >&2; cat "$W/out" >&2; }
		[ -f "$W/broker.log" ] && { echo "--- broker log" >&2; tail -n 15 "$W/broker.log" >&2; }
		[ -f "$W/ecu.log" ] && { echo "--- ecusim log" >&2; tail -n 15 "$W/ecu.log" >&2; }
	fi
	exit 1
}
pass() { echo "ok: $*"; }

for v in PITLANE PITLANED PITLANECTL ECUSIM PITLANE_SOURCE_DIR; do
	eval "[ -n \"\${$v:-}\" ]" || { echo "lib.sh: $v is not set" >&2; exit 2; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-agt.XXXXXX")
P=$W/pki
BROKER_PID=
ECU_PID=
EXTRA_PIDS=  # helper processes a test started (killed at exit)
cleanup() {
	for p in $EXTRA_PIDS; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$ECU_PID" ] && kill -0 "$ECU_PID" 2>/dev/null; then
		kill -TERM "$ECU_PID" 2>/dev/null
		wait "$ECU_PID" 2>/dev/null
	fi
	if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
		kill -TERM "$BROKER_PID" 2>/dev/null
		wait "$BROKER_PID" 2>/dev/null
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PITLANE_SOURCE_DIR/packaging/demo-pki.sh" "$P" >/dev/null || fail "demo-pki.sh failed"
mkdir -m 700 "$W/bus"
export PITLANE_CANBUS_DIR=$W/bus
CAN=${AGT_CAN:-loop:agt}
VIN=WVWZZZ1JZXW000001
export SOFTHSM2_CONF=$P/hsm-agent/softhsm2.conf
PORT=

AGT_DIR=$(cd "$(dirname "$0")" && pwd)

# start_broker [extra broker.conf lines...] (policy: policy/ next to this file: no
# opening hours, no rate limits, key.learn needs an approver)
start_broker() {
	cp -r "$AGT_DIR/policy" "$W/policy" || fail "no test policy in $AGT_DIR/policy"
	sh "$PITLANE_SOURCE_DIR/packaging/demo-broker-conf.sh" "$P" "$W/policy" "$W/audit.db" \
	    "workers 2" "$@" >"$W/broker.conf"
	: >"$W/broker.log"
	SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf "$PITLANED" -f "$W/broker.conf" -d \
	    >>"$W/broker.log" 2>&1 &
	BROKER_PID=$!
	i=0
	while ! grep -q 'event=started' "$W/broker.log"; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "broker did not start"
		kill -0 "$BROKER_PID" 2>/dev/null || fail "broker exited at start"
		sleep 0.05
	done
	PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/broker.log" |
	    head -n 1)
}

stop_broker() {
	kill -TERM "$BROKER_PID"
	wait "$BROKER_PID"
	rc=$?
	BROKER_PID=
	[ "$rc" -eq 0 ] || fail "pitlaned exited with $rc on SIGTERM"
}

# start_ecu [pitlane-ecusim options...] (defaults: $CAN, $VIN, the broker's key)
start_ecu() {
	: >"$W/ecu.log"
	"$ECUSIM" --can "$CAN" --vin "$VIN" --trust "$P/hsm-broker/broker-signing.pub.pem" \
	    --state "$W/ecu.json" "$@" >>"$W/ecu.log" 2>&1 &
	ECU_PID=$!
	i=0
	while ! grep -q 'event=started' "$W/ecu.log"; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "pitlane-ecusim did not start"
		kill -0 "$ECU_PID" 2>/dev/null || fail "pitlane-ecusim exited at start"
		sleep 0.05
	done
}

stop_ecu() {
	kill -TERM "$ECU_PID"
	wait "$ECU_PID"
	rc=$?
	ECU_PID=
	[ "$rc" -eq 0 ] || fail "pitlane-ecusim exited with $rc on SIGTERM"
}

# agent_conf FILE ["key value" overrides...]: the test agent.conf (tech-anna on
# ws-muc-01-pc1); an override replaces the line of its key, "key" alone drops it.
agent_conf() {
	f=$1
	shift
	cat >"$f.tmp" <<CONF
# agent integration test configuration
broker_url https://127.0.0.1:$PORT
broker_ca $P/ca/ca.crt
broker_pin sha256//$(cat "$P/broker/broker.spki-pin")
device_cert $P/devices/ws-muc-01-pc1.crt
device_key $P/devices/ws-muc-01-pc1.key
technician_cert $P/technicians/tech-anna.crt
technician_key pkcs11:token=pitlane-technicians;object=tech-anna;type=private
pin_file $P/hsm-agent/pin
can $CAN
retries 1
CONF
	for o in "$@"; do
		k=${o%% *}
		grep -v "^$k " "$f.tmp" >"$f.tmp2"
		mv "$f.tmp2" "$f.tmp"
		[ "$k" = "$o" ] || echo "$o" >>"$f.tmp"
	done
	mv "$f.tmp" "$f"
}

# expect_agent WANT_EXIT PATTERN WHAT pitlane-args...: runs pitlane, checks the
# exit status and that a line of its output (stdout + stderr) matches PATTERN.
expect_agent() {
	want=$1 pat=$2 what=$3
	shift 3
	"$PITLANE" "$@" >"$W/out" 2>&1
	got=$?
	[ "$got" -eq "$want" ] || fail "$what: pitlane $*: exit $got, want $want"
	grep -q -- "$pat" "$W/out" || fail "$what: no line matching '$pat'"
	pass "$what"
}

# audit_rows: number of rows in the audit database (the broker must be stopped
# or the rows committed; export reads the committed rows).
audit_rows() {
	if [ -f "$W/audit.db" ]; then
		"$PITLANECTL" audit export "$W/audit.db" | wc -l
	else
		echo 0
	fi
}

# officer_conf FILE NAME [CERT [TOKEN [CONF]]]: an officer.conf (pitlanectl --officer) for
# the key NAME in the officers' token (pitlane-officers), certificate officers/NAME.crt
officer_conf() {
	cat >"$1" <<CONF
officer_cert ${3:-$P/officers/$2.crt}
officer_key pkcs11:token=${4:-pitlane-officers};object=$2;type=private
pin_file ${5:-$P/hsm-officers/pin}
CONF
}
# officer_ctl CONF pitlanectl-args...: pitlanectl as the officer of CONF (the officers' token)
officer_ctl() {
	oc=$1
	shift
	SOFTHSM2_CONF=${OFFICER_HSM_CONF:-$P/hsm-officers/softhsm2.conf} "$PITLANECTL" "$@" \
	    --officer "$oc"
}
