#!/bin/sh
# demo-cosignd-conf.sh PKI DATABASE LIMITS [LINE...] — prints a cosignd.conf for the demo
# material of demo-pki.sh PKI (DEMO ONLY: its keys and PINs are not secrets): loopback
# listener on a free port (the log line event=listening listener=api names it), the demo
# co-signer TLS key, the service CA and the pin of the broker's client key, the co-signer's
# own SoftHSM2 token (run it with SOFTHSM2_CONF=PKI/hsm-cosigner/softhsm2.conf), the dealer
# CA and CRL, the broker's token key, DATABASE (the co-signer's SQLite file) and LIMITS (its
# hard limits file). Each LINE ("key value") is appended (admin_listen, approvers,
# officer_ca, ...); cosignd.conf refuses a key given twice, so a LINE cannot repeat a key of
# the base. Used by packaging/demo.sh and tests/integration/cosign.
set -eu
[ $# -ge 3 ] || { echo "usage: demo-cosignd-conf.sh PKI DATABASE LIMITS [LINE...]" >&2; exit 2; }
P=$1 DB=$2 LIMITS=$3
shift 3
[ -s "$P/broker-client/broker-client.spki-pin" ] ||
    { echo "demo-cosignd-conf.sh: $P has no co-signer material; run demo-pki.sh" >&2; exit 1; }
cat <<CONF
# demo co-signer configuration (packaging/demo-cosignd-conf.sh; demo material only)
listen 127.0.0.1:0
tls_cert $P/cosigner/cosigner.crt
tls_key $P/cosigner/cosigner.key
client_ca $P/service-ca/ca.crt
broker_pin sha256//$(cat "$P/broker-client/broker-client.spki-pin")
token_label pitlane-cosigner
key_label cosigner-signing
pin_file $P/hsm-cosigner/pin
dealer_ca $P/ca/ca.crt
crl $P/ca/crl.pem
broker_token_key $P/hsm-broker/broker-signing.pub.pem
limits $LIMITS
audit_db $DB
CONF
for l in "$@"; do
	echo "$l"
done
