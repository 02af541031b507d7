#!/bin/sh
# `make demo` in `make check`: packaging/demo.sh runs, exits 0, and says the
# key lines (REQ-AGT-050), including (issue 14) a key.learn approved by an
# officer's signed decision and co-signed by pitlane-cosignd, and the scenes of
# root on the broker host: the car refuses a token signed by the broker's HSM key alone for
# ignition.enable, the co-signer refuses and audits a request without the
# technician's signature, a genuine one edited, and a genuine one replayed;
# door.unlock passes with the broker's signature alone.
# usage: test_demo.sh BUILD_DIR
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
PITLANE_DEMO_CAN=loop sh "$PITLANE_SOURCE_DIR/packaging/demo.sh" "$1" >"$out" 2>&1
rc=$?
fail() { echo "FAIL: $*"; cat "$out"; exit 1; }
[ "$rc" -eq 0 ] || fail "demo exited $rc"
for l in "^  done: door.unlock on WVWZZZ1JZXW000001" \
    "doors unlocked" \
    "NRC 0x55" \
    "refused by the policy (rule workshops.ws-muc-01.vin_prefixes)" \
    "-> the vehicle refuses a replayed token (exit 7, as expected)" \
    "-> the broker refuses (exit 1, as expected)" \
    "refused: rate limit reached (rule limits.technician-unlocks): retry after [0-9]* s" \
    "-> refused by the rate limit (exit 1, as expected)" \
    "^  [0-9]  *allow  *tech-anna  *WVWZZZ1JZXW000001  *door.unlock" \
    "^  [0-9]  *deny  *tech-anna  *WBAPH5C55BA123456" \
    "intact: " \
    "^  ignition.enable: broker 1, cosigner 1" \
    "^  door.unlock: broker 1, cosigner 0" \
    "^  done: key.learn on WVWZZZ1JZXW000001" \
    "approved [0-9a-f]\{32\} (key.learn WVWZZZ1JZXW000001 for tech-ben by officer:officer-olga)" \
    "-> two signatures by independent keys (as expected)" \
    "^  1  *allow  *-  *tech-ben  *key.learn  *approved by officer:officer-olga" \
    "^  2  *signed  *-  *tech-ben  *key.learn" \
    "event=auth_fail reason=signature_missing nrc=0x51" \
    "-> refused: signature_missing" \
    "status=403 code=bad_technician_signature" \
    "-> audited on the co-signer's host before it answered: refuse, bad_technician_signature" \
    "-> refused: the edit broke tech-ben's signature (exit 0, as expected)" \
    "status=403 code=replayed_request" \
    "-> audited on the co-signer's host before it answered: refuse, replayed_request" \
    "-> the car accepts the token (69 06) (exit 0, as expected)" \
    "event=auth_ok scope=door.unlock" \
    "event=audit_ok .*rows=" \
    "^demo: every step behaved as expected"; do
	grep -q -- "$l" "$out" || fail "no line matching '$l'"
done
grep -q UNEXPECTED "$out" && fail "an UNEXPECTED step"
echo "ok: REQ-AGT-050 make demo: exit 0 and every key line"
