#!/bin/sh
# The technician key and PIN (REQ-AGT-014..018).
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu
K='pkcs11:token=pitlane-technicians;type=private;object'

agent_conf "$W/a.conf" "technician_key $K=tech-nobody"
expect_agent 6 "no technician key in the token" \
    "REQ-AGT-014 missing technician key (exit 6)" -c "$W/a.conf" run door.unlock --work-order W
grep -q "Diagnostic session" "$W/out" && fail "REQ-AGT-014 the vehicle was touched"

agent_conf "$W/b.conf" "technician_key pkcs11:token=no-such-card;object=tech-anna;type=private"
expect_agent 6 "the technician token is not there" "REQ-AGT-018 missing token/smartcard" \
    -c "$W/b.conf" run door.unlock --work-order W

printf 'wrong-pin\n' >"$W/wrong.pin"
chmod 600 "$W/wrong.pin"
agent_conf "$W/c.conf" "pin_file $W/wrong.pin"
expect_agent 6 "the token refused the PIN" "REQ-AGT-015 wrong PIN (exit 6)" -c "$W/c.conf" \
    run door.unlock --work-order W

agent_conf "$W/d.conf" "technician_key $K=tech-ben"
expect_agent 6 "is not the key of technician_cert" "REQ-AGT-016 key of another technician" \
    -c "$W/d.conf" run door.unlock --work-order W

cp "$P/hsm-agent/pin" "$W/open.pin"
chmod 644 "$W/open.pin"
agent_conf "$W/e.conf" "pin_file $W/open.pin"
expect_agent 6 "readable or writable by group or others" "REQ-AGT-017 PIN file mode checked" \
    -c "$W/e.conf" run door.unlock --work-order W

agent_conf "$W/f.conf" "pin_file"
# setsid: no controlling terminal, so no /dev/tty to ask at
setsid -w "$PITLANE" -c "$W/f.conf" run door.unlock --work-order W </dev/null >"$W/out" 2>&1
rc=$?
[ "$rc" -eq 6 ] || fail "REQ-AGT-017 no PIN source: exit $rc, want 6"
grep -q "no PIN: there is no terminal" "$W/out" || fail "REQ-AGT-017 no PIN source: words"
pass "REQ-AGT-017 no PIN file and no terminal (exit 6)"

stop_broker
[ "$(audit_rows)" -eq 0 ] || fail "a request reached the broker without a usable key"
pass "no request reached the broker"
