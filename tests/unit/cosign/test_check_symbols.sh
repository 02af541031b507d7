#!/bin/sh
# REQ-COS-072: the co-signer's checks depend on no part of the broker's state: their
# libraries (pitlane_cosign_check and what it links of this project: techid, api,
# cosign_conf, common, token) reference no symbol that the broker's policy, audit,
# signer, abuse, decider or broker.conf libraries define, and none names one of them as
# a link dependency.
#
#   test_check_symbols.sh "CHECK_LIBS" "FORBIDDEN_LIBS" "LINK_INTERFACES"
set -eu
check_libs=$1 forbidden_libs=$2 link_ifaces=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL REQ-COS-072: $*" >&2; exit 1; }

command -v nm >/dev/null 2>&1 || { echo "nm not found (binutils)" >&2; exit 77; }

for l in $check_libs; do nm -u "$l"; done | awk '$1 == "U" { print $2 }' | sort -u > "$tmp/u"
for l in $check_libs; do nm --defined-only -g "$l"; done | awk 'NF == 3 { print $3 }' |
	sort -u > "$tmp/d"
comm -23 "$tmp/u" "$tmp/d" > "$tmp/needs"
for l in $forbidden_libs; do nm --defined-only -g "$l"; done |
	awk 'NF == 3 && $2 ~ /^[TDBRCV]$/ { print $3 }' | sort -u > "$tmp/forbidden"

# The check sees what it should: the checks need sqlite and the technician check, the
# forbidden libraries define the policy's entry point and broker.conf's loader.
grep -qx 'sqlite3_open_v2' "$tmp/needs" || fail "the checks need no sqlite3_open_v2 (wrong files?)"
grep -qx 'techid_verify' "$tmp/d" || fail "the checks' libraries do not define techid_verify"
grep -qx 'policy_decide' "$tmp/forbidden" || fail "no policy_decide among the forbidden (wrong files?)"
grep -qx 'broker_config_load' "$tmp/forbidden" || fail "no broker_config_load among the forbidden"

if comm -12 "$tmp/needs" "$tmp/forbidden" | grep . > "$tmp/hits"; then
	fail "the checks reference broker symbols: $(tr '\n' ' ' < "$tmp/hits")"
fi
for dep in pitlane_policy pitlane_audit pitlane_signer pitlane_abuse pitlane_decider pitlane_conf; do
	case " $(echo "$link_ifaces" | tr ';' ' ') " in
	*" $dep "*) fail "a library of the checks links $dep ($link_ifaces)" ;;
	esac
done
echo "ok REQ-COS-072: the co-signer's checks reference $(wc -l < "$tmp/needs") outside symbols, none of the broker's policy, audit, signer, abuse, decider or broker.conf"
