#!/bin/sh
# kill -9 during a burst: REQ-BRK-050 (docs/broker.md): every token a client
# received has its committed audit row.
. "$BRK_TESTDIR/lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"

: >"$W/ctis"
SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" \
    --count 4000 --conns 4 --quiet --ctis "$W/ctis" >/dev/null 2>&1 &
CLIENT=$!
i=0
until [ "$(wc -l <"$W/ctis")" -ge 200 ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "burst did not start"
	sleep 0.05
done
kill -KILL "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null || true
BROKER_PID=
wait "$CLIENT" 2>/dev/null || true
got=$(wc -l <"$W/ctis")
[ "$got" -lt 4000 ] || fail "the broker was not killed mid-burst"

"$PITLANECTL" audit export "$W/audit.db" | sed -n 's/.*"token_id":"\([0-9a-f]*\)".*/\1/p' |
    sort >"$W/audited"
sort "$W/ctis" >"$W/received"
missing=$(comm -23 "$W/received" "$W/audited" | wc -l)
[ "$missing" -eq 0 ] || fail "REQ-BRK-050 $missing of $got received tokens have no audit row"
pass "REQ-BRK-050 all $got tokens received before kill -9 have committed audit rows"
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "REQ-BRK-050 chain broken after kill -9"
pass "REQ-BRK-050 chain verifies after kill -9"
