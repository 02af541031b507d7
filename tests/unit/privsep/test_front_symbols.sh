#!/bin/sh
# REQ-PRIV-040: the front end is linked without the policy, audit, signer and abuse
# libraries. Its libraries (pitlane_front and what it links of this project: api, proto,
# sandbox, conf) reference no symbol those four define and none named policy_*, audit_*,
# signer_*, abuse_*; and none of them names one of the four as a link dependency.
#
#   test_front_symbols.sh "FRONT_LIBS" "FORBIDDEN_LIBS" "DECIDER_LIB" "LINK_INTERFACES"
set -eu
front_libs=$1 forbidden_libs=$2 decider_lib=$3 link_ifaces=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL REQ-PRIV-040: $*" >&2; exit 1; }

command -v nm >/dev/null 2>&1 || { echo "nm not found (binutils)" >&2; exit 77; }

# Undefined symbols of the front end's own libraries, minus those they define themselves.
for l in $front_libs; do nm -u "$l"; done | awk '$1 == "U" { print $2 }' | sort -u > "$tmp/front_u"
for l in $front_libs; do nm --defined-only -g "$l"; done | awk 'NF == 3 { print $3 }' |
	sort -u > "$tmp/front_d"
comm -23 "$tmp/front_u" "$tmp/front_d" > "$tmp/front_needs"
# What the four forbidden libraries define.
for l in $forbidden_libs; do nm --defined-only -g "$l"; done |
	awk 'NF == 3 && $2 ~ /^[TDBRCV]$/ { print $3 }' | sort -u > "$tmp/forbidden"

[ -s "$tmp/front_needs" ] || fail "no undefined symbols found in the front end's libraries (nm?)"
grep -qx 'ps_send' "$tmp/front_d" || fail "the front end's libraries do not define ps_send (wrong files?)"
grep -qx 'policy_decide' "$tmp/forbidden" || fail "pitlane_policy does not define policy_decide (wrong files?)"
# The check can see a reference when there is one: the decider's library needs the policy.
nm -u "$decider_lib" | awk '$1 == "U" { print $2 }' | grep -qx 'policy_decide' ||
	fail "the decider's library does not reference policy_decide (the check sees nothing)"

if comm -12 "$tmp/front_needs" "$tmp/forbidden" | grep . > "$tmp/hits"; then
	fail "the front end references symbols of policy/audit/signer/abuse: $(tr '\n' ' ' < "$tmp/hits")"
fi
if grep -E '^(policy|audit|signer|abuse)_' "$tmp/front_needs" > "$tmp/hits"; then
	fail "the front end references module symbols: $(tr '\n' ' ' < "$tmp/hits")"
fi
for dep in pitlane_policy pitlane_audit pitlane_signer pitlane_abuse; do
	case " $(echo "$link_ifaces" | tr ';' ' ') " in
	*" $dep "*) fail "a front-end library links $dep ($link_ifaces)" ;;
	esac
done
echo "ok REQ-PRIV-040: the front end references $(wc -l < "$tmp/front_needs") outside symbols, none of policy/audit/signer/abuse"
