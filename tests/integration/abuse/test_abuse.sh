#!/bin/sh
# Abuse resistance end to end (docs/abuse.md): a real pitlaned (privilege separated),
# real TLS, SoftHSM2 and SQLite; pitlanectl as the officer. REQ-ABU-060..069.
# Environment: as tests/integration/broker (lib.sh), plus DECREQ and ABU_TESTDIR.
BRK_TESTDIR=$ABU_TESTDIR
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
CTL="$PITLANECTL"
C="-f $W/broker.conf"
API=https://127.0.0.1:$PORT

# (tokreq --dump-body leaks its buffers at exit: no leak check for those calls.)
# curl as the device ws-muc-01-pc1: curlw OUT-BODY METHOD PATH [curl args]; prints the status.
curlw() {
	out=$1 m=$2 path=$3
	shift 3
	curl -s -o "$out" -D "$W/hdr" -w '%{http_code}' -X "$m" --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
	    "$@" "$API$path"
}
header() { tr -d '\r' <"$W/hdr" | sed -n "s/^$1: //Ip"; }
# pollw OUT-BODY ID [DEVICE [TECH]]: TECH's signed poll of approval ID (POST .../poll) from
# DEVICE (default ws-muc-01-pc1, tech-ben); prints the status.
pollw() {
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --poll --tech-cert "$P/technicians/${4:-tech-ben}.crt" \
	    --p11-token pitlane-technicians --p11-object "${4:-tech-ben}" \
	    --pin-file "$P/hsm-agent/pin" --id "$2" --out "$W/poll.cose" || fail "decreq --poll"
	dev=${3:-ws-muc-01-pc1}
	curl -s -o "$1" -w '%{http_code}' -X POST --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/$dev.crt" --key "$P/devices/$dev.key" \
	    -H 'Content-Type: application/cose; cose-type="cose-sign1"' \
	    --data-binary "@$W/poll.cose" "$API/v1/approvals/$2/poll"
}

# REQ-ABU-060: a burst of 10 x R door.unlock admits R (3 per minute) and the HSM signs
# exactly the admitted ones; the refusals are 429 with Retry-After and audited.
calls0=$(metric pitlane_hsm_sign_calls_total)
out=$(req ws-muc-01-pc1 tech-anna --count 30 --expect 201 || true)
ok=$(echo "$out" | grep -c '^status=201' || true)
lim=$(echo "$out" | grep -c '^status=429 code=rate_limited rule=limits.technician-unlocks' || true)
[ "$ok" = 3 ] && [ "$lim" = 27 ] || fail "REQ-ABU-060 burst: $ok admitted, $lim limited: $out"
sleep 0.5
calls1=$(metric pitlane_hsm_sign_calls_total)
[ $((calls1 - calls0)) = 3 ] || fail "REQ-ABU-060 HSM calls $calls0 -> $calls1, expected +3"
[ "$(audit_rows decision limited)" = 27 ] || fail "REQ-ABU-060 limited rows not audited"
pass "REQ-ABU-060 30 requests: 3 admitted, 27 x 429, HSM sign calls +3"

# Retry-After on the wire.
body=$(mktemp -p "$W")
ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/unlock.cose" --tech-cert \
    "$P/technicians/tech-anna.crt" --p11-token pitlane-technicians --p11-object tech-anna \
    --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op door.unlock >/dev/null ||
    fail "tokreq --dump-body"
st=$(curlw "$body" POST /v1/token -H 'Content-Type: application/cose; cose-type="cose-sign1"' \
    --data-binary "@$W/unlock.cose")
ra=$(header Retry-After)
[ "$st" = 429 ] && [ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 68 ] ||
    fail "REQ-ABU-060 429 with Retry-After 1..68, got $st '$ra'"
pass "REQ-ABU-060 429 carries Retry-After: $ra s"

# REQ-ABU-061: a restart mid-window keeps the count (another technician: 2 now, 1 after).
out=$(req ws-muc-01-pc1 tech-ben --count 2)
stop_broker
start_broker "$W/broker.conf"
API=https://127.0.0.1:$PORT
out=$(req ws-muc-01-pc1 tech-ben --count 3 --expect 201 || true)
[ "$(echo "$out" | grep -c '^status=201')" = 1 ] ||
    fail "REQ-ABU-061 after restart expected 1 more admission: $out"
