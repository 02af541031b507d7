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
trap 'rm -rf "$T"' EXIT
failed=0
nsteps=0

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
# with an N-byte payload; prints the time isotpsend took (it closes only when the PDU is out).
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
	say "isotpsend -> isotprecv $*: $n bytes ok in $((t1 - t0)) us"
	LAST_US=$((t1 - t0))
}

canutils_isotp() {
	for n in 7 100 400 4095; do
		kernel_isotp_xfer "$n" || return 1
		[ "$n" = 400 ] && echo "CANVM-TIME kernel-isotp-400B: $LAST_US us"
	done
	# The receiver asks for flow control with block size 8 and STmin 1 ms.
	kernel_isotp_xfer 400 -b 8 -m 1 || return 1
	echo "CANVM-TIME kernel-isotp-400B-bs8-stmin1ms: $LAST_US us"
}

# ------------------------------------------------------------------ main
setup_vcan || { echo "CANVM-STEP setup-vcan: FAIL"; exit 1; }
echo "CANVM-STEP setup-vcan: PASS"

for s in $PL_STEPS; do
	case $s in
	canutils-raw) step "$s" canutils_raw ;;
	canutils-isotp) step "$s" canutils_isotp ;;
	*) say "unknown step '$s' in $1"; step "$s" false ;;
	esac
done

echo "CANVM-SUMMARY: steps=$nsteps failed=$failed"
[ "$nsteps" -gt 0 ] && [ "$failed" = 0 ]
