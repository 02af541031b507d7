#!/bin/sh
# The handler column of the message table: REQ-PRIV-049 (docs/privsep.md). Each process
# binds only the handlers the table names for it; a message type it has no handler for is
# refused and logged (event=privsep_no_handler) -- here a policy reload at the front end,
# which holds no policy, and a CRL at the signer, which verifies no certificate, each
# written on a copy of the monitor's channel to that process (ps_inject, pidfd_getfd).
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
command -v ss >/dev/null || fail "this test needs ss (iproute2) to find the channels"
PS_MC_RELOAD=31     # broker/proto/ps_msg.h
PS_MC_CRL=32
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
F=$(role_pid front)
S=$(role_pid signer)

wait_count() { # PATTERN N WHAT
	i=0
	until [ "$(grep -c -e "$1" "$W/broker.log")" -ge "$2" ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "$3: no '$1' in the log"
		sleep 0.1
	done
}

fd=$(chan_fd "$BROKER_PID" "$F")
[ -n "$fd" ] || fail "REQ-PRIV-049 no monitor -> front end channel found"
"$PS_INJECT" "$BROKER_PID" "$fd" $PS_MC_RELOAD - || fail "REQ-PRIV-049 ps_inject failed"
wait_count 'event=privsep_no_handler.*role=front from=monitor' 1 "REQ-PRIV-049 front end"
grep 'event=privsep_no_handler.*role=front' "$W/broker.log" | grep -q 'type 31 (handler child_reload)' ||
    fail "REQ-PRIV-049 the refusal does not name the type: $(grep privsep_no_handler "$W/broker.log")"

fd=$(chan_fd "$BROKER_PID" "$S")
[ -n "$fd" ] || fail "REQ-PRIV-049 no monitor -> signer channel found"
"$PS_INJECT" "$BROKER_PID" "$fd" $PS_MC_CRL - || fail "REQ-PRIV-049 ps_inject failed"
wait_count 'event=privsep_no_handler.*role=signer from=monitor' 1 "REQ-PRIV-049 signer"
grep 'event=privsep_no_handler.*role=signer' "$W/broker.log" | grep -q 'type 32 (handler child_crl)' ||
    fail "REQ-PRIV-049 the refusal does not name the type: $(grep privsep_no_handler "$W/broker.log")"

# refused, not obeyed and not fatal: both keep running and the broker serves
[ "$(role_pid front)" = "$F" ] && kill -0 "$F" && [ "$(role_pid signer)" = "$S" ] &&
    kill -0 "$S" || fail "REQ-PRIV-049 a process was ended"
! grep -q 'event=crl_reloaded\|event=policy_reloaded' "$W/broker.log" ||
    fail "REQ-PRIV-049 a message without a handler was acted on"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-049 a type without a handler in the receiving process is refused and logged; the process keeps serving" "$out" "status=201"
stop_broker
