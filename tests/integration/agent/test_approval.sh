#!/bin/sh
# Two-person approval (REQ-AGT-022): key.learn is answered 202; the agent waits
# (spinner, tester present), polls POST /v1/approvals/{id}/poll signed with the
# technician key (REQ-AGT-100), and delivers the token once officer-olga approves (signed
# with her officer key);
# a denial is shown in words; a suspension in force when the token would leave
# withholds it.
. "$(dirname "$0")/lib.sh"

start_broker
start_ecu
agent_conf "$W/ben.conf" "technician_cert $P/technicians/tech-ben.crt" \
    "technician_key pkcs11:token=pitlane-technicians;object=tech-ben;type=private" \
    "approval_wait_s 20"
export PITLANE_AGENT_CONF=$W/ben.conf
officer_conf "$W/olga.officer" officer-olga   # the officer who decides (her own key)

# decide ACTION [args]: waits for the pending approval, then approves or denies it
decide() {
	i=0
	id=
	while [ -z "$id" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "no pending approval" >&2; return 1; }
		sleep 0.1
		id=$("$PITLANECTL" approvals list -f "$W/broker.conf" 2>/dev/null |
		    grep pending | grep -o '[0-9a-f]\{32\}' | head -n 1)
	done
	sleep "${DECIDE_DELAY:-1}"
	[ -z "${DECIDE_FIRST:-}" ] || $DECIDE_FIRST >"$W/decide.out" 2>&1 || return 1
	officer_ctl "$W/olga.officer" approvals "$@" "$id" -f "$W/broker.conf" >"$W/decide.out" 2>&1
}

decide approve &
DECIDER=$!
expect_agent 0 "^done: key.learn on $VIN" "REQ-AGT-022 approved after a wait: done" \
    run key.learn --work-order WO-KEY --reason "all keys lost"
wait "$DECIDER" || fail "REQ-AGT-022 approving failed: $(cat "$W/decide.out")"
grep -q "approval needed (approvals.key-learning)" "$W/out" || fail "REQ-AGT-022 no approval line"
grep -q "^        approval id [0-9a-f]\{32\}\$" "$W/out" || fail "REQ-AGT-022 no full approval id line"
grep -q "Waiting for an approver (until " "$W/out" || fail "REQ-AGT-022 wait line"
grep -q '"key_learn_count":1' "$W/ecu.json" || fail "REQ-AGT-022 the ECU did not learn a key"
pass "REQ-AGT-022 the token arrives after the approval and the ECU learns the key"

decide deny --reason "no work order on file" &
DECIDER=$!
expect_agent 1 "the approver refused (approval id [0-9a-f]*): no work order on file" \
    "REQ-AGT-022 a denial in words (exit 1)" run key.learn --work-order WO-KEY2
wait "$DECIDER" || fail "REQ-AGT-022 denying failed: $(cat "$W/decide.out")"

# REQ-AGT-100: the agent's polls are signed by the technician (the broker answers no
# unsigned GET); while the agent waits the officer suspends tech-ben, then approves: the
# approved token is withheld at collection, the agent exits refused, the ECU is not touched.
DECIDE_FIRST="$PITLANECTL suspend technician tech-ben --reason lost -f $W/broker.conf" \
    decide approve &
DECIDER=$!
expect_agent 1 "refused by the broker: no reason is given" "REQ-AGT-100 approved while suspended: refused at collection (exit 1)" \
    run key.learn --work-order WO-KEY5
wait "$DECIDER" || fail "REQ-AGT-100 suspending or approving failed: $(cat "$W/decide.out")"
grep -q "^done:" "$W/out" && fail "REQ-AGT-100 the agent reported done"
grep -q 'event=approval_delivery_refused .*code=suspended .*technician=tech-ben' "$W/broker.log" ||
    fail "REQ-AGT-100 the broker did not withhold the token at the signed poll"
grep -q '"key_learn_count":1[,}]' "$W/ecu.json" ||
    fail "REQ-AGT-100 the ECU learnt another key"
"$PITLANECTL" resume technician tech-ben --reason "badge found" -f "$W/broker.conf" >/dev/null ||
    fail "REQ-AGT-100 resume"
pass "REQ-AGT-100 the signed poll withholds the token of a technician suspended meanwhile"

# REQ-APR-039: a row marked approved with sqlite3, by someone without an officer's key: the
# waiting agent is told in words that the approval carries no valid signed decision (exit 1),
# the broker withholds the token, the ECU is not touched.
forge() {
	i=0
	id=
	while [ -z "$id" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "no pending approval" >&2; return 1; }
		sleep 0.1
		id=$("$PITLANECTL" approvals list -f "$W/broker.conf" 2>/dev/null |
		    grep pending | grep -o '[0-9a-f]\{32\}' | head -n 1)
	done
	sleep 1
	sqlite3 -cmd ".timeout 5000" "$W/audit.db" "UPDATE approvals SET state = 'approved',
	    approver = 'officer:officer-olga', decided_ms = 1 WHERE id = '$id'"
}
forge >"$W/forge.out" 2>&1 &
DECIDER=$!
expect_agent 1 "carries no valid signed decision, so the broker withholds the token" \
    "REQ-APR-039 a forged approval row: refused in words (exit 1)" run key.learn --work-order WO-KEY6
wait "$DECIDER" || fail "REQ-APR-039 forging the row failed: $(cat "$W/forge.out")"
grep -q '"key_learn_count":1[,}]' "$W/ecu.json" || fail "REQ-APR-039 the ECU learnt another key"
grep -q 'event=approval_delivery_refused .*code=approval_invalid' "$W/broker.log" ||
    fail "REQ-APR-039 the broker did not withhold the token"
pass "REQ-APR-039 a forged approval row delivers nothing; the agent says so"

agent_conf "$W/nowait.conf" "technician_cert $P/technicians/tech-ben.crt" \
    "technician_key pkcs11:token=pitlane-technicians;object=tech-ben;type=private" \
    "approval_wait_s 0"
expect_agent 1 "approval needed: a second person must approve this operation (approval id [0-9a-f]\{32\})" \
    "REQ-AGT-022 approval_wait_s 0: the id and what to do" -c "$W/nowait.conf" \
    run key.learn --work-order WO-KEY3

# REQ-AGT-023 the approval outlasts the ECU's challenge (4 s): the agent asks the
# ECU for a new challenge and the broker anew (approved again if it asks again)
stop_ecu
start_ecu --challenge-ttl 4
(
	DECIDE_DELAY=5 decide approve || exit 1
	i=0
	while [ $i -lt 30 ]; do
		i=$((i + 1))
		sleep 0.2
		id=$("$PITLANECTL" approvals list -f "$W/broker.conf" 2>/dev/null |
		    grep pending | grep -o '[0-9a-f]\{32\}' | head -n 1)
		[ -n "$id" ] && officer_ctl "$W/olga.officer" approvals approve "$id" \
		    -f "$W/broker.conf" >/dev/null 2>&1
	done
	exit 0
) &
DECIDER=$!

expect_agent 0 "^done: key.learn on $VIN" "REQ-AGT-023 a new challenge after the approval: done" \
    run key.learn --work-order WO-KEY4
grep -q "the challenge expired while the approver decided" "$W/out" ||
    fail "REQ-AGT-023 the expiry was not noticed (was the approval faster than 4 s?)"
wait "$DECIDER"
