#!/bin/sh
# run-flood.sh BUILD_DIR — isolation under a flood (issue 7): workshop ws-muc-01 sends
# dtc.clear at 10 x its limit (100 per 10 s) while workshop ws-ber-02 sends door.lock at
# 40 requests/s, below its own limit. Same broker, same run, alternating phases:
#   R rounds of { ws-ber-02 alone ; ws-ber-02 during the flood }
# Figure: the median over the rounds of (loaded p99 / unloaded p99); target <= 1.20.
# Also: the flood's refusals never reach the HSM (sign calls = tokens + checkpoints).
# BENCH_FLOOD_SECONDS (default 10) is the length of a phase, BENCH_FLOOD_ROUNDS (3) R.
set -eu
build=$(cd "${1:?usage: run-flood.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
PITLANED=$build/broker/pitlaned
LOADGEN=$build/bench/broker/broker_loadgen
S=${BENCH_FLOOD_SECONDS:-10}
R=${BENCH_FLOOD_ROUNDS:-3}
[ -x "$PITLANED" ] && [ -x "$LOADGEN" ] || {
	echo "run-flood.sh: build pitlaned and broker_loadgen first" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-flood.XXXXXX")
PID=
FLOOD=
cleanup() {
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
P=$W/pki
"$top/packaging/demo-pki.sh" "$P" >/dev/null
sh "$top/packaging/demo-broker-conf.sh" "$P" "$top/bench/abuse/policy" "$W/audit.db" \
    "admin_listen 127.0.0.1:0" "workers 8" "request_window_s 600" >"$W/broker.conf"
SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf "$PITLANED" -f "$W/broker.conf" -d 2>"$W/log" &
PID=$!
i=0
until grep -q event=started "$W/log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$W/log"; exit 1; }; sleep 0.1
done
PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/log")
ADMIN=$(sed -n 's/.*listener=admin addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/log")
# load DEVICE TECH OP [loadgen options]
load() {
	dev=$1 tech=$2 op=$3
	shift 3
	SOFTHSM2_CONF=$P/hsm-agent/softhsm2.conf "$LOADGEN" --url "https://127.0.0.1:$PORT/v1/token" \
	    --cacert "$P/ca/ca.crt" --cert "$P/devices/$dev.crt" --key "$P/devices/$dev.key" \
	    --tech-cert "$P/technicians/$tech.crt" --p11-token pitlane-technicians \
	    --p11-object "$tech" --pin-file "$P/hsm-agent/pin" --vin WVWZZZ1JZXW000001 \
	    --op "$op" --bench "$@"
}
metric() {
	curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
LIMITED='pitlane_abuse_verdicts_total{verdict="rate_limited"}'
victim() {
	load ws-ber-02-pc1 tech-carl door.lock --count $((40 * S)) --conns 4 --rate 40 || true
}
p99() { echo "$1" | sed 's/.*p99_us=\([0-9]*\).*/\1/'; }

victim >/dev/null                                   # warm-up (TLS, caches)
ratios=
flood_refused=0
flood_signed=0
r=1
while [ $r -le $R ]; do
	u=$(victim)
	# The flood outlasts the loaded phase; its bodies are signed before its clock
	# starts, so the victim starts once its refusals show in the metrics.
	l0=$(metric "$LIMITED")
	load ws-muc-01-pc1 tech-anna dtc.clear --count $((100 * (S + 20))) --conns 8 \
	    --rate 100 --expect 429 >"$W/flood" 2>&1 &
	FLOOD=$!
	i=0
	while [ "$(metric "$LIMITED")" = "$l0" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "the flood did not start"; exit 1; }
		sleep 0.1
	done
	sleep 1
	l1=$(metric "$LIMITED")
	loaded=$(victim)
	l2=$(metric "$LIMITED")
	kill "$FLOOD" 2>/dev/null || true
	wait "$FLOOD" 2>/dev/null || true
	FLOOD=
	echo "round $r unloaded: $u"
	echo "round $r loaded:   $loaded   (flood: $((l2 - l1)) x 429 meanwhile)"
	ratios="$ratios $(echo "$(p99 "$loaded") $(p99 "$u")" | awk '{ printf "%.3f", $1 / $2 }')"
	r=$((r + 1))
	sleep 11                                    # the flooder's window empties
done
issued=$("$build/broker/pitlanectl" audit export "$W/audit.db" | grep -c '"decision":"allow"' || true)
ckpt=$(metric pitlane_audit_checkpoints_total)
signs=$(metric pitlane_hsm_sign_calls_total)
refused=$(metric "$LIMITED")
echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v n="$R" '
	{ v[NR] = $1 } END {
	m = v[int((NR + 1) / 2)]
	printf "victim p99 loaded / unloaded per round: %s; median %.2f (target <= 1.20) %s\n",
	    "'"$ratios"'", m, (m <= 1.20 ? "PASS" : "MISS") }'
echo "$signs $issued $ckpt $refused" | awk '{
	printf "HSM sign calls %d = tokens issued %d + audit checkpoints %d (%d requests refused 429, none signed) %s\n",
	    $1, $2, $3, $4, ($1 == $2 + $3 ? "PASS" : "MISS") }'
