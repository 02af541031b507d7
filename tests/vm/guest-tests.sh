#!/bin/sh
# guest-tests.sh - the SocketCAN tests, run as root where the kernel has vcan, can-raw and
# can-isotp: inside the qemu guest started by canvm.sh, or directly on such a host (canvm.sh
# runs it in a fresh network namespace there). The working directory is the build folder.
#
# Usage: guest-tests.sh CONF
#   CONF is written by tests/vm/CMakeLists.txt: PL_STEPS names the steps to run (the ones whose
#   programs the build has), the other variables give the paths of those programs.
#
# Prints "CANVM-STEP <name>: PASS|FAIL" per step, "CANVM-TIME <what>: <n> us" figures, and exits
# 0 only when every requested step passed.

set -u
IFACE=vcan0
# Timeouts (s) for every peer that could otherwise block the VM until the outer timeout.
PEER_TIMEOUT=10

[ $# = 1 ] || { echo "usage: guest-tests.sh CONF" >&2; exit 2; }
[ -r "$1" ] || { echo "guest-tests: cannot read the configuration '$1'" >&2; exit 2; }
PL_STEPS=
# shellcheck source=/dev/null
. "$1"

T=$(mktemp -d "${TMPDIR:-/tmp}/canvm-guest.XXXXXX") || exit 1
trap '[ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null; rm -rf "$T"' EXIT
failed=0
nsteps=0
SIM=

say() { printf 'guest-tests: %s\n' "$*"; }
us_now() { date +%s%6N; }

# step NAME FUNCTION: runs one step and prints its verdict.
step() {
	nsteps=$((nsteps + 1))
	say "--- step $1"
	if "$2"; then
		echo "CANVM-STEP $1: PASS"
	else
		echo "CANVM-STEP $1: FAIL"
		failed=$((failed + 1))
	fi
}

# wait_rx ID: waits (up to 5 s) until some socket on $IFACE receives CAN id ID (hex), read from
# the kernel's receive lists, so a sender never starts before its peer listens.
wait_rx() {
	id=$(printf '%s' "$1" | tr 'A-F' 'a-f' | sed 's/^0*//')
	i=0
	if [ ! -r /proc/net/can/rcvlist_all ]; then
		sleep 0.5
		return 0
	fi
	while [ $i -lt 100 ]; do
		if cat /proc/net/can/rcvlist_* 2>/dev/null |
			grep -Eq "^ *$IFACE +0*${id:-0} "; then
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	say "no receiver for id $1 on $IFACE after 5 s"
	return 1
}

# payload N SEED: N bytes as "XX XX ..." hex (the format of isotpsend/isotprecv).
payload() {
	awk -v n="$1" -v s="$2" 'BEGIN {
		for (i = 0; i < n; i++) printf "%02X%s", (i * 37 + s * 11 + 5) % 256, (i < n - 1 ? " " : "")
		printf "\n" }'
}

# same_hex A B: both files hold the same hex bytes, whatever the spacing and case.
same_hex() {
	a=$(tr 'a-f' 'A-F' <"$1" | tr -s ' \n\t' '  ' | sed 's/^ //; s/ $//')
	b=$(tr 'a-f' 'A-F' <"$2" | tr -s ' \n\t' '  ' | sed 's/^ //; s/ $//')
	[ -n "$a" ] && [ "$a" = "$b" ]
}

nbytes() { wc -w <"$1" | tr -d ' '; }

# ------------------------------------------------------------------ setup
setup_vcan() {
	if ! ip link show dev "$IFACE" >/dev/null 2>&1; then
		ip link add dev "$IFACE" type vcan || return 1
	fi
	ip link set dev "$IFACE" up || return 1
	ip link show dev "$IFACE" | grep -q 'UP' || return 1
	say "$IFACE is up (kernel $(uname -r))"
}

# ------------------------------------------------------------------ can-utils alone
# CAN_RAW: candump sees the frame cansend puts on the bus.
canutils_raw() {
	timeout "$PEER_TIMEOUT" candump -n 1 -T 5000 "$IFACE" >"$T/dump.txt" 2>&1 &
	p=$!
	wait_rx 0 || { wait $p; return 1; }
	cansend "$IFACE" 123#DEADBEEF || { wait $p; return 1; }
	wait $p
	cat "$T/dump.txt"
	grep -q "$IFACE  *123  *\[4\]  *DE AD BE EF" "$T/dump.txt"
}

