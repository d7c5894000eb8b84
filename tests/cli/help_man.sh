#!/bin/sh
# help_man.sh: the man pages and --help agree.
# - every command 'forklift --help' lists is described in the COMMANDS
#   section of forklift.1 and has its own page man/forklift-COMMAND.1 (and
#   every such page is for a listed command);
# - every option a --help prints is documented in the OPTIONS section of
#   the command's page or, for the global options, of forklift.1; every
#   option a page documents is printed by the command's --help;
# - groff renders every page without a warning;
# - the comparison itself notices an undocumented option and a lost one
#   (so this test cannot silently pass on nothing).
#
# Uses $FORKLIFT (the binary) and $SRCDIR (the source tree); prints what
# is missing and exits 1 on any mismatch.

set -u

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN=$SRCDIR/man
if [ -z "${FORKLIFT:-}" ] || [ ! -x "$FORKLIFT" ]; then
	echo "help_man: FORKLIFT is not set to an executable forklift binary" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/help_man.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# An awk function: print the options (-x, --long) among a line's words.
PRINT_OPTS='
function print_opts(line,    tok, n, i)
{
	n = split(line, tok, /[ ,=\[\]]+/)
	for (i = 1; i <= n; i++)
		if (tok[i] ~ /^--?[A-Za-z0-9]/)
			print tok[i]
}'

# Options in a --help text: the lines that start with white space and a
# dash; only the left column (up to the first run of two spaces) is read,
# so options named in a description do not count.
help_opts()
{
	awk "$PRINT_OPTS"'
	/^[ \t]+-/ {
		line = $0
		sub(/^[ \t]+/, "", line)
		sub(/(  |\t).*$/, "", line)
		print_opts(line)
	}' "$1" | sort -u
}

# Options documented in a man page: the tag lines (the line after .TP) of
# its OPTIONS section, with roff escapes undone.
man_opts()
{
	awk "$PRINT_OPTS"'
	/^\.SH/ { inopt = ($0 ~ /^\.SH +"?OPTIONS"?[ \t]*$/); tag = 0; next }
	!inopt { next }
	/^\.TP/ { tag = 1; next }
	tag {
		tag = 0
		line = $0
		gsub(/\\-/, "-", line)
		gsub(/\\f[BIRP]/, "", line)
		gsub(/\\f\(..|\\&|"/, "", line)
		print_opts(line)
	}' "$@" | sort -u
}

# compare LABEL HELPFILE PAGE [GLOBALPAGE]: every option of HELPFILE is in
# PAGE or GLOBALPAGE, every option of PAGE is in HELPFILE.
compare()
{
	label=$1 helpfile=$2 page=$3
	shift 3
	ok=0
	help_opts "$helpfile" >"$tmp/h"
	man_opts "$page" >"$tmp/p"
	man_opts "$page" "$@" >"$tmp/m"
	if [ ! -s "$tmp/h" ]; then
		echo "$label: no options found in the help text"
		return 1
	fi
	if [ ! -s "$tmp/p" ]; then
		echo "$label: no options found in the OPTIONS section of $(basename "$page")"
		return 1
	fi
	docs=$(basename "$page")
	for g in "$@"; do
		docs="$docs or $(basename "$g")"
	done
	for o in $(comm -23 "$tmp/h" "$tmp/m"); do
		echo "$label: $o is printed by --help but not documented in $docs"
		ok=1
	done
	for o in $(comm -13 "$tmp/h" "$tmp/p"); do
		echo "$label: $o is documented in $(basename "$page") but not printed by --help"
		ok=1
	done
	return $ok
}

status=0

run_help()
{
	out=$1
	shift
	if ! "$FORKLIFT" "$@" >"$out" 2>"$tmp/err"; then
		echo "forklift $*: exit status not 0"
		cat "$tmp/err"
		return 1
	fi
	if [ ! -s "$out" ]; then
		echo "forklift $*: printed nothing on standard output"
		return 1
	fi
	return 0
}

# The commands: those 'forklift --help' lists under "Commands:", and those
# forklift.1 describes in its COMMANDS section.
help_commands()
{
	awk '/^Commands:/ { on = 1; next }
	    on && /^[ \t]*$/ { exit }
	    on && /^  [a-z]/ { print $1 }' "$1" | sort -u
}
man_commands()
{
	awk '/^\.SH/ { on = ($0 ~ /^\.SH +"?COMMANDS"?[ \t]*$/); tag = 0; next }
	    on && /^\.TP/ { tag = 1; next }
	    on && tag { tag = 0; sub(/^\.[BI]R? +/, ""); gsub(/\\-/, "-");
		gsub(/"/, ""); print $1 }' "$1" | sort -u
}

run_help "$tmp/help.global" --help || status=1
compare "forklift --help" "$tmp/help.global" "$MAN/forklift.1" || status=1

help_commands "$tmp/help.global" >"$tmp/cmds"
man_commands "$MAN/forklift.1" >"$tmp/mancmds"
for cmd in install list; do
	grep -qx "$cmd" "$tmp/cmds" || {
		echo "forklift --help: command '$cmd' is not listed"
		status=1
	}
done
for cmd in $(comm -23 "$tmp/cmds" "$tmp/mancmds"); do
	echo "forklift.1: command '$cmd' is missing from COMMANDS"
	status=1
done
for cmd in $(comm -13 "$tmp/cmds" "$tmp/mancmds"); do
	echo "forklift.1: COMMANDS describes '$cmd', which forklift --help does not list"
	status=1
done

# Each command: its --help against its page (and forklift.1 for globals).
for cmd in $(cat "$tmp/cmds"); do
	page=$MAN/forklift-$cmd.1
	if [ ! -f "$page" ]; then
		echo "forklift $cmd: no man page man/forklift-$cmd.1"
		status=1
		continue
	fi
	run_help "$tmp/help.$cmd" "$cmd" --help || { status=1; continue; }
	compare "forklift $cmd --help" "$tmp/help.$cmd" "$page" \
	    "$MAN/forklift.1" || status=1
done
for page in "$MAN"/forklift-*.1; do
	cmd=${page##*/forklift-}
	cmd=${cmd%.1}
	grep -qx "$cmd" "$tmp/cmds" || {
		echo "$(basename "$page"): forklift --help lists no command '$cmd'"
		status=1
	}
done

# The comparison must notice an undocumented option, and a documented one
# that --help lost.
[ -f "$tmp/help.install" ] || exit 1
cp "$tmp/help.install" "$tmp/fake"
printf '      --surely-undocumented  a flag nobody documented\n' >>"$tmp/fake"
if compare fake "$tmp/fake" "$MAN/forklift-install.1" "$MAN/forklift.1" \
    >/dev/null; then
	echo "help_man: an undocumented option in a help text went unnoticed"
	status=1
fi
grep -v -e '--dry-run' "$tmp/help.install" >"$tmp/fake"
if compare fake "$tmp/fake" "$MAN/forklift-install.1" "$MAN/forklift.1" \
    >/dev/null; then
	echo "help_man: a documented option missing from a help text went unnoticed"
	status=1
fi

# Every page renders without a warning.
if command -v groff >/dev/null 2>&1; then
	for page in "$MAN"/forklift.1 "$MAN"/forklift-*.1; do
		LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" >"$tmp/groff" 2>&1
		if [ -s "$tmp/groff" ]; then
			echo "$(basename "$page"): groff warnings:"
			cat "$tmp/groff"
			status=1
		fi
	done
else
	echo "help_man: groff not found, pages not rendered"
fi

[ $status -eq 0 ] && echo "help_man: --help and the man pages agree"
exit $status
