#!/bin/sh
# tags_oracle.sh: forklift's supported-tag list equals packaging's.  For
# every CPython 3.6-3.13 under /root/.pyenv/versions and python3 on PATH,
# $TAGDUMP PY (the tags forklift computes from the interpreter's facts) is
# compared line by line with packaging.tags.sys_tags() run in PY.
#
# packaging comes from PY's pip (pip._vendor.packaging), else from an
# installed packaging; a packaging without PEP 600 (_manylinux) does not
# count (Python 3.6's pip is too old to have tags at all).  Debian's
# /usr/share/python-wheels/pip-*.whl gives one more copy of packaging, so
# a python3 without pip is compared too.  Then PY is
# also compared with the newest copy of another interpreter's vendored
# packaging that runs in PY and is newer than its own, if any.  forklift follows current packaging, which
# lists cpXY-none-any; packaging before 22 does not, so that one line is
# left out of the comparison with such a version, and the test says so.
#
# Exit 0 when every comparison matched, 1 on a mismatch (with a diff),
# 77 when no interpreter could be compared.

set -u

: "${TAGDUMP:?TAGDUMP must name the tagdump test program}"
if [ ! -x "$TAGDUMP" ]; then
	echo "tags_oracle: $TAGDUMP is not executable" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/forklift-tags.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# Prints packaging's version on the first line ("# 24.1"), then the tags.
# argv: module name ("pip._vendor.packaging" or "packaging"), a directory
# to put first on sys.path or "".
cat >"$tmp/oracle.py" <<'EOF'
import importlib, sys
mod, path = sys.argv[1], sys.argv[2]
if path:
    sys.path.insert(0, path)
pkg = importlib.import_module(mod)
tags = importlib.import_module(mod + ".tags")
importlib.import_module(mod + "._manylinux")
print("# " + pkg.__version__)
for t in tags.sys_tags():
    print(t)
EOF

# The interpreters: one line each, "real-executable version".
found=$tmp/found
: >"$found"
for py in /root/.pyenv/versions/*/bin/python $(command -v python3 2>/dev/null); do
	[ -x "$py" ] || continue
	"$py" -I -c 'import os, sys
v = sys.version_info
if sys.implementation.name == "cpython" and v[0] == 3 and 6 <= v[1] <= 13:
    print(os.path.realpath(sys.executable), "%d.%d.%d" % v[:3])' \
	    >>"$found" 2>/dev/null
done
sort -u -k1,1 "$found" | sort -V -k2,2 >"$tmp/pys"

# Every pip-vendored packaging on this machine, copied so that any
# interpreter can import it as "packaging"; newest first in $tmp/copies.
: >"$tmp/copies.in"
while read -r py ver; do
	line=$("$py" -I -c 'import os, pip._vendor.packaging as p
print(p.__version__, os.path.dirname(p.__file__))' 2>/dev/null) || continue
	pver=${line%% *}
	if [ ! -d "$tmp/pkg-$pver" ]; then
		mkdir -p "$tmp/pkg-$pver"
		cp -R "${line#* }" "$tmp/pkg-$pver/packaging"
		echo "$pver $tmp/pkg-$pver" >>"$tmp/copies.in"
	fi
done <"$tmp/pys"
# Debian's python3-pip-whl (one of forklift's build packages) brings pip's
# wheel for ensurepip, and with it a vendored packaging, even where no
# interpreter has pip installed.
cat >"$tmp/fromwhl.py" <<'EOF'
import os, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
pre = "pip/_vendor/packaging/"
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.startswith(pre) and n.endswith(".py"):
            dest = os.path.join(out, "packaging", n[len(pre):])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(z.read(n))
sys.path.insert(0, out)
import packaging
print(packaging.__version__)
EOF
py=$(head -n 1 "$tmp/pys" | cut -d' ' -f1)
for whl in /usr/share/python-wheels/pip-*.whl; do
	[ -f "$whl" ] && [ -n "$py" ] || continue
	rm -rf "$tmp/whl"
	pver=$("$py" -I "$tmp/fromwhl.py" "$whl" "$tmp/whl" 2>/dev/null) || continue
	if [ -n "$pver" ] && [ ! -d "$tmp/pkg-$pver" ]; then
		mv "$tmp/whl" "$tmp/pkg-$pver"
		echo "$pver $tmp/pkg-$pver" >>"$tmp/copies.in"
	fi
done
rm -rf "$tmp/whl"
sort -r -V -k1,1 "$tmp/copies.in" >"$tmp/copies"

compared=0
failed=0

# compare PY VER EXPECTED-FILE SOURCE-NAME
compare()
{
	py=$1 ver=$2 want=$3 src=$4
	pkgver=$(sed -n '1s/^# //p' "$want")
	sed 1d "$want" >"$tmp/want"
	"$TAGDUMP" "$py" </dev/null >"$tmp/got" 2>"$tmp/err" || {
		echo "FAIL: $ver: tagdump failed: $(cat "$tmp/err")"
		failed=$((failed + 1))
		return
	}
	nodot=$(echo "$ver" | sed 's/^\([0-9]*\)\.\([0-9]*\).*/\1\2/')
	note=
	if ! grep -qx "cp$nodot-none-any" "$tmp/want"; then
		grep -vx "cp$nodot-none-any" "$tmp/got" >"$tmp/got2"
		mv "$tmp/got2" "$tmp/got"
		note=" (packaging $pkgver has no cp$nodot-none-any; left out)"
	fi
	compared=$((compared + 1))
	if cmp -s "$tmp/want" "$tmp/got"; then
		echo "ok: $ver ($py): $(wc -l <"$tmp/got" | tr -d ' ') tags" \
		    "match packaging $pkgver from $src$note"
	else
		echo "FAIL: $ver ($py): tags differ from packaging $pkgver" \
		    "from $src$note"
		diff -u "$tmp/want" "$tmp/got" | head -n 60
		failed=$((failed + 1))
	fi
}

while read -r py ver; do
	own=
	ownver=
	for src in pip._vendor.packaging packaging; do
		if "$py" -I "$tmp/oracle.py" "$src" "" </dev/null \
		    >"$tmp/own" 2>/dev/null; then
			own=$src
			ownver=$(sed -n '1s/^# //p' "$tmp/own")
			compare "$py" "$ver" "$tmp/own" "$own"
			break
		fi
	done
	extra=
	while read -r cver cdir; do
		# only copies newer than PY's own packaging
		[ -n "$ownver" ] && [ "$(printf '%s\n%s\n' "$cver" "$ownver" |
		    sort -V | tail -n 1)" = "$ownver" ] && break
		if "$py" -I "$tmp/oracle.py" packaging "$cdir" </dev/null \
		    >"$tmp/new" 2>/dev/null; then
			extra=$cver
			compare "$py" "$ver" "$tmp/new" "a copy of pip's ($cdir)"
			break
		fi
	done <"$tmp/copies"
	if [ -z "$own" ] && [ -z "$extra" ]; then
		echo "skip: $ver ($py): no packaging with PEP 600 tags runs here"
	fi
done <"$tmp/pys"

echo "tags_oracle: $compared compared, $failed failed"
[ "$failed" -eq 0 ] || exit 1
[ "$compared" -gt 0 ] || exit 77
exit 0
