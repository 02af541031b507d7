#!/bin/sh
# Crashed processes: REQ-PRIV-020..REQ-PRIV-022 (docs/privsep.md).
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"

# A request kept for REQ-PRIV-023 (a replay after the front end was restarted).
out=$(req ws-muc-01-pc1 tech-anna --dump-body "$W/body1")
expect_line "a request to replay later" "$out" "status=201"

# REQ-PRIV-020: kill -9 of the front end in the middle of a burst: every token a
# client received has its committed audit row, and the monitor restarts the front end.
F=$(role_pid front)
: >"$W/ctis"
SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" \
    --count 3000 --conns 4 --quiet --ctis "$W/ctis" >/dev/null 2>&1 &
CLIENT=$!
i=0
until [ "$(wc -l <"$W/ctis")" -ge 200 ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "REQ-PRIV-020 burst did not start"
	sleep 0.05
done
kill -KILL "$F"
wait "$CLIENT" 2>/dev/null || true
grep -q "event=privsep_child_exited role=front pid=$F status=\"signal 9\"" "$W/broker.log" ||
    fail "REQ-PRIV-020 the front end's death was not seen"
got=$(wc -l <"$W/ctis")
"$PITLANECTL" audit export "$W/audit.db" | sed -n 's/.*"token_id":"\([0-9a-f]*\)".*/\1/p' |
    sort >"$W/audited"
sort "$W/ctis" >"$W/received"
missing=$(comm -23 "$W/received" "$W/audited" | wc -l)
[ "$missing" -eq 0 ] || fail "REQ-PRIV-020 $missing of $got received tokens have no audit row"
F2=$(wait_new_pid front "$F") || fail "REQ-PRIV-020 front end not restarted"
wait_ready_code 200 "REQ-PRIV-020"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-020 all $got received tokens audited; front end $F2 serves" "$out" \
    "status=201"

# REQ-PRIV-023: the replay cache lives in the decider: the same request sent again to
# the restarted front end is still refused as a replay.
out=$(SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    --raw "$W/body1" --expect 401 || true)
expect_line "REQ-PRIV-023 replay refused after a front-end restart" "$out" \
    "status=401 code=replayed_request"

# REQ-PRIV-021: the signer crashes. While it is gone (the monitor is held with SIGSTOP
# so it cannot restart it yet) the broker answers 503 and is not ready; never a token
# without the HSM. Then it comes back and issues again.
S=$(role_pid signer)
kill -STOP "$BROKER_PID"
kill -KILL "$S"
out=$(req ws-muc-01-pc1 tech-anna --expect 503)
expect_line "REQ-PRIV-021 signer gone: 503" "$out" "status=503 code=hsm_unavailable"
wait_ready_code 503 "REQ-PRIV-021"
pass "REQ-PRIV-021 /v1/ready 503 while the signer is gone"
[ "$(audit_rows rule hsm)" -ge 1 ] || fail "REQ-PRIV-021 the refusal was not audited"
kill -CONT "$BROKER_PID"
S2=$(wait_new_pid signer "$S") || fail "REQ-PRIV-021 signer not restarted"
wait_ready_code 200 "REQ-PRIV-021"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-021 signer $S2 back: issuing" "$out" "status=201"

# REQ-PRIV-022: the decider crashes: 503 and not ready until it is back.
D=$(role_pid decider)
kill -STOP "$BROKER_PID"
kill -KILL "$D"
out=$(req ws-muc-01-pc1 tech-anna --expect 503)
expect_line "REQ-PRIV-022 decider gone: 503" "$out" "status=503 code=decider_unavailable"
wait_ready_code 503 "REQ-PRIV-022"
pass "REQ-PRIV-022 /v1/ready 503 while the decider is gone"
kill -CONT "$BROKER_PID"
D2=$(wait_new_pid decider "$D") || fail "REQ-PRIV-022 decider not restarted"
wait_ready_code 200 "REQ-PRIV-022"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-022 decider $D2 back: issuing" "$out" "status=201"

stop_broker
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed after the crashes"
pass "clean stop, chain verifies after the crashes"
