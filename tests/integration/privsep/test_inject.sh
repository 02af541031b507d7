#!/bin/sh
# A compromised process sends what it must never send: REQ-PRIV-015..REQ-PRIV-017
# (docs/privsep.md). ps_inject takes a copy of the process's channel descriptor
# (pidfd_getfd) and writes one message on it, as that process could.
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
command -v ss >/dev/null || fail "this test needs ss (iproute2) to find the channels"
# privsep message types (broker/proto/ps_msg.h)
PS_FD_TOKEN=1
PS_DS_ISSUE=10
PS_CM_PEER_BAD=41
PS_ROLE_DECIDER=2
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "a token before the attack" "$out" "status=201"
rows=$(allow_rows)
S=$(role_pid signer)
D=$(role_pid decider)

# wait_log PATTERN N WHAT: waits until PATTERN appears N times in the log.
wait_log() {
	i=0
	until [ "$(grep -c -e "$1" "$W/broker.log")" -ge "$2" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$3: no '$1' in the log"
		sleep 0.1
	done
}

# REQ-PRIV-015: the front end sends the decider a signer-only request (a token to sign):
# refused, the channel cut, the front end ended and restarted, no token.
F=$(role_pid front)
fd=$(chan_fd "$F" "$D")
[ -n "$fd" ] || fail "REQ-PRIV-015 no front end -> decider channel found"
"$PS_INJECT" "$F" "$fd" $PS_DS_ISSUE - || fail "REQ-PRIV-015 ps_inject failed"
wait_log 'event=privsep_bad_message.*role=decider from=front' 1 "REQ-PRIV-015"
grep 'event=privsep_bad_message.*from=front' "$W/broker.log" | grep -q 'type 10 is not allowed' ||
    fail "REQ-PRIV-015 refusal does not name the type: $(grep privsep_bad_message "$W/broker.log")"
wait_log 'event=privsep_peer_ended role=front reported_by=decider' 1 "REQ-PRIV-015"
F2=$(wait_new_pid front "$F") || fail "REQ-PRIV-015 front end not restarted"
! kill -0 "$F" 2>/dev/null || fail "REQ-PRIV-015 the old front end $F still runs"
[ "$(allow_rows)" = "$rows" ] || fail "REQ-PRIV-015 an allow row appeared"
pass "REQ-PRIV-015 signer-only message from the front end refused; front end $F ended, $F2 started"
wait_ready_code 200 "REQ-PRIV-015"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-015 service recovered" "$out" "status=201"
rows=$(allow_rows)

# REQ-PRIV-028 / REQ-PRIV-041: a message of the right type and size whose text fields
# have no NUL (every byte 'A') is a protocol violation like a wrong size: refused, not
# cut, naming the field; the front end is ended and restarted; the decider keeps running.
fd=$(chan_fd "$F2" "$D")
PS_INJECT_FILL=65 PS_INJECT_WELLFORMED=1 "$PS_INJECT" "$F2" "$fd" $PS_FD_TOKEN - || fail "REQ-PRIV-028 ps_inject failed"
wait_log 'event=privsep_bad_message.*role=decider from=front' 2 "REQ-PRIV-028"
grep 'event=privsep_bad_message.*from=front' "$W/broker.log" | tail -n 1 |
    grep -q 'unterminated string field request_id' || fail "REQ-PRIV-028 refusal does not name the field"
F2b=$(wait_new_pid front "$F2") || fail "REQ-PRIV-028 front end not restarted"
kill -0 "$D" && [ "$(role_pid decider)" = "$D" ] || fail "REQ-PRIV-028 the decider died"
[ "$(allow_rows)" = "$rows" ] || fail "REQ-PRIV-028 an allow row appeared"
pass "REQ-PRIV-028 unterminated strings refused, not cut; front end $F2 ended, $F2b started"
wait_ready_code 200 "REQ-PRIV-028"
F2=$F2b

# REQ-PRIV-016: a message of the right type but the wrong size: refused the same way.
fd=$(chan_fd "$F2" "$D")
"$PS_INJECT" "$F2" "$fd" $PS_FD_TOKEN 10 || fail "REQ-PRIV-016 ps_inject failed"
wait_log 'event=privsep_bad_message.*role=decider from=front' 3 "REQ-PRIV-016"
grep 'event=privsep_bad_message.*from=front' "$W/broker.log" | tail -n 1 |
    grep -q 'type 1 has 10 payload bytes' || fail "REQ-PRIV-016 refusal does not give the size"
F3=$(wait_new_pid front "$F2") || fail "REQ-PRIV-016 front end not restarted"
pass "REQ-PRIV-016 wrong-size message refused; front end $F2 ended, $F3 started"
wait_ready_code 200 "REQ-PRIV-016"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-016 service recovered" "$out" "status=201"

# REQ-PRIV-017: the signer gets a front-end message type (on the decider's channel):
# the signer refuses it and the monitor ends the sender; the signer keeps running.
fd=$(chan_fd "$D" "$S")
[ -n "$fd" ] || fail "REQ-PRIV-017 no decider -> signer channel found"
"$PS_INJECT" "$D" "$fd" $PS_FD_TOKEN - || fail "REQ-PRIV-017 ps_inject failed"
wait_log 'event=privsep_bad_message.*role=signer from=decider' 1 "REQ-PRIV-017"
wait_log 'event=privsep_peer_ended role=decider reported_by=signer' 1 "REQ-PRIV-017"
D2=$(wait_new_pid decider "$D") || fail "REQ-PRIV-017 decider not restarted"
[ "$(role_pid signer)" = "$S" ] && kill -0 "$S" || fail "REQ-PRIV-017 the signer did not survive"
pass "REQ-PRIV-017 front-end message refused by the signer; decider $D ended, $D2 started"
wait_ready_code 200 "REQ-PRIV-017"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-017 service recovered" "$out" "status=201"
# REQ-PRIV-019: a subverted front end tells the monitor the decider misbehaved: the
# report is ignored (only the more trusted side of a channel may have the other ended).
F3=$(role_pid front)
D2=$(role_pid decider)
fd=$(chan_fd "$F3" "$BROKER_PID")
[ -n "$fd" ] || fail "REQ-PRIV-019 no front end -> monitor channel found"
"$PS_INJECT" "$F3" "$fd" $PS_CM_PEER_BAD - $PS_ROLE_DECIDER || fail "REQ-PRIV-019 ps_inject failed"
wait_log 'event=privsep_report_ignored reported_by=front role=decider' 1 "REQ-PRIV-019"
kill -0 "$D2" && [ "$(role_pid decider)" = "$D2" ] || fail "REQ-PRIV-019 the decider was ended"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-019 front end cannot have the decider ended" "$out" "status=201"

stop_broker
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed"
pass "clean stop, chain verifies"