# kernel_isotp_xfer N [isotprecv options]: isotpsend -> isotprecv (kernel ISO-TP both ends)
# with an N-byte payload. The time printed includes starting isotpsend (mostly exec over 9p):
# the transfer time itself is measured by step isotp-timing.
kernel_isotp_xfer() {
	n=$1
	shift
	payload "$n" "$n" >"$T/tx.hex"
	timeout "$PEER_TIMEOUT" isotprecv "$@" -s 7E8 -d 7E0 "$IFACE" >"$T/rx.hex" 2>"$T/rx.err" &
	p=$!
	wait_rx 7E0 || { wait $p; return 1; }
	t0=$(us_now)
	timeout "$PEER_TIMEOUT" isotpsend -s 7E0 -d 7E8 "$IFACE" <"$T/tx.hex" || { wait $p; return 1; }
	t1=$(us_now)
	wait $p || { say "isotprecv failed: $(cat "$T/rx.err")"; return 1; }
	if ! same_hex "$T/tx.hex" "$T/rx.hex"; then
		say "isotpsend -> isotprecv: $n bytes sent, $(nbytes "$T/rx.hex") received, or bytes differ"
		return 1
	fi
	say "isotpsend -> isotprecv $*: $n bytes ok (isotpsend ran $((t1 - t0)) us)"
}

canutils_isotp() {
	for n in 7 400 4095; do
		kernel_isotp_xfer "$n" || return 1
	done
	# The receiver asks for flow control with block size 8 and STmin 1 ms.
	kernel_isotp_xfer 400 -b 8 -m 1
}

# ------------------------------------------------------------------ project ISO-TP (lib/can)
# project_to_kernel N [isotprecv options]: isotp-peer (lib/can over socketcan:vcan0) sends an
# N-byte payload to the kernel's ISO-TP (isotprecv); the bytes must arrive unchanged.
project_to_kernel() {
	n=$1
	shift
	payload "$n" "$((n + 1))" >"$T/tx.hex"
	timeout "$PEER_TIMEOUT" isotprecv "$@" -s 7E8 -d 7E0 "$IFACE" >"$T/rx.hex" 2>"$T/rx.err" &
	p=$!
	wait_rx 7E0 || { wait $p; return 1; }
	if ! timeout "$PEER_TIMEOUT" "$PL_ISOTP_PEER" send --can "socketcan:$IFACE" \
		--tx-id 0x7E0 --rx-id 0x7E8 <"$T/tx.hex" >"$T/send.out"; then
		wait $p
		return 1
	fi
	wait $p || { say "isotprecv failed: $(cat "$T/rx.err")"; return 1; }
	if ! same_hex "$T/tx.hex" "$T/rx.hex"; then
		say "project -> isotprecv $*: $n bytes sent, $(nbytes "$T/rx.hex") received, or bytes differ"
		return 1
	fi
	say "project -> isotprecv $*: $n bytes ok"
}

# kernel_to_project N [isotp-peer recv options]: isotpsend (kernel ISO-TP) sends an N-byte payload
# to isotp-peer (lib/can over socketcan:vcan0).
kernel_to_project() {
	n=$1
	shift
	payload "$n" "$((n + 2))" >"$T/tx.hex"
	timeout "$PEER_TIMEOUT" "$PL_ISOTP_PEER" recv --can "socketcan:$IFACE" \
		--tx-id 0x7E8 --rx-id 0x7E0 "$@" >"$T/rx.hex" &
	p=$!
	wait_rx 7E0 || { wait $p; return 1; }
	timeout "$PEER_TIMEOUT" isotpsend -s 7E0 -d 7E8 "$IFACE" <"$T/tx.hex" || { wait $p; return 1; }
	wait $p || return 1
	if ! same_hex "$T/tx.hex" "$T/rx.hex"; then
		say "isotpsend -> project $*: $n bytes sent, $(nbytes "$T/rx.hex") received, or bytes differ"
		return 1
	fi
	say "isotpsend -> project $*: $n bytes ok"
}

# has_peer: the step's program is there (the build lists the step only when it builds it).
has_peer() {
	[ -x "${PL_ISOTP_PEER:-}" ] && return 0
	say "isotp-peer '${PL_ISOTP_PEER:-}' is missing or not executable (not built?)"
	return 1
}

