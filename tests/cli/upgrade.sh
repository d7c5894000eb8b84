#!/bin/bash
# upgrade.sh: replacing an installed distribution.  1.0 -> 2.0 removes
# what only 1.0 had; the same version again is a no-op that says
# "already installed"; --reinstall installs it again; a downgrade works;
# names compare normalized; two versions of one distribution in one
# invocation are refused; --dry-run changes nothing.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

root_venv
snap "$V" >"$T/fresh.snap"

mapfile -t W < <(mkw '{
  "name": "up_pkg", "version": "1.0",
  "files": {"up_pkg/__init__.py": "VERSION = \"1.0\"\n",
            "up_pkg/old.py": "OLD = 1\n",
            "up_pkg/common.py": "def main():\n    print(\"common\")\n    return 0\n"},
  "data": {"scripts": {"up-old-script": "#!python\nprint(\"old\")\n"},
           "data": {"share/up_pkg/v1.txt": "v1\n"}},
  "entry_points": {"console_scripts": {"up-old": "up_pkg.common:main", "up-common": "up_pkg.common:main"}}
}' '{
  "name": "up_pkg", "version": "2.0",
  "files": {"up_pkg/__init__.py": "VERSION = \"2.0\"\n",
            "up_pkg/new.py": "NEW = 1\n",
            "up_pkg/common.py": "def main():\n    print(\"common 2\")\n    return 0\n"},
  "data": {"data": {"share/up_pkg/v2.txt": "v2\n"}},
  "entry_points": {"console_scripts": {"up-new": "up_pkg.common:main", "up-common": "up_pkg.common:main"}}
}' '{
  "name": "UP.Pkg", "version": "3.0",
  "files": {"up_pkg/__init__.py": "VERSION = \"3.0\"\n"}
}' '{
  "name": "other", "version": "1.0"
}')
W1=${W[0]} W2=${W[1]} W3=${W[2]} OTHER=${W[3]}

fk_install "$V" "$W1" "$OTHER"
assert_rc "install 1.0" 0
assert_file "$SP/up_pkg/old.py"
assert_file "$V/bin/up-old"
assert_file "$V/bin/up-old-script"
assert_file "$V/share/up_pkg/v1.txt"
assert_file "$SP/up_pkg-1.0.dist-info/RECORD"

# ---- 1.0 -> 2.0 ------------------------------------------------------------
fk_install "$V" "$W2"
assert_rc "upgrade to 2.0" 0
assert_content "$SP/up_pkg/__init__.py" 'VERSION = "2.0"
'
assert_file "$SP/up_pkg/new.py"
assert_no_path "$SP/up_pkg/old.py" "file only in 1.0 left behind"
assert_no_path "$V/bin/up-old" "launcher only in 1.0 left behind"
assert_no_path "$V/bin/up-old-script" "script only in 1.0 left behind"
assert_no_path "$V/share/up_pkg/v1.txt" "data file only in 1.0 left behind"
assert_no_path "$SP/up_pkg-1.0.dist-info" "old dist-info left behind"
assert_file "$SP/up_pkg-2.0.dist-info/RECORD"
assert_file "$SP/other-1.0.dist-info/RECORD"
run "$V/bin/up-common"
assert_content "$T/out" "common 2
"
assert_records "after upgrade" "$V" "$T/fresh.snap"
assert_no_staging "upgrade" "$V"

# ---- same version again: no-op -----------------------------------------------
snap "$V" >"$T/v2.snap"
fk_install "$V" "$W2"
assert_rc "same version again" 0
assert_grep "same version says so" "already installed" "$T/err"
assert_snap_same "same version again" "$T/v2.snap" "$V"

# ---- --reinstall ------------------------------------------------------------
rm "$SP/up_pkg/new.py"
echo damaged >"$SP/up_pkg/common.py"
fk_install "$V" --reinstall "$W2"
assert_rc "--reinstall" 0
assert_snap_same "--reinstall restores the files" "$T/v2.snap" "$V"

# ---- --dry-run changes nothing ----------------------------------------------
fk_install "$V" --dry-run "$W1"
assert_rc "--dry-run downgrade" 0
assert_snap_same "--dry-run downgrade" "$T/v2.snap" "$V"
fk_install "$V" --dry-run --reinstall "$W2"
assert_rc "--dry-run --reinstall" 0
assert_snap_same "--dry-run --reinstall" "$T/v2.snap" "$V"

# ---- two versions of one distribution in one invocation -----------------------
fk_install "$V" "$W1" "$W3"
assert_rc "two versions of one distribution" 1
n=$(grep -c '^forklift: error: ' "$T/err")
assert_eq "two versions: one error line" "$n" 1
if grep -q -e "$(basename "$W1")" -e "$(basename "$W3")" "$T/err"; then
	ok "two versions: the error names a wheel"
else
	fail "two versions: the error names neither wheel"
	show stderr "$T/err"
fi
assert_snap_same "two versions" "$T/v2.snap" "$V"
assert_no_staging "two versions" "$V"

# ---- downgrade ------------------------------------------------------------------
fk_install "$V" "$W1"
assert_rc "downgrade to 1.0" 0
assert_no_path "$SP/up_pkg/new.py" "file only in 2.0 left behind"
assert_no_path "$V/bin/up-new" "launcher only in 2.0 left behind"
assert_no_path "$SP/up_pkg-2.0.dist-info" "2.0 dist-info left behind"
assert_file "$SP/up_pkg/old.py"
assert_file "$V/bin/up-old"
assert_records "after downgrade" "$V" "$T/fresh.snap"

# ---- a differently spelled name replaces it ---------------------------------------
fk_install "$V" "$W3"
assert_rc "upgrade to 'UP.Pkg' 3.0" 0
assert_no_path "$SP/up_pkg-1.0.dist-info" "'up_pkg' 1.0 not replaced by 'UP.Pkg' 3.0"
assert_file "$SP/UP_Pkg-3.0.dist-info/RECORD"
assert_no_path "$SP/up_pkg/old.py" "file of 1.0 left behind"
assert_no_path "$V/bin/up-common" "launcher of 1.0 left behind"
assert_content "$SP/up_pkg/__init__.py" 'VERSION = "3.0"
'
assert_records "after renamed upgrade" "$V" "$T/fresh.snap"
fk list -p "$V" --format freeze
assert_grep "list shows 3.0" "==3.0" "$T/out"
n=$(grep -ci '^up.pkg==' "$T/out")
assert_eq "one up_pkg in list" "$n" 1
assert_no_staging "end" "$V"

finish
