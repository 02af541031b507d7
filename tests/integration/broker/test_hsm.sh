#!/bin/sh
# HSM fault through the server: REQ-BRK-060/061 (docs/broker.md).
. "$BRK_TESTDIR/lib.sh"
write_config "$W/broker.conf"
start_broker "$W/broker.conf"
ready() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready"; }

out=$(req ws-muc-01-pc1 tech-anna)
expect_line "token before the fault" "$out" "status=201"

# REQ-BRK-060: the token disappears -> 503 hsm_unavailable, /v1/ready 503, no token.
mv "$P/hsm-broker/tokens" "$P/hsm-broker/tokens.away"
i=0
while :; do
	out=$(req ws-muc-01-pc1 tech-anna --expect 503)
	case "$out" in "status=503 code=hsm_unavailable"*) break ;; esac
	i=$((i + 1))
	[ $i -lt 50 ] || fail "REQ-BRK-060 no 503 after removing the token: $out"
	sleep 0.2
done
pass "REQ-BRK-060 token removed: $out"
i=0
until [ "$(ready)" = 503 ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "REQ-BRK-060 /v1/ready stayed 200"
	sleep 0.2
done
pass "REQ-BRK-060 /v1/ready is 503 while the token is gone"
[ "$(audit_rows rule hsm)" -ge 1 ] || fail "REQ-BRK-060 HSM failure not audited"

# REQ-BRK-061: the token returns -> ready and issuing again within 10 s.
mv "$P/hsm-broker/tokens.away" "$P/hsm-broker/tokens"
start=$(date +%s)
until [ "$(ready)" = 200 ]; do
	[ $(($(date +%s) - start)) -le 10 ] || fail "REQ-BRK-061 not ready 10 s after the token returned"
	sleep 0.2
done
out=$(req ws-muc-01-pc1 tech-anna)
expect_line "REQ-BRK-061 recovered within $(($(date +%s) - start)) s" "$out" "status=201"
stop_broker
"$PITLANECTL" audit verify "$W/audit.db" >/dev/null || fail "audit verify failed"
pass "audit chain verifies"
