#!/bin/sh
# Runs inside a throwaway root (an overlay of the test machine, see test_debs.sh):
# installs, runs, upgrades, removes and purges the pitlane packages with dpkg.
# $1: directory with the .deb files, $2: the same packages with a higher version
# (upgrade), $3: optional tokreq test client (one token request against the
# installed broker), $4: optional sysfilter (the unit's SystemCallFilter= applied).
set -eu

DEBS=$1
DEBS_UP=$2
TOKREQ=${3:-}
SYSFILTER=${4:-}
BROKER_PID=
LOG=/tmp/pkgtest/broker.log

fail() {
	echo "FAIL: $*" >&2
	[ -f "$LOG" ] && tail -n 15 "$LOG" >&2
	exit 1
}
pass() { echo "ok: $*"; }
cleanup() {
	if [ -n "$BROKER_PID" ]; then
		kill -TERM "$BROKER_PID" 2>/dev/null || true
		wait "$BROKER_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT INT TERM

# expect_stat PATH "owner group mode"
expect_stat() {
	got=$(stat -c '%U %G %a' "$1" 2>/dev/null || echo absent)
	[ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}

# unit_value KEY: the value of KEY= in the installed pitlaned.service (first one)
UNIT=/lib/systemd/system/pitlaned.service
unit_value() {
	sed -n "s/^$1=//p" "$UNIT" | head -n 1
}

# expand NAME...: system call names of NAME (a call or an @group, recursively).
expand() {
	for x in "$@"; do
		# shellcheck disable=SC2046
		case "$x" in
		@*) expand $(systemd-analyze syscall-filter "$x" | sed '1d; s/^[[:space:]]*//; /^#/d; /^$/d') ;;
		*) echo "$x" ;;
		esac
	done
}

# The unit's SystemCallFilter= lines in order: the first sets the allow-list,
# later lines add to it, '~' lines remove from it (systemd.exec(5)).
filter_list() {
	: >/tmp/pkgtest/allow
	sed -n 's/^SystemCallFilter=//p' "$UNIT" | while read -r line; do
		case "$line" in
		"~"*)
			# shellcheck disable=SC2086
			expand ${line#\~} | sort -u >/tmp/pkgtest/deny
			grep -vxF -f /tmp/pkgtest/deny /tmp/pkgtest/allow >/tmp/pkgtest/allow.new || true
			mv /tmp/pkgtest/allow.new /tmp/pkgtest/allow ;;
		*)
			# shellcheck disable=SC2086
			expand $line >>/tmp/pkgtest/allow
			sort -u -o /tmp/pkgtest/allow /tmp/pkgtest/allow ;;
		esac
	done
}

# run_as_unit CMD...: (execs, so call it in a subshell) the command as systemd would
# run it from pitlaned.service: its User/Group, EnvironmentFile, UMask, LimitNOFILE, no new
# privileges, empty capability bounding set, MemoryDenyWriteExecute (PR_SET_MDWE,
# Linux >= 6.3) and, with sysfilter, its SystemCallFilter= with EPERM.
run_as_unit() {
	user=$(unit_value User)
	group=$(unit_value Group)
	umask "$(unit_value UMask)"
	# systemd sets LimitNOFILE; a test machine whose own hard limit is lower (no
	# CAP_SYS_RESOURCE in this namespace) gets as close as it can.
	ulimit -n "$(unit_value LimitNOFILE)" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	set -- ${SYSFILTER:+"$SYSFILTER" /tmp/pkgtest/allow} "$@"
	# shellcheck disable=SC2046
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $(grep -E '^[A-Z_][A-Z0-9_]*=' /etc/default/pitlaned || true) \
	    setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs \
	    --bounding-set=-all --inh-caps=-all \
	    python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
    sys.exit("PR_SET_MDWE failed")
os.execv(sys.argv[1], sys.argv[1:])' "$@"
}

main_debs() {
	find "$1" -name '*.deb' ! -name '*-dbgsym_*' | sort
}

