#!/bin/sh
# The audit chain against someone who can write audit.db (issue 12, items 5 and 10;
# docs/audit.md): REQ-AUD-102..108. A real pitlaned, real SQLite files, pitlanectl audit
# verify; the attacker is audit_tamper.py (the row hash of docs/audit.md, written apart
# from the C code).
. "$BRK_TESTDIR/lib.sh"
TAMPER="python3 $HARD_TESTDIR/audit_tamper.py"
DB=$W/audit.db
write_config "$W/broker.conf" "checkpoint_rows 3" "checkpoint_seconds 3600"
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANECTL" key export -f "$W/broker.conf" >"$W/pub.pem" ||
    fail "pitlanectl key export"
start_broker "$W/broker.conf"

sql() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$DB" "$1"; }
# verify_expect EXIT FAULT WHAT [verify options]: pitlanectl audit verify on FILE $VDB
verify_expect() {
	want=$1 fault=$2 what=$3
	shift 3
	set +e
	"$PITLANECTL" audit verify "$VDB" --pubkey "$W/pub.pem" "$@" >"$W/v.out" 2>"$W/v.err"
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "$what: verify exited $got, expected $want: $(cat "$W/v.out" "$W/v.err")"
	[ -z "$fault" ] || grep -q "fault=$fault" "$W/v.err" ||
	    fail "$what: no fault=$fault: $(cat "$W/v.out" "$W/v.err")"
	pass "$what ($(head -c 160 "$W/v.out"))"
}

# REQ-AUD-107: the row holds what the requester said, under the row hash.
out=$(req ws-muc-01-pc1 tech-anna --work-order "WO-2024-0815" --reason "customer lost both keys")
expect_line "REQ-AUD-107 request with a work order and a reason" "$out" "status=201"
"$PITLANECTL" audit export "$DB" | grep '"decision":"allow"' |
    grep -q '"work_order":"WO-2024-0815","request_reason":"customer lost both keys"' ||
    fail "REQ-AUD-107 the row does not hold the work order and the reason: $("$PITLANECTL" audit export "$DB")"
pass "REQ-AUD-107 the audit row holds the work order and the reason"

