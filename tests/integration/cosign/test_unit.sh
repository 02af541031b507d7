#!/bin/sh
# Under the packaged unit's constraints (no systemd here: as in_root.sh does it): another
# user than root, no new privileges, no capabilities, MemoryDenyWriteExecute and the unit's
# SystemCallFilter= with EPERM, pitlane-cosignd starts both processes, serves and co-signs.
# REQ-COS-038
. "$COS_TESTDIR/lib.sh"

[ -n "${SYSFILTER:-}" ] || { echo "skip: no sysfilter (libseccomp)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root to switch users"; exit 77; }
for t in setpriv systemd-analyze; do
	command -v "$t" >/dev/null 2>&1 || { echo "skip: $t not installed"; exit 77; }
done
UNIT=$PITLANE_SOURCE_DIR/packaging/systemd/pitlane-cosignd.service

# The unit's SystemCallFilter= lines in order (systemd.exec(5)), as in_root.sh reads them.
expand() {
	for x in "$@"; do
		# shellcheck disable=SC2046
		case "$x" in
		@*) expand $(systemd-analyze syscall-filter "$x" | sed '1d; s/^[[:space:]]*//; /^#/d; /^$/d') ;;
		*) echo "$x" ;;
		esac
	done
}
: >"$W/allow"
sed -n 's/^SystemCallFilter=//p' "$UNIT" | while read -r line; do
	case "$line" in
	"~"*)
		# shellcheck disable=SC2086
		expand ${line#\~} | sort -u >"$W/deny"
		grep -vxF -f "$W/deny" "$W/allow" >"$W/allow.new" || true
		mv "$W/allow.new" "$W/allow" ;;
	*)
		# shellcheck disable=SC2086
		expand $line >>"$W/allow"
		sort -u -o "$W/allow" "$W/allow" ;;
	esac
done
[ "$(wc -l <"$W/allow")" -gt 100 ] || fail "the unit's system call list is too short"

write_config "$W/cosignd.conf"
chown -R nobody:nogroup "$W"
chmod 755 "$W"
: >"$W/cosignd.log"
(
	umask 077
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SOFTHSM2_CONF="$COSIGNER_HSM_CONF" \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
	    --bounding-set=-all --inh-caps=-all \
	    /usr/bin/python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
    sys.exit("PR_SET_MDWE failed")
os.execv(sys.argv[1], sys.argv[1:])' "$SYSFILTER" "$W/allow" "$COSIGND" -f "$W/cosignd.conf" -d
) >>"$W/cosignd.log" 2>&1 &
COSIGND_PID=$!
i=0
while ! grep -q 'event=net_started' "$W/cosignd.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "pitlane-cosignd did not start under the unit's constraints"
	kill -0 "$COSIGND_PID" 2>/dev/null || fail "pitlane-cosignd exited under the unit's constraints"
	sleep 0.1
done
PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/cosignd.log")
ADMIN=$(sed -n 's/.*listener=admin addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/cosignd.log")
URL=https://localhost:$PORT/v1/cosign
wait_ready
grep -q 'event=privsep_dropped .*seccomp=allow-list' "$W/cosignd.log" ||
    fail "the network process did not load its own filter under the unit's"
make_request ok
st=$(post "$W/ok.body" "$W/ok.sig")
[ "$st" = 200 ] || fail "co-sign under the unit's constraints: HTTP $st"
v=$("$COSREQ" verify --token "$W/ok.token" --cosig "$W/ok.sig" \
    --broker-pub "$P/hsm-broker/broker-signing.pub.pem" \
    --cosigner-pub "$P/hsm-cosigner/cosigner-signing.pub.pem" \
    --vin "$VIN" --op "$OP" --cnonce "$CNONCE" || true)
[ "$v" = verified ] || fail "signature: $v"
np=$(net_pid)
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$np/status")" = "$(id -u nobody)" ] || fail "network uid"
pass "REQ-COS-038 under the unit's user, no_new_privs, MDWE and SystemCallFilter: serves and co-signs ($(wc -l <"$W/allow") calls allowed)"
