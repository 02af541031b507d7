#!/bin/sh
# pitlane-ecusim with co-signer keys, over a loop: bus, driven by ecu-client:
# the ECU's own configuration (--trust PEM:cosigner, --require) decides which
# signers each operation needs; a token lacking one is refused with 0x51.
# Requirement ids REQ-TOK-222..226: docs/token.md, docs/vehicle.md. The rogue-broker
# checks run on real SocketCAN too: tests/vm/guest-tests.sh, step ecusim-cosign
# (REQ-TOK-227..229).
# usage: test_cosign.sh PITLANE-ECUSIM ECU-CLIENT
set -u
ECUSIM=$1
CLIENT=$2
VIN=WVWZZZ1JZXW000001
tmp=$(mktemp -d)
SIM=
cleanup() {
	[ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export PITLANE_CANBUS_DIR="$tmp/bus"
mkdir -m 700 "$tmp/bus"
BUS="loop:cosign"

fail() {
	echo "FAIL: $*"
	echo "--- last client output"; cat "$tmp/out" 2>/dev/null
	echo "--- ecusim log"; cat "$tmp/sim.log" 2>/dev/null
	exit 1
}
pass() { echo "ok: $*"; }

# run EXPECTED_EXIT PATTERN client-args...
run() {
	want=$1 pat=$2
	shift 2
	"$CLIENT" --can "$BUS" "$@" >"$tmp/out" 2>&1
	got=$?
	[ "$got" -eq "$want" ] || fail "ecu-client $*: exit $got, want $want"
	grep -q -- "$pat" "$tmp/out" || fail "ecu-client $*: no line matching '$pat'"
}
logged() { grep -q -- "$1" "$tmp/sim.log" || fail "ecusim log lacks '$1'"; }
# start_sim ecusim-options...: a fresh ECU (factory state) with these options
start_sim() {
	[ -n "$SIM" ] && stop_sim
	: >"$tmp/sim.log"
	"$ECUSIM" --can "$BUS" --vin "$VIN" --attempts 20 --lockout 1 "$@" 2>>"$tmp/sim.log" &
	SIM=$!
	i=0
	while ! grep -q "event=started" "$tmp/sim.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "pitlane-ecusim did not start"
		kill -0 "$SIM" 2>/dev/null || fail "pitlane-ecusim exited at start"
		sleep 0.05
	done
}
stop_sim() {
	kill -TERM "$SIM"
	wait "$SIM" || fail "pitlane-ecusim: exit $? on SIGTERM"
	SIM=
}

for k in broker cosigner cosigner2 rogue; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$tmp/$k.key" 2>/dev/null || fail "openssl genpkey"
	openssl pkey -in "$tmp/$k.key" -pubout -out "$tmp/$k.pub.pem" 2>/dev/null
done
B="$tmp/broker.key"
C="$tmp/cosigner.key"

# REQ-TOK-222 the ECU's options: roles, --require, their refusals
"$ECUSIM" --help | grep -q -- "--require OP=ROLE" || fail "--help lacks --require"
"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/broker.pub.pem" \
	--require ignition.enable=broker,cosigner 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "add them with --trust PEM:cosigner" "$tmp/err" ||
	fail "a co-signer required without a co-signer key: want exit 2 and the fix"
"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/broker.pub.pem" \
	--require engine.start=broker 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "not an operation of this ECU" "$tmp/err" || fail "unknown op: want 2"
"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/broker.pub.pem" \
	--require door.unlock=boss 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown role" "$tmp/err" || fail "unknown role: want 2"
"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/broker.pub.pem" \
	--trust "$tmp/cosigner.pub.pem:cosigner" --require key.learn=cosigner:2 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "needs 2 cosigner" "$tmp/err" || fail "k over the keys given: want 2"
"$ECUSIM" --can "$BUS" --vin "$VIN" --trust "$tmp/broker.pub.pem" \
	--trust "$tmp/missing.pem:cosigner" 2>"$tmp/err"
[ $? -eq 3 ] && grep -q "event=trust_unreadable.*missing.pem" "$tmp/err" ||
	fail "missing co-signer key: want 3"
pass "REQ-TOK-222 --trust PEM:ROLE and --require checked at start"

# REQ-TOK-223 without a co-signer key the ECU behaves as before: the broker alone
start_sim --trust "$tmp/broker.pub.pem"
logged "event=signers op=ignition.enable broker=1 cosigner=0 from=default"
run 0 "routine=ignition.enable" --flow ignition.enable --key "$B"
run 0 "routine=key.learn" --flow key.learn --key "$B"
pass "REQ-TOK-223 no co-signer key: broker-only tokens as before"

# REQ-TOK-224 with a co-signer key: ignition.enable and key.learn need both
start_sim --trust "$tmp/broker.pub.pem" --trust "$tmp/cosigner.pub.pem:cosigner"
logged "role=cosigner"
logged "event=signers op=ignition.enable broker=1 cosigner=1 from=default"
logged "event=signers op=key.learn broker=1 cosigner=1 from=default"
logged "event=signers op=door.unlock broker=1 cosigner=0 from=default"
run 1 "step=token nrc=0x51" --flow ignition.enable --key "$B"
logged "event=auth_fail reason=signature_missing nrc=0x51"
run 1 "step=token nrc=0x51" --flow ignition.enable --cose-sign --key "$B"
run 1 "step=token nrc=0x51" --flow key.learn --key "$B"
run 1 "step=token nrc=0x51" --flow ignition.enable --key "$C"
run 0 "routine=ignition.enable rid=0xF003" --flow ignition.enable --key "$B" --cosign-key "$C"
logged "event=auth_ok scope=ignition.enable"
run 0 "routine=key.learn" --flow key.learn --key "$B" --cosign-key "$C"
pass "REQ-TOK-224 broker alone refused 0x51 (signature_missing), broker + co-signer accepted"

# REQ-TOK-225 door.unlock with the broker alone; order free; extra signatures
run 0 "routine=door.unlock" --flow door.unlock --key "$B"
run 0 "routine=door.lock" --flow door.lock --cose-sign --key "$B"
run 0 "routine=ignition.enable" --flow ignition.enable --key "$C" --cosign-key "$B"
run 1 "step=token nrc=0x52" --flow ignition.enable --key "$B" --cosign-key "$C" \
	--cosign-key "$tmp/rogue.key"
logged "event=auth_fail reason=kid_unknown nrc=0x52"
run 1 "step=token nrc=0x52" --flow ignition.enable --key "$B" --cosign-key "$tmp/rogue.key"
run 1 "step=token nrc=0x51" --flow ignition.enable --key "$B" --cosign-key "$C" --corrupt-sig
logged "event=auth_fail reason=bad_signature nrc=0x51"
pass "REQ-TOK-225 door.unlock broker-only, order free, unknown or broken signer refused"

# REQ-TOK-226 the configuration decides: --require turns the defaults around
start_sim --trust "$tmp/broker.pub.pem" --trust "$tmp/cosigner.pub.pem:cosigner" \
	--trust "$tmp/cosigner2.pub.pem:cosigner" \
	--require door.unlock=broker,cosigner --require ignition.enable=broker \
	--require key.learn=broker,cosigner:2
logged "event=signers op=door.unlock broker=1 cosigner=1 from=require"
logged "event=signers op=ignition.enable broker=1 cosigner=0 from=require"
run 1 "step=token nrc=0x51" --flow door.unlock --key "$B"
run 0 "routine=door.unlock" --flow door.unlock --key "$B" --cosign-key "$C"
run 0 "routine=ignition.enable" --flow ignition.enable --key "$B"
run 1 "step=token nrc=0x51" --flow key.learn --key "$B" --cosign-key "$C"
run 0 "routine=key.learn" --flow key.learn --key "$B" --cosign-key "$C" \
	--cosign-key "$tmp/cosigner2.key"
pass "REQ-TOK-226 --require: door.unlock co-signed, ignition.enable broker-only, key.learn 2 of 2"

stop_sim
echo PASS
