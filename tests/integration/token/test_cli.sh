#!/bin/sh
# pitlane-token CLI: issue / inspect / verify / cosign and their exit codes (0, 1, 2).
# usage: test_cli.sh PATH/TO/pitlane-token
set -u
T=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
fails=0
VIN=WVWZZZ1JZXW000001
NONCE=00112233445566778899aabbccddeeff

# expect NAME WANTED_EXIT COMMAND...: runs the command, checks its exit code
expect() {
	name=$1; want=$2; shift 2
	"$@" >"$dir/out" 2>"$dir/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL $name: exit $got, wanted $want"; sed 's/^/  | /' "$dir/err"
		fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}
# grep_in NAME FILE PATTERN: the last command's output must contain the pattern
grep_in() {
	if grep -q -- "$3" "$dir/$2"; then echo "ok   $1"; else
		echo "FAIL $1: '$3' not in $2:"; sed 's/^/  | /' "$dir/$2"; fails=$((fails + 1)); fi
}

umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/key.pem" 2>/dev/null || exit 77
openssl pkey -in "$dir/key.pem" -pubout -out "$dir/pub.pem" || exit 77
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/other.pem" 2>/dev/null
openssl pkey -in "$dir/other.pem" -pubout -out "$dir/otherpub.pem"

expect help-main 0 "$T" --help
expect help-inspect 0 "$T" inspect --help
expect help-verify 0 "$T" verify --help
expect help-issue 0 "$T" issue --help
grep_in help-issue-warns out "NOT FOR PRODUCTION"
expect no-command 2 "$T"
expect bad-command 2 "$T" frobnicate

expect issue 0 "$T" issue --key "$dir/key.pem" --vin $VIN --op door.unlock --cnonce $NONCE \
	--now 1767225600 --ttl 600 --exi 60 --iss broker.example --workshop DE-0042 \
	--technician tech-1 --work-order WO-1 --policy-version 3 --out "$dir/tok"
expect issue-hex 0 "$T" issue --key "$dir/key.pem" --vin $VIN --op door.unlock --cnonce $NONCE \
	--now 1767225600 --hex --out "$dir/tok.hex"
expect issue-bad-vin 2 "$T" issue --key "$dir/key.pem" --vin WVWZZZ1JZXW00000I --op x --cnonce $NONCE
expect issue-short-nonce 2 "$T" issue --key "$dir/key.pem" --vin $VIN --op x --cnonce 0011
expect issue-missing-key 2 "$T" issue --vin $VIN --op x --cnonce $NONCE
chmod 644 "$dir/key.pem"
expect issue-key-world-readable 2 "$T" issue --key "$dir/key.pem" --vin $VIN --op x --cnonce $NONCE
grep_in issue-key-mode-message err "secret_mode"
chmod 600 "$dir/key.pem"

expect inspect 0 "$T" inspect "$dir/tok"
grep_in inspect-aud out "\"aud\": \"$VIN\""
grep_in inspect-cnonce out "\"cnonce\": \"$NONCE\""
grep_in inspect-private out "\"work_order\": \"WO-1\""
grep_in inspect-policy out "\"policy_version\": 3"
expect inspect-stdin 0 sh -c "\"$T\" inspect - < \"$dir/tok\""
expect inspect-hex 0 "$T" inspect --hex "$dir/tok.hex"
expect inspect-hex-as-raw 1 "$T" inspect "$dir/tok.hex"
head -c 40 "$dir/tok" >"$dir/short"
expect inspect-truncated 1 "$T" inspect "$dir/short"
grep_in inspect-truncated-offset err "at byte"
expect inspect-missing-file 2 "$T" inspect "$dir/nonexistent"

