#!/bin/sh
# A decider that does not answer: REQ-PRIV-055 (docs/privsep.md, "Hand-off"). The front end
# answers 503 decider_unavailable after 30 s, keeps the channel out of use until the late
# answer has arrived, drops that answer, and serves the next requests on the same channel.
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
write_config "$W/broker.conf"
sed -i 's/^workers 4$/workers 1/' "$W/broker.conf"    # one channel: the next request reuses it
grep -q '^workers 1$' "$W/broker.conf" || fail "the test config has no 'workers 1'"
start_broker "$W/broker.conf"
D=$(role_pid decider)
ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/a.cose" \
    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" >/dev/null ||
    fail "tokreq --dump-body"

kill -STOP "$D"
t0=$(date +%s)
st=$(curl -s -o "$W/out" -w '%{http_code}' --max-time 60 -X POST --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    -H 'Content-Type: application/cose; cose-type="cose-sign1"' --data-binary "@$W/a.cose" \
    "$URL")
t1=$(date +%s)
kill -CONT "$D"
[ "$st" = 503 ] && grep -q decider_unavailable "$W/out" ||
    fail "REQ-PRIV-055 a stopped decider: status $st $(cat "$W/out")"
[ $((t1 - t0)) -ge 28 ] && [ $((t1 - t0)) -le 45 ] ||
    fail "REQ-PRIV-055 the 503 came after $((t1 - t0)) s, not after 30 s"
for i in 1 2 3; do
	out=$(req ws-muc-01-pc1 tech-anna)
	expect_line "REQ-PRIV-055 request $i after the late answer" "$out" "status=201"
done
[ "$(role_pid decider)" = "$D" ] || fail "REQ-PRIV-055 the decider was restarted"
pass "REQ-PRIV-055 no answer for 30 s: 503 after $((t1 - t0)) s; the late answer is dropped and the channel serves again"
stop_broker
