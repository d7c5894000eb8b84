#!/bin/bash
# install_basic.sh: what a successful install puts where.  A pure wheel
# and a platlib wheel with every .data key, #!python scripts (LF, CRLF,
# #!pythonw), plain scripts, exec bits, console and GUI launchers that
# return their entry point's exit code, setuptools-era wrappers that the
# launchers replace, the installed dist-info (INSTALLER, REQUESTED,
# direct_url.json, a complete sorted RECORD), no staging leftovers,
# nothing written outside the venv, `forklift list`, --target, --prefix,
# and the same tree with -j 1 and -j 4.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

ARCH=$(uname -m)
root_venv
snap "$V" >"$T/fresh.snap"

mapfile -t W < <(mkw '{
  "name": "fkbasic", "version": "1.0",
  "metadata": {"Requires-Python": ">=3.6, <4"},
  "files": {
    "fkbasic/__init__.py": "VALUE = 42\n",
    "fkbasic/cli.py": "import sys\n\ndef main():\n    print(\"cons\", sys.argv[1:])\n    return 7\n\ndef gui():\n    print(\"gui ran\")\n    return 0\n\ndef argv0():\n    import os\n    print(os.path.basename(sys.argv[0]))\n\nclass Tool:\n    @staticmethod\n    def run():\n        print(\"nested\")\n        sys.exit(3)\n",
    "fkbasic/tool.sh": {"text": "#!/bin/sh\necho tool\n", "mode": "755"},
    "fkbasic/data/readme.txt": {"text": "stored, not deflated\n", "method": "store"},
    "fkbasic/empty.txt": ""
  },
  "data": {
    "purelib": {"fkbasic_pure/__init__.py": "P = 1\n"},
    "platlib": {"fkbasic_plat/__init__.py": "Q = 2\n"},
    "scripts": {
      "s-lf": "#!python\nimport sys\nprint(\"s-lf\", sys.prefix == sys.base_prefix)\n",
      "s-crlf": "#!python\r\nprint(\"s-crlf\")\r\n",
      "s-w": "#!pythonw\nprint(\"s-w\")\n",
      "s-sh": "#!/bin/sh\necho s-sh\n",
      "s-bin": {"hex": "7f454c46000102"},
      "fk-cons": "#!python\nprint(\"setuptools wrapper\")\n",
      "fk-cons-script.py": "#!python\nprint(\"wrapper\")\n",
      "fk-cons.exe": {"hex": "4d5a"},
      "fk-gui-script.pyw": "#!pythonw\nprint(\"wrapper\")\n"
    },
    "data": {"share/fkbasic/data.txt": "data file\n"},
    "headers": {"fkbasic.h": "#define FKBASIC 1\n"}
  },
  "entry_points": {
    "console_scripts": {"fk-cons": "fkbasic.cli:main", "fk-nested": "fkbasic.cli:Tool.run [extra1,extra2]",
                        "fk-argv0": "fkbasic.cli:argv0", "fk-same": "fkbasic.cli:gui"},
    "gui_scripts": {"fk-gui": "fkbasic.cli:gui"}
  },
  "distinfo_files": {"licenses/LICENSE.txt": "license text\n"}
}' '{
  "name": "fkplat", "version": "2.0", "purelib": false,
  "tags": "cp36.cp37-abi3-linux_'"$ARCH"'",
  "files": {"fkplat/__init__.py": "PLAT = True\n", "fkplat/_native.so": {"hex": "7f454c460201"}},
  "data": {"purelib": {"fkplat_py/__init__.py": "PY = True\n"}}
}')
BASIC=${W[0]} PLAT=${W[1]}

# ---- install both ------------------------------------------------------
fk_install "$V" "$BASIC" "$PLAT"
assert_rc "install pure + platlib wheels" 0

for f in fkbasic/__init__.py fkbasic/cli.py fkbasic/tool.sh fkbasic/data/readme.txt \
    fkbasic/empty.txt fkbasic_pure/__init__.py fkbasic_plat/__init__.py \
    fkplat/__init__.py fkplat/_native.so fkplat_py/__init__.py; do
	assert_file "$SP/$f"
