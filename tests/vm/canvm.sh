#!/bin/bash
# canvm.sh - run one test script against real Linux SocketCAN (vcan, CAN_RAW, CAN_ISOTP).
#
# The host kernel of a build machine usually has no CAN support. This script then boots a stock
# Debian kernel under qemu (TCG), loads vcan, can-raw and can-isotp, mounts the host's root
# filesystem read-only over virtio-9p ("mode B") plus the build folder writable at its own path,
# and runs GUEST-SCRIPT as root inside a chroot of the host root: the guest runs the host's own
# binaries, libraries and can-utils. Everything happens in ONE boot.
#
# Where the host kernel itself has vcan and can-isotp (a workshop PC, as root), the same script
# runs directly on the host, in a fresh network namespace so an existing vcan0 is not touched.
#
# Usage: canvm.sh [--build-dir DIR] [--mode auto|vm|host] [--timeout SEC] [--] GUEST-SCRIPT [ARG...]
#
# Exit status: 0 when the guest printed "CANVM-RESULT: PASS"; 1 on a failure; 2 on a usage error;
# 77 (skip) when qemu or the kernel cannot be had, unless CI=true or PITLANE_VM_REQUIRED=1, where
# that is a failure too.
#
# Environment:
#   PITLANE_VM_CACHE     kernel + initramfs cache (default: <build dir>/vm-cache)
#   PITLANE_VM_KPKG      pin the kernel package (default: what linux-image-amd64 depends on)
#   PITLANE_VM_TIMEOUT   seconds for the whole boot (default 240)
#   PITLANE_VM_MODE      auto (default), vm or host
#   PITLANE_VM_ACCEL     tcg or kvm (default: kvm only with real vmx/svm, else tcg)
#   PITLANE_VM_PVH       1 (default): boot the extracted ELF vmlinux through the PVH entry
#   PITLANE_VM_REQUIRED  1: a missing qemu or kernel is a failure, not a skip (also when CI=true)
set -euo pipefail

PROG=canvm
SKIP=77

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# unavailable WHAT [WHAT-TO-DO]: a missing prerequisite. Skip on a developer machine, fail
# where the tier is required.
unavailable() {
	local fix=${2:-install the dependencies with packaging/install-deps.sh}
	if [ "${CI:-}" = true ] || [ "${PITLANE_VM_REQUIRED:-0}" = 1 ]; then
		log "error: $1; the SocketCAN VM tier is required here (CI=true or" \
			"PITLANE_VM_REQUIRED=1): $fix"
		exit 1
	fi
	log "skip: $1 ($fix; PITLANE_VM_REQUIRED=1 makes this a failure)"
	exit "$SKIP"
}

usage() {
	sed -n '13p' "$0" | sed 's/^# //' >&2
	exit 2
}

BUILD_DIR=${PITLANE_BINARY_DIR:-}
MODE=${PITLANE_VM_MODE:-auto}
TIMEOUT=${PITLANE_VM_TIMEOUT:-240}
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) [ $# -ge 2 ] || usage; BUILD_DIR=$2; shift 2 ;;
	--mode) [ $# -ge 2 ] || usage; MODE=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; TIMEOUT=$2; shift 2 ;;
	--) shift; break ;;
	-*) log "unknown option '$1'"; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