isotp_project() {
	has_peer || return 1
	# SF shortest and longest, FF shortest, sequence numbers wrapping, the 12-bit FF maximum.
	for n in 1 7 8 400 4095; do
		project_to_kernel "$n" || return 1
		kernel_to_project "$n" || return 1
	done
	# Flow control the other side asks for: block size 8, STmin 1 ms and 500 us (0xF5).
	project_to_kernel 400 -b 8 -m 1 || return 1
	project_to_kernel 400 -b 1 || return 1
	kernel_to_project 400 --bs 8 --stmin 1 || return 1
	kernel_to_project 400 --bs 2 --stmin 0xF5 || return 1
}

# timed_400 SENDER-OPTION...: 20 transfers of 400 bytes from isotp-peer with the given backend to
# a kernel ISO-TP receiver; sets MEDIAN to the median transfer time in us.
timed_400() {
	payload 400 9 >"$T/tx.hex"
	timeout "$PEER_TIMEOUT" "$PL_ISOTP_PEER" recv --kernel "$IFACE" --tx-id 0x7E8 --rx-id 0x7E0 \
		--count 20 >"$T/rx.hex" &
	p=$!
	wait_rx 7E0 || { wait $p; return 1; }
	if ! timeout "$PEER_TIMEOUT" "$PL_ISOTP_PEER" send "$@" --tx-id 0x7E0 --rx-id 0x7E8 \
		--count 20 <"$T/tx.hex" >"$T/send.out"; then
		wait $p
		return 1
	fi
	wait $p || return 1
	head -n1 "$T/rx.hex" >"$T/rx1.hex"
	if [ "$(wc -l <"$T/rx.hex")" != 20 ] || [ "$(sort -u "$T/rx.hex" | wc -l)" != 1 ] ||
		! same_hex "$T/tx.hex" "$T/rx1.hex"; then
		say "timed transfers $*: the receiver did not get 20 intact copies"
		return 1
	fi
	say "$(cat "$T/send.out") ($*)"
	MEDIAN=$(sed -n 's/.*median \([0-9][0-9]*\) us.*/\1/p' "$T/send.out")
}

# The ISO-TP transfer time of a 400-byte payload (a token's budget) on vcan: the project's sender
# and, as the baseline of the same run, the kernel's, both to the kernel's receiver.
isotp_timing() {
	has_peer || return 1
	MEDIAN=
	timed_400 --can "socketcan:$IFACE" || return 1
	proj=$MEDIAN
	MEDIAN=
	timed_400 --kernel "$IFACE" || return 1
	kern=$MEDIAN
	case "$proj$kern" in '' | *[!0-9]*) say "no timing figures"; return 1 ;; esac
	echo "CANVM-TIME project-isotp-400B-median: $proj us"
	echo "CANVM-TIME kernel-isotp-400B-median: $kern us"
	echo "CANVM-TIME project/kernel ratio: $(awk -v a="$proj" -v b="$kern" \
		'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
}

# ------------------------------------------------------------------ pitlane-ecusim on vcan0
VIN=WVWZZZ1JZXW000001
SIM=

# sim_start [ECUSIM-OPTION...]: pitlane-ecusim on vcan0 (requests on 0x7E0, responses on 0x7E8)
# with a fresh broker key pair in $T, trusted as the broker, and the options given; waits for its
# "started" log line.
sim_start() {
	if [ ! -x "${PL_ECUSIM:-}" ] || [ ! -x "${PL_ECU_CLIENT:-}" ]; then
		say "pitlane-ecusim '${PL_ECUSIM:-}' or ecu-client '${PL_ECU_CLIENT:-}' is missing"
		return 1
	fi
	if [ ! -s "$T/broker.pub.pem" ]; then
		if ! openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$T/broker.key" 2>/dev/null ||
			! openssl pkey -in "$T/broker.key" -pubout -out "$T/broker.pub.pem" 2>/dev/null; then
			say "openssl could not make the broker key"
			return 1
		fi
	fi
	: >"$T/sim.log"
	"$PL_ECUSIM" --can "socketcan:$IFACE" --vin "$VIN" --trust "$T/broker.pub.pem" \
		--state "$T/state.json" --tx-id 0x7E8 --rx-id 0x7E0 "$@" 2>>"$T/sim.log" &
	SIM=$!
	i=0
	while ! grep -q 'event=started' "$T/sim.log"; do
		i=$((i + 1))
		if [ $i -ge 200 ] || ! kill -0 "$SIM" 2>/dev/null; then
			say "pitlane-ecusim did not start:"
			cat "$T/sim.log"
			SIM=
			return 1
		fi
		sleep 0.05
	done
}

