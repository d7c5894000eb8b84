#!/bin/bash
# durability.sh: the order of the flushes against the renames of a commit,
# read from strace: the staged trees are flushed (syncfs) and the journal
# made durable (fdatasync, then an fsync of .forklift/) before the first
# rename into the environment; every rename is flushed (syncfs) before the
# commit record's fdatasync; a cache entry is flushed before it is
# published.  A constant number of flushes, whatever the number of files,
# and none at all with --no-fsync or FORKLIFT_NO_FSYNC=1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

command -v strace >/dev/null 2>&1 || skip "strace is not installed"
strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace not permitted)"

TRACE="fsync,fdatasync,syncfs,rename,renameat,renameat2"

# A wheel with 40 files and a script, so a per-file flush would show.
files='"fl1/__init__.py": ""'
for i in $(seq 40); do files="$files, \"fl1/m$i.py\": \"X = $i\\n\""; done
W=$(mkw "{\"name\": \"fl1\", \"version\": \"1.0\", \"files\": {$files}}")

# trace_install VENV ARGS...: the install under strace into $T/trace.
trace_install()
{
	local v=$1
	shift
	run strace -f -qq -e trace=$TRACE -o "$T/trace" "$FORKLIFT" install \
	    -p "$v" --no-progress "$@"
}

# order FILE: one letter per traced call, in order: S syncfs, D fdatasync,
# F fsync, R a RENAME_NOREPLACE rename (a commit step), P any other rename
# (a cache entry published, the lock or an atomic write).
order()
{
	sed -n -e 's/^[0-9]* *//' \
	    -e '/^syncfs(.*= 0/{s/.*/S/;p;}' \
	    -e '/^fdatasync(.*= 0/{s/.*/D/;p;}' \
	    -e '/^fsync(.*= 0/{s/.*/F/;p;}' \
	    -e '/RENAME_NOREPLACE) = 0/{s/.*/R/;p;}' \
	    -e '/^rename.*= 0/{s/.*/P/;p;}' "$1" | tr -d '\n'
}

mkvenv "$T/v1"
trace_install "$T/v1" --no-cache "$W"
assert_rc "install under strace" 0
o=$(order "$T/trace")
# Expected: S (staged trees) D (journal) F (.forklift/) R... S (renames) D (C).
if [[ $o =~ ^P*SDFR+SD$ ]]; then
	ok "flush order without the cache: $o"
else
	fail "flush order without the cache: '$o', want SDF, the renames, SD"
	show trace "$T/trace" 40
fi
n=$(tr -cd 'SDF' <<<"$o" | wc -c)
assert_eq "five flushes for a 41-file wheel" "$n" 5

mkvenv "$T/v2"
trace_install "$T/v2" "$W"
assert_rc "install under strace, cold cache" 0
o=$(order "$T/trace")
assert_eq "flush order of the commit with a cold cache" \
    "$([[ $o =~ SDFR+SD$ ]] && echo SDF-renames-SD || echo "$o")" SDF-renames-SD
# The cache entry is flushed by the worker that built it, right before
# the rename that publishes it.
prev=$(awk '/^[0-9]+ +(syncfs|fdatasync|fsync|rename)/ {
	if ($0 ~ /cache\/v1\/wheels\//) { print last[$1]; exit }
	split($2, c, "("); last[$1] = c[1] }' "$T/trace")
assert_eq "cache entry flushed before it is published" "$prev" "syncfs"

mkvenv "$T/v3"
trace_install "$T/v3" --no-fsync "$W"
assert_rc "install --no-fsync under strace" 0
o=$(order "$T/trace")
assert_eq "no flush with --no-fsync" "$(tr -cd 'SDF' <<<"$o")" ""
mkvenv "$T/v4"
FORKLIFT_NO_FSYNC=1 trace_install "$T/v4" --no-cache "$W"
assert_rc "install FORKLIFT_NO_FSYNC=1 under strace" 0
o=$(order "$T/trace")
assert_eq "no flush with FORKLIFT_NO_FSYNC=1" "$(tr -cd 'SDF' <<<"$o")" ""
assert_file "$(site_packages "$T/v4")/fl1/m40.py"

# The bytes hashed are the bytes installed: the wheel is opened once, by
# the parent, and the workers read it through the inherited descriptor,
# so a file swapped in under its name after planning is never read.
mkvenv "$T/v5"
cp "$W" "$T/fl1-1.0-py3-none-any.whl"
W2=$T/fl1-1.0-py3-none-any.whl
for cache in --no-cache ""; do
	run strace -f -qq -e trace=open,openat -o "$T/trace" "$FORKLIFT" install \
	    -p "$T/v5" --no-progress --reinstall $cache "$W2"
	assert_rc "install under strace ${cache:-with the cache}" 0
	n=$(grep -F "\"$W2\"" "$T/trace" | grep -vc ENOENT)
	assert_eq "wheel opened once ${cache:-with the cache}" "$n" 1
done

finish
