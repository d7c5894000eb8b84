#!/bin/bash
# uninstall_verify.sh: forklift uninstall and forklift verify.
# Uninstall: installing the corpus and removing it again gives back the
# fresh venv exactly (files, bytecode, emptied directories, launchers);
# unknown names fail unless --missing-ok; a dist without RECORD is refused
# and, named with others, nothing is removed; --dry-run changes nothing; a
# hostile installed RECORD (.., absolute, through a symlink, into
# .forklift) never reaches outside; a pip-installed dist is removed like
# pip would.  Verify: a clean venv passes; modified (bytes, size), missing
# and unlisted files are reported per distribution with exit 1, the same
# with -j 1 and -j 4; namespace packages shared by two dists give no
# false unlisted report; names select; an unknown name fails.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

root_venv
fk list -p "$V"		# creates .forklift/lock, left out of snapshots
snap "$T/root" >"$T/fresh.snap"

mapfile -t C < <("$PY" "$MKWHEEL" -o "$T/corpus" --corpus)
fk_install "$V" "${C[@]}"
assert_rc "install the corpus" 0

# ---- verify ----------------------------------------------------------------
fk verify -p "$V"
assert_rc "verify a fresh install" 0
assert_eq "verify prints nothing on stdout" "$(cat "$T/out")" ""
assert_grep "verify summary" "Verified 12 distributions" "$T/err"

snap "$T/root" >"$T/installed.snap"
echo "tampered" >>"$SP/alpha/util.py"				# size differs
printf 'X = 2\n' >"$SP/gamma_plat/__init__.py"			# same size, other bytes
rm "$SP/delta/gui.py"
echo stray >"$SP/iota/stray.txt"
mkdir -p "$SP/iota/__pycache__" "$SP/iota/newdir"
touch "$SP/iota/__pycache__/x.cpython-311.pyc" "$SP/iota/newdir/n.py"
for j in 1 4; do
	fk verify -p "$V" -j "$j"
	assert_rc "verify a tampered venv, -j $j" 1
	cp "$T/out" "$T/verify.$j"
