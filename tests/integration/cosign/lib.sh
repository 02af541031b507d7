# Shared helpers of the co-signer integration tests (sourced by test_*.sh).
# Environment from CMake: COSIGND, TOKREQ, COSREQ, COS_TESTDIR, PITLANE_SOURCE_DIR.
set -eu

fail() {
	echo "FAIL: $*" >&2
	[ -n "${W:-}" ] && [ -f "$W/cosignd.log" ] && tail -n 20 "$W/cosignd.log" >&2
	exit 1
}
pass() { echo "ok: $*"; }

W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-cos.XXXXXX")
P=$W/pki
COSIGND_PID=
cleanup() {
	if [ -n "$COSIGND_PID" ] && kill -0 "$COSIGND_PID" 2>/dev/null; then
		kill -TERM "$COSIGND_PID" 2>/dev/null || true
		wait "$COSIGND_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

"$PITLANE_SOURCE_DIR/packaging/demo-pki.sh" "$P" >/dev/null || fail "demo-pki.sh failed"
COSIGNER_HSM_CONF=$P/hsm-cosigner/softhsm2.conf
BROKER_HSM_CONF=$P/hsm-broker/softhsm2.conf
AGENT_HSM_CONF=$P/hsm-agent/softhsm2.conf
VIN=WVWZZZ1JZXW000001
OP=ignition.enable
LIMITS=$W/limits.conf
cp "$COS_TESTDIR/limits.conf" "$LIMITS"
[ ! -f "$COS_TESTDIR/approvers.conf" ] || cp "$COS_TESTDIR/approvers.conf" "$W/approvers.conf"

# write_config FILE [extra lines...]
write_config() {
	f=$1
	shift
	sh "$PITLANE_SOURCE_DIR/packaging/demo-cosignd-conf.sh" "$P" "$W/cosign.db" "$LIMITS" \
	    "admin_listen 127.0.0.1:0" "$@" >"$f"
}

# start_cosignd CONF: starts pitlane-cosignd -d in the background; sets PORT, ADMIN.
start_cosignd() {
	: >"$W/cosignd.log"
	SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$1" -d >>"$W/cosignd.log" 2>&1 &
	COSIGND_PID=$!
	i=0
	while ! grep -q 'event=net_started' "$W/cosignd.log"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "pitlane-cosignd did not start"
		kill -0 "$COSIGND_PID" 2>/dev/null || fail "pitlane-cosignd exited at start"
		sleep 0.1
	done
	PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/cosignd.log")
	ADMIN=$(sed -n 's/.*listener=admin addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/cosignd.log")
	URL=https://localhost:$PORT/v1/cosign
	wait_ready
}

wait_ready() {
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready")" = 200 ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "pitlane-cosignd not ready"
		sleep 0.1
	done
}

# net_pid: the network child's pid (the core's only child)
net_pid() {
	pgrep -P "$COSIGND_PID" -f -- '--net-child' | head -n 1
}

metric() {
	curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# post BODYFILE OUT [CLIENT] [CONTENT-TYPE]: POST /v1/cosign as the broker (client
# certificate broker-client unless CLIENT names another in broker-client/); prints the
# HTTP status (000: no HTTP exchange, e.g. the handshake was refused).
post() {
	cl=${3:-broker-client}
	curl -s -o "$2" -w '%{http_code}' --cacert "$P/service-ca/ca.crt" \
	    --pinnedpubkey "sha256//$(cat "$P/cosigner/cosigner.spki-pin")" \
	    --cert "$P/broker-client/$cl.crt" --key "$P/broker-client/$cl.key" \
	    -H "Content-Type: ${4:-application/cbor}" --data-binary "@$1" "$URL" || true
}

# problem_code FILE: the code of a problem-details body
problem_code() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
i = b.find(b'dcode')  # the text key "code", then a short text string: 0x60 + length
n = b[i + 5] - 0x60 if i >= 0 and len(b) > i + 5 else -1
print(b[i + 6:i + 6 + n].decode() if 0 <= n < 24 else '?')
PY
}

# make_request NAME [tokreq options...]: the technician tech-anna's signed request for VIN
# and OP with a fresh challenge, and the broker's token for it (cosreq, the broker's key);
# writes $W/NAME.body (the co-sign request), $W/NAME.token, sets CNONCE.
make_request() {
	name=$1
	shift
	CNONCE=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/$name.req" \
	    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
	    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op "$OP" \
	    --cnonce "$CNONCE" --ttl 60 "$@" >/dev/null || fail "tokreq --dump-body failed"
	SOFTHSM2_CONF=$BROKER_HSM_CONF "$COSREQ" build --request "$W/$name.req" --vin "$VIN" \
	    --op "$OP" --cnonce "$CNONCE" --tech tech-anna --workshop ws-muc-01 \
	    --work-order WO-4711 --ttl 60 --exi 120 --p11-token pitlane-broker \
	    --p11-object broker-signing --pin-file "$P/hsm-broker/pin" \
	    --broker-pub "$P/hsm-broker/broker-signing.pub.pem" \
	    --body-out "$W/$name.body" --token-out "$W/$name.token" ||
	    fail "cosreq build failed"
}
