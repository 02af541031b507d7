#!/bin/sh
# run-issue.sh BUILD_DIR — pitlaned issuance benchmark (ratios against a same-run baseline).
#   baseline: raw SoftHSM2 ES256 sign rate (one session, C_Sign over a SHA-256 digest)
#   1. max issuance rate: N signed requests over C keep-alive mTLS connections
#      (requests are built and signed by the client before the clock starts)
#   2. p99 latency at half that rate (paced client), next to the disk's fdatasync latency
#      (a token waits for its audit commit, so that is the latency floor)
#   Also: broker and client CPU per request (utime + stime), steadier than the rates on a
#   shared machine.
# BENCH_BROKER_PERF=FILE records a perf profile (perf record -g) of pitlaned during step 1.
#   3. the mandatory work per token, each step alone (bench_mandatory, before the broker
#      starts, same PKI, CPU time): technician check on a cached chain + COSE_Sign1 verify of
#      a real request body, HSM sign, self-verification, audit row + its group-commit share
# Targets (issue 5): rate >= 0.40 x sign rate; p99 <= 5 ms at half the max rate.
# Targets (issue 13): broker CPU per token <= 1.60 x the mandatory work; <= 4 broker context
# switches per token at the maximum rate; p99 <= 5 ms at half the max rate. Ratios only: the
# host's speed varies 1.7x between runs.
# Client and broker share this machine's CPUs; the client's cost is part of the figure.
# The client is broker_loadgen --lean-client (raw OpenSSL keep-alive, tens of us per request);
# BENCH_BROKER_CURL=1 uses libcurl instead (about 150 us of the shared CPU per request).
# BENCH_BROKER_CPUS / BENCH_CLIENT_CPUS (taskset lists, e.g. 0 and 1) pin broker and client.
set -eu
build=$(cd "${1:?usage: run-issue.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
PITLANED=$build/broker/pitlaned
LOADGEN=$build/bench/broker/broker_loadgen
PROBE=$build/bench/broker/broker_fsync_probe
MAND=$build/bench/broker/bench_mandatory
N=${BENCH_BROKER_REQUESTS:-4000}
CLIENT=--lean-client
[ -n "${BENCH_BROKER_CURL:-}" ] && CLIENT=
C=${BENCH_BROKER_CONNS:-16}
[ -x "$PITLANED" ] && [ -x "$LOADGEN" ] || { echo "run-issue.sh: build pitlaned and broker_loadgen first" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-bench.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
P=$W/pki
"$top/packaging/demo-pki.sh" "$P" >/dev/null
sh "$top/packaging/demo-broker-conf.sh" "$P" "$top/tests/integration/broker/policy" \
    "$W/audit.db" "admin_listen 127.0.0.1:0" "workers ${BENCH_BROKER_WORKERS:-16}" \
    "request_window_s 600" >"$W/broker.conf"

# sign_bench N: the baseline, N raw C_Sign calls on the broker's key (one session)
sign_bench() {
	SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf "$LOADGEN" --p11-token pitlane-broker \
	    --p11-object broker-signing --pin-file "$P/hsm-broker/pin" --sign-bench "$1"
}
sign=$(sign_bench 4000)
sign_rate=$(echo "$sign" | sed 's/.*sign_rate=\([0-9.]*\).*/\1/')
disk=none
[ -x "$PROBE" ] && disk=$("$PROBE" "$W" 200)
# the mandatory work per token, measured alone on a request body of the load's client, with
# as many audit appenders as the load has connections
mand=
mand_us=0
if [ -x "$MAND" ]; then
	SOFTHSM2_CONF=$P/hsm-agent/softhsm2.conf "$LOADGEN" --tech-cert "$P/technicians/tech-anna.crt" \
	    --p11-token pitlane-technicians --p11-object tech-anna --pin-file "$P/hsm-agent/pin" \
	    --vin WVWZZZ1JZXW000001 --count 1 --dump-body "$W/body.cbor" >/dev/null ||
	    { echo "run-issue.sh: cannot build a request body" >&2; exit 1; }
	mand=$(SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf \
	    ${BENCH_BROKER_CPUS:+taskset -c $BENCH_BROKER_CPUS} "$MAND" --ca "$P/ca/ca.crt" \
	    --crl "$P/ca/crl.pem" --tech-cert "$P/technicians/tech-anna.crt" --body "$W/body.cbor" \
	    --pin-file "$P/hsm-broker/pin" --dir "$W" -t "$C") ||
	    { echo "run-issue.sh: bench_mandatory failed" >&2; exit 1; }
	mand_us=$(echo "$mand" | sed -n 's/^mandatory work per token = \([0-9.]*\) us.*/\1/p')
fi

SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf ${BENCH_BROKER_CPUS:+taskset -c $BENCH_BROKER_CPUS} \
    "$PITLANED" -f "$W/broker.conf" -d 2>"$W/log" &
PID=$!
i=0
until grep -q event=started "$W/log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$W/log"; exit 1; }; sleep 0.1
done
PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/log")
ADMIN=$(sed -n 's/.*listener=admin addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/log")
load() {
	SOFTHSM2_CONF=$P/hsm-agent/softhsm2.conf ${BENCH_CLIENT_CPUS:+taskset -c $BENCH_CLIENT_CPUS} \
	    "$LOADGEN" --url "https://127.0.0.1:$PORT/v1/token" \
	    --cacert "$P/ca/ca.crt" --cert "$P/devices/ws-muc-01-pc1.crt" \
	    --key "$P/devices/ws-muc-01-pc1.key" --tech-cert "$P/technicians/tech-anna.crt" \
	    --p11-token pitlane-technicians --p11-object tech-anna --pin-file "$P/hsm-agent/pin" \
	    --vin WVWZZZ1JZXW000001 --bench $CLIENT "$@"
}
# "pid ppid utime stime" of every process (comm may hold spaces: fields after the last ")")
proc_table() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk '{
		pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
		print pid, f[2], f[12], f[13] }'
}
# pitlaned and its descendants (the privsep children do the work)
tree() {
	proc_table | awk -v root="$PID" -v what="$1" '
		{ pp[$1] = $2; t[$1] = $3 + $4 }
		END {
			for (p in t) {
				q = p
				while (q != "" && q != 0 && q != root) q = pp[q]
				if (q != root) continue
				if (what == "ticks") s += t[p]
				else s = s (s == "" ? "" : ",") p
			}
			print (what == "ticks" ? s + 0 : s)
		}'
}
# voluntary + involuntary context switches of every thread of the broker processes
ctx_switches() {
	for p in $(tree pids | tr ',' ' '); do
		cat /proc/"$p"/task/*/status 2>/dev/null
	done | awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { s += $2 } END { print s + 0 }'
}
# utime + stime of the broker processes in clock ticks: CPU per request is less sensitive
# than the rate to what else runs on the machine
cpu_ticks() {
	tree ticks
}
# user + system seconds of this shell's finished children (the load generator) from a
# `times` output; `times` itself must run in this shell, not in a command substitution
children_cpu() {
	awk 'NR == 2 { split($1, u, "m"); split($2, s, "m")
		printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}
# a failed run stops the benchmark with what the broker said
failed() {
	echo "run-issue.sh: $1: $2" >&2
	grep -v 'event=token_request.*status=201' "$W/log" | tail -5 >&2
	exit 1
}
warm=$(load --count 500 --conns "$C") || failed "warm-up requests failed" "$warm"
if [ -n "${BENCH_BROKER_PERF:-}" ]; then                       # optional: profile the broker
	perf record ${BENCH_BROKER_PERF_OPTS:--g} -o "$BENCH_BROKER_PERF" -p "$(tree pids)" \
	    2>/dev/null &
	PERF=$!
	sleep 0.5
fi
cpu0=$(cpu_ticks)
cs0=$(ctx_switches)
times >"$W/times0"
max=$(load --count "$N" --conns "$C") || failed "max-rate requests failed" "$max"
times >"$W/times1"
ccpu0=$(children_cpu "$W/times0")
ccpu1=$(children_cpu "$W/times1")
cpu1=$(cpu_ticks)
cs1=$(ctx_switches)
if [ -n "${PERF:-}" ]; then
	kill -INT "$PERF"; wait "$PERF" || true
fi
rate=$(echo "$max" | sed 's/.*rate=\([0-9.]*\).*/\1/')
half=$(echo "$rate" | awk '{ printf "%.0f", $1 / 2 }')
paced=$(load --count "$N" --conns "$C" --rate "$half") || failed "paced requests failed" "$paced"
p99=$(echo "$paced" | sed 's/.*p99_us=\([0-9]*\).*/\1/')
# Paired rounds: the host's speed drifts (the raw sign rate moved 1.7x between runs here), so
# each round measures the baseline right before its own max-rate run; the median of the
# per-round ratios is the figure the target is judged on.
ROUNDS=${BENCH_BROKER_ROUNDS:-3}
ratios=
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	s1=$(sign_bench 2000)
	m1=$(load --count "$N" --conns "$C") || failed "paired round $r failed" "$m1"
	ratios="$ratios $(echo "$s1 $m1" | sed 's/.*sign_rate=\([0-9.]*\).*rate=\([0-9.]*\) .*/\2 \1/' |
	    awk '{ printf "%.3f", $1 / $2 }')"
	r=$((r + 1))
