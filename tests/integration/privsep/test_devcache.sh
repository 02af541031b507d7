#!/bin/sh
# The decider's device chain cache and the CRL: REQ-PRIV-046 (docs/privsep.md). A workshop
# PC's certificates are verified in full once and then served from the decider's cache; a
# CRL reload (SIGHUP) that revokes the PC makes its next request a full check, refused.
# The front end's TLS handshake would refuse the PC first, so the request is handed to the
# decider as a subverted front end would (ps_inject on a copy of its channel): what is
# tested is the decider's own check, not the handshake.
. "$BRK_TESTDIR/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
command -v ss >/dev/null || fail "this test needs ss (iproute2) to find the channels"
command -v openssl >/dev/null || fail "this test needs openssl"
PS_FD_TOKEN=1                     # broker/proto/ps_msg.h
VIN=WAUZZZ8V0KA000001             # a VIN tech-carl of ws-ber-02 may unlock
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
D=$(role_pid decider)
openssl x509 -in "$P/devices/ws-ber-02-pc1.crt" -outform DER -out "$W/ber.der" ||
    fail "openssl x509"

# handover: a fresh request of tech-carl's handed to the decider with ws-ber-02-pc1's
# certificate; prints the decider's status
handover() {
	ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/carl.cose" \
	    --tech-cert "$P/technicians/tech-carl.crt" --p11-token pitlane-technicians \
	    --p11-object tech-carl --pin-file "$P/hsm-agent/pin" --vin "$VIN" >/dev/null ||
	    fail "tokreq --dump-body"
	F=$(role_pid front)
	fd=$(chan_fd "$F" "$D")
	[ -n "$fd" ] || fail "no front end -> decider channel found"
	"$PS_INJECT" "$F" "$fd" $PS_FD_TOKEN forge "$W/carl.cose" "$W/ber.der" |
	    sed -n 's/^status=\([0-9]*\).*/\1/p'
}

for i in 1 2 3; do
	st=$(handover)
	[ "$st" = 201 ] || fail "REQ-PRIV-046 request $i of the good PC: $st"
done
pass "REQ-PRIV-046 the good PC: three tokens (the first checks its chain, the others hit the cache)"

sleep 1.1   # the new CRL must be at least a second younger than the old one
(cd "$P" &&
    openssl ca -config openssl.cnf -name CA_dealer -revoke devices/ws-ber-02-pc1.crt \
	-crl_reason keyCompromise &&
    openssl ca -config openssl.cnf -name CA_dealer -gencrl -crldays 30 -out ca/crl.pem.new &&
    mv ca/crl.pem.new ca/crl.pem) >"$W/ca.log" 2>&1 || fail "openssl ca: $(cat "$W/ca.log")"
kill -HUP "$BROKER_PID"
wait_log 'event=decider_crl_reloaded'
st=$(handover)
[ "$st" = 401 ] || fail "REQ-PRIV-046 the revoked PC after the reload: $st"
"$PITLANECTL" audit export "$W/audit.db" | grep '"request_id":"forged-' | tail -n 1 |
    grep '"decision":"reject"' | grep -q '"rule":"bad_identity"' ||
    fail "REQ-PRIV-046 no bad_identity reject row for the revoked PC"
grep 'event=token_request' "$W/broker.log" | tail -n 1 | grep -q 'revoked' ||
    fail "REQ-PRIV-046 the refusal does not say revoked: $(grep event=token_request "$W/broker.log" | tail -n 1)"
[ "$(role_pid decider)" = "$D" ] || fail "REQ-PRIV-046 the decider was restarted"
pass "REQ-PRIV-046 after the CRL reload the cached PC is refused as revoked on its next request"
stop_broker
