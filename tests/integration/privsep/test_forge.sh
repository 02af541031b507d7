#!/bin/sh
# A subverted front end forges its requests to the decider: REQ-PRIV-030..REQ-PRIV-033
# (docs/privsep.md). It can hand over any bytes, but the decider verifies the device's
# certificate, the technician's chain and signature and an approver's signed decision
# itself, so a forged message gets neither a token nor an approval for anybody who did
# not sign -- and every one of them is an audit row. ps_inject writes the messages on a
# copy of the front end's channel (pidfd_getfd) and reads the decider's answer.
BRK_TESTDIR=$PITLANE_SOURCE_DIR/tests/integration/agent/approve  # technician approval on
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"
. "$PS_TESTDIR/ps_lib.sh"
[ -n "${DECREQ:-}" ] || { echo "DECREQ is not set" >&2; exit 2; }
command -v ss >/dev/null || fail "this test needs ss (iproute2) to find the channels"
command -v openssl >/dev/null || fail "this test needs openssl"
# privsep message types (broker/proto/ps_msg.h)
PS_FD_TOKEN=1
PS_FD_DECISION=4
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
D=$(role_pid decider)
API=https://127.0.0.1:$PORT

der() { openssl x509 -in "$1" -outform DER -out "$2" || fail "openssl x509 $1"; }
der "$P/devices/ws-muc-01-pc1.crt" "$W/pc1.der"
der "$P/devices/ws-ber-02-pc1.crt" "$W/ber.der"
der "$P/technicians/tech-ben.crt" "$W/ben.der"

# body TECH OUT [tokreq options]: a token request signed by TECH, written, not sent
body() {
	t=$1 out=$2
	shift 2
	ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$out" \
	    --tech-cert "$P/technicians/$t.crt" --p11-token pitlane-technicians \
	    --p11-object "$t" --pin-file "$P/hsm-agent/pin" --vin "$VIN" "$@" >/dev/null ||
	    fail "tokreq --dump-body $t"
}
# forge TYPE BODY CERTS [ARG]: one request as a subverted front end writes it; prints
# the decider's status
forge() {
	F=$(role_pid front)
	fd=$(chan_fd "$F" "$D")
	[ -n "$fd" ] || fail "no front end -> decider channel found"
	"$PS_INJECT" "$F" "$fd" "$1" forge "$2" "$3" ${4:+"$4"} | sed -n 's/^status=\([0-9]*\).*/\1/p'
}
# rejected RULE: the newest forged request's audit row is a reject with RULE
rejected() {
	"$PITLANECTL" audit export "$W/audit.db" | grep '"request_id":"forged-' | tail -n 1 |
	    grep '"decision":"reject"' | grep -q "\"rule\":\"$1\""
}
rows=$(allow_rows)

# REQ-PRIV-030: a token request naming technician tech-anna (her certificate in the
# x5chain) without her signature: refused, audited; likewise a body that is no
# COSE_Sign1 at all.
body tech-anna "$W/nosig.cose" --corrupt-sig
st=$(forge $PS_FD_TOKEN "$W/nosig.cose" "$W/pc1.der")
[ "$st" = 401 ] || fail "REQ-PRIV-030 a request without the technician's signature: $st"
rejected bad_technician_signature || fail "REQ-PRIV-030 no reject row (bad_technician_signature)"
echo "not cbor" >"$W/junk"
st=$(forge $PS_FD_TOKEN "$W/junk" "$W/pc1.der")
[ "$st" = 400 ] && rejected not_cose_sign1 || fail "REQ-PRIV-030 an unsigned body: $st"
[ "$(allow_rows)" = "$rows" ] || fail "REQ-PRIV-030 an allow row appeared"
pass "REQ-PRIV-030 forged requests without the technician's signature: no token, reject rows"

# REQ-PRIV-031: tech-anna's valid signed request handed over with technician tech-ben's
# certificate as the peer's, or with another workshop's PC, or with none: refused. The same
# bytes with the PC that sent them are a token: the decider decides on what was signed.
body tech-anna "$W/anna.cose"
st=$(forge $PS_FD_TOKEN "$W/anna.cose" "$W/ben.der")
[ "$st" = 401 ] && rejected technician_cert_as_device ||
    fail "REQ-PRIV-031 tech-ben's certificate as the device's: $st"
