#!/bin/sh
# The cosigner-client process: what it keeps, and its restart (REQ-BRK-309, REQ-BRK-310,
# docs/privsep.md).
. "$BRK_TESTDIR/lib.sh"
. "$CS_TESTDIR/cs_lib.sh"

role_pid() {
	sed -n "s/.*event=privsep_child_started role=$1 pid=\([0-9]*\).*/\1/p" "$W/broker.log" |
	    tail -n 1
}
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

make_key cc
make_key cs
make_key cosigner
PIN=$(pin_of cs)
CN=00112233445566778899aabbccddeeff
start_fault sign "$W/cs.crt" "$W/cs.key" "$W/cosigner.key"
cosign_config "$W/b.conf" "$FAULT_PORT" "$PIN" "cosigner_timeout_ms 1000"
start_broker "$W/b.conf"
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN)
expect_line "a co-signed token through the cosigner-client" "$out" "status=201"

# REQ-BRK-309: a child of the monitor named cosigner-client, no capabilities, NoNewPrivs,
# its seccomp filter, no descriptor of the database, the PIN or the HSM's files.
K=$(role_pid cosigner-client)
[ -n "$K" ] && [ -d "/proc/$K" ] || fail "REQ-BRK-309 no cosigner-client process"
[ "$(awk '$1 == "PPid:" { print $2 }' /proc/$K/status)" = "$BROKER_PID" ] ||
    fail "REQ-BRK-309 the cosigner-client is not a child of the monitor"
[ "$(cat /proc/$K/comm)" = cosigner-client ] || fail "REQ-BRK-309 comm is $(cat /proc/$K/comm)"
for f in CapEff CapPrm CapInh CapAmb; do
	[ "$(status_field "$K" "$f")" = 0000000000000000 ] || fail "REQ-BRK-309 it has $f"
done
[ "$(status_field "$K" NoNewPrivs)" = 1 ] || fail "REQ-BRK-309 no NoNewPrivs"
if grep -q 'event=privsep_dropped role=cosigner-client .*seccomp=allow-list' "$W/broker.log"; then
	[ "$(status_field "$K" Seccomp)" = 2 ] || fail "REQ-BRK-309 not in seccomp filter mode"
fi
for fd in /proc/$K/fd/*; do
	case "$(readlink "$fd")" in
	*audit.db* | *hsm-broker* | *pin* | *softhsm* | *broker.key*)
		fail "REQ-BRK-309 it holds $(readlink "$fd")" ;;
	esac
done
grep 'event=privsep_dropped role=cosigner-client' "$W/broker.log" | grep -q 'landlock_abi=[1-9]' &&
    landlock=yes || landlock=no
pass "REQ-BRK-309 cosigner-client $K: comm, no capabilities, NoNewPrivs, seccomp, no database/PIN/HSM descriptor (Landlock: $landlock)"

# REQ-BRK-310: killed, the monitor restarts it and co-signed tokens are issued again; while
# it is gone they fail closed and door.unlock is issued.
kill -9 "$K"
out=$(req ws-muc-01-pc1 tech-ben --op door.unlock --cnonce $CN)
expect_line "REQ-BRK-310 door.unlock right after the kill" "$out" "status=201"
i=0
while :; do
	N=$(role_pid cosigner-client)
	[ -n "$N" ] && [ "$N" != "$K" ] && [ -d "/proc/$N" ] && break
	i=$((i + 1))
	[ $i -lt 100 ] || fail "REQ-BRK-310 the cosigner-client was not restarted"
	sleep 0.1
done
wait_log 'event=cosigner_client_ready' 2
sleep 0.3 # the decider takes the new channel
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN)
expect_line "REQ-BRK-310 co-signed again after the restart ($K -> $N)" "$out" "status=201"

# REQ-BRK-321: a cosigner-client that stops answering (SIGSTOP) does not hold a request past
# the decider's own deadline (cosigner_timeout_ms + 500 ms); its late result is dropped.
wait_log 'event=cosigner_client_ready' 2
sleep 0.3
N=$(role_pid cosigner-client)
kill -STOP "$N"
t0=$(now_ms)
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN --expect 503)
ms=$(($(now_ms) - t0))
kill -CONT "$N"
expect_line "REQ-BRK-321 the stopped cosigner-client: refused" "$out" \
    "status=503 code=cosigner_unavailable"
[ "$ms" -ge 1400 ] && [ "$ms" -le 2200 ] ||
    fail "REQ-BRK-321 refused after $ms ms, expected the decider's deadline (1500 ms)"
"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"cosign_down"' | tail -n 1 |
    grep -q '"reason":"timeout: no result in time' || fail "REQ-BRK-321 the row does not say timeout"
pass "REQ-BRK-321 refused by the decider's own deadline after $ms ms"
sleep 0.5
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce $CN)
expect_line "REQ-BRK-321 co-signed again once it runs" "$out" "status=201"
