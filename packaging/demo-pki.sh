#!/bin/sh
# demo-pki.sh DIR -- build the pitlane DEMO PKI and SoftHSM2 tokens in DIR.
#
# DEMO MATERIAL ONLY: every key below is generated on this machine, stored
# unprotected (CA keys, TLS keys) or behind a random PIN written next to the
# token. Never use it for a real vehicle or workshop.
#
# Layout (see docs/hsm.md):
#   ca/ca.crt ca.key crl.pem           dealer CA; the CRL revokes device-revoked
#   other-ca/ca.crt ca.key             a CA the broker does not trust
#   broker/broker.crt broker.key       TLS server (SAN DNS:localhost, IP:127.0.0.1)
#   broker/broker.spki-pin             base64 sha256 of the TLS key's SPKI (curl)
#   devices/<device>.crt .key          TLS clients, CN=<device>, OU=<workshop>
#   hsm-broker/softhsm2.conf tokens/ pin so-pin broker-signing.pub.pem
#                                      token "pitlane-broker", P-256 key
#                                      "broker-signing" id 01
#   hsm-agent/softhsm2.conf tokens/ pin so-pin
#                                      token "pitlane-technicians", one P-256
#                                      key per technician, label = technician id
#   technicians/<tech>.crt             certificates for the keys in hsm-agent; their
#                                      only EKU is the technician marker (technician_eku)
#   technicians/tech-revoked.crt .key  technician certificates to be refused (file keys):
#   technicians/tech-other-ca.crt .key revoked by the CRL / issued by other-ca
#   technicians/tech-unlisted.crt .key valid, but no technician of any policy
#
# Only openssl, softhsm2-util and pkcs11-tool are used. Runs in about a second.
# DIR must be empty or absent; on a DIR that already holds a complete demo PKI
# (DIR/.complete) the script does nothing and exits 0.
#
# Environment: PITLANE_SOFTHSM_MODULE overrides the SoftHSM2 module path.
set -eu

prog=demo-pki.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $prog DIR (an empty or absent directory)"
D=$1

for t in openssl softhsm2-util pkcs11-tool; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "'$t' not found in PATH; install the packages of packaging/install-deps.sh"
done

