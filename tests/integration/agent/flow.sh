#!/bin/sh
# The success flow over a given CAN URI (loop:NAME, or socketcan:vcan0 in the
# VM tier): demo PKI, pitlaned on 127.0.0.1, pitlane-ecusim on CAN_URI,
# `pitlane run door.unlock`, then the same token replayed (refused, 0x55).
# usage: flow.sh CAN_URI   (environment as lib.sh)
[ $# -eq 1 ] || { echo "usage: flow.sh CAN_URI" >&2; exit 2; }
AGT_CAN=$1
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu
agent_conf "$W/agent.conf"
export PITLANE_AGENT_CONF=$W/agent.conf
expect_agent 0 "^done: door.unlock on $VIN" "REQ-AGT-001 run door.unlock over $CAN" \
    run door.unlock --work-order WO-FLOW --out "$W/t.cwt"
grep -q '"doors":"unlocked"' "$W/ecu.json" || fail "doors not unlocked"
expect_agent 7 "NRC 0x55" "REQ-AGT-006 replayed token refused over $CAN" \
    run door.unlock --work-order WO-FLOW --token "$W/t.cwt"
stop_ecu
stop_broker
