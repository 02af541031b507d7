#!/bin/sh
# The co-signer's own velocity limit holds whatever the broker's policy says (issue 14): the
# broker's policy is edited to allow 100 ignition.enable an hour per technician, the
# co-signer allows 3; the fourth request is refused by the co-signer, passed on to the
# technician as cosigner_refused with its rule, audited by both, and still refused after the
# co-signer restarts (its counters live in its own SQLite file) (REQ-BRK-330).
. "$BRK_TESTDIR/lib.sh"
. "$CS_TESTDIR/cs_lib.sh"
[ -n "${COSIGND:-}" ] || fail "pitlane-cosignd is not built"

# The co-signer: 3 ignition.enable per technician an hour, on a fixed port so the broker
# finds it again after the restart.
{
	cat "$CS_TESTDIR/cosignd_limits.conf"
	echo "velocity ignition.enable technician 3/3600"
} >"$W/limits.conf"
port=$(free_port)
sh "$PITLANE_SOURCE_DIR/packaging/demo-cosignd-conf.sh" "$P" "$W/cosign.db" "$W/limits.conf" |
    sed "s/^listen 127.0.0.1:0\$/listen 127.0.0.1:$port/" >"$W/cosignd.conf"
grep -q "^listen 127.0.0.1:$port\$" "$W/cosignd.conf" || fail "cannot set the co-signer's port"
cosignd_start "$W/cosignd.conf"

# The broker's policy, edited to allow 100 ignition.enable an hour per technician.
cat >"$W/policy/50-generous.yaml" <<'YAML'
limits:
  - name: ignition-generous
    key: technician
    operations: [ignition.enable]
    windows:
      - { count: 100, seconds: 3600 }
YAML
write_config "$W/b.conf" "cosigner_url https://localhost:$CS_PORT" \
    "cosigner_pin sha256//$(cat "$P/cosigner/cosigner.spki-pin")" \
    "cosigner_cert $P/broker-client/broker-client.crt" \
    "cosigner_key $P/broker-client/broker-client.key"
start_broker "$W/b.conf"

n=1
while [ $n -le 3 ]; do
	out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce "0011223344556677889900aabbccdd0$n")
	expect_line "REQ-BRK-330 ignition.enable $n of 3 co-signed" "$out" "status=201"
	n=$((n + 1))
done
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce 0011223344556677889900aabbccdd04 \
    --expect 403)
expect_line "REQ-BRK-330 the fourth is refused by the co-signer" "$out" \
    "status=403 code=cosigner_refused"
"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"cosign_refused"' |
    grep -q 'cosigner_rate_limited' ||
    fail "REQ-BRK-330 no cosign_refused row naming cosigner_rate_limited in the broker's audit"
grep -q 'cosigner_rate_limited' "$W/cosignd.log" ||
    fail "REQ-BRK-330 the co-signer's log does not name cosigner_rate_limited"
pass "REQ-BRK-330 the broker's policy allows 100 an hour; the co-signer stopped at 3"

# After a restart of the co-signer the count holds.
cosignd_stop
cosignd_start "$W/cosignd.conf"
out=$(req ws-muc-01-pc1 tech-ben --op ignition.enable --cnonce 0011223344556677889900aabbccdd05 \
    --expect 403)
expect_line "REQ-BRK-330 still refused after the co-signer's restart" "$out" \
    "status=403 code=cosigner_refused"
"$COSIGND" --verify-audit "$W/cosign.db" >"$W/verify.out" 2>&1 ||
    fail "REQ-BRK-330 the co-signer's audit chain does not verify: $(cat "$W/verify.out")"
pass "REQ-BRK-330 refused after the restart; the co-signer's audit chain verifies"