# ---------------------------------------------------------------- install
# shellcheck disable=SC2046
dpkg -i $(main_debs "$DEBS") >/tmp/pkgtest/dpkg.log 2>&1 || { cat /tmp/pkgtest/dpkg.log; fail "dpkg -i"; }
for p in pitlane-broker pitlane-agent pitlane-ecusim libpitlane-token1 libpitlane-token-dev; do
	dpkg-query -W -f='${Status}' "$p" | grep -q 'install ok installed' || fail "$p not installed"
done
pass "REQ-PKG-001 the five packages install with dpkg -i"

getent passwd pitlane | grep -q ':/var/lib/pitlane:/usr/sbin/nologin$' ||
    fail "system user pitlane: $(getent passwd pitlane || echo absent)"
expect_stat /var/lib/pitlane "pitlane pitlane 700"
expect_stat /etc/pitlane "root root 755"
expect_stat /etc/pitlane/broker.conf "root pitlane 640"
expect_stat /etc/pitlane/policy "root pitlane 750"
expect_stat /etc/pitlane/private "root pitlane 750"
pass "REQ-PKG-002 system user pitlane, /var/lib/pitlane 0700 pitlane, /etc/pitlane/{broker.conf,policy,private} root:pitlane"

[ ! -e /etc/systemd/system/multi-user.target.wants/pitlaned.service ] ||
    fail "pitlaned.service was enabled by the installation"
pass "REQ-PKG-003 pitlaned.service installed but not enabled (it needs the key ceremony)"

