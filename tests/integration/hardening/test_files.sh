#!/bin/sh
# Secrets and authority files are checked everywhere (issue 12, item 9): a TLS key or
# PIN file others may read or that is a link, a policy directory or file, database
# directory, CRL, CA or broker.conf others may write, a directory above them others
# may write, and a missing crl line are refused by `pitlaned -n` and by the real start,
# each with the path and the fix; `crl none` starts with a warning; a reload with an
# unsafe policy file is refused; the agent refuses a device key others may read.
# REQ-BRK-240..REQ-BRK-247, REQ-AGT-105..REQ-AGT-106 (docs/broker.md, docs/agent.md).
. "$BRK_TESTDIR/lib.sh"

# refused WHAT CONF TEXT...: pitlaned -n and pitlaned -d both exit non-zero without
# starting, and each TEXT is in what they print.
refused() {
	what=$1 conf=$2
	shift 2
	if SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$conf" -n >"$W/out" 2>&1; then
		fail "$what: pitlaned -n accepted it"
	fi
	for t in "$@"; do
		grep -qF -- "$t" "$W/out" || fail "$what: pitlaned -n says nothing of '$t': $(cat "$W/out")"
	done
	SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$conf" -d >"$W/start.out" 2>&1 &
	pid=$!
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 150 ] || grep -q 'event=started' "$W/start.out"; then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" || true
			fail "$what: pitlaned started"
		fi
		sleep 0.1
	done
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ] || fail "$what: the start exited with $rc, not 1"
	for t in "$@"; do
		grep -qF -- "$t" "$W/start.out" ||
		    fail "$what: the start says nothing of '$t': $(cat "$W/start.out")"
	done
	grep -q 'event=listening' "$W/start.out" && fail "$what: the start bound a listener"
	pass "$what: refused by pitlaned -n and by the start (exit 1) with '$*'"
}

# conf FILE KEY VALUE: the good configuration with KEY's line replaced ("" drops it).
conf() {
	if [ -n "$3" ]; then
		sed "s|^$2 .*|$2 $3|" "$W/good.conf" >"$1"
	else
		grep -v "^$2 " "$W/good.conf" >"$1"
	fi
}

write_config "$W/good.conf"
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/good.conf" -n >"$W/out" 2>&1 ||
    fail "the demo configuration (mktemp dir 0700 in /tmp 1777) is refused: $(cat "$W/out")"
grep -q 'event=file_refused' "$W/out" && fail "a file of the demo configuration was refused"

# -- REQ-BRK-240: crl is required; `crl none` says so explicitly and warns at every start
conf "$W/nocrl.conf" crl ""
refused "REQ-BRK-240 no crl line" "$W/nocrl.conf" "required key 'crl' is missing" "'crl none'"
conf "$W/crlnone.conf" crl none
SOFTHSM2_CONF=$BROKER_HSM_CONF "$PITLANED" -f "$W/crlnone.conf" -n >"$W/out" 2>&1 ||
    fail "REQ-BRK-240 'crl none' refused: $(cat "$W/out")"
grep -q 'level=warn .*event=revocation_off' "$W/out" ||
    fail "REQ-BRK-240 -n: no warning: $(cat "$W/out")"
start_broker "$W/crlnone.conf"
grep -q 'level=warn .*event=revocation_off' "$W/broker.log" || fail "REQ-BRK-240 start: no warning"
stop_broker
pass "REQ-BRK-240 'crl none' runs without revocation checks, warned by -n and by the start"

# -- REQ-BRK-241: a TLS private key others may read
mkdir -m 0700 "$W/keys"
cp "$P/broker/broker.key" "$W/keys/open.key"
chmod 0644 "$W/keys/open.key"
conf "$W/c1.conf" tls_key "$W/keys/open.key"
refused "REQ-BRK-241 tls_key mode 0644" "$W/c1.conf" "key=tls_key" "path=$W/keys/open.key" \
    "readable by group or others (mode 0644)" "fix=\"chmod 600 $W/keys/open.key\""
