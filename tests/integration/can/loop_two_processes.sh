#!/bin/sh
# Two processes over loop:NAME move multi-frame ISO-TP messages both ways,
# and `pitlane can` answers in plain words on this machine.
# usage: loop_two_processes.sh ISOTP_ECHO PITLANE
set -eu
echo_bin=$1
pitlane=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/pl-can-it-XXXXXX")
trap 'kill "$srv" 2>/dev/null || true; rm -rf "$work"' EXIT
chmod 700 "$work"
export PITLANE_CANBUS_DIR="$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

sizes="1 7 8 13 62 400 1000 4095 400"
n=$(echo $sizes | wc -w)
"$echo_bin" serve loop:it 0x7E8 0x7E0 "$n" 2>"$work/serve.err" &
srv=$!
# the server's socket must exist before the first frame is sent
i=0
while [ -z "$(ls "$work/it" 2>/dev/null | grep '^ep-' || true)" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "echo server did not start: $(cat "$work/serve.err")"
	sleep 0.05
done
"$echo_bin" send loop:it 0x7E0 0x7E8 $sizes >"$work/send.out" 2>"$work/send.err" ||
	fail "sender: $(cat "$work/send.err")"
wait "$srv" || fail "echo server: $(cat "$work/serve.err")"
srv=
[ "$(wc -l <"$work/send.out")" -eq "$n" ] || fail "expected $n echoes: $(cat "$work/send.out")"
grep -q '^size=4095 ' "$work/send.out" || fail "no 4095-byte echo"
cat "$work/send.out"

# A sender without a peer: ISO-TP flow-control timeout, exit 1, a clear message.
if "$echo_bin" send loop:empty 0x7E0 0x7E8 100 2>"$work/nbs.err"; then
	fail "send without a peer succeeded"
fi
grep -q 'err=isotp_timeout_bs' "$work/nbs.err" || fail "no N_Bs message: $(cat "$work/nbs.err")"
# No endpoint files are left behind by processes that exited normally.
[ -z "$(ls "$work/it" | grep '^ep-' || true)" ] || fail "endpoint files left: $(ls "$work/it")"

# pitlane can: usage errors exit 2; an interface that is not CAN exits 1 and says so.
set +e
"$pitlane" can status >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "can status without IFACE: exit $rc"
"$pitlane" can setup lo --bitrate 5 >/dev/null 2>"$work/bitrate.err"; rc=$?
[ $rc -eq 2 ] || fail "bad bitrate: exit $rc"
grep -q 'err=range option=--bitrate' "$work/bitrate.err" || fail "bitrate message: $(cat "$work/bitrate.err")"
"$pitlane" can status lo >/dev/null 2>"$work/lo.err"; rc=$?
[ $rc -eq 1 ] || fail "can status lo: exit $rc"
grep -q 'err=can_not_can' "$work/lo.err" || fail "lo message: $(cat "$work/lo.err")"
"$pitlane" can status nosuchcan7 >/dev/null 2>"$work/no.err"; rc=$?
[ $rc -eq 1 ] || fail "can status nosuchcan7: exit $rc"
grep -q 'err=can_no_iface' "$work/no.err" || fail "missing iface message: $(cat "$work/no.err")"
echo PASS