case $MODE in auto|vm|host) ;; *) log "--mode must be auto, vm or host, not '$MODE'"; exit 2 ;; esac
case $TIMEOUT in ''|*[!0-9]*) log "--timeout must be a number of seconds, not '$TIMEOUT'"; exit 2 ;; esac
[ -n "$BUILD_DIR" ] || { log "no build folder: pass --build-dir DIR or set PITLANE_BINARY_DIR"; exit 2; }
[ -d "$BUILD_DIR" ] || die "build folder '$BUILD_DIR' does not exist"
BUILD_DIR=$(realpath "$BUILD_DIR")
GUEST=$(realpath "$1") || die "guest script '$1' not found"
shift
[ -x "$GUEST" ] || die "guest script '$GUEST' is not executable (chmod +x it)"
CACHE=${PITLANE_VM_CACHE:-$BUILD_DIR/vm-cache}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Prints the guest log without carriage returns, prefixed, and checks the result marker.
report() {
	local logf=$1
	tr -d '\r' < "$logf" | grep -av '^[[:space:]]*$' | sed 's/^/guest| /' || true
	if tr -d '\r' < "$logf" | grep -aq '^CANVM-RESULT: PASS$'; then
		return 0
	fi
	if ! tr -d '\r' < "$logf" | grep -aq '^CANVM-RESULT:'; then
		log "the guest printed no CANVM-RESULT line (crash, panic or timeout; see the log above)"
	fi
	return 1
}

# ------------------------------------------------------------------ host mode
# The host kernel can run the tests itself when, as root, a vcan device can be created in a
# fresh network namespace and an ISO-TP socket can be opened on it.
host_has_can() {
	[ "$(id -u)" = 0 ] || return 1
	command -v unshare >/dev/null && command -v ip >/dev/null && command -v isotprecv >/dev/null ||
		return 1
	modprobe -q vcan 2>/dev/null || true
	modprobe -q can-raw 2>/dev/null || true
	modprobe -q can-isotp 2>/dev/null || true
	# isotprecv exits 1 at once when it cannot open the socket, 124 when it waits for data.
	unshare -n sh -c 'ip link add dev vcan0 type vcan && ip link set vcan0 up &&
		{ timeout 1 isotprecv -s 7E0 -d 7E8 vcan0 >/dev/null 2>&1; [ $? = 124 ]; }' \
		>/dev/null 2>&1
}

run_host() {
	local logf rc t0 t1
	logf=$(mktemp "${TMPDIR:-/tmp}/canvm-host.XXXXXX")
	log "host kernel $(uname -r) has vcan + can-isotp: running without a VM (new network namespace)"
	t0=$(now)
	set +e
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout -k 5 "$TIMEOUT" unshare -n sh -c \
		'ip link set lo up; cd "$0" && "$@"; rc=$?
		if [ $rc = 0 ]; then echo "CANVM-RESULT: PASS"; else echo "CANVM-RESULT: FAIL rc=$rc"; fi' \
		"$BUILD_DIR" "$GUEST" "$@" </dev/null >"$logf" 2>&1
	rc=$?
	set -e
	t1=$(now)
	[ $rc = 124 ] && log "the tests did not finish within $TIMEOUT s"
	rc=0
	report "$logf" || rc=1
	log "host run: $(elapsed "$t0" "$t1") s wall"
	rm -f "$logf"
	exit $rc
}

# ------------------------------------------------------------------ kernel cache
# Modules the guest needs; their dependencies are resolved with modinfo.
WANT_MODS="vcan can-raw can-isotp virtio_pci 9pnet_virtio 9p"

resolve_kpkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }' || true
}

# mod_find DIR NAME: the file of module NAME (names treat - and _ alike), or nothing.
mod_find() {
	local dir=$1 a b
	a=$(printf '%s' "$2" | tr _ -)
	b=$(printf '%s' "$2" | tr - _)
	find "$dir" -type f \( -name "$a.ko" -o -name "$a.ko.*" -o -name "$b.ko" -o -name "$b.ko.*" \) |
		head -n1
}

