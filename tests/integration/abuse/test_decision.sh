#!/bin/sh
# POST /v1/approvals/{id} on the wire (REQ-ABU-091, docs/protocol.md): a real pitlaned
# (privilege separated), real TLS, SoftHSM2 and SQLite; the body is built by decreq and
# sent with curl. The decision is checked like a token request (signature, workshop,
# iat window, replay cache), then decided; every refusal is an audit row.
# Environment: as tests/integration/broker (lib.sh), plus DECREQ and ABU_TESTDIR.
BRK_TESTDIR=$PITLANE_SOURCE_DIR/tests/integration/agent/approve  # technician approval on
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"
[ -n "${DECREQ:-}" ] || { echo "DECREQ is not set" >&2; exit 2; }
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
API=https://127.0.0.1:$PORT
COSE='Content-Type: application/cose; cose-type="cose-sign1"'

# post DEVICE OUT PATH BODYFILE [CONTENT-TYPE]: POST as DEVICE; prints the status
post() {
	curl -s -o "$2" -D "$W/hdr" -w '%{http_code}' -X POST --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/$1.crt" --key "$P/devices/$1.key" -H "${5:-$COSE}" \
	    --data-binary "@$4" "$API$3"
}
header() { tr -d '\r' <"$W/hdr" | sed -n "s/^$1: //Ip"; }
# decision TECH ID OUT [decreq args]: a signed decision of TECH on approval ID, naming the
# request $W/kl.cose by its SHA-256 (key 21) unless the args say otherwise
decision() {
	t=$1 id=$2 out=$3
	shift 3
	[ $# -gt 0 ] || set -- --request "$W/kl.cose"
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --tech-cert "$P/technicians/$t.crt" \
	    --p11-token pitlane-technicians --p11-object "$t" --pin-file "$P/hsm-agent/pin" \
	    --id "$id" --out "$out" "$@" || fail "decreq $t $id"
}
# has_code FILE CODE: the problem body's "code" entry is CODE (a CBOR text string:
# header 0x60 + length below 24 bytes, else 0x78 and the length byte)
has_code() {
	if [ ${#2} -lt 24 ]; then
		hdr=$(printf "\\$(printf %03o $((96 + ${#2})))")
	else
		hdr=$(printf "\\170\\$(printf %03o ${#2})")
	fi
	grep -a -q -F "code$hdr$2" "$1"
}
# expect WHAT STATUS CODE ACTUAL-STATUS FILE
expect() {
	[ "$4" = "$2" ] && has_code "$5" "$3" ||
	    fail "$1: HTTP $4 ($(grep -a -o 'code.[a-z_0-9]*' "$5" | head -n 1)), expected $2 $3"
	pass "$1: $2 $3"
}

# A pending key.learn approval of tech-anna's (cnonce CN).
CN=b1b2b3b4b5b6b7b8b9babbbcbdbebfc0
ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/kl.cose" \
    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op key.learn \
    --cnonce $CN >/dev/null || fail "tokreq --dump-body key.learn"
st=$(post ws-muc-01-pc1 "$W/out" /v1/token "$W/kl.cose")
loc=$(header Location)
ID=${loc#/v1/approvals/}
[ "$st" = 202 ] && [ ${#ID} = 32 ] || fail "expected 202 with Location, got $st '$loc'"
OTHER=0123456789abcdef0123456789abcdef

# Refused before anything is decided (and each refusal audited).
echo "not cbor" >"$W/junk"
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/junk")
expect "REQ-ABU-091 a body that is no COSE_Sign1" 400 not_cose_sign1 "$st" "$W/out"
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/junk" 'Content-Type: application/cbor')
expect "REQ-ABU-091 the content type" 415 unsupported_media_type "$st" "$W/out"
decision tech-ben "$OTHER" "$W/other.cose"
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/other.cose")
expect "REQ-ABU-091 the signed id must be the path's" 400 bad_request_field "$st" "$W/out"
decision tech-ben "$ID" "$W/stale.cose" --iat-offset -600 --request "$W/kl.cose"
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/stale.cose")
expect "REQ-ABU-091 iat outside the window" 401 stale_request "$st" "$W/out"
decision tech-ben "$ID" "$W/sig.cose"
len=$(wc -c <"$W/sig.cose")
printf '\001' | dd of="$W/sig.cose" bs=1 seek=$((len - 1)) conv=notrunc 2>/dev/null
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/sig.cose")
expect "REQ-ABU-091 a broken signature" 401 bad_technician_signature "$st" "$W/out"
decision tech-carl "$ID" "$W/carl.cose"
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/carl.cose")
expect "REQ-ABU-091 a card of another workshop than the PC" 403 workshop_mismatch "$st" "$W/out"
$PITLANECTL approvals show "$ID" -f "$W/broker.conf" | grep -q "state=pending" ||
    fail "REQ-ABU-091 a refused decision changed the approval"

# REQ-APR-010: "show" answers the SHA-256 of the requester's exact signed request; a decision
# without it (key 21) or with another request's is refused (403 request_hash_mismatch, audited)
# and leaves the approval pending.
decision tech-ben "$ID" "$W/show.cose" --show
st=$(post ws-muc-01-pc1 "$W/show.out" "/v1/approvals/$ID" "$W/show.cose")
want=$(sha256sum "$W/kl.cose" | cut -d' ' -f1)
hex() { od -An -tx1 -v "$@" | tr -d ' \n'; }
# the map entry: text "request-sha256" (0x6e + 14 bytes), bytes (0x58 0x20 + 32 bytes)
[ "$st" = 200 ] && hex "$W/show.out" | grep -q "6e$(printf request-sha256 | hex)5820$want" ||
    fail "REQ-APR-010 show: HTTP $st without request-sha256 = $want"
pass "REQ-APR-010 show answers request-sha256 = SHA-256 of the signed request"
decision tech-ben "$ID" "$W/nohash.cose" --reason "no key 21"
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/nohash.cose")
expect "REQ-APR-010 a decision without key 21" 403 request_hash_mismatch "$st" "$W/out"
grep -a -q "lacks key 21" "$W/out" || fail "REQ-APR-010 the detail says what is missing"
ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/kl-other.cose" \
    --tech-cert "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians \
    --p11-object tech-anna --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op key.learn \
    --cnonce c1c2c3c4c5c6c7c8c9cacbcccdcecfd0 >/dev/null || fail "tokreq --dump-body other"
decision tech-ben "$ID" "$W/otherhash.cose" --request "$W/kl-other.cose"
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/otherhash.cose")
expect "REQ-APR-010 a decision naming another request" 403 request_hash_mismatch "$st" "$W/out"
grep -a -q "decides on another request" "$W/out" || fail "REQ-APR-010 the detail names the mismatch"
decision tech-ben "$ID" "$W/denyhash.cose" --deny --reason "other request" \
    --request-hash 0000000000000000000000000000000000000000000000000000000000000000
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/denyhash.cose")
expect "REQ-APR-010 a deny naming another request" 403 request_hash_mismatch "$st" "$W/out"
$PITLANECTL approvals show "$ID" -f "$W/broker.conf" | grep -q "state=pending" ||
    fail "REQ-APR-010 a decision on another request changed the approval"
$PITLANECTL approvals show "$ID" -f "$W/broker.conf" | grep -q "request_sha256=$want" ||
    fail "REQ-APR-010 pitlanectl approvals show lacks request_sha256=$want"
pass "REQ-APR-010 pitlanectl approvals show prints the request's SHA-256"

# Accepted once; the same signed body again is a replay.
decision tech-ben "$ID" "$W/ok.cose"
st=$(post ws-muc-01-pc1 "$W/ok.cose.out" "/v1/approvals/$ID" "$W/ok.cose")
[ "$st" = 200 ] && [ "$(header Content-Type)" = application/cbor ] ||
    fail "REQ-ABU-091 the decision: HTTP $st $(header Content-Type)"
grep -a -q "approved" "$W/ok.cose.out" && grep -a -q "$ID" "$W/ok.cose.out" ||
    fail "REQ-ABU-091 the 200 map"
pass "REQ-ABU-091 a signed decision: 200 application/cbor {approval-id, status approved, ...}"
st=$(post ws-muc-01-pc1 "$W/out" "/v1/approvals/$ID" "$W/ok.cose")
expect "REQ-ABU-091 the same body again" 401 replayed_request "$st" "$W/out"

# The requesting technician polls from the requesting device (signed, POST .../poll) and
# gets the token bound to the challenge.
decision tech-anna "$ID" "$W/poll.cose" --poll
st=$(post ws-muc-01-pc1 "$W/kl.cwt" "/v1/approvals/$ID/poll" "$W/poll.cose")
[ "$st" = 201 ] || fail "REQ-ABU-091 approved poll: $st"
"$PITLANECTL" token inspect "$W/kl.cwt" | grep -q "\"cnonce\": \"$CN\"" ||
    fail "REQ-ABU-091 token not bound to the original challenge"
pass "REQ-ABU-091 after tech-ben's decision the requester's poll gets the token (same cnonce)"

stop_broker
for r in not_cose_sign1 bad_request_field stale_request bad_technician_signature \
    workshop_mismatch replayed_request; do
	n=$("$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"reject"' |
	    grep -c "\"rule\":\"$r\"" || true)
	[ "$n" = 1 ] || fail "REQ-ABU-091 $n reject rows with rule $r"
done
n=$("$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"deny"' |
    grep -c '"rule":"request_hash_mismatch"' || true)
[ "$n" = 3 ] || fail "REQ-APR-010 $n deny rows with rule request_hash_mismatch, want 3"
"$PITLANECTL" audit export "$W/audit.db" | grep '"rule":"request_hash_mismatch"' |
    grep -q "approve of approval $ID by tech-ben refused" || fail "REQ-APR-010 the row's reason"
pass "REQ-APR-010 each decision on another request is a deny row"
"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"admin"' |
    grep -q "approve approval $ID by api:tech-ben: device ws-muc-01-pc1" ||
    fail "REQ-ABU-091 the admin row"
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "REQ-ABU-091 audit verify"
pass "REQ-ABU-091 every refusal is a reject row; the decision an admin row; the chain verifies"
