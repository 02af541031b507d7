#!/bin/sh
# run-cosign.sh BUILD_DIR — what the co-signer adds to a critical operation (issue 14).
#   The same operation (ignition.enable, tech-ben) in the same run, through the same demo PKI:
#   1. broker only: pitlaned without a co-signer (COSE_Sign1, as before issue 14)
#   2. co-signed: pitlaned with cosigner_url -> the real pitlane-cosignd on loopback
#      (mTLS, pins both ways, its own SoftHSM2 token, its audit row before it signs)
#   Each: BENCH_COSIGN_REQUESTS (300) requests one at a time over one keep-alive connection
#   (latency without queueing), then over BENCH_COSIGN_CONNS (4) connections; p50 and p99.
#   Printed: both, the difference and the ratio co-signed / broker only. Everything shares
#   this machine's cores (broker, co-signer, client): the ratio is the figure to compare.
set -eu
build=$(cd "${1:?usage: run-cosign.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
PITLANED=$build/broker/pitlaned
COSIGND=$build/cosign/pitlane-cosignd
LOADGEN=$build/bench/broker/broker_loadgen
N=${BENCH_COSIGN_REQUESTS:-300}
C=${BENCH_COSIGN_CONNS:-4}
for x in "$PITLANED" "$COSIGND" "$LOADGEN"; do
	[ -x "$x" ] || { echo "run-cosign.sh: skip: $x is not built" >&2; exit 0; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-bench-cosign.XXXXXX")
BPID= CPID=
stop() { [ -z "$1" ] || { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; } || true; }
cleanup() {
	stop "$BPID"
	stop "$CPID"
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
P=$W/pki
"$top/packaging/demo-pki.sh" "$P" >/dev/null

# wait_for FILE PATTERN PID
wait_for() {
	i=0
	until grep -q "$2" "$1"; do
		i=$((i + 1))
		kill -0 "$3" 2>/dev/null && [ $i -lt 300 ] || { tail -5 "$1" >&2; exit 1; }
		sleep 0.1
	done
}

# the co-signer: no velocity limit (the benchmark sends hundreds of ignition.enable)
echo "operation ignition.enable max_ttl 300 max_exi 120 approval none" >"$W/limits.conf"
sh "$top/packaging/demo-cosignd-conf.sh" "$P" "$W/cosign.db" "$W/limits.conf" >"$W/cosignd.conf"
SOFTHSM2_CONF=$P/hsm-cosigner/softhsm2.conf "$COSIGND" -f "$W/cosignd.conf" -d 2>"$W/cosignd.log" &
CPID=$!
wait_for "$W/cosignd.log" event=net_started "$CPID"
CS_PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/cosignd.log")

# start_broker NAME [lines]: sets PORT
start_broker() {
	name=$1
	shift
	sh "$top/packaging/demo-broker-conf.sh" "$P" "$top/tests/integration/broker/policy" \
	    "$W/$name.db" "workers 8" "request_window_s 600" "$@" >"$W/$name.conf"
	SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf "$PITLANED" -f "$W/$name.conf" -d \
	    2>"$W/$name.log" &
	BPID=$!
	wait_for "$W/$name.log" event=started "$BPID"
	PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/$name.log")
}
load() {
	SOFTHSM2_CONF=$P/hsm-agent/softhsm2.conf "$LOADGEN" --url "https://127.0.0.1:$PORT/v1/token" \
	    --cacert "$P/ca/ca.crt" --cert "$P/devices/ws-muc-01-pc1.crt" \
	    --key "$P/devices/ws-muc-01-pc1.key" --tech-cert "$P/technicians/tech-ben.crt" \
	    --p11-token pitlane-technicians --p11-object tech-ben --pin-file "$P/hsm-agent/pin" \
	    --vin WVWZZZ1JZXW000001 --op ignition.enable --bench --lean-client "$@"
}
# measure NAME: "p50_1 p99_1 p50_C p99_C" (microseconds), all requests must be 201
measure() {
	load --count 20 --conns 1 >/dev/null # warm-up: connections, caches
	a=$(load --count "$N" --conns 1)
	b=$(load --count "$N" --conns "$C")
	for x in "$a" "$b"; do
		case "$x" in *"requests=$N ok=$N "*) ;; *)
			echo "run-cosign.sh: $1: not every request was issued: $x" >&2
			tail -5 "$W/$1.log" >&2
			exit 1 ;;
		esac
	done
	echo "$(echo "$a" | sed 's/.*p50_us=\([0-9]*\) p99_us=\([0-9]*\).*/\1 \2/')" \
	    "$(echo "$b" | sed 's/.*p50_us=\([0-9]*\) p99_us=\([0-9]*\).*/\1 \2/')"
}

start_broker plain
base=$(measure plain)
stop "$BPID"
BPID=
start_broker cosigned "cosigner_url https://localhost:$CS_PORT" \
    "cosigner_pin sha256//$(cat "$P/cosigner/cosigner.spki-pin")" \
    "cosigner_cert $P/broker-client/broker-client.crt" \
    "cosigner_key $P/broker-client/broker-client.key" "cosigned_operations ignition.enable"
cos=$(measure cosigned)
grep -q 'event=token_cosigned' "$W/cosigned.log" ||
    { echo "run-cosign.sh: no token was co-signed" >&2; exit 1; }

set -- $base $cos
echo "ignition.enable, $N requests each, broker only vs co-signed by pitlane-cosignd (same run):"
awk -v b50="$1" -v b99="$2" -v bc50="$3" -v bc99="$4" -v c50="$5" -v c99="$6" -v cc50="$7" \
    -v cc99="$8" -v conns="$C" 'BEGIN {
	printf "  1 connection:  p50 %6.2f ms -> %6.2f ms (+%.2f ms, x%.2f)   p99 %6.2f ms -> %6.2f ms (+%.2f ms, x%.2f)\n",
	    b50 / 1000, c50 / 1000, (c50 - b50) / 1000, c50 / b50, b99 / 1000, c99 / 1000, (c99 - b99) / 1000, c99 / b99
	printf "  %d connections: p50 %6.2f ms -> %6.2f ms (+%.2f ms, x%.2f)   p99 %6.2f ms -> %6.2f ms (+%.2f ms, x%.2f)\n",
	    conns, bc50 / 1000, cc50 / 1000, (cc50 - bc50) / 1000, cc50 / bc50, bc99 / 1000, cc99 / 1000, (cc99 - bc99) / 1000, cc99 / bc99
}'
