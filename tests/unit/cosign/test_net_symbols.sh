#!/bin/sh
# REQ-COS-008: the co-signer's network process holds no key and no audit store, down to its
# code: its libraries (pitlane_cosign_net, pitlane_cosign_proto) reference no symbol that the
# checks, lib/p11, the core or SQLite define, and none names one of them as a link
# dependency (nm over the static libraries, as privsep_front_symbols does).
#
#   test_net_symbols.sh "NET_LIBS" "FORBIDDEN_LIBS" "LINK_INTERFACES"
set -eu
net_libs=$1 forbidden_libs=$2 link_ifaces=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL REQ-COS-008: $*" >&2; exit 1; }

command -v nm >/dev/null 2>&1 || { echo "nm not found (binutils)" >&2; exit 77; }

for l in $net_libs; do nm -u "$l"; done | awk '$1 == "U" { print $2 }' | sort -u >"$tmp/u"
for l in $net_libs; do nm --defined-only -g "$l"; done | awk 'NF == 3 { print $3 }' |
    sort -u >"$tmp/d"
comm -23 "$tmp/u" "$tmp/d" >"$tmp/needs"
for l in $forbidden_libs; do nm --defined-only -g "$l"; done |
    awk 'NF == 3 && $2 ~ /^[TDBRCV]$/ { print $3 }' | sort -u >"$tmp/forbidden"

# The test sees what it should: the network code needs TLS and the channel; the forbidden
# libraries define the checks' entry point and the PKCS#11 signing call.
grep -qx 'SSL_CTX_new' "$tmp/needs" || fail "the network code needs no SSL_CTX_new (wrong files?)"
grep -qx 'cs_recv' "$tmp/d" || fail "the network libraries do not define cs_recv"
grep -qx 'cosign_check' "$tmp/forbidden" || fail "no cosign_check among the forbidden"
grep -qx 'p11_sign_digest' "$tmp/forbidden" || fail "no p11_sign_digest among the forbidden"
grep -qx 'cosign_hsm_sign' "$tmp/forbidden" || fail "no cosign_hsm_sign among the forbidden"

if comm -12 "$tmp/needs" "$tmp/forbidden" | grep . >"$tmp/hits"; then
	fail "the network code references: $(tr '\n' ' ' <"$tmp/hits")"
fi
if grep -E '^(sqlite3_|C_Sign|p11_kit_)' "$tmp/needs" >"$tmp/hits"; then
	fail "the network code references SQLite or PKCS#11: $(tr '\n' ' ' <"$tmp/hits")"
fi
for dep in pitlane_cosign_check pitlane_p11 pitlane_cosign_core pitlane_techid; do
	case " $(echo "$link_ifaces" | tr ';' ' ') " in
	*" $dep "*) fail "a network library links $dep ($link_ifaces)" ;;
	esac
done
echo "ok REQ-COS-008: the network code references $(wc -l <"$tmp/needs") outside symbols, none of the checks, lib/p11, the core or SQLite"