# sim_stop: SIGTERM, and the simulator must exit 0.
sim_stop() {
	[ -n "$SIM" ] || return 0
	kill -TERM "$SIM" 2>/dev/null
	wait "$SIM"
	rc=$?
	SIM=
	[ $rc = 0 ] || { say "pitlane-ecusim exited $rc on SIGTERM"; return 1; }
}

# client WANT-EXIT PATTERN ARGS...: ecu-client (lib/can's UDS client) on vcan0; checks its exit
# status and a line of its output.
client() {
	want=$1 pat=$2
	shift 2
	timeout "$PEER_TIMEOUT" "$PL_ECU_CLIENT" --can "socketcan:$IFACE" "$@" >"$T/client.out" 2>&1
	rc=$?
	if [ "$rc" != "$want" ] || ! grep -q -- "$pat" "$T/client.out"; then
		say "ecu-client $*: exit $rc (want $want), output (want '$pat'):"
		sed 's/^/    /' "$T/client.out"
		return 1
	fi
	say "ecu-client $*: $(grep -- "$pat" "$T/client.out" | head -n1)"
}

# Step 2: the simulator against the project's UDS client, the whole token flow on real SocketCAN.
ecusim_flow() {
	sim_start || return 1
	rc=0
	client 0 "vin=$VIN" --vin-read &&
		client 0 "routine=door.unlock rid=0xF001" --flow door.unlock --key "$T/broker.key" &&
		grep -q 'step=deauth ok' "$T/client.out" &&
		grep -q '"doors":"unlocked"' "$T/state.json" &&
		grep -q 'event=auth_ok scope=door.unlock' "$T/sim.log" &&
		client 1 "step=token nrc=0x55" --flow door.lock --token-vin WVWZZZ1JZXW000002 \
			--key "$T/broker.key" &&
		grep -q '"doors":"unlocked"' "$T/state.json" || rc=1
	grep token_rtt_ms "$T/client.out" 2>/dev/null | sed 's/^/guest-tests: /'
	sim_stop || rc=1
	[ $rc = 0 ] || { say "ecusim log:"; sed 's/^/    /' "$T/sim.log"; }
	return $rc
}

# logged PATTERN: the simulator's log has a line matching PATTERN.
logged() {
	grep -q -- "$1" "$T/sim.log" && return 0
	say "the ecusim log lacks '$1'"
	return 1
}

# Step ecusim-cosign: the rogue broker on real SocketCAN. pitlane-ecusim is given a co-signer key
# (--trust PEM:cosigner), so by its own configuration ignition.enable and key.learn need the
# broker's and the co-signer's signatures, door.unlock the broker's alone (docs/token.md section
# 9). Tokens are minted by ecu-client with software keys, as over the loop transport
# (tests/integration/vehicle/test_cosign.sh):
#   REQ-TOK-227 a token signed with the broker key alone (COSE_Sign1, and the COSE_Sign the
#               co-signer would sign) for ignition.enable and key.learn: NRC 0x51, logged
#               reason=signature_missing, nothing run;
#   REQ-TOK-228 the same COSE_Sign with the co-signature appended: accepted, the routine runs;
#   REQ-TOK-229 door.unlock with the broker alone: accepted.
ecusim_cosign() {
	if ! openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$T/cosigner.key" 2>/dev/null ||
		! openssl pkey -in "$T/cosigner.key" -pubout -out "$T/cosigner.pub.pem" 2>/dev/null; then
		say "openssl could not make the co-signer key"
		return 1
	fi
	rm -f "$T/state.json" # a factory-fresh ECU
	sim_start --trust "$T/cosigner.pub.pem:cosigner" --attempts 20 --lockout 1 || return 1
	rc=0
	ecusim_cosign_checks || rc=1
	sim_stop || rc=1
	[ $rc = 0 ] || { say "ecusim log:"; sed 's/^/    /' "$T/sim.log"; }
	return $rc
}

