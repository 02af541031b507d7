#!/bin/sh
# REQ-CLI-001: `--help` works on every program and every command: usage on stdout, exit 0,
# never mistaken for a file or directory name.
set -u
B=$1
fail=0
check() {
	out=$("$@" 2>/dev/null)
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: '$*' exited $rc"
		fail=1
	elif ! printf '%s' "$out" | grep -qi 'usage'; then
		echo "FAIL: '$*' printed no usage on stdout"
		fail=1
	else
		echo "ok: $*"
	fi
}
find_prog() {
	for p in "$B"/broker/"$1" "$B"/agent/"$1" "$B"/vehicle/"$1" "$B"/lib/token/cli/"$1"; do
		[ -x "$p" ] && { echo "$p"; return; }
	done
}
ctl=$(find_prog pitlanectl)
[ -n "$ctl" ] || { echo "pitlanectl not built"; exit 1; }
for args in "--help" "policy --help" "policy check --help" "policy dump --help" \
	"policy test --help" "audit --help" "audit verify --help" "audit export --help" \
	"key --help" "key export --help" "pki --help" "pki init --help" "status --help"; do
	# shellcheck disable=SC2086
	check "$ctl" $args
done
d=$(find_prog pitlaned)
[ -n "$d" ] && check "$d" --help
t=$(find_prog pitlane-token)
if [ -n "$t" ]; then
	for args in "--help" "inspect --help" "verify --help" "issue --help"; do
		# shellcheck disable=SC2086
		check "$t" $args
	done
fi
e=$(find_prog pitlane-ecusim)
[ -n "$e" ] && check "$e" --help
a=$(find_prog pitlane)
if [ -n "$a" ]; then
	for args in "--help" "can --help"; do
		# shellcheck disable=SC2086
		check "$a" $args
	done
fi
if [ $fail -ne 0 ]; then
	echo "help: some commands lack a working --help"
	exit 1
fi
echo "help: every --help works"
