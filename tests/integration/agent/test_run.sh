#!/bin/sh
# The success path and the commands around it (REQ-AGT-001..006, docs/agent.md).
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu
agent_conf "$W/agent.conf"
export PITLANE_AGENT_CONF=$W/agent.conf

# REQ-AGT-004 pitlane vin
expect_agent 0 "^$VIN\$" "REQ-AGT-004 vin prints the VIN" vin
expect_agent 0 "^{\"vin\":\"$VIN\"}\$" "REQ-AGT-004 vin --json" vin --json

# REQ-AGT-001 the whole chain, run from an empty directory with an empty HOME
mkdir "$W/cwd" "$W/home"
(cd "$W/cwd" && HOME=$W/home "$PITLANE" run door.unlock --work-order WO-1 \
    --reason "test unlock" >"$W/out" 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "REQ-AGT-001 run: exit $rc"
grep -q "^done: door.unlock on $VIN (work order WO-1)\$" "$W/out" || fail "REQ-AGT-001 no done line"
for s in 1 2 3 4 5 6 7; do
	grep -q "\[$s/7\]" "$W/out" || fail "REQ-AGT-001 no progress line for step $s"
done
grep -q '"doors":"unlocked"' "$W/ecu.json" || fail "REQ-AGT-001 ECU state: doors not unlocked"
pass "REQ-AGT-001 run door.unlock: seven steps, done, doors unlocked"
# REQ-AGT-003 no token on disk unless asked
# (p11-kit may create an empty ~/.cache directory; no file may appear)
left=$(find "$W/cwd" "$W/home" -type f)
[ -z "$left" ] || fail "REQ-AGT-003 files left behind: $left"
pass "REQ-AGT-003 no file written without --out"

# REQ-AGT-002 --json: one object
"$PITLANE" run door.lock --work-order WO-2 --json >"$W/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "REQ-AGT-002 run --json: exit $rc"
[ "$(wc -l <"$W/out")" -eq 1 ] || fail "REQ-AGT-002 more than one line"
grep -q '^{"result":"done","exit":0,"op":"door.lock","work_order":"WO-2","vin":"'"$VIN"'","http_status":201,"request_id":"[0-9a-f]\{32\}","ms":{"key":[0-9.]*,.*"broker":[0-9.]*,.*"total":[0-9.]*}}$' \
    "$W/out" || fail "REQ-AGT-002 unexpected JSON"
grep -q '"doors":"locked"' "$W/ecu.json" || fail "REQ-AGT-002 ECU state: doors not locked"
pass "REQ-AGT-002 run --json prints one result object"

# REQ-AGT-005 request --out and token inspect
cn=$(openssl rand -hex 16)
expect_agent 0 "^issued: " "REQ-AGT-005 request --out" request door.unlock --vin "$VIN" \
    --cnonce "$cn" --out "$W/t.cwt" --work-order WO-3
[ "$(stat -c %a "$W/t.cwt")" = 600 ] || fail "REQ-AGT-005 token file mode $(stat -c %a "$W/t.cwt")"
expect_agent 0 "\"cnonce\": *\"$cn\"" "REQ-AGT-005 token inspect shows the challenge" \
    token inspect "$W/t.cwt"
grep -q "\"aud\": *\"$VIN\"" "$W/out" || fail "REQ-AGT-005 aud"
grep -q '"technician": *"tech-anna"' "$W/out" || fail "REQ-AGT-005 technician"
"$PITLANE" request door.unlock --vin "$VIN" --cnonce "$cn" --json >"$W/out" 2>&1 ||
    fail "REQ-AGT-005 request --json"
grep -q '^{"result":"issued","exit":0,"token":"d2' "$W/out" || fail "REQ-AGT-005 JSON token"
pass "REQ-AGT-005 request without --out prints the token (hex, tag 18) and writes nothing"
printf "\\242\\001\\002" >"$W/junk"
expect_agent 1 "not a valid token" "REQ-AGT-005 token inspect rejects garbage" \
    token inspect "$W/junk"

# REQ-AGT-006 a token works once: the copy presented again is refused by the ECU
expect_agent 0 "^done:" "REQ-AGT-006 run --out keeps a copy" run door.unlock \
    --work-order WO-4 --out "$W/u.cwt"
expect_agent 7 "NRC 0x55" "REQ-AGT-006 replayed token refused by the vehicle (exit 7)" \
    run door.unlock --work-order WO-4 --token "$W/u.cwt"
grep -q "another vehicle or another challenge" "$W/out" || fail "REQ-AGT-006 words"

# the audit trail has one allow row per issued token
stop_broker
n=$("$PITLANECTL" audit export "$W/audit.db" | grep -c '"decision":"allow"')
[ "$n" -eq 5 ] || fail "audit: $n allow rows, want 5"
pass "audit: 5 allow rows for 5 issued tokens"
