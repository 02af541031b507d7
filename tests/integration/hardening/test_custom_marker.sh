#!/bin/sh
# An OEM's own technician marker (broker.conf technician_eku; docs/broker.md "Technician and
# device certificates"): both processes that verify certificates apply the configured OID,
# not the default one. The front end's TLS store refuses a client certificate carrying the
# configured marker; the decider requires it on the x5chain leaf, so certificates with only
# the default marker are no technicians there. REQ-BRK-213..REQ-BRK-215.
# Real pitlaned processes, TLS, SoftHSM2 and SQLite (../broker/lib.sh).
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"

OEM_EKU=1.3.6.1.4.1.99999.7.1
write_config "$W/broker.conf" "technician_eku $OEM_EKU"
start_broker "$W/broker.conf"

# issue NAME EKU [CN]: a certificate of the demo dealer CA (OU ws-muc-01, CN default NAME)
# with a file key and extendedKeyUsage EKU
issue() {
	printf '[t]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n%s\n' \
	    "extendedKeyUsage=$2" >"$W/$1.cnf"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/$1.key" 2>/dev/null
	openssl req -new -key "$W/$1.key" -subj "/O=Pitlane Demo/OU=ws-muc-01/CN=${3:-$1}" \
	    -out "$W/$1.csr" 2>/dev/null
	openssl x509 -req -in "$W/$1.csr" -CA "$P/ca/ca.crt" -CAkey "$P/ca/ca.key" \
	    -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$W/$1.cnf" -extensions t \
	    -out "$W/$1.crt" 2>/dev/null || fail "cannot issue $1"
}

# REQ-BRK-213: a TLS client certificate carrying the configured marker is refused (the front
# end's store knows the OEM's OID), one with the default marker only is not a technician's
# marker here and passes as a device (health answers).
issue tdev-oem "clientAuth,$OEM_EKU"
st=$(curl -s -o "$W/oem.body" -w '%{http_code}' --cacert "$P/ca/ca.crt" --cert "$W/tdev-oem.crt" \
    --key "$W/tdev-oem.key" "https://127.0.0.1:$PORT/v1/health" || true)
[ "$st" = 401 ] && grep -q technician_cert_as_device "$W/oem.body" ||
    fail "REQ-BRK-213 a client certificate with the configured marker: got $st"
pass "REQ-BRK-213 a TLS client certificate with the configured marker is refused (401)"

# REQ-BRK-214: the demo technician certificates carry the default marker only: with another
# marker configured the decider refuses them as technicians, audited.
out=$(req ws-muc-01-pc1 tech-anna --expect 401 || true)
expect_line "REQ-BRK-214 a certificate without the configured marker cannot sign" "$out" \
    "status=401 code=not_a_technician_certificate"
sleep 0.3
[ "$(audit_rows rule not_a_technician_certificate)" -ge 1 ] ||
    fail "REQ-BRK-214 the refusal has no audit row"

# REQ-BRK-215: tech-anna's certificate reissued with the configured marker (the technician
# proves the certificate's key; the policy names her) signs a request that gets a token.
issue tech-oem "$OEM_EKU" tech-anna
out=$(req ws-muc-01-pc1 tech-anna --tech-cert "$W/tech-oem.crt" --sign-key "$W/tech-oem.key" \
    --expect 201 || true)
expect_line "REQ-BRK-215 a technician certificate with the configured marker gets a token" \
    "$out" "status=201"
stop_broker
