#!/bin/sh
# `make demo`: the whole pitlane chain on this machine, in a few seconds.
#
#   packaging/demo.sh BUILD_DIR
#
# Creates a throw-away demo PKI and SoftHSM2 tokens in a temporary directory
# (packaging/demo-pki.sh), starts the co-signer (pitlane-cosignd) and the
# broker (pitlaned, asking the co-signer for ignition.enable and key.learn)
# on 127.0.0.1 and the ECU simulator (pitlane-ecusim, trusting the broker's
# key and the co-signer's key) on vcan when this kernel has it, else on the
# userspace loop bus, and lets technician tech-anna of workshop ws-muc-01
# unlock a car with `pitlane run door.unlock`. Then it shows refusals: the
# same token replayed, a VIN outside the workshop's policy and the rate
# limit (3 unlocks per technician per minute). Then it plays root on the
# broker host (packaging/demo-rogue.py): a token minted with the broker's
# HSM key alone for ignition.enable, refused by the car; requests sent
# straight to the co-signer (one without the technician's signature, a
# genuine one from the broker's database edited, the same one replayed),
# each refused and audited there; a door.unlock the car's configuration lets
# through with the broker's signature alone. Prints both audit trails and verifies them;
# stops everything it started.
# Exit 0 only if every step behaved as expected.
#
# Environment: PITLANE_DEMO_CAN=loop forces the loop bus; PITLANE_DEMO_KEEP=1
# keeps the temporary directory (its path is printed).
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
PITLANE=$build/agent/pitlane
PITLANED=$build/broker/pitlaned
PITLANECTL=$build/broker/pitlanectl
ECUSIM=$build/vehicle/pitlane-ecusim
COSIGND=$build/cosign/pitlane-cosignd
TESTER=$build/tests/integration/vehicle/ecu-client # a UDS tester: the thief's laptop at the car
ROGUE="/usr/bin/python3 $src/packaging/demo-rogue.py"
for p in "$PITLANE" "$PITLANED" "$PITLANECTL" "$ECUSIM" "$COSIGND" "$TESTER"; do
	if [ ! -x "$p" ]; then
		echo "demo: $p not found: build first (make, or make demo; ecu-client needs PITLANE_TESTS on)" >&2
		exit 2
	fi
done

VIN=WVWZZZ1JZXW000001      # a Volkswagen: ws-muc-01 may work on WVW...
FOREIGN_VIN=WBAPH5C55BA123456  # a BMW: outside ws-muc-01's vin_prefixes
W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-demo.XXXXXX")
BROKER_PID=
COSIGND_PID=
ECU_PID=
VCAN=
failed=0

cleanup() {
	[ -n "$ECU_PID" ] && kill -TERM "$ECU_PID" 2>/dev/null && wait "$ECU_PID" 2>/dev/null
	[ -n "$BROKER_PID" ] && kill -TERM "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
	[ -n "$COSIGND_PID" ] && kill -TERM "$COSIGND_PID" 2>/dev/null && wait "$COSIGND_PID" 2>/dev/null
	[ -n "$VCAN" ] && ip link delete "$VCAN" 2>/dev/null
	if [ "${PITLANE_DEMO_KEEP:-0}" = 1 ]; then
		echo "demo: kept $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
umask 077

heading() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || heading() { printf '\n== %s\n' "$*"; }
say() { printf '%s\n' "$*"; }

# expect WANT_EXIT PATTERN DESCRIPTION COMMAND...: runs COMMAND, shows its
# output, checks the exit status and that a line matches PATTERN.
expect() {
	want=$1 pat=$2 what=$3
	shift 3
	printf '$ %s\n' "$(echo "$*" | sed "s|$build/agent/||; s|$build/broker/||; s|$W|\$DEMO|g")"
	"$@" >"$W/out" 2>&1
	got=$?
	sed 's/^/  /' "$W/out"
	if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$W/out"; then
		printf '  -> %s (exit %d, as expected)\n' "$what" "$got"
	else
		printf '  -> UNEXPECTED: exit %d, wanted %d and a line matching "%s" (%s)\n' \
		    "$got" "$want" "$pat" "$what"
		failed=$((failed + 1))
	fi
}

die() {
	echo "demo: $*" >&2
	for f in "$W/cosignd.log" "$W/broker.log" "$W/ecu.log"; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
	done
	exit 1
}

wait_for() { # FILE PATTERN PID WHAT
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 150 ] || die "$4 did not start"
		kill -0 "$3" 2>/dev/null || die "$4 exited at start"
		sleep 0.05
	done
}