find_module() {
	if [ -n "${PITLANE_SOFTHSM_MODULE:-}" ]; then
		echo "$PITLANE_SOFTHSM_MODULE"
		return
	fi
	for m in /usr/lib/*/softhsm/libsofthsm2.so /usr/lib/softhsm/libsofthsm2.so \
	    /usr/local/lib/softhsm/libsofthsm2.so; do
		if [ -f "$m" ]; then
			echo "$m"
			return
		fi
	done
}
MOD=$(find_module)
[ -n "$MOD" ] && [ -f "$MOD" ] ||
    die "SoftHSM2 module libsofthsm2.so not found; install softhsm2 or set PITLANE_SOFTHSM_MODULE"

if [ -e "$D/.complete" ]; then
	echo "$prog: $D already holds a demo PKI; nothing to do"
	exit 0
fi
if [ -d "$D" ] && [ -n "$(ls -A "$D")" ]; then
	die "$D is not empty and holds no complete demo PKI; give a fresh directory"
fi
mkdir -p "$D"
D=$(cd "$D" && pwd)
umask 077
cd "$D"

log=$D/.demo-pki.log
: > "$log"
run() {
	if ! "$@" >>"$log" 2>&1; then
		echo "$prog: command failed: $*" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
}

SUBJ_O="/O=Pitlane Demo"
# technician_eku (docs/broker.md): the extended key usage that marks a technician
# certificate. Device certificates carry clientAuth and not this; the broker requires it
# on the certificate that signs a request and refuses it as a TLS client.
TECH_EKU=2.25.197166621731967863758900043443745532342

cat > openssl.cnf <<'CNF'
# pitlane demo PKI -- openssl configuration (demo material)
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca ]
default_ca = CA_dealer
[ CA_dealer ]
dir = ./ca
certificate = $dir/ca.crt
private_key = $dir/ca.key
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 825
default_crl_days = 365
policy = policy_any
unique_subject = no
copy_extensions = none
[ CA_other ]
dir = ./other-ca
certificate = $dir/ca.crt
private_key = $dir/ca.key
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 825
default_crl_days = 365
policy = policy_any
unique_subject = no
[ policy_any ]
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ server ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost,IP:127.0.0.1
[ client ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

genkey() {
	run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

mkca() {
	dir=$1
	cn=$2
	mkdir -p "$dir/newcerts"
	: > "$dir/index.txt"
	echo 1000 > "$dir/serial"
	echo 1000 > "$dir/crlnumber"
	genkey "$dir/ca.key"
	run openssl req -config openssl.cnf -new -x509 -key "$dir/ca.key" -sha256 \
	    -days 3650 -subj "$SUBJ_O/CN=$cn" -extensions v3_ca -out "$dir/ca.crt"
}

# issue OUTBASE CA-SECTION EXTENSIONS SUBJECT [openssl ca args...]
issue() {
	out=$1
	sect=$2
	ext=$3
	subj=$4
	shift 4
	genkey "$out.key"
	run openssl req -config openssl.cnf -new -key "$out.key" -subj "$subj" -out "$out.csr"
	run openssl ca -config openssl.cnf -name "$sect" -batch -notext \
	    -extensions "$ext" -in "$out.csr" -out "$out.crt" "$@"
	rm -f "$out.csr"
}

# --- certificate authorities -------------------------------------------------
mkdir -p ca other-ca broker devices technicians hsm-broker/tokens hsm-agent/tokens
mkca ca "Pitlane Demo Dealer CA"
mkca other-ca "Pitlane Demo Untrusted CA"

# --- broker TLS --------------------------------------------------------------
issue broker/broker CA_dealer server "$SUBJ_O/OU=oem-broker/CN=localhost"
openssl x509 -in broker/broker.crt -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | openssl enc -base64 > broker/broker.spki-pin

# --- workshop devices (TLS clients) -----------------------------------------
issue devices/ws-muc-01-pc1 CA_dealer client "$SUBJ_O/OU=ws-muc-01/CN=ws-muc-01-pc1"
issue devices/ws-ber-02-pc1 CA_dealer client "$SUBJ_O/OU=ws-ber-02/CN=ws-ber-02-pc1"
issue devices/device-expired CA_dealer client "$SUBJ_O/OU=ws-muc-01/CN=device-expired" \
    -startdate 20200101000000Z -enddate 20200102000000Z
issue devices/device-notyet CA_dealer client "$SUBJ_O/OU=ws-muc-01/CN=device-notyet" \
    -startdate 20990101000000Z -enddate 20991231000000Z
issue devices/device-revoked CA_dealer client "$SUBJ_O/OU=ws-muc-01/CN=device-revoked"
issue devices/device-other-ca CA_other client "$SUBJ_O/OU=ws-muc-01/CN=device-other-ca"
# technician certificates the broker must refuse, with file keys (test material): one the
# CRL revokes, one issued by the untrusted CA, one valid but named in no policy (an
# identity the policy does not know); all carry the technician marker
cat > tech-refused.cnf <<CNF
[ technician ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,$TECH_EKU
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
issue technicians/tech-revoked CA_dealer technician "$SUBJ_O/OU=ws-muc-01/CN=tech-revoked" \
    -extfile tech-refused.cnf
issue technicians/tech-other-ca CA_other technician "$SUBJ_O/OU=ws-muc-01/CN=tech-other-ca" \
    -extfile tech-refused.cnf
issue technicians/tech-unlisted CA_dealer technician "$SUBJ_O/OU=ws-muc-01/CN=tech-unlisted" \
    -extfile tech-refused.cnf
rm -f tech-refused.cnf
run openssl ca -config openssl.cnf -name CA_dealer -revoke devices/device-revoked.crt \
    -crl_reason keyCompromise
run openssl ca -config openssl.cnf -name CA_dealer -revoke technicians/tech-revoked.crt \
    -crl_reason keyCompromise
run openssl ca -config openssl.cnf -name CA_dealer -gencrl -crldays 365 -out ca/crl.pem

# --- SoftHSM2 tokens ---------------------------------------------------------
# mkhsm DIR LABEL: private softhsm2.conf, random user PIN and SO PIN (0600)
mkhsm() {
	h=$D/$1
	chmod 700 "$h" "$h/tokens"
	cat > "$h/softhsm2.conf" <<EOF
# pitlane demo SoftHSM2 configuration (demo material)
directories.tokendir = $h/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
slots.mechanisms = ALL
library.reset_on_fork = false
EOF
	openssl rand -hex 8 > "$h/pin"
	openssl rand -hex 8 > "$h/so-pin"
	chmod 600 "$h/pin" "$h/so-pin"
	SOFTHSM2_CONF=$h/softhsm2.conf run softhsm2-util --init-token --free --label "$2" \
	    --so-pin "$(cat "$h/so-pin")" --pin "$(cat "$h/pin")"
}

# p11key HSMDIR TOKEN LABEL ID PUBOUT: P-256 key pair in the token, public key as PEM
p11key() {
	h=$D/$1
	SOFTHSM2_CONF=$h/softhsm2.conf run pkcs11-tool --module "$MOD" --token-label "$2" \
	    --login --pin "$(cat "$h/pin")" --keypairgen --key-type EC:prime256v1 \
	    --label "$3" --id "$4" --usage-sign
	SOFTHSM2_CONF=$h/softhsm2.conf run pkcs11-tool --module "$MOD" --token-label "$2" \
	    --read-object --type pubkey --label "$3" -o "$5.der"
	run openssl pkey -pubin -inform DER -in "$5.der" -out "$5"
	rm -f "$5.der"
}

mkhsm hsm-broker pitlane-broker
p11key hsm-broker pitlane-broker broker-signing 01 "$D/hsm-broker/broker-signing.pub.pem"

mkhsm hsm-agent pitlane-technicians
# technician certificates: issued by the dealer CA for the public key of the
# technician's key pair that lives (non-extractable) inside the agent token
cat > technicians/ext.cnf <<CNF
[ technician ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,$TECH_EKU
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
n=1
for tw in tech-anna:ws-muc-01 tech-ben:ws-muc-01 tech-carl:ws-ber-02 officer-olga:oem-security; do
	tech=${tw%%:*}
	ws=${tw#*:}
	id=$(printf '%02x' "$n")
	p11key hsm-agent pitlane-technicians "$tech" "$id" "technicians/$tech.pub.pem"
	run openssl x509 -new -subj "$SUBJ_O/OU=$ws/CN=$tech" \
	    -force_pubkey "technicians/$tech.pub.pem" \
	    -CA ca/ca.crt -CAkey ca/ca.key -set_serial "$((0x2000 + n))" -days 825 -sha256 \
	    -extfile technicians/ext.cnf -extensions technician -out "technicians/$tech.crt"
	n=$((n + 1))
done
rm -f technicians/ext.cnf

# --- marking -----------------------------------------------------------------
cat > README <<EOF
PITLANE DEMO PKI -- DEMO MATERIAL, NOT FOR PRODUCTION
====================================================
Generated by packaging/demo-pki.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ).
All private keys here are throw-away demo keys. The CA keys and TLS keys lie
unencrypted on disk; the SoftHSM2 PINs are in hsm-*/pin (mode 0600).
Never trust ca/ca.crt or hsm-broker/broker-signing.pub.pem on a real vehicle.

ca/ca.crt, ca.key, crl.pem        dealer CA; the CRL revokes device-revoked
other-ca/ca.crt, ca.key           a CA the broker does not trust
broker/broker.crt, broker.key     broker TLS (SAN DNS:localhost, IP:127.0.0.1)
broker/broker.spki-pin            curl --pinnedpubkey sha256//\$(cat broker.spki-pin)
devices/*.crt, *.key              workshop devices: CN=device id, OU=workshop
    ws-muc-01-pc1 (ws-muc-01), ws-ber-02-pc1 (ws-ber-02),
    device-expired, device-notyet, device-revoked (ws-muc-01),
    device-other-ca (issued by other-ca)
hsm-broker/                       SOFTHSM2_CONF=\$PWD/hsm-broker/softhsm2.conf
    token "pitlane-broker", key "broker-signing" (id 01), P-256
    URI pkcs11:token=pitlane-broker;object=broker-signing;type=private
    broker-signing.pub.pem = the ECU trust anchor
hsm-agent/                        SOFTHSM2_CONF=\$PWD/hsm-agent/softhsm2.conf
    token "pitlane-technicians", one P-256 key per technician (label = id)
technicians/*.crt                 CN=technician id, OU=workshop, for the token keys;
    EKU = the technician marker $TECH_EKU only
    (broker.conf technician_eku): they sign requests, never TLS
    tech-anna, tech-ben (ws-muc-01), tech-carl (ws-ber-02),
    officer-olga (oem-security, approver)
technicians/tech-revoked, tech-other-ca (.crt, .key)
    technician certificates the broker refuses (revoked; issued by other-ca)
EOF
chmod 644 README ca/ca.crt other-ca/ca.crt ca/crl.pem broker/broker.crt \
    broker/broker.spki-pin devices/*.crt technicians/*.crt technicians/*.pub.pem \
    hsm-broker/broker-signing.pub.pem
chmod 755 "$D" ca other-ca broker devices technicians
# --- officers ----------------------------------------------------------------
# OEM security officers decide approvals with pitlanectl, each signing with their own key
# (docs/abuse.md). Their certificates come from a CA of their own, the officer CA
# (broker.conf officer_ca), never from the dealer CA: a workshop certificate cannot stand
# in for an officer, nor the reverse.
#   officer-ca/ca.crt ca.key               the officer CA
#   hsm-officers/softhsm2.conf tokens/ pin token "pitlane-officers", one P-256 key per
#                                          officer (label = officer name)
#   officers/<officer>.crt .pub.pem        officer-anna, officer-ben, officer-olga
#                                          (CN=<officer>, OU=oem-security)
#   officers/officer-other-ca.crt          test material: a token key certified by other-ca
#   officers/officer-expired.crt           test material: an officer certificate that expired
#                                          in 2020 (its key is in the token too)
cat >> openssl.cnf <<'CNF'
[ CA_officer ]
dir = ./officer-ca
certificate = $dir/ca.crt
private_key = $dir/ca.key
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 825
default_crl_days = 365
policy = policy_any
unique_subject = no
[ officer ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
mkdir -p officer-ca officers hsm-officers/tokens
mkca officer-ca "Pitlane Demo Officer CA"
mkhsm hsm-officers pitlane-officers
# officer CA-DIR NAME ID: a key pair in the officer token, its certificate by that CA
officer() {
	p11key hsm-officers pitlane-officers "$2" "$3" "officers/$2.pub.pem"
	run openssl x509 -new -subj "$SUBJ_O/OU=oem-security/CN=$2" \
	    -force_pubkey "officers/$2.pub.pem" -CA "$1/ca.crt" -CAkey "$1/ca.key" \
	    -set_serial "$((0x3000 + 0x$3))" -days 825 -sha256 -extfile openssl.cnf \
	    -extensions officer -out "officers/$2.crt"
}
officer officer-ca officer-anna 01
officer officer-ca officer-ben 02
officer officer-ca officer-olga 03
officer other-ca officer-other-ca 04
# expired: openssl 3.0 sets past dates only through `openssl ca`, which needs the key;
# the key is made as a file, certified, imported into the token and deleted
issue officers/officer-expired CA_officer officer "$SUBJ_O/OU=oem-security/CN=officer-expired" \
    -startdate 20200101000000Z -enddate 20200102000000Z
run openssl pkey -in officers/officer-expired.key -outform DER -out officers/x.der
run openssl pkey -in officers/officer-expired.key -pubout -outform DER -out officers/x.pub.der
for t in privkey:x.der pubkey:x.pub.der; do
	SOFTHSM2_CONF=$D/hsm-officers/softhsm2.conf run pkcs11-tool --module "$MOD" \
	    --token-label pitlane-officers --login --pin "$(cat "$D/hsm-officers/pin")" \
	    --write-object "officers/${t#*:}" --type "${t%%:*}" --label officer-expired --id 05 \
	    --usage-sign
done
rm -f officers/x.der officers/x.pub.der officers/officer-expired.key
cat >> README <<EOF
officer-ca/ca.crt, ca.key         the officer CA (broker.conf officer_ca), apart from the dealer CA
hsm-officers/                     SOFTHSM2_CONF=\$PWD/hsm-officers/softhsm2.conf
    token "pitlane-officers", one P-256 key per officer (label = officer name)
officers/*.crt                    CN=officer name, OU=oem-security, for the token keys:
    officer-anna, officer-ben, officer-olga (officer CA); test material:
    officer-other-ca (issued by other-ca), officer-expired (expired 2020)
EOF
chmod 644 officer-ca/ca.crt officers/*.crt officers/*.pub.pem
chmod 755 officer-ca officers

# === co-signer ===============================================================
# The co-signer pitlane-cosignd (docs/cosigner.md), on its own host in production: its own
# SoftHSM2 token and key, its TLS server certificate, and the broker's client certificate
# for it, both issued by a "service CA" that only these two services trust (not the dealer
# CA: a workshop certificate must never reach the co-signer).
#   service-ca/ca.crt ca.key                   CA of the broker <-> co-signer mTLS
#   cosigner/cosigner.crt .key .spki-pin       co-signer TLS server (SAN localhost,
#                                              127.0.0.1); the broker pins its key
#   broker-client/broker-client.crt .key       the broker's client certificate for the
#   broker-client/broker-client.spki-pin       co-signer; the co-signer pins its key
#   broker-client/unpinned-client.crt .key     valid service-CA client, another key (tests)
#   hsm-cosigner/softhsm2.conf tokens/ pin so-pin cosigner-signing.pub.pem
#                                              token "pitlane-cosigner", P-256 key
#                                              "cosigner-signing" id 01
mkdir -p service-ca cosigner broker-client hsm-cosigner/tokens
cat >> openssl.cnf <<'CNF'
[ CA_service ]
dir = ./service-ca
certificate = $dir/ca.crt
private_key = $dir/ca.key
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 825
default_crl_days = 365
policy = policy_any
unique_subject = no
copy_extensions = none
CNF
spki_pin() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	    openssl dgst -sha256 -binary | openssl enc -base64 > "$2"
}
mkca service-ca "Pitlane Demo Service CA"
issue cosigner/cosigner CA_service server "$SUBJ_O/OU=oem-vsoc/CN=localhost"
spki_pin cosigner/cosigner.crt cosigner/cosigner.spki-pin
issue broker-client/broker-client CA_service client "$SUBJ_O/OU=oem-broker/CN=pitlane-broker"
spki_pin broker-client/broker-client.crt broker-client/broker-client.spki-pin
issue broker-client/unpinned-client CA_service client "$SUBJ_O/OU=oem-broker/CN=pitlane-broker"
mkhsm hsm-cosigner pitlane-cosigner
p11key hsm-cosigner pitlane-cosigner cosigner-signing 01 "$D/hsm-cosigner/cosigner-signing.pub.pem"
cat >> README <<EOF

co-signer (pitlane-cosignd, docs/cosigner.md):
service-ca/ca.crt, ca.key         CA of the broker <-> co-signer mTLS only
cosigner/cosigner.crt, .key       co-signer TLS server (SAN DNS:localhost, IP:127.0.0.1)
cosigner/cosigner.spki-pin        the broker's cosigner_pin: sha256//\$(cat cosigner.spki-pin)
broker-client/broker-client.crt, .key, .spki-pin
                                  the broker's client certificate for the co-signer; the
                                  co-signer's broker_pin: sha256//\$(cat broker-client.spki-pin)
broker-client/unpinned-client.*   a valid service-CA client whose key is not pinned (tests)
hsm-cosigner/                     SOFTHSM2_CONF=\$PWD/hsm-cosigner/softhsm2.conf
    token "pitlane-cosigner", key "cosigner-signing" (id 01), P-256
    cosigner-signing.pub.pem = the ECU trust anchor of role cosigner
EOF
chmod 644 service-ca/ca.crt cosigner/cosigner.crt cosigner/cosigner.spki-pin \
    broker-client/*.crt broker-client/broker-client.spki-pin \
    hsm-cosigner/cosigner-signing.pub.pem
chmod 755 service-ca cosigner broker-client
# === end of co-signer ========================================================

rm -f "$log"
: > .complete
echo "$prog: demo PKI ready in $D (demo material, see $D/README)"