done
paired=$(echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -n |
    awk '{ a[NR] = $1 } END { if (NR) printf "%.2f", a[int((NR + 1) / 2)]; else print "" }')
m=$(curl -s "http://127.0.0.1:$ADMIN/metrics")
rows=$(echo "$m" | awk '$1 == "pitlane_audit_rows_total" { print $2 }')
commits=$(echo "$m" | awk '$1 == "pitlane_audit_commits_total" { print $2 }')

echo "baseline  SoftHSM2 raw sign (1 session): $sign"
echo "max       $C keep-alive connections: $max"
echo "half      paced at $half req/s: $paced"
echo "disk      write 4 KiB + fdatasync next to the database: $disk"
[ -n "$mand" ] && echo "$mand"
[ -n "$paired" ] && echo "paired    $ROUNDS rounds (baseline measured right before each): ratios$ratios; median $paired" &&
    echo "$paired" | awk '{ printf "issuance rate / raw sign rate = %.2f (median of the paired rounds; target >= 0.40) %s\n", $1, ($1 >= 0.40 ? "PASS" : "MISS") }'
tck=$(getconf CLK_TCK)
echo "$rate $sign_rate $p99 $rows $commits $cpu0 $cpu1 $tck $N $ccpu0 $ccpu1 $cs0 $cs1 $(nproc) ${mand_us:-0}" | awk '{
	ratio = $1 / $2
	printf "issuance rate / raw sign rate = %.2f (first run)\n", ratio
	printf "p99 at half the max rate = %.2f ms (target <= 5 ms) %s\n", $3 / 1000, ($3 <= 5000 ? "PASS" : "MISS")
	printf "audit group commit: %d rows in %d commits = %.2f rows per fsync\n", $4, $5, $4 / $5
	cpu_us = ($7 - $6) / $8 * 1e6 / $9
	printf "broker CPU per issued token = %.0f us = %.2f x the time of one raw sign\n", cpu_us, cpu_us * $2 / 1e6
	if ($15 > 0)
		printf "broker CPU per token / mandatory work = %.2f x (%.0f us / %.0f us; target <= 1.60) %s\n", cpu_us / $15, cpu_us, $15, (cpu_us / $15 <= 1.60 ? "PASS" : "MISS")
	printf "client CPU per request = %.0f us (same cores as the broker)\n", ($11 - $10) * 1e6 / $9
	cs = ($13 - $12) / $9
	printf "broker context switches per issued token at the maximum rate = %.1f (target <= 4) %s\n", cs, (cs <= 4 ? "PASS" : "MISS")
	ncpu = $14
	printf "broker alone on the %d cores (the client elsewhere): %d CPU / %.0f us = %.0f tokens/s = %.2f x the sign rate\n", ncpu, ncpu, cpu_us, ncpu * 1e6 / cpu_us, ncpu * 1e6 / cpu_us / $2
}'