heading "1. A demo PKI and SoftHSM2 tokens (demo material, thrown away at the end)"
"$src/packaging/demo-pki.sh" "$W/pki" >"$W/pki.log" 2>&1 || { cat "$W/pki.log"; die "demo-pki.sh failed"; }
P=$W/pki
say "dealer CA, broker TLS key (pinned by the agent), device certificate of PC ws-muc-01-pc1,"
say "broker signing key in token 'pitlane-broker', technician keys in token 'pitlane-technicians',"
say "officer keys (officer CA) in token 'pitlane-officers', the co-signer's signing key in its own"
say "token 'pitlane-cosigner', a service CA for the broker <-> co-signer mTLS"

heading "2. The co-signer (pitlane-cosignd): another host, another team, its own HSM key and limits"
# its hard limits: the package's example file (ignition.enable and key.learn, a second
# person's signed approval, velocity limits); files it trusts must be owner-only
install -m 600 "$src/packaging/debian/cosign-limits.conf" "$W/cosign-limits.conf"
sh "$src/packaging/demo-cosignd-conf.sh" "$P" "$W/cosign.db" "$W/cosign-limits.conf" \
    "officer_ca $P/officer-ca/ca.crt" >"$W/cosignd.conf"
SOFTHSM2_CONF=$P/hsm-cosigner/softhsm2.conf "$COSIGND" -f "$W/cosignd.conf" -d \
    >"$W/cosignd.log" 2>&1 &
COSIGND_PID=$!
wait_for "$W/cosignd.log" 'event=net_started' "$COSIGND_PID" pitlane-cosignd
CS_PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/cosignd.log" | head -n 1)
[ -n "$CS_PORT" ] || die "no API port in the co-signer log"
say "pitlane-cosignd listens on https://127.0.0.1:$CS_PORT (mTLS: only the pinned broker client key);"
say "it signs only what it checked itself: the technician's own signature on the request, the"
say "broker's token against it, a second person's signed approval, its own limits file:"
grep '^operation' "$W/cosign-limits.conf" | sed 's/^/  /'
say "  (and $(grep -c '^velocity' "$W/cosign-limits.conf") velocity limits per technician, workshop, VIN and fleet)"

heading "3. The broker (pitlaned) with the demo policy, asking the co-signer for critical operations"
cp -r "$src/policy" "$W/policy"
# key.learn (risk critical) is allowed only in ws-muc-01's opening hours: the demo's copy of the
# policy keeps the workshop open around the clock, so that the demo runs at any hour
sed -i 's/"07:00-19:00"/"00:00-24:00"/; s/^\(      \)sat: "08:00-13:00"/\1sat: "00:00-24:00"\n\1sun: "00:00-24:00"/' \
    "$W/policy/10-workshops.yaml"
sh "$src/packaging/demo-broker-conf.sh" "$P" "$W/policy" "$W/audit.db" \
    "admin_listen 127.0.0.1:0" "workers 2" \
    "cosigner_url https://localhost:$CS_PORT" \
    "cosigner_pin sha256//$(cat "$P/cosigner/cosigner.spki-pin")" \
    "cosigner_cert $P/broker-client/broker-client.crt" \
    "cosigner_key $P/broker-client/broker-client.key" \
    "cosigned_operations ignition.enable key.learn" >"$W/broker.conf"
SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf "$PITLANED" -f "$W/broker.conf" -d >"$W/broker.log" 2>&1 &
BROKER_PID=$!
wait_for "$W/broker.log" 'event=started' "$BROKER_PID" pitlaned
PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/broker.log" | head -n 1)
[ -n "$PORT" ] || die "no API port in the broker log"
say "pitlaned listens on https://127.0.0.1:$PORT (mTLS, TLS 1.3); signing key in the HSM;"
say "cosigned_operations ignition.enable key.learn go to the co-signer (its key pinned)"
say "(the demo's copy of the policy keeps ws-muc-01 open around the clock: key.learn is allowed"
say "only in opening hours, and the demo runs at any hour)"

heading "4. The vehicle: pitlane-ecusim for VIN $VIN"
CAN=
if [ "${PITLANE_DEMO_CAN:-}" != loop ] && command -v ip >/dev/null 2>&1 &&
    ip link add dev pldemo0 type vcan 2>/dev/null; then
	VCAN=pldemo0
	if ip link set pldemo0 up 2>/dev/null; then
		CAN=socketcan:pldemo0
		say "CAN: SocketCAN virtual interface pldemo0 (this kernel has vcan)"
	fi
fi
if [ -z "$CAN" ]; then
	mkdir -m 700 "$W/bus"
	export PITLANE_CANBUS_DIR=$W/bus
	CAN=loop:demo
	say "CAN: the userspace loop bus loop:demo (no vcan in this kernel or no permission)"
fi
"$ECUSIM" --can "$CAN" --vin "$VIN" \
    --trust "$P/hsm-broker/broker-signing.pub.pem:broker" \
    --trust "$P/hsm-cosigner/cosigner-signing.pub.pem:cosigner" \
    --require ignition.enable=broker,cosigner --require key.learn=broker,cosigner \
    --require door.unlock=broker \
    --state "$W/ecu.json" >"$W/ecu.log" 2>&1 &
ECU_PID=$!
wait_for "$W/ecu.log" 'event=started' "$ECU_PID" pitlane-ecusim
say "the ECU trusts two keys: the broker's (role broker) and the co-signer's (role cosigner);"
say "its own configuration, never the token, says which signatures each operation needs:"
sed -n 's/.*event=signers op=\([^ ]*\) broker=\([0-9]*\) cosigner=\([0-9]*\).*/  \1: broker \2, cosigner \3/p' "$W/ecu.log"

heading "5. The workshop PC: agent.conf for technician tech-anna"
cat >"$W/agent.conf" <<CONF
# demo agent configuration (written by packaging/demo.sh)
broker_url https://127.0.0.1:$PORT
broker_ca $P/ca/ca.crt
broker_pin sha256//$(cat "$P/broker/broker.spki-pin")
device_cert $P/devices/ws-muc-01-pc1.crt
device_key $P/devices/ws-muc-01-pc1.key
technician_cert $P/technicians/tech-anna.crt
technician_key pkcs11:token=pitlane-technicians;object=tech-anna;type=private
pin_file $P/hsm-agent/pin
can $CAN
CONF
sed "s|$W|\$DEMO|g; s/^/  /" "$W/agent.conf"
export PITLANE_AGENT_CONF=$W/agent.conf
export SOFTHSM2_CONF=$P/hsm-agent/softhsm2.conf

heading "6. Read the VIN"
expect 0 "^$VIN\$" "the ECU answers" "$PITLANE" vin

heading "7. Unlock the door: the whole chain"
expect 0 "^done: door.unlock on $VIN" "door unlocked" \
    "$PITLANE" run door.unlock --work-order WO-2025-0042 --reason "customer locked the keys in" \
    --out "$W/token.cwt"
say "the simulator's state file now says: $(sed -n 's/.*"doors":"\([a-z]*\)".*/doors \1/p' "$W/ecu.json")"
say "the token (the demo kept a copy with --out to replay it below):"
expect 0 '"scope": *"door.unlock"' "token decoded" "$PITLANE" token inspect "$W/token.cwt"

heading "8. Refusal: the same token presented again"
expect 7 "NRC 0x55" "the vehicle refuses a replayed token" \
    "$PITLANE" run door.unlock --work-order WO-2025-0042 --token "$W/token.cwt"

