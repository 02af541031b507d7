#!/bin/sh
# pitlaned started as an unprivileged user (systemd User=): REQ-PRIV-025 (docs/privsep.md).
# Runs only as root (it needs a second user to become); skipped otherwise.
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skipped: needs root and setpriv to start pitlaned as another user"
	exit 0
fi
U=65534
if ! setpriv --reuid=$U --regid=$U --clear-groups test -x "$PITLANED"; then
	echo "skipped: uid $U cannot execute $PITLANED (a parent directory is private)"
	exit 0
fi
write_config "$W/broker.conf"
chown -R "$U:$U" "$W"
: >"$W/broker.log"
SOFTHSM2_CONF=$BROKER_HSM_CONF setpriv --reuid=$U --regid=$U --clear-groups \
    "$PITLANED" -f "$W/broker.conf" -d >>"$W/broker.log" 2>&1 &
BROKER_PID=$!
i=0
while ! grep -q 'event=started' "$W/broker.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "REQ-PRIV-025 broker did not start as uid $U"
	sleep 0.1
done
PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/broker.log")
ADMIN=$(sed -n 's/.*listener=admin addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/broker.log")
URL=https://127.0.0.1:$PORT/v1/token
[ "$(grep -c 'event=privsep_not_root' "$W/broker.log")" = 3 ] ||
    fail "REQ-PRIV-025 the three children did not log that they keep the user"
for role in signer decider front; do
	p=$(role_pid $role)
	[ "$(status_field "$p" Uid)" = $U ] || fail "REQ-PRIV-025 $role is not uid $U"
	[ "$(status_field "$p" NoNewPrivs)" = 1 ] || fail "REQ-PRIV-025 $role lacks NoNewPrivs"
	[ "$(status_field "$p" CapEff)" = 0000000000000000 ] || fail "REQ-PRIV-025 $role has caps"
done
F=$(role_pid front)
grep 'event=privsep_dropped role=front' "$W/broker.log" | grep -q 'seccomp=allow-list' &&
    { [ "$(status_field "$F" Seccomp)" = 2 ] || fail "REQ-PRIV-025 front end not filtered"; }
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-025 as uid $U: the three processes issue a token" "$out" "status=201"
stop_broker
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed"
pass "REQ-PRIV-025 clean stop, chain verifies"
