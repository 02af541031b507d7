#!/bin/sh
# CRL update on SIGHUP without a restart: REQ-BRK-044..REQ-BRK-046 (docs/broker.md).
. "$BRK_TESTDIR/lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"

handshake_refused() { # DEVICE: a new connection with DEVICE's certificate fails
	out=$(req "$1" tech-carl)
	case "$out" in
	"status=0 curl="*) return 0 ;;
	*) return 1 ;;
	esac
}
# Before: the workshop PC ws-ber-02-pc1 and technician tech-ben are good; the
# technician-chain cache holds tech-ben's verified chain after this request.
out=$(req ws-ber-02-pc1 tech-carl --vin WAUZZZ8V0KA000001)
expect_line "REQ-BRK-044 ws-ber-02-pc1 before the revocation" "$out" "status=201"
out=$(req ws-muc-01-pc1 tech-ben)
expect_line "REQ-BRK-045 tech-ben before the revocation" "$out" "status=201"

# The CA revokes both; the operator publishes the new CRL and sends SIGHUP. (For one CA
# the CRL with the latest thisUpdate applies: the new one must be at least a second younger.)
sleep 1.1
(cd "$P" &&
    openssl ca -config openssl.cnf -name CA_dealer -revoke devices/ws-ber-02-pc1.crt \
	-crl_reason keyCompromise &&
    openssl ca -config openssl.cnf -name CA_dealer -revoke technicians/tech-ben.crt \
	-crl_reason affiliationChanged &&
    openssl ca -config openssl.cnf -name CA_dealer -gencrl -crldays 30 -out ca/crl.pem.new &&
    mv ca/crl.pem.new ca/crl.pem) >"$W/ca.log" 2>&1 || fail "openssl ca: $(cat "$W/ca.log")"
kill -HUP "$BROKER_PID"
wait_log 'event=crl_reloaded .* crls=1' 1

# REQ-BRK-044: a new connection with the revoked device certificate fails the handshake.
handshake_refused ws-ber-02-pc1 || fail "REQ-BRK-044 revoked device still connects: $out"
pass "REQ-BRK-044 a device revoked by the new CRL is refused in the handshake"

# REQ-BRK-045: the revoked technician is refused although the cache held the chain.
out=$(req ws-muc-01-pc1 tech-ben --expect 401)
expect_line "REQ-BRK-045 a technician revoked by the new CRL" "$out" \
    "status=401 code=technician_cert_invalid"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-BRK-045 the others still work" "$out" "status=201"

# REQ-BRK-046: a broken or foreign CRL file is refused; what was loaded stays in force.
cp "$P/ca/crl.pem" "$W/good-crl.pem"
printf '%s\n' '-----BEGIN X509 CRL-----' 'bm90IGEgQ1JM' '-----END X509 CRL-----' >"$P/ca/crl.pem"
kill -HUP "$BROKER_PID"
wait_log 'event=crl_reload_refused' 1
openssl ca -config "$P/openssl.cnf" -name CA_other -gencrl -crldays 30 \
    -out "$P/ca/crl.pem" >"$W/ca.log" 2>&1 ||
    (cd "$P" && openssl ca -config openssl.cnf -name CA_other -gencrl -crldays 30 \
	-out ca/crl.pem >"$W/ca.log" 2>&1) || fail "openssl ca (other): $(cat "$W/ca.log")"
kill -HUP "$BROKER_PID"
wait_log 'event=crl_reload_refused' 2
grep 'event=crl_reload_refused' "$W/broker.log" | tail -1 | grep -q 'not from a CA of client_ca' ||
    fail "REQ-BRK-046 foreign CRL refusal lacks its reason: $(grep crl_reload "$W/broker.log")"
handshake_refused ws-ber-02-pc1 || fail "REQ-BRK-046 the revocation was lost: $out"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-BRK-046 bad CRL files refused, the loaded CRLs stay" "$out" "status=201"

stop_broker
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed"
pass "audit chain verifies"
