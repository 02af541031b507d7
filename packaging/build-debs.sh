#!/bin/sh
# build-debs.sh [--rev REV] OUTDIR -- build the pitlane Debian packages from this tree.
#
# Copies the working tree (without build folders and .git) -- or, with --rev, the
# committed tree of git revision REV (a release tag, HEAD) -- to a temporary directory,
# puts packaging/debian there as debian/ and runs dpkg-buildpackage (binary
# packages, unsigned). The .deb files, the .buildinfo and .changes land in OUTDIR:
#   pitlane-broker, pitlane-agent, pitlane-ecusim, libpitlane-token1,
#   libpitlane-token-dev (+ -dbgsym .ddeb files).
# Needs the build dependencies of packaging/debian/control (all in
# packaging/install-deps.sh). Environment: JOBS (default: nproc), KEEP_TMP=1
# keeps the build directory for inspection.
set -eu

prog=build-debs.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}

rev=
if [ "${1:-}" = --rev ]; then
	[ $# -ge 2 ] || die "usage: $prog [--rev REV] OUTDIR"
	rev=$2
	shift 2
fi
[ $# -eq 1 ] || die "usage: $prog [--rev REV] OUTDIR (created if absent)"
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

for t in dpkg-buildpackage dh dpkg-checkbuilddeps; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "'$t' not found; install dpkg-dev and debhelper (packaging/install-deps.sh)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-debs.XXXXXX")
cleanup() {
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "$prog: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT INT TERM

tree=$tmp/pitlane
mkdir -p "$tree"
if [ -n "$rev" ]; then
	git -C "$src" rev-parse --verify --quiet "$rev^{commit}" >/dev/null ||
	    die "'$rev' is not a commit of $src"
	git -C "$src" archive --format=tar "$rev" | tar -C "$tree" -xf -
	rm -rf "$tree/debian"
else
	(cd "$src" && tar --exclude='./build' --exclude='./build-*' --exclude='./obj-*' \
	    --exclude='./.git' --exclude='./debian' -cf - .) | tar -C "$tree" -xf -
fi
cp -r "$tree/packaging/debian" "$tree/debian"

# The package version (debian/changelog) must be the project version (CMakeLists.txt).
pkgver=$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)
projver=$(sed -n 's/^project(pitlane VERSION \([0-9.]*\).*/\1/p' "$tree/CMakeLists.txt")
case "$pkgver" in
"$projver" | "$projver"[-+~]*) ;;
*) die "packaging/debian/changelog says $pkgver but CMakeLists.txt says $projver;" \
	"add a changelog entry (dch -v $projver) first" ;;
esac

echo "$prog: building pitlane $pkgver from ${rev:-the working tree} in $tree ($jobs jobs)"
if ! (cd "$tree" && DEB_BUILD_OPTIONS="parallel=$jobs nocheck" \
    dpkg-buildpackage -b -uc -us >"$tmp/build.log" 2>&1); then
	tail -n 40 "$tmp/build.log" >&2
	die "dpkg-buildpackage failed; the whole log is $tmp/build.log (KEEP_TMP=1 keeps it)"
fi

n=0
for f in "$tmp"/*.deb "$tmp"/*.ddeb "$tmp"/*.buildinfo "$tmp"/*.changes; do
	[ -e "$f" ] || continue
	cp "$f" "$out/"
	case "$f" in *.deb) n=$((n + 1)) ;; esac
done
[ "$n" -ge 5 ] || die "expected 5 .deb files, got $n (see $tmp/build.log)"
echo "$prog: $n packages in $out:"
for f in "$out"/*.deb; do echo "  ${f##*/}"; done
