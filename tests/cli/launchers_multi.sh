#!/bin/bash
# launchers_multi.sh: launchers and #!python scripts work with every
# CPython 3.6 to 3.13 found under $PYENV_ROOT/versions (default
# /root/.pyenv): a venv per interpreter, one wheel with console and GUI
# entry points and #!python scripts, each run.  Skips when none is found.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

PYS=()
for p in "${PYENV_ROOT:-/root/.pyenv}"/versions/3.*/bin/python; do
	[ -x "$p" ] || continue
	v=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
	case $v in
	3.6|3.7|3.8|3.9|3.10|3.11|3.12|3.13) PYS+=("$p") ;;
	esac
done
[ ${#PYS[@]} -gt 0 ] || skip "no CPython 3.6-3.13 under ${PYENV_ROOT:-/root/.pyenv}/versions"

mapfile -t W < <(mkw '{
  "name": "lm_pkg", "version": "1.0",
  "metadata": {"Requires-Python": ">=3.6"},
  "files": {"lm_pkg/__init__.py": "import sys\n\ndef main():\n    print(\"main %d.%d\" % sys.version_info[:2], sys.argv[1:])\n    return 5\n\ndef gui():\n    print(\"gui\", sys.prefix != sys.base_prefix)\n    return 0\n"},
  "entry_points": {"console_scripts": {"lm-main": "lm_pkg:main"}, "gui_scripts": {"lm-gui": "lm_pkg:gui"}},
  "data": {"scripts": {"lm-script": "#!python\nimport sys\nprint(\"script %d.%d\" % sys.version_info[:2])\n",
                        "lm-script-crlf": "#!python\r\nimport sys\r\nprint(\"crlf %d.%d\" % sys.version_info[:2])\r\n"}}
}')

for p in "${PYS[@]}"; do
	v=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	V=$T/v$v
	mkvenv "$V" "$p"
	fk_install "$V" "${W[0]}"
	assert_rc "python $v: install" 0
	[ "$RC" = 0 ] || continue
	assert_file "$V/lib/python$v/site-packages/lm_pkg/__init__.py"
	run "$V/bin/lm-main" x
	assert_rc "python $v: console launcher" 5
	assert_content "$T/out" "main $v ['x']
"
	run "$V/bin/lm-gui"
	assert_rc "python $v: gui launcher" 0
	assert_content "$T/out" "gui True
"
	run "$V/bin/lm-script"
	assert_content "$T/out" "script $v
"
	run "$V/bin/lm-script-crlf"
	assert_content "$T/out" "crlf $v
"
	assert_no_staging "python $v" "$V"
	rm -rf "$V"
done
echo "interpreters: ${#PYS[@]}"

finish
