# Shared helpers of the broker integration tests (sourced by test_*.sh).
# Environment from CMake: PITLANED, PITLANECTL, TOKREQ, BRK_TESTDIR, PITLANE_SOURCE_DIR,
# optionally PITLANE_TOKEN (the pitlane-token CLI).
set -eu

fail() {
	echo "FAIL: $*" >&2
	[ -n "${W:-}" ] && [ -f "$W/broker.log" ] && tail -n 20 "$W/broker.log" >&2
	exit 1
}
pass() { echo "ok: $*"; }

W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-brk.XXXXXX")
P=$W/pki
BROKER_PID=
cleanup() {
	if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
		kill -TERM "$BROKER_PID" 2>/dev/null || true
		wait "$BROKER_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

"$PITLANE_SOURCE_DIR/packaging/demo-pki.sh" "$P" >/dev/null || fail "demo-pki.sh failed"
cp -r "$BRK_TESTDIR/policy" "$W/policy"
BROKER_HSM_CONF=$P/hsm-broker/softhsm2.conf
AGENT_HSM_CONF=$P/hsm-agent/softhsm2.conf
VIN=WVWZZZ1JZXW000001

# write_config FILE [extra lines...]
write_config() {
	f=$1
	shift
	sh "$PITLANE_SOURCE_DIR/packaging/demo-broker-conf.sh" "$P" "$W/policy" "$W/audit.db" \
	    "admin_listen 127.0.0.1:0" "workers 4" "$@" >"$f"
}

# start_broker CONF: starts pitlaned -d in the background, sets PORT, ADMIN.
start_broker() {
	: >"$W/broker.log"
	SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$1" -d >>"$W/broker.log" 2>&1 &
	BROKER_PID=$!
	i=0
	while ! grep -q 'event=started' "$W/broker.log"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "broker did not start"
		kill -0 "$BROKER_PID" 2>/dev/null || fail "broker exited at start"
		sleep 0.1
	done
	PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/broker.log")
	ADMIN=$(sed -n 's/.*listener=admin addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/broker.log")
	URL=https://127.0.0.1:$PORT/v1/token
}

# wait_log PATTERN [N]: until PATTERN occurs N (default 1) times in the broker log (5 s)
wait_log() {
	i=0
	until [ "$(grep -c -- "$1" "$W/broker.log")" -ge "${2:-1}" ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "no '$1' (x${2:-1}) in the broker log"
		sleep 0.1
	done
}

stop_broker() {
	kill -TERM "$BROKER_PID"
	wait "$BROKER_PID" || fail "broker exited with $? on SIGTERM"
	BROKER_PID=
}

# req DEVICE TECH [tokreq options...]: one signed request with the technician key
# from the agent token; prints tokreq's line.
req() {
	dev=$1
	tech=$2
	shift 2
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/$dev.crt" --key "$P/devices/$dev.key" \
	    --tech-cert "$P/technicians/$tech.crt" --p11-token pitlane-technicians \
	    --p11-object "$tech" --pin-file "$P/hsm-agent/pin" --vin "$VIN" "$@" || true
}

# expect_line WHAT ACTUAL EXPECTED-PREFIX
expect_line() {
	case "$2" in
	"$3"*) pass "$1 ($2)" ;;
	*) fail "$1: got '$2', expected '$3...'" ;;
	esac
}

metric() {
	curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# audit_rows FIELD VALUE: number of exported audit rows whose FIELD equals VALUE.
audit_rows() {
	"$PITLANECTL" audit export "$W/audit.db" | grep -c "\"$1\":\"$2\"" || true
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
