#!/bin/bash
# sync.sh: forklift sync makes a venv match requirements files.  Sync to a
# list, to the same list again (a no-op that changes nothing), to the
# freeze output of forklift list, to a shorter list (removals, a
# replacement, pip/setuptools/wheel kept unless --exact); --dry-run and
# --json; a wrong hash, an unpinned line, a missing hash and a broken wheel
# change nothing; markers skip lines; -r includes and -f relative to the
# including file; -c constraints; direct references; install -r removes
# nothing.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

mkdir -p "$T/w" "$T/other"
root_venv
snap "$V" >"$T/fresh.snap"

mkw '{"name": "alpha", "version": "1.0", "files": {"alpha.py": "A = 1\n"}}' \
    '{"name": "beta", "version": "2.0", "files": {"beta/__init__.py": "B = 20\n"}}' \
    '{"name": "beta", "version": "2.1", "files": {"beta/__init__.py": "B = 21\n"}}' \
    '{"name": "gamma_x", "version": "0.1", "files": {"gamma_x.py": "G = 1\n"}}' \
    '{"name": "delta", "version": "1.0", "files": {"delta.py": "def main():\n    return 0\n"},
      "entry_points": {"console_scripts": {"delta-run": "delta:main"}}}' \
    '{"name": "delta", "version": "1.0", "tags": "py2-none-any",
      "files": {"delta.py": "PY2 = 1\n"}}' \
    '{"name": "wheel", "version": "0.42.0", "files": {"fake_wheel_mod.py": ""}}' \
    '{"name": "broken", "version": "1.0", "files": {"broken.py": "x\n"},
      "record": {"corrupt": ["broken.py"]}}' >/dev/null
mkw1 DIRECT '{"name": "direct_one", "version": "3.0", "files": {"direct_one.py": ""}}'
mv "$DIRECT" "$T/other/"
DIRECT=$T/other/$(basename "$DIRECT")

sync_()
{
	run "$FORKLIFT" sync -p "$V" --no-progress "$@"
}

freeze()
{
	"$FORKLIFT" list -p "$V" --format=freeze
}

# ---- sync to a list ----------------------------------------------------------
cat >"$T/req1.txt" <<'EOF'
# a pinned set, as pip-compile writes it
alpha==1.0
Beta==2.0.0        # names and versions compare normalized
gamma-x==0.1
delta[cli]==1.0 ; python_version >= "3"
EOF
"$FORKLIFT" install -p "$V" --no-progress "$T/w/wheel-0.42.0-py3-none-any.whl" \
    >/dev/null 2>&1 || fail "install the fake 'wheel' distribution"
sync_ -f "$T/w" "$T/req1.txt"
assert_rc "sync to a list" 0
assert_eq "sync to a list: installed set" "$(freeze | tr '\n' ' ')" \
    "alpha==1.0 beta==2.0 delta==1.0 gamma_x==0.1 wheel==0.42.0 "
assert_file "$SP/beta/__init__.py"
assert_content "$SP/delta.py" 'def main():
    return 0
'
assert_file "$V/bin/delta-run"
assert_file "$SP/alpha-1.0.dist-info/REQUESTED"
assert_no_path "$SP/alpha-1.0.dist-info/direct_url.json" "direct_url.json for a --find-links wheel"
assert_records "sync to a list" "$V" "$T/fresh.snap"
assert_no_staging "sync to a list" "$V"

# ---- the same list again: nothing to do, nothing touched -------------------
snap "$V" >"$T/s1.snap"
sync_ -f "$T/w" "$T/req1.txt"
assert_rc "no-op sync" 0
assert_grep "no-op sync says so" "nothing to do" "$T/err"
assert_no_grep "no-op sync names no distribution" "already installed" "$T/err"
assert_snap_same "no-op sync" "$T/s1.snap" "$V"
# No wheel is needed for a no-op: not even the directory.
sync_ -f "$T/nonexistent" "$T/req1.txt"
assert_rc "no-op sync needs no wheelhouse" 0

# ---- forklift list --format=freeze is accepted back ------------------------
freeze >"$T/frozen.txt"
sync_ "$T/frozen.txt"
assert_rc "sync to the freeze output" 0
assert_snap_same "sync to the freeze output" "$T/s1.snap" "$V"

# ---- --dry-run and --json ------------------------------------------------------
cat >"$T/req2.txt" <<'EOF'
alpha==1.0
beta==2.1
EOF
sync_ -f "$T/w" --dry-run "$T/req2.txt"
assert_rc "dry run" 0
assert_eq "dry run: the plan" "$(cat "$T/out")" "~ beta 2.0 -> 2.1
- delta 1.0
- gamma_x 0.1"
assert_snap_same "dry run" "$T/s1.snap" "$V"

