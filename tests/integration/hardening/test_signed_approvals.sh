#!/bin/sh
# Signed approval decisions (issue 14, REQ-APR-020..039, docs/abuse.md "Every decision is
# signed"): an officer decides with pitlanectl and their own key in the officers' token;
# pitlanectl verifies the decision as the broker will before it writes it; the decider
# verifies the stored decision again before an approved token leaves. A real pitlaned
# (privilege separated), real TLS, SoftHSM2 tokens and the broker's SQLite file, into which
# the test writes rows with sqlite3 as someone with write access to the database but
# without an approver's key would: none of them delivers a token.
BRK_TESTDIR=$HARD_TESTDIR/signed   # lib.sh copies its policy/
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"
[ -n "${DECREQ:-}" ] || { echo "DECREQ is not set" >&2; exit 2; }
# REQ-APR-026: officer_ca must be a CA of its own: the dealer CA as officer CA (every
# workshop certificate an officer) is refused at start, and so is a file that is no CA
# bundle; the configuration check (-n) says which file and why.
write_config "$W/shared.conf"
sed "s|^officer_ca .*|officer_ca $P/ca/ca.crt|" "$W/shared.conf" >"$W/shared2.conf"
rc=0
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/shared2.conf" -n >"$W/n.out" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "officer_ca $P/ca/ca.crt holds a certificate of client_ca" "$W/n.out" ||
    fail "REQ-APR-026 the dealer CA as officer_ca (exit $rc): $(cat "$W/n.out")"
: >"$W/empty.pem"
sed "s|^officer_ca .*|officer_ca $W/empty.pem|" "$W/shared.conf" >"$W/shared3.conf"
rc=0
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/shared3.conf" -n >"$W/n.out" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "cannot load officer_ca $W/empty.pem" "$W/n.out" ||
    fail "REQ-APR-026 an empty officer_ca (exit $rc): $(cat "$W/n.out")"
pass "REQ-APR-026 officer_ca sharing a certificate with client_ca, or empty, is refused at start"

write_config "$W/broker.conf"
start_broker "$W/broker.conf"
API=https://127.0.0.1:$PORT
C="-f $W/broker.conf"
DB=$W/audit.db
COSE='Content-Type: application/cose; cose-type="cose-sign1"'

