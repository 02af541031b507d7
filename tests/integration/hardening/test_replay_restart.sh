#!/bin/sh
# Replay protection across restarts (issue 12, item 8; docs/audit.md "Replay across
# restarts"): REQ-BRK-260..264. The same signed request bytes, sent again inside the iat
# window after the decider was killed with SIGKILL or the whole broker restarted, are
# refused as a replay: the accepted nonces are in the audit rows and the decider loads
# them back at start.
. "$BRK_TESTDIR/lib.sh"
. "$PITLANE_SOURCE_DIR/tests/integration/privsep/ps_lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"

# replay FILE: the saved request bytes again, as the same device.
replay() {
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
	    --raw "$1" --expect 401 || true
}
allow_count() { "$PITLANECTL" audit export "$W/audit.db" | grep -c '"decision":"allow"' || true; }

out=$(req ws-muc-01-pc1 tech-anna --dump-body "$W/body1")
expect_line "a signed request gets a token" "$out" "status=201"
out=$(replay "$W/body1")
expect_line "the same bytes again (no restart) are a replay" "$out" "status=401 code=replayed_request"

# REQ-BRK-260: kill -9 of the decider; the monitor starts a new one with an empty cache.
D=$(role_pid decider)
kill -KILL "$D"
D2=$(wait_new_pid decider "$D") || fail "REQ-BRK-260 the decider was not restarted"
wait_ready_code 200 "REQ-BRK-260"
allows=$(allow_count)
out=$(replay "$W/body1")
expect_line "REQ-BRK-260 replay after kill -9 of the decider ($D -> $D2) refused" "$out" \
    "status=401 code=replayed_request"

# REQ-BRK-262: the replay got no token and is audited as a refusal.
[ "$(allow_count)" = "$allows" ] || fail "REQ-BRK-262 the replay added an allow row"
"$PITLANECTL" audit export "$W/audit.db" | tail -n 1 | grep '"decision":"reject"' |
    grep -q '"rule":"replayed_request"' || fail "REQ-BRK-262 the replay is not audited as a reject"
pass "REQ-BRK-262 the replay is audited as a reject, no token"

# REQ-BRK-261: the whole broker restarted (SIGTERM, start again).
out=$(req ws-muc-01-pc1 tech-anna --dump-body "$W/body2")
expect_line "a second request just before the restart" "$out" "status=201"
stop_broker
start_broker "$W/broker.conf"
wait_log 'event=replay_preloaded'
out=$(replay "$W/body1")
expect_line "REQ-BRK-261 replay after a broker restart refused (first request)" "$out" \
    "status=401 code=replayed_request"
out=$(replay "$W/body2")
expect_line "REQ-BRK-261 replay after a broker restart refused (second request)" "$out" \
    "status=401 code=replayed_request"

# REQ-BRK-263: a new request is not mistaken for a replay; the cache holds the loaded nonces.
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-BRK-263 a fresh request after the restart gets a token" "$out" "status=201"
grep -q 'event=replay_preloaded nonces=2 ' "$W/broker.log" ||
    fail "REQ-BRK-263 the log does not say 2 nonces were loaded: $(grep replay_pre "$W/broker.log")"
n=$(metric pitlane_replay_cache_entries)
[ "${n:-0}" -ge 2 ] || fail "REQ-BRK-263 only '$n' nonces in the replay cache after the restart"
pass "REQ-BRK-263 the decider loaded the 2 accepted nonces back (cache: $n entries)"

# REQ-BRK-264: more recent nonces than the cache holds (replay_capacity 64 after 70
# requests): the broker refuses every request signed before its start instead.
req ws-muc-01-pc1 tech-anna --count 70 >/dev/null
out=$(req ws-muc-01-pc1 tech-anna --dump-body "$W/body3")
expect_line "REQ-BRK-264 a request before the small restart" "$out" "status=201"
stop_broker
write_config "$W/broker.conf" "replay_capacity 64"
sleep 1    # the next request is signed in a later second than the start
start_broker "$W/broker.conf"
wait_log 'event=replay_preload_full'
out=$(replay "$W/body3")
expect_line "REQ-BRK-264 with the cache overflowing, an older request is refused" "$out" \
    "status=401 code=replayed_request"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-BRK-264 ... and a request signed after the start gets a token" "$out" \
    "status=201"
