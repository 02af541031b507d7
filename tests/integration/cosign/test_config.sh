#!/bin/sh
# -n checks the configuration and what it names and exits 0; a bad line is refused with
# file:line and exit 1; a missing HSM key or PIN file too; -T prints a file that parses back.
# A TLS key readable by others stops it, naming the fix.
# REQ-COS-040 REQ-COS-041 REQ-COS-042 REQ-COS-043
. "$COS_TESTDIR/lib.sh"

write_config "$W/cosignd.conf"
SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/cosignd.conf" -n >"$W/n.log" 2>&1 ||
    fail "-n on the demo config: $(cat "$W/n.log")"
grep -q 'event=config_ok' "$W/n.log" || fail "no config_ok line"
pass "REQ-COS-040 -n accepts the demo configuration"

# an unknown key on line 16 (the base: a comment, 14 keys, admin_listen)
write_config "$W/bad.conf" "max_conections 10"
rc=0
SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/bad.conf" -n >"$W/bad.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "-n on a bad key: exit $rc"
grep -q "$W/bad.conf:16: unknown key 'max_conections'" "$W/bad.log" ||
    fail "no file:line in: $(cat "$W/bad.log")"
grep -q 'err=cosign_config_unknown_key' "$W/bad.log" || fail "no stable code"
write_config "$W/bad2.conf" "timeout_s 0"
rc=0
"$COSIGND" -f "$W/bad2.conf" -n >"$W/bad2.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "bad2.conf:16: timeout_s must be a whole number from 1 to 300" \
    "$W/bad2.log" || fail "timeout_s 0: exit $rc, $(cat "$W/bad2.log")"
rc=0
"$COSIGND" -f "$W/cosignd.conf" -x >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "usage error: exit $rc"
pass "REQ-COS-041 bad lines refused with file:line, exit 1; usage exit 2"

# the wrong token label: -n fails and says so
sed 's/^token_label .*/token_label no-such-token/' "$W/cosignd.conf" >"$W/notoken.conf"
rc=0
SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/notoken.conf" -n >"$W/nt.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "-n with a missing token: exit $rc"
grep -q 'event=startup_failed' "$W/nt.log" || fail "no startup_failed line"
# pkcs11_module: the module named loads (no p11-kit registration needed); a missing one is named
MOD=$(ls /usr/lib/*/softhsm/libsofthsm2.so /usr/lib/softhsm/libsofthsm2.so 2>/dev/null | head -n 1)
if [ -n "$MOD" ]; then
	write_config "$W/mod.conf" "pkcs11_module $MOD"
	SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/mod.conf" -n >"$W/mod.log" 2>&1 ||
	    fail "-n with pkcs11_module $MOD: $(cat "$W/mod.log")"
	write_config "$W/mod2.conf" "pkcs11_module $W/no-such-module.so"
	rc=0
	SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/mod2.conf" -n >"$W/mod2.log" 2>&1 || rc=$?
	[ "$rc" = 1 ] && grep -q "err=signer_module.*no-such-module.so" "$W/mod2.log" ||
	    fail "a missing module: exit $rc, $(cat "$W/mod2.log")"
fi
# -T round trip
"$COSIGND" -f "$W/cosignd.conf" -T >"$W/printed.conf" || fail "-T failed"
"$COSIGND" -f "$W/printed.conf" -T >"$W/printed2.conf" || fail "-T of -T failed"
cmp -s "$W/printed.conf" "$W/printed2.conf" || fail "-T does not parse back"
pass "REQ-COS-042 a missing HSM token or module fails -n; pkcs11_module loads the module named; -T parses back"

# REQ-COS-043: the TLS key readable by group or others: -n refuses and names the fix
chmod 644 "$P/cosigner/cosigner.key"
rc=0
SOFTHSM2_CONF=$COSIGNER_HSM_CONF "$COSIGND" -f "$W/cosignd.conf" -n >"$W/key.log" 2>&1 || rc=$?
chmod 600 "$P/cosigner/cosigner.key"
[ "$rc" = 1 ] || fail "-n with a group-readable TLS key: exit $rc"
grep -q "err=secret_mode.*tls_key .*fix: chmod 600 $P/cosigner/cosigner.key" "$W/key.log" ||
    fail "no fix named: $(cat "$W/key.log")"
pass "REQ-COS-043 a TLS key readable by others is refused with the fix"