pass "REQ-ABU-061 restart mid-window keeps the count (2 before, 1 after)"

# REQ-ABU-062: the fleet breaker trips within its window, stays open, resets only by an
# officer; the trip is an alert row, in the metrics and in `pitlanectl breaker list`.
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --count 6 --expect 201 || true)
[ "$(echo "$out" | grep -c '^status=201')" = 4 ] &&
    [ "$(echo "$out" | grep -c '^status=403 code=breaker_open rule=limits.fleet-ignition')" = 2 ] ||
    fail "REQ-ABU-062 breaker: $out"
$CTL breaker list $C | grep -q '^name=fleet-ignition ' || fail "REQ-ABU-062 breaker list"
$CTL alerts list $C | grep -q 'rule=limits.fleet-ignition' || fail "REQ-ABU-062 alert row"
sleep 0.5
[ "$(metric pitlane_abuse_breakers_open)" = 1 ] || fail "REQ-ABU-062 metric breakers_open"
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --expect 403)
expect_line "REQ-ABU-062 still open" "$out" "status=403 code=breaker_open"
$CTL breaker reset fleet-ignition $C >/dev/null 2>&1 && fail "REQ-ABU-062 reset without --reason"
$CTL breaker reset fleet-ignition --reason "wave explained" --by olga $C >/dev/null ||
    fail "REQ-ABU-062 reset"
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable)
expect_line "REQ-ABU-062 reset by the officer reopens the class" "$out" "status=201"
sleep 2   # no request meanwhile: the decider's timer writes the row
[ "$(audit_rows decision admin)" -ge 1 ] || fail "REQ-ABU-062 reset not audited"
pass "REQ-ABU-062 breaker reset audited"

# REQ-ABU-063: two-person approval. key.learn -> 202 + Location; self-approval refused;
# the officer approves; the device polls and gets the token bound to the same cnonce, once.
CN=a1a2a3a4a5a6a7a8a9aaabacadaeafb0
ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/kl.cose" --tech-cert \
    "$P/technicians/tech-ben.crt" --p11-token pitlane-technicians --p11-object tech-ben \
    --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op key.learn --cnonce $CN >/dev/null ||
    fail "tokreq --dump-body key.learn"
st=$(curlw "$body" POST /v1/token -H 'Content-Type: application/cose; cose-type="cose-sign1"' \
    --data-binary "@$W/kl.cose")
