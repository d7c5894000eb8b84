#!/bin/bash
# dist_info_own.sh: the dist-info files forklift writes itself (INSTALLER,
# REQUESTED, direct_url.json, RECORD) are forklift's even when the wheel
# ships files of those names, without a cache and from one (cold and
# warm); no temporary file is left beside them; launchers are written.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

mkw1 OWN '{
  "name": "fkown", "version": "1.0",
  "files": {"fkown/__init__.py": "def main():\n    return 0\n"},
  "entry_points": {"console_scripts": {"fk-own": "fkown:main"}},
  "distinfo_files": {"INSTALLER": "shipped\n", "REQUESTED": "shipped\n",
                     "direct_url.json": "{\"url\": \"shipped\"}\n"}
}'
mkw1 PLAIN '{"name": "fkplain", "version": "1.0",
  "files": {"fkplain/__init__.py": "X = 1\n"}}'

check()
{
	local v=$1 how=$2 sp di
	sp=$(site_packages "$v")
	for di in "$sp/fkown-1.0.dist-info" "$sp/fkplain-1.0.dist-info"; do
		assert_content "$di/INSTALLER" "forklift
"
		assert_content "$di/REQUESTED" ""
		assert_grep "$how: direct_url.json names the wheel" \
		    '"url": "file://' "$di/direct_url.json"
		assert_no_grep "$how: the wheel's direct_url.json is not installed" \
		    shipped "$di/direct_url.json"
		assert_eq "$how: RECORD lists each generated file once" \
		    "$(grep -cE '/(INSTALLER|REQUESTED|direct_url\.json|RECORD),' "$di/RECORD")" 4
		assert_eq "$how: no temporary file in $(basename "$di")" \
		    "$(ls -A "$di" | grep -c forklift-new)" 0
	done
	assert_file "$v/bin/fk-own"
	assert_eq "$how: no temporary file in bin" \
	    "$(ls -A "$v/bin" | grep -c forklift-new)" 0
}

mkvenv "$T/nc"
fk_install "$T/nc" --no-cache "$OWN" "$PLAIN"
assert_rc "install without a cache" 0
check "$T/nc" "no cache"

for round in cold warm; do
	mkvenv "$T/$round"
	fk_install "$T/$round" "$OWN" "$PLAIN"
	assert_rc "$round install from the cache" 0
	check "$T/$round" "$round"
done

finish