# mod_add NAME: copies module NAME and, first, everything it depends on into $KTMP/modules
# and appends it to MOD_ORDER (insmod order). Built-in modules are skipped.
mod_add() {
	local name f plain deps d
	name=$(printf '%s' "$1" | tr - _)
	case " $MOD_ORDER $MOD_SEEN " in *" $name "*) return 0 ;; esac
	MOD_SEEN="$MOD_SEEN $name"
	f=$(mod_find "$MODDIR" "$1")
	if [ -z "$f" ]; then
		if grep -qE "/($(printf '%s' "$1" | tr _ -)|$name)\.ko\$" \
			"$MODDIR/modules.builtin" 2>/dev/null; then
			return 0
		fi
		log "module '$1' is neither in $MODDIR nor built in"
		return 1
	fi
	plain=$KTMP/modules/$name.ko
	case $f in
	*.ko.xz) xz -dc "$f" >"$plain" ;;
	*.ko.zst) zstd -qdc "$f" >"$plain" ;;
	*.ko.gz) gzip -dc "$f" >"$plain" ;;
	*) cp "$f" "$plain" ;;
	esac
	deps=$(modinfo -F depends "$plain" | tr , ' ')
	for d in $deps; do
		mod_add "$d" || return 1
	done
	MOD_ORDER="$MOD_ORDER $name"
}

