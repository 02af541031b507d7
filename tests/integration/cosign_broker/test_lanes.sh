#!/bin/sh
# Co-signed requests cannot take every channel to the decider (REQ-BRK-323..325,
# docs/privsep.md "Hand-off"): with the co-signer hung, twice `workers` concurrent
# ignition.enable requests, then a door.unlock: the door.unlock is answered at once,
# every ignition.enable fails closed 503 cosigner_unavailable in bounded time.
. "$BRK_TESTDIR/lib.sh"
. "$CS_TESTDIR/cs_lib.sh"

TIMEOUT_MS=1000
SLACK_MS=700   # as test_fail.sh: scheduling, the refusal's audit row, tokreq
WORKERS=4      # lib.sh's write_config
N=$((2 * WORKERS))
LANE=$((WORKERS / 2)) # channels co-signed requests may hold (REQ-BRK-323)
UNLOCK_MS=500
CN=00112233445566778899aabbccddeeff
make_key cc
make_key cs
PIN=$(pin_of cs)

start_fault hang
cosign_config "$W/b.conf" "$FAULT_PORT" "$PIN" "cosigner_timeout_ms $TIMEOUT_MS"
start_broker "$W/b.conf"

# timed_bg I: one ignition.enable in the background, its answer in $W/ie$I, its ms in $W/ms$I
timed_bg() {
	(
		t0=$(now_ms)
		req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN >"$W/ie$1"
		echo $(($(now_ms) - t0)) >"$W/ms$1"
	) &
	BG="$BG $!"
}
BG=
i=1
while [ $i -le $N ]; do
	timed_bg $i
	sleep 0.1 # tokreqs opening the SoftHSM2 token at the same instant may not find it
	i=$((i + 1))
done
sleep 0.3 # every ignition.enable is in (tokreq signs with SoftHSM2 first)
out=$(timed_req ws-muc-01-pc1 tech-ben --op door.unlock --cnonce $CN)
ms=$(cat "$W/elapsed")
expect_line "REQ-BRK-324 door.unlock while $N co-signed requests wait" "$out" "status=201"
[ "$ms" -le $UNLOCK_MS ] ||
    fail "REQ-BRK-324 door.unlock took $ms ms (bound $UNLOCK_MS ms) behind $N co-signed requests"
pass "REQ-BRK-324 door.unlock answered in $ms ms (bound $UNLOCK_MS ms) while $N co-signed requests wait"
# REQ-BRK-323: the decider never holds more than LANE of them (its jobs in flight, /metrics)
most=0
k=0
while [ $k -lt 20 ]; do
	v=$(metric pitlane_cosigner_inflight)
	[ -n "$v" ] && [ "$v" -gt "$most" ] && most=$v
	k=$((k + 1))
	sleep 0.1
done
[ "$most" -ge 1 ] && [ "$most" -le $LANE ] ||
    fail "REQ-BRK-323 up to $most co-signed requests at the decider at once (lane: $LANE)"
pass "REQ-BRK-323 at most $most co-signed requests at the decider at once (lane: $LANE of $WORKERS channels)"
for p in $BG; do
	wait "$p" || true
done

# Every co-signed request fails closed. At most LANE of them are with the decider at a
# time, so they go in N / LANE rounds of cosigner_timeout_ms; the first round within
# cosigner_timeout_ms + slack, the last within rounds * cosigner_timeout_ms + slack.
ROUNDS=$(((N + LANE - 1) / LANE))
max=0
min=
all=
i=1
while [ $i -le $N ]; do
	grep -q "status=503 code=cosigner_unavailable" "$W/ie$i" ||
	    fail "REQ-BRK-325 ignition.enable $i got: $(cat "$W/ie$i")"
	m=$(cat "$W/ms$i")
	all="$all $m"
	[ "$m" -gt "$max" ] && max=$m
	{ [ -z "$min" ] || [ "$m" -lt "$min" ]; } && min=$m
	i=$((i + 1))
done
pass "REQ-BRK-325 all $N ignition.enable requests failed closed 503 cosigner_unavailable (ms:$all)"
[ "$min" -le $((TIMEOUT_MS + SLACK_MS)) ] ||
    fail "REQ-BRK-325 the first refusal took $min ms, more than $TIMEOUT_MS + $SLACK_MS"
[ "$max" -le $((ROUNDS * TIMEOUT_MS + SLACK_MS)) ] ||
    fail "REQ-BRK-325 the last refusal took $max ms, more than $ROUNDS x $TIMEOUT_MS + $SLACK_MS"
pass "REQ-BRK-325 refusals after $min..$max ms (bounds $((TIMEOUT_MS + SLACK_MS)), $((ROUNDS * TIMEOUT_MS + SLACK_MS)) ms)"
# the decider audited each of them: an allow row, then cosign_down
wait_rows cosign_down $N || fail "REQ-BRK-325 $(cosigner_rows cosign_down) cosign_down rows, not $N"
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "REQ-BRK-325 audit chain broken"
pass "REQ-BRK-325 $N cosign_down rows, the chain verifies"
stop_broker
stop_fault
