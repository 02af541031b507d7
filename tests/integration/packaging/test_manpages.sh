#!/bin/sh
# REQ-PKG-010 every man page renders with `man --warnings` without a warning.
# REQ-PKG-011 every option a program's --help (and each subcommand's --help) prints
#             appears in that program's man page.
# Environment (CMake): PITLANE_SOURCE_DIR, PITLANED, PITLANECTL, PITLANE_ECUSIM,
# PITLANE_TOKEN, PITLANE_AGENT, PITLANE_COSIGND (each program optional: a missing one is named).
set -eu

S=${PITLANE_SOURCE_DIR:?}
W=$(mktemp -d "${TMPDIR:-/tmp}/pitlane-man.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
command -v man >/dev/null 2>&1 || { echo "SKIP: man (man-db) not installed"; exit 77; }

failed=0
fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}

# render PAGE OUT: plain text, no line breaks inside a paragraph (so an option is
# never hyphenated at a line end); warnings into OUT.err.
render() {
	LC_ALL=C MANWIDTH=2000 man --warnings -E ascii -l "$1" \
	    >"$2" 2>"$2.err" || true
}

# --- REQ-PKG-010 -------------------------------------------------------------
pages="$S/docs/man/pitlaned.8 $S/docs/man/pitlanectl.8 $S/docs/man/pitlane-ecusim.1
$S/docs/man/pitlane-token.1 $S/docs/man/broker.conf.5 $S/docs/man/agent.conf.5
$S/docs/man/pitlane-policy.5 $S/agent/pitlane.1 $S/docs/man/pitlane-cosignd.8"
for p in $pages; do
	name=${p##*/}
	if [ ! -f "$p" ]; then
		fail "REQ-PKG-010 man page $p is missing"
		continue
	fi
	render "$p" "$W/$name.txt"
	if [ -s "$W/$name.txt.err" ]; then
		fail "REQ-PKG-010 $name renders with warnings:"
		sed 's/^/    /' "$W/$name.txt.err" >&2
	elif ! grep -q '^NAME' "$W/$name.txt" || ! grep -q '^SYNOPSIS' "$W/$name.txt"; then
		fail "REQ-PKG-010 $name has no NAME or SYNOPSIS section"
	else
		echo "ok: REQ-PKG-010 $name renders cleanly ($(wc -l <"$W/$name.txt") lines)"
	fi
done

# --- REQ-PKG-011 -------------------------------------------------------------
# help PROG ARGS...: the program's help text (stdout and stderr, any exit status).
help() {
	"$@" 2>&1 </dev/null || true
}

# subcommands HELPTEXT-FILE: first words of "  word ..." lines (command tables).
subcommands() {
	sed -n 's/^  \([a-z][a-z0-9-]*\)\([ |].*\)\{0,1\}$/\1/p' "$1" | sort -u
}

# options FILE: every --long and -x option mentioned in a help text.
options() {
	{
		grep -o -- '--[a-z][a-z0-9-]*' "$1" || true
		grep -oE -- '(^|[][ |(,])-[a-zA-Z]([] ,|)]|$)' "$1" |
		    sed 's/^[][ |(,]//; s/[] ,|)]$//' || true
	} | sort -u
}

# check PROG-NAME PAGE HELP-FILE
check() {
	prog=$1 page=$2 hf=$3
	txt=$W/${page##*/}.txt
	[ -f "$txt" ] || return 0
	n=0
	missing=
	for o in $(options "$hf"); do
		n=$((n + 1))
		if ! grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|$)" "$txt"; then
			missing="$missing $o"
		fi
	done
	if [ -n "$missing" ]; then
		fail "REQ-PKG-011 ${page##*/} lacks options of '$prog':$missing"
	else
		echo "ok: REQ-PKG-011 ${page##*/} names all $n options of '$prog'"
	fi
}

# prog VAR-VALUE PAGE HELP-ARG: collect the help of the program and of each subcommand.
prog() {
	bin=$1 page=$2 harg=$3
	base=${bin##*/}
	if [ -z "$bin" ] || [ ! -x "$bin" ]; then
		fail "REQ-PKG-011 program for ${page##*/} not built"
		return 0
	fi
	help "$bin" "$harg" >"$W/$base.help"
	check "$base $harg" "$page" "$W/$base.help"
	for c in $(subcommands "$W/$base.help"); do
		help "$bin" "$c" --help >"$W/$base.$c.help"
		# a subcommand's own subcommands (pitlane can status|setup, ...)
		for cc in $(subcommands "$W/$base.$c.help"); do
			[ "$cc" = "$c" ] && continue
			case "$cc" in init | export | verify | inspect | check | dump | test | diff)
				continue ;; # their options are printed by the command's own --help
			esac
			help "$bin" "$c" "$cc" --help >>"$W/$base.$c.help"
		done
		check "$base $c" "$page" "$W/$base.$c.help"
	done
}

prog "${PITLANED:-}" "$S/docs/man/pitlaned.8" -h
prog "${PITLANECTL:-}" "$S/docs/man/pitlanectl.8" --help
prog "${PITLANE_ECUSIM:-}" "$S/docs/man/pitlane-ecusim.1" --help
prog "${PITLANE_TOKEN:-}" "$S/docs/man/pitlane-token.1" --help
prog "${PITLANE_AGENT:-}" "$S/agent/pitlane.1" --help
prog "${PITLANE_COSIGND:-}" "$S/docs/man/pitlane-cosignd.8" --help

if [ "$failed" -ne 0 ]; then
	echo "$failed check(s) failed" >&2
	exit 1
fi
echo "all man page checks passed"
