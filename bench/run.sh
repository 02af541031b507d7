#!/bin/sh
# Runs every benchmark of the build: executables bench/*/bench_* and scripts bench/*/run-*.sh.
# Usage: bench/run.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
export PITLANE_SOURCE_DIR="$top" PITLANE_BINARY_DIR="$build"
status=0
for b in "$build"/bench/*/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" || status=1
done
for s in "$top"/bench/*/run-*.sh; do
	[ -f "$s" ] || continue
	echo "== $(basename "$s")"
	sh "$s" "$build" || status=1
done
exit $status