loc=$(header Location)
id=${loc#/v1/approvals/}
[ "$st" = 202 ] && [ ${#id} = 32 ] || fail "REQ-ABU-063 expected 202 with Location, got $st '$loc'"
[ "$(header Content-Type)" = application/cbor ] || fail "REQ-ABU-063 202 content type"
st=$(pollw "$body" "$id")
[ "$st" = 202 ] || fail "REQ-ABU-063 poll while pending: $st"
$CTL approvals list $C | grep -q "^id=$id state=pending rule=approvals.key-learning" ||
    fail "REQ-ABU-063 approvals list"
# REQ-APR-020: the typed name is gone: refused with what replaced it
rc=0
$CTL approvals approve "$id" --approver officer-olga $C 2>"$W/err" || rc=$?
[ $rc = 2 ] && grep -q -- "--approver is gone.*signs the decision with their own key" "$W/err" ||
    fail "REQ-APR-020 --approver: $(cat "$W/err")"
pass "REQ-APR-020 --approver is refused with what replaced it"
# a technician's card is no officer's: the decision is not written
officer_conf "$W/ben.officer" tech-ben "$P/technicians/tech-ben.crt" pitlane-technicians \
    "$P/hsm-agent/pin"
OFFICER_HSM_CONF=$AGENT_HSM_CONF officer_ctl "$W/ben.officer" approvals approve "$id" $C \
    2>"$W/err" && fail "REQ-ABU-063 approval with a technician's key"
grep -q "not an officer certificate valid under officer_ca" "$W/err" ||
    fail "REQ-ABU-063 technician key message: $(cat "$W/err")"
officer_conf "$W/anna.officer" officer-anna
officer_ctl "$W/anna.officer" approvals approve "$id" --by olga $C >/dev/null 2>"$W/err" ||
    fail "REQ-ABU-063 approve: $(cat "$W/err")"
st=$(pollw "$W/kl.cwt" "$id")
[ "$st" = 201 ] || fail "REQ-ABU-063 approved poll: $st"
"$CTL" token inspect "$W/kl.cwt" | grep -q "\"cnonce\": \"$CN\"" ||
    fail "REQ-ABU-063 token not bound to the original challenge"
st=$(pollw "$body" "$id")
[ "$st" = 410 ] || fail "REQ-ABU-063 second delivery: $st"
[ "$(audit_rows decision issued)" = 1 ] || fail "REQ-ABU-063 issued row"
# Another device may not poll it.
st=$(pollw /dev/null "$id" ws-ber-02-pc1 tech-carl)
[ "$st" = 404 ] || fail "REQ-ABU-063 foreign device poll: $st"
pass "REQ-ABU-063 202 -> approve (an officer's key, not a technician's) -> token with the same cnonce, once"

# REQ-ABU-064: deny -> 403 approval_denied with the reason.
ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body "$W/kl2.cose" --tech-cert \
    "$P/technicians/tech-ben.crt" --p11-token pitlane-technicians --p11-object tech-ben \
    --pin-file "$P/hsm-agent/pin" --vin "$VIN" --op key.learn >/dev/null
curlw "$body" POST /v1/token -H 'Content-Type: application/cose; cose-type="cose-sign1"' \
    --data-binary "@$W/kl2.cose" >/dev/null
loc=$(header Location)
officer_ctl "$W/anna.officer" approvals deny "${loc#/v1/approvals/}" --reason "no work order" \
    $C >/dev/null || fail "REQ-ABU-064 deny"
st=$(pollw "$body" "${loc#/v1/approvals/}")
[ "$st" = 403 ] || fail "REQ-ABU-064 denied poll: $st"
pass "REQ-ABU-064 denied approval answers 403"

# REQ-ABU-065: suspension and resume take effect on the next request, audited.
$CTL suspend technician tech-carl --reason "badge lost" --by olga $C >/dev/null ||
    fail "REQ-ABU-065 suspend"
out=$(req ws-ber-02-pc1 tech-carl --op dtc.clear --expect 403)
# (a suspension is a refusal without a reason for the requester: docs/protocol.md)
expect_line "REQ-ABU-065 suspended technician refused" "$out" "status=403 code=refused"
"$CTL" audit export "$W/audit.db" | grep '"rule":"suspensions.technician.tech-carl"' |
    grep -q 'badge lost' || fail "REQ-ABU-065 the audit row keeps the suspension and reason"
$CTL resume technician tech-carl --reason "found" $C >/dev/null || fail "REQ-ABU-065 resume"
out=$(req ws-ber-02-pc1 tech-carl --op dtc.clear)
expect_line "REQ-ABU-065 resumed technician allowed" "$out" "status=201"
sleep 2
"$CTL" audit export "$W/audit.db" | grep '"decision":"admin"' | grep -q 'suspend technician tech-carl' ||
    fail "REQ-ABU-065 suspension not in the audit log"

# REQ-ABU-066: a decoy VIN suspends the requester at once.
out=$(req ws-ber-02-pc1 tech-carl --vin WVWZZZ1JZ3W386752 --expect 403)
expect_line "REQ-ABU-066 decoy refused" "$out" "status=403 code=refused"
"$CTL" audit export "$W/audit.db" | grep -q '"rule":"decoy_vins"' ||
    fail "REQ-ABU-066 the audit row names the decoy rule"
out=$(req ws-ber-02-pc1 tech-carl --op dtc.clear --expect 403)
expect_line "REQ-ABU-066 requester suspended" "$out" "status=403 code=refused"
"$CTL" audit export "$W/audit.db" | grep -q '"rule":"suspensions.technician.tech-carl"' ||
    fail "REQ-ABU-066 the audit row names the suspension"
$CTL alerts list $C | grep -q 'rule=anomalies.decoy' || fail "REQ-ABU-066 alert listed"
pass "REQ-ABU-065/066 suspension, resume and decoy suspension on the next request"

# REQ-ABU-067: revocation is published at /v1/revoked (API and admin listeners).
cti=$(sed -n 's/.*"token_id":"\([0-9a-f]\{32\}\)".*/\1/p' <<EOT | head -n 1
$("$CTL" audit export "$W/audit.db" | grep '"decision":"allow"')
EOT
)
$CTL revoke token "$cti" --reason "PC stolen" $C >/dev/null || fail "REQ-ABU-067 revoke"
st=$(curlw "$W/rev.cbor" GET /v1/revoked)
[ "$st" = 200 ] && od -An -tx1 "$W/rev.cbor" | tr -d ' \n' | grep -q "$cti" ||
    fail "REQ-ABU-067 revoked list on the API: $st"
curl -s "http://127.0.0.1:$ADMIN/v1/revoked?after=0" | od -An -tx1 | tr -d ' \n' | grep -q "$cti" ||
    fail "REQ-ABU-067 revoked list on the admin listener"
st=$(curlw "$W/rev2.cbor" GET "/v1/revoked?after=1")
[ "$st" = 200 ] && ! od -An -tx1 "$W/rev2.cbor" | tr -d ' \n' | grep -q "$cti" ||
    fail "REQ-ABU-067 after=1 must leave serial 1 out"
st=$(curlw "$W/x" GET "/v1/revoked?after=x")
[ "$st" = 400 ] || fail "REQ-ABU-067 bad after=: $st"
pass "REQ-ABU-067 revoked token id published (API, admin, paging)"

# REQ-ABU-068: ECU receipts are audited; a burst of failures is an alert.
# CBOR by hand (octal escapes: POSIX printf): {"vin": VIN, "op": "door.unlock", "result": "failure"}
printf '\243\143vin\161%s\142op\153door.unlock\146result\147failure' "$VIN" >"$W/fail.cbor"
for i in 1 2 3; do
	st=$(curlw "$W/x" POST /v1/receipts -H 'Content-Type: application/cbor' \
	    --data-binary "@$W/fail.cbor")
	[ "$st" = 204 ] || fail "REQ-ABU-068 receipt $i: $st"
done
printf '\241\143vin\143bad' >"$W/bad.cbor"
st=$(curlw "$W/x" POST /v1/receipts --data-binary "@$W/bad.cbor")
[ "$st" = 400 ] || fail "REQ-ABU-068 malformed receipt: $st"
[ "$(audit_rows decision receipt)" = 3 ] || fail "REQ-ABU-068 receipts audited"
$CTL alerts list $C | grep -q 'rule=anomalies.ecu-failures' || fail "REQ-ABU-068 failure alert"
sleep 0.5
[ "$(metric 'pitlane_abuse_alerts_total{detector="ecu_failures"}')" = 1 ] ||
    fail "REQ-ABU-068 metric"
pass "REQ-ABU-068 receipts audited, failure burst alerted and counted"

# REQ-ABU-071: pitlanectl's officer commands say what is wrong and exit 1 (refused) or 2 (usage).
code() { set +e; "$@" >/dev/null 2>"$W/err"; echo $?; set -e; }
[ "$(code $CTL revoke token 1234 --reason x $C)" = 2 ] || fail "REQ-ABU-071 short CTI"
grep -q "must be 32 hex digits" "$W/err" || fail "REQ-ABU-071 CTI message"
[ "$(code $CTL revoke token "$cti" --reason again $C)" = 1 ] || fail "REQ-ABU-071 revoked twice"
[ "$(code $CTL suspend garage x --reason y $C)" = 2 ] || fail "REQ-ABU-071 unknown kind"
[ "$(code $CTL suspend workshop ws-ber-02 $C)" = 2 ] || fail "REQ-ABU-071 no reason"
[ "$(code $CTL resume workshop ws-ber-02 --reason y $C)" = 1 ] || fail "REQ-ABU-071 not suspended"
[ "$(code $CTL approvals show 00000000000000000000000000000000 $C)" = 1 ] ||
    fail "REQ-ABU-071 unknown approval"
[ "$(code $CTL breaker reset nope --reason y $C)" = 1 ] || fail "REQ-ABU-071 closed breaker"
[ "$(code $CTL alerts list)" = 2 ] || fail "REQ-ABU-071 without -f"
pass "REQ-ABU-071 officer command errors: exit 1 refused, 2 usage, with a sentence"

"$CTL" audit verify "$W/audit.db" >/dev/null || fail "audit chain broken"
pass "REQ-ABU-069 the audit chain with all abuse rows verifies"