done
assert_eq "verify -j 1 and -j 4 agree" "$(cat "$T/verify.4")" "$(cat "$T/verify.1")"
R=${SP#"$V"/}
assert_content "$T/verify.1" "alpha 1.0: modified $R/alpha/util.py (40 bytes, RECORD says 31)
delta 1.2.3: missing $R/delta/gui.py
gamma_plat 0.3: modified $R/gamma_plat/__init__.py (sha256 differs)
iota 1.0: unlisted $R/iota/newdir/n.py
iota 1.0: unlisted $R/iota/stray.txt
"
assert_no_grep "namespace packages are not unlisted" "theta" "$T/verify.1"
fk verify -p "$V" theta-ns-a Alpha
assert_rc "verify two names" 1
assert_eq "only the named ones" "$(cut -d' ' -f1 "$T/out" | sort -u | tr '\n' ' ')" "alpha "
fk verify -p "$V" nosuch
assert_rc "verify an unknown name" 1
assert_grep "unknown name named" "nosuch: not installed" "$T/err"

# Put it back as it was for the rest.
rm -rf "$T/root"
mkdir -p "$T/root"
mkvenv "$V"
fk list -p "$V"
fk_install "$V" "${C[@]}"
assert_rc "reinstall the corpus" 0
snap "$T/root" >"$T/installed.snap"

# ---- uninstall: refusals change nothing ----------------------------------------
fk uninstall -p "$V" alpha nosuch
assert_rc "uninstall with an unknown name" 1
assert_grep "unknown name named" "nosuch: not installed" "$T/err"
assert_snap_same "unknown name" "$T/installed.snap" "$T/root"

mv "$SP/zeta-0.0.1.dist-info/RECORD" "$T/zeta.RECORD"
snap "$T/root" >"$T/norecord.snap"
fk uninstall -p "$V" alpha zeta
assert_rc "uninstall a dist without RECORD" 1
assert_grep "no RECORD named" "zeta 0.0.1: no readable RECORD" "$T/err"
assert_snap_same "no RECORD" "$T/norecord.snap" "$T/root"
fk verify -p "$V" zeta
assert_rc "verify a dist without RECORD" 1
assert_grep "verify names the missing RECORD" "zeta 0.0.1: no readable RECORD" "$T/out"
mv "$T/zeta.RECORD" "$SP/zeta-0.0.1.dist-info/RECORD"

fk uninstall -p "$V" --dry-run alpha Beta.Pkg
assert_rc "uninstall --dry-run" 0
assert_content "$T/out" "- alpha 1.0
- Beta_Pkg 2.1.post1
"
assert_snap_same "--dry-run" "$T/installed.snap" "$T/root"

fk uninstall -p "$V" --missing-ok alpha nosuch
assert_rc "uninstall --missing-ok" 0
assert_no_path "$SP/alpha"
assert_no_path "$SP/alpha-1.0.dist-info"

# ---- uninstall everything: back to the fresh venv -----------------------------
# Bytecode as Python would write it, so uninstall must find it.
"$V/bin/python" -c 'import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=1)' "$SP" >/dev/null
assert_file "$(ls "$SP"/delta/__pycache__/gui.*.pyc | head -1)"
fk uninstall -p "$V" beta-pkg gamma_plat delta epsilon zeta eta theta-ns-a \
    theta-ns-b iota kappa lambda-crlf
assert_rc "uninstall the rest" 0
assert_grep "summary" "Removed 11 packages" "$T/err"
# compileall wrote bytecode no RECORD lists for the venv's own files: none
# here, since the fresh venv has no .py files of its own in site-packages.
assert_snap_same "install + uninstall" "$T/fresh.snap" "$T/root"
assert_no_staging "uninstall" "$V"

# ---- hostile installed RECORDs ----------------------------------------------
mkdir -p "$T/outside/dir"
echo keep >"$T/outside/victim.txt"
echo keep >"$T/outside/dir/linked.txt"
echo keep >"$T/outside/abs.txt"
mkw1 H '{"name": "hostile", "version": "1.0", "files": {"hostile/__init__.py": ""}}'
fk_install "$V" "$H"
assert_rc "install hostile" 0
ln -s "$T/outside/dir" "$SP/hostile/link"
{
	echo "../../../../../outside/victim.txt,,"
	echo "$T/outside/abs.txt,,"
	echo "hostile/link/linked.txt,,"
	echo "../../../.forklift/lock,,"
	echo "hostile/link,,"
} >>"$SP/hostile-1.0.dist-info/RECORD"
snap "$T/outside" >"$T/outside.snap"
fk uninstall -p "$V" hostile
assert_rc "uninstall with a hostile RECORD" 0
assert_grep "warns about the outside path" "outside the environment" "$T/err"
assert_snap_same "nothing outside removed" "$T/outside.snap" "$T/outside"
assert_file "$V/.forklift/lock"
assert_no_path "$SP/hostile"
assert_snap_same "hostile dist removed" "$T/fresh.snap" "$T/root"

# ---- a dist pip installed ---------------------------------------------------------
if pip_usable; then
	mkw1 P '{"name": "pipped", "version": "1.0", "files": {"pipped/__init__.py": "", "pipped/sub/m.py": "M = 1\n"}, "entry_points": {"console_scripts": {"pipped": "pipped:main"}}}'
	pip_install "$V" "$P"
	assert_rc "pip install" 0
	fk verify -p "$V"
	assert_rc "verify a pip-installed dist" 0
	fk uninstall -p "$V" pipped
	assert_rc "uninstall a pip-installed dist" 0
	assert_snap_same "pip install + forklift uninstall" "$T/fresh.snap" "$T/root"
else
	echo "pip not usable: pip-installed case skipped"
fi

finish