# Two more rows: a checkpoint covers rows 1..3; then two rows nothing signs yet.
req ws-muc-01-pc1 tech-anna >/dev/null
req ws-muc-01-pc1 tech-anna >/dev/null
i=0
until [ "$(sql 'SELECT count(*) FROM checkpoints')" -ge 1 ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no checkpoint after 3 rows"; sleep 0.1
done
[ "$(sql 'SELECT max(row_count) FROM checkpoints')" = 3 ] || fail "the checkpoint does not cover 3 rows"
req ws-muc-01-pc1 tech-anna --work-order "WO-1" >/dev/null
req ws-muc-01-pc1 tech-anna --work-order "WO-2" >/dev/null
[ "$(metric pitlane_audit_chain_diverged)" = 0 ] || fail "diverged before any tampering"

# REQ-AUD-105: row 4 (after the last checkpoint) is deleted and row 5 re-chained in its
# place while the broker runs. The broker must never sign that head: it says so in the
# log, in /metrics and in /v1/ready, and keeps recording decisions.
$TAMPER "$DB" rewrite-tail 4 || fail "REQ-AUD-105 the attacker's rewrite failed"
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-AUD-105 decisions are still recorded after the rewrite" "$out" "status=201"
i=0
until [ "$(metric pitlane_audit_chain_diverged)" = 1 ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "REQ-AUD-105 /metrics does not show the divergence"; sleep 0.1
done
pass "REQ-AUD-105 /metrics pitlane_audit_chain_diverged 1"
code=$(curl -s -o "$W/ready" -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready")
[ "$code" = 503 ] && grep -q 'no longer extends' "$W/ready" ||
    fail "REQ-AUD-105 /v1/ready answered $code: $(cat "$W/ready")"
pass "REQ-AUD-105 /v1/ready 503 naming the rewritten chain"
wait_log 'event=audit_chain_diverged'
pass "REQ-AUD-105 the log says audit_chain_diverged"
req ws-muc-01-pc1 tech-anna >/dev/null
req ws-muc-01-pc1 tech-anna >/dev/null    # past checkpoint_rows again
stop_broker                                # and the final checkpoint at close
n=$(sql 'SELECT max(row_count) FROM checkpoints')
[ "$n" = 3 ] || fail "REQ-AUD-105 the broker signed a rewritten head (checkpoint up to row $n)"
pass "REQ-AUD-105 no checkpoint signs the rewritten tail (newest still covers 1..3)"

# REQ-AUD-104: the unsigned tail is bounded by the operator.
VDB=$DB
verify_expect 0 "" "REQ-AUD-104 without a bound the unsigned tail is reported, not refused"
grep -q 'newer rows not covered yet' "$W/v.out" || fail "REQ-AUD-104 uncovered rows not reported"
verify_expect 1 unsigned_tail_too_long "REQ-AUD-104 --max-unsigned 2 refuses 4 unsigned rows" \
    --max-unsigned 2
verify_expect 0 "" "REQ-AUD-104 --max-unsigned 4 accepts them" --max-unsigned 4
set +e; "$PITLANECTL" audit verify "$DB" --max-unsigned many >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "REQ-AUD-104 --max-unsigned many exited $rc"
pass "REQ-AUD-104 --max-unsigned takes a row count only (exit 2)"

# A clean log with several checkpoints (every 3 rows, and one at close).
rm -f "$DB" "$DB-wal" "$DB-shm"
start_broker "$W/broker.conf"
req ws-muc-01-pc1 tech-anna --count 8 >/dev/null
stop_broker
[ "$(sql 'SELECT count(*) FROM checkpoints')" -ge 3 ] || fail "expected 3 checkpoints"
cp "$DB" "$W/clean.db"
VDB=$W/clean.db
verify_expect 0 "" "REQ-AUD-102 the untouched log verifies"

# REQ-AUD-102: a checkpoint deleted from the middle is missed by the rows written after it.
cp "$W/clean.db" "$W/mid.db"
$TAMPER "$W/mid.db" delete-checkpoints "id = 1"
VDB=$W/mid.db
verify_expect 1 checkpoint_missing "REQ-AUD-102 a deleted checkpoint is named"

# REQ-AUD-103: every checkpoint deleted: --pubkey refuses a log nothing signs.
cp "$W/clean.db" "$W/none.db"
$TAMPER "$W/none.db" delete-checkpoints "1"
VDB=$W/none.db
verify_expect 1 checkpoint_missing "REQ-AUD-103 a log with every checkpoint deleted fails --pubkey"
# ... also when the rows' memory of the checkpoints is erased and the chain recomputed.
python3 - "$W/none.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE audit_log SET ckpt_rows = 0")
db.commit()
EOF
$TAMPER "$W/none.db" rehash
verify_expect 1 checkpoint_missing "REQ-AUD-103 ... also after the chain was recomputed"

# REQ-AUD-107: editing the stated reason breaks the row hash.
cp "$W/clean.db" "$W/edit.db"
$TAMPER "$W/edit.db" set 2 request_reason "routine service"
VDB=$W/edit.db
verify_expect 1 row_hash_mismatch "REQ-AUD-107 an edited request reason is named"
cp "$W/clean.db" "$W/edit.db"
$TAMPER "$W/edit.db" set 2 work_order "WO-0000"
verify_expect 1 row_hash_mismatch "REQ-AUD-107 an edited work order is named"

# REQ-AUD-108: an officer acts while the broker is down; the row it copies into the chain
# later carries the time the action took effect.
"$PITLANECTL" suspend technician tech-ben --reason "badge lost" --by olga -f "$W/broker.conf" \
    >/dev/null || fail "REQ-AUD-108 pitlanectl suspend"
acted=$(sql "SELECT time_ms FROM admin_actions WHERE action = 'suspend'")
sleep 2
start_broker "$W/broker.conf"
req ws-muc-01-pc1 tech-anna >/dev/null
i=0
until [ "$(sql "SELECT count(*) FROM audit_log WHERE decision = 'admin'")" -ge 1 ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "REQ-AUD-108 the action was not audited"; sleep 0.1
done
row=$(sql "SELECT time_ms FROM audit_log WHERE decision = 'admin'")
[ "$row" = "$acted" ] || fail "REQ-AUD-108 the row says $row, the action took effect at $acted"
pass "REQ-AUD-108 the officer-action row carries the time the action took effect ($acted)"
stop_broker
VDB=$DB
verify_expect 0 "" "REQ-AUD-108 the chain with the back-dated officer row verifies"