sync_ -f "$T/w" --dry-run --json "$T/req2.txt"
assert_rc "dry run --json" 0
assert_snap_same "dry run --json" "$T/s1.snap" "$V"
assert_eq "dry run --json: the plan" "$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["dry_run"], d["ok"], d["exit_status"], d["install"],
      [(r["name"], r["from"], r["to"], r["wheel"].endswith("beta-2.1-py3-none-any.whl"))
       for r in d["replace"]],
      [(r["name"], r["version"]) for r in d["remove"]],
      [(r["name"], r["version"]) for r in d["unchanged"]])
' "$T/out" 2>&1)" "True True 0 [] [('beta', '2.0', '2.1', True)] [('delta', '1.0'), ('gamma_x', '0.1')] [('alpha', '1.0')]"

# ---- sync to a shorter list ----------------------------------------------------
sync_ -f "$T/w" --json "$T/req2.txt"
assert_rc "sync to a shorter list" 0
assert_eq "sync to a shorter list: installed set" "$(freeze | tr '\n' ' ')" \
    "alpha==1.0 beta==2.1 wheel==0.42.0 "
assert_eq "sync --json: the result" "$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["dry_run"], d["ok"], len(d["replace"]), len(d["remove"]))
' "$T/out" 2>&1)" "False True 1 2"
assert_content "$SP/beta/__init__.py" 'B = 21
'
assert_no_path "$SP/gamma_x.py" "a removed distribution's module"
assert_no_path "$V/bin/delta-run" "a removed distribution's launcher"
assert_no_path "$SP/delta-1.0.dist-info" "a removed distribution's dist-info"
assert_records "sync to a shorter list" "$V" "$T/fresh.snap"
assert_no_staging "sync to a shorter list" "$V"

# --exact removes wheel (and pip, setuptools) too.
sync_ -f "$T/w" --exact --dry-run "$T/req2.txt"
assert_eq "--exact --dry-run" "$(cat "$T/out")" "- wheel 0.42.0"
sync_ -f "$T/w" --exact "$T/req2.txt"
assert_rc "--exact" 0
assert_no_path "$SP/fake_wheel_mod.py" "--exact left 'wheel'"

# ---- failures change nothing -------------------------------------------------
snap "$V" >"$T/s2.snap"
sha() { sha256sum "$1" | cut -d' ' -f1; }
A=$(sha "$T/w/alpha-1.0-py3-none-any.whl")
G=$(sha "$T/w/gamma_x-0.1-py3-none-any.whl")
cat >"$T/hash_bad.txt" <<EOF
alpha==1.0 --hash=sha256:$A
beta==2.0 \\
    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
gamma_x==0.1 --hash=sha256:$G
EOF
sync_ -f "$T/w" "$T/hash_bad.txt"
assert_rc "wrong hash" 1
assert_error_line "wrong hash" "beta-2.0-py3-none-any.whl" "hash mismatch" \
    "hash_bad.txt:2" "sha256:0000000000"
assert_snap_same "wrong hash" "$T/s2.snap" "$V"

cat >"$T/hash_missing.txt" <<EOF
alpha==1.0 --hash=sha256:$A
gamma_x==0.1
EOF
sync_ -f "$T/w" "$T/hash_missing.txt"
assert_rc "hash-checking mode, a line without --hash" 1
assert_grep "hash-checking mode names the line" "hash_missing.txt:2: 'gamma_x' has no --hash" "$T/err"
assert_snap_same "a line without --hash" "$T/s2.snap" "$V"

B=$(sha "$T/w/beta-2.0-py3-none-any.whl")
sed "s/0000000000000000000000000000000000000000000000000000000000000000/$B/" \
    "$T/hash_bad.txt" >"$T/hash_good.txt"
sync_ -f "$T/w" "$T/hash_good.txt"
assert_rc "right hashes" 0
assert_eq "right hashes: installed set" "$(freeze | tr '\n' ' ')" \
    "alpha==1.0 beta==2.0 gamma_x==0.1 "
snap "$V" >"$T/s3.snap"

cat >"$T/unpinned.txt" <<'EOF'
alpha==1.0

beta>=2
gamma_x
EOF
sync_ -f "$T/w" "$T/unpinned.txt"
assert_rc "unpinned lines" 1
assert_grep "unpinned: file and line" "unpinned.txt:3: 'beta>=2' is not pinned" "$T/err"
assert_grep "unpinned: every line" "unpinned.txt:4: 'gamma_x' is not pinned" "$T/err"
assert_snap_same "unpinned lines" "$T/s3.snap" "$V"

printf 'alpha==1.0\nbroken==1.0\n' >"$T/broken.txt"
sync_ -f "$T/w" "$T/broken.txt"
assert_rc "a broken wheel among removals" 1
assert_grep "a broken wheel is named" "broken-1.0-py3-none-any.whl" "$T/err"
assert_snap_same "a broken wheel among removals" "$T/s3.snap" "$V"
assert_no_staging "a broken wheel" "$V"

