#!/bin/sh
# Refusals tell a suspect nothing (issue 12 item 6; docs/protocol.md "Refusals without a
# reason", docs/abuse.md REQ-ABU-120..125): a decoy VIN, a detector's deny, a detector's or
# an officer's suspension are answered with one generic 403 -- code "refused", the request
# id and whom to call (broker.conf refusal_contact) -- while the audit log and pitlanectl keep
# what decided. An identity the policy does not know (a technician certificate no policy
# lists) gets its device and workshop suspended, not a phantom technician.
# Real pitlaned processes, TLS, SoftHSM2 and SQLite (../broker/lib.sh).
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"

rm -f "$W/policy/"*.yaml
cat >"$W/policy/00-test.yaml" <<'YAML'
# Policy of hardening_refusal_silent: a decoy that suspends, a sweep detector that denies.
version: 1
settings:
  hours_min_risk: critical
operations:
  door.unlock: { routine: 0xF001, risk: medium, max_ttl: 300, default_ttl: 120, exi: 60 }
  dtc.clear:   { routine: 0xF005, risk: low,    max_ttl: 600, default_ttl: 300, exi: 120 }
  key.learn:   { routine: 0xF004, risk: high,   max_ttl: 600, default_ttl: 300, exi: 120 }
roles:
  technician: { operations: [door.unlock, dtc.clear, key.learn] }
  approver: { operations: [] }
workshops:
  ws-muc-01: { roles: [technician, approver], vin_prefixes: [WVW] }
  ws-ber-02: { roles: [technician], vin_prefixes: [WVW] }
technicians:
  tech-anna: { workshop: ws-muc-01, roles: [technician] }
  tech-ben: { workshop: ws-muc-01, roles: [technician, approver] }
  tech-carl: { workshop: ws-ber-02, roles: [technician] }
approvals:
  - { name: learn, operations: [key.learn], approver_roles: [approver], expires: 900,
      technician_approval: true }
anomalies:
  - { name: decoy-trap, detector: decoy_vin, action: suspend }
  - { name: sweep-guard, detector: vin_sweep, action: deny, params: { distinct_vins: 2, window: 600 } }
decoy_vins: [WVWZZZ1JZ3W386752]
YAML
CONTACT="OEM security desk +49 89 1234-567"
DECOY=WVWZZZ1JZ3W386752
write_config "$W/broker.conf" "refusal_contact $CONTACT"
start_broker "$W/broker.conf"
API=https://127.0.0.1:$PORT
CTL="$PITLANECTL"
C="-f $W/broker.conf"

