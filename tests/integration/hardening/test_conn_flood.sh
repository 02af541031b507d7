#!/bin/sh
# An anonymous client cannot take the broker down (issue 12, item 2): REQ-BRK-220,
# REQ-BRK-221, REQ-BRK-224 (docs/broker.md, "Connections"). Thousands of trickling
# connections without a certificate from 127.0.0.1; another client on 127.0.0.2 still
# gets tokens, /v1/ready answers, the log stays short. The flood is bounded (3000
# connections, 16 s) and stays on 127.0.0.0/8.
. "$BRK_TESTDIR/lib.sh"
PY=/usr/bin/python3
FLOOD=$HARD_TESTDIR/connflood.py
FLOOD_CONNS=3000
FLOOD_S=16
FLOOD_RATE=1000       # new connections a second (the server closes all but 64)
N=30                  # the other client's requests per phase, each on a new connection

# A unit without LimitNOFILE runs with systemd's soft limit of 1024 descriptors.
ulimit -Sn 1024
write_config "$W/broker.conf"
start_broker "$W/broker.conf"

# REQ-BRK-220: the front end raised RLIMIT_NOFILE for max_connections plus its reserve.
front=$(sed -n 's/.*event=privsep_child_started role=front pid=\([0-9]*\).*/\1/p' \
    "$W/broker.log" | tail -n 1)
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$front/limits")
hard=$(ulimit -Hn)
need=$((2048 + 256 + 4 * 4))     # max_connections + the reserve with 4 workers
[ "$hard" = unlimited ] || [ "$hard" -ge $need ] ||
    fail "REQ-BRK-220 needs a hard RLIMIT_NOFILE of at least $need here (it is $hard)"
[ "$soft" -ge $need ] || fail "REQ-BRK-220 the front end's soft RLIMIT_NOFILE is $soft"
grep -q 'event=connection_limits max_connections=2048 per_address=64' "$W/broker.log" ||
    fail "REQ-BRK-220 no connection_limits line with the defaults"
pass "REQ-BRK-220 RLIMIT_NOFILE raised from 1024 to $soft at start (max_connections 2048 + reserve)"

# other_client: N token requests from 127.0.0.2, each on a new TLS connection;
# prints "requests=.. ok=.. ... p99_us=..".
other_client() {
	req ws-muc-01-pc1 tech-anna --source 127.0.0.2 --fresh --count $N --rate 5 --bench
}
base=$(other_client)
echo "without flood: $base"

lines0=$(wc -l <"$W/broker.log")
$PY "$FLOOD" flood 127.0.0.1 "$PORT" 127.0.0.1 $FLOOD_CONNS $FLOOD_S $FLOOD_RATE >"$W/flood.out" 2>&1 &
FLOOD_PID=$!
sleep 3
during=$(other_client)
echo "during the flood: $during"
ready_admin=$(curl -s -m 5 "http://127.0.0.1:$ADMIN/v1/ready" || true)
ready_api=$(curl -s -m 5 --interface 127.0.0.2 --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    "https://127.0.0.1:$PORT/v1/ready" || true)
wait "$FLOOD_PID" || fail "the flood helper failed: $(cat "$W/flood.out")"
lines1=$(wc -l <"$W/broker.log")
echo "flood: $(cat "$W/flood.out")"

ok_of() { echo "$1" | sed -n 's/.* ok=\([0-9]*\).*/\1/p'; }
p99_of() { echo "$1" | sed -n 's/.*p99_us=\([0-9]*\).*/\1/p'; }
[ "$(ok_of "$base")" = $N ] || fail "REQ-BRK-221 without the flood: $base"
[ "$(ok_of "$during")" = $N ] ||
    fail "REQ-BRK-221 the other client during the flood: $during"
p99=$(p99_of "$during")
[ "$p99" -lt 2000000 ] || fail "REQ-BRK-221 p99 during the flood is $p99 us"
[ "$ready_admin" = "ready" ] || fail "REQ-BRK-221 admin /v1/ready during the flood: '$ready_admin'"
[ "$ready_api" = "ready" ] || fail "REQ-BRK-221 API /v1/ready during the flood: '$ready_api'"
opened=$(sed -n 's/^opened=\([0-9]*\).*/\1/p' "$W/flood.out")
pass "REQ-BRK-221 while 127.0.0.1 tried to hold $FLOOD_CONNS trickling connections" \
    "($opened opened in $FLOOD_S s, $FLOOD_RATE a second) the client on 127.0.0.2 got $(ok_of "$during")/$N tokens, p99 $(p99_of "$base") us without," \
    "$p99 us with the flood; /v1/ready answers on both listeners"

# REQ-BRK-224: refusals and deadlines collapse into a line a second per event.
during_lines=$((lines1 - lines0))
grep -q 'event=connection_refused reason=too_many_from_address addr=127.0.0.1 limit=64' \
    "$W/broker.log" || fail "REQ-BRK-224 no connection_refused line"
grep -q 'event=connection_refused .* repeated=[0-9]' "$W/broker.log" ||
    fail "REQ-BRK-224 refusals are not collapsed"
grep -q 'event=connection_closed reason=handshake_deadline .* repeated=[0-9]' \
    "$W/broker.log" || fail "REQ-BRK-224 handshake deadlines are not collapsed"
# the other client's requests log a line each ($N token_issued); the rest is bounded
[ "$during_lines" -le $((N + 10 * FLOOD_S)) ] ||
    fail "REQ-BRK-224 $during_lines log lines during a $FLOOD_S s flood"
pass "REQ-BRK-224 $during_lines log lines during the $FLOOD_S s flood (identical events" \
    "collapsed with repeated=N, one line a second)"
grep -c 'event=accept_failed\|event=libevent' "$W/broker.log" >"$W/acceptfail.n" || true
[ "$(cat "$W/acceptfail.n")" -eq 0 ] || fail "REQ-BRK-224 accept failures during the flood"

stop_broker
