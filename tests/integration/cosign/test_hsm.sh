#!/bin/sh
# The co-signer's HSM token goes away: allowed requests get 503 hsm_unavailable (recorded as
# an error row), /v1/ready says 503; it comes back: ready and signing again, never a
# software fallback. REQ-COS-036 REQ-COS-037
. "$COS_TESTDIR/lib.sh"

write_config "$W/cosignd.conf"
start_cosignd "$W/cosignd.conf"
ready() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready"; }

mv "$P/hsm-cosigner/tokens" "$P/hsm-cosigner/tokens.away"
i=0
while :; do
	make_request "r$i"
	st=$(post "$W/r$i.body" "$W/r$i.out")
	[ "$st" = 503 ] && [ "$(problem_code "$W/r$i.out")" = hsm_unavailable ] && break
	i=$((i + 1))
	[ $i -lt 20 ] || fail "REQ-COS-036 no 503 hsm_unavailable after removing the token: $st"
	sleep 0.2
done
i=0
until [ "$(ready)" = 503 ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "REQ-COS-036 /v1/ready stayed 200"
	sleep 0.2
done
[ "$(metric 'pitlane_cosign_requests_total{code="hsm_unavailable"}')" -ge 1 ] ||
    fail "hsm_unavailable not counted"
pass "REQ-COS-036 token gone: 503 hsm_unavailable, not ready"

mv "$P/hsm-cosigner/tokens.away" "$P/hsm-cosigner/tokens"
start=$(date +%s)
until [ "$(ready)" = 200 ]; do
	[ $(($(date +%s) - start)) -le 10 ] || fail "REQ-COS-037 not ready 10 s after the token returned"
	sleep 0.2
done
make_request back
st=$(post "$W/back.body" "$W/back.sig")
[ "$st" = 200 ] || fail "REQ-COS-037 after the token returned: HTTP $st"
v=$("$COSREQ" verify --token "$W/back.token" --cosig "$W/back.sig" \
    --broker-pub "$P/hsm-broker/broker-signing.pub.pem" \
    --cosigner-pub "$P/hsm-cosigner/cosigner-signing.pub.pem" \
    --vin "$VIN" --op "$OP" --cnonce "$CNONCE" || true)
[ "$v" = verified ] || fail "REQ-COS-037 signature after recovery: $v"
kill -TERM "$COSIGND_PID"
wait "$COSIGND_PID" || fail "exit on SIGTERM"
COSIGND_PID=
"$COSIGND" --verify-audit "$W/cosign.db" >/dev/null 2>&1 || fail "chain does not verify"
pass "REQ-COS-037 token back: ready and co-signing again within $(($(date +%s) - start)) s"