heading "9. Refusal: a VIN outside the workshop's policy ($FOREIGN_VIN)"
expect 1 "refused by the policy (rule workshops.ws-muc-01.vin_prefixes)" "the broker refuses" \
    "$PITLANE" request door.unlock --vin "$FOREIGN_VIN" --cnonce "$(openssl rand -hex 32)" \
    --work-order WO-2025-0043

heading "10. Refusal: the rate limit (policy: 3 unlocks per technician per minute)"
limited=0
for n in 2 3 4; do
	printf '$ pitlane run door.unlock --work-order WO-2025-004%d\n' "$n"
	"$PITLANE" run door.unlock --work-order "WO-2025-004$n" >"$W/out" 2>&1
	rc=$?
	sed 's/^/  /' "$W/out"
	if [ "$rc" -eq 1 ] && grep -q "rate limit reached" "$W/out"; then
		limited=1
		say "  -> refused by the rate limit (exit 1, as expected)"
		break
	elif [ "$rc" -ne 0 ]; then
		say "  -> UNEXPECTED: exit $rc"
		failed=$((failed + 1))
		break
	fi
done
if [ "$limited" -eq 0 ] && [ "$failed" -eq 0 ]; then
	say "  -> UNEXPECTED: 4 unlocks within a minute were issued (the policy allows 3)"
	failed=$((failed + 1))
fi

heading "11. A critical operation: key.learn by tech-ben, approved by officer-olga, co-signed"
say "shows: the legitimate path works: signed approval, the co-signer's checks, two signatures"
{ sed "s/tech-anna/tech-ben/g" "$W/agent.conf"; echo "approval_wait_s 40"; } >"$W/ben.conf"
cat >"$W/olga.officer" <<CONF
officer_cert $P/officers/officer-olga.crt
officer_key pkcs11:token=pitlane-officers;object=officer-olga;type=private
pin_file $P/hsm-officers/pin
CONF
# officer-olga, at the OEM: waits for the pending approval, looks at it, signs her decision
officer_decides() {
	i=0
	id=
	while [ -z "$id" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "no pending approval" >"$W/decide.out"; return 1; }
		sleep 0.1
		id=$("$PITLANECTL" approvals list -f "$W/broker.conf" 2>/dev/null |
		    grep pending | grep -o '[0-9a-f]\{32\}' | head -n 1)
	done
	sleep 1
	SOFTHSM2_CONF=$P/hsm-officers/softhsm2.conf "$PITLANECTL" approvals approve "$id" \
	    -f "$W/broker.conf" --officer "$W/olga.officer" >"$W/decide.out" 2>&1
}
officer_decides &
DECIDER=$!
expect 0 "^done: key.learn on $VIN" "key.learn done with a co-signed token" \
    "$PITLANE" -c "$W/ben.conf" run key.learn --work-order WO-2025-0050 \
    --reason "customer lost every key" --out "$W/keylearn.cwt"
if wait "$DECIDER"; then
	say "  officer-olga (pitlanectl approvals approve, signed with her key in token pitlane-officers):"
	sed 's/^/    /' "$W/decide.out"
else
	say "  -> UNEXPECTED: the officer's approval failed: $(cat "$W/decide.out")"
	failed=$((failed + 1))
fi
"$PITLANE" token inspect "$W/keylearn.cwt" >"$W/out" 2>&1
kid_of() { # PEM: the kid of a public key (the first 8 bytes of the SHA-256 of its SPKI), hex
	openssl pkey -pubin -in "$1" -outform der | openssl dgst -sha256 -binary | head -c 8 |
	    od -An -tx1 | tr -d ' \n'
}
BKID=$(kid_of "$P/hsm-broker/broker-signing.pub.pem")
CKID=$(kid_of "$P/hsm-cosigner/cosigner-signing.pub.pem")
kids=$(grep -o '"kid": *"[0-9a-f]*", *"signature"' "$W/out" | grep -o '[0-9a-f]\{16\}' | sort | tr '\n' ' ')
if grep -q '"tag": *98' "$W/out" && [ "$kids" = "$(printf '%s\n' "$BKID" "$CKID" | sort | tr '\n' ' ')" ]; then
	say "  the token is a COSE_Sign with two signatures: kid $BKID (the broker's HSM key) and"
	say "  kid $CKID (the co-signer's HSM key)"
	say "  -> two signatures by independent keys (as expected)"
