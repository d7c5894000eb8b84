#!/bin/bash
# list.sh: forklift list.  Names as each project's METADATA spells them
# (not the dist-info directory's escaped form) in the columns, freeze and
# json formats; json gives name, version, installer (null without
# INSTALLER) and location; a METADATA that is missing, has no Name, or a
# Name of another project leaves the directory's name.  When pip is there
# (pip_usable), 'pip list --format=freeze' and 'pip list -v --format=json'
# must print the same for the same venv.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

V=$T/v
mkvenv "$V"
SP=$(site_packages "$V")
mapfile -t W < <(mkw \
    '{"name": "annotated-types", "version": "0.6.0", "distinfo": "annotated_types-0.6.0.dist-info"}' \
    '{"name": "Flask", "version": "3.0.0", "distinfo": "flask-3.0.0.dist-info"}' \
    '{"name": "zope.interface", "version": "6.1", "distinfo": "zope.interface-6.1.dist-info"}' \
    '{"name": "Jinja2", "version": "3.1.2", "metadata_text": "Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\n\nName: NotThis\n"}')
fk_install "$V" "${W[@]}"
assert_rc "install four wheels" 0

fk list -p "$V"
assert_rc "list" 0
assert_content "$T/out" "Name            Version
--------------- -------
annotated-types 0.6.0
Flask           3.0.0
Jinja2          3.1.2
zope.interface  6.1
"
fk list -p "$V" --format=freeze
assert_rc "list --format=freeze" 0
assert_content "$T/out" "annotated-types==0.6.0
Flask==3.0.0
Jinja2==3.1.2
zope.interface==6.1
"
fk list -p "$V" --format json
assert_rc "list --format json" 0
cp "$T/out" "$T/list.json"
assert_eq "json: name, version, installer, location" "$("$PY" - "$T/list.json" "$SP" <<'PYEOF'
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list)
for o in a:
    assert sorted(o) == ["installer", "location", "name", "version"], o
    assert o["location"] == sys.argv[2], o
print(" ".join("%s/%s/%s" % (o["name"], o["version"], o["installer"]) for o in a))
PYEOF
)" "annotated-types/0.6.0/forklift Flask/3.0.0/forklift Jinja2/3.1.2/forklift zope.interface/6.1/forklift"

# pip prints the same for the same environment.
if pip_usable; then
	run "$PIP_PY" -m pip --python "$V/bin/python" list --format=freeze
	assert_rc "pip list --format=freeze" 0
	"$FORKLIFT" list -p "$V" --format=freeze >"$T/fk.freeze" 2>&1
	assert_cmp "freeze: same as pip" "$T/out" "$T/fk.freeze" \
	    "freeze: differs from pip's"
	run "$PIP_PY" -m pip --python "$V/bin/python" list -v --format=json
	assert_rc "pip list -v --format=json" 0
	assert_eq "json: same objects as pip's" "$("$PY" -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print("same" if a == b else "pip %r forklift %r" % (a, b))' "$T/out" "$T/list.json")" same
else
	echo "comparison with pip left out (no pip >= 22.3)"
fi

# Damaged or missing metadata: the directory's name, never a stray one.
rm "$SP/annotated_types-0.6.0.dist-info/METADATA" "$SP/flask-3.0.0.dist-info/INSTALLER"
printf 'Metadata-Version: 2.1\nName: other-project\nVersion: 3.1.2\n' \
    >"$SP/Jinja2-3.1.2.dist-info/METADATA"
printf 'Metadata-Version: 2.1\nName: zope\n interface\nVersion: 6.1\n' \
    >"$SP/zope.interface-6.1.dist-info/METADATA"
fk list -p "$V" --format=freeze
assert_rc "list with damaged metadata" 0
assert_content "$T/out" "annotated_types==0.6.0
Flask==3.0.0
Jinja2==3.1.2
zope.interface==6.1
"
fk list -p "$V" --format=json
assert_eq "json: installer null without INSTALLER" "$("$PY" -c '
import json, sys
print([o["installer"] for o in json.load(open(sys.argv[1]))])' "$T/out")" \
    "['forklift', None, 'forklift', 'forklift']"

# An empty environment: an empty array, nothing in the other formats.
mkvenv "$T/e"
fk list -p "$T/e" --format=json
assert_rc "json, empty venv" 0
assert_content "$T/out" "[]
"
fk list -p "$T/e"
assert_content "$T/out" ""

fk list -p "$V" --format=yaml
assert_rc "--format=yaml" 2
assert_grep "--format=yaml: names the choices" "'yaml' is not columns, freeze or json" "$T/err"

finish