# send DEVICE [tokreq signing options...]: a signed request (tokreq) POSTed by curl as DEVICE;
# the body lands in $W/body (printable bytes in $W/text), headers in $W/hdr; prints the status.
send() {
	dev=$1
	shift
	ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body \
	    "$W/req.cose" "$@" >/dev/null || fail "tokreq --dump-body $*"
	st=$(curl -s -o "$W/body" -D "$W/hdr" -w '%{http_code}' --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/$dev.crt" --key "$P/devices/$dev.key" \
	    -H 'Content-Type: application/cose; cose-type="cose-sign1"' \
	    --data-binary "@$W/req.cose" "$API/v1/token")
	tr -c '[:print:]' ' ' <"$W/body" >"$W/text"
	echo "$st"
}
as() { echo "--tech-cert $P/technicians/$1.crt --p11-token pitlane-technicians --p11-object $1 --pin-file $P/hsm-agent/pin"; }
rid() { tr -d '\r' <"$W/hdr" | sed -n 's/^X-Request-Id: //Ip'; }
# decide TECH DEVICE: TECH's signed "approve" of approval $ID POSTed from DEVICE (decreq,
# curl), naming the parked request $W/apr.cose (key 21); the body lands in $W/body and
# $W/text as for send; prints the status.
decide() {
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --tech-cert "$P/technicians/$1.crt" \
	    --p11-token pitlane-technicians --p11-object "$1" --pin-file "$P/hsm-agent/pin" \
	    --id "$ID" --request "$W/apr.cose" --out "$W/dec.cose" || fail "decreq $1"
	st=$(curl -s -o "$W/body" -D "$W/hdr" -w '%{http_code}' --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/$2.crt" --key "$P/devices/$2.key" \
	    -H 'Content-Type: application/cose; cose-type="cose-sign1"' \
	    --data-binary "@$W/dec.cose" "$API/v1/approvals/$ID")
	tr -c '[:print:]' ' ' <"$W/body" >"$W/text"
	echo "$st"
}

# generic WHAT FORBIDDEN...: the last answer is the generic refusal and names none of FORBIDDEN.
generic() {
	what=$1
	shift
	id=$(rid)
	[ ${#id} = 32 ] || fail "$what: no request id header"
	grep -q "refused" "$W/text" || fail "$what: code refused missing: $(cat "$W/text")"
	grep -q "$id" "$W/text" || fail "$what: request id $id not in the body: $(cat "$W/text")"
	grep -qF "$CONTACT" "$W/text" || fail "$what: contact not in the body: $(cat "$W/text")"
	for word in decoy suspen anomal sweep distinct evidence "$@"; do
		grep -qiF -- "$word" "$W/text" && fail "$what: the body tells '$word': $(cat "$W/text")"
	done
	pass "$what: 403 refused, request id and '$CONTACT', nothing else"
}
# audited REQUEST-ID PATTERN WHAT: the audit row of that request says what decided.
audited() {
	row=$("$CTL" audit export "$W/audit.db" | grep "\"request_id\":\"$1\"" || true)
	echo "$row" | grep -q -- "$2" || fail "$3: the audit row of $1 lacks '$2': $row"
}

# REQ-ABU-120: a decoy VIN.
[ "$(send ws-ber-02-pc1 $(as tech-carl) --vin $DECOY)" = 403 ] || fail "REQ-ABU-120 decoy status"
generic "REQ-ABU-120 decoy VIN" "$DECOY" decoy_vins
audited "$id" '"rule":"decoy_vins"' "REQ-ABU-120"
audited "$id" 'is a decoy' "REQ-ABU-120"
"$CTL" alerts list $C | grep 'rule=anomalies.decoy-trap' | grep -q "decoy VIN $DECOY" ||
    fail "REQ-ABU-120 alert with evidence in pitlanectl alerts list"
pass "REQ-ABU-120 the audit row and pitlanectl alerts list keep rule, reason and evidence"

# REQ-ABU-121: the suspension the detector wrote (its reason is the decoy evidence).
[ "$(send ws-ber-02-pc1 $(as tech-carl) --op dtc.clear)" = 403 ] ||
    fail "REQ-ABU-121 suspended status"
generic "REQ-ABU-121 detector suspension" "$DECOY" tech-carl
audited "$id" '"rule":"suspensions.technician.tech-carl"' "REQ-ABU-121"
audited "$id" "decoy VIN $DECOY" "REQ-ABU-121"
pass "REQ-ABU-121 the audit row names the suspension and its reason"

# REQ-ABU-122: an officer's suspension with a reason.
REASON="investigation 4711: badge cloned at Garage Huber"
"$CTL" suspend technician tech-anna --reason "$REASON" --by olga $C >/dev/null ||
    fail "REQ-ABU-122 suspend"
[ "$(send ws-muc-01-pc1 $(as tech-anna))" = 403 ] || fail "REQ-ABU-122 status"
generic "REQ-ABU-122 officer suspension" 4711 "badge cloned" Huber olga tech-anna
audited "$id" '"rule":"suspensions.technician.tech-anna"' "REQ-ABU-122"
audited "$id" "$REASON" "REQ-ABU-122"
sleep 2   # the decider writes officer actions into the chain within about a second
"$CTL" audit export "$W/audit.db" | grep '"decision":"admin"' | grep -q "$REASON" ||
    fail "REQ-ABU-122 the officer action with its reason is not audited"
pass "REQ-ABU-122 the officer's reason stays in the audit log"
"$CTL" resume technician tech-anna --reason "cleared" $C >/dev/null || fail "resume tech-anna"

# REQ-ABU-122: the same for an approver: tech-ben, suspended, decides tech-anna's key.learn.
[ "$(send ws-muc-01-pc1 $(as tech-anna) --op key.learn)" = 202 ] || fail "key.learn: no 202"
ID=$(tr -d '\r' <"$W/hdr" | sed -n 's|^Location: /v1/approvals/||Ip')
[ ${#ID} = 32 ] || fail "no approval id"
cp "$W/req.cose" "$W/apr.cose"   # the request a decision on it names (key 21)
BREASON="approver under internal review 0815"
"$CTL" suspend technician tech-ben --reason "$BREASON" --by olga $C >/dev/null ||
    fail "REQ-ABU-122 suspend tech-ben"
[ "$(decide tech-ben ws-muc-01-pc1)" = 403 ] || fail "REQ-ABU-122 suspended approver: not 403"
generic "REQ-ABU-122 suspended approver's decision" 0815 "internal review" tech-ben
audited "$id" "tech-ben is suspended: approver under internal" "REQ-ABU-122 approver"
"$CTL" resume technician tech-ben --reason "cleared" $C >/dev/null || fail "resume tech-ben"

# REQ-ABU-123: a detector's deny (VIN sweep, 2 distinct VINs).
[ "$(send ws-muc-01-pc1 $(as tech-ben) --vin WVWZZZ1JZXW000001)" = 201 ] ||
    fail "REQ-ABU-123 first VIN"
[ "$(send ws-muc-01-pc1 $(as tech-ben) --vin WVWZZZ1JZXW000002)" = 403 ] ||
    fail "REQ-ABU-123 second VIN: the sweep detector did not deny"
generic "REQ-ABU-123 detector deny" sweep-guard vin_sweep "2 distinct"
audited "$id" '"rule":"anomalies.sweep-guard"' "REQ-ABU-123"
"$CTL" alerts list $C | grep 'rule=anomalies.sweep-guard' | grep -q 'distinct VINs' ||
    fail "REQ-ABU-123 alert evidence in pitlanectl alerts list"
pass "REQ-ABU-123 detector name and evidence stay in the audit log and alerts list"

# REQ-ABU-124: an identity the policy does not know -- a valid technician certificate
# (it carries the marker; the PC's own certificate is refused before the policy,
# REQ-BRK-202) whose CN no policy lists -- on a decoy: its device and workshop are suspended.
[ "$(send ws-muc-01-pc1 --tech-cert "$P/technicians/tech-unlisted.crt" \
    --sign-key "$P/technicians/tech-unlisted.key" --vin $DECOY)" = 403 ] ||
    fail "REQ-ABU-124 unknown identity on a decoy"
generic "REQ-ABU-124 unknown identity" "$DECOY"
sleep 2
"$CTL" audit export "$W/audit.db" | grep '"decision":"admin"' >"$W/admin"
grep -q 'suspend device ws-muc-01-pc1 by anomalies.decoy-trap' "$W/admin" ||
    fail "REQ-ABU-124 device not suspended: $(cat "$W/admin")"
grep -q 'suspend workshop ws-muc-01 by anomalies.decoy-trap' "$W/admin" ||
    fail "REQ-ABU-124 workshop not suspended"
grep -q 'suspend technician tech-unlisted' "$W/admin" && fail "REQ-ABU-124 phantom technician"
"$CTL" resume technician tech-unlisted --reason "check" $C >/dev/null 2>&1 &&
    fail "REQ-ABU-124 a phantom technician tech-unlisted was suspended"
pass "REQ-ABU-124 device ws-muc-01-pc1 and workshop ws-muc-01 suspended, no phantom technician"
[ "$(send ws-muc-01-pc1 $(as tech-anna) --op dtc.clear)" = 403 ] ||
    fail "REQ-ABU-124 the workshop's technicians must be refused"
generic "REQ-ABU-124 the suspended workshop's technician"
"$CTL" resume workshop ws-muc-01 --reason "cleared" $C >/dev/null || fail "resume workshop"
[ "$(send ws-muc-01-pc1 $(as tech-anna) --op dtc.clear)" = 403 ] ||
    fail "REQ-ABU-124 the device stays suspended after the workshop's resume"
audited "$(rid)" '"rule":"suspensions.device.ws-muc-01-pc1"' "REQ-ABU-124"
[ "$(decide tech-ben ws-muc-01-pc1)" = 403 ] ||
    fail "REQ-ABU-124 a decision from the suspended PC was not refused"
generic "REQ-ABU-124 a decision from the suspended device"
audited "$id" '"rule":"suspended"' "REQ-ABU-124 decision"
audited "$id" 'suspensions.device.ws-muc-01-pc1\|device ws-muc-01-pc1 is suspended' \
    "REQ-ABU-124 decision"
"$CTL" resume device ws-muc-01-pc1 --reason "reimaged" $C >/dev/null || fail "resume device"
[ "$(send ws-muc-01-pc1 $(as tech-anna) --op dtc.clear)" = 201 ] ||
    fail "REQ-ABU-124 resumed device refused"
[ "$(decide tech-ben ws-muc-01-pc1)" = 200 ] || fail "REQ-ABU-124 decision after the resume"
pass "REQ-ABU-124 pitlanectl resume workshop, then device: the PC works again"

# REQ-ABU-125: the agent shows the generic refusal usefully (whom to call, request id).
if [ -n "${PITLANE:-}" ] && [ -x "$PITLANE" ]; then
	cat >"$W/agent.conf" <<CONF
broker_url https://127.0.0.1:$PORT
broker_ca $P/ca/ca.crt
broker_pin sha256//$(cat "$P/broker/broker.spki-pin")
device_cert $P/devices/ws-ber-02-pc1.crt
device_key $P/devices/ws-ber-02-pc1.key
technician_cert $P/technicians/tech-carl.crt
technician_key pkcs11:token=pitlane-technicians;object=tech-carl;type=private
pin_file $P/hsm-agent/pin
can loop:none
retries 1
CONF
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$PITLANE" -c "$W/agent.conf" request dtc.clear \
	    --vin WVWZZZ1JZXW000001 --cnonce "$(openssl rand -hex 16)" >"$W/out" 2>&1 &&
	    fail "REQ-ABU-125 pitlane request succeeded for a suspended technician"
	grep -qF "$CONTACT" "$W/out" || fail "REQ-ABU-125 agent output lacks the contact: $(cat "$W/out")"
	grep -Eq 'request( id)? [0-9a-f]{32}' "$W/out" ||
	    fail "REQ-ABU-125 agent output lacks the request id: $(cat "$W/out")"
	grep -qi 'decoy\|suspen' "$W/out" && fail "REQ-ABU-125 agent output tells: $(cat "$W/out")"
	pass "REQ-ABU-125 pitlane prints whom to call and the request id: $(grep -i refused "$W/out" | head -n 1)"
fi

"$CTL" audit verify "$W/audit.db" >/dev/null || fail "audit chain broken"
pass "the audit chain verifies"
