#!/bin/sh
# SIGHUP policy reload: REQ-BRK-040..REQ-BRK-043 (docs/broker.md).
. "$BRK_TESTDIR/lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"

[ "$(metric pitlane_policy_version)" = 7 ] || fail "initial policy version is not 7"

# REQ-BRK-040: a bad policy is refused on SIGHUP, logged with file:line:col,
# and the old policy stays in force.
cp "$BRK_TESTDIR/policy-bad/00-test.yaml" "$W/policy/00-test.yaml"
kill -HUP "$BROKER_PID"
wait_log 'event=policy_reload_refused'
grep 'event=policy_reload_refused' "$W/broker.log" | grep -q "file=$W/policy/00-test.yaml line=7 col=" ||
    fail "REQ-BRK-040 refusal lacks file and line: $(grep policy_reload_refused "$W/broker.log")"
[ "$(metric pitlane_policy_version)" = 7 ] || fail "REQ-BRK-040 policy version changed"
wait_log 'event=signer_limits_refused'   # the signer keeps its limits too
[ "$(metric pitlane_policy_reload_failures_total)" = 1 ] || fail "REQ-BRK-040 failure not counted"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-BRK-040 bad reload refused, old policy still issues" "$out" "status=201"

# REQ-BRK-041: a good policy is installed on SIGHUP and decides the next request.
sed -e 's/^version: 7/version: 9/' -e 's/vin_prefixes: \[WVW\]/vin_prefixes: [WBA]/' \
    "$BRK_TESTDIR/policy/00-test.yaml" >"$W/policy/00-test.yaml"
kill -HUP "$BROKER_PID"
i=0
until [ "$(metric pitlane_policy_version)" = 9 ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "REQ-BRK-041 policy version 9 not installed"
	sleep 0.1
done
out=$(req ws-muc-01-pc1 tech-anna --expect 403)
expect_line "REQ-BRK-041 new policy denies the old prefix" "$out" "status=403 code=policy_denied"
out=$(req ws-muc-01-pc1 tech-anna --vin WBAPH5C55BA123456 --out "$W/tok")
expect_line "REQ-BRK-041 new policy allows the new prefix" "$out" "status=201"
"$PITLANECTL" token inspect "$W/tok" | grep -q '"policy_version": 9' ||
    fail "REQ-BRK-041 token does not carry policy version 9"
pass "REQ-BRK-041 token carries the new policy version"

# REQ-BRK-043: an operation added to the policy can be signed after SIGHUP, without a
# restart: the signer's own hard limits follow the reloaded operations catalogue.
sed -e 's/^version: 7/version: 10/' \
    -e 's/^  dtc.clear: .*/&\n  seat.reset:      { routine: 0xF006, risk: low, max_ttl: 300, default_ttl: 120, exi: 60 }/' \
    -e 's/operations: \[door.unlock, door.lock, dtc.clear\]$/operations: [door.unlock, door.lock, dtc.clear, seat.reset]/' \
    "$BRK_TESTDIR/policy/00-test.yaml" >"$W/policy/00-test.yaml"
grep -q 'seat.reset:' "$W/policy/00-test.yaml" || fail "REQ-BRK-043 test policy not rewritten"
kill -HUP "$BROKER_PID"
wait_log 'event=signer_limits_reloaded operations=6'
wait_log 'event=policy_reloaded .*version=10'
out=$(req ws-muc-01-pc1 tech-anna --op seat.reset --out "$W/tok")
expect_line "REQ-BRK-043 a new operation is signed after SIGHUP" "$out" "status=201"
"$PITLANECTL" token inspect "$W/tok" | grep -q '"scope": "seat.reset"' ||
    fail "REQ-BRK-043 token is not for seat.reset"

# REQ-BRK-042: SIGTERM drains and exits 0; the audit chain verifies.
stop_broker
grep -q 'event=stopped' "$W/broker.log" || fail "REQ-BRK-042 no clean stop"
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "REQ-BRK-042 audit verify failed"
pass "REQ-BRK-042 clean shutdown, chain verifies"
