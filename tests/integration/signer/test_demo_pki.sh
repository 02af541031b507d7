#!/bin/sh
# REQ-HSM-040..045: packaging/demo-pki.sh builds the documented layout, and the
# material is what it claims to be, checked with openssl and pkcs11-tool.
# usage: test_demo_pki.sh path/to/demo-pki.sh
set -eu
SCRIPT=$1
T=$(mktemp -d /tmp/pitlane-demo-pki-XXXXXX)
trap 'rm -rf "$T"' EXIT
D=$T/pki
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() {
	echo "ok: $*"
}

start=$(date +%s%N)
sh "$SCRIPT" "$D" >/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "demo-pki.sh took ${ms} ms"
[ "$ms" -lt 10000 ] || fail "demo-pki.sh took ${ms} ms (should be a couple of seconds)"

# REQ-HSM-040: the layout
for f in README ca/ca.crt ca/ca.key ca/crl.pem other-ca/ca.crt other-ca/ca.key \
    broker/broker.crt broker/broker.key broker/broker.spki-pin \
    hsm-broker/softhsm2.conf hsm-broker/pin hsm-broker/broker-signing.pub.pem \
    hsm-agent/softhsm2.conf hsm-agent/pin; do
	[ -s "$D/$f" ] || fail "missing $f"
done
for dev in ws-muc-01-pc1 ws-ber-02-pc1 device-expired device-notyet device-revoked device-other-ca; do
	[ -s "$D/devices/$dev.crt" ] && [ -s "$D/devices/$dev.key" ] || fail "missing device $dev"
done
for t in tech-anna tech-ben tech-carl officer-olga; do
	[ -s "$D/technicians/$t.crt" ] || fail "missing technician $t"
done
grep -q "DEMO MATERIAL" "$D/README" || fail "README does not mark the demo material"
ok "REQ-HSM-040 layout"

# REQ-HSM-041: secrets are owner-only
for f in hsm-broker/pin hsm-agent/pin ca/ca.key broker/broker.key devices/ws-muc-01-pc1.key; do
	m=$(stat -c %a "$D/$f")
	[ "$m" = 600 ] || fail "$f has mode $m, want 600"
done
ok "REQ-HSM-041 secret file modes"

# REQ-HSM-042: chain, validity window, CRL, other CA, identities
v() {
	openssl verify -CAfile "$D/ca/ca.crt" -crl_check -CRLfile "$D/ca/crl.pem" "$1" 2>&1
}
for c in devices/ws-muc-01-pc1 devices/ws-ber-02-pc1 broker/broker technicians/tech-anna \
    technicians/tech-ben technicians/tech-carl technicians/officer-olga; do
	v "$D/$c.crt" | grep -q ": OK$" || fail "$c does not verify against the dealer CA"
done
v "$D/devices/device-expired.crt" | grep -q "certificate has expired" || fail "device-expired"
v "$D/devices/device-notyet.crt" | grep -q "certificate is not yet valid" || fail "device-notyet"
v "$D/devices/device-revoked.crt" | grep -q "certificate revoked" || fail "device-revoked"
v "$D/devices/device-other-ca.crt" | grep -q "unable to get local issuer" || fail "other CA"
openssl verify -CAfile "$D/other-ca/ca.crt" "$D/devices/device-other-ca.crt" | grep -q ": OK$" ||
    fail "device-other-ca not issued by other-ca"
subj() {
	openssl x509 -in "$D/$1" -noout -subject -nameopt RFC2253
}
subj devices/ws-ber-02-pc1.crt | grep -q "CN=ws-ber-02-pc1,OU=ws-ber-02" || fail "device subject"
subj technicians/officer-olga.crt | grep -q "CN=officer-olga,OU=oem-security" ||
    fail "technician subject"
openssl x509 -in "$D/devices/ws-muc-01-pc1.crt" -noout -ext extendedKeyUsage |
    grep -q "TLS Web Client Authentication" || fail "device clientAuth"
openssl x509 -in "$D/technicians/tech-anna.crt" -noout -ext keyUsage |
    grep -q "Digital Signature" || fail "technician digitalSignature"
openssl x509 -in "$D/broker/broker.crt" -noout -ext subjectAltName |
    grep -q "DNS:localhost, IP Address:127.0.0.1" || fail "broker SAN"
openssl x509 -in "$D/broker/broker.crt" -noout -ext extendedKeyUsage |
    grep -q "TLS Web Server Authentication" || fail "broker serverAuth"
pin=$(openssl pkey -in "$D/broker/broker.key" -pubout -outform der |
    openssl dgst -sha256 -binary | openssl enc -base64)
[ "$pin" = "$(cat "$D/broker/broker.spki-pin")" ] || fail "spki pin does not match the TLS key"
ok "REQ-HSM-042 certificates, CRL, identities"

