#!/bin/bash
# refuse.sh: every refusal of SPEC.md, one wheel each.  A refused wheel
# exits 1 with one "forklift: error: WHEEL: ..." line naming the member or
# field, and leaves the venv, and the directory holding it, exactly as
# they were (only <venv>/.forklift/lock may appear).  Then the
# neutralisations, which install: symlink members become plain files,
# setuid/setgid/sticky bits are dropped, RECORD rows for absent files are
# not carried over, __pycache__ and directory members are skipped, and
# --no-verify-record turns RECORD problems into one warning.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

ARCH=$(uname -m)
case $ARCH in
x86_64) OTHER_ARCH=aarch64 ;;
*) OTHER_ARCH=x86_64 ;;
esac
NODOT=${PYVER/./}
NEXT=$(( ${PYVER#*.} + 1 ))
LIBC=$("$PY" -c 'import platform; print(platform.libc_ver()[0])')

root_venv

subst()
{
	sed -e "s|@ROOT@|$T/root|g" -e "s|@ARCH@|$ARCH|g" \
	    -e "s|@OTHER_ARCH@|$OTHER_ARCH|g" -e "s|@PYVER@|$PYVER|g" \
	    -e "s|@NODOT@|$NODOT|g" -e "s|@NEXT@|$NEXT|g"
}

# ---- the refusals ------------------------------------------------------------
subst >"$T/refuse.jsonl" <<'EOF'
# file names, rejected before the archive is opened
{"case": "no tags in the file name", "name": "fn1", "version": "1.0", "filename": "fn1-1.0.whl"}
{"case": "not a .whl suffix", "name": "fn2", "version": "1.0", "filename": "fn2-1.0-py3-none-any.zip"}
{"case": "six dashes in the file name", "name": "fn3", "version": "1.0", "filename": "fn3-1.0-1-x-py3-none-any.whl"}
{"case": "build tag not starting with a digit", "name": "fn4", "version": "1.0", "filename": "fn4-1.0-abc-py3-none-any.whl"}
{"case": "three dashes in the file name", "name": "fn5", "version": "1.0", "filename": "fn5-1.0-py3-none.whl"}
{"case": "empty name in the file name", "name": "fn6", "version": "1.0", "filename": "-1.0-py3-none-any.whl"}
# compatibility tags
{"case": "tag cp27-cp27mu-win32", "name": "tg1", "version": "1.0", "tags": "cp27-cp27mu-win32", "expect": ["not compatible"]}
{"case": "tag py2-none-any", "name": "tg2", "version": "1.0", "tags": "py2-none-any", "expect": ["not compatible"]}
{"case": "tag for another architecture", "name": "tg3", "version": "1.0", "tags": "py3-none-linux_@OTHER_ARCH@", "expect": ["not compatible"]}
{"case": "tag for macOS", "name": "tg4", "version": "1.0", "tags": "py3-none-macosx_11_0_arm64", "expect": ["not compatible"]}
{"case": "manylinux needing a newer glibc", "name": "tg5", "version": "1.0", "tags": "cp@NODOT@-cp@NODOT@-manylinux_2_99_@ARCH@", "expect": ["not compatible"]}
{"case": "abi3 for a newer CPython", "name": "tg6", "version": "1.0", "tags": "cp3@NEXT@-abi3-linux_@ARCH@", "expect": ["not compatible"]}
{"case": "CPython ABI of another version", "name": "tg7", "version": "1.0", "tags": "cp3@NEXT@-cp3@NEXT@-linux_@ARCH@", "expect": ["not compatible"]}
{"case": "PyPy only", "name": "tg8", "version": "1.0", "tags": "pp310-pypy310_pp73-linux_@ARCH@", "expect": ["not compatible"]}
# Requires-Python
{"case": "Requires-Python >=3.99", "name": "rp1", "version": "1.0", "metadata": {"Requires-Python": ">=3.99"}, "expect": [">=3.99"]}
{"case": "Requires-Python <3", "name": "rp2", "version": "1.0", "metadata": {"Requires-Python": "<3"}, "expect": ["<3"]}
{"case": "Requires-Python excluding this version", "name": "rp3", "version": "1.0", "metadata": {"Requires-Python": ">=3.6, !=@PYVER@.*, <4"}, "expect": ["!=@PYVER@.*"]}
# member names
{"case": "member ../evil.py", "name": "hn1", "version": "1.0", "members": [{"name": "../evil.py", "text": "EVIL = 1\n"}], "expect": ["../evil.py"]}
{"case": "member with .. in the middle", "name": "hn2", "version": "1.0", "members": [{"name": "hn2/../../../../evil.py", "text": "EVIL = 1\n"}], "expect": ["hn2/../../../../evil.py"]}
{"case": "absolute member name", "name": "hn3", "version": "1.0", "members": [{"name": "@ROOT@/abs-evil.py", "text": "EVIL = 1\n"}], "expect": ["abs-evil.py"]}
{"case": "member name with a backslash", "name": "hn4", "version": "1.0", "members": [{"name": "hn4\\..\\..\\bs-evil.py", "text": "EVIL = 1\n"}], "expect": ["bs-evil.py"]}
{"case": "member name with a control character", "name": "hn5", "version": "1.0", "members": [{"name": "hn5/a\u0001b.py", "text": "X = 1\n"}], "expect": ["hn5/a"]}
{"case": "member name with a NUL byte", "name": "hn6", "version": "1.0", "members": [{"name_hex": "686e362f610062", "text": "X = 1\n"}], "expect": ["hn6/a"]}
{"case": "member name not UTF-8", "name": "hn7", "version": "1.0", "members": [{"name_hex": "686e372fff2e7079", "text": "X = 1\n", "utf8_flag": true}], "expect": ["hn7/"]}
{"case": "member name with an empty component", "name": "hn8", "version": "1.0", "members": [{"name": "hn8//x.py", "text": "X = 1\n"}], "expect": ["hn8//x.py"]}
{"case": "member name with a . component", "name": "hn9", "version": "1.0", "members": [{"name": "hn9/./x.py", "text": "X = 1\n"}], "expect": ["hn9/./x.py"]}
{"case": "member name ending in ..", "name": "hn10", "version": "1.0", "members": [{"name": "hn10/..", "text": "X = 1\n"}], "expect": ["hn10/.."]}
# archive structure
{"case": "duplicate member", "name": "hz1", "version": "1.0", "members": [{"name": "hz1/dup.py", "text": "A = 1\n"}, {"name": "hz1/dup.py", "text": "B = 2\n", "in_record": false}], "expect": ["hz1/dup.py"]}
{"case": "file and directory with one name", "name": "hz2", "version": "1.0", "files": {"hz2/a": "file\n", "hz2/a/b.py": "X = 1\n"}, "expect": ["hz2/a"]}
{"case": "directory entry and file with one name", "name": "hz3", "version": "1.0", "members": [{"name": "hz3/d/", "dir": true}, {"name": "hz3/d", "text": "file\n"}], "expect": ["hz3/d"]}
{"case": "symlink member then a file through it", "name": "hz4", "version": "1.0", "members": [{"name": "hz4/l", "text": "@ROOT@", "symlink": true}, {"name": "hz4/l/evil.py", "text": "EVIL = 1\n"}], "expect": ["hz4/l"]}
{"case": "local header names another file", "name": "hz5", "version": "1.0", "members": [{"name": "hz5/x.py", "text": "X = 1\n", "local_name": "hz5/y.py"}], "expect": ["hz5/"]}
{"case": "local header size differs", "name": "hz6", "version": "1.0", "members": [{"name": "hz6/x.py", "text": "X = 1\n", "local_size": 99}], "expect": ["hz6/x.py"]}
{"case": "local header CRC differs", "name": "hz7", "version": "1.0", "members": [{"name": "hz7/x.py", "text": "X = 1\n", "local_crc": 305419896}], "expect": ["hz7/x.py"]}
{"case": "local header method differs", "name": "hz8", "version": "1.0", "members": [{"name": "hz8/x.py", "text": "X = 1\n", "local_method": "store"}], "expect": ["hz8/x.py"]}
{"case": "member inflates to more than its declared size", "name": "hz9", "version": "1.0", "members": [{"name": "hz9/x.txt", "repeat": ["abcdefghij", 100], "declared_size": 500}], "expect": ["hz9/x.txt"]}
{"case": "member inflates to less than its declared size", "name": "hz10", "version": "1.0", "members": [{"name": "hz10/x.txt", "repeat": ["abcdefghij", 100], "declared_size": 1500}], "expect": ["hz10/x.txt"]}
{"case": "bad CRC", "name": "hz11", "version": "1.0", "members": [{"name": "hz11/x.py", "text": "X = 1\n", "crc": 305419896}], "expect": ["hz11/x.py"]}
{"case": "stored member with bad CRC", "name": "hz12", "version": "1.0", "members": [{"name": "hz12/x.py", "text": "X = 1\n", "method": "store", "crc": 305419896}], "expect": ["hz12/x.py"]}
{"case": "local header of a __pycache__ member names another file", "name": "hz19", "version": "1.0", "members": [{"name": "hz19/__pycache__/x.pyc", "hex": "00", "in_record": false, "local_name": "hz19/__pycache__/y.pyc"}], "expect": ["hz19/__pycache__/x.pyc", "local header"]}
{"case": "local header of a directory member names another file", "name": "hz20", "version": "1.0", "members": [{"name": "hz20/d/", "dir": true, "local_name": "hz20/e/"}], "expect": ["hz20/d/", "local header"]}
{"case": "members whose data overlap", "name": "hz21", "version": "1.0", "opts": ["--no-verify-record"], "members": [{"name": "hz21/a.bin", "text": "AAAA", "method": "store", "swallow_next": true}, {"name": "hz21/b.py", "text": "B = 1\n"}], "expect": ["hz21/a.bin", "overlap"]}
{"case": "local header names another file, end-of-directory signature near the end", "name": "hz22", "version": "1.0", "members": [{"name": "hz22/x.py", "text": "X = 1\n", "local_name": "hz22/y.py"}, {"name": "hz22/sig.bin", "hex": "504b0506", "method": "store"}], "expect": ["hz22/x.py", "local header"]}
{"case": "bzip2 member", "name": "hz13", "version": "1.0", "members": [{"name": "hz13/x.py", "text": "X = 1\n", "method": "bzip2"}], "expect": ["hz13/x.py"]}
{"case": "archive truncated in the central directory", "name": "hz14", "version": "1.0", "truncate": -30}
{"case": "archive truncated to its first 100 bytes", "name": "hz15", "version": "1.0", "truncate": 100}
{"case": "not a zip archive at all", "name": "hz16", "version": "1.0", "truncate": 0}
{"case": "declared sizes adding up to 12 GiB", "name": "hz17", "version": "1.0", "members": [{"name": "hz17/a", "text": "a", "declared_size": 4294967295}, {"name": "hz17/b", "text": "b", "declared_size": 4294967295}, {"name": "hz17/c", "text": "c", "declared_size": 4294967295}]}
{"case": "zip bomb past --max-unpacked-size", "name": "hz18", "version": "1.0", "opts": ["--max-unpacked-size", "1048576"], "members": [{"name": "hz18/zeros.bin", "zeros": 16777216}]}
# RECORD
{"case": "RECORD hash mismatch", "name": "rc1", "version": "1.0", "files": {"rc1/__init__.py": "", "rc1/mod.py": "M = 1\n"}, "record": {"corrupt": ["rc1/mod.py"]}, "expect": ["rc1/mod.py"]}
{"case": "RECORD size mismatch", "name": "rc2", "version": "1.0", "files": {"rc2/__init__.py": "", "rc2/mod.py": "M = 1\n"}, "record": {"bad_size": ["rc2/mod.py"]}, "expect": ["rc2/mod.py"]}
{"case": "member not in RECORD", "name": "rc3", "version": "1.0", "files": {"rc3/__init__.py": "", "rc3/mod.py": "M = 1\n"}, "record": {"drop": ["rc3/mod.py"]}, "expect": ["rc3/mod.py"]}
{"case": "RECORD with md5", "name": "rc4", "version": "1.0", "record": {"algo": "md5"}, "expect": ["md5"]}
{"case": "RECORD with sha1", "name": "rc5", "version": "1.0", "record": {"algo_for": {"rc5/__init__.py": "sha1"}}, "expect": ["sha1"]}
{"case": "RECORD with an unknown algorithm", "name": "rc6", "version": "1.0", "record": {"algo_for": {"rc6/__init__.py": "sha3_256"}}, "expect": ["sha3_256"]}
{"case": "RECORD row without hash", "name": "rc7", "version": "1.0", "files": {"rc7/__init__.py": "", "rc7/mod.py": "M = 1\n"}, "record": {"nohash": ["rc7/mod.py"]}, "expect": ["rc7/mod.py"]}
{"case": "no RECORD", "name": "rc8", "version": "1.0", "record": {"omit": true}, "expect": ["RECORD"]}
{"case": "RECORD of a .data script wrong", "name": "rc9", "version": "1.0", "data": {"scripts": {"rc9-s": "#!python\nprint(1)\n"}}, "record": {"corrupt": ["rc9-1.0.data/scripts/rc9-s"]}, "expect": ["rc9-s"]}
# dist-info and WHEEL
{"case": "no dist-info", "name": "di1", "version": "1.0", "no_distinfo": true, "expect": ["dist-info"]}
{"case": "two dist-info directories", "name": "di2", "version": "1.0", "extra_distinfo": "other_di-1.0.dist-info", "expect": ["dist-info"]}
{"case": "dist-info of another name", "name": "di3", "version": "1.0", "distinfo": "wrongname-1.0.dist-info", "expect": ["wrongname"]}
{"case": "dist-info of another version", "name": "di4", "version": "1.0", "distinfo": "di4-2.0.dist-info", "expect": ["di4-2.0.dist-info"]}
{"case": "no METADATA", "name": "di5", "version": "1.0", "omit": ["METADATA"], "expect": ["METADATA"]}
{"case": "no WHEEL", "name": "di6", "version": "1.0", "omit": ["WHEEL"], "expect": ["WHEEL"]}
{"case": "Wheel-Version 2.0", "name": "di7", "version": "1.0", "wheel": {"Wheel-Version": "2.0"}, "expect": ["Wheel-Version"]}
{"case": "no Wheel-Version", "name": "di8", "version": "1.0", "wheel": {"Wheel-Version": null}, "expect": ["Wheel-Version"]}
{"case": "unparsable Wheel-Version", "name": "di9", "version": "1.0", "wheel": {"Wheel-Version": "one"}, "expect": ["Wheel-Version"]}
# .data
{"case": "unknown .data key", "name": "dk1", "version": "1.0", "data": {"foo": {"x.txt": "x\n"}}, "expect": ["foo"]}
{"case": "file directly in .data", "name": "dk2", "version": "1.0", "members": [{"name": "dk2-1.0.data/x.txt", "text": "x\n"}], "expect": ["dk2-1.0.data/x.txt"]}
{"case": "..-escape inside .data/scripts", "name": "dk3", "version": "1.0", "members": [{"name": "dk3-1.0.data/scripts/../../evil", "text": "x\n"}], "expect": ["evil"]}
# entry points
{"case": "entry point without :attr", "name": "ep1", "version": "1.0", "entry_points": {"console_scripts": {"ep1-noattr": "ep1.mod"}}, "expect": ["ep1-noattr"]}
{"case": "launcher named python", "name": "ep2", "version": "1.0", "entry_points": {"console_scripts": {"python": "ep2:main"}}, "expect": ["python"]}
{"case": "launcher named python3", "name": "ep3", "version": "1.0", "entry_points": {"console_scripts": {"python3": "ep3:main"}}, "expect": ["python3"]}
{"case": "launcher named python@PYVER@", "name": "ep4", "version": "1.0", "entry_points": {"console_scripts": {"python@PYVER@": "ep4:main"}}, "expect": ["python@PYVER@"]}
{"case": "gui launcher named pythonw", "name": "ep5", "version": "1.0", "entry_points": {"gui_scripts": {"pythonw": "ep5:main"}}, "expect": ["pythonw"]}
{"case": "launcher named pypy3", "name": "ep6", "version": "1.0", "entry_points": {"console_scripts": {"pypy3": "ep6:main"}}, "expect": ["pypy3"]}
{"case": "launcher named ../x", "name": "ep7", "version": "1.0", "entry_points": {"console_scripts": {"../x": "ep7:main"}}, "expect": ["../x"]}
{"case": "launcher named a/b", "name": "ep8", "version": "1.0", "entry_points": {"console_scripts": {"a/b": "ep8:main"}}, "expect": ["a/b"]}
{"case": "launcher named ..", "name": "ep9", "version": "1.0", "entry_points": {"console_scripts": {"..": "ep9:main"}}, "expect": [".."]}
# forklift's state directory and the environment's own files
{"case": ".data/data/.forklift/lock", "name": "sd1", "version": "1.0", "data": {"data": {".forklift/lock": "x\n"}}, "expect": [".forklift/lock", "state directory"]}
{"case": ".data/data/.forklift/journal", "name": "sd2", "version": "1.0", "data": {"data": {".forklift/journal": "R\t/etc/passwd\t/tmp/x\n"}}, "expect": [".forklift/journal", "state directory"]}
{"case": ".data/scripts/python", "name": "sd3", "version": "1.0", "data": {"scripts": {"python": "#!/bin/sh\necho owned\n"}}, "expect": ["bin/python", "interpreter"]}
{"case": ".data/scripts/python@PYVER@", "name": "sd4", "version": "1.0", "data": {"scripts": {"python@PYVER@": "#!/bin/sh\n"}}, "expect": ["bin/python@PYVER@"]}
{"case": ".data/scripts/activate", "name": "sd5", "version": "1.0", "data": {"scripts": {"activate": "echo owned\n"}}, "expect": ["bin/activate"]}
{"case": ".dist-info under .data/purelib", "name": "dd1", "version": "1.0", "data": {"purelib": {"evil-1.0.dist-info/METADATA": "Name: evil\n"}}, "expect": ["evil-1.0.dist-info"]}
{"case": ".dist-info under .data/platlib", "name": "dd2", "version": "1.0", "data": {"platlib": {"dd2-1.0.dist-info/RECORD": ""}}, "expect": ["dd2-1.0.data/platlib/dd2-1.0.dist-info"]}
# limits
{"case": "more members than --max-members", "name": "mm1", "version": "1.0", "opts": ["--max-members", "3"], "files": {"mm1/a.py": "", "mm1/b.py": "", "mm1/c.py": ""}, "expect": ["--max-members"]}
{"case": "member 302 directories deep", "name": "dp1", "version": "1.0", "files": {"dp1/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/x.py": ""}, "expect": ["256 directories deep"]}
{"case": ".data/data/pyvenv.cfg", "name": "sd6", "version": "1.0", "data": {"data": {"pyvenv.cfg": "home = /tmp\n"}}, "expect": ["pyvenv.cfg"]}
EOF

mkcases <"$T/refuse.jsonl" >"$T/refuse.cases"
# "not a zip archive at all": replace the truncated-to-nothing file by text
for f in "$T"/w/hz16-*.whl; do echo "this is not a zip archive" >"$f"; done

snap "$T/root" >"$T/root.snap"
ncase=0
while IFS=$'\x1f' read -r -u 3 -a F; do
	W=${F[0]} desc=${F[1]}
	read -r -a opts <<<"${F[2]:-}"
	expect=("${F[@]:3}")
	if [ "$desc" = "manylinux needing a newer glibc" ] && [ "$LIBC" != glibc ]; then
		continue
	fi
	ncase=$((ncase + 1))
	fk_install "$V" "${opts[@]}" "$W"
	assert_rc "$desc" 1
	assert_error_line "$desc" "$(basename "$W")" "${expect[@]}"
	assert_snap_same "$desc" "$T/root.snap" "$T/root"
done 3<"$T/refuse.cases"
echo "refusals: $ncase wheels"

# A refused wheel refuses the whole invocation, -j or not (all_or_nothing.sh
# covers more); and --no-verify-record never turns off the path checks.
mapfile -t G < <(mkw '{"name": "good1", "version": "1.0"}')
fk_install "$V" --no-verify-record "$T"/w/hn1-1.0-py3-none-any.whl
assert_rc "--no-verify-record keeps path checks" 1
assert_snap_same "--no-verify-record keeps path checks" "$T/root.snap" "$T/root"
fk_install "$V" -j 2 "${G[0]}" "$T"/w/rc1-1.0-py3-none-any.whl
assert_rc "good wheel with a refused one" 1
assert_error_line "good wheel with a refused one" rc1-1.0-py3-none-any.whl rc1/mod.py
assert_snap_same "good wheel with a refused one" "$T/root.snap" "$T/root"
assert_no_staging "refusals" "$V"

# ---- neutralisations and tolerated oddities: these install ------------------------
mkdir -p "$T/okroot"
OV=$T/okroot/v
mkvenv "$OV"
snap "$OV" >"$T/ok.fresh"
OSP=$(site_packages "$OV")

subst >"$T/ok.jsonl" <<'EOF'
{"case": "symlink member", "name": "nz1", "version": "1.0", "files": {"nz1/__init__.py": "", "nz1/link": {"text": "../../../../../../etc/passwd", "symlink": true}}}
{"case": "setuid, setgid and sticky bits", "name": "nz2", "version": "1.0", "files": {"nz2/__init__.py": "", "nz2/suid": {"text": "#!/bin/sh\n", "mode": "4755"}, "nz2/sgid": {"text": "x\n", "mode": "2644"}, "nz2/sticky": {"text": "x\n", "mode": "1777"}, "nz2/both": {"text": "x\n", "mode": "6711"}}}
{"case": "RECORD rows for absent files", "name": "nz3", "version": "1.0", "record": {"extra": ["../../../../../../tmp/nz3-ghost", "nz3/ghost.py", "../../../bin/nz3-ghost"]}}
{"case": "__pycache__ member", "name": "nz4", "version": "1.0", "files": {"nz4/__init__.py": "", "nz4/__pycache__/__init__.cpython-@NODOT@.pyc": {"hex": "00"}}}
{"case": "directory members", "name": "nz5", "version": "1.0", "files": {"nz5/__init__.py": ""}, "members": [{"name": "nz5/", "dir": true}, {"name": "nz5/empty/", "dir": true}]}
{"case": "nested dist-info directory", "name": "nz6", "version": "1.0", "files": {"nz6/__init__.py": "", "nz6/sub/x-1.0.dist-info/METADATA": "Name: x\n"}}
{"case": "Wheel-Version 1.9", "name": "nz7", "version": "1.0", "wheel": {"Wheel-Version": "1.9"}}
{"case": "Wheel-Version 0.9", "name": "nz8", "version": "1.0", "wheel": {"Wheel-Version": "0.9"}}
{"case": "undecodable extra dist-info file", "name": "nz9", "version": "1.0", "distinfo_files": {"top_level.txt": {"hex": "fffe00"}}}
{"case": "RECORD.jws and RECORD.p7s", "name": "nz10", "version": "1.0", "distinfo_files": {"RECORD.jws": {"text": "{}", "in_record": false}, "RECORD.p7s": {"hex": "3082", "in_record": false}}}
{"case": "--ignore-requires-python", "name": "nz11", "version": "1.0", "metadata": {"Requires-Python": ">=3.99"}, "opts": ["--ignore-requires-python"]}
{"case": "Requires-Python admitting this version", "name": "nz12", "version": "1.0", "metadata": {"Requires-Python": ">=3.6, !=3.5.*, <4"}}
{"case": "tags py2.py3-none-any", "name": "nz13", "version": "1.0", "tags": "py2.py3-none-any"}
{"case": "tag set with one compatible member", "name": "nz14", "version": "1.0", "tags": "cp@NODOT@-cp@NODOT@-win_amd64.linux_@ARCH@"}
{"case": "abi3 wheel of an older CPython", "name": "nz15", "version": "1.0", "tags": "cp36-abi3-linux_@ARCH@", "purelib": false}
{"case": "normalized names match", "name": "Nz.Mixed_Case", "version": "1.0", "distinfo": "NZ_mixed_CASE-1.0.dist-info"}
{"case": "build tag", "name": "nz16", "version": "1.0", "build": "1abc"}
{"case": "licenses and sboms in dist-info", "name": "nz17", "version": "1.0", "distinfo_files": {"licenses/LICENSE": "l\n", "licenses/sub/NOTICE": "n\n", "sboms/bom.json": "{}\n"}}
{"case": "RECORD with sha384, sha512, CRLF and quoting", "name": "nz18", "version": "1.0", "files": {"nz18/__init__.py": "", "nz18/a,b.py": "", "nz18/c.py": "C = 1\n"}, "record": {"algo": "sha384", "algo_for": {"nz18/c.py": "sha512"}, "crlf": true, "quote": true}}
{"case": "entry point with extras and spaces", "name": "nz19", "version": "1.0", "files": {"nz19/__init__.py": "def main():\n    return 0\n"}, "entry_points_txt": "[console_scripts]\nnz19-a=nz19:main\nnz19-b = nz19:main [x, y]\n\n[other.group]\nwhatever = something\n"}
EOF
mkcases <"$T/ok.jsonl" >"$T/ok.cases"
declare -A OK
while IFS=$'\x1f' read -r -u 3 -a F; do
	W=${F[0]} desc=${F[1]}
	read -r -a opts <<<"${F[2]:-}"
	OK[$desc]=$W
	fk_install "$OV" "${opts[@]}" "$W"
	assert_rc "$desc installs" 0
	case $desc in
	"__pycache__ member"|"Wheel-Version 1.9"|"Wheel-Version 0.9")
		if grep -q '^forklift: warning: ' "$T/err"; then
			ok "$desc: warning"
		else
			fail "$desc: no 'forklift: warning:' line"
			show stderr "$T/err"
		fi ;;
	esac
done 3<"$T/ok.cases"

if [ -f "$OSP/nz1/link" ] && [ ! -L "$OSP/nz1/link" ]; then
	ok "symlink member installed as a regular file"
	assert_content "$OSP/nz1/link" "../../../../../../etc/passwd"
else
	fail "symlink member not installed as a regular file: $(ls -l "$OSP/nz1/link" 2>&1)"
fi
assert_mode "setuid dropped" "$OSP/nz2/suid" 755
assert_mode "setgid dropped" "$OSP/nz2/sgid" 644
assert_mode "sticky dropped" "$OSP/nz2/sticky" 755
assert_mode "setuid+setgid dropped" "$OSP/nz2/both" 755
assert_no_grep "RECORD rows for absent files dropped" "ghost" "$OSP/nz3-1.0.dist-info/RECORD"
assert_no_path "$OSP/nz4/__pycache__" "__pycache__ member installed"
assert_no_path "$OSP/nz5/empty" "empty directory member created"
assert_file "$OSP/nz6/sub/x-1.0.dist-info/METADATA"
assert_file "$OSP/nz17-1.0.dist-info/licenses/sub/NOTICE"
assert_file "$OSP/nz17-1.0.dist-info/sboms/bom.json"
assert_file "$OSP/nz18/a,b.py"
assert_file "$OV/bin/nz19-a"
assert_file "$OV/bin/nz19-b"
assert_no_path "$OV/bin/whatever" "launcher for a non-script group"
run "$OV/bin/nz19-b"
assert_rc "launcher of an entry point with extras" 0
assert_records "neutralised wheels" "$OV" "$T/ok.fresh"
assert_eq "nothing written beside the venv" "$(ls -A "$T/okroot")" "v"
[ -e /tmp/nz3-ghost ] && fail "RECORD ghost row created /tmp/nz3-ghost"
assert_no_staging "neutralisations" "$OV"

# The __pycache__ warning again when the wheel comes from the cache.
mkdir -p "$T/okroot2"
mkvenv "$T/okroot2/v"
fk_install "$T/okroot2/v" "${OK[__pycache__ member]}"
assert_rc "__pycache__ member, warm cache" 0
assert_grep "__pycache__ warning with a warm cache" "__pycache__" "$T/err"
rm -rf "$T/okroot2"

# ---- --no-verify-record: RECORD problems become one warning ---------------------
mkdir -p "$T/nvroot"
NV=$T/nvroot/v
mkvenv "$NV"
snap "$NV" >"$T/nv.fresh"
subst >"$T/nv.jsonl" <<'EOF'
{"case": "hash mismatch", "name": "nv1", "version": "1.0", "files": {"nv1/__init__.py": "", "nv1/mod.py": "M = 1\n"}, "record": {"corrupt": ["nv1/mod.py"]}}
{"case": "size mismatch", "name": "nv2", "version": "1.0", "files": {"nv2/__init__.py": "", "nv2/mod.py": "M = 1\n"}, "record": {"bad_size": ["nv2/mod.py"]}}
{"case": "unlisted member", "name": "nv3", "version": "1.0", "files": {"nv3/__init__.py": "", "nv3/mod.py": "M = 1\n"}, "record": {"drop": ["nv3/mod.py"]}}
{"case": "md5", "name": "nv4", "version": "1.0", "record": {"algo": "md5"}}
{"case": "sha1", "name": "nv5", "version": "1.0", "record": {"algo": "sha1"}}
{"case": "no hash", "name": "nv6", "version": "1.0", "files": {"nv6/__init__.py": "", "nv6/mod.py": "M = 1\n"}, "record": {"nohash": ["nv6/mod.py"]}}
EOF
mkcases <"$T/nv.jsonl" >"$T/nv.cases"
while IFS=$'\x1f' read -r -u 3 -a F; do
	W=${F[0]} desc=${F[1]}
	fk_install "$NV" --no-verify-record "$W"
	assert_rc "--no-verify-record, $desc" 0
	n=$(grep -c '^forklift: warning: ' "$T/err")
	assert_eq "--no-verify-record, $desc: one warning" "$n" 1
	assert_grep "--no-verify-record, $desc: warning names the wheel" "$(basename "$W")" "$T/err"
done 3<"$T/nv.cases"
assert_file "$(site_packages "$NV")/nv1/mod.py"
assert_records "--no-verify-record" "$NV" "$T/nv.fresh"
assert_no_staging "--no-verify-record" "$NV"

# What --no-verify-record let in must not be let in later without it: the
# cache holds verified trees only.
mkdir -p "$T/nvroot2"
mkvenv "$T/nvroot2/v"
while IFS=$'\x1f' read -r -u 3 -a F; do
	W=${F[0]} desc=${F[1]}
	snap "$T/nvroot2" >"$T/nv2.snap"
	fk_install "$T/nvroot2/v" "$W"
	assert_rc "$desc, again without --no-verify-record (warm cache)" 1
	assert_snap_same "$desc, again without --no-verify-record" "$T/nv2.snap" "$T/nvroot2"
done 3<"$T/nv.cases"

# ---- files no installed distribution owns --------------------------------------
mkdir -p "$T/uoroot"
UO=$T/uoroot/v
mkvenv "$UO"
mkdir -p "$(site_packages "$UO")/uo1"
echo "HAND = 1" >"$(site_packages "$UO")/uo1/mod.py"
W=$(mkw '{"name": "uo1", "version": "1.0", "files": {"uo1/__init__.py": "", "uo1/mod.py": "WHEEL = 1\n"}}')
fk_install "$UO" --strict "$W"
assert_rc "unowned file, --strict" 1
assert_grep "unowned file named under --strict" "not owned by any installed distribution" "$T/err"
assert_content "$(site_packages "$UO")/uo1/mod.py" "HAND = 1
"
fk_install "$UO" "$W"
assert_rc "unowned file overwritten" 0
assert_grep "unowned file overwritten with a warning" "uo1/mod.py' is not owned by any installed distribution" "$T/err"
assert_content "$(site_packages "$UO")/uo1/mod.py" "WHEEL = 1
"

# A top-level *.dist-info under .data/data is installed as RECORD says.
W=$(mkw '{"name": "dd3", "version": "1.0", "data": {"data": {"dd3-extra.dist-info/notes.txt": "n\n"}}}')
fk_install "$UO" "$W"
assert_rc ".dist-info under .data/data" 0
assert_file "$UO/dd3-extra.dist-info/notes.txt"
assert_no_staging ".dist-info under .data/data" "$UO"

# A wheel 200 directories deep unpacks within 40 descriptors.
W=$(mkw "{\"name\": \"dp2\", \"version\": \"1.0\", \"files\": {\"dp2/__init__.py\": \"\", \"dp2/$(printf 'd/%.0s' $(seq 200))x.py\": \"X = 1\\n\"}}")
( ulimit -n 40 && exec "$FORKLIFT" install -p "$UO" --no-progress --no-cache -j1 "$W" ) \
    >"$T/out" 2>"$T/err"
RC=$?
assert_rc "200 directories deep with 40 descriptors" 0
assert_file "$(site_packages "$UO")/dp2/$(printf 'd/%.0s' $(seq 200))x.py"

# ---- cache hits: built from the wheel's own bytes, within the size limit ---------
mkdir -p "$T/chroot"
BIG=$(printf 'x%.0s' $(seq 2000))
W=$(mkw "{\"name\": \"ch1\", \"version\": \"1.0\", \"files\": {\"ch1/__init__.py\": \"\", \"ch1/big.txt\": \"$BIG\"}}")
mkvenv "$T/chroot/a"
fk_install "$T/chroot/a" "$W"
assert_rc "cache entry built" 0
M=$(grep -l "^distinfo	ch1-1.0.dist-info" "$FORKLIFT_CACHE_DIR"/v1/wheels/*/MANIFEST)
sed -i "s/^wheel-sha256	.*/wheel-sha256	$(printf '0%.0s' $(seq 64))/" "$M"
mkvenv "$T/chroot/b"
fk_install "$T/chroot/b" "$W"
assert_rc "cache entry of other bytes: rebuilt" 0
assert_grep "cache entry of other bytes named" "built from other bytes" "$T/err"
assert_no_grep "cache entry rebuilt with the wheel's sha256" "wheel-sha256	0000" "$M"
mkvenv "$T/chroot/c"
fk_install "$T/chroot/c" --max-unpacked-size 1000 "$W"
assert_rc "--max-unpacked-size on a cache hit" 1
assert_grep "--max-unpacked-size on a cache hit named" "max-unpacked-size" "$T/err"
assert_no_path "$(site_packages "$T/chroot/c")/ch1" "wheel over the limit installed from the cache"

# ---- recovery: what a journal may say, and the trash ---------------------------
# A staging directory whose trash holds a replaced file, next to an empty
# journal (a power cut before the journal reached the disk): the trash is
# the only copy, so recovery keeps it and exits 4.
RV=$UO
FL=$RV/.forklift
UOF=$(site_packages "$RV")/uo1/mod.py
mkdir -p "$FL/tx-1-00000001/trash"
mv "$UOF" "$FL/tx-1-00000001/trash/0"
: >"$FL/journal"
# A list that may not write the lock file (an immutable one stands for
# another user's, or a read-only layer) reports the journal and leaves
# it; one that may write recovers (and here fails, exit 4).
if chattr +i "$FL/lock" 2>/dev/null; then
	fk list -p "$RV"
	chattr -i "$FL/lock"
	assert_rc "list that may not write, with a pending journal" 0
	assert_grep "list that may not write reports the pending journal" \
	    "interrupted install left the journal" "$T/err"
	assert_file "$FL/journal"
else
	echo "# SKIP: the read-only list check needs chattr +i on $T"
fi
fk list -p "$RV"
assert_rc "list recovers when it may, and fails to restore here" 4
: >"$FL/journal"
fk uninstall -p "$RV" --missing-ok zz-none
assert_rc "empty journal, non-empty trash" 4
assert_grep "empty journal: trash kept, said so" "tx-1-00000001/trash" "$T/err"
assert_file "$FL/tx-1-00000001/trash/0"
# The same trash with a truncated journal naming the move: restored.
printf 'B\t%s\nR\t%s\t%s\nR\t%s/tx-1-00000001/0/purelib/uo1/mod' \
    "$FL/tx-1-00000001" "$UOF" "$FL/tx-1-00000001/trash/0" "$FL" >"$FL/journal"
fk uninstall -p "$RV" --missing-ok zz-none
assert_rc "truncated journal, non-empty trash: recovered" 0
assert_content "$UOF" "WHEEL = 1
"
assert_no_path "$FL/tx-1-00000001" "staging left after recovery"
assert_no_path "$FL/journal" "journal left after recovery"
fk list -p "$RV"
assert_rc "list with nothing pending after recovery" 0
# A journal that moves things outside the environment, or out of the
# state directory, is not replayed at all.
echo "secret" >"$T/outside"
mkdir -p "$FL/tx-2-00000002/trash"
printf 'B\t%s\nR\t%s\t%s\n' "$FL/tx-2-00000002" "$T/outside" \
    "$FL/tx-2-00000002/trash/0" >"$FL/journal"
fk uninstall -p "$RV" --missing-ok zz-none
assert_rc "journal record outside the root" 4
assert_grep "forged journal named" "not one forklift wrote" "$T/err"
assert_file "$T/outside"
printf 'B\t%s\nR\t%s/lock\t%s\n' "$FL/tx-2-00000002" "$FL" \
    "$FL/tx-2-00000002/trash/0" >"$FL/journal"
fk uninstall -p "$RV" --missing-ok zz-none
assert_rc "journal record inside .forklift" 4
printf 'B\t%s/../../etc\n' "$FL" >"$FL/journal"
fk uninstall -p "$RV" --missing-ok zz-none
assert_rc "journal B record outside .forklift" 4
rm -f "$FL/journal"
fk uninstall -p "$RV" --missing-ok zz-none
assert_rc "no journal, empty trash: cleaned" 0
assert_no_path "$FL/tx-2-00000002" "stale staging with an empty trash"

# list, verify and --dry-run read: no state directory is created.
mkdir -p "$T/roroot"
mkvenv "$T/roroot/v"
fk list -p "$T/roroot/v"
assert_rc "list of a venv forklift never changed" 0
fk verify -p "$T/roroot/v"
assert_rc "verify of a venv forklift never changed" 0
fk_install "$T/roroot/v" --dry-run "$W"
assert_rc "--dry-run install" 0
assert_no_path "$T/roroot/v/.forklift" "state directory created by list, verify or --dry-run"

finish