else
	sed 's/^/  /' "$W/out"
	say "  -> UNEXPECTED: not a COSE_Sign signed by the broker ($BKID) and the co-signer ($CKID)"
	failed=$((failed + 1))
fi

# --- root on the broker host --------------------------------------------------
# The attacker this product exists to stop: root on the broker host, with the broker's
# SoftHSM2 token, its PIN and its client certificate for the co-signer; an accomplice at
# the car with a UDS tester ($TESTER) reads the car's challenge and presents the token.
ALG=706C2D6377742D657332353600000001 # algorithmIndicator "pl-cwt-es256" v1 (docs/uds.md)
MOD=${PITLANE_SOFTHSM_MODULE:-}
if [ -z "$MOD" ]; then
	for m in /usr/lib/*/softhsm/libsofthsm2.so /usr/lib/softhsm/libsofthsm2.so \
	    /usr/local/lib/softhsm/libsofthsm2.so; do
		[ -f "$m" ] && { MOD=$m; break; }
	done
fi
[ -n "$MOD" ] || die "SoftHSM2 module not found (set PITLANE_SOFTHSM_MODULE)"
tester() { "$TESTER" --can "$CAN" --raw "$1" 2>&1; }
# challenge: extended session and 29 05; sets CNONCE (the car's fresh challenge, hex)
challenge() {
	tester 1003 >/dev/null
	r=$(tester "290500$ALG")
	h=$(echo "$r" | sed -n 's/^resp=6905//p' | tr 'A-F' 'a-f')
	n=$(printf '%d' "0x$(echo "$h" | cut -c35-38)")
	CNONCE=$(echo "$h" | cut -c39-$((38 + 2 * n)))
	[ ${#CNONCE} -ge 32 ] || die "no challenge from the car: $r"
	say "  the car's challenge (29 05): $CNONCE"
}
# tester_token FILE: 29 06 with the token in FILE; prints the tester's resp= line
tester_token() {
	t=$(od -An -tx1 -v "$1" | tr -d ' \n')
	tester "2906${ALG}$(printf '%04x' $(($(wc -c <"$1"))))${t}00000000"
}
# mint OP OUT: the broker's HSM key signs a token for OP and the car's challenge
mint() {
	SOFTHSM2_CONF=$P/hsm-broker/softhsm2.conf $ROGUE mint --module "$MOD" \
	    --hsm-pin "$P/hsm-broker/pin" --pubkey "$P/hsm-broker/broker-signing.pub.pem" \
	    --vin "$VIN" --op "$1" --cnonce "$CNONCE" --out "$2"
}

heading "12. Root on the broker host mints ignition.enable with the broker's HSM key: the car refuses"
say "shows: the broker's key alone no longer starts a car; the ECU wants the co-signer's signature too"
say "(an accomplice at the car, a UDS tester on the OBD port, reads the challenge and presents the token)"
challenge
printf '$ demo-rogue.py mint --op ignition.enable (pkcs11-tool --sign with pitlane-broker/broker-signing)\n'
mint ignition.enable "$W/rogue-ignition.cwt" | sed 's/^/  /' || die "the rogue mint failed"
before=$(wc -l <"$W/ecu.log")
expect 1 "^resp=7f2951$" "the car answers 29 06 with NRC 0x51 (invalid signature)" \
    tester_token "$W/rogue-ignition.cwt"
tail -n +"$((before + 1))" "$W/ecu.log" | grep 'event=auth_fail' | sed 's/^/  ecu log: /' >"$W/out"
cat "$W/out"
if grep -q 'reason=signature_missing' "$W/out"; then
	say "  -> refused: signature_missing (broker 1 of 1, cosigner 0 of 1), as expected"
else
	say "  -> UNEXPECTED: no auth_fail with reason=signature_missing in the ECU log"
	failed=$((failed + 1))
fi
expect 1 "^resp=7f3134$" \
    "the ignition routine does not run (31 01 F003: NRC 0x34 authentication required)" tester 3101F003
tester 2900 >/dev/null

heading "13. Root on the broker host asks the co-signer directly: refused and audited there"
say "shows: the co-signer signs only a fresh request the technician signed with their own key"
say "(root sends each straight to pitlane-cosignd with the broker's client certificate)"
post_to_cosigner_as_broker() { # FILE: POST /v1/cosign as the broker; the HTTP status and the problem's code
	code=$(curl -s -o "$W/cosign-answer" -w '%{http_code}' --cacert "$P/service-ca/ca.crt" \
	    --cert "$P/broker-client/broker-client.crt" --key "$P/broker-client/broker-client.key" \
	    -H 'Content-Type: application/cbor' --data-binary "@$1" \
	    "https://localhost:$CS_PORT/v1/cosign")
	echo "HTTP $code"
	$ROGUE problem "$W/cosign-answer"
}
# cosign_audited CODE: the co-signer's newest audit row is a refusal with CODE
cosign_audited() {
	sqlite3 -separator ' | ' "$W/cosign.db" "SELECT 'seq ' || seq, decision, code, op,
	    technician, substr(detail, 1, 60) FROM cosign_audit ORDER BY seq DESC LIMIT 1" \
	    >"$W/out" 2>&1
	sed 's/^/  co-signer audit: /' "$W/out"
	if grep -q "refuse | $1 " "$W/out"; then
		say "  -> audited on the co-signer's host before it answered: refuse, $1 (as expected)"
	else
		say "  -> UNEXPECTED: the co-signer's newest audit row is no refusal with $1"
		failed=$((failed + 1))
	fi
}
say "a) a request made up in tech-anna's name: root has no technician's key"
printf '$ demo-rogue.py request --tech-cert tech-anna.crt --op ignition.enable (signature: 64 zero bytes)\n'
$ROGUE request --tech-cert "$P/technicians/tech-anna.crt" --vin "$VIN" --op ignition.enable \
    --cnonce "$CNONCE" --token "$W/rogue-ignition.cwt" --out "$W/rogue-cosign.cbor" |
    sed 's/^/  /'
expect 0 "code=bad_technician_signature" "refused: 403 bad_technician_signature" \
    post_to_cosigner_as_broker "$W/rogue-cosign.cbor"
cosign_audited bad_technician_signature
say "b) tech-ben's genuine key.learn request and officer-olga's signed approval, read from the"
say "   broker's database, edited to name the car's challenge of step 12, with a key.learn token"
say "   the broker's HSM key signed for that challenge"
printf '$ demo-rogue.py mint --op key.learn\n'
mint key.learn "$W/rogue-keylearn.cwt" | sed 's/^/  /' || die "the rogue mint failed"
printf '$ demo-rogue.py request --from-db audit.db --cnonce (the car'"'"'s challenge)\n'
$ROGUE request --from-db "$W/audit.db" --cnonce "$CNONCE" --token "$W/rogue-keylearn.cwt" \
    --out "$W/rogue-edited.cbor" | fold -s -w 96 | sed 's/^/  /'
expect 0 "code=bad_technician_signature" "refused: the edit broke tech-ben's signature" \
    post_to_cosigner_as_broker "$W/rogue-edited.cbor"
cosign_audited bad_technician_signature
say "c) the same genuine request and approval unchanged (they were co-signed once, in step 11)"
printf '$ demo-rogue.py request --from-db audit.db\n'
$ROGUE request --from-db "$W/audit.db" --token "$W/rogue-keylearn.cwt" \
    --out "$W/rogue-replay.cbor" | fold -s -w 96 | sed 's/^/  /'
expect 0 "code=replayed_request" "refused: 403 replayed_request (one request, one co-signature)" \
    post_to_cosigner_as_broker "$W/rogue-replay.cbor"
cosign_audited replayed_request

heading "14. Root on the broker host mints door.unlock: the car's configuration lets it through"
say "shows: the vehicle decides; door.unlock needs only the broker's signature in this demo ECU"
challenge
printf '$ demo-rogue.py mint --op door.unlock (the broker'"'"'s HSM key alone)\n'
mint door.unlock "$W/rogue-unlock.cwt" | sed 's/^/  /' || die "the rogue mint failed"
before=$(wc -l <"$W/ecu.log")
expect 0 "^resp=6906" "the car accepts the token (69 06)" tester_token "$W/rogue-unlock.cwt"
expect 0 "^resp=7101f001" "door.unlock runs (71 01 F001)" tester 3101F001
tester 2900 >/dev/null
tail -n +"$((before + 1))" "$W/ecu.log" | grep 'event=auth_ok\|event=routine' | sed 's/^/  ecu log: /'
say "  (protect an operation from a compromised broker host: --require OP=broker,cosigner on the"
say "  vehicle and the operation in cosigned_operations and the co-signer's limits file)"

heading "15. Stop the ECU simulator, the broker (it signs a final audit checkpoint) and the co-signer"
kill -TERM "$ECU_PID" && wait "$ECU_PID"
rc=$?
ECU_PID=
[ "$rc" -eq 0 ] || { say "pitlane-ecusim exited with $rc"; failed=$((failed + 1)); }
kill -TERM "$BROKER_PID" && wait "$BROKER_PID"
rc=$?
BROKER_PID=
[ "$rc" -eq 0 ] || { say "pitlaned exited with $rc"; failed=$((failed + 1)); }
kill -TERM "$COSIGND_PID" && wait "$COSIGND_PID"
rc=$?
COSIGND_PID=
[ "$rc" -eq 0 ] || { say "pitlane-cosignd exited with $rc"; failed=$((failed + 1)); }
say "stopped (all three exited 0)"

heading "16. The audit trail (pitlanectl audit export, one JSON object per row)"
"$PITLANECTL" audit export "$W/audit.db" >"$W/audit.jsonl" 2>&1 || die "audit export failed"
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",]*\).*/\\1/p"; }
printf '  %-4s %-8s %-12s %-18s %-12s %-34s %s\n' seq decision technician vin op rule token_id
while IFS= read -r row; do
	printf '  %-4s %-8s %-12s %-18s %-12s %-34s %s\n' \
	    "$(echo "$row" | field seq)" "$(echo "$row" | field decision)" \
	    "$(echo "$row" | field technician)" "$(echo "$row" | field vin)" \
	    "$(echo "$row" | field op)" "$(echo "$row" | field rule)" \
	    "$(echo "$row" | field token_id)"
