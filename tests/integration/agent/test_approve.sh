#!/bin/sh
# Technician approval (REQ-ABU-084..090, 092, docs/abuse.md): `pitlane approve ID` by a second
# technician with the approver role (tech-ben, on his own PC ws-muc-01-pc2) lets the
# waiting requester's `pitlane run` (tech-anna, ws-muc-01-pc1) get its token; the
# requester herself (on either PC), a technician without the role (tech-carl), an
# officer-only operation, an expired, a decided and an unknown approval are refused with
# their codes; a denial reaches the requester; every step is an audit row.
. "$(dirname "$0")/lib.sh"

# ws-muc-01-pc2: a second PC of ws-muc-01 from the demo CA (the demo PKI has one per workshop)
(
	cd "$P" &&
	    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	        -out devices/ws-muc-01-pc2.key &&
	    openssl req -config openssl.cnf -new -key devices/ws-muc-01-pc2.key \
	        -subj "/O=Pitlane Demo/OU=ws-muc-01/CN=ws-muc-01-pc2" -out "$W/pc2.csr" &&
	    openssl ca -config openssl.cnf -name CA_dealer -batch -notext -extensions client \
	        -in "$W/pc2.csr" -out devices/ws-muc-01-pc2.crt
) >"$W/pc2.log" 2>&1 || fail "issuing ws-muc-01-pc2: $(tail -n 5 "$W/pc2.log")"

AGT_DIR=$AGT_DIR/approve   # start_broker copies $AGT_DIR/policy: technician approval on
start_broker
start_ecu
C="-f $W/broker.conf"

card() { # card CONF TECH DEVICE [overrides...]
	f=$1 t=$2 d=$3
	shift 3
	agent_conf "$f" "technician_cert $P/technicians/$t.crt" \
	    "technician_key pkcs11:token=pitlane-technicians;object=$t;type=private" \
	    "device_cert $P/devices/$d.crt" "device_key $P/devices/$d.key" "$@"
}
card "$W/anna.conf" tech-anna ws-muc-01-pc1 "approval_wait_s 0"
card "$W/anna-wait.conf" tech-anna ws-muc-01-pc1 "approval_wait_s 30"
card "$W/anna-pc2.conf" tech-anna ws-muc-01-pc2
card "$W/ben.conf" tech-ben ws-muc-01-pc2
card "$W/carl.conf" tech-carl ws-ber-02-pc1

# pending OP: a pending approval of tech-anna's for OP (pitlane request, no wait); prints its id
pending() {
	"$PITLANE" -c "$W/anna.conf" request "$1" --vin "$VIN" \
	    --cnonce 00112233445566778899aabbccddeeff --work-order WO-APR >"$W/req.out" 2>&1
	[ $? -eq 1 ] || fail "pending $1: pitlane request did not end in exit 1: $(cat "$W/req.out")"
	grep -o 'approval id [0-9a-f]\{32\}' "$W/req.out" | grep -o '[0-9a-f]\{32\}'
}
rows() { # rows DECISION RULE: audit rows with that decision and rule
	"$PITLANECTL" audit export "$W/audit.db" | grep "\"decision\":\"$1\"" |
	    grep -c "\"rule\":\"$2\"" || true
}

# An approval that will be stale by the end of the script (dtc-clearing expires after 10 s).
EXP=$(pending dtc.clear)
[ -n "$EXP" ] || fail "no dtc.clear approval"
EXP_T0=$(date +%s)

# REQ-ABU-084: the requester waits; tech-ben approves from his PC; the token arrives.
approve_when_pending() {
	i=0
	id=
	while [ -z "$id" ]; do
		i=$((i + 1))
		[ $i -lt 150 ] || { echo "no pending key.learn approval" >&2; return 1; }
		sleep 0.1
		id=$("$PITLANECTL" approvals list $C 2>/dev/null | grep 'state=pending' |
		    grep 'op=key.learn' | grep -o '[0-9a-f]\{32\}' | head -n 1)
	done
	sleep 1
	"$PITLANE" -c "$W/ben.conf" approve "$id" "$@" >"$W/approve.out" 2>&1
	echo $? >"$W/approve.rc"
	echo "$id" >"$W/approve.id"
}
approve_when_pending &
DECIDER=$!
expect_agent 0 "^done: key.learn on $VIN" "REQ-ABU-084 approved by a second technician: done" \
    -c "$W/anna-wait.conf" run key.learn --work-order WO-KEY --reason "all keys lost"