ecusim_cosign_checks() {
	B=$T/broker.key
	C=$T/cosigner.key
	logged "event=signers op=ignition.enable broker=1 cosigner=1 from=default" &&
		logged "event=signers op=key.learn broker=1 cosigner=1 from=default" &&
		logged "event=signers op=door.unlock broker=1 cosigner=0 from=default" || return 1
	# REQ-TOK-227 the broker alone, for each critical operation: refused
	for op in ignition.enable key.learn; do
		n=$(grep -c "event=auth_fail reason=signature_missing nrc=0x51" "$T/sim.log")
		client 1 "step=token nrc=0x51" --flow "$op" --key "$B" || return 1
		client 1 "step=token nrc=0x51" --flow "$op" --cose-sign --key "$B" || return 1
		m=$(grep -c "event=auth_fail reason=signature_missing nrc=0x51" "$T/sim.log")
		[ "$m" -eq $((n + 2)) ] ||
			{ say "$op: $((m - n)) signature_missing refusals logged, want 2"; return 1; }
		if grep -q "event=routine.*$op\|event=auth_ok scope=$op" "$T/sim.log"; then
			say "$op ran or authenticated with the broker's signature alone"
			return 1
		fi
	done
	grep -q '"ignition":"on"' "$T/state.json" 2>/dev/null &&
		{ say "the ignition is on after broker-only tokens"; return 1; }
	say "REQ-TOK-227 broker-only ignition.enable and key.learn refused: 0x51, signature_missing"
	# REQ-TOK-228 the same token co-signed: accepted
	client 0 "routine=ignition.enable rid=0xF003" --flow ignition.enable --key "$B" \
		--cosign-key "$C" &&
		logged "event=auth_ok scope=ignition.enable" &&
		client 0 "routine=key.learn" --flow key.learn --key "$B" --cosign-key "$C" &&
		logged "event=auth_ok scope=key.learn" || return 1
	say "REQ-TOK-228 broker + co-signer accepted for ignition.enable and key.learn"
	# REQ-TOK-229 door.unlock needs the broker alone
	client 0 "routine=door.unlock rid=0xF001" --flow door.unlock --key "$B" &&
		logged "event=auth_ok scope=door.unlock" || return 1
	say "REQ-TOK-229 door.unlock with the broker alone accepted"
}

# uds_kernel REQUEST-HEX: one UDS request to the simulator through the kernel's ISO-TP (can-utils
# isotpsend / isotprecv, an independent implementation); the response's hex goes to $T/resp.hex.
uds_kernel() {
	timeout "$PEER_TIMEOUT" isotprecv -s 7E0 -d 7E8 "$IFACE" >"$T/resp.hex" 2>"$T/rx.err" &
	p=$!
	wait_rx 7E8 || { wait $p; return 1; }
	echo "$1" | timeout "$PEER_TIMEOUT" isotpsend -s 7E0 -d 7E8 "$IFACE" || { wait $p; return 1; }
	wait $p || { say "no response to $1 ($(cat "$T/rx.err"))"; return 1; }
	say "request $1 -> $(cut -c1-60 "$T/resp.hex")$([ "$(nbytes "$T/resp.hex")" -gt 20 ] && echo ...)"
}

