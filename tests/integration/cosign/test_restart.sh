#!/bin/sh
# The network process is separate and restartable: killed, the core restarts it and keeps
# its state (the HSM session, the counters, the replay store); it runs unprivileged under
# seccomp without the database or the token files; its audit chain verifies afterwards.
# REQ-COS-030 REQ-COS-031 REQ-COS-032 REQ-COS-033
. "$COS_TESTDIR/lib.sh"

write_config "$W/cosignd.conf"
start_cosignd "$W/cosignd.conf"
make_request first
st=$(post "$W/first.body" "$W/first.sig")
[ "$st" = 200 ] || fail "first request: HTTP $st"

# REQ-COS-030: two processes; the network one without privileges, files or the HSM
np=$(net_pid)
[ -n "$np" ] || fail "no network process"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$np/status" || fail "network: NoNewPrivs"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$np/status" || fail "network: no seccomp filter"
grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$np/status" || fail "network: capabilities"
if [ "$(id -u)" = 0 ]; then
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$np/status")" != 0 ] || fail "network runs as root"
fi
fds=$(ls -l "/proc/$np/fd" 2>/dev/null | sed -n 's/.* -> //p')
echo "$fds" | grep -q -e "cosign.db" -e "tokens" -e "pin" && fail "network holds a file: $fds"
ls -l "/proc/$COSIGND_PID/fd" | grep -q cosign.db || fail "the core does not hold the database"
pass "REQ-COS-030 network process: NoNewPrivs, seccomp, no capabilities, no database or token"

# REQ-COS-031: kill -9 the network process: a new one serves, the core (same pid) keeps state
kill -9 "$np"
i=0
until [ -n "$(net_pid)" ] && [ "$(net_pid)" != "$np" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "network process not restarted"
	sleep 0.1
done
kill -0 "$COSIGND_PID" || fail "the core died"
wait_ready
grep -q 'event=net_exited.*how="signal 9"' "$W/cosignd.log" || fail "no net_exited line"
[ "$(metric pitlane_cosign_net_restarts_total)" = 1 ] || fail "restart not counted"
[ "$(metric 'pitlane_cosign_requests_total{code="signed"}')" = 1 ] ||
    fail "the core lost its counters"
make_request second
st=$(post "$W/second.body" "$W/second.sig")
[ "$st" = 200 ] || fail "after the restart: HTTP $st"
st=$(post "$W/first.body" "$W/first2.out")
[ "$st" = 403 ] && [ "$(problem_code "$W/first2.out")" = replayed_request ] ||
    fail "the request signed before the restart was not refused as replayed: HTTP $st"
pass "REQ-COS-031 network process killed: restarted, the core kept its state and signs"

# REQ-COS-032: SIGTERM stops both, exit 0
kill -TERM "$COSIGND_PID"
wait "$COSIGND_PID" || fail "exit status $? on SIGTERM"
COSIGND_PID=
sleep 0.2
pgrep -f -- "--net-child -f $W/cosignd.conf" >/dev/null && fail "network process left behind"
pass "REQ-COS-032 SIGTERM: both processes end, exit 0"

# REQ-COS-033: --verify-audit walks the chain the requests left; an edited row is named
"$COSIGND" --verify-audit "$W/cosign.db" >"$W/va.log" 2>&1 || fail "chain: $(cat "$W/va.log")"
rows=$(sed -n 's/.*event=audit_ok .*rows=\([0-9]*\).*/\1/p' "$W/va.log")
[ "${rows:-0}" -ge 5 ] || fail "audit rows: '$rows' (allow+signed twice, one refusal)"
/usr/bin/python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("update cosign_audit set vin = ? where seq = 2", ("WVWZZZ1JZXW999999",))
c.commit()' "$W/cosign.db" || fail "cannot edit the audit row"
rc=0
"$COSIGND" --verify-audit "$W/cosign.db" >"$W/va2.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "an edited row: exit $rc"
grep -q 'event=audit_broken.*first_bad_row=2' "$W/va2.log" || fail "not named: $(cat "$W/va2.log")"
pass "REQ-COS-033 --verify-audit: $rows rows verify; an edited row 2 is named, exit 1"