exposure=$(systemd-analyze security --offline=yes "$UNIT" 2>/dev/null |
    sed -n 's/.*Overall exposure level for pitlaned.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security gave no exposure figure"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "pitlaned.service exposure $exposure > 2.0"
ecu=$(cp /lib/systemd/system/pitlane-ecusim@.service /tmp/pkgtest/pitlane-ecusim@vcan0.service &&
    systemd-analyze security --offline=yes /tmp/pkgtest/pitlane-ecusim@vcan0.service 2>/dev/null |
    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
awk -v e="$ecu" 'BEGIN { exit !(e != "" && e <= 2.0) }' || fail "pitlane-ecusim@ exposure '$ecu' > 2.0"
vout=$(systemd-analyze verify "$UNIT" /tmp/pkgtest/pitlane-ecusim@vcan0.service 2>&1 || true)
[ -z "$vout" ] || fail "systemd-analyze verify: $vout"
pass "REQ-PKG-004 systemd-analyze verify is silent; systemd-analyze security: pitlaned.service $exposure, pitlane-ecusim@.service $ecu (limit 2.0)"

# pitlane-cosignd (docs/cosigner.md): its own user, state directory and hardened unit
dpkg-query -W -f='${Status}' pitlane-cosignd | grep -q 'install ok installed' ||
    fail "pitlane-cosignd not installed"
getent passwd pitlane-cosign | grep -q ':/var/lib/pitlane-cosign:/usr/sbin/nologin$' ||
    fail "system user pitlane-cosign: $(getent passwd pitlane-cosign || echo absent)"
expect_stat /var/lib/pitlane-cosign "pitlane-cosign pitlane-cosign 700"
expect_stat /etc/pitlane/cosignd.conf "root pitlane-cosign 640"
expect_stat /etc/pitlane/cosign/private "root pitlane-cosign 750"
[ -f /etc/pitlane/cosign/limits.conf ] || fail "no example limits file"
[ ! -e /etc/systemd/system/multi-user.target.wants/pitlane-cosignd.service ] ||
    fail "pitlane-cosignd.service was enabled by the installation"
cos=$(systemd-analyze security --offline=yes /lib/systemd/system/pitlane-cosignd.service 2>/dev/null |
    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
awk -v e="$cos" 'BEGIN { exit !(e != "" && e <= 2.0) }' || fail "pitlane-cosignd exposure '$cos' > 2.0"
vout=$(systemd-analyze verify /lib/systemd/system/pitlane-cosignd.service 2>&1 || true)
[ -z "$vout" ] || fail "systemd-analyze verify pitlane-cosignd.service: $vout"
man -w pitlane-cosignd >/dev/null 2>&1 || fail "man page pitlane-cosignd.8 not installed"
/usr/sbin/pitlane-cosignd --help | grep -q -- --print-pubkey || fail "pitlane-cosignd --help"
pass "REQ-COS-045 pitlane-cosignd package: user pitlane-cosign, /var/lib/pitlane-cosign 0700, unit not enabled, exposure $cos (limit 2.0), man page"

for m in pitlaned.8 pitlanectl.8 broker.conf.5 pitlane-policy.5 pitlane.1 agent.conf.5 \
    pitlane-ecusim.1 pitlane-token.1; do
	man -w "${m%.*}" >/dev/null 2>&1 || fail "man page $m not installed"
done
pass "REQ-PKG-005 every man page is installed (man -w)"

# libpitlane-token-dev: pkg-config, the shared library (version script) and the static one.
cat >/tmp/pkgtest/t.c <<'C'
#include <stdio.h>
#include <string.h>
#include <pitlane/token_openssl.h>
int main(void)
{
	struct plt_crypto c;
	plt_openssl_crypto(&c);
	printf("%s\n", plt_errname(PLT_E_WRONG_VIN));
	return strcmp(plt_errname(PLT_E_WRONG_VIN), "wrong_vin") != 0;
}
C
# shellcheck disable=SC2046
cc -o /tmp/pkgtest/t-shared /tmp/pkgtest/t.c $(pkg-config --cflags --libs pitlane-token-openssl) ||
    fail "build against pkg-config pitlane-token-openssl"
/tmp/pkgtest/t-shared >/dev/null || fail "program linked with libpitlane-token.so"
ldd /tmp/pkgtest/t-shared | grep -q 'libpitlane-token.so.1 => /' || fail "not linked to the shared library"
# shellcheck disable=SC2046
cc -o /tmp/pkgtest/t-static /tmp/pkgtest/t.c $(pkg-config --cflags pitlane-token-openssl) \
    /usr/lib/*/libpitlane-token-openssl.a /usr/lib/*/libpitlane-token.a -lcrypto ||
    fail "build against the static libraries"
/tmp/pkgtest/t-static >/dev/null || fail "program linked statically"
exported=$(nm -D --defined-only /usr/lib/*/libpitlane-token.so.1 | awk '$2 == "T" { print $3 }')
echo "$exported" | grep -qv '^plt_' && fail "libpitlane-token.so exports non-plt_ symbols"
nm -D /usr/lib/*/libpitlane-token.so.1 | grep -q 'plt_verify@@PITLANE_TOKEN_1$' ||
    fail "symbols not versioned PITLANE_TOKEN_1"
pass "REQ-PKG-006 libpitlane-token-dev: pkg-config, shared (only plt_*, PITLANE_TOKEN_1) and static link"

# ---------------------------------------------------------------- run
if [ -n "$SYSFILTER" ]; then
	filter_list
	if ! grep -qx read /tmp/pkgtest/allow || grep -qx reboot /tmp/pkgtest/allow; then
		fail "the allow-list built from SystemCallFilter= is wrong"
	fi
	echo "ok: the unit's SystemCallFilter= allows $(wc -l </tmp/pkgtest/allow) system calls; applied with sysfilter"
fi
# The documented layout, filled from the demo PKI (operations.md, "demo").
pitlanectl pki init /var/lib/pitlane/demo >/tmp/pkgtest/pki.log 2>&1 || { cat /tmp/pkgtest/pki.log; fail "pki init"; }
D=/var/lib/pitlane/demo
install -m 0644 "$D/broker/broker.crt" /etc/pitlane/tls/broker.crt
install -m 0644 "$D/ca/ca.crt" /etc/pitlane/tls/dealer-ca.crt
install -m 0644 "$D/ca/crl.pem" /etc/pitlane/tls/dealer-ca.crl
install -o pitlane -g pitlane -m 0600 "$D/broker/broker.key" /etc/pitlane/private/broker.key
install -o pitlane -g pitlane -m 0600 "$D/hsm-broker/pin" /etc/pitlane/private/hsm.pin
cp /usr/share/pitlane/examples/policy/*.yaml /etc/pitlane/policy/
chown -R pitlane:pitlane "$D"
echo "SOFTHSM2_CONF=$D/hsm-broker/softhsm2.conf" >>/etc/default/pitlaned
# ports chosen by the kernel, so parallel test runs do not collide
sed -i 's/^listen .*/listen 127.0.0.1:0/; s/^admin_listen .*/admin_listen 127.0.0.1:0/' \
    /etc/pitlane/broker.conf

# shellcheck disable=SC2046
(run_as_unit $(unit_value ExecStartPre)) >"$LOG" 2>&1 || fail "ExecStartPre (pitlaned -n) as the unit's user"
pass "REQ-PKG-007 ExecStartPre 'pitlaned -n' accepts the installed configuration"

start_unit() {
	: >"$LOG"
	# shellcheck disable=SC2046
	run_as_unit $(unit_value ExecStart) >>"$LOG" 2>&1 &
	BROKER_PID=$!
	i=0
	while ! grep -q 'event=started' "$LOG"; do
		i=$((i + 1))
		[ $i -lt 150 ] || fail "installed broker did not start"
		kill -0 "$BROKER_PID" 2>/dev/null || fail "installed broker exited at start"
		sleep 0.1
	done
	PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$LOG" | head -n 1)
	ADMIN=$(sed -n 's/.*listener=admin addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$LOG" | head -n 1)
}
stop_unit() {
	kill -TERM "$BROKER_PID"
	wait "$BROKER_PID" || fail "installed broker exited with $? on SIGTERM"
	BROKER_PID=
}

start_unit
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready")
[ "$code" = 200 ] || fail "/v1/ready answered $code"
st=/proc/$BROKER_PID/status
grep -q "^Uid:[[:space:]]*$(id -u pitlane)[[:space:]]" "$st" || fail "broker does not run as pitlane"
grep -q '^NoNewPrivs:[[:space:]]*1' "$st" || fail "broker runs without no_new_privs"
grep -q '^CapBnd:[[:space:]]*0000000000000000' "$st" || fail "broker keeps a capability bounding set"
pass "REQ-PKG-008 installed broker runs as the unit does (user pitlane, no caps, no_new_privs, MDWE) and /v1/ready is 200"

nofile=$(unit_value LimitNOFILE)
[ "${nofile:-0}" -ge 4096 ] 2>/dev/null || fail "LimitNOFILE is '$nofile' (at least 4096)"
# (with this machine's hard limit below 2320 the broker would shrink max_connections: the
# check below then fails for the machine, not the unit)
grep -q 'event=connection_limits max_connections=2048 ' "$LOG" ||
    fail "the installed broker does not serve max_connections 2048: $(grep -E 'connection_limits|fd_limit' "$LOG")"
! grep -q 'event=fd_limit' "$LOG" || fail "descriptor warning: $(grep 'event=fd_limit' "$LOG")"
pass "REQ-PKG-040 pitlaned.service sets LimitNOFILE=$nofile: the installed broker serves max_connections 2048 with its reserve"

# Under User=pitlane every pitlaned process has the same uid, so the front end is kept
# from the PIN file and the database by Landlock and seccomp, and from the signer's
# memory by the signer being non-dumpable (docs/threat-model.md, T-FE-*).
role_pid() {
	sed -n "s/.*event=privsep_child_started role=$1 pid=\([0-9]*\).*/\1/p" "$LOG" | tail -n 1
}
F=$(role_pid front)
S=$(role_pid signer)
if [ -z "$F" ] || [ -z "$S" ]; then
	fail "REQ-PKG-030 no privsep front end / signer in the log"
fi
grep -q '^Seccomp:[[:space:]]*2' "/proc/$F/status" || fail "REQ-PKG-030 front end $F not under seccomp"
abi=$(sed -n 's/.*event=privsep_dropped role=front .*landlock_abi=\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ "${abi:-0}" -ge 1 ] ||
    fail "REQ-PKG-030 front end without Landlock (abi '${abi:-none}'): under User=pitlane it could open the PIN file"
if setpriv --reuid=pitlane --regid=pitlane --clear-groups cat "/proc/$S/environ" >/dev/null 2>&1; then
	fail "REQ-PKG-030 a process of uid pitlane can read the signer's /proc/$S/environ"
fi
for fd in "/proc/$F/fd/"*; do
	case "$(readlink "$fd" 2>/dev/null)" in
	*audit.db* | *hsm.pin*) fail "REQ-PKG-030 the front end holds $(readlink "$fd") open" ;;
	esac
done
pass "REQ-PKG-030 under the unit's User=pitlane: front end $F in seccomp + Landlock (ABI $abi), no database or PIN descriptor; signer $S not readable by its own uid"

if [ -n "$TOKREQ" ] && [ -x "$TOKREQ" ]; then
	SOFTHSM2_CONF=$D/hsm-agent/softhsm2.conf "$TOKREQ" --url "https://127.0.0.1:$PORT/v1/token" \
	    --cacert /etc/pitlane/tls/dealer-ca.crt --cert "$D/devices/ws-muc-01-pc1.crt" \
	    --key "$D/devices/ws-muc-01-pc1.key" --tech-cert "$D/technicians/tech-anna.crt" \
	    --p11-token pitlane-technicians --p11-object tech-anna --pin-file "$D/hsm-agent/pin" \
	    --vin WVWZZZ1JZXW000001 --op door.unlock >/tmp/pkgtest/tokreq.out 2>&1 || true
fi
# The documented online backup (operations.md): sqlite3 .backup of the running
# broker's database, as the broker's user; the copy verifies on its own.
runuser -u pitlane -- sqlite3 /var/lib/pitlane/audit.db ".backup /var/lib/pitlane/backup.db" ||
    fail "sqlite3 .backup of the running broker's database"
pitlanectl audit verify /var/lib/pitlane/backup.db >/dev/null || fail "the online backup does not verify"
pass "REQ-PKG-009 an online sqlite3 .backup of the running broker verifies (pitlanectl audit verify)"
stop_unit
expect_stat /var/lib/pitlane/audit.db "pitlane pitlane 600"
pitlanectl audit verify /var/lib/pitlane/audit.db >/dev/null || fail "audit verify after the run"
rows=$(sqlite3 /var/lib/pitlane/audit.db 'SELECT count(*) FROM audit_log' 2>/dev/null || echo 0)
sum_before=$(sqlite3 /var/lib/pitlane/audit.db .dump | sha256sum)
pass "audit database 0600 pitlane, chain verifies ($rows request rows)"

# ---------------------------------------------------------------- upgrade
uid_before=$(id -u pitlane)
# shellcheck disable=SC2046
dpkg -i $(main_debs "$DEBS_UP") >/tmp/pkgtest/dpkg.log 2>&1 || { cat /tmp/pkgtest/dpkg.log; fail "upgrade"; }
ver=$(dpkg-query -W -f='${Version}' pitlane-broker)
case "$ver" in *upgrade*) ;; *) fail "pitlane-broker is $ver after the upgrade" ;; esac
grep -q '^listen 127.0.0.1:0$' /etc/pitlane/broker.conf || fail "upgrade replaced the modified broker.conf"
[ "$(id -u pitlane)" = "$uid_before" ] || fail "upgrade changed the pitlane uid"
expect_stat /etc/pitlane/private "root pitlane 750"
expect_stat /etc/pitlane/private/hsm.pin "pitlane pitlane 600"
start_unit
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready")
[ "$code" = 200 ] || fail "/v1/ready answered $code after the upgrade"
stop_unit
pass "REQ-PKG-020 upgrade to $ver keeps the modified conffile, the user, the modes; the broker starts again"

# ---------------------------------------------------------------- key ceremony
# operations.md §2.1-2.3 and §4 step 3 as written: a token in SoftHSM2's system
# directory (group softhsm), a key generated inside it, the PIN file, no
# SOFTHSM2_CONF; the broker restarted onto the new key; its exported key verifies
# a token it issues; the audit chain verifies across the key change.
if getent group softhsm >/dev/null && [ -d /var/lib/softhsm/tokens ]; then
	for M in /usr/lib/*/softhsm/libsofthsm2.so; do break; done
	adduser --quiet pitlane softhsm
	umask 077
	openssl rand -hex 16 >/root/so-pin
	openssl rand -hex 16 >/root/user-pin
	runuser -u pitlane -- softhsm2-util --init-token --free --label pitlane-broker \
	    --so-pin "$(cat /root/so-pin)" --pin "$(cat /root/user-pin)" >/dev/null ||
	    fail "REQ-PKG-031 softhsm2-util --init-token in /var/lib/softhsm/tokens"
	runuser -u pitlane -- pkcs11-tool --module "$M" --token-label pitlane-broker --login \
	    --pin "$(cat /root/user-pin)" \
	    --keypairgen --key-type EC:prime256v1 --label broker-signing --id 01 --usage-sign \
	    >/dev/null 2>&1 || fail "REQ-PKG-031 pkcs11-tool --keypairgen"
	install -o pitlane -g pitlane -m 0600 /root/user-pin /etc/pitlane/private/hsm.pin
	shred -u /root/user-pin /root/so-pin
	umask 022
	sed -i '/^SOFTHSM2_CONF=/d' /etc/default/pitlaned
	(run_as_unit /usr/bin/pitlanectl key export -f /etc/pitlane/broker.conf) \
	    >/tmp/pkgtest/broker-signing.pem 2>/tmp/pkgtest/export.log ||
	    fail "REQ-PKG-031 pitlanectl key export as the broker's user: $(cat /tmp/pkgtest/export.log)"
	start_unit
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready")
	[ "$code" = 200 ] || fail "REQ-PKG-031 /v1/ready answered $code on the ceremony's key"
	if [ -n "$TOKREQ" ] && [ -x "$TOKREQ" ]; then
		SOFTHSM2_CONF=$D/hsm-agent/softhsm2.conf "$TOKREQ" --url "https://127.0.0.1:$PORT/v1/token" \
		    --cacert /etc/pitlane/tls/dealer-ca.crt --cert "$D/devices/ws-muc-01-pc1.crt" \
		    --key "$D/devices/ws-muc-01-pc1.key" --tech-cert "$D/technicians/tech-anna.crt" \
		    --p11-token pitlane-technicians --p11-object tech-anna --pin-file "$D/hsm-agent/pin" \
		    --vin WVWZZZ1JZXW000001 --op door.lock --out /tmp/pkgtest/token.cwt \
		    >/tmp/pkgtest/tokreq.out 2>&1 || true
		grep -q 'status=201' /tmp/pkgtest/tokreq.out ||
		    fail "REQ-PKG-031 no token from the ceremony's key: $(cat /tmp/pkgtest/tokreq.out)"
		pitlane-token verify --trust /tmp/pkgtest/broker-signing.pem --vin WVWZZZ1JZXW000001 \
		    --op door.lock /tmp/pkgtest/token.cwt >/dev/null 2>&1 ||
		    fail "REQ-PKG-031 the token does not verify against the exported key"
	fi
	stop_unit
	pitlanectl audit verify /var/lib/pitlane/audit.db >/dev/null ||
	    fail "REQ-PKG-031 the audit chain does not verify across the key change"
	pass "REQ-PKG-031 key ceremony as documented (system SoftHSM2 token, group softhsm, new key): ready, token verifies with the exported key, chain verifies across the key change"
fi
sum_before=$(sqlite3 /var/lib/pitlane/audit.db .dump | sha256sum)

# ---------------------------------------------------------------- remove, purge
# pitlane-cosignd first: its overrides go, its state directory stays only when not empty
dpkg -P pitlane-cosignd >/tmp/pkgtest/dpkg.log 2>&1 || { cat /tmp/pkgtest/dpkg.log; fail "dpkg -P pitlane-cosignd"; }
[ ! -e /usr/sbin/pitlane-cosignd ] && [ ! -e /etc/pitlane/cosignd.conf ] ||
    fail "purge of pitlane-cosignd left its program or configuration"
! dpkg-statoverride --list | grep -q /etc/pitlane/cosign || fail "pitlane-cosignd purge left statoverrides"
pass "REQ-COS-045 pitlane-cosignd purges cleanly (program, configuration, overrides)"
dpkg -r pitlane-broker >/tmp/pkgtest/dpkg.log 2>&1 || { cat /tmp/pkgtest/dpkg.log; fail "dpkg -r"; }
[ ! -e /usr/sbin/pitlaned ] || fail "remove left /usr/sbin/pitlaned"
[ -f /etc/pitlane/broker.conf ] || fail "remove (not purge) deleted broker.conf"
[ -f /var/lib/pitlane/audit.db ] || fail "remove deleted the audit database"
pass "REQ-PKG-021 remove: programs gone, configuration and audit database kept"

dpkg -P pitlane-broker >/tmp/pkgtest/dpkg.log 2>&1 || { cat /tmp/pkgtest/dpkg.log; fail "dpkg -P"; }
[ ! -e /etc/pitlane/broker.conf ] || fail "purge left broker.conf"
[ ! -e /etc/default/pitlaned ] || fail "purge left /etc/default/pitlaned"
[ ! -e "$D" ] || fail "purge left $D"
[ -f /var/lib/pitlane/audit.db ] || fail "purge deleted the audit database without the flag"
[ "$(sqlite3 /var/lib/pitlane/audit.db .dump | sha256sum)" = "$sum_before" ] ||
    fail "the kept audit database changed"
! dpkg-statoverride --list | grep -q /etc/pitlane || fail "purge left statoverrides"
[ -f /etc/pitlane/private/hsm.pin ] || fail "purge deleted the operator's PIN file"
grep -q 'kept the audit database' /tmp/pkgtest/dpkg.log || fail "purge did not say it kept the database"
pass "REQ-PKG-022 purge removes conffiles, overrides and state, keeps the audit database (unchanged) and the operator's files"

# Asked: the flag file makes purge delete the database too.
# shellcheck disable=SC2046
dpkg -i $(main_debs "$DEBS" | grep pitlane-broker_) >/tmp/pkgtest/dpkg.log 2>&1 ||
    { cat /tmp/pkgtest/dpkg.log; fail "reinstall"; }
[ -f /var/lib/pitlane/audit.db ] || fail "reinstall lost the kept audit database"
touch /var/lib/pitlane/purge-audit-database
dpkg -P pitlane-broker >/tmp/pkgtest/dpkg.log 2>&1 || { cat /tmp/pkgtest/dpkg.log; fail "dpkg -P"; }
[ ! -e /var/lib/pitlane ] || fail "purge with the flag left /var/lib/pitlane"
pass "REQ-PKG-023 with /var/lib/pitlane/purge-audit-database, purge removes the audit database"

dpkg -P pitlane-agent pitlane-ecusim libpitlane-token-dev libpitlane-token1 >/tmp/pkgtest/dpkg.log 2>&1 ||
    { cat /tmp/pkgtest/dpkg.log; fail "purge of the other packages"; }
left=$(dpkg-query -W -f='${Package} ${Status}\n' 'pitlane*' 'libpitlane*' 2>/dev/null |
    grep -v 'not-installed' || true)
[ -z "$left" ] || fail "packages left: $left"
for f in /usr/bin/pitlane /usr/bin/pitlane-ecusim /usr/bin/pitlane-token /usr/include/pitlane \
    /lib/systemd/system/pitlane-ecusim@.service; do
	[ ! -e "$f" ] || fail "purge left $f"
done
pass "REQ-PKG-024 every package purges cleanly"