chmod 0640 "$W/keys/open.key"
refused "REQ-BRK-241 tls_key mode 0640" "$W/c1.conf" "fix=\"chmod 600 $W/keys/open.key\""

# -- REQ-BRK-242: secrets that are symbolic links
ln -s "$P/broker/broker.key" "$W/keys/link.key"
conf "$W/c2.conf" tls_key "$W/keys/link.key"
refused "REQ-BRK-242 tls_key is a symbolic link" "$W/c2.conf" "err=secret_link" \
    "path=$W/keys/link.key" "$P/broker/broker.key"
ln -s "$P/hsm-broker/pin" "$W/keys/link.pin"
conf "$W/c3.conf" pin_file "$W/keys/link.pin"
refused "REQ-BRK-242 pin_file is a symbolic link" "$W/c3.conf" "key=pin_file" "err=secret_link"

# -- REQ-BRK-243: a policy directory or policy file others may write
cp -r "$W/policy" "$W/pol-open"
chmod 0777 "$W/pol-open"
conf "$W/c4.conf" policy_dir "$W/pol-open"
refused "REQ-BRK-243 policy_dir mode 0777" "$W/c4.conf" "key=policy_dir" "path=$W/pol-open" \
    "writable by others (mode 0777)" "fix=\"chmod go-w $W/pol-open\""