# hex_of TEXT: TEXT's bytes as "XX XX ...".
hex_of() { printf '%s' "$1" | od -An -tx1 -v | tr 'a-f' 'A-F' | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'; }

# Step 3: the simulator against can-utils (the kernel's ISO-TP as an independent peer):
# 22 F190 -> 62 F190 VIN (a multi-frame response), and 29 05 (a multi-frame request) -> 69 05
# with a fresh 16..32-byte challenge.
ecusim_kernel() {
	sim_start || return 1
	rc=0
	ecusim_kernel_checks || rc=1
	sim_stop || rc=1
	[ $rc = 0 ] || { say "ecusim log:"; sed 's/^/    /' "$T/sim.log"; }
	return $rc
}

ecusim_kernel_checks() {
	uds_kernel "22 F1 90" || return 1
	printf '62 F1 90 %s\n' "$(hex_of "$VIN")" >"$T/want.hex"
	same_hex "$T/want.hex" "$T/resp.hex" || { say "22 F190: not 62 F190 + VIN"; return 1; }
	# 29 05 needs the extended session: first refused (7F 29 7F), then 10 03 -> 50 03 ...
	alg="$(hex_of pl-cwt-es256) 00 00 00 01"
	uds_kernel "29 05 00 $alg" || return 1
	echo "7F 29 7F" >"$T/want.hex"
	same_hex "$T/want.hex" "$T/resp.hex" || { say "29 05 in the default session: want 7F 29 7F"; return 1; }
	uds_kernel "10 03" || return 1
	[ "$(cut -d' ' -f1-2 "$T/resp.hex")" = "50 03" ] || { say "10 03: want 50 03 ..."; return 1; }
	uds_kernel "29 05 00 $alg" || return 1
	check_challenge "$alg" || return 1
	cp "$T/resp.hex" "$T/resp1.hex"
	uds_kernel "29 05 00 $alg" || return 1
	check_challenge "$alg" || return 1
	if same_hex "$T/resp1.hex" "$T/resp.hex"; then
		say "two 29 05 requests got the same challenge"
		return 1
	fi
}

# check_challenge ALG-HEX: $T/resp.hex is 69 05 00 ALG(16) LEN(2) CHALLENGE(LEN, 16..32) 00 00.
check_challenge() {
	msg=$(awk -v alg="$1" '
	function nib(c) { return index("0123456789ABCDEF", c) - 1 }
	function hex(x) { return nib(substr(x, 1, 1)) * 16 + nib(substr(x, 2, 1)) }
	{ for (i = 1; i <= NF; i++) b[n++] = toupper($i) }
	END {
		if (n < 23) { print "response of " n " bytes, want at least 23"; exit 1 }
		if (b[0] != "69" || b[1] != "05" || b[2] != "00") {
			print "want 69 05 00 ..., got " b[0] " " b[1] " " b[2]; exit 1
		}
		split(alg, a, " ")
		for (i = 0; i < 16; i++)
			if (b[3 + i] != a[i + 1]) { print "algorithmIndicator differs at byte " 3 + i; exit 1 }
		len = hex(b[19]) * 256 + hex(b[20])
		if (len < 16 || len > 32 || n != 23 + len) {
			print "challenge length " len ", response " n " bytes (want 16..32, 23 + length)"
			exit 1
		}
		if (b[21 + len] != "00" || b[22 + len] != "00") { print "neededAdditionalParameter not empty"; exit 1 }
		print "challenge of " len " bytes"
	}' "$T/resp.hex")
	rc=$?
	say "29 05: $msg"
	return $rc
}

# ------------------------------------------------------------------ hook: agent end to end
# Step 4: the agent's `pitlane run door.unlock` over vcan0 against pitlaned on loopback inside the
# guest. The work is done by the agent's own end-to-end script, the one its integration test runs
# over a loop: bus, here given a real SocketCAN URI:
#   sh E2E-SCRIPT BUILD_DIR CAN_URI      exit 0 = the door was unlocked through the whole chain
# The script starts and stops everything it needs (demo PKI, SoftHSM2 token, pitlaned on
# 127.0.0.1, pitlane-ecusim on CAN_URI) in its own temporary folder. tests/vm/CMakeLists.txt lists
# this step only when the script exists (tests/integration/agent/e2e-unlock.sh) and pitlaned is
# built.
agent_unlock() {
	if [ ! -r "${PL_AGENT_E2E:-}" ]; then
		say "agent end-to-end script '${PL_AGENT_E2E:-}' is missing"
		return 1
	fi
	agent_can_link || return 1
	timeout 120 sh "$PL_AGENT_E2E" "$PL_BINARY_DIR" "socketcan:$IFACE"
}

# `pitlane can status|setup` on the virtual interface (agent engineer, for the can engineer):
# status describes a virtual interface and succeeds; setup has no controller to set: exit 1.
agent_can_link() {
	pl=$PL_BINARY_DIR/agent/pitlane
	[ -x "$pl" ] || { say "pitlane not built ($pl)"; return 1; }
	out=$(timeout "$PEER_TIMEOUT" "$pl" can status "$IFACE" 2>&1)
	rc=$?
	say "pitlane can status $IFACE: exit $rc: $out"
	[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q "virtual CAN interface" || return 1
	timeout "$PEER_TIMEOUT" "$pl" can setup "$IFACE" --bitrate 500000 >"$T/setup.out" 2>&1
	rc=$?
	say "pitlane can setup $IFACE --bitrate 500000: exit $rc (want 1): $(cat "$T/setup.out")"
	[ "$rc" = 1 ]
}

# ------------------------------------------------------------------ main
setup_vcan || { echo "CANVM-STEP setup-vcan: FAIL"; exit 1; }
echo "CANVM-STEP setup-vcan: PASS"

for s in $PL_STEPS; do
	case $s in
	canutils-raw) step "$s" canutils_raw ;;
	canutils-isotp) step "$s" canutils_isotp ;;
	isotp-project) step "$s" isotp_project ;;
	isotp-timing) step "$s" isotp_timing ;;
	ecusim-flow) step "$s" ecusim_flow ;;
	ecusim-kernel) step "$s" ecusim_kernel ;;
	ecusim-cosign) step "$s" ecusim_cosign ;;
	agent-unlock) step "$s" agent_unlock ;;
	*) say "unknown step '$s' in $1"; step "$s" false ;;
	esac
done

echo "CANVM-SUMMARY: steps=$nsteps failed=$failed"
[ "$nsteps" -gt 0 ] && [ "$failed" = 0 ]
