#!/bin/sh
# Suspension, revocation and breakers act on what is in flight (issue 12, REQ-ABU-100..108,
# docs/abuse.md "What is in flight"): a token approved but not yet collected leaves only on
# the requesting technician's signed poll (POST /v1/approvals/{id}/poll) from the requesting
# device, and only if a new request would still get through: no officer suspension of the
# technician or the workshop, no open breaker of the class, a technician certificate the
# current CRL does not revoke. A real pitlaned (privilege separated), real TLS, SoftHSM2 and
# SQLite; the officer is pitlanectl, the polls are built by decreq and sent with curl.
BRK_TESTDIR=$HARD_TESTDIR/inflight   # lib.sh copies its policy/
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"
[ -n "${DECREQ:-}" ] || { echo "DECREQ is not set" >&2; exit 2; }
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
API=https://127.0.0.1:$PORT
CTL="$PITLANECTL"
C="-f $W/broker.conf"
COSE='Content-Type: application/cose; cose-type="cose-sign1"'

header() { tr -d '\r' <"$W/hdr" | sed -n "s/^$1: //Ip"; }
# post DEVICE OUT PATH BODYFILE: POST as DEVICE; prints the status
post() {
	curl -s -o "$2" -D "$W/hdr" -w '%{http_code}' -X POST --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/$1.crt" --key "$P/devices/$1.key" -H "$COSE" \
	    --data-binary "@$4" "$API$3"
}
# park TECH OP CNONCE: TECH's request from ws-muc-01-pc1 goes to approval; prints the id
park() {
	ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/req.cose" \
	    --tech-cert "$P/technicians/$1.crt" --p11-token pitlane-technicians --p11-object "$1" \
	    --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op "$2" --cnonce "$3" >/dev/null ||
	    fail "tokreq --dump-body $1 $2"
	st=$(post ws-muc-01-pc1 "$W/park.out" /v1/token "$W/req.cose")
	loc=$(header Location)
	[ "$st" = 202 ] && [ ${#loc} = 46 ] || fail "$1 $2: expected 202 with Location, got $st '$loc'"
	echo "${loc#/v1/approvals/}"
}
officer_conf "$W/olga.officer" officer-olga
approve() {
	officer_ctl "$W/olga.officer" approvals approve "$1" --by olga $C >/dev/null 2>"$W/err" ||
	    fail "approve $1: $(cat "$W/err")"
}
# poll DEVICE TECH ID OUT: TECH's signed poll of approval ID from DEVICE; prints the status
poll() {
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --poll --tech-cert "$P/technicians/$2.crt" \
	    --p11-token pitlane-technicians --p11-object "$2" --pin-file "$P/hsm-agent/pin" \
	    --id "$3" --out "$W/poll.cose" || fail "decreq --poll $2 $3"
	post "$1" "$4" "/v1/approvals/$3/poll" "$W/poll.cose"
}
# get ID OUT: the unsigned GET of the requesting device (no technician's proof)
get() {
	curl -s -o "$2" -w '%{http_code}' --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
	    "$API/v1/approvals/$1"
}
# has_code FILE CODE: the problem body's "code" entry is CODE (CBOR text, < 24 bytes)
has_code() { grep -a -q -F "code$(printf "\\$(printf %03o $((96 + ${#2})))")$2" "$1"; }
# refused WHAT STATUS CODE ACTUAL-STATUS FILE: a problem answer, and no token in it
refused() {
	[ "$4" = "$2" ] && has_code "$5" "$3" ||
	    fail "$1: HTTP $4 ($(grep -a -o 'code.[a-z_0-9]*' "$5" | head -n 1)), expected $2 $3"
	pass "$1: $2 $3"
}
# delivered WHAT ACTUAL-STATUS FILE CNONCE: a token bound to CNONCE
delivered() {
	[ "$2" = 201 ] || fail "$1: HTTP $2 ($(grep -a -o 'code.[a-z_0-9]*' "$3" | head -n 1))"
	"$CTL" token inspect "$3" | grep -q "\"cnonce\": \"$4\"" ||
	    fail "$1: the token is not bound to the original challenge"
	pass "$1: 201, the token with the original cnonce"
}
sign_calls() { sleep 0.3; metric pitlane_hsm_sign_calls_total; }

# REQ-ABU-100: the requester's signed poll: pending 202 (with the poll path), the token once.
N1=c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1
ID=$(park tech-anna key.learn $N1)
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.out")
[ "$st" = 202 ] && grep -a -q "/v1/approvals/$ID/poll" "$W/p.out" ||
    fail "REQ-ABU-100 pending poll: HTTP $st"
pass "REQ-ABU-100 a pending approval: 202 with the poll path"
approve "$ID"
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.cwt")
delivered "REQ-ABU-100 approved, the requester's signed poll" "$st" "$W/p.cwt" $N1
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.out")
refused "REQ-ABU-100 delivered once" 410 approval_consumed "$st" "$W/p.out"

# REQ-ABU-101: the officer suspends the technician after the approval: no token until resumed.
N2=c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2
ID=$(park tech-anna key.learn $N2)
approve "$ID"
$CTL suspend technician tech-anna --reason "card reported stolen" --by olga $C >/dev/null ||
    fail "suspend technician"
calls0=$(sign_calls)
st=$(get "$ID" "$W/g.out")
[ "$st" != 201 ] || fail "REQ-ABU-101 the unsigned GET delivered the token of a suspended technician"
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.out")
refused "REQ-ABU-101 approved, then the technician suspended" 403 refused "$st" "$W/p.out"
# the generic refusal (REQ-ABU-122): neither the rule nor the officer's reason reach the suspect
grep -a -q -e suspensions.technician -e "card reported stolen" "$W/p.out" &&
    fail "REQ-ABU-101 the refusal names the suspension or its reason"
grep -q 'event=approval_delivery_refused .*code=suspended .*rule=suspensions.technician.tech-anna' \
    "$W/broker.log" || fail "REQ-ABU-101 the log does not keep the rule"
[ "$(sign_calls)" = "$calls0" ] || fail "REQ-ABU-101 the HSM signed for a withheld token"
$CTL resume technician tech-anna --reason "card found" --by olga $C >/dev/null || fail "resume"
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.cwt")
delivered "REQ-ABU-101 resumed: the approval still stands" "$st" "$W/p.cwt" $N2

# REQ-ABU-102: the officer suspends the workshop after the approval.
N3=c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3
ID=$(park tech-anna key.learn $N3)
approve "$ID"
$CTL suspend workshop ws-muc-01 --reason "investigation 4711" --by olga $C >/dev/null ||
    fail "suspend workshop"
st=$(get "$ID" "$W/g.out")
[ "$st" != 201 ] || fail "REQ-ABU-102 the unsigned GET delivered the token of a suspended workshop"
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.out")
refused "REQ-ABU-102 approved, then the workshop suspended" 403 refused "$st" "$W/p.out"
grep -a -q -e suspensions.workshop -e "investigation 4711" "$W/p.out" &&
    fail "REQ-ABU-102 the refusal names the suspension or its reason"
grep -q 'event=approval_delivery_refused .*code=suspended .*rule=suspensions.workshop.ws-muc-01' \
    "$W/broker.log" || fail "REQ-ABU-102 the log does not keep the rule"
$CTL resume workshop ws-muc-01 --reason "cleared" --by olga $C >/dev/null || fail "resume"

# REQ-ABU-103: a breaker (refuse mode) of the class trips after the approval.
N4=c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4
ID=$(park tech-anna ignition.enable $N4)
approve "$ID"
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --expect 403)
expect_line "REQ-ABU-103 the next ignition.enable trips fleet-ignition" "$out" \
    "status=403 code=breaker_open rule=limits.fleet-ignition"
st=$(get "$ID" "$W/g.out")
[ "$st" != 201 ] || fail "REQ-ABU-103 the unsigned GET delivered through an open breaker"
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.out")
refused "REQ-ABU-103 approved, then the breaker of its class open" 403 breaker_open "$st" "$W/p.out"
grep -a -q limits.fleet-ignition "$W/p.out" || fail "REQ-ABU-103 rule"

# REQ-ABU-104: a breaker in approval mode withholds an approval decided before it tripped
# (the approver did not know of the wave), not one decided while it is open.
N5=c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5
N6=c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6
ID=$(park tech-anna dtc.clear $N5)
approve "$ID"
ID2=$(park tech-ben dtc.clear $N6)   # trips fleet-dtc (approval mode): parked again
$CTL breaker list $C | grep -q '^name=fleet-dtc ' || fail "REQ-ABU-104 fleet-dtc did not trip"
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.out")
refused "REQ-ABU-104 decided before the trip" 403 breaker_open "$st" "$W/p.out"
approve "$ID2"
st=$(poll ws-muc-01-pc1 tech-ben "$ID2" "$W/p.cwt")
delivered "REQ-ABU-104 decided while the breaker is open" "$st" "$W/p.cwt" $N6

# REQ-ABU-105: the right device without the technician's proof, another technician's proof,
# another device: no token, nothing learnt; then the requester's own poll still delivers.
N7=c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7
ID=$(park tech-anna key.learn $N7)
approve "$ID"
st=$(get "$ID" "$W/g.out")
refused "REQ-ABU-105 the unsigned GET (no technician's proof)" 405 method_not_allowed "$st" "$W/g.out"
st=$(poll ws-muc-01-pc1 tech-ben "$ID" "$W/p.out")
refused "REQ-ABU-105 the right device, another technician's proof" 404 approval_not_found \
    "$st" "$W/p.out"
cp "$W/poll.cose" "$W/replay.cose"
st=$(post ws-muc-01-pc1 "$W/p.out" "/v1/approvals/$ID/poll" "$W/replay.cose")
refused "REQ-ABU-105 a poll body sent twice" 401 replayed_request "$st" "$W/p.out"
st=$(poll ws-ber-02-pc1 tech-carl "$ID" "$W/p.out")
refused "REQ-ABU-105 another device and technician" 404 approval_not_found "$st" "$W/p.out"
st=$(poll ws-ber-02-pc1 tech-anna "$ID" "$W/p.out")
refused "REQ-ABU-105 the requester's card on another workshop's PC" 403 workshop_mismatch \
    "$st" "$W/p.out"
SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --tech-cert "$P/technicians/tech-anna.crt" \
    --p11-token pitlane-technicians --p11-object tech-anna --pin-file "$P/hsm-agent/pin" \
    --id "$ID" --out "$W/dec.cose" || fail "decreq"
st=$(post ws-muc-01-pc1 "$W/p.out" "/v1/approvals/$ID/poll" "$W/dec.cose")
refused "REQ-ABU-105 a signed decision is no poll" 400 bad_request_field "$st" "$W/p.out"
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.cwt")
delivered "REQ-ABU-105 the requester's own poll" "$st" "$W/p.cwt" $N7

# REQ-ABU-106: the requester's certificate revoked after the approval (new CRL + SIGHUP).
N8=c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8
ID=$(park tech-anna key.learn $N8)
approve "$ID"
sleep 1.1   # for one CA the CRL with the latest thisUpdate applies
(cd "$P" &&
    openssl ca -config openssl.cnf -name CA_dealer -revoke technicians/tech-anna.crt \
	-crl_reason keyCompromise &&
    openssl ca -config openssl.cnf -name CA_dealer -gencrl -crldays 30 -out ca/crl.pem.new &&
    mv ca/crl.pem.new ca/crl.pem) >"$W/ca.log" 2>&1 || fail "openssl ca: $(cat "$W/ca.log")"
kill -HUP "$BROKER_PID"
wait_log 'event=crl_reloaded .* crls=1' 1
st=$(get "$ID" "$W/g.out")
[ "$st" != 201 ] || fail "REQ-ABU-106 the unsigned GET delivered to a revoked technician"
st=$(poll ws-muc-01-pc1 tech-anna "$ID" "$W/p.out")
refused "REQ-ABU-106 approved, then the technician's certificate revoked" 401 \
    technician_cert_invalid "$st" "$W/p.out"
st=$(poll ws-muc-01-pc1 tech-ben "$ID" "$W/p.out")
refused "REQ-ABU-106 a colleague's card cannot collect it" 404 approval_not_found "$st" "$W/p.out"
$CTL approvals show "$ID" $C | grep -q "state=approved" ||
    fail "REQ-ABU-106 the withheld approval changed state"

# REQ-ABU-107: every withheld token is an audit row (deny, the rule, the approval id); the
# foreign polls too; the chain verifies.
stop_broker
EXP=$("$CTL" audit export "$W/audit.db")
for r in suspensions.technician.tech-anna suspensions.workshop.ws-muc-01 \
    limits.fleet-ignition limits.fleet-dtc; do
	echo "$EXP" | grep '"decision":"deny"' | grep "\"rule\":\"$r\"" | grep -q 'not delivered' ||
	    fail "REQ-ABU-107 no deny row for the withheld token ($r)"
done
[ "$(echo "$EXP" | grep '"decision":"deny"' | grep -c '"rule":"approval_not_found"')" = 3 ] ||
    fail "REQ-ABU-107 the foreign polls are not 3 deny rows"
[ "$(echo "$EXP" | grep '"decision":"reject"' | grep -c '"rule":"technician_cert_invalid"')" = 1 ] ||
    fail "REQ-ABU-107 the revoked technician's poll is not a reject row"
[ "$(echo "$EXP" | grep -c '"decision":"issued"')" = 4 ] || fail "REQ-ABU-107 issued rows"
"$CTL" audit verify "$W/audit.db" >/dev/null || fail "REQ-ABU-107 audit verify"
pass "REQ-ABU-107 withheld tokens and foreign polls are audit rows; 4 issued; the chain verifies"
