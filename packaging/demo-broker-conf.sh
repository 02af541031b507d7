#!/bin/sh
# demo-broker-conf.sh PKI POLICY_DIR DATABASE [LINE...] — prints a broker.conf for the demo
# material of demo-pki.sh PKI (DEMO ONLY: its keys and PINs are not secrets): loopback
# listener on a free port, the demo broker TLS key, dealer CA and CRL, the officer CA, the SoftHSM2 broker
# key and its PIN file. Each LINE ("key value") is appended (admin_listen, workers, ...);
# broker.conf refuses a key given twice, so a LINE cannot repeat a key of the base.
# Used by packaging/demo.sh, the broker and agent integration tests and the benchmarks.
set -eu
[ $# -ge 3 ] || { echo "usage: demo-broker-conf.sh PKI POLICY_DIR DATABASE [LINE...]" >&2; exit 2; }
P=$1 POLICY=$2 DB=$3
shift 3
cat <<CONF
# demo broker configuration (packaging/demo-broker-conf.sh; demo material only)
listen 127.0.0.1:0
tls_cert $P/broker/broker.crt
tls_key $P/broker/broker.key
client_ca $P/ca/ca.crt
crl $P/ca/crl.pem
officer_ca $P/officer-ca/ca.crt
key_uri pkcs11:token=pitlane-broker;object=broker-signing;type=private
pin_file $P/hsm-broker/pin
policy_dir $POLICY
database $DB
CONF
for l in "$@"; do
	echo "$l"
done