wait "$DECIDER" || fail "REQ-ABU-084 the approver did not run"
ID=$(cat "$W/approve.id")
[ "$(cat "$W/approve.rc")" = 0 ] || fail "REQ-ABU-084 pitlane approve: $(cat "$W/approve.out")"
grep -q "^approved: key.learn on $VIN for tech-anna (ws-muc-01), approval $ID\$" \
    "$W/approve.out" || fail "REQ-ABU-084 approve line: $(cat "$W/approve.out")"
grep -q '"key_learn_count":1' "$W/ecu.json" || fail "REQ-ABU-084 the ECU did not learn a key"
"$PITLANECTL" approvals show "$ID" $C | grep -q "state=issued .* approver=tech-ben " ||
    fail "REQ-ABU-084 approvals show: $("$PITLANECTL" approvals show "$ID" $C)"
# REQ-APR-038: the kept decision is tech-ben's signed approve naming the request: key 21
# (0x15), a byte string of 32 (0x58 0x20), the request's SHA-256
H=$("$PITLANECTL" approvals show "$ID" $C | sed -n 's/.* request_sha256=\([0-9a-f]*\).*/\1/p')
sqlite3 "$W/audit.db" "SELECT lower(hex(decision)) FROM approvals WHERE id = '$ID'" |
    grep -q "155820$H" || fail "REQ-APR-038 the kept decision does not carry key 21 = $H"
pass "REQ-APR-038 pitlane approve signed key 21 = the request's SHA-256; the broker kept it"
pass "REQ-ABU-084 the token arrives after tech-ben's approval and the ECU learns the key"

# REQ-ABU-085: the requester cannot approve her own request, on her PC or another.
A1=$(pending key.learn)

# REQ-ABU-092: an approver may look first (--show): what, for whom, the work order, until
# when; nothing is decided and no audit row is written. The requester may not look either.
n0=$("$PITLANECTL" audit export "$W/audit.db" | wc -l)
expect_agent 0 "^pending: key.learn on $VIN for tech-anna (ws-muc-01), work order WO-APR, approval $A1, open until [0-9:]*\$" \
    "REQ-ABU-092 --show: what would be approved" -c "$W/ben.conf" approve "$A1" --show
expect_agent 0 '"result":"pending","exit":0.*"work_order":"WO-APR","expires":[0-9]*' \
    "REQ-ABU-092 --show --json" -c "$W/ben.conf" approve "$A1" --show --json
"$PITLANECTL" approvals show "$A1" $C | grep -q "state=pending" ||
    fail "REQ-ABU-092 --show changed the approval"
[ "$("$PITLANECTL" audit export "$W/audit.db" | wc -l)" -eq "$n0" ] ||
    fail "REQ-ABU-092 --show wrote an audit row"