V="$T verify --trust $dir/pub.pem --vin $VIN --op door.unlock --cnonce $NONCE --now 1767225700"
expect verify 0 $V --age 10 "$dir/tok"
grep_in verify-prints-valid out "^valid$"
expect verify-hex 0 $V --hex "$dir/tok.hex"
expect verify-two-anchors 0 "$T" verify --trust "$dir/otherpub.pem" --trust "$dir/pub.pem" --now 1767225700 "$dir/tok"
expect verify-wrong-vin 1 "$T" verify --trust "$dir/pub.pem" --vin WVWZZZ1JZXW000002 --now 1767225700 "$dir/tok"
grep_in verify-wrong-vin-message err "^invalid: wrong_vin: "
expect verify-wrong-op 1 $V --op door.lock "$dir/tok"
grep_in verify-wrong-op-message err "^invalid: wrong_op: "
expect verify-wrong-cnonce 1 "$T" verify --trust "$dir/pub.pem" --cnonce 00112233445566778899aabbccddeef0 --now 1767225700 "$dir/tok"
grep_in verify-wrong-cnonce-message err "^invalid: wrong_cnonce: "
expect verify-too-old 1 $V --age 61 "$dir/tok"
grep_in verify-too-old-message err "^invalid: challenge_expired: "
expect verify-expired 1 "$T" verify --trust "$dir/pub.pem" --now 1767226300 "$dir/tok"
grep_in verify-expired-message err "^invalid: expired: "
expect verify-no-clock 0 "$T" verify --trust "$dir/pub.pem" --no-clock "$dir/tok"
expect verify-untrusted 1 "$T" verify --trust "$dir/otherpub.pem" --now 1767225700 "$dir/tok"
grep_in verify-untrusted-message err "^invalid: kid_unknown: "
# change one byte inside the signature
size=$(wc -c <"$dir/tok")
cp "$dir/tok" "$dir/flip"
old=$(od -An -tu1 -j $((size - 5)) -N1 "$dir/tok" | tr -d ' ')
new=$(( (old + 1) % 256 ))
printf "$(printf '\\%03o' "$new")" | dd of="$dir/flip" bs=1 seek=$((size - 5)) conv=notrunc 2>/dev/null
if cmp -s "$dir/tok" "$dir/flip"; then echo "FAIL flip: file unchanged"; fails=$((fails + 1)); fi
expect verify-flipped 1 $V "$dir/flip"
grep_in verify-flipped-message err "^invalid: bad_signature: "
expect verify-no-trust 2 "$T" verify "$dir/tok"
expect verify-bad-trust 2 "$T" verify --trust "$dir/tok" "$dir/tok"
expect verify-bad-now 2 "$T" verify --trust "$dir/pub.pem" --now yesterday "$dir/tok"
expect verify-missing-file 2 "$T" verify --trust "$dir/pub.pem" "$dir/nonexistent"

# REQ-TOK-212 COSE_Sign with several signers: issue --cose-sign, cosign, verify --require
expect help-cosign 0 "$T" cosign --help
grep_in help-cosign-warns out "NOT FOR PRODUCTION"
expect issue-sign 0 "$T" issue --cose-sign --key "$dir/key.pem" --vin $VIN --op ignition.enable \
	--cnonce $NONCE --now 1767225600 --out "$dir/sign"
expect inspect-sign 0 "$T" inspect "$dir/sign"
grep_in inspect-sign-tag out '"tag": 98, "signers": \[{"kid": "'
expect cosign 0 "$T" cosign --key "$dir/other.pem" --out "$dir/sign2" "$dir/sign"
expect inspect-sign2 0 "$T" inspect "$dir/sign2"
grep_in inspect-sign2-two out '"signers": \[{"kid": "[0-9a-f]*", "signature": "[0-9a-f]*"}, {"kid"'
expect cosign-again 1 "$T" cosign --key "$dir/other.pem" "$dir/sign2"
grep_in cosign-again-message err "duplicate_signer"
expect issue-sign-hex 0 "$T" issue --cose-sign --key "$dir/key.pem" --vin $VIN --op ignition.enable \
	--cnonce $NONCE --now 1767225600 --hex --out "$dir/sign.hex"
expect cosign-sig-only 0 "$T" cosign --key "$dir/other.pem" --signature-only --hex "$dir/sign.hex"
grep_in cosign-sig-only-layout out "^834da2012604"
expect cosign-sign1 1 "$T" cosign --key "$dir/other.pem" "$dir/tok"
grep_in cosign-sign1-message err "not_sign"
VS="$T verify --now 1767225700 --trust $dir/pub.pem"
expect verify-sign-broker 0 $VS "$dir/sign"
expect verify-sign-needs-cosigner 1 $VS --trust "$dir/otherpub.pem:cosigner" --require broker,cosigner "$dir/sign"
grep_in verify-sign-needs-cosigner-message err "^invalid: signature_missing: "
expect verify-sign2 0 $VS --trust "$dir/otherpub.pem:cosigner" --require broker,cosigner "$dir/sign2"
expect verify-sign2-wrong-role 1 $VS --trust "$dir/otherpub.pem" --require broker,cosigner "$dir/sign2"
expect verify-sign2-unknown 1 $VS "$dir/sign2"
grep_in verify-sign2-unknown-message err "^invalid: kid_unknown: "
expect verify-sign2-k2 1 $VS --trust "$dir/otherpub.pem:cosigner" --require broker,cosigner:2 "$dir/sign2"
expect verify-bad-require 2 $VS --require boss "$dir/sign2"

# REQ-TOK-214 without --require, verify is plt_verify: one broker signature needed
expect issue-cosigner-alone 0 "$T" issue --cose-sign --key "$dir/other.pem" --vin $VIN \
	--op door.unlock --cnonce $NONCE --now 1767225600 --out "$dir/cos-alone"
expect verify-cosigner-alone 1 $VS --trust "$dir/otherpub.pem:cosigner" "$dir/cos-alone"
grep_in verify-cosigner-alone-message err "^invalid: signature_missing: "
expect verify-sign2-no-require 0 $VS --trust "$dir/otherpub.pem:cosigner" "$dir/sign2"

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all pitlane-token CLI checks passed"
