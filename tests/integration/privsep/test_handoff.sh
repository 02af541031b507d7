#!/bin/sh
# The front end hands requests to the decider from its event loop: REQ-PRIV-053, REQ-PRIV-054
# (docs/privsep.md, "Hand-off"). Each request goes out at once on a free channel; while all
# channels are busy, requests wait in line (at most queue_max) and go out as answers free
# the channels; a full line is 503 busy, and nothing waits forever.
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
# one channel, a line of 3: 8 connections at once must wait for each other
write_config "$W/broker.conf" "queue_max 3"
sed -i 's/^workers 4$/workers 1/' "$W/broker.conf"
grep -q '^workers 1$' "$W/broker.conf" || fail "the test config has no 'workers 1'"
start_broker "$W/broker.conf"

# REQ-PRIV-053: a quiet broker answers one request at once (no batch to fill), and
# requests beyond the free channels wait in line and are all answered.
out=$(req ws-muc-01-pc1 tech-anna --count 5 --bench)
case "$out" in
*"requests=5 ok=5 "*) ;;
*) fail "REQ-PRIV-053 five requests one after the other: $out" ;;
esac
p50=$(echo "$out" | sed -n 's/.*p50_us=\([0-9]*\).*/\1/p')
[ -n "$p50" ] && [ "$p50" -lt 200000 ] || fail "REQ-PRIV-053 a lone request took $p50 us"
out=$(req ws-muc-01-pc1 tech-anna --count 24 --conns 3 --bench)
case "$out" in
*"requests=24 ok=24 "*) ;;
*) fail "REQ-PRIV-053 3 connections on 1 channel: $out" ;;
esac
# no worker threads in between: the event loop is the front end's only thread
F=$(role_pid front)
[ "$(status_field "$F" Threads)" = 1 ] ||
    fail "REQ-PRIV-053 the front end runs $(status_field "$F" Threads) threads, not its loop alone"
pass "REQ-PRIV-053 one channel: a lone request at once (p50 $p50 us); 3 connections wait in line and all 24 are answered; the front end is one thread"

# REQ-PRIV-054: more at once than channel + line: the rest is refused 503 busy, not queued
# without bound; afterwards the broker serves as before.
req ws-muc-01-pc1 tech-anna --count 64 --conns 16 --bench >"$W/burst.out" 2>&1 || true
m=$(metric 'pitlane_http_requests_total{endpoint="token",status="503"}')
[ -n "$m" ] && [ "${m%.*}" -gt 0 ] ||
    fail "REQ-PRIV-054 no 503 under a burst beyond the line: $(cat "$W/burst.out"); metric '$m'"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-054 a burst beyond channel + queue_max is refused 503 busy ($m); then the broker serves" "$out" "status=201"
stop_broker
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed"
