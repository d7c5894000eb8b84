#!/bin/bash
# pip_diff.sh: the differential test.  The same generated corpus is
# installed with forklift into one venv and with pip into another; both
# must hold the same files with the same bytes and permission bits, and
# the same RECORD paths.  Launchers (and the shebang of #!python scripts)
# differ by design: they are run, and must behave the same.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

pip_usable || skip "no pip >= 22.3 (for --python) in $PY or in a venv made by $PY"

mapfile -t C < <("$PY" "$MKWHEEL" -o "$T/corpus" --corpus)
# A few more, made here: a big tree, scripts and launchers, and headers of
# a distribution whose name is not normalized (pip puts them under the
# file name's project name, '_' read as '-').
mapfile -t M < <(mkw '{
  "name": "pd_many", "version": "1.0",
  "files": {'"$(for i in $(seq 1 200); do printf '"pd_many/m%03d.py": "N = %d\\n", ' "$i" "$i"; done)"'
            "pd_many/__init__.py": ""}
}' '{
  "name": "pd-scripts", "version": "0.1",
  "files": {"pd_scripts/__init__.py": "import sys\ndef main():\n    print(\"argv\", sys.argv[1:])\n    return len(sys.argv) - 1\n"},
  "entry_points": {"console_scripts": {"pd-main": "pd_scripts:main"}, "gui_scripts": {"pd-gui": "pd_scripts:main"}},
  "data": {"scripts": {"pd-rewrite": "#!python\nimport sys\nprint(\"rewritten\", sys.argv[1:])\n",
                        "pd-plain": {"text": "#!/bin/sh\necho plain \"$@\"\n", "mode": "700"}}}
}' '{
  "name": "Pd.Headers_Name", "version": "1.0",
  "files": {"pd_headers/__init__.py": ""},
  "data": {"headers": {"pd.h": "#define PD 1\n", "sub/pd2.h": "#define PD2 1\n"}}
}')
ALL=("${C[@]}" "${M[@]}")

mkdir -p "$T/fk" "$T/pip"
mkvenv "$T/fk/venv"
mkvenv "$T/pip/venv"
fk_install "$T/fk/venv" "${ALL[@]}"
assert_rc "forklift installs ${#ALL[@]} wheels" 0
pip_install "$T/pip/venv" "${ALL[@]}"
assert_rc "pip installs ${#ALL[@]} wheels" 0
assert_tree_same "${#ALL[@]} generated wheels" "$T/fk/venv" "$T/pip/venv"
assert_no_staging "pip_diff" "$T/fk/venv"

finish
