#!/bin/sh
# canvm-selftest.sh - checks canvm.sh's own contract: usage errors, the skip policy (77 on a
# developer machine, failure with CI=true or PITLANE_VM_REQUIRED=1), that a failing guest
# step fails the run, and that host mode works where the kernel has CAN (inside the VM). The
# two boots are skipped when no qemu or kernel can be had.
#
# Usage: canvm-selftest.sh BUILD_DIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
CANVM=$HERE/canvm.sh
[ $# = 1 ] || { echo "usage: canvm-selftest.sh BUILD_DIR" >&2; exit 2; }
BUILD=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/canvm-selftest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fails=0
checks=0

# expect NAME WANT-RC WANT-TEXT CMD...: runs CMD, checks its exit status and that its output has
# WANT-TEXT.
expect() {
	name=$1 want=$2 text=$3
	shift 3
	checks=$((checks + 1))
	"$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$text" "$T/out"; then
		echo "ok: $name (rc=$rc)"
	else
		echo "FAILED: $name: rc=$rc (want $want), output (want '$text'):"
		sed 's/^/    /' "$T/out"
		fails=$((fails + 1))
	fi
}

unset CI PITLANE_VM_REQUIRED PITLANE_VM_KPKG PITLANE_VM_MODE
printf '#!/bin/sh\nexit 0\n' >"$T/guest-ok.sh"
chmod +x "$T/guest-ok.sh"

expect "REQ-VM-010 no guest script is a usage error" 2 "Usage: canvm.sh" \
	"$CANVM" --build-dir "$BUILD"
expect "REQ-VM-010 unknown option is a usage error" 2 "unknown option '--bogus'" \
	"$CANVM" --bogus --build-dir "$BUILD" "$T/guest-ok.sh"
expect "REQ-VM-010 bad mode is a usage error" 2 "must be auto, vm or host" \
	"$CANVM" --mode kvm --build-dir "$BUILD" "$T/guest-ok.sh"

# A kernel package that cannot be downloaded (apt answers at once, no network needed).
expect "REQ-VM-011 missing kernel skips on a developer machine" 77 "skip: apt-get download" \
	env PITLANE_VM_CACHE="$T/c1" PITLANE_VM_KPKG=linux-image-0.0.0-0-none-amd64 \
	"$CANVM" --mode vm --build-dir "$BUILD" "$T/guest-ok.sh"
expect "REQ-VM-012 missing kernel fails with CI=true" 1 "required here (CI=true" \
	env CI=true PITLANE_VM_CACHE="$T/c2" PITLANE_VM_KPKG=linux-image-0.0.0-0-none-amd64 \
	"$CANVM" --mode vm --build-dir "$BUILD" "$T/guest-ok.sh"
expect "REQ-VM-012 missing kernel fails with PITLANE_VM_REQUIRED=1" 1 "required here" \
	env PITLANE_VM_REQUIRED=1 PITLANE_VM_CACHE="$T/c3" \
	PITLANE_VM_KPKG=linux-image-0.0.0-0-none-amd64 \
	"$CANVM" --mode vm --build-dir "$BUILD" "$T/guest-ok.sh"

# No qemu on PATH: only the few tools canvm.sh needs before it looks for qemu.
mkdir -p "$T/bin"
for tool in realpath id sh; do
	ln -s "$(command -v "$tool")" "$T/bin/$tool"
done
expect "REQ-VM-011 missing qemu skips on a developer machine" 77 "qemu-system-x86_64 not found" \
	env PATH="$T/bin" "$CANVM" --mode vm --build-dir "$BUILD" "$T/guest-ok.sh"
expect "REQ-VM-012 missing qemu fails with CI=true" 1 "qemu-system-x86_64 not found" \
	env CI=true PATH="$T/bin" "$CANVM" --mode vm --build-dir "$BUILD" "$T/guest-ok.sh"

# A guest step that fails must fail the run: one boot with a step the runner does not know.
# Kernel and qemu come from the normal cache; without them this part is skipped.
printf 'PL_STEPS="no-such-step"\n' >"$BUILD/tests/vm/selftest-fail.conf"
"$CANVM" --build-dir "$BUILD" -- "$HERE/guest-tests.sh" "$BUILD/tests/vm/selftest-fail.conf" \
	>"$T/out" 2>&1
rc=$?
checks=$((checks + 1))
if [ $rc = 77 ]; then
	echo "skipped: a failing guest step fails the run (no qemu or kernel here)"
elif [ $rc = 1 ] && grep -q 'CANVM-STEP no-such-step: FAIL' "$T/out" &&
	grep -q 'CANVM-RESULT: FAIL rc=1' "$T/out"; then
	echo "ok: REQ-VM-013 a failing guest step fails the run (rc=1)"
else
	echo "FAILED: REQ-VM-013 a failing guest step fails the run: rc=$rc, output:"
	sed 's/^/    /' "$T/out"
	fails=$((fails + 1))
fi
rm -f "$BUILD/tests/vm/selftest-fail.conf"

# Host mode: inside the VM the kernel has vcan and can-isotp, so canvm.sh (auto) run there must
# choose to run the guest script directly, in its own network namespace, and pass.
printf 'PL_STEPS="canutils-raw"\n' >"$BUILD/tests/vm/selftest-host.conf"
cat >"$BUILD/tests/vm/selftest-host.sh" <<EOF
#!/bin/sh
"$CANVM" --build-dir "$BUILD" -- "$HERE/guest-tests.sh" "$BUILD/tests/vm/selftest-host.conf"
EOF
chmod +x "$BUILD/tests/vm/selftest-host.sh"
"$CANVM" --build-dir "$BUILD" -- "$BUILD/tests/vm/selftest-host.sh" >"$T/out" 2>&1
rc=$?
checks=$((checks + 1))
if [ $rc = 77 ]; then
	echo "skipped: host mode where the kernel has CAN (no qemu or kernel here)"
elif [ $rc = 0 ] && grep -q 'running without a VM' "$T/out" &&
	grep -q 'guest| CANVM-STEP canutils-raw: PASS' "$T/out"; then
	echo "ok: REQ-VM-014 where the kernel has vcan + can-isotp the tests run without a VM"
else
	echo "FAILED: REQ-VM-014 host mode: rc=$rc, output:"
	sed 's/^/    /' "$T/out"
	fails=$((fails + 1))
fi
rm -f "$BUILD/tests/vm/selftest-host.conf" "$BUILD/tests/vm/selftest-host.sh"

echo "canvm-selftest: $checks checks, $fails failed"
[ $fails = 0 ]