done
assert_content "$SP/fkbasic/__init__.py" "VALUE = 42
"
assert_content "$SP/fkbasic/empty.txt" ""
assert_content "$SP/fkbasic_plat/__init__.py" "Q = 2
"
assert_mode "member with exec bit" "$SP/fkbasic/tool.sh" 755
assert_mode "member without exec bit" "$SP/fkbasic/cli.py" 644
assert_no_path "$SP/fkbasic-1.0.data" ".data directory installed"
assert_no_path "$SP/fkplat-2.0.data" ".data directory installed"
assert_content "$V/share/fkbasic/data.txt" "data file
"
assert_content "$V/include/site/python$PYVER/fkbasic/fkbasic.h" "#define FKBASIC 1
"

# ---- scripts -------------------------------------------------------------
shebang_ok()
{
	local first
	first=$(head -n 1 "$2")
	case $first in
	"#!$V/bin/python"|"#!$V/bin/python3"|"#!$V/bin/python$PYVER")
		ok "$1: shebang $first" ;;
	*)	fail "$1: shebang of $(basename "$2") is '$first', want #!$V/bin/python*" ;;
	esac
}
for s in s-lf s-crlf s-w; do
	shebang_ok "#!python rewritten ($s)" "$V/bin/$s"
	assert_mode "script $s" "$V/bin/$s" 755
done
if [ "$(tail -n +2 "$V/bin/s-crlf")" = "$(printf 'print("s-crlf")\r')" ]; then
	ok "CRLF script: body kept with its CRLF"
else
	fail "CRLF script: body changed: $(tail -n +2 "$V/bin/s-crlf" | od -c | head -3)"
fi
if head -n 1 "$V/bin/s-crlf" | grep -q $'\r'; then
	fail "CRLF script: the CR of the #!python line survived"
else
	ok "CRLF script: whole first line replaced"
fi
run "$V/bin/s-lf"
assert_rc "run #!python script" 0
assert_content "$T/out" "s-lf False
"
run "$V/bin/s-crlf"
assert_content "$T/out" "s-crlf
"
run "$V/bin/s-w"
assert_content "$T/out" "s-w
"
assert_content "$V/bin/s-sh" "#!/bin/sh
echo s-sh
"
assert_mode "non-python script made executable" "$V/bin/s-sh" 755
run "$V/bin/s-sh"
assert_content "$T/out" "s-sh
"
if [ "$(od -An -tx1 "$V/bin/s-bin" | tr -d ' \n')" = 7f454c46000102 ]; then
	ok "binary script copied byte for byte"
else
	fail "binary script changed: $(od -An -tx1 "$V/bin/s-bin")"
fi
assert_mode "binary script" "$V/bin/s-bin" 755

# ---- launchers ------------------------------------------------------------
for l in fk-cons fk-nested fk-gui; do
	assert_file "$V/bin/$l"
	assert_mode "launcher $l" "$V/bin/$l" 755
	shebang_ok "launcher $l" "$V/bin/$l"
done
run "$V/bin/fk-cons" a 'b c'
assert_rc "console launcher returns the entry point's value" 7
assert_content "$T/out" "cons ['a', 'b c']
"
run "$V/bin/fk-nested"
assert_rc "launcher for Class.attr entry point" 3
assert_content "$T/out" "nested
"
run "$V/bin/fk-gui"
assert_rc "gui launcher" 0
assert_content "$T/out" "gui ran
"
assert_cmp "gui launcher is byte-identical to the console one" \
    "$V/bin/fk-gui" "$V/bin/fk-same" \
    "gui launcher differs from the console launcher for the same entry point"
assert_no_grep "launcher replaces the setuptools wrapper" "setuptools wrapper" "$V/bin/fk-cons"
assert_no_path "$V/bin/fk-cons-script.py" "setuptools wrapper installed"
assert_no_path "$V/bin/fk-cons.exe" "setuptools wrapper installed"
# EP-script.pyw is not among the wrappers pip skips, so forklift installs it
# as shipped too (pip's script.wheel3 in the conformance suite); being a
# "#!pythonw" script, its first line is rewritten.
assert_file "$V/bin/fk-gui-script.pyw"
# the launcher strips a trailing .exe from argv[0]
ln -s "$V/bin/fk-argv0" "$T/fk-argv0.exe"
run "$T/fk-argv0.exe"
assert_rc "launcher run as fk-argv0.exe" 0
assert_content "$T/out" "fk-argv0
"