# REQ-APR-038: --show prints the SHA-256 of the request, which a decision signs (key 21)
H=$("$PITLANECTL" approvals show "$A1" $C | sed -n 's/.* request_sha256=\([0-9a-f]*\).*/\1/p')
[ ${#H} = 64 ] || fail "REQ-APR-038 approvals show has no request_sha256"
expect_agent 0 "^request sha256 $H (your decision signs it)\$" \
    "REQ-APR-038 --show prints the request's SHA-256" -c "$W/ben.conf" approve "$A1" --show
expect_agent 0 "\"request_sha256\":\"$H\"" "REQ-APR-038 --show --json carries it" \
    -c "$W/ben.conf" approve "$A1" --show --json
expect_agent 1 "^refused: you made this request yourself" "REQ-ABU-092 the requester cannot --show" \
    -c "$W/anna.conf" approve "$A1" --show
expect_agent 2 "decides nothing" "REQ-ABU-092 --show with --deny is a usage error" \
    -c "$W/ben.conf" approve "$A1" --show --deny --reason x
expect_agent 1 "^refused: you made this request yourself: a second person must approve it" \
    "REQ-ABU-085 self-approval refused (exit 1)" -c "$W/anna.conf" approve "$A1"
expect_agent 1 '"code":"self_approval"' "REQ-ABU-085 self-approval from another PC" \
    -c "$W/anna-pc2.conf" approve "$A1" --json
grep -q '"http_status":403' "$W/out" || fail "REQ-ABU-085 not 403: $(cat "$W/out")"

# REQ-ABU-086: a technician without the approver role.
expect_agent 1 "^refused: you may not decide this approval (tech-carl holds none of the approver roles" \
    "REQ-ABU-086 no approver role: 403 approver_role_missing" -c "$W/carl.conf" approve "$A1"
expect_agent 1 '"code":"approver_role_missing"' "REQ-ABU-086 the code in --json" \
    -c "$W/carl.conf" approve "$A1" --json

# REQ-ABU-087: an operation whose approvals entry keeps technicians out.
A2=$(pending ignition.enable)
expect_agent 1 "^refused: the policy lets only OEM officers decide this operation: give the approval id $A2 to an officer" \
    "REQ-ABU-087 switch off: 403 technician_approval_disabled" -c "$W/ben.conf" approve "$A2"
expect_agent 1 '"code":"technician_approval_disabled"' "REQ-ABU-087 the code in --json" \
    -c "$W/ben.conf" approve "$A2" --json
"$PITLANECTL" approvals show "$A2" $C | grep -q "state=pending" ||
    fail "REQ-ABU-087 the refused decision changed the approval"

# REQ-ABU-089: decided, unknown and expired approvals.
expect_agent 0 "^approved: key.learn on $VIN for tech-anna" "REQ-ABU-089 A1 approved" \
    -c "$W/ben.conf" approve "$A1"
expect_agent 1 "^refused: approval $A1 is already approved by tech-ben: nothing to do" \
    "REQ-ABU-089 a decided approval: 409 approval_not_pending" -c "$W/ben.conf" approve "$A1"
expect_agent 1 '"http_status":409' "REQ-ABU-089 409 in --json" -c "$W/ben.conf" approve "$A1" --json

# REQ-ABU-088: a denial (needs a reason) reaches the waiting requester in words (the
# only pending key.learn approval now is the run's).
expect_agent 2 "needs --reason" "REQ-ABU-088 --deny without --reason is a usage error" \
    -c "$W/ben.conf" approve "$A1" --deny
approve_when_pending --deny --reason "no work order on file" &
DECIDER=$!
expect_agent 1 "the approver refused (approval id [0-9a-f]*): no work order on file" \
    "REQ-ABU-088 the requester sees the denial (exit 1)" -c "$W/anna-wait.conf" \
    run key.learn --work-order WO-KEY2
wait "$DECIDER" || fail "REQ-ABU-088 the approver did not run"
[ "$(cat "$W/approve.rc")" = 0 ] || fail "REQ-ABU-088 pitlane approve --deny: $(cat "$W/approve.out")"
grep -q "^denied: key.learn on $VIN for tech-anna (ws-muc-01), approval [0-9a-f]\{32\}: no work order on file\$" \
    "$W/approve.out" || fail "REQ-ABU-088 deny line: $(cat "$W/approve.out")"
pass "REQ-ABU-088 deny: the approver's line and the requester's refusal"

# REQ-ABU-089 (continued)
expect_agent 1 "^refused: the broker knows no approval 0123456789abcdef0123456789abcdef" \
    "REQ-ABU-089 unknown: 404 approval_not_found" \
    -c "$W/ben.conf" approve 0123456789abcdef0123456789abcdef
expect_agent 2 "is not an approval id" "REQ-ABU-089 a malformed id is a usage error" \
    -c "$W/ben.conf" approve 1234
left=$((EXP_T0 + 11 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
expect_agent 1 "^refused: approval $EXP expired before anyone decided" \
    "REQ-ABU-089 expired: 410 approval_expired" -c "$W/ben.conf" approve "$EXP"
expect_agent 1 '"http_status":410' "REQ-ABU-089 410 in --json" -c "$W/ben.conf" approve "$EXP" --json

# REQ-ABU-090: every step is an audit row; the chain verifies.
stop_broker
[ "$(rows admin approve)" = 2 ] || fail "REQ-ABU-090 approve admin rows: $(rows admin approve)"
[ "$(rows admin deny)" = 1 ] || fail "REQ-ABU-090 deny admin rows"
"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"admin"' |
    grep -q "approve approval $ID by api:tech-ben: device ws-muc-01-pc2" ||
    fail "REQ-ABU-090 the admin row names the technician, the API and the device"
# two self-approvals and the requester's refused --show (a refused look is audited too)
[ "$(rows deny self_approval)" = 3 ] || fail "REQ-ABU-090 self_approval rows: $(rows deny self_approval)"
[ "$(rows deny approver_role_missing)" = 2 ] || fail "REQ-ABU-090 approver_role_missing rows"
[ "$(rows deny technician_approval_disabled)" = 2 ] || fail "REQ-ABU-090 disabled rows"
[ "$(rows deny approval_not_pending)" = 2 ] || fail "REQ-ABU-090 not_pending rows"
[ "$(rows deny approval_not_found)" = 1 ] || fail "REQ-ABU-090 not_found rows"
[ "$(rows deny approval_expired)" = 2 ] || fail "REQ-ABU-090 expired refusals"
[ "$(rows expired approvals.dtc-clearing)" = 1 ] || fail "REQ-ABU-090 the expiry row"
[ "$(rows issued approvals.key-learning)" = 1 ] || fail "REQ-ABU-090 the issued row"
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "REQ-ABU-090 audit verify"
pass "REQ-ABU-090 every approval step is an audit row and the chain verifies"