# Extracts the uncompressed ELF vmlinux from a bzImage (as the kernel's scripts/extract-vmlinux
# does for xz); the PVH entry boots it about twice as fast under TCG.
extract_vmlinux() {
	local bz=$1 out=$2 off
	off=$(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$bz" | head -n1 | cut -d: -f1 || true)
	[ -n "$off" ] || return 0
	# xz complains about the bytes after the stream: harmless.
	tail -c +$((off + 1)) "$bz" | xz -dc >"$out" 2>/dev/null || true
	[ "$(head -c4 "$out" 2>/dev/null)" = $'\x7fELF' ] || rm -f "$out"
}

fetch_kernel() {
	local kpkg deb
	kpkg=${PITLANE_VM_KPKG:-$(resolve_kpkg)}
	if [ -z "$kpkg" ] && [ "$(id -u)" = 0 ]; then
		log "apt-cache knows no linux-image-amd64: running apt-get update"
		apt-get update -qq >&2 || true
		kpkg=$(resolve_kpkg)
	fi
	[ -n "$kpkg" ] || unavailable "apt-cache depends linux-image-amd64 names no kernel package" \
		"run apt-get update as root, or pin one with PITLANE_VM_KPKG=linux-image-VERSION-amd64"
	KVER=${kpkg#linux-image-}
	log "fetching $kpkg (apt-get download; extracted into the cache, never installed)"
	KTMP=$CACHE/kernel.tmp.$$
	rm -rf "$KTMP"
	mkdir -p "$KTMP/deb" "$KTMP/root" "$KTMP/modules"
	# As root apt warns that the download is unsandboxed: harmless, filtered out.
	(cd "$KTMP/deb" && apt-get download -q "$kpkg" 2>&1 | grep -v 'unsandboxed as root' >&2) ||
		true
	deb=$(find "$KTMP/deb" -name '*.deb' | head -n1)
	if [ -z "$deb" ]; then
		rm -rf "$KTMP"
		unavailable "apt-get download $kpkg failed (see apt's message above)" \
			"check the Debian mirror is reachable and the package exists (apt-cache policy $kpkg)"
	fi
	dpkg-deb -x "$deb" "$KTMP/root" || die "dpkg-deb -x $deb failed"
	MODDIR=$KTMP/root/lib/modules/$KVER
	[ -d "$MODDIR" ] || die "$kpkg has no lib/modules/$KVER"
	[ -f "$KTMP/root/boot/vmlinuz-$KVER" ] || die "$kpkg has no boot/vmlinuz-$KVER"
	MOD_ORDER=
	MOD_SEEN=
	for m in $WANT_MODS; do
		mod_add "$m" || die "cannot collect the kernel modules of $kpkg"
	done
	cp "$KTMP/root/boot/vmlinuz-$KVER" "$KTMP/vmlinuz"
	extract_vmlinux "$KTMP/vmlinuz" "$KTMP/vmlinux"
	echo "${MOD_ORDER# }" >"$KTMP/modorder"
	echo "$KVER" >"$KTMP/version"
	rm -rf "$KTMP/deb" "$KTMP/root"
	rm -rf "$CACHE/kernel"
	mv "$KTMP" "$CACHE/kernel"
	log "cached kernel $KVER in $CACHE/kernel (modules: $(cat "$CACHE/kernel/modorder"))"
}

# ------------------------------------------------------------------ initramfs
# /init: busybox, the modules, then the host root over 9p and the guest script in a chroot.
write_init() {
	cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "canvm: guest kernel $(uname -r), $(cut -d' ' -f1 /proc/uptime) s after boot"
for m in $(cat /modorder); do
	insmod /modules/$m.ko || echo "canvm: insmod $m failed"
done
ip link set lo up
R=/newroot
O=trans=virtio,version=9p2000.L,msize=262144
rc=99
# The host root does not change during a run: cache it (exec over 9p is much faster); the work
# folder is written by both sides: no cache.
if mount -t 9p -o $O,ro,cache=loose hostroot $R; then
	mount -t proc proc $R/proc
	mount -t sysfs sys $R/sys
	mount -t devtmpfs dev $R/dev
	mkdir -p $R/dev/pts $R/dev/shm
	mount -t devpts devpts $R/dev/pts
	mount -t tmpfs shm $R/dev/shm
	# The guest gets its own /tmp; folders of the host's /tmp that hold the tests (a checkout
	# under /tmp) stay visible through bind mounts.
	mkdir -p /hosttmp
	mount -o bind $R/tmp /hosttmp
	mount -t tmpfs tmp $R/tmp
	mount -t tmpfs run $R/run
	for k in $(echo "$CANVM_TMPKEEP" | tr , ' '); do
		mkdir -p $R$k && mount -o bind /hosttmp/${k#/tmp/} $R$k ||
			echo "canvm: cannot keep $k visible"
	done
	if [ -n "$CANVM_WORK" ] && mkdir -p $R$CANVM_WORK &&
		mount -t 9p -o $O,cache=none work $R$CANVM_WORK; then
		echo "canvm: guest script starts $(cut -d' ' -f1 /proc/uptime) s after boot"
		chroot $R /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/tmp TMPDIR=/tmp CANVM=1 \
			/bin/sh -c 'cd "$0" && exec "$@"' "$CANVM_WORK" "$@"
		rc=$?
	else
		echo "canvm: cannot mount the work folder '$CANVM_WORK' over 9p"
	fi
else
	echo "canvm: cannot mount the host root over 9p"
fi
if [ $rc = 0 ]; then echo "CANVM-RESULT: PASS"; else echo "CANVM-RESULT: FAIL rc=$rc"; fi
sync
poweroff -f
EOF
}

build_initrd() {
	local busybox=/bin/busybox r sum out
	[ -x "$busybox" ] || unavailable "no /bin/busybox (Debian package busybox-static)"
	if LC_ALL=C ldd "$busybox" >/dev/null 2>&1; then
		unavailable "/bin/busybox is dynamically linked (install busybox-static, not busybox)"
	fi
	sum=$({ write_init; cat "$CACHE/kernel/modorder"; sha256sum "$busybox"; } |
		sha256sum | cut -c1-16)
	out=$CACHE/kernel/initrd-$sum.cpio.gz
	if [ ! -s "$out" ]; then
		r=$(mktemp -d "$CACHE/initrd.XXXXXX")
		mkdir -p "$r/bin" "$r/dev" "$r/proc" "$r/sys" "$r/tmp" "$r/run" "$r/newroot"
		cp "$busybox" "$r/bin/busybox"
		cp -r "$CACHE/kernel/modules" "$r/modules"
		cp "$CACHE/kernel/modorder" "$r/modorder"
		write_init >"$r/init"
		chmod 755 "$r/init"
		rm -f "$CACHE"/kernel/initrd-*.cpio.gz
		(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
		mv "$out.tmp" "$out"
		rm -rf "$r"
	fi
	INITRD=$out
}

# ------------------------------------------------------------------ vm mode
run_vm() {
	local kernel accel logf cmdline rc t0 t1 m
	command -v qemu-system-x86_64 >/dev/null ||
		unavailable "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
	for m in cpio gzip xz modinfo dpkg-deb apt-get flock; do
		command -v $m >/dev/null || unavailable "'$m' not found"
	done
	for m in "$BUILD_DIR" "$GUEST" "$@"; do
		case $m in *[[:space:]\"\']*)
			die "'$m' contains a space or quote: the kernel command line cannot carry it" ;;
		esac
	done

	mkdir -p "$CACHE"
	exec 9>"$CACHE/lock"
	flock -w 600 9 || die "cache $CACHE is locked by another run for more than 600 s"
	# A kernel is fetched when the cache has none, or not the one pinned with PITLANE_VM_KPKG.
	if [ ! -s "$CACHE/kernel/version" ] || { [ -n "${PITLANE_VM_KPKG:-}" ] &&
		[ "linux-image-$(cat "$CACHE/kernel/version")" != "$PITLANE_VM_KPKG" ]; }; then
		fetch_kernel
	fi
	KVER=$(cat "$CACHE/kernel/version")
	build_initrd
	flock -u 9

	kernel=$CACHE/kernel/vmlinuz
	if [ "${PITLANE_VM_PVH:-1}" = 1 ] && [ -s "$CACHE/kernel/vmlinux" ]; then
		kernel=$CACHE/kernel/vmlinux
	fi
	accel=${PITLANE_VM_ACCEL:-tcg}
	# /dev/kvm alone proves nothing: a software (PVM) KVM without vmx/svm emulates a stock
	# guest far slower than TCG and crashes. Use KVM only with hardware virtualisation.
	if [ -z "${PITLANE_VM_ACCEL:-}" ] && [ -w /dev/kvm ] &&
		grep -qwE 'vmx|svm' /proc/cpuinfo; then
		accel=kvm
	fi
	local qaccel=(-accel tcg)
	[ "$accel" = kvm ] && qaccel=(-accel kvm -cpu host)

	# Top folders under /tmp that hold the build or the guest script: the guest's own tmpfs /tmp
	# must not hide them.
	local keep="" top
	for m in "$BUILD_DIR" "$GUEST" "$@"; do
		case $m in /tmp/?*)
			top=/tmp/${m#/tmp/}
			top=/tmp/$(printf '%s' "${top#/tmp/}" | cut -d/ -f1)
			case ",$keep," in *",$top,"*) ;; *) keep=${keep:+$keep,}$top ;; esac ;;
		esac
	done
	cmdline="console=ttyS0 quiet panic=-1 CANVM_WORK=$BUILD_DIR"
	[ -n "$keep" ] && cmdline="$cmdline CANVM_TMPKEEP=$keep"
	cmdline="$cmdline -- $GUEST $*"
	[ ${#cmdline} -lt 2000 ] || die "kernel command line too long (${#cmdline} bytes, max 2000)"

	logf=$(mktemp "${TMPDIR:-/tmp}/canvm-vm.XXXXXX")
	log "booting $KVER ($(basename "$kernel"), $accel, -smp 1) for $(basename "$GUEST")"
	t0=$(now)
	set +e
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 "${qaccel[@]}" -m 512 -smp 1 \
		-nodefaults -no-user-config -display none -serial stdio -no-reboot \
		-kernel "$kernel" -initrd "$INITRD" -append "$cmdline" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$BUILD_DIR,mount_tag=work,security_model=none" \
		</dev/null >"$logf" 2>&1
	rc=$?
	set -e
	t1=$(now)
	[ $rc = 124 ] && log "the VM did not finish within $TIMEOUT s (PITLANE_VM_TIMEOUT)"
	rc=0
	report "$logf" || rc=1
	log "VM run: $(elapsed "$t0" "$t1") s wall (boot + tests + poweroff)"
	rm -f "$logf"
	exit $rc
}

case $MODE in
host) host_has_can || die "--mode host: this kernel cannot create vcan + can-isotp (or not root)"
	run_host "$@" ;;
vm) run_vm "$@" ;;
auto) if host_has_can; then run_host "$@"; else run_vm "$@"; fi ;;
esac