# REQ-HSM-043: the broker token holds the signing key; the exported PEM is its public half
MOD=$(ls /usr/lib/*/softhsm/libsofthsm2.so | head -n 1)
export SOFTHSM2_CONF="$D/hsm-broker/softhsm2.conf"
pkcs11-tool --module "$MOD" --token-label pitlane-broker --read-object --type pubkey \
    --label broker-signing -o "$T/b.der" >/dev/null 2>&1 || fail "broker-signing not in token"
openssl pkey -pubin -inform DER -in "$T/b.der" -out "$T/b.pem"
cmp -s "$T/b.pem" "$D/hsm-broker/broker-signing.pub.pem" || fail "exported key differs"
pkcs11-tool --module "$MOD" --token-label pitlane-broker --login \
    --pin "$(cat "$D/hsm-broker/pin")" -O --type privkey 2>/dev/null |
    grep -q "never extractable" || fail "broker private key extractable"
printf 'demo' > "$T/msg"
openssl dgst -sha256 -binary "$T/msg" > "$T/msg.sha256"
# SoftHSM2 has no CKM_ECDSA_SHA256: sign the digest with CKM_ECDSA
pkcs11-tool --module "$MOD" --token-label pitlane-broker --login \
    --pin "$(cat "$D/hsm-broker/pin")" --sign -m ECDSA --label broker-signing \
    --signature-format openssl -i "$T/msg.sha256" -o "$T/msg.sig" >/dev/null 2>&1 ||
    fail "cannot sign with the broker key"
openssl dgst -sha256 -verify "$D/hsm-broker/broker-signing.pub.pem" -signature "$T/msg.sig" \
    "$T/msg" | grep -q "Verified OK" || fail "broker key signature does not verify"
ok "REQ-HSM-043 broker signing key in the token"

# REQ-HSM-044: each technician certificate is for the key inside the agent token
export SOFTHSM2_CONF="$D/hsm-agent/softhsm2.conf"
for t in tech-anna tech-ben tech-carl officer-olga; do
	pkcs11-tool --module "$MOD" --token-label pitlane-technicians --read-object \
	    --type pubkey --label "$t" -o "$T/t.der" >/dev/null 2>&1 || fail "$t key not in token"
	a=$(openssl pkey -pubin -inform DER -in "$T/t.der" -outform der | sha256sum)
	b=$(openssl x509 -in "$D/technicians/$t.crt" -noout -pubkey | openssl pkey -pubin \
	    -outform der | sha256sum)
	[ "$a" = "$b" ] || fail "$t certificate is not for the token key"
done
ok "REQ-HSM-044 technician certificates match token keys"

# REQ-APR-001: the officers block: a CA of its own, officer keys in their own token,
# certificates for them; the test material is what it claims to be
for f in officer-ca/ca.crt officer-ca/ca.key hsm-officers/softhsm2.conf hsm-officers/pin; do
	[ -s "$D/$f" ] || fail "missing $f"
done
for o in officer-anna officer-ben officer-olga; do
	openssl verify -CAfile "$D/officer-ca/ca.crt" "$D/officers/$o.crt" | grep -q ": OK$" ||
	    fail "$o does not verify against the officer CA"
	openssl verify -CAfile "$D/ca/ca.crt" "$D/officers/$o.crt" >/dev/null 2>&1 &&
	    fail "$o verifies against the dealer CA"
	subj "officers/$o.crt" | grep -q "CN=$o,OU=oem-security" || fail "$o subject"
done
openssl verify -CAfile "$D/officer-ca/ca.crt" "$D/officers/officer-expired.crt" 2>&1 |
    grep -q "certificate has expired" || fail "officer-expired"
openssl verify -CAfile "$D/other-ca/ca.crt" "$D/officers/officer-other-ca.crt" | grep -q ": OK$" ||
    fail "officer-other-ca not issued by other-ca"
[ "$(stat -c %a "$D/hsm-officers/pin")" = 600 ] || fail "officer pin mode"
export SOFTHSM2_CONF="$D/hsm-officers/softhsm2.conf"
for o in officer-anna officer-ben officer-olga officer-other-ca officer-expired; do
	pkcs11-tool --module "$MOD" --token-label pitlane-officers --read-object \
	    --type pubkey --label "$o" -o "$T/o.der" >/dev/null 2>&1 || fail "$o key not in token"
	a=$(openssl pkey -pubin -inform DER -in "$T/o.der" -outform der | sha256sum)
	b=$(openssl x509 -in "$D/officers/$o.crt" -noout -pubkey | openssl pkey -pubin \
	    -outform der | sha256sum)
	[ "$a" = "$b" ] || fail "$o certificate is not for the token key"
done
[ ! -e "$D/officers/officer-expired.key" ] || fail "the expired officer's file key was left"
ok "REQ-APR-001 officer CA, officer token and certificates"

# REQ-HSM-045: idempotent on a complete DIR, refuses a foreign non-empty DIR
sh "$SCRIPT" "$D" >/dev/null || fail "second run on a complete DIR failed"
mkdir "$T/other"
: > "$T/other/file"
if sh "$SCRIPT" "$T/other" >/dev/null 2>&1; then
	fail "accepted a non-empty directory"
fi
ok "REQ-HSM-045 idempotent, refuses foreign directories"
