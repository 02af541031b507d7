#!/bin/sh
# Absolute connection deadlines (issue 12, items 2 and 4): REQ-BRK-225..REQ-BRK-227
# (docs/broker.md, "Connections"). A byte every 0.5 s would keep a connection alive
# forever under the inactivity timeout (timeout_s 10); the deadlines do not move.
. "$BRK_TESTDIR/lib.sh"
PY=/usr/bin/python3
FLOOD=$HARD_TESTDIR/connflood.py
write_config "$W/broker.conf" "tls_handshake_timeout_s 2" "request_timeout_s 3" \
    "connection_max_age_s 5"
start_broker "$W/broker.conf"
DEV="$P/ca/ca.crt $P/devices/ws-muc-01-pc1.crt $P/devices/ws-muc-01-pc1.key"

# in_range VALUE LO HI: LO <= VALUE <= HI (decimals)
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
closed_after() { echo "$1" | sed -n 's/^closed_after=\([0-9.]*\)$/\1/p' | tail -n 1; }

# REQ-BRK-225: a ClientHello trickled a byte every 0.5 s is cut at the handshake deadline.
out=$($PY "$FLOOD" trickle 127.0.0.1 "$PORT" 127.0.0.1 0.5 12)
t=$(closed_after "$out")
[ -n "$t" ] && in_range "$t" 1.9 3.2 ||
    fail "REQ-BRK-225 trickled handshake: $out (tls_handshake_timeout_s 2)"
pass "REQ-BRK-225 a handshake trickled at 2 bytes/s is closed after $t s" \
    "(tls_handshake_timeout_s 2, timeout_s 10)"

# REQ-BRK-226: after a full handshake, a request trickled a byte every 0.5 s is cut at
# request_timeout_s after accept.
# shellcheck disable=SC2086
out=$($PY "$FLOOD" trickle 127.0.0.1 "$PORT" 127.0.0.1 0.5 12 $DEV)
t=$(closed_after "$out")
[ -n "$t" ] && in_range "$t" 2.9 4.2 ||
    fail "REQ-BRK-226 trickled request: $out (request_timeout_s 3)"
pass "REQ-BRK-226 a request trickled at 2 bytes/s after the handshake is closed after $t s" \
    "(request_timeout_s 3)"

# REQ-BRK-227: a busy keep-alive connection (a request every 0.5 s) ends at its max age.
# shellcheck disable=SC2086
out=$($PY "$FLOOD" keepalive 127.0.0.1 "$PORT" $DEV 0.5 12)
t=$(closed_after "$out")
n=$(echo "$out" | grep -c 'status=200' || true)
[ -n "$t" ] && in_range "$t" 4.9 6.2 && [ "$n" -ge 8 ] ||
    fail "REQ-BRK-227 keep-alive past connection_max_age_s 5: $(echo "$out" | tail -n 3)"
wait_log 'event=connection_closed reason=max_age'
pass "REQ-BRK-227 a keep-alive connection busy every 0.5 s ($n requests) closes at" \
    "connection_max_age_s 5 (after $t s)"

# The deadlines leave ordinary requests alone.
out=$(req ws-muc-01-pc1 tech-anna --count 5)
expect_line "REQ-BRK-226 ordinary requests within the deadlines" "$out" "status=201"
stop_broker
