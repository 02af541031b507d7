#!/bin/sh
# Readiness: under systemd (Type=notify) the core sends READY=1 once the network process
# serves; without -d the program goes to the background and its foreground parent exits 0
# only then. REQ-COS-034 REQ-COS-035
. "$COS_TESTDIR/lib.sh"

write_config "$W/cosignd.conf"
/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
open(sys.argv[2], "wb").write(s.recv(256))' "$W/notify.sock" "$W/notify.out" &
LISTENER=$!
i=0
until [ -S "$W/notify.sock" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "notify socket not bound"
	sleep 0.1
done
NOTIFY_SOCKET=$W/notify.sock
export NOTIFY_SOCKET
start_cosignd "$W/cosignd.conf"
unset NOTIFY_SOCKET
wait "$LISTENER" || fail "no sd_notify message"
grep -q '^READY=1$' "$W/notify.out" || fail "notify message: $(cat "$W/notify.out")"
pass "REQ-COS-034 sd_notify READY=1 once serving"
kill -TERM "$COSIGND_PID"
wait "$COSIGND_PID" || fail "exit on SIGTERM"
COSIGND_PID=

# REQ-COS-035: without -d: the parent exits 0 once the daemon serves, the daemon runs on
: >"$W/cosignd.log"
SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/cosignd.conf" 2>>"$W/cosignd.log" ||
    fail "background start: exit $?"
COSIGND_PID=$(pgrep -f -- "pitlane-cosignd -f $W/cosignd.conf$" | head -n 1)
[ -n "$COSIGND_PID" ] || fail "no daemon in the background"
ADMIN=$(sed -n 's/.*listener=admin addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/cosignd.log" | tail -n 1)
wait_ready
kill -TERM "$COSIGND_PID"
i=0
while kill -0 "$COSIGND_PID" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "daemon did not stop"
	sleep 0.1
done
COSIGND_PID=
pass "REQ-COS-035 without -d: the parent exits 0 once serving; the daemon serves and stops on SIGTERM"
