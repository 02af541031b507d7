#!/bin/sh
# Configuration errors and start-up checks: REQ-BRK-030..REQ-BRK-036 (docs/broker.md).
. "$BRK_TESTDIR/lib.sh"

# expect_cfg_error WHAT CONF EXPECTED-TEXT
expect_cfg_error() {
	if SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$2" -n >"$W/out" 2>&1; then
		fail "$1: pitlaned -n accepted the config"
	fi
	grep -qF "$3" "$W/out" || fail "$1: message lacks '$3': $(cat "$W/out")"
	pass "$1"
}

write_config "$W/good.conf"
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/good.conf" -n 2>"$W/out" ||
    fail "REQ-BRK-030 good config refused: $(cat "$W/out")"
pass "REQ-BRK-030 pitlaned -n accepts a good config"

# REQ-BRK-031: -T prints a config that parses back to the same thing.
"$PITLANED" -f "$W/good.conf" -T >"$W/t1.conf" || fail "REQ-BRK-031 -T failed"
"$PITLANED" -f "$W/t1.conf" -T >"$W/t2.conf" || fail "REQ-BRK-031 -T of the dump failed"
cmp -s "$W/t1.conf" "$W/t2.conf" || fail "REQ-BRK-031 dump does not parse back to itself"
grep -qx 'workers 4' "$W/t1.conf" || fail "REQ-BRK-031 dump lacks 'workers 4'"
pass "REQ-BRK-031 -T output parses back to the same config"

# REQ-BRK-032: errors give file:line (the wrong line is the last one write_config appends).
last() { wc -l <"$1" | tr -d ' '; }
write_config "$W/c1.conf" "bogus_key 1"
expect_cfg_error "REQ-BRK-032 unknown key" "$W/c1.conf" \
    "$W/c1.conf:$(last "$W/c1.conf"): unknown key 'bogus_key'"
write_config "$W/c2.conf" "timeout_s 0"
expect_cfg_error "REQ-BRK-032 value out of range" "$W/c2.conf" \
    "$W/c2.conf:$(last "$W/c2.conf"): timeout_s must be a whole number from 1 to 300, got '0'"
write_config "$W/c3.conf" "workers 2"
expect_cfg_error "REQ-BRK-032 duplicate key" "$W/c3.conf" \
    "$W/c3.conf:$(last "$W/c3.conf"): key 'workers' given twice"
grep -v '^database ' "$W/good.conf" >"$W/c4.conf"
expect_cfg_error "REQ-BRK-032 missing key" "$W/c4.conf" "required key 'database'"

# REQ-BRK-033: the admin listener must be on loopback.
sed 's/^admin_listen .*/admin_listen 0.0.0.0:9090/' "$W/good.conf" >"$W/c5.conf"
line=$(grep -n '^admin_listen' "$W/c5.conf" | cut -d: -f1)
expect_cfg_error "REQ-BRK-033 admin listener not on loopback" "$W/c5.conf" \
    "$W/c5.conf:$line: admin_listen '0.0.0.0:9090' is not a loopback address"

# REQ-BRK-034: a PIN file readable by others is refused at start.
cp "$P/hsm-broker/pin" "$W/pin-open"
chmod 0644 "$W/pin-open"
sed "s|^pin_file .*|pin_file $W/pin-open|" "$W/good.conf" >"$W/c6.conf"
expect_cfg_error "REQ-BRK-034 PIN file mode 0644 refused (-n)" "$W/c6.conf" "secret"
if SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/c6.conf" -d >"$W/out" 2>&1; then
	fail "REQ-BRK-034 pitlaned started with a 0644 PIN file"
fi
pass "REQ-BRK-034 pitlaned refuses to start with a 0644 PIN file"

# REQ-BRK-035: a broken policy is refused at start with file:line:col.
mkdir "$W/badpol"
cp "$BRK_TESTDIR/policy-bad/00-test.yaml" "$W/badpol/"
sed "s|^policy_dir .*|policy_dir $W/badpol|" "$W/good.conf" >"$W/c7.conf"
expect_cfg_error "REQ-BRK-035 broken policy refused with file:line:col" "$W/c7.conf" \
    "$W/badpol/00-test.yaml:7:"

# REQ-BRK-036: a missing TLS key file is named.
sed "s|^tls_key .*|tls_key $W/nonexistent.key|" "$W/good.conf" >"$W/c8.conf"
expect_cfg_error "REQ-BRK-036 unreadable TLS key named" "$W/c8.conf" "$W/nonexistent.key"

# The background mode reports start-up failure through its exit status.
if SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/c8.conf" >"$W/out" 2>&1; then
	fail "REQ-BRK-036 daemon mode exited 0 on a failed start"
fi
pass "REQ-BRK-036 daemon mode exits 1 when the start fails"
