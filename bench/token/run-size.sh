#!/bin/sh
# Code size and stack use of lib/token without crypto (the ECU deliverable).
# Compiles lib/token/src/*.c as an ECU build would (C99, -O2 and -Os, no
# sanitizers), then reports:
#   - .text bytes (and .rodata) of the objects an ECU links for plt_verify
#     (target <= 12 KiB), and of the whole library
#   - the deepest stack of plt_verify, plt_decode, plt_encode and
#     plt_cose_sign1_verify, from GCC's -fstack-usage/-fcallgraph-info call graph
#     (target <= 2 KiB for plt_verify). The crypto hook is an indirect call and
#     is not counted: its stack belongs to the ECU's crypto binding.
# usage: bench/token/run-size.sh [BUILD_DIR]   (BUILD_DIR is not needed: the
#        script compiles the sources itself; the compiler is $PLT_SIZE_CC, gcc >= 10, default gcc)
set -eu
CC=${PLT_SIZE_CC:-gcc}
case $CC in *gcc*) ;; *) echo "run-size.sh: needs gcc (-fcallgraph-info), not $CC" >&2; exit 1 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../lib/token
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
status=0

for opt in -O2 -Os; do
	mkdir -p "$work/$opt"
	for f in "$src"/src/*.c; do
		o="$work/$opt/$(basename "$f" .c).o"
		(cd "$work/$opt" && $CC -std=c99 -pedantic $opt -fno-asynchronous-unwind-tables \
			-fstack-usage -fcallgraph-info=su -I"$src/include" -c "$f" -o "$o")
	done
	# The whole library, and what an ECU links from the static archive for
	# plt_verify (the signing side - encode, cosign - and the generic
	# interoperability verifier in cose.c stay out of its image).
	all=$(size -A "$work/$opt"/*.o | awk '$1 == ".text" || $1 ~ /^\.text\./ { s += $2 } END { print s }')
	ecu=$(ls "$work/$opt"/*.o | grep -Ev '/(encode|cosign|cose)\.o$')
	text=$(size -A $ecu | awk '$1 == ".text" || $1 ~ /^\.text\./ { s += $2 } END { print s }')
	ro=$(size -A $ecu | awk '$1 ~ /^\.rodata/ { s += $2 } END { print s + 0 }')
	echo "lib/token $opt: ECU verify side .text $text bytes ($(awk "BEGIN { printf \"%.1f\", $text / 1024 }") KiB, target <= 12 KiB), .rodata $ro bytes; whole library .text $all bytes"
	[ "$text" -le 12288 ] || status=1
	python3 "$here/stack_depth.py" "$work/$opt"/*.ci >"$work/stack.txt" || status=1
	sed "s/^/lib\/token $opt: /" "$work/stack.txt"
done
exit $status
