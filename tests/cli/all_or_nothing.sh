#!/bin/bash
# all_or_nothing.sh: one bad wheel among good ones installs nothing, with
# 1, 2 and 4 workers, whether it fails while planning (incompatible tag),
# on opening (not a zip), or while streaming (a hash mismatch in a large
# member); an upgrade in the same invocation leaves the old version in
# place.  Also paths written twice: same bytes are silent, different
# bytes warn naming both distributions, and --strict refuses.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

root_venv

mapfile -t C < <("$PY" "$MKWHEEL" -o "$T/corpus" --corpus)
mkcases >"$T/cases" <<'EOF'
{"case": "a 1.0", "name": "aon_a", "version": "1.0", "files": {"aon_a/__init__.py": "V = 1\n", "aon_a/only1.py": ""}, "entry_points": {"console_scripts": {"aon-a": "aon_a:main"}}}
{"case": "a 2.0", "name": "aon_a", "version": "2.0", "files": {"aon_a/__init__.py": "V = 2\n", "aon_a/only2.py": ""}}
{"case": "b", "name": "aon_b", "version": "1.0", "files": {"aon_b/__init__.py": "", "aon_b/big.txt": {"repeat": ["bbbbbbbbbbbbbbbb\n", 65536]}}, "data": {"scripts": {"aon-b": "#!python\nprint(1)\n"}, "data": {"share/aon_b.txt": "b\n"}}}
{"case": "c", "name": "aon_c", "version": "1.0", "purelib": false, "entry_points": {"console_scripts": {"aon-c": "aon_c:main"}}}
{"case": "bad tag", "name": "aon_badtag", "version": "1.0", "tags": "cp27-cp27mu-win32"}
{"case": "not a zip", "name": "aon_notzip", "version": "1.0"}
{"case": "late hash mismatch", "name": "aon_badhash", "version": "1.0", "files": {"aon_badhash/__init__.py": "", "aon_badhash/big1.txt": {"repeat": ["0123456789\n", 200000]}, "aon_badhash/z_last.txt": {"repeat": ["zzzz\n", 100000]}}, "record": {"corrupt": ["aon_badhash/z_last.txt"]}}
{"case": "bad member last", "name": "aon_badname", "version": "1.0", "members": [{"name": "aon_badname/../../x", "text": "x"}]}
EOF
declare -A W
while IFS=$'\x1f' read -r -u 3 -a F; do
	W[${F[1]}]=${F[0]}
done 3<"$T/cases"
echo "not a zip" >"${W[not a zip]}"

fk_install "$V" "${W[a 1.0]}"
assert_rc "install a 1.0" 0
snap "$T/root" >"$T/root.snap"

GOOD=("${W[a 2.0]}" "${W[b]}" "${W[c]}" "${C[@]}")
for bad in "bad tag" "not a zip" "late hash mismatch" "bad member last"; do
	for j in 1 2 4; do
		# the bad wheel first, in the middle, last
		case $j in
		1) set -- "${W[$bad]}" "${GOOD[@]}" ;;
		2) set -- "${GOOD[@]:0:5}" "${W[$bad]}" "${GOOD[@]:5}" ;;
		4) set -- "${GOOD[@]}" "${W[$bad]}" ;;
		esac
		fk_install "$V" -j "$j" "$@"
		assert_rc "$bad among $# wheels, -j $j" 1
		assert_error_line "$bad among $# wheels, -j $j" "$(basename "${W[$bad]}")"
		assert_snap_same "$bad, -j $j" "$T/root.snap" "$T/root"
	done
done
assert_content "$SP/aon_a/__init__.py" "V = 1
"
assert_file "$V/bin/aon-a"
assert_no_staging "after the refusals" "$V"

# The good ones alone do install.
fk_install "$V" -j 4 "${GOOD[@]}"
assert_rc "the good wheels alone" 0
assert_no_path "$SP/aon_a/only1.py" "file of a 1.0 left behind"
assert_file "$SP/aon_b/big.txt"
assert_no_staging "good wheels" "$V"

