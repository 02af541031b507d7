#!/bin/sh
# The core stuck (SIGSTOP): the network process answers by itself within bounds: more than
# max_inflight waiting requests get 503 busy at once, a request the core does not answer
# within timeout_s gets 503 cosign_core_unavailable, /v1/ready turns 503; the core back:
# ready and co-signing. REQ-COS-025 REQ-COS-026
. "$COS_TESTDIR/lib.sh"

write_config "$W/cosignd.conf" "max_inflight 1" "timeout_s 3"
start_cosignd "$W/cosignd.conf"
make_request a
make_request b
make_request c

kill -STOP "$COSIGND_PID"
t0=$(date +%s)
post "$W/a.body" "$W/a.out" >"$W/a.status" &
APID=$!
sleep 0.5
st=$(post "$W/b.body" "$W/b.out")
[ "$st" = 503 ] && [ "$(problem_code "$W/b.out")" = busy ] ||
    fail "a second request with max_inflight 1: HTTP $st $(problem_code "$W/b.out")"
wait "$APID"
t=$(($(date +%s) - t0))
[ "$(cat "$W/a.status")" = 503 ] && [ "$(problem_code "$W/a.out")" = cosign_core_unavailable ] ||
    fail "the unanswered request: HTTP $(cat "$W/a.status") $(problem_code "$W/a.out")"
[ "$t" -le 6 ] || fail "the unanswered request took $t s (timeout_s 3)"
pass "REQ-COS-025 core stuck: 503 busy over max_inflight, 503 cosign_core_unavailable after timeout_s ($t s)"

st=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready")
[ "$st" = 503 ] || fail "ready while the core is stuck: $st"
kill -CONT "$COSIGND_PID"
wait_ready
st=$(post "$W/c.body" "$W/c.sig")
[ "$st" = 200 ] || fail "after the core came back: HTTP $st"
pass "REQ-COS-026 ready 503 while the core does not report; back: ready and co-signing"