chmod 0755 "$W/pol-open"
f=$(ls "$W/pol-open"/*.yaml | head -n 1)
chmod 0666 "$f"
refused "REQ-BRK-243 a policy file mode 0666" "$W/c4.conf" "path=$f" "fix=\"chmod go-w $f\""

# -- REQ-BRK-244: a database directory others may write
mkdir -m 0777 "$W/db-open"
chmod 0777 "$W/db-open"
conf "$W/c5.conf" database "$W/db-open/audit.db"
refused "REQ-BRK-244 database directory mode 0777" "$W/c5.conf" "key=database" \
    "path=$W/db-open" "fix=\"chmod go-w $W/db-open\""
[ ! -e "$W/db-open/audit.db" ] || fail "REQ-BRK-244 the database was created in the open directory"

# -- REQ-BRK-245: CRL and CA files others may write; a directory above a key others may write
cp "$P/ca/crl.pem" "$W/crl-gw.pem"
chmod 0664 "$W/crl-gw.pem"
conf "$W/c6.conf" crl "$W/crl-gw.pem"
refused "REQ-BRK-245 crl mode 0664" "$W/c6.conf" "key=crl" "writable by its group (mode 0664)" \
    "fix=\"chmod go-w $W/crl-gw.pem\""
cp "$P/ca/ca.crt" "$W/ca-ww.crt"
chmod 0646 "$W/ca-ww.crt"
conf "$W/c7.conf" client_ca "$W/ca-ww.crt"
refused "REQ-BRK-245 client_ca mode 0646" "$W/c7.conf" "key=client_ca" "path=$W/ca-ww.crt"
mkdir -m 0700 "$W/open-dir"
chmod 0777 "$W/open-dir"
cp -p "$P/broker/broker.key" "$W/open-dir/tls.key"
conf "$W/c8.conf" tls_key "$W/open-dir/tls.key"
refused "REQ-BRK-245 a directory above tls_key mode 0777" "$W/c8.conf" "key=tls_key" \
    "path=$W/open-dir " "fix=\"chmod go-w $W/open-dir\""

# -- REQ-BRK-246: broker.conf itself others may write
cp "$W/good.conf" "$W/c9.conf"
chmod 0666 "$W/c9.conf"
refused "REQ-BRK-246 broker.conf mode 0666" "$W/c9.conf" "key=config" "path=$W/c9.conf"

# -- REQ-BRK-247: SIGHUP re-checks the policy before reloading it
start_broker "$W/good.conf"
f=$(ls "$W/policy"/*.yaml | head -n 1)
chmod 0666 "$f"
kill -HUP "$BROKER_PID"
wait_log 'event=reload_refused'
grep -q "event=file_refused .*path=$f" "$W/broker.log" || fail "REQ-BRK-247 the file is not named"
sleep 0.5
grep -q 'event=policy_reloaded' "$W/broker.log" && fail "REQ-BRK-247 the unsafe policy was reloaded"
chmod 0644 "$f"
kill -HUP "$BROKER_PID"
wait_log 'event=policy_reloaded'
pass "REQ-BRK-247 SIGHUP with a policy file others may write: reload refused, the file named;" \
    "fixed: reloaded"

# -- REQ-AGT-105/106: the agent's device key (the broker above keeps running for it)
if [ -n "${PITLANE:-}" ]; then
	cp "$P/devices/ws-muc-01-pc1.key" "$W/keys/device.key"
	chmod 0644 "$W/keys/device.key"
	cat >"$W/agent.conf" <<CONF
broker_url https://127.0.0.1:$PORT
broker_ca $P/ca/ca.crt
broker_pin sha256//$(cat "$P/broker/broker.spki-pin")
device_cert $P/devices/ws-muc-01-pc1.crt
device_key $W/keys/device.key
technician_cert $P/technicians/tech-anna.crt
technician_key pkcs11:token=pitlane-technicians;object=tech-anna;type=private
pin_file $P/hsm-agent/pin
can loop:files
retries 0
CONF
	before=$(grep -c 'event=' "$W/broker.log")
	rc=0
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$PITLANE" -c "$W/agent.conf" request door.unlock \
	    --vin "$VIN" --cnonce "$(openssl rand -hex 16)" >"$W/out" 2>&1 || rc=$?
	[ "$rc" -eq 3 ] || fail "REQ-AGT-105 exit $rc, not 3: $(cat "$W/out")"
	grep -qF "device_key $W/keys/device.key is readable by group or others (mode 0644)" "$W/out" ||
	    fail "REQ-AGT-105 message: $(cat "$W/out")"
	grep -qF "chmod 600 $W/keys/device.key" "$W/out" || fail "REQ-AGT-105 no fix: $(cat "$W/out")"
	sleep 0.3
	[ "$(grep -c 'event=' "$W/broker.log")" -eq "$before" ] ||
	    fail "REQ-AGT-105 the broker heard from the agent"
	pass "REQ-AGT-105 a device key others may read: refused before any connection (exit 3)" \
	    "with the fix"
	rc=0
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$PITLANE" -c "$W/agent.conf" doctor >"$W/out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "REQ-AGT-106 doctor exit $rc"
	grep -q "^FAIL device_key .*chmod 600 $W/keys/device.key" "$W/out" ||
	    fail "REQ-AGT-106 doctor: $(cat "$W/out")"
	rm "$W/keys/device.key"
	ln -s "$P/devices/ws-muc-01-pc1.key" "$W/keys/device.key"
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$PITLANE" -c "$W/agent.conf" doctor >"$W/out" 2>&1 || true
	grep -q "^FAIL device_key .*symbolic link" "$W/out" || fail "REQ-AGT-106 link: $(cat "$W/out")"
	rm "$W/keys/device.key"
	cp "$P/devices/ws-muc-01-pc1.key" "$W/keys/device.key"
	SOFTHSM2_CONF=$AGENT_HSM_CONF "$PITLANE" -c "$W/agent.conf" doctor >"$W/out" 2>&1 || true
	grep -q "^ok   device_key " "$W/out" || fail "REQ-AGT-106 owner-only key: $(cat "$W/out")"
	pass "REQ-AGT-106 pitlane doctor: FAIL device_key with the fix (mode 0644, link);" \
	    "ok when owner-only"
else
	echo "SKIP: REQ-AGT-105/106 (pitlane not built)"
fi
stop_broker