# ---- a locked environment: exit 3 after --lock-timeout, nothing changed ------------
if command -v flock >/dev/null 2>&1; then
	mkdir -p "$V/.forklift"
	: >>"$V/.forklift/lock"
	snap "$T/root" >"$T/root.snap"
	# this shell holds the lock (flock(2) on its own open file)
	exec 9>>"$V/.forklift/lock"
	flock 9
	fk_install "$V" --lock-timeout 1 "${W[b]}" 9>&-
	assert_rc "locked environment" 3
	assert_grep "locked environment: says so" "lock" "$T/err"
	assert_snap_same "locked environment" "$T/root.snap" "$T/root"
	exec 9>&-
	fk_install "$V" --lock-timeout 1 --dry-run "${W[b]}"
	assert_rc "lock released" 0
fi

# ---- paths written twice -------------------------------------------------------
mkdir -p "$T/root2"
V2=$T/root2/v
mkvenv "$V2"
SP2=$(site_packages "$V2")
mapfile -t X < <(mkw '{
  "name": "cf_a", "version": "1.0",
  "files": {"cf_a/__init__.py": "", "cfshared/same.py": "SAME = 1\n"}
}' '{
  "name": "cf_b", "version": "1.0",
  "files": {"cf_b/__init__.py": "", "cfshared/same.py": "SAME = 1\n"}
}' '{
  "name": "cf_c", "version": "1.0",
  "files": {"cf_c/__init__.py": "", "cfshared/same.py": "DIFFERENT = 3\n"}
}' '{
  "name": "cf_d", "version": "1.0",
  "files": {"cf_d/__init__.py": "", "cfother/x.py": "D = 1\n"}
}' '{
  "name": "cf_e", "version": "1.0",
  "files": {"cf_e/__init__.py": "", "cfother/x.py": "E = 1\n"}
}')
fk_install "$V2" "${X[0]}" "${X[1]}"
assert_rc "two wheels writing the same bytes" 0
assert_no_grep "same bytes are silent" "warning" "$T/err"
assert_content "$SP2/cfshared/same.py" "SAME = 1
"
snap "$T/root2" >"$T/root2.snap"
fk_install "$V2" --strict "${X[2]}"
assert_rc "--strict: different bytes over an installed file" 1
assert_error_line "--strict: different bytes over an installed file" \
    "$(basename "${X[2]}")" "cfshared/same.py"
assert_snap_same "--strict over an installed file" "$T/root2.snap" "$T/root2"
fk_install "$V2" --strict -j 2 "${X[3]}" "${X[4]}"
assert_rc "--strict: two wheels writing different bytes" 1
n=$(grep -c '^forklift: error: ' "$T/err")
assert_eq "--strict: two wheels: one error line" "$n" 1
assert_grep "--strict: two wheels: names the path" "cfother/x.py" "$T/err"
assert_snap_same "--strict, two wheels" "$T/root2.snap" "$T/root2"
fk_install "$V2" -j 2 "${X[3]}" "${X[4]}"
assert_rc "two wheels writing different bytes" 0
if grep '^forklift: warning: ' "$T/err" | grep -q 'cf.d' &&
    grep '^forklift: warning: ' "$T/err" | grep -q 'cf.e'; then
	ok "conflict warning names both distributions"
else
	fail "conflict warning does not name cf_d and cf_e"
	show stderr "$T/err"
fi
fk_install "$V2" "${X[2]}"
assert_rc "different bytes over an installed file" 0
if grep '^forklift: warning: ' "$T/err" | grep -q 'cf.c' &&
    grep '^forklift: warning: ' "$T/err" | grep -q -e 'cf.a' -e 'cf.b'; then
	ok "conflict warning names the installed owner"
else
	fail "conflict warning does not name cf_c and the installed owner"
	show stderr "$T/err"
fi
assert_no_staging "conflicts" "$V2"

finish
