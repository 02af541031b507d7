#!/bin/sh
# REQ-POL-070: the demo policy in policy/ passes `pitlanectl policy check` and
# `policy test`; `policy dump` is a fixed point; a broken policy exits 1 with
# file:line:col; usage errors exit 2.
set -u
CTL=$1
SRC=${PITLANE_SOURCE_DIR:?PITLANE_SOURCE_DIR not set}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$CTL" policy check "$SRC/policy" >"$T/out" 2>"$T/err" || fail "check exited $? ($(cat "$T/err"))"
grep -q ': ok (version 1, 5 operations' "$T/out" || fail "check output: $(cat "$T/out")"

"$CTL" policy test "$SRC/policy" >"$T/out" 2>"$T/err" || fail "test exited $? ($(cat "$T/out"))"
grep -q 'FAIL' "$T/out" && fail "a test case failed: $(grep FAIL "$T/out")"
grep -q ' 0 failed$' "$T/out" || fail "test summary: $(tail -1 "$T/out")"

mkdir "$T/d1" "$T/d2"
"$CTL" policy dump "$SRC/policy" >"$T/d1/all.yaml" || fail "dump exited $?"
"$CTL" policy dump "$T/d1" >"$T/d2/all.yaml" || fail "dump of the dump exited $?"
cmp -s "$T/d1/all.yaml" "$T/d2/all.yaml" || fail "dump is not a fixed point"
"$CTL" policy test "$T/d1" >/dev/null || fail "the dump's tests fail"

mkdir "$T/bad"
printf 'version: 1\nroles:\n  r: { operations: [door.open] }\n' >"$T/bad/p.yaml"
"$CTL" policy check "$T/bad" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 1 ] || fail "bad policy: exit $rc, expected 1"
grep -q "^$T/bad/p.yaml:3:21: error: roles.r.operations: operation 'door.open' is not defined" "$T/err" ||
	fail "bad policy message: $(cat "$T/err")"

"$CTL" policy frobnicate "$T/bad" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "usage error: exit $rc, expected 2"
echo "ok"
