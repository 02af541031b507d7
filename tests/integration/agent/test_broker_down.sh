#!/bin/sh
# The broker is down or silent (REQ-AGT-020).
. "$(dirname "$0")/lib.sh"

start_ecu
# a port that was free a moment ago and has no listener now
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
agent_conf "$W/agent.conf" "retries 2"
start=$(date +%s)
expect_agent 4 "cannot reach the broker at https://127.0.0.1:$PORT" \
    "REQ-AGT-020 broker down: clear message, exit 4" -c "$W/agent.conf" \
    run door.unlock --work-order WO-1
el=$(($(date +%s) - start))
[ "$el" -le 10 ] || fail "REQ-AGT-020 took $el s"
grep -q "Token from the broker" "$W/out" || fail "REQ-AGT-020 the failing step is not shown"
pass "REQ-AGT-020 two retries, then the message, in $el s"

# a listener that accepts and never answers: the broker timeout
python3 -c '
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], os.getpid(), flush=True)
conns = []
end = time.time() + 20
while time.time() < end:
    s.settimeout(0.5)
    try:
        conns.append(s.accept()[0])
    except OSError:
        pass
' >"$W/silent.port" 2>/dev/null &
i=0
while [ ! -s "$W/silent.port" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "silent listener"; sleep 0.05
done
sleep 0.1
read -r PORT SILENT <"$W/silent.port"
EXTRA_PIDS=$SILENT
agent_conf "$W/silent.conf" "broker_timeout_s 2" "retries 0"
expect_agent 4 "did not answer in time" "REQ-AGT-020 silent broker: timeout, exit 4" \
    -c "$W/silent.conf" request door.unlock --vin "$VIN" --cnonce "$(openssl rand -hex 16)"