printf 'alpha==1.0\nbeta==9.9\n' >"$T/nowheel.txt"
sync_ -f "$T/w" "$T/nowheel.txt"
assert_rc "no wheel for a pin" 1
assert_grep "no wheel: the wheels found are listed" \
    "beta==9.9 (${T}/nowheel.txt:2): no compatible wheel; beta-2.0-py3-none-any.whl is version 2.0" "$T/err"
printf 'delta==1.0\n' >"$T/py2only.txt"
rm -f "$T/w/delta-1.0-py3-none-any.whl"
sync_ -f "$T/w" "$T/py2only.txt"
assert_rc "no compatible wheel" 1
assert_grep "no compatible wheel: why" "delta-1.0-py2-none-any.whl is not compatible with" "$T/err"
assert_snap_same "no wheel for a pin" "$T/s3.snap" "$V"

# ---- markers skip lines --------------------------------------------------------
cat >"$T/markers.txt" <<'EOF'
alpha==1.0 ; python_version >= "3" and os_name == "posix"
beta==2.0 ; python_version < "3"
beta==2.1 ; python_version >= "3"
gamma_x==0.1 ; sys_platform == "win32"
EOF
sync_ -f "$T/w" "$T/markers.txt"
assert_rc "markers" 0
assert_eq "markers: installed set" "$(freeze | tr '\n' ' ')" "alpha==1.0 beta==2.1 "

printf 'alpha==1.0 ; python_version ~= "x"\n' >"$T/badmarker.txt"
sync_ -f "$T/w" "$T/badmarker.txt"
assert_rc "a bad marker" 1
assert_grep "a bad marker: file and line" "badmarker.txt:1: marker" "$T/err"

# ---- -r includes, -f relative to the including file, -c, direct references ----
mkdir -p "$T/proj/sub" "$T/proj/wh"
cp "$T/w/gamma_x-0.1-py3-none-any.whl" "$T/w/beta-2.0-py3-none-any.whl" "$T/proj/wh/"
cat >"$T/proj/requirements.txt" <<EOF
-r sub/base.txt
-c constraints.txt
gamma-x==0.1
direct-one @ file://$DIRECT
EOF
cat >"$T/proj/sub/base.txt" <<'EOF'
--no-index
--find-links ../wh
beta==2.0 \
    ; python_version >= "3"
EOF
printf 'beta<3\nalpha==0.5\n' >"$T/proj/constraints.txt"
(cd / && "$FORKLIFT" sync -p "$V" --no-progress "$T/proj/requirements.txt" >"$T/out" 2>"$T/err")
RC=$?
assert_rc "-r includes" 0
assert_eq "-r includes: installed set" "$(freeze | tr '\n' ' ')" \
    "beta==2.0 direct_one==3.0 gamma_x==0.1 "
assert_file "$SP/direct_one-3.0.dist-info/direct_url.json"
assert_grep "direct reference: direct_url.json" "file://$DIRECT" \
    "$SP/direct_one-3.0.dist-info/direct_url.json"

printf 'beta<2\n' >"$T/proj/constraints.txt"
sync_ "$T/proj/requirements.txt"
assert_rc "a constraint the pin breaks" 1
assert_grep "a constraint: both places named" \
    "base.txt:3: 'beta' 2.0 does not satisfy the constraint 'beta<2' at $T/proj/constraints.txt:1" "$T/err"

printf -- '-e .\n--index-url ftp://example.invalid/simple\n' >"$T/refused.txt"
sync_ "$T/refused.txt"
assert_rc "editable and index lines" 1
assert_grep "editable refused" "refused.txt:1: '-e': editable installs are not supported" "$T/err"
assert_grep "an index that is not http(s) refused" "refused.txt:2: --index-url 'ftp://example.invalid/simple'" "$T/err"

sync_ "$T/nonexistent.txt"
assert_rc "a missing requirements file" 1
assert_grep "a missing file is named" "nonexistent.txt" "$T/err"

sync_
assert_rc "no requirements file" 2

# ---- install -r: the same machinery, without removals ------------------------
snap "$V" >"$T/s4.snap"
printf 'alpha==1.0\n' >"$T/one.txt"
run "$FORKLIFT" install -p "$V" --no-progress -r "$T/one.txt" -f "$T/w"
assert_rc "install -r" 0
assert_eq "install -r removes nothing" "$(freeze | tr '\n' ' ')" \
    "alpha==1.0 beta==2.0 direct_one==3.0 gamma_x==0.1 "
run "$FORKLIFT" install -p "$V" --no-progress -r "$T/one.txt" -f "$T/w"
assert_rc "install -r again" 0
assert_grep "install -r again: already installed" "alpha 1.0 is already installed" "$T/err"
run "$FORKLIFT" install -p "$V" --no-progress -r "$T/hash_bad.txt" -f "$T/w" --reinstall
assert_rc "install -r with a wrong hash" 1
assert_grep "install -r checks hashes" "hash mismatch" "$T/err"

finish
