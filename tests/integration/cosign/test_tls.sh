#!/bin/sh
# Only the broker gets in: no client certificate, a certificate of another CA, and a valid
# certificate of the service CA whose key is not the pinned broker key are refused in the
# TLS handshake; no request reaches the core. REQ-COS-020 REQ-COS-021 REQ-COS-022
. "$COS_TESTDIR/lib.sh"

write_config "$W/cosignd.conf"
start_cosignd "$W/cosignd.conf"
make_request ok

# tls_post CURL-ARGS...: the HTTP status (000 when the handshake was refused)
tls_post() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$P/service-ca/ca.crt" \
	    -H 'Content-Type: application/cbor' --data-binary "@$W/ok.body" "$@" "$URL" || true
}

st=$(tls_post)
[ "$st" = 000 ] || fail "no client certificate: HTTP $st"
pass "REQ-COS-020 no client certificate: handshake refused"
st=$(tls_post --cert "$P/devices/ws-muc-01-pc1.crt" --key "$P/devices/ws-muc-01-pc1.key")
[ "$st" = 000 ] || fail "dealer-CA certificate: HTTP $st"
pass "REQ-COS-021 certificate of another CA: handshake refused"
st=$(tls_post --cert "$P/broker-client/unpinned-client.crt" \
    --key "$P/broker-client/unpinned-client.key")
[ "$st" = 000 ] || fail "unpinned key: HTTP $st"
grep -q 'event=tls_client_refused.*not the pinned broker key' "$W/cosignd.log" ||
    fail "no log line names the pin"
[ "$(metric 'pitlane_cosign_tls_refused_total{reason="not_pinned"}')" = 1 ] ||
    fail "not_pinned refusal not counted"
[ "$(metric 'pitlane_cosign_tls_refused_total{reason="certificate"}')" = 2 ] ||
    fail "certificate refusals not counted"
# TLS 1.2 is not offered
st=$(tls_post --tls-max 1.2 --cert "$P/broker-client/broker-client.crt" \
    --key "$P/broker-client/broker-client.key")
[ "$st" = 000 ] || fail "TLS 1.2: HTTP $st"
# none of them reached the core; the pinned broker does
curl -s "http://127.0.0.1:$ADMIN/metrics" | grep -q '^pitlane_cosign_requests_total' &&
    fail "a refused client reached the core"
st=$(tls_post --cert "$P/broker-client/broker-client.crt" --key "$P/broker-client/broker-client.key")
[ "$st" = 200 ] || fail "the pinned broker: HTTP $st"
pass "REQ-COS-022 valid certificate with another key: refused as not pinned; the broker passes"
