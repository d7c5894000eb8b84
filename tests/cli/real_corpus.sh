#!/bin/bash
# real_corpus.sh: real wheels.  scripts/repack-site turns every
# distribution installed for python3 back into a wheel; forklift installs
# them all (-j 2) into one venv and pip into another.  Both must hold the
# same files, bytes and modes (as in pip_diff.sh, launchers compared by
# existence); a few launchers must behave the same, and every top-level
# module named in a top_level.txt that imports under pip's install must
# import under forklift's.  Prints wheels, files and seconds for each.
# Skipped when the site-packages give fewer than 20 wheels or pip is
# missing: the generated corpora (pip_diff.sh, cache.sh) cover the rest.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

REPACK=$SRCDIR/scripts/repack-site
[ -f "$REPACK" ] || skip "scripts/repack-site is not there"
pip_usable || skip "no pip >= 22.3 (for --python) in $PY or in a venv made by $PY"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
"$PY" "$REPACK" --python "$PY" "$T/rc" >"$T/repack.out" 2>&1 || {
	cat "$T/repack.out"
	fail "repack-site failed"
	finish
}
t1=$(now)
WHEELS=()
for w in "$T"/rc/*.whl; do
	[ -f "$w" ] && WHEELS+=("$w")
done
# A fresh Debian's python3 has (next to) nothing installed: too few real
# wheels say nothing that the generated corpora do not already say.
[ "${#WHEELS[@]}" -ge 20 ] ||
    skip "python3's site-packages gave ${#WHEELS[@]} wheels, fewer than 20"
echo "repacked ${#WHEELS[@]} wheels in $(secs "$t0" "$t1") s"

mkdir -p "$T/fk" "$T/pip"
mkvenv "$T/fk/venv"
mkvenv "$T/pip/venv"
FK=$T/fk/venv PIPV=$T/pip/venv

t0=$(now)
fk_install "$FK" -j 2 "${WHEELS[@]}"
t1=$(now)
assert_rc "forklift installs ${#WHEELS[@]} real wheels" 0
pip_install "$PIPV" "${WHEELS[@]}"
t2=$(now)
assert_rc "pip installs ${#WHEELS[@]} real wheels" 0
FILES=$(find "$FK" -type f | wc -l)
echo "wheels: ${#WHEELS[@]}, files: $FILES, forklift -j 2: $(secs "$t0" "$t1") s, pip: $(secs "$t1" "$t2") s"

t0=$(now)
TREE_DIFF_RUN=0 assert_tree_same "real corpus" "$FK" "$PIPV"
echo "compared the trees in $(secs "$t0" "$(now)") s"
assert_no_staging "real corpus" "$FK"

# ---- a few launchers ------------------------------------------------------------
t0=$(now)
norm() { sed -e "s|$FK|VENV|g" -e "s|$PIPV|VENV|g" "$1"; }
nl=0
for cmd in "pip --version" "pygmentize -V" "normalizer --version" "pyrsa-keygen --help"; do
	set -- $cmd
	[ -x "$FK/bin/$1" ] || continue
	nl=$((nl + 1))
	run "$FK/bin/$1" "${@:2}"
	rc_fk=$RC
	norm "$T/out" >"$T/out.fk"
	run "$PIPV/bin/$1" "${@:2}"
	norm "$T/out" >"$T/out.pip"
	if [ "$rc_fk" = "$RC" ] && cmp -s "$T/out.fk" "$T/out.pip"; then
		ok "launcher '$cmd' behaves as pip's"
	else
		fail "launcher '$cmd': forklift exit $rc_fk, pip exit $RC"
		show forklift "$T/out.fk" 5
		show pip "$T/out.pip" 5
	fi
done
echo "launchers run: $nl in $(secs "$t0" "$(now)") s"

# ---- imports -----------------------------------------------------------------------
SPF=$(site_packages "$FK")
cat "$SPF"/*.dist-info/top_level.txt 2>/dev/null | tr -d '\r' |
    grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | grep -v -x -E 'tests?|docs?|examples?|benchmarks?' |
    LC_ALL=C sort -u >"$T/modules"
IMPORT='
import importlib, io, os, sys, threading
out = os.dup(1)
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 1)
os.dup2(null, 2)
for m in open(sys.argv[1]).read().split():
    try:
        importlib.import_module(m)
        r = "ok"
    except BaseException as e:
        r = "fail " + type(e).__name__
    os.write(out, ("%s %s\n" % (m, r)).encode())
os._exit(0)
'
# Import everything under forklift's install; what fails there is tried
# under pip's (importing the whole corpus twice would double the time).
# Import order matters to a few (setuptools after _distutils_hack), so the
# failures are retried on their own under both installs.
t0=$(now)
run timeout 300 "$FK/bin/python" -c "$IMPORT" "$T/modules"
cp "$T/out" "$T/imp.fk"
grep -v ' ok$' "$T/imp.fk" | cut -d ' ' -f 1 >"$T/modules.failed"
run timeout 300 "$FK/bin/python" -c "$IMPORT" "$T/modules.failed"
cp "$T/out" "$T/imp.fk2"
run timeout 300 "$PIPV/bin/python" -c "$IMPORT" "$T/modules.failed"
cp "$T/out" "$T/imp.pip"
nm=$(wc -l <"$T/modules")
nok=$(grep -c ' ok$' "$T/imp.fk")
if [ "$(wc -l <"$T/imp.fk")" != "$nm" ]; then
	fail "the import run under forklift's install stopped early"
	show stderr "$T/err"
fi
bad=$(LC_ALL=C comm -12 <(grep ' ok$' "$T/imp.pip" | cut -d ' ' -f 1 | LC_ALL=C sort) \
    <(grep -v ' ok$' "$T/imp.fk2" | cut -d ' ' -f 1 | LC_ALL=C sort))
if [ -n "$bad" ]; then
	fail "modules that import under pip's install but not under forklift's: $(echo $bad)"
	grep -F -w -f <(echo "$bad") "$T/imp.fk2" | head -10 | sed 's/^/  | /'
else
	ok "imports"
fi
echo "top-level modules: $nm, importing: $nok (in $(secs "$t0" "$(now)") s), failing under both installs: $(grep -c -v ' ok$' "$T/imp.pip")"

finish