done <"$W/audit.jsonl"
say "  ($(wc -l <"$W/audit.jsonl") rows; every token id is the cti of a token that left the broker)"
expect 0 "intact" "the hash chain and the signed checkpoints are intact" \
    "$PITLANECTL" audit verify "$W/audit.db" --pubkey "$P/hsm-broker/broker-signing.pub.pem"

heading "17. The co-signer's own audit trail (its host, its database: the broker cannot edit it)"
sqlite3 -separator ' ' "$W/cosign.db" "SELECT seq, decision, coalesce(nullif(code, ''), '-'),
    coalesce(nullif(technician, ''), '-'), coalesce(nullif(op, ''), '-'),
    substr(detail, 1, 44) FROM cosign_audit ORDER BY seq" >"$W/cosign-rows" 2>&1 ||
    die "cannot read the co-signer's audit"
printf '  %-4s %-8s %-26s %-10s %-16s %s\n' seq decision code technician op detail
while read -r seq dec code tech op detail; do
	printf '  %-4s %-8s %-26s %-10s %-16s %s\n' "$seq" "$dec" "$code" "$tech" "$op" "$detail"
done <"$W/cosign-rows"
expect 0 "" "the co-signer's hash chain is intact" "$COSIGND" --verify-audit "$W/cosign.db"

echo
if [ "$failed" -ne 0 ]; then
	echo "demo: $failed step(s) did not behave as expected"
	exit 1
fi
echo "demo: every step behaved as expected"
