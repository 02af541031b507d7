#!/bin/sh
# Tester present keeps the ECU session alive while the broker is slow
# (REQ-AGT-007): the ECU ends its extended session after 3 s of silence, the
# broker's answer takes 5 s (a delaying proxy), the run still succeeds.
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu --session-timeout 3
python3 "$(dirname "$0")/slowproxy.py" "$PORT" 5 30 >"$W/proxy.port" &
i=0
while [ ! -s "$W/proxy.port" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "proxy did not start"; sleep 0.05
done
sleep 0.1
read -r PORT PROXY <"$W/proxy.port"
EXTRA_PIDS=$PROXY
agent_conf "$W/agent.conf" "connect_timeout_s 15"
start=$(date +%s)
expect_agent 0 "^done: door.unlock" "REQ-AGT-007 a 5 s broker wait with S3 = 3 s: done" \
    -c "$W/agent.conf" run door.unlock --work-order WO-SLOW
el=$(($(date +%s) - start))
[ "$el" -ge 5 ] || fail "REQ-AGT-007 the run took $el s: the proxy did not delay"
pass "REQ-AGT-007 the session survived the $el s wait (tester present)"
