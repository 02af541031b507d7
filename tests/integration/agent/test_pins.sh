#!/bin/sh
# The broker's key against the pins (REQ-AGT-010, REQ-AGT-011).
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu
other=$(openssl rand 32 | openssl enc -base64)

# REQ-AGT-010 a broker key that matches no pin: refused before anything is sent
agent_conf "$W/bad.conf" "broker_pin sha256//$other"
expect_agent 4 "does not match the pins - do not continue; call OEM support" \
    "REQ-AGT-010 run refuses a broker whose key does not match the pins (exit 4)" \
    -c "$W/bad.conf" run door.unlock --work-order WO-1 2>&1
expect_agent 4 "does not match the pins" "REQ-AGT-010 request refuses too" \
    request door.unlock -c "$W/bad.conf" --vin "$VIN" --cnonce "$(openssl rand -hex 16)"
grep -q '"doors":"locked"' "$W/ecu.json" || fail "REQ-AGT-010 doors changed"

# REQ-AGT-011 rotation: a wrong primary pin with the right backup pin works
agent_conf "$W/rot.conf" "broker_pin sha256//$other" \
    "broker_pin_backup sha256//$(cat "$P/broker/broker.spki-pin")"
expect_agent 0 "^done:" "REQ-AGT-011 the backup pin is accepted" -c "$W/rot.conf" \
    run door.unlock --work-order WO-2

stop_broker
# the one successful run: its token row and its receipt; nothing from the refused runs
n=$("$PITLANECTL" audit export "$W/audit.db" | grep -vc '"decision":"receipt"')
[ "$n" -eq 1 ] || fail "REQ-AGT-010 audit has $n token rows: a request reached the broker"
pass "REQ-AGT-010 no request reached the broker with the wrong pin (1 token row)"
