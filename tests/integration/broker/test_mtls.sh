#!/bin/sh
# mTLS negative matrix: REQ-BRK-020..REQ-BRK-029 (docs/broker.md).
. "$BRK_TESTDIR/lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"

# Handshake refusals: tokreq prints status=0 curl=<35|55|56> (see docs/broker.md).
refused() {
	what=$1
	shift
	out=$(SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
	    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
	    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" "$@" || true)
	case "$out" in
	"status=0 curl="*) pass "$what refused in the handshake ($out)" ;;
	*) fail "$what: expected a handshake refusal, got '$out'" ;;
	esac
}
dev() { echo "--cert $P/devices/$1.crt --key $P/devices/$1.key"; }

refused "REQ-BRK-020 no client certificate"
# shellcheck disable=SC2046
refused "REQ-BRK-021 certificate of another CA" $(dev device-other-ca)
# shellcheck disable=SC2046
refused "REQ-BRK-022 expired certificate" $(dev device-expired)
# shellcheck disable=SC2046
refused "REQ-BRK-023 not yet valid certificate" $(dev device-notyet)
# shellcheck disable=SC2046
refused "REQ-BRK-024 revoked certificate (CRL)" $(dev device-revoked)
# shellcheck disable=SC2046
refused "REQ-BRK-025 TLS 1.2-only client" $(dev ws-muc-01-pc1) --tls12
grep -q 'event=tls_client_cert_rejected.*reason="certificate revoked"' "$W/broker.log" ||
    fail "REQ-BRK-024 revocation not logged"
grep -q 'event=tls_client_cert_rejected.*reason="certificate has expired"' "$W/broker.log" ||
    fail "REQ-BRK-022 expiry not logged"
pass "REQ-BRK-022/024 refusals logged with the X509 reason"
n=$("$PITLANECTL" audit export "$W/audit.db" | wc -l)
[ "$n" -eq 0 ] || fail "handshake refusals must not reach the audit log ($n rows)"

# REQ-BRK-026: a technician of another workshop at this workshop's PC.
out=$(req ws-muc-01-pc1 tech-carl --expect 403)
expect_line "REQ-BRK-026 technician of another workshop" "$out" "status=403 code=workshop_mismatch"
[ "$(audit_rows rule workshop_mismatch)" = 1 ] || fail "REQ-BRK-026 not audited"

# REQ-BRK-027: a bad technician signature.
out=$(req ws-muc-01-pc1 tech-anna --corrupt-sig --expect 401)
expect_line "REQ-BRK-027 corrupted technician signature" "$out" "status=401 code=bad_technician_signature"
out=$(req ws-muc-01-pc1 tech-anna --sign-key "$P/devices/ws-muc-01-pc1.key" --expect 401)
expect_line "REQ-BRK-027 signed with another key" "$out" "status=401 code=bad_technician_signature"
[ "$(audit_rows rule bad_technician_signature)" = 2 ] || fail "REQ-BRK-027 not audited twice"

# REQ-BRK-028: a technician certificate the dealer CA did not issue (or revoked/expired).
out=$(SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    --tech-cert "$P/technicians/tech-other-ca.crt" --sign-key "$P/technicians/tech-other-ca.key" \
    --vin "$VIN" --expect 401 || true)
expect_line "REQ-BRK-028 technician certificate from a foreign CA" "$out" \
    "status=401 code=technician_cert_invalid"
out=$(SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    --tech-cert "$P/technicians/tech-revoked.crt" --sign-key "$P/technicians/tech-revoked.key" \
    --vin "$VIN" --expect 401 || true)
expect_line "REQ-BRK-028 revoked certificate as technician certificate" "$out" \
    "status=401 code=technician_cert_invalid"
[ "$(audit_rows rule technician_cert_invalid)" = 2 ] || fail "REQ-BRK-028 not audited"

# REQ-BRK-029: the good device still works on the same broker (no collateral damage).
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-BRK-029 good request after the refusals" "$out" "status=201"
stop_broker
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed"
pass "audit chain verifies"
