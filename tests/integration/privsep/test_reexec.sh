#!/bin/sh
# The children re-execute themselves after fork: REQ-PRIV-050..REQ-PRIV-052
# (docs/privsep.md, "Re-exec"). Each child runs a fresh image of pitlaned (its exe and
# command line say so), with an address space of its own (ASLR: its mappings lie
# elsewhere than the monitor's), and takes its configuration from the monitor's channel,
# not from the file: a restarted child comes up from the monitor's copy even when the file
# has been broken meanwhile.
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
S=$(role_pid signer)
D=$(role_pid decider)
F=$(role_pid front)
M=$BROKER_PID
exe=$(readlink "/proc/$M/exe")

# cmdline PID: the NUL-separated command line, spaces between the words
cmdline() { tr '\0' ' ' <"/proc/$1/cmdline"; }

# REQ-PRIV-050: /proc/PID/exe is pitlaned's binary and the command line names the role
# and the descriptors of its channels.
for rp in signer:$S decider:$D front:$F; do
	role=${rp%%:*} p=${rp#*:}
	[ "$(readlink "/proc/$p/exe")" = "$exe" ] ||
	    fail "REQ-PRIV-050 $role $p runs $(readlink "/proc/$p/exe"), not $exe"
	case "$(cmdline "$p")" in
	"pitlaned: $role --privsep-child $role ctl="[0-9]*) ;;
	*) fail "REQ-PRIV-050 $role $p was not re-executed: cmdline '$(cmdline "$p")'" ;;
	esac
done
cmdline "$F" | grep -q ' api=[0-9]* admin=[0-9-]* $' ||
    fail "REQ-PRIV-050 the front end's command line lacks its listeners: $(cmdline "$F")"
case "$(cmdline "$M")" in
*--privsep-child*) fail "REQ-PRIV-050 the monitor itself looks re-executed: $(cmdline "$M")" ;;
esac
pass "REQ-PRIV-050 signer, decider and front end run $exe as 'pitlaned: ROLE --privsep-child ROLE ctl=N'"

# REQ-PRIV-051: fresh address spaces. A forked child shares the monitor's layout
# (same base of the executable, of libc, of the stack); a re-executed one has its own.
# Reading another process's maps needs ptrace rights over it (root here).
base() { # PID WHAT: the start address of the first mapping whose line matches WHAT
	awk -v w="$2" '$0 ~ w { split($1, a, "-"); print a[1]; exit }' "/proc/$1/maps" 2>/dev/null
}
if [ "$(id -u)" = 0 ]; then
	for rp in signer:$S decider:$D front:$F; do
		role=${rp%%:*} p=${rp#*:}
		for what in "$exe" 'libc[.-]' '\[stack\]'; do
			a=$(base "$M" "$what") b=$(base "$p" "$what")
			[ -n "$a" ] && [ -n "$b" ] || fail "REQ-PRIV-051 no mapping '$what' in $M or $p"
			[ "$a" != "$b" ] ||
			    fail "REQ-PRIV-051 $role maps '$what' at the monitor's address $a"
		done
	done
	pass "REQ-PRIV-051 each child's executable, libc and stack lie elsewhere than the monitor's"
else
	echo "note: not root: the children's maps are not readable; REQ-PRIV-051 not checked"
fi

# REQ-PRIV-052: the configuration travels over the channel. Break the file, end the front
# end: the monitor restarts it from its own copy (re-executed as well) and it serves.
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "a token before" "$out" "status=201"
cp "$W/broker.conf" "$W/broker.conf.good"
echo "this is not a broker.conf" >"$W/broker.conf"
kill -9 "$F"
F2=$(wait_new_pid front "$F") || fail "REQ-PRIV-052 the front end was not restarted"
wait_ready_code 200 "REQ-PRIV-052 the restarted front end"
case "$(cmdline "$F2")" in
"pitlaned: front --privsep-child front ctl="*) ;;
*) fail "REQ-PRIV-052 the restarted front end was not re-executed: $(cmdline "$F2")" ;;
esac
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-052 a restarted child takes the monitor's configuration, not the (now broken) file" "$out" "status=201"
cp "$W/broker.conf.good" "$W/broker.conf"
stop_broker
