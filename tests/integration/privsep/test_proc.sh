#!/bin/sh
# What each pitlaned process holds and may do: REQ-PRIV-010..REQ-PRIV-014 (docs/privsep.md).
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
write_config "$W/broker.conf"
# 16 workers: with many threads allocating at once glibc's malloc opens
# /sys/devices/system/cpu/online; the front end's filter must fail that open, not kill.
sed -i 's/^workers 4$/workers 16/' "$W/broker.conf"
start_broker "$W/broker.conf"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "a token through the three processes" "$out" "status=201"

S=$(role_pid signer)
D=$(role_pid decider)
F=$(role_pid front)
[ -n "$S" ] && [ -n "$D" ] && [ -n "$F" ] || fail "REQ-PRIV-010 not three child processes"
for p in $S $D $F; do
	[ "$(awk '$1 == "PPid:" { print $2 }' /proc/$p/status)" = "$BROKER_PID" ] ||
	    fail "REQ-PRIV-010 process $p is not a child of the monitor $BROKER_PID"
done
pass "REQ-PRIV-010 monitor $BROKER_PID runs signer $S, decider $D, front end $F"

# REQ-PRIV-011: nobody keeps a capability or can gain one.
for p in $S $D $F; do
	for f in CapEff CapPrm CapInh CapBnd CapAmb; do
		v=$(status_field "$p" "$f")
		if [ "$(id -u)" = 0 ] || [ "$f" != CapBnd ]; then
			[ "$v" = 0000000000000000 ] || fail "REQ-PRIV-011 process $p has $f $v"
		fi
	done
	[ "$(status_field "$p" NoNewPrivs)" = 1 ] || fail "REQ-PRIV-011 process $p lacks NoNewPrivs"
done
pass "REQ-PRIV-011 signer, decider and front end: no capabilities, NoNewPrivs 1"

# REQ-PRIV-012: the front end runs unprivileged, under seccomp, chrooted to an empty dir.
[ "$(status_field "$F" Seccomp)" = 2 ] || fail "REQ-PRIV-012 front end not in seccomp filter mode"
if [ "$(id -u)" = 0 ]; then
	uid=$(status_field "$F" Uid)
	[ "$uid" != 0 ] || fail "REQ-PRIV-012 front end runs as uid 0"
	[ -z "$(ls -A "/proc/$F/root/")" ] || fail "REQ-PRIV-012 front end root is not empty"
	case "$(readlink "/proc/$F/root")" in
	*"(deleted)") ;;
	*) fail "REQ-PRIV-012 front end root $(readlink "/proc/$F/root") is not a deleted dir" ;;
	esac
	[ ! -e "/proc/$F/root$W/audit.db" ] || fail "REQ-PRIV-012 database visible in the chroot"
	[ ! -e "/proc/$F/root$P/hsm-broker/pin" ] || fail "REQ-PRIV-012 PIN visible in the chroot"
	pass "REQ-PRIV-012 front end uid $uid, seccomp filter, empty chroot"
else
	pass "REQ-PRIV-012 front end under seccomp (not root: no user switch, no chroot)"
fi
grep "event=privsep_dropped role=front" "$W/broker.log" | grep -q 'landlock_abi=[1-9]' ||
    echo "note: Landlock is not available on this kernel"

# REQ-PRIV-018: the signer and the decider run under their own allow-list (files, no
# sockets to create, no exec), when pitlaned was built with libseccomp.
if grep -q 'event=privsep_dropped role=front .*seccomp=allow-list' "$W/broker.log"; then
	for p in $S $D; do
		[ "$(status_field "$p" Seccomp)" = 2 ] || fail "REQ-PRIV-018 process $p not filtered"
	done
	pass "REQ-PRIV-018 signer and decider in seccomp filter mode"
else
	echo "note: built without libseccomp: no seccomp filters"
fi

# REQ-PRIV-013: the front end holds no descriptor of the database, the PIN or the HSM;
# the decider has the database, the signer does not.
fds() { for f in /proc/$1/fd/*; do readlink "$f"; done; }
fds "$F" >"$W/fd.front"
fds "$D" >"$W/fd.decider"
fds "$S" >"$W/fd.signer"
! grep -q -e audit.db -e "$P/hsm-broker" "$W/fd.front" ||
    fail "REQ-PRIV-013 front end holds: $(grep -e audit.db -e hsm-broker "$W/fd.front")"
grep -q "$W/audit.db" "$W/fd.decider" || fail "REQ-PRIV-013 decider lacks the database"
! grep -q audit.db "$W/fd.signer" || fail "REQ-PRIV-013 signer holds the database"
! grep -q "$P/hsm-broker" "$W/fd.decider" || fail "REQ-PRIV-013 decider holds HSM files"
pass "REQ-PRIV-013 database only in the decider; no PIN or HSM file in the front end"

# REQ-PRIV-014: the front end's user cannot open the database or the PIN file either.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	uid=$(status_field "$F" Uid)
	gid=$(status_field "$F" Gid)
	for f in "$W/audit.db" "$P/hsm-broker/pin"; do
		if setpriv --reuid="$uid" --regid="$gid" --clear-groups cat "$f" >/dev/null 2>&1; then
			fail "REQ-PRIV-014 uid $uid can read $f"
		fi
	done
	pass "REQ-PRIV-014 the front end's uid $uid can open neither the database nor the PIN"
fi

# REQ-PRIV-024: the front end keeps working under its allow-list with 16 busy workers
# (keep-alive requests on 16 connections), /metrics.
req ws-muc-01-pc1 tech-anna --count 600 --conns 16 --quiet >/dev/null
[ "$(metric pitlane_tokens_issued_total)" -ge 601 ] || fail "REQ-PRIV-024 tokens_issued below 601"
kill -0 "$F" || fail "the front end died under its seccomp filter"
[ "$(role_pid front)" = "$F" ] || fail "the front end was restarted"
! grep -q 'status="signal 31"' "$W/broker.log" || fail "REQ-PRIV-024 a process was killed by its filter"
pass "REQ-PRIV-024 front end serves 600 requests on 16 connections under its allow-list"
stop_broker
grep -q 'event=stopped clean=yes' "$W/broker.log" || fail "unclean stop"
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed"
pass "clean stop, chain verifies"
