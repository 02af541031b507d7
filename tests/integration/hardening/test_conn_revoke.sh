#!/bin/sh
# Keep-alive does not outlive revocation (issue 12, item 4): REQ-BRK-228, REQ-BRK-229
# (docs/broker.md, "Connections"). Connections opened before a CRL reload are verified
# again; those of the revoked device close, the others stay.
. "$BRK_TESTDIR/lib.sh"
PY=/usr/bin/python3
FLOOD=$HARD_TESTDIR/connflood.py
write_config "$W/broker.conf" "timeout_s 30" "request_timeout_s 30"
start_broker "$W/broker.conf"
CA=$P/ca/ca.crt
REV=ws-ber-02-pc1      # revoked below
KEEP=ws-muc-01-pc1     # stays good

# Open before the reload: an idle-ish keep-alive of each device (GET /v1/health every
# 0.5 s) and a busy token stream of the device to be revoked (4 requests a second).
$PY "$FLOOD" keepalive 127.0.0.1 "$PORT" "$CA" "$P/devices/$REV.crt" \
    "$P/devices/$REV.key" 0.5 12 >"$W/ka-rev.out" 2>&1 &
KA1=$!
$PY "$FLOOD" keepalive 127.0.0.1 "$PORT" "$CA" "$P/devices/$KEEP.crt" \
    "$P/devices/$KEEP.key" 0.5 12 >"$W/ka-keep.out" 2>&1 &
KA2=$!
req $REV tech-carl --vin WAUZZZ8V0KA000001 --count 40 --rate 4 >"$W/tok-rev.out" &
TOK=$!
sleep 3
sleep 1.1   # the new CRL must be at least a second younger than the old one
(cd "$P" &&
    openssl ca -config openssl.cnf -name CA_dealer -revoke "devices/$REV.crt" \
	-crl_reason keyCompromise &&
    openssl ca -config openssl.cnf -name CA_dealer -gencrl -crldays 30 -out ca/crl.pem.new &&
    mv ca/crl.pem.new ca/crl.pem) >"$W/ca.log" 2>&1 || fail "openssl ca: $(cat "$W/ca.log")"
kill -HUP "$BROKER_PID"
wait_log 'event=crl_reloaded .* crls=1'
wait_log 'event=connections_rechecked'
wait $KA1 $KA2 $TOK || true

# REQ-BRK-228: the revoked device's keep-alive connection is closed by the reload; the
# other device's connection stays open.
grep -q 'status=200' "$W/ka-rev.out" || fail "REQ-BRK-228 no request before the reload"
grep -q '^closed_after=' "$W/ka-rev.out" ||
    fail "REQ-BRK-228 the revoked device's connection stayed open: $(tail -n 2 "$W/ka-rev.out")"
grep -q '^open_after=12' "$W/ka-keep.out" ||
    fail "REQ-BRK-228 the other device's connection was closed: $(tail -n 2 "$W/ka-keep.out")"
grep -q 'event=connection_revoked .*certificate revoked' "$W/broker.log" ||
    fail "REQ-BRK-228 no connection_revoked line"
pass "REQ-BRK-228 a CRL reload closes the open connections of the device it revokes" \
    "($(grep 'event=connections_rechecked' "$W/broker.log" | sed 's/.*connections=/connections=/'));" \
    "the other device's keep-alive connection stays open"

# REQ-BRK-229: the busy token stream of the revoked device gets no token after the reload
# (at most the one in flight at that moment), and its reconnects fail the handshake.
ok=$(grep -c '^status=201' "$W/tok-rev.out" || true)
after=$(awk '/event=crl_reloaded/ { r = 1 } r && /event=token_request .*status=201 .*device=ws-ber-02-pc1/ { n++ }
    END { print n + 0 }' "$W/broker.log")
tail -n 1 "$W/tok-rev.out" | grep -q '^status=0 ' ||
    fail "REQ-BRK-229 the revoked device still gets answers: $(tail -n 3 "$W/tok-rev.out")"
[ "$ok" -ge 4 ] && [ "$after" -le 1 ] ||
    fail "REQ-BRK-229 tokens: $ok in all, $after after the reload"
pass "REQ-BRK-229 a device kept busy on a keep-alive connection got $ok tokens before the" \
    "reload and $after after it; then its new handshakes fail"
stop_broker