st=$(forge $PS_FD_TOKEN "$W/anna.cose" "$W/ber.der")
[ "$st" = 403 ] && rejected workshop_mismatch ||
    fail "REQ-PRIV-031 another workshop's PC: $st"
st=$(forge $PS_FD_TOKEN "$W/anna.cose" -)
[ "$st" = 401 ] && rejected bad_identity || fail "REQ-PRIV-031 no device certificate: $st"
[ "$(allow_rows)" = "$rows" ] || fail "REQ-PRIV-031 an allow row appeared"
st=$(forge $PS_FD_TOKEN "$W/anna.cose" "$W/pc1.der")
[ "$st" = 201 ] || fail "REQ-PRIV-031 the genuine bytes: $st"
"$PITLANECTL" audit export "$W/audit.db" | grep '"request_id":"forged-' | tail -n 1 |
    grep '"decision":"allow"' | grep -q '"technician":"tech-anna"' ||
    fail "REQ-PRIV-031 the allow row does not name the signer tech-anna"
rows=$(allow_rows)
pass "REQ-PRIV-031 a signed body with another's certificate: refused; with its own PC: issued to its signer"

# REQ-PRIV-032: an approval of tech-anna's is pending; a forged decision naming approver
# tech-ben without his signature, and his genuine decision for another approval handed
# over for this one, are refused; the approval stays pending.
CN=b1b2b3b4b5b6b7b8b9babbbcbdbebfc0
body tech-anna "$W/kl.cose" --op key.learn --cnonce $CN
st=$(curl -s -o "$W/out" -D "$W/hdr" -w '%{http_code}' -X POST --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
    -H 'Content-Type: application/cose; cose-type="cose-sign1"' --data-binary "@$W/kl.cose" \
    "$API/v1/token")
loc=$(tr -d '\r' <"$W/hdr" | sed -n 's/^Location: //Ip')
ID=${loc#/v1/approvals/}
[ "$st" = 202 ] && [ ${#ID} = 32 ] || fail "REQ-PRIV-032 expected 202 with Location, got $st '$loc'"
decision() {
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --tech-cert "$P/technicians/tech-ben.crt" \
	    --p11-token pitlane-technicians --p11-object tech-ben --pin-file "$P/hsm-agent/pin" \
	    --id "$1" --out "$2" || fail "decreq tech-ben $1"
}
decision "$ID" "$W/ben.cose"
len=$(wc -c <"$W/ben.cose")
printf '\001' | dd of="$W/ben.cose" bs=1 seek=$((len - 1)) conv=notrunc 2>/dev/null
st=$(forge $PS_FD_DECISION "$W/ben.cose" "$W/pc1.der" "$ID")
[ "$st" = 401 ] && rejected bad_technician_signature ||
    fail "REQ-PRIV-032 a decision without the approver's signature: $st"
decision 0123456789abcdef0123456789abcdef "$W/other.cose"
st=$(forge $PS_FD_DECISION "$W/other.cose" "$W/pc1.der" "$ID")
[ "$st" = 400 ] && rejected bad_request_field ||
    fail "REQ-PRIV-032 a decision signed for another approval: $st"
"$PITLANECTL" approvals show "$ID" -f "$W/broker.conf" | grep -q "state=pending" ||
    fail "REQ-PRIV-032 a forged decision changed the approval"
! "$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"admin"' | grep -q "$ID" ||
    fail "REQ-PRIV-032 a forged decision was recorded"
pass "REQ-PRIV-032 forged decisions: no approval, the approval stays pending, reject rows"

# REQ-PRIV-033: the decider is not the front end's victim: it still serves.
kill -0 "$D" && [ "$(role_pid decider)" = "$D" ] || fail "REQ-PRIV-033 the decider died"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-PRIV-033 the service after the forgeries" "$out" "status=201"

stop_broker
n=$("$PITLANECTL" audit export "$W/audit.db" | grep '"request_id":"forged-' |
    grep -c '"decision":"reject"' || true)
[ "$n" = 7 ] || fail "REQ-PRIV-033 $n reject rows of forged requests, expected 7"
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed"
pass "REQ-PRIV-033 every forged request is a reject row; the chain verifies"
