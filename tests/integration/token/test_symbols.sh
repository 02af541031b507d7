#!/bin/sh
# ECU rules checked on the built library:
#  - lib/token imports nothing but memcpy/memmove/memset/memcmp/strlen (clang may
#    emit bcmp for memcmp; no heap,
#    no stdio, no errno);
#  - every global symbol of the static library starts with plt_;
#  - the shared library exports exactly the plt_* API (version script), with
#    the internal plt__* helpers hidden, SONAME libpitlane-token.so.1, every
#    function in version node PITLANE_TOKEN_1.
# usage: test_symbols.sh libpitlane_token.a libpitlane-token.so
set -u
a=$1 so=$2
fails=0
command -v nm >/dev/null || exit 77

allowed='^(memcpy|memmove|memset|memcmp|bcmp|strlen|__stack_chk_fail|__memcpy_chk|__memmove_chk|__memset_chk|_GLOBAL_OFFSET_TABLE_|__asan_.*|__ubsan_.*|__sanitizer_.*)$'
defined=$(nm -g --defined-only "$a" | awk 'NF == 3 { print $3 }' | sort -u)
bad=$(nm -u "$a" | awk 'NF == 2 { print $2 }' | sort -u | grep -Ev "$allowed" |
	while read -r sym; do echo "$defined" | grep -qx "$sym" || echo "$sym"; done)
if [ -n "$bad" ]; then echo "FAIL lib/token imports: $bad"; fails=$((fails + 1)); else echo "ok   imports"; fi

badg=$(nm -g --defined-only "$a" | awk 'NF == 3 { print $3 }' | grep -v '^plt_' | grep -v '^__odr_asan')
if [ -n "$badg" ]; then echo "FAIL non-plt_ globals: $badg"; fails=$((fails + 1)); else echo "ok   globals"; fi

exp=$(nm -D --defined-only "$so" | awk '{ print $3 }' | grep -v '^PITLANE_TOKEN_' | sed 's/@.*//' | sort -u)
badx=$(echo "$exp" | grep -v '^plt_[a-z]')
if [ -n "$badx" ]; then echo "FAIL exported: $badx"; fails=$((fails + 1)); else echo "ok   exports"; fi
for f in plt_verify plt_decode plt_encode plt_cose_sign1_verify plt_cbor_skip plt_strerror plt_wipe \
	plt_encode_sign plt_cosign plt_sign_append plt_verify_signers; do
	echo "$exp" | grep -qx "$f" || { echo "FAIL $f not exported"; fails=$((fails + 1)); }
done
# SONAME 1 (struct plt_trust_anchor and struct plt_token changed size with
# COSE_Sign), one version node for the whole API.
soname=$(objdump -p "$so" | awk '$1 == "SONAME" { print $2 }')
if [ "$soname" = libpitlane-token.so.1 ]; then echo "ok   soname $soname"; else
	echo "FAIL soname '$soname', want libpitlane-token.so.1"; fails=$((fails + 1)); fi
badv=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | grep -v '@@PITLANE_TOKEN_1$')
if [ -n "$badv" ]; then echo "FAIL not in version PITLANE_TOKEN_1: $badv"; fails=$((fails + 1)); else
	echo "ok   every function in version PITLANE_TOKEN_1"; fi
n=$(echo "$exp" | wc -l)
echo "     $n symbols exported"
[ "$fails" -eq 0 ]
