#!/bin/sh
# One workshop PC cannot lock out the fleet (issue 12, docs/broker.md "Technician and device
# certificates", "Refusals under a flood"): a real pitlaned (privilege separated), real TLS,
# SoftHSM2 and SQLite. REQ-BRK-202..REQ-BRK-207.
#
# The attacker holds the device certificate and key of ws-muc-01-pc1 (the files on any
# workshop PC) and no technician card. The replay cache is small (256) so that, before the
# fix, a flood of device-signed requests with fresh nonces filled it within a second.
. "$PITLANE_SOURCE_DIR/tests/integration/broker/lib.sh"

THRESHOLD=10
WINDOW=3
write_config "$W/broker.conf" "replay_capacity 256" "refusal_audit_threshold $THRESHOLD" \
    "refusal_audit_window_s $WINDOW"
start_broker "$W/broker.conf"
VIN_BER=WAUZZZ8V5KA000001
DEV=ws-muc-01-pc1

# flood N: N requests signed with the device key, the device certificate as x5chain, fresh
# nonces, 4 connections as fast as they go; prints "requests=N ok=K ..." (ok = 401 answers).
flood() {
	ASAN_OPTIONS=detect_leaks=0 "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
	    --cert "$P/devices/$DEV.crt" --key "$P/devices/$DEV.key" \
	    --tech-cert "$P/devices/$DEV.crt" --sign-key "$P/devices/$DEV.key" --vin "$VIN" \
	    --count "$1" --conns 4 --expect 401 --bench --lean-client || true
}
# carl N RATE: technician tech-carl of the other workshop (ws-ber-02), paced; prints the bench line.
carl() {
	req ws-ber-02-pc1 tech-carl --vin "$VIN_BER" --count "$1" --rate "$2" --bench | tail -n 1
}
field() { echo "$1" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p; s/^$2=\([0-9.]*\).*/\1/p" | head -n 1; }
# rows_of DEVICE: exported audit rows of that device (client_identity)
rows_of() { "$PITLANECTL" audit export "$W/audit.db" | grep -c "\"client_identity\":\"CN=$1," || true; }

# REQ-BRK-202: the device key signing as a technician is refused before any signature check,
# with its own code; the audit row says why.
out=$(ASAN_OPTIONS=detect_leaks=0 "$TOKREQ" --url "$URL" --cacert "$P/ca/ca.crt" \
    --cert "$P/devices/$DEV.crt" --key "$P/devices/$DEV.key" --tech-cert "$P/devices/$DEV.crt" \
    --sign-key "$P/devices/$DEV.key" --vin "$VIN" --expect 401 || true)
expect_line "REQ-BRK-202 a device certificate cannot sign as a technician" "$out" \
    "status=401 code=not_a_technician_certificate"
sleep 0.3
[ "$(audit_rows rule not_a_technician_certificate)" = 1 ] ||
    fail "REQ-BRK-202 the refusal has no audit row"
pass "REQ-BRK-202 the refusal is audited (rule not_a_technician_certificate)"

# REQ-BRK-203: a certificate with the technician marker is refused as a TLS client (a
# technician certificate standing in for a device's). Its key must be a file for curl, so
# the test issues one from the demo dealer CA with the marker next to clientAuth.
eku=$(openssl x509 -in "$P/technicians/tech-anna.crt" -noout -ext extendedKeyUsage | tail -n 1 |
    tr -d ' ')
printf '[t]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n%s\n' \
    "extendedKeyUsage=clientAuth,$eku" >"$W/tdev.cnf"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/tdev.key" 2>/dev/null
openssl req -new -key "$W/tdev.key" -subj "/O=Pitlane Demo/OU=ws-muc-01/CN=tech-dana" \
    -out "$W/tdev.csr" 2>/dev/null
openssl x509 -req -in "$W/tdev.csr" -CA "$P/ca/ca.crt" -CAkey "$P/ca/ca.key" -set_serial 77 \
    -days 2 -extfile "$W/tdev.cnf" -extensions t -out "$W/tdev.crt" 2>/dev/null ||
    fail "REQ-BRK-203 cannot issue the test certificate"
st=$(curl -s -o "$W/tdev.body" -w '%{http_code}' --cacert "$P/ca/ca.crt" --cert "$W/tdev.crt" \
    --key "$W/tdev.key" "https://127.0.0.1:$PORT/v1/health" || true)
[ "$st" = 401 ] && grep -q technician_cert_as_device "$W/tdev.body" ||
    fail "REQ-BRK-203 a technician certificate as TLS client: got $st"
pass "REQ-BRK-203 a technician-marked certificate is refused as a TLS client (401)"

# Baseline of the other workshop, no flood: 40 requests at 10/s.
base=$(carl 40 10)
[ "$(field "$base" ok)" = 40 ] || fail "baseline: tech-carl did not get 40 tokens: $base"

# REQ-BRK-204 / REQ-BRK-206: a flood from the device while tech-carl works. The flood runs in
# rounds until tech-carl's run is over (at most 40 rounds).
rows0=$("$PITLANECTL" audit export "$W/audit.db" | wc -l)
lines0=$(wc -l <"$W/broker.log")
: >"$W/flood.out"
(
	i=0
	while [ ! -e "$W/carl.done" ] && [ $i -lt 40 ]; do
		flood 400 >>"$W/flood.out"
		i=$((i + 1))
	done
) &
FLOOD_PID=$!
sleep 1
during=$(carl 40 10)
: >"$W/carl.done"
wait "$FLOOD_PID"
sleep $((WINDOW + 2))   # the windows end; the decider's timer writes the summaries
sent=$(awk -F'[ =]' '{ n += $2 } END { print n + 0 }' "$W/flood.out")
refused=$(awk -F'[ =]' '{ n += $4 } END { print n + 0 }' "$W/flood.out")
[ "$sent" -ge 400 ] && [ "$refused" = "$sent" ] ||
    fail "REQ-BRK-204 the flood: $sent sent, $refused refused with 401: $(cat "$W/flood.out")"
[ "$(field "$during" ok)" = 40 ] ||
    fail "REQ-BRK-206 tech-carl's success during the flood: $during (without: $base)"
replay=$(metric pitlane_replay_cache_entries)
[ "$replay" -le 80 ] ||
    fail "REQ-BRK-204 the replay cache holds $replay nonces; only tech-carl's 80 were admitted"
pass "REQ-BRK-204 $sent device-signed requests refused; replay cache $replay entries (tech-carl's)"

p99_base=$(field "$base" p99_us)
p99_during=$(field "$during" p99_us)
# "unchanged" cannot be asserted tightly on a 2-core machine that also runs the flood client
# (and, in CI, other jobs): a coarse guard against stalls, within 5x + 100 ms. The figures
# of a longer run are in docs/broker.md.
awk -v a="$p99_base" -v b="$p99_during" 'BEGIN { exit !(b <= 5 * a + 100000) }' ||
    fail "REQ-BRK-206 tech-carl p99 $p99_during us during the flood vs $p99_base us without"
pass "REQ-BRK-206 other workshop: 40/40 without and 40/40 during the flood; p99 ${p99_base} us" \
    "-> ${p99_during} us"

# REQ-BRK-205: audit rows and log lines of the flood are bounded per device and window, and
# every refusal is accounted for: rows one by one + the counts of the summary rows.
rows1=$("$PITLANECTL" audit export "$W/audit.db" | wc -l)
lines1=$(wc -l <"$W/broker.log")
"$PITLANECTL" audit export "$W/audit.db" | grep "\"client_identity\":\"CN=$DEV," |
    grep -v '"decision":"refusals"' | tail -n +2 >"$W/dev.rows"   # the first is REQ-BRK-202's
"$PITLANECTL" audit export "$W/audit.db" | grep '"decision":"refusals"' >"$W/summary.rows" || true
one=$(wc -l <"$W/dev.rows")
sums=$(sed -n 's/.*"reason":"\([0-9]*\) refusals of device .*/\1/p' "$W/summary.rows" |
    awk '{ n += $1 } END { print n + 0 }')
nsum=$(grep -c "refusals of device $DEV " "$W/summary.rows" || true)
dev_lines=$(tail -n +$((lines0 + 1)) "$W/broker.log" | grep -c "event=token_request.*device=$DEV" ||
    true)
[ $((one + sums)) = "$sent" ] ||
    fail "REQ-BRK-205 $one rows + $sums summarised != $sent refusals"
secs=$(awk -F'[ =]' '{ s += $6 } END { printf "%d", s + 1 }' "$W/flood.out")
bound=$(( (secs / WINDOW + 2) * THRESHOLD ))
[ "$one" -le "$bound" ] && [ "$nsum" -ge 1 ] && [ "$nsum" -le $((secs / WINDOW + 2)) ] ||
    fail "REQ-BRK-205 $one single rows (bound $bound) and $nsum summary rows for ${secs}s"
[ "$dev_lines" -le "$one" ] || fail "REQ-BRK-205 $dev_lines log lines for $one written rows"
pass "REQ-BRK-205 $sent refusals in ~${secs}s: $one rows + $nsum summary rows (sum $sums);" \
    "$dev_lines request log lines; all rows of the flood: $((rows1 - rows0)), log lines:" \
    "$((lines1 - lines0))"

# REQ-BRK-207: a technician with a card, refused by the policy (tech-anna may not enable the
# ignition), takes no room in the replay cache either, and her rows are bounded alike.
r0=$(metric pitlane_replay_cache_entries)
out=$(req ws-muc-01-pc1 tech-anna --op ignition.enable --count 60 --conns 4 --expect 403 \
    --bench | tail -n 1)
[ "$(field "$out" ok)" = 60 ] || fail "REQ-BRK-207 60 policy denials expected: $out"
sleep 0.3
r1=$(metric pitlane_replay_cache_entries)
[ "$r1" -le "$r0" ] || fail "REQ-BRK-207 replay cache grew $r0 -> $r1 on denied requests"
n=$("$PITLANECTL" audit export "$W/audit.db" | grep '"technician":"tech-anna"' |
    grep -c '"decision":"deny"' || true)
[ "$n" -le $((2 * THRESHOLD)) ] || fail "REQ-BRK-207 $n deny rows for tech-anna (threshold $THRESHOLD)"
out=$(req ws-ber-02-pc1 tech-carl --vin "$VIN_BER")
expect_line "REQ-BRK-207 the other workshop still gets tokens" "$out" "status=201"
pass "REQ-BRK-207 60 policy denials: replay cache $r0 -> $r1, $n deny rows written"

"$PITLANECTL" audit verify "$W/audit.db" >/dev/null 2>&1 || fail "audit chain does not verify"
stop_broker