# ---- dist-info ---------------------------------------------------------------
DI=$SP/fkbasic-1.0.dist-info
assert_content "$DI/INSTALLER" "forklift
"
assert_content "$DI/REQUESTED" ""
assert_content "$SP/fkplat-2.0.dist-info/INSTALLER" "forklift
"
assert_file "$SP/fkplat-2.0.dist-info/REQUESTED"
assert_file "$DI/licenses/LICENSE.txt"
assert_file "$DI/entry_points.txt"
check_direct_url()
{
	local got want
	want=$(printf '{"url": "file://%s", "archive_info": {"hashes": {"sha256": "%s"}}}' \
	    "$2" "$(sha256sum "$2" | cut -d ' ' -f 1)")
	got=$("$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps({"url": d["url"], "archive_info": {"hashes": d["archive_info"]["hashes"]}}))' "$1/direct_url.json" 2>&1)
	assert_eq "direct_url.json of $(basename "$2")" "$got" "$want"
}
check_direct_url "$DI" "$BASIC"
check_direct_url "$SP/fkplat-2.0.dist-info" "$PLAT"
assert_records "pure + platlib" "$V" "$T/fresh.snap"
assert_grep "RECORD lists launchers relative to site-packages" \
    "../../../bin/fk-cons,sha256=" "$DI/RECORD"
assert_grep "RECORD lists headers" "../../../include/site/python$PYVER/fkbasic/fkbasic.h," "$DI/RECORD"
assert_grep "RECORD lists INSTALLER" "fkbasic-1.0.dist-info/INSTALLER,sha256=" "$DI/RECORD"
assert_grep "RECORD lists direct_url.json" "fkbasic-1.0.dist-info/direct_url.json,sha256=" "$DI/RECORD"
assert_grep "RECORD lists its own row" "fkbasic-1.0.dist-info/RECORD,," "$DI/RECORD"
assert_no_grep "RECORD has no .data paths" ".data/" "$DI/RECORD"
assert_no_staging "install" "$V"
assert_eq "nothing written beside the venv" "$(ls -A "$T/root")" "v"
run "$V/bin/python" -c 'import fkbasic, fkbasic_pure, fkbasic_plat, fkplat, fkplat_py; print(fkbasic.VALUE)'
assert_rc "installed packages import" 0

# ---- list ----------------------------------------------------------------------
fk list -p "$V" --format freeze
assert_rc "list --format freeze" 0
assert_grep "freeze lists fkbasic" "fkbasic==1.0" "$T/out"
assert_grep "freeze lists fkplat" "fkplat==2.0" "$T/out"
fk list -p "$V"
assert_rc "list" 0
if grep -E -q '^fkbasic[[:space:]]+1\.0([[:space:]]|$)' "$T/out" &&
    grep -E -q '^fkplat[[:space:]]+2\.0([[:space:]]|$)' "$T/out"; then
	ok "list columns show name and version"
else
	fail "list columns"
	show stdout "$T/out"
fi

# ---- a relative wheel path is recorded as an absolute file:// URL ------------
V2=$T/root/rel
mkvenv "$V2"
(cd "$T/w" && "$FORKLIFT" install -p "$V2" --no-progress "./$(basename "$PLAT")") >"$T/out" 2>"$T/err"
RC=$?
assert_rc "install by relative path" 0
check_direct_url "$(site_packages "$V2")/fkplat-2.0.dist-info" "$PLAT"
rm -rf "$V2"

# ---- --target and --prefix ------------------------------------------------------
mkdir -p "$T/tgt" "$T/pfx"
fk install -p "$V" --target "$T/tgt" --no-progress "$BASIC"
assert_rc "install --target" 0
assert_file "$T/tgt/fkbasic/__init__.py"
assert_file "$T/tgt/fkbasic-1.0.dist-info/RECORD"
assert_file "$T/tgt/bin/fk-cons"
fk install -p "$V" --prefix "$T/pfx" --no-progress "$BASIC"
assert_rc "install --prefix" 0
assert_file "$T/pfx/lib/python$PYVER/site-packages/fkbasic/__init__.py"
assert_file "$T/pfx/bin/fk-cons"
PYTHONPATH=$T/pfx/lib/python$PYVER/site-packages run "$T/pfx/bin/fk-cons"
assert_rc "--prefix launcher runs" 7
fk install -p "$V" --target "$T/tgt-new" --no-progress "$PLAT"
assert_rc "--target creates a missing directory (as pip does)" 0
assert_file "$T/tgt-new/fkplat/__init__.py"

# ---- shebangs: a path with white space or longer than 127 bytes ---------------
# gets the portable /bin/sh form; launchers and #!python scripts still run.
LONGDIR=$T/long-$(printf '%0130d' 0)
for d in "$T/with space" "$LONGDIR"; do
	mkdir -p "$d"
	mkvenv "$d/v"
	fk_install "$d/v" "$BASIC"
	assert_rc "install into '$d/v'" 0
	assert_eq "sh-form shebang in $(basename "$d")" "$(head -n 1 "$d/v/bin/fk-cons")" "#!/bin/sh"
	assert_eq "sh-form shebang of a #!python script in $(basename "$d")" \
	    "$(head -n 1 "$d/v/bin/s-lf")" "#!/bin/sh"
	run "$d/v/bin/fk-cons" x
	assert_rc "launcher in '$d/v'" 7
	assert_content "$T/out" "cons ['x']
"
	run "$d/v/bin/s-lf"
	assert_content "$T/out" "s-lf False
"
	rm -rf "$d"
done

# ---- modes follow the umask: 0666/0777 & ~umask, cold or warm cache --------------
for how in --no-cache warm; do
	rm -rf "$T/um"
	mkdir -p "$T/um"
	mkvenv "$T/um/v"
	umask 077
	if [ "$how" = warm ]; then
		fk_install "$T/um/v" "$BASIC"
	else
		fk_install "$T/um/v" --no-cache "$BASIC"
	fi
	umask 022
	assert_rc "install under umask 077 ($how)" 0
	USP=$(site_packages "$T/um/v")
	assert_mode "umask 077 ($how), plain member" "$USP/fkbasic/cli.py" 600
	assert_mode "umask 077 ($how), member with exec bit" "$USP/fkbasic/tool.sh" 700
	assert_mode "umask 077 ($how), script" "$T/um/v/bin/s-sh" 700
	assert_mode "umask 077 ($how), launcher" "$T/um/v/bin/fk-cons" 700
	assert_mode "umask 077 ($how), METADATA" "$USP/fkbasic-1.0.dist-info/METADATA" 600
done
rm -rf "$T/um"

# ---- usage errors exit 2 ----------------------------------------------------------
fk install -p "$V"
assert_rc "install without wheels" 2
fk install -p "$V" --no-such-option "$BASIC"
assert_rc "unknown option" 2
fk install -p "$V" -j 0 "$BASIC"
assert_rc "-j 0" 2
fk install -p "$V" --max-unpacked-size lots "$BASIC"
assert_rc "malformed --max-unpacked-size" 2

# ---- -j 1 and -j 4 give the same tree, byte for byte ---------------------------
mapfile -t C < <("$PY" "$MKWHEEL" -o "$T/corpus" --corpus)
J=$T/root/j
for j in 1 4; do
	rm -rf "$J"
	mkvenv "$J"
	fk_install "$J" -j "$j" "$BASIC" "$PLAT" "${C[@]}"
	assert_rc "install ${#C[@]} + 2 wheels with -j $j" 0
	snap "$J" >"$T/j$j.snap"
	assert_no_staging "-j $j" "$J"
done
assert_cmp "-j 1 and -j 4 trees are identical" "$T/j1.snap" "$T/j4.snap" \
    "-j 1 and -j 4 trees differ"
assert_records "-j 4 corpus" "$J" "$T/fresh.snap"

finish
