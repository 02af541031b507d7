#!/bin/sh
# The Debian packages build (packaging/build-debs.sh), and install, run, upgrade,
# remove and purge with dpkg in a throwaway root: an overlay of this machine's
# root file system in a private mount namespace, so nothing leaks to the machine.
# The checks themselves are in in_root.sh (REQ-PKG-001..024).
# Needs root (dpkg, mount); exits 77 (skip) without it.
# Environment: PITLANE_SOURCE_DIR; TOKREQ (optional test client); SYSFILTER (optional:
# applies the unit's SystemCallFilter= with libseccomp); PITLANE_DEBS=DIR
# reuses packages built before (make packages) instead of building them.
set -eu

S=${PITLANE_SOURCE_DIR:?}
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (dpkg -i in an overlay root)"
	exit 77
fi
for t in unshare chroot dpkg-deb setpriv python3 curl sqlite3 systemd-analyze cc; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: '$t' not installed"; exit 77; }
done
if ! unshare --mount sh -c 'mount -t tmpfs tmpfs /mnt' 2>/dev/null; then
	echo "SKIP: cannot mount in a private mount namespace here"
	exit 77
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-pkg.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

# -- build ---------------------------------------------------------------------
if [ -n "${PITLANE_DEBS:-}" ]; then
	cp "$PITLANE_DEBS"/*.deb "$W/" 2>/dev/null || true
	mkdir -p "$W/debs" && mv "$W"/*.deb "$W/debs/"
else
	t0=$(date +%s)
	JOBS=${JOBS:-2} "$S/packaging/build-debs.sh" "$W/debs" >"$W/build.log" 2>&1 ||
	    { cat "$W/build.log"; echo "FAIL: build-debs.sh"; exit 1; }
	echo "ok: REQ-PKG-000 build-debs.sh built the packages in $(($(date +%s) - t0)) s"
fi
for p in pitlane-broker pitlane-agent pitlane-ecusim libpitlane-token1 libpitlane-token-dev; do
	ls "$W/debs/${p}_"*.deb >/dev/null 2>&1 || { echo "FAIL: no $p .deb"; exit 1; }
done

# -- the same packages one version later (the upgrade path) ---------------------
mkdir -p "$W/debs-up"
for d in "$W"/debs/*.deb; do
	case "$d" in *-dbgsym_*) continue ;; esac
	x=$W/x
	rm -rf "$x"
	dpkg-deb -R "$d" "$x"
	v=$(sed -n 's/^Version: //p' "$x/DEBIAN/control")
	sed -i "s/^Version: .*/Version: $v+upgrade1/; s/(= $v)/(= $v+upgrade1)/g" "$x/DEBIAN/control"
	dpkg-deb -b -Zxz "$x" "$W/debs-up/" >/dev/null
done

# -- throwaway root ---------------------------------------------------------------
mkdir -p "$W/ov"
cat >"$W/enter.sh" <<'SH'
set -eu
W=$1
mount -t tmpfs -o mode=0755 tmpfs "$W/ov"
mkdir -p "$W/ov/upper" "$W/ov/work" "$W/ov/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$W/ov/upper,workdir=$W/ov/work" "$W/ov/root"
R=$W/ov/root
mount --rbind /proc "$R/proc"
mount --rbind /dev "$R/dev"
mount --rbind /sys "$R/sys"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mkdir -p "$R/tmp/pkgtest"
cp -r "$W/debs" "$W/debs-up" "$2" "$R/tmp/pkgtest/"
sf=
if [ -n "$4" ]; then
	cp "$4" "$R/tmp/pkgtest/sysfilter"
	sf=/tmp/pkgtest/sysfilter
fi
exec chroot "$R" /bin/sh /tmp/pkgtest/in_root.sh /tmp/pkgtest/debs /tmp/pkgtest/debs-up "$3" "$sf"
SH
unshare --mount --propagation private sh "$W/enter.sh" "$W" "$here/in_root.sh" "${TOKREQ:-}" \
    "${SYSFILTER:-}"
