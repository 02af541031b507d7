#!/bin/sh
# Interim `make demo`: the token library at work, until the full demo (broker,
# agent, vehicle) replaces it. Issues a token with a throw-away software P-256
# key, inspects it, verifies it, and shows it rejected for a wrong VIN and for
# a flipped byte. Exits 0 only if every step behaved as expected.
# usage: packaging/demo.sh BUILD_DIR
set -u
build=${1:-build}
T=$build/lib/token/cli/pitlane-token
if [ ! -x "$T" ]; then
	echo "demo: $T not found: build first (make)" >&2
	exit 2
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
umask 077
VIN=WVWZZZ1JZXW000001
OP=door.unlock
failed=0

heading() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" 2>&1; }
# step WANTED_EXIT DESCRIPTION COMMAND...
step() {
	want=$1 what=$2; shift 2
	run "$@"
	got=$?
	if [ "$got" -eq "$want" ]; then
		printf '   -> %s (exit %d, as expected)\n' "$what" "$got"
	else
		printf '   -> UNEXPECTED: exit %d, wanted %d (%s)\n' "$got" "$want" "$what"
		failed=$((failed + 1))
	fi
}

# reject CODE DESCRIPTION COMMAND...: must exit 1 and say "invalid: CODE:"
reject() {
	code=$1 what=$2; shift 2
	printf '$ %s\n' "$*"
	out=$("$@" 2>&1)
	got=$?
	printf '%s\n' "$out"
	if [ "$got" -eq 1 ] && printf '%s\n' "$out" | grep -q "^invalid: $code:"; then
		printf '   -> %s (exit 1, code %s, as expected)\n' "$what" "$code"
	else
		printf '   -> UNEXPECTED: exit %d, wanted 1 with code %s (%s)\n' "$got" "$code" "$what"
		failed=$((failed + 1))
	fi
}

heading "1. A software signing key (the broker keeps its real key in an HSM)"
run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/key.pem" 2>/dev/null &&
	run openssl pkey -in "$dir/key.pem" -pubout -out "$dir/trust.pem" || { echo "demo: openssl failed" >&2; exit 1; }
cat "$dir/trust.pem"

heading "2. The ECU's challenge: a fresh 16-byte nonce"
nonce=$(openssl rand -hex 16)
echo "cnonce = $nonce"

heading "3. Issue a token for VIN $VIN, operation $OP"
step 0 "token issued" "$T" issue --key "$dir/key.pem" --vin $VIN --op $OP --cnonce "$nonce" \
	--ttl 300 --exi 120 --iss demo-broker --workshop DE-0042-DEMO --technician tech-demo \
	--work-order WO-DEMO-1 --policy-version 1 --out "$dir/token.cbor"
[ -f "$dir/token.cbor" ] && echo "   $(wc -c <"$dir/token.cbor") bytes of CBOR (COSE_Sign1, tag 18, ES256)"

heading "4. Inspect it (header and claims as JSON)"
step 0 "token decodes" "$T" inspect "$dir/token.cbor"

heading "5. The ECU verifies it: signature, VIN, operation, challenge, age"
step 0 "accepted" "$T" verify --trust "$dir/trust.pem" --vin $VIN --op $OP --cnonce "$nonce" \
	--age 4 "$dir/token.cbor"

heading "6. Another vehicle rejects it"
reject wrong_vin "rejected for another vehicle" "$T" verify --trust "$dir/trust.pem" --vin WVWZZZ1JZXW000002 --op $OP \
	--cnonce "$nonce" --age 4 "$dir/token.cbor"

heading "7. One flipped byte in the signature: rejected"
size=$(wc -c <"$dir/token.cbor")
cp "$dir/token.cbor" "$dir/flipped.cbor"
pos=$((size - 10))
old=$(od -An -tu1 -j $pos -N1 "$dir/token.cbor" | tr -d ' ')
new=$((old ^ 1))
printf "$(printf '\\%03o' "$new")" | dd of="$dir/flipped.cbor" bs=1 seek=$pos conv=notrunc 2>/dev/null
printf 'byte %d: %02x -> %02x\n' "$pos" "$old" "$new"
reject bad_signature "rejected: the signature no longer matches" "$T" verify --trust "$dir/trust.pem" --vin $VIN --op $OP \
	--cnonce "$nonce" --age 4 "$dir/flipped.cbor"

echo
if [ "$failed" -ne 0 ]; then
	echo "demo: $failed step(s) did not behave as expected"
	exit 1
fi
echo "demo: every step behaved as expected"