header() { tr -d '\r' <"$W/hdr" | sed -n "s/^$1: //Ip"; }
post() { # post OUT PATH BODYFILE: POST from ws-muc-01-pc1; prints the status
	curl -s -o "$1" -D "$W/hdr" -w '%{http_code}' -X POST --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key" \
	    -H "$COSE" --data-binary "@$3" "$API$2"
}
# park CNONCE: tech-anna's key.learn goes to approval; its request body stays in
# $W/req-CNONCE.cose; prints the approval id
park() {
	ASAN_OPTIONS=detect_leaks=0 SOFTHSM2_CONF=$AGENT_HSM_CONF "$TOKREQ" --dump-body \
	    "$W/req-$1.cose" --tech-cert "$P/technicians/tech-anna.crt" \
	    --p11-token pitlane-technicians --p11-object tech-anna --pin-file "$P/hsm-agent/pin" \
	    --vin "$VIN" --op key.learn --cnonce "$1" >/dev/null || fail "tokreq --dump-body $1"
	st=$(post "$W/park.out" /v1/token "$W/req-$1.cose")
	loc=$(header Location)
	[ "$st" = 202 ] && [ ${#loc} = 46 ] || fail "park $1: expected 202, got $st '$loc'"
	echo "${loc#/v1/approvals/}"
}
# poll ID OUT: tech-anna's signed poll; prints the status
poll() {
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$DECREQ" --poll --tech-cert "$P/technicians/tech-anna.crt" \
	    --p11-token pitlane-technicians --p11-object tech-anna --pin-file "$P/hsm-agent/pin" \
	    --id "$1" --out "$W/poll.cose" || fail "decreq --poll $1"
	post "$2" "/v1/approvals/$1/poll" "$W/poll.cose"
}
# signed CERT TOKEN OBJECT PIN CONF ID OUT [decreq args]: a decision signed with any key
signed() {
	SOFTHSM2_CONF=$5 "$DECREQ" --tech-cert "$1" --p11-token "$2" --p11-object "$3" \
	    --pin-file "$4" --id "$6" --out "$7" "$8" "$9" || fail "decreq $3 $6"
}
OFF_HSM=$P/hsm-officers/softhsm2.conf
officer_signed() { # officer_signed NAME ID OUT --request FILE
	signed "$P/officers/$1.crt" pitlane-officers "$1" "$P/hsm-officers/pin" "$OFF_HSM" "$2" \
	    "$3" "$4" "$5"
}
sql() { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
# inject ID DECISION-FILE: marks approval ID approved with the bytes of DECISION-FILE as
# its decision, as a database writer could; "-" writes no decision at all
inject() {
	if [ "$2" = - ]; then
		sql "UPDATE approvals SET state = 'approved', approver = 'officer:officer-anna',
		    decided_ms = 1 WHERE id = '$1'"
	else
		sql "UPDATE approvals SET state = 'approved', approver = 'officer:officer-anna',
		    decided_ms = 1, decision = readfile('$2') WHERE id = '$1'"
	fi
	[ "$(sql "SELECT state FROM approvals WHERE id = '$1'")" = approved ] ||
	    fail "inject $1: the row was not written"
}
has_code() { grep -a -q -F "code$(printf "\\$(printf %03o $((96 + ${#2})))")$2" "$1"; }
sign_calls() { sleep 0.3; metric pitlane_hsm_sign_calls_total; }
# withheld WHAT ID DETAIL: the poll of ID gets 403 approval_invalid naming DETAIL, no HSM
# call, an audit row "deny" with rule approval_invalid; the approval stays approved
invalid_rows() {
	"$PITLANECTL" audit export "$DB" | grep '"decision":"deny"' |
	    grep '"rule":"approval_invalid"' | grep -c "approval $1 not delivered" || true
}
withheld() {
	c0=$(sign_calls)
	n0=$(invalid_rows "$2")
	st=$(poll "$2" "$W/p.out")
	[ "$st" = 403 ] && has_code "$W/p.out" approval_invalid ||
	    fail "$1: HTTP $st ($(grep -a -o 'code.[a-z_0-9]*' "$W/p.out" | head -n 1)), want 403 approval_invalid"
	grep -a -q -- "$3" "$W/p.out" || fail "$1: the detail lacks '$3': $(tr -c '[:print:]' ' ' <"$W/p.out")"
	[ "$(sign_calls)" = "$c0" ] || fail "$1: the HSM signed"
	[ "$(invalid_rows "$2")" = $((n0 + 1)) ] || fail "$1: no audit row"
	[ "$(sql "SELECT state FROM approvals WHERE id = '$2'")" = approved ] ||
	    fail "$1: the state changed"
	pass "$1: 403 approval_invalid ($3), no HSM call, an audit row"
}

officer_conf "$W/anna.officer" officer-anna

# REQ-APR-021: an officer's decision, signed with her key, lets the token leave; the audit
# names her by certificate ("officer:officer-anna"); the decision's exact bytes are kept.
N1=a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1
ID1=$(park $N1)
officer_ctl "$W/anna.officer" approvals show "$ID1" $C >"$W/show.out" ||
    fail "REQ-APR-021 approvals show"
grep -q "request_sha256=$(sha256sum "$W/req-$N1.cose" | cut -d' ' -f1)" "$W/show.out" ||
    fail "REQ-APR-021 show lacks the request's SHA-256: $(cat "$W/show.out")"
officer_ctl "$W/anna.officer" approvals approve "$ID1" --by anna $C >"$W/ctl.out" 2>&1 ||
    fail "REQ-APR-021 approve: $(cat "$W/ctl.out")"
grep -q "^approved $ID1 (key.learn $VIN for tech-anna by officer:officer-anna)" "$W/ctl.out" ||
    fail "REQ-APR-021 output: $(cat "$W/ctl.out")"
sql "SELECT writefile('$W/dec1.cose', decision) FROM approvals WHERE id = '$ID1'" >/dev/null
[ "$(od -An -tx1 -N1 "$W/dec1.cose" | tr -d ' ')" = d2 ] ||
    fail "REQ-APR-021 the kept decision is no tagged COSE_Sign1"
st=$(poll "$ID1" "$W/tok1.cwt")
[ "$st" = 201 ] || fail "REQ-APR-021 poll after the officer's approval: $st"
"$PITLANECTL" token inspect "$W/tok1.cwt" | grep -q "\"cnonce\": \"$N1\"" ||
    fail "REQ-APR-021 the token is not bound to the challenge"
sleep 1.2   # officer actions reach the chain within about a second
"$PITLANECTL" audit export "$DB" | grep '"decision":"admin"' |
    grep -q "approve approval $ID1 by officer:officer-anna: login anna" ||
    fail "REQ-APR-021 the admin row does not name the officer"
"$PITLANECTL" audit export "$DB" | grep '"decision":"issued"' |
    grep -q "approval $ID1 by officer:officer-anna delivered" || fail "REQ-APR-021 issued row"
pass "REQ-APR-021 an officer's signed approval delivers the token; audit names officer:officer-anna"

# REQ-APR-022..025: pitlanectl signs and verifies before it writes: a technician's key, an
# officer certificate of another CA, an expired one, a certificate with someone else's key,
# and an officer who is the requester are refused; the approval stays pending.
N2=a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2
ID2=$(park $N2)
refused_ctl() { # refused_ctl REQ WHAT PATTERN CONF [HSM-CONF]
	rc=0
	OFFICER_HSM_CONF=${5:-$OFF_HSM} officer_ctl "$4" approvals approve "$ID2" $C \
	    >"$W/ctl.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "$1 $2: exit $rc, want 1: $(cat "$W/ctl.out")"
	grep -q -- "$3" "$W/ctl.out" || fail "$1 $2: message: $(cat "$W/ctl.out")"
	[ "$(sql "SELECT state || length(coalesce(decision, '')) FROM approvals WHERE id = '$ID2'")" = pending0 ] ||
	    fail "$1 $2: the approval changed"
	pass "$1 $2: refused ($3), nothing written"
}
officer_conf "$W/tech.officer" tech-ben "$P/technicians/tech-ben.crt" pitlane-technicians \
    "$P/hsm-agent/pin"
refused_ctl REQ-APR-022 "a technician's key" "not an officer certificate valid under officer_ca" \
    "$W/tech.officer" "$AGENT_HSM_CONF"
officer_conf "$W/other.officer" officer-other-ca
refused_ctl REQ-APR-022 "an officer certificate of another CA" \
    "CN=officer-other-ca is not an officer certificate valid under officer_ca" "$W/other.officer"
officer_conf "$W/expired.officer" officer-expired
refused_ctl REQ-APR-023 "an expired officer certificate" "certificate has expired" \
    "$W/expired.officer"
officer_conf "$W/mixed.officer" officer-ben "$P/officers/officer-anna.crt"
refused_ctl REQ-APR-024 "officer-anna's certificate with officer-ben's key" \
    "is not the key of officer_cert" "$W/mixed.officer"
# an officer whose certificate names the requester (CN=tech-anna, officer CA, officer-ben's key)
(cd "$P" && openssl x509 -new -subj "/O=Pitlane Demo/OU=oem-security/CN=tech-anna" \
    -force_pubkey officers/officer-ben.pub.pem -CA officer-ca/ca.crt -CAkey officer-ca/ca.key \
    -set_serial 0x3999 -days 30 -sha256 -extfile openssl.cnf -extensions officer \
    -out "$W/self.crt") >/dev/null 2>&1 || fail "issuing the requester's officer certificate"
officer_conf "$W/self.officer" officer-ben "$W/self.crt"
refused_ctl REQ-APR-025 "the requester as officer" "tech-anna made this request" "$W/self.officer"

# REQ-APR-028: without an officer configuration, or with a broker.conf that names no
# officer_ca, pitlanectl says what to set (exit 2) and writes nothing.
rc=0
officer_ctl "$W/none.officer" approvals approve "$ID2" $C >"$W/ctl.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "officer configuration $W/none.officer: .*give it with --officer FILE" \
    "$W/ctl.out" || fail "REQ-APR-028 no officer.conf (exit $rc): $(cat "$W/ctl.out")"
grep -v '^officer_ca ' "$W/broker.conf" >"$W/noofficer.conf"
rc=0
officer_ctl "$W/anna.officer" approvals approve "$ID2" -f "$W/noofficer.conf" >"$W/ctl.out" 2>&1 ||
    rc=$?
[ "$rc" = 2 ] && grep -q "has no officer_ca" "$W/ctl.out" ||
    fail "REQ-APR-028 no officer_ca (exit $rc): $(cat "$W/ctl.out")"
[ "$(sql "SELECT state FROM approvals WHERE id = '$ID2'")" = pending ] ||
    fail "REQ-APR-028 the approval changed"
pass "REQ-APR-028 no officer configuration or no officer_ca: exit 2, said what to set"

# REQ-APR-030..036: rows written into the database with sqlite3 deliver nothing.
# no decision at all (the forgeable free-text approver of before)
inject "$ID2" -
withheld "REQ-APR-030 an approved row without a signed decision" "$ID2" "holds no signed decision"
# officer-anna's real decision on approval 1, copied onto approval 2
inject "$ID2" "$W/dec1.cose"
withheld "REQ-APR-031 another approval's signed decision" "$ID2" "is on approval $ID1"
# officer-anna's decision on approval 2, but naming the request of approval 1 (key 21)
officer_signed officer-anna "$ID2" "$W/dec2-wrong.cose" --request "$W/req-$N1.cose"
inject "$ID2" "$W/dec2-wrong.cose"
withheld "REQ-APR-032 a decision naming another request" "$ID2" "request_hash_mismatch"
# officer-anna's real decision on approval 2 with one byte of its signature changed
officer_signed officer-anna "$ID2" "$W/dec2.cose" --request "$W/req-$N2.cose"
cp "$W/dec2.cose" "$W/dec2-edit.cose"
len=$(wc -c <"$W/dec2-edit.cose")
printf '\001' | dd of="$W/dec2-edit.cose" bs=1 seek=$((len - 1)) conv=notrunc 2>/dev/null
inject "$ID2" "$W/dec2-edit.cose"
withheld "REQ-APR-033 an edited signature" "$ID2" "bad_decision_signature"
# signed with the expired officer certificate's key, with another CA's, with a technician's
# card whom the policy does not let decide key.learn (officers only)
officer_signed officer-expired "$ID2" "$W/dec2-exp.cose" --request "$W/req-$N2.cose"
inject "$ID2" "$W/dec2-exp.cose"
withheld "REQ-APR-034 an expired officer certificate" "$ID2" "certificate has expired"
officer_signed officer-other-ca "$ID2" "$W/dec2-oca.cose" --request "$W/req-$N2.cose"
inject "$ID2" "$W/dec2-oca.cose"
withheld "REQ-APR-034 an officer certificate of another CA" "$ID2" "unable to get local issuer"
signed "$P/technicians/tech-ben.crt" pitlane-technicians tech-ben "$P/hsm-agent/pin" \
    "$AGENT_HSM_CONF" "$ID2" "$W/dec2-tech.cose" --request "$W/req-$N2.cose"
inject "$ID2" "$W/dec2-tech.cose"
withheld "REQ-APR-035 a technician's signed decision on an officers-only operation" "$ID2" \
    "may no longer decide it: the policy no longer lets technicians decide it"
# a signed deny turned into an approval
officer_signed officer-anna "$ID2" "$W/dec2-deny.cose" --request "$W/req-$N2.cose"
SOFTHSM2_CONF=$OFF_HSM "$DECREQ" --tech-cert "$P/officers/officer-anna.crt" \
    --p11-token pitlane-officers --p11-object officer-anna --pin-file "$P/hsm-officers/pin" \
    --id "$ID2" --deny --reason "no" --request "$W/req-$N2.cose" --out "$W/dec2-deny.cose" ||
    fail "decreq deny"
inject "$ID2" "$W/dec2-deny.cose"
withheld "REQ-APR-036 a signed deny in an approved row" "$ID2" "is a deny, not an approval"
# and the genuine decision written the same way does deliver: the signature is what counts
inject "$ID2" "$W/dec2.cose"
st=$(poll "$ID2" "$W/tok2.cwt")
[ "$st" = 201 ] || fail "REQ-APR-036 the genuine signed decision: $st"
pass "REQ-APR-036 only the genuine signed decision delivers"

# REQ-APR-027: after an officer's genuine approval, the row's VIN, challenge or kept request
# changed with sqlite3 (the token is built from the row): withheld; restored, it delivers.
N3=a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3
ID3=$(park $N3)
officer_ctl "$W/anna.officer" approvals approve "$ID3" $C >/dev/null 2>"$W/err" ||
    fail "REQ-APR-027 approve: $(cat "$W/err")"
sql "UPDATE approvals SET vin = 'WVWZZZ1JZXW999999' WHERE id = '$ID3'"
withheld "REQ-APR-027 another VIN in the approved row" "$ID3" "the vin in the approval is not the signed request's"
sql "UPDATE approvals SET vin = '$VIN', cnonce = x'0102030405060708090a0b0c0d0e0f10' WHERE id = '$ID3'"
withheld "REQ-APR-027 another challenge in the approved row" "$ID3" "challenge (cnonce)"
sql "UPDATE approvals SET cnonce = x'$N3', request = readfile('$W/req-$N2.cose') WHERE id = '$ID3'"
withheld "REQ-APR-027 another request kept in the row" "$ID3" "holds no signed request whose SHA-256"
sql "UPDATE approvals SET request = readfile('$W/req-$N3.cose') WHERE id = '$ID3'"
st=$(poll "$ID3" "$W/tok3.cwt")
[ "$st" = 201 ] || fail "REQ-APR-027 the restored row: $st"
"$PITLANECTL" token inspect "$W/tok3.cwt" | grep -q "\"cnonce\": \"$N3\"" ||
    fail "REQ-APR-027 the token is not bound to the signed request's challenge"
pass "REQ-APR-027 the token is built only from what the signed request says"

grep -q 'event=approval_delivery_refused .*code=approval_invalid' "$W/broker.log" ||
    fail "REQ-APR-030 no log line"

stop_broker
"$PITLANECTL" audit verify "$DB" --pubkey "$P/hsm-broker/broker-signing.pub.pem" >/dev/null ||
    fail "REQ-APR-037 audit verify"
pass "REQ-APR-037 every refusal is in the audit chain, which verifies"
