#!/bin/sh
# Connection caps (issue 12, item 2): REQ-BRK-222, REQ-BRK-223, REQ-BRK-231, REQ-BRK-233
# (docs/broker.md, "Connections"). Idle TCP connections without a certificate from
# 127.0.0.1..3; the deadlines are long here so that only the caps close connections.
. "$BRK_TESTDIR/lib.sh"
PY=/usr/bin/python3
FLOOD=$HARD_TESTDIR/connflood.py
write_config "$W/broker.conf" "max_connections 16" "max_connections_per_address 8" \
    "tls_handshake_timeout_s 30" "request_timeout_s 60"
start_broker "$W/broker.conf"

hold() { # SOURCE COUNT SECONDS: "open=N closed=N" after SECONDS
	$PY "$FLOOD" hold 127.0.0.1 "$PORT" "$1" "$2" "$3"
}
hold 127.0.0.1 20 5 >"$W/a.out" &
A=$!
sleep 1
hold 127.0.0.2 20 3 >"$W/b.out" &
B=$!
sleep 1
c=$(hold 127.0.0.3 5 1)
wait $A || fail "hold A failed"
wait $B || fail "hold B failed"
a=$(cat "$W/a.out")
b=$(cat "$W/b.out")
[ "$a" = "open=8 closed=12" ] || fail "REQ-BRK-222 20 connections from 127.0.0.1: $a"
pass "REQ-BRK-222 max_connections_per_address 8: 20 idle connections from one address," \
    "the server keeps 8 and closes 12 at once ($a)"
[ "$b" = "open=8 closed=12" ] || fail "REQ-BRK-223 20 connections from 127.0.0.2: $b"
[ "$c" = "open=0 closed=5" ] ||
    fail "REQ-BRK-223 at max_connections a third address still got in: $c"
grep -q 'event=connection_refused reason=too_many_connections addr=127.0.0.3 limit=16' \
    "$W/broker.log" || fail "REQ-BRK-223 no too_many_connections line"
# the slots are free again once the holders closed theirs
sleep 0.5
d=$(hold 127.0.0.3 5 1)
[ "$d" = "open=5 closed=0" ] || fail "REQ-BRK-223 slots not returned after close: $d"
pass "REQ-BRK-223 max_connections 16: with 8 + 8 open, a third address is refused ($c);" \
    "after they closed it gets in ($d)"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-BRK-223 a token request after the caps were reached" "$out" "status=201"
stop_broker

# REQ-BRK-231: a hard RLIMIT_NOFILE below max_connections + reserve shrinks the cap to fit,
# with a warning, so the reserve (admin listener, decider channels) stays free.
(
	ulimit -n 400
	write_config "$W/low.conf"
	start_broker "$W/low.conf"
	grep -q 'event=fd_limit_low nofile=400 max_connections=128' "$W/broker.log" ||
	    fail "REQ-BRK-231 no fd_limit_low warning"
	grep -q 'event=connection_limits max_connections=128 .* nofile=400 reserved_fds=272' \
	    "$W/broker.log" || fail "REQ-BRK-231 the cap did not shrink to the limit"
	out=$(req ws-muc-01-pc1 tech-anna)
	expect_line "REQ-BRK-231 nofile 400: max_connections 128, 272 descriptors reserved" \
	    "$out" "status=201"
	stop_broker
)

# REQ-BRK-233: when accept(2) runs out of descriptors anyway (here a hard limit of 70, below
# the reserve itself), the listener pauses with a doubling back-off instead of spinning: a
# log line per pause, not one per failed accept; the broker serves again afterwards.
(
	ulimit -n 70
	write_config "$W/emfile.conf" "max_connections_per_address 1000"
	start_broker "$W/emfile.conf"
	$PY "$FLOOD" flood 127.0.0.1 "$PORT" 127.0.0.1 300 6 2000 >"$W/emfile.out"
	n=$(grep -c 'event=accept_failed listener=api reason="Too many open files"' \
	    "$W/broker.log" || true)
	[ "$n" -ge 1 ] || fail "REQ-BRK-233 no accept_failed line ($(cat "$W/emfile.out"))"
	[ "$n" -le 20 ] || fail "REQ-BRK-233 $n accept_failed lines in 6 s"
	grep -q 'event=accept_failed .* pause_ms=100' "$W/broker.log" ||
	    fail "REQ-BRK-233 the pause does not double"
	sleep 1
	out=$(req ws-muc-01-pc1 tech-anna --source 127.0.0.2)
	expect_line "REQ-BRK-233 EMFILE: $n accept_failed lines in 6 s (pause 50 ms doubling)," \
	    "$out" "status=201"
	stop_broker
)
