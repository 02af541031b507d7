#!/bin/sh
# REQ-HSM-050: the installed tool path: `pitlanectl pki init DIR` builds the demo
# PKI and `pitlanectl key export` prints the broker key that demo-pki.sh exported,
# in PEM (verified by openssl) and as a COSE_Key; the kid goes to stderr.
# usage: test_key_export.sh path/to/pitlanectl   (exit 77 = skipped: not built)
set -eu
CTL=$1
[ -x "$CTL" ] || { echo "pitlanectl not built: skipped"; exit 77; }
T=$(mktemp -d /tmp/pitlane-key-export-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
D=$T/pki
"$CTL" pki init "$D" >/dev/null || fail "pitlanectl pki init failed"
export SOFTHSM2_CONF="$D/hsm-broker/softhsm2.conf"
URI="pkcs11:token=pitlane-broker;object=broker-signing;type=private"
"$CTL" key export --key-uri "$URI" --pin-file "$D/hsm-broker/pin" >"$T/out.pem" 2>"$T/err" ||
    fail "key export failed: $(cat "$T/err")"
openssl pkey -pubin -in "$T/out.pem" -out "$T/norm.pem" || fail "output is not a PEM key"
cmp -s "$T/norm.pem" "$D/hsm-broker/broker-signing.pub.pem" || fail "exported key differs"
kid=$(sed -n 's/^kid \([0-9a-f]\{16\}\)$/\1/p' "$T/err")
want=$(openssl pkey -pubin -in "$D/hsm-broker/broker-signing.pub.pem" -outform der |
    openssl dgst -sha256 -binary | od -An -tx1 -N8 | tr -d ' \n')
[ -n "$kid" ] && [ "$kid" = "$want" ] || fail "kid '$kid' on stderr, want '$want'"
"$CTL" key export --key-uri "$URI" --pin-file "$D/hsm-broker/pin" --format cose \
    >"$T/key.cose" 2>/dev/null || fail "cose export failed"
# map(6) {1:2, 2:h'kid' ...}: a6 01 02 02 48 <kid>
hdr=$(od -An -tx1 -N13 "$T/key.cose" | tr -d ' \n')
[ "$hdr" = "a601020248$want" ] || fail "COSE_Key starts $hdr"
chmod 644 "$D/hsm-broker/pin"
if "$CTL" key export --key-uri "$URI" --pin-file "$D/hsm-broker/pin" >/dev/null 2>"$T/err"; then
	fail "a world-readable PIN file was accepted"
fi
grep -q "secret_mode" "$T/err" || fail "no secret_mode in: $(cat "$T/err")"
echo "ok: REQ-HSM-050 pitlanectl pki init / key export"
