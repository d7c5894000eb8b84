#!/bin/bash
# cache.sh: the cache of unpacked wheels, end to end.
#   1. A warm install (every wheel from the cache) and an install that
#      fills the cache equal a --no-cache install byte for byte and mode for
#      mode, for the generated corpus, for mkwheel's synthetic corpus and,
#      as an extra when it gives at least 20 wheels, for the real corpus
#      (python3's site-packages repacked by scripts/repack-site);
#      generated files (RECORD, launchers, rewritten scripts, INSTALLER,
#      direct_url.json) are never linked to the cache.
#   2. Four processes install the same wheels into four venvs with one empty
#      cache at the same time: all succeed, the cache ends with exactly one
#      valid entry per wheel and no temporary leftovers.
#   3. Cache and venv on different file systems (the cache under $T, the
#      venv on tmpfs): auto copies and says so once with -v; an explicit
#      --link-mode that cannot work there is an error.
#   4. A file changed through a hard link in a venv (appended to, rewritten
#      in place, chmod-ed): the next warm install warns, rebuilds the entry
#      and installs the wheel's own bytes and modes.
#   5. A refused wheel gives the same error with and without the cache, and
#      leaves no entry or temporary directory behind.
#   6. forklift cache dir, info, clean, prune.
#   7. --no-cache neither reads nor writes the cache of unpacked wheels (a
#      cache directory that cannot be made is a warning, not an error).
#   8. A #!python script from one cache entry gets each venv's shebang.
# CACHE_REAL=0 leaves out the real corpus (the slowest part).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

CACHE=$FORKLIFT_CACHE_DIR
SHM=
if [ -d /dev/shm ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
    [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$T")" ]; then
	SHM=$(mktemp -d /dev/shm/forklift-cache.XXXXXX) || SHM=
fi
trap '[ -n "$SHM" ] && rm -rf "$SHM"; cleanup' EXIT

# ---- helpers ---------------------------------------------------------------

# fresh DIR: a new venv at DIR (replacing whatever is there).
fresh()
{
	rm -rf "$1"
	mkvenv "$1"
}

# nlink FILE
nlink() { stat -c %h "$1"; }

# entry_of DISTINFO: the entry of $CACHE whose manifest names DISTINFO.
entry_of()
{
	local m
	m=$(grep -l -F "$(printf 'distinfo\t%s' "$1")" "$CACHE"/v1/wheels/*/MANIFEST 2>/dev/null)
	[ -n "$m" ] && dirname "$m"
}

# from_cache_note: the "-v" summary's "K of N wheels from the cache[ by M]".
from_cache_note()
{
	sed -n 's/.*; \([0-9]* of [0-9]* wheels from the cache[a-z ]*\)$/\1/p' "$T/err"
}

# cache_check DESC CACHE WHEEL...: CACHE holds exactly one entry per WHEEL
# (by the sha256 its manifest records), every entry's files match its
# manifest (size, sha256, mode, mtime), and v1/tmp is empty.
cache_check()
{
	local desc=$1
	shift
	if "$PY" - "$@" >"$T/cc.out" 2>&1 <<'EOF'; then
import base64, hashlib, os, sys
cache, wheels = sys.argv[1], sys.argv[2:]
problems = []
want = {}
for w in wheels:
    want[hashlib.sha256(open(w, "rb").read()).hexdigest()] = os.path.basename(w)
root = os.path.join(cache, "v1", "wheels")
keys = sorted(os.listdir(root)) if os.path.isdir(root) else []
seen = {}
for k in keys:
    e = os.path.join(root, k)
    try:
        lines = open(os.path.join(e, "MANIFEST"), encoding="utf-8").read().split("\n")
    except OSError as x:
        problems.append("%s: no manifest (%s)" % (k, x.strerror))
        continue
    if lines[0] != "forklift-cache-manifest 2" or "end" not in lines:
        problems.append("%s: manifest is damaged" % k)
        continue
    head, rows = {}, []
    for line in lines[1:lines.index("end")]:
        f = line.split("\t")
        if len(f) == 2:
            head[f[0]] = f[1]
        else:
            rows.append(f)
    if int(head.get("files", -1)) != len(rows):
        problems.append("%s: manifest says %s files, lists %d" % (k, head.get("files"), len(rows)))
    sha = head.get("wheel-sha256")
    if sha in seen:
        problems.append("%s: a second entry for %s (also %s)" % (k, want.get(sha, sha), seen[sha]))
    seen[sha] = k
    if sha not in want:
        problems.append("%s: an entry for no wheel given (%s)" % (k, sha))
    for d, size, mode, mtime, rw, path in rows:
        p = os.path.join(e, "tree", path)
        try:
            st = os.lstat(p)
            data = open(p, "rb").read()
        except OSError as x:
            problems.append("%s: %s: %s" % (k, path, x.strerror))
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if digest != d or len(data) != int(size):
            problems.append("%s: %s: bytes differ from the manifest" % (k, path))
        if st.st_mode & 0o7777 != int(mode, 8):
            problems.append("%s: %s: mode %o, manifest %s" % (k, path, st.st_mode & 0o7777, mode))
        if st.st_mtime_ns != int(mtime):
            problems.append("%s: %s: mtime differs from the manifest" % (k, path))
for sha in sorted(set(want) - set(seen)):
    problems.append("no entry for %s" % want[sha])
tmp = os.path.join(cache, "v1", "tmp")
left = os.listdir(tmp) if os.path.isdir(tmp) else []
if left:
    problems.append("temporary leftovers: %s" % " ".join(sorted(left)))
for p in problems:
    print(p)
print("%d entries" % len(keys), file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
		ok "$desc: one valid entry per wheel, no leftovers ($(tail -1 "$T/cc.out"))"
	else
		fail "$desc: cache"
		show problems "$T/cc.out" 20
	fi
}

# tree_same DESC A B: two venvs made the same way at different paths hold
# the same entries with the same types, modes and bytes, each venv's own
# path read as VENV (the venv's own activate scripts, which name it, are
# left out).  In RECORD, rows of files in bin/ are compared by path
# only (a launcher's digest depends on the length of the venv's path).
tree_same()
{
	if "$PY" - "$2" "$3" >"$T/ts.out" 2>&1 <<'EOF'; then
import os, sys
A, B = (os.path.realpath(p) for p in sys.argv[1:3])
problems = []

def entries(root):
    out = {}
    for r, ds, fs in os.walk(root):
        ds[:] = [d for d in ds if not (r == root and d == ".forklift")]
        for n in ds + fs:
            full = os.path.join(r, n)
            rel = os.path.relpath(full, root)
            if not (rel.startswith("bin/activate") or rel == "bin/Activate.ps1"):
                out[rel] = full
    return out

def record(data, root):
    rows = []
    for line in data.decode().splitlines():
        p = line.rsplit(",", 2)[0]
        rows.append(p if p.startswith("../../../bin/") else line)
    return rows

ea, eb = entries(A), entries(B)
for rel in sorted(set(ea) ^ set(eb)):
    problems.append("only in %s: %s" % ("A" if rel in ea else "B", rel))
for rel in sorted(set(ea) & set(eb)):
    a, b = ea[rel], eb[rel]
    sa, sb = os.lstat(a), os.lstat(b)
    if (sa.st_mode & 0o170000) != (sb.st_mode & 0o170000):
        problems.append("%s: types differ" % rel)
    elif os.path.islink(a):
        if os.readlink(a).replace(A, "VENV") != os.readlink(b).replace(B, "VENV"):
            problems.append("%s: link targets differ" % rel)
    elif (sa.st_mode & 0o7777) != (sb.st_mode & 0o7777):
        problems.append("%s: mode %o vs %o" % (rel, sa.st_mode & 0o7777, sb.st_mode & 0o7777))
    elif os.path.isfile(a):
        da = open(a, "rb").read().replace(A.encode(), b"VENV")
        db = open(b, "rb").read().replace(B.encode(), b"VENV")
        if rel.endswith(".dist-info/RECORD"):
            if record(da, A) != record(db, B):
                problems.append("%s: RECORDs differ" % rel)
        elif da != db:
            problems.append("%s: bytes differ (%d vs %d)" % (rel, len(da), len(db)))
for p in problems:
    print(p)
print("%d entries" % len(ea), file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
		ok "$1: same tree ($(tail -1 "$T/ts.out"))"
	else
		fail "$1: trees differ"
		show differences "$T/ts.out" 30
	fi
}

# ---- the wheels ------------------------------------------------------------

mapfile -t GEN < <(mkw --corpus)
WIDE_SPEC=$("$PY" -c '
import json
files = {"wide/m%03d.py" % i: "N = %d\n" % i * (i % 7 + 1) for i in range(200)}
files["wide/__init__.py"] = ""
files["wide/blob.bin"] = {"repeat": ["wide blob ", 100000]}
print(json.dumps({"name": "wide", "version": "1.0", "files": files,
                  "data": {"scripts": {"wide-run": "#!python\nprint(\"wide\")\n"}}}))')
mkw1 WIDE "$WIDE_SPEC"
GEN+=("$WIDE")
NGEN=${#GEN[@]}
[ "$NGEN" -ge 10 ] || { fail "the generated corpus has only $NGEN wheels"; finish; }
SP=lib/python$PYVER/site-packages

# ---- 1. warm equals cold ---------------------------------------------------------
# The three installs go to the same path in turn ($T/v, moved aside after
# the first two), so every byte must be the same: launchers, rewritten
# scripts, RECORD and direct_url.json included.

V=$T/v
fresh "$V"
snap "$V" >"$T/base.snap"
fk_install "$V" -v --no-cache -j 2 "${GEN[@]}"
assert_rc "cold install (--no-cache)" 0
assert_records "cold install" "$V" "$T/base.snap"
snap "$V" >"$T/cold.snap"
mv "$V" "$T/cold"

fresh "$V"
fk_install "$V" -v -j 2 "${GEN[@]}"
assert_rc "install that fills the cache" 0
assert_eq "filling install: -v summary" "$(from_cache_note | sed 's/ by .*//')" \
    "0 of $NGEN wheels from the cache"
snap "$V" >"$T/miss.snap"
mv "$V" "$T/miss"
cache_check "after the first install" "$CACHE" "${GEN[@]}"

fresh "$V"
fk_install "$V" -v -j 2 "${GEN[@]}"
assert_rc "warm install" 0
MODE=$(from_cache_note | sed -n 's/.* by //p')
case $(from_cache_note) in
"$NGEN of $NGEN wheels from the cache by "*) ok "warm install: every wheel from the cache by $MODE" ;;
*) fail "warm install: -v summary '$(from_cache_note)'"; show stderr "$T/err" ;;
esac
assert_no_grep "warm install: no warning" "warning" "$T/err"
snap "$V" >"$T/warm.snap"
assert_cmp "filling install equals the cold install (bytes, modes)" "$T/cold.snap" "$T/miss.snap"
assert_cmp "warm install equals the cold install (bytes, modes)" "$T/cold.snap" "$T/warm.snap"
assert_records "warm install" "$V" "$T/base.snap"
assert_no_staging "warm install" "$V"

# What the installer writes is fresh in every venv; what the wheel ships is
# linked when the mode is hardlink.
fresh_files=$(cd "$V" && ls bin/beta-cli bin/delta-gui bin/eps-py bin/eps-crlf bin/wide-run \
    "$SP"/*.dist-info/RECORD "$SP"/*.dist-info/INSTALLER "$SP"/*.dist-info/REQUESTED \
    "$SP"/*.dist-info/direct_url.json)
linked=0
for f in $fresh_files; do
	[ "$(nlink "$V/$f")" = 1 ] || { fail "generated file $f is linked ($(nlink "$V/$f") links)"; linked=1; }
done
[ $linked = 0 ] && ok "generated files ($(echo $fresh_files | wc -w)) are not linked to the cache"
if [ "$MODE" = hardlink ]; then
	assert_eq "hardlink mode: a module is shared by the cache and both venvs" \
	    "$(nlink "$V/$SP/alpha/util.py")" 3
	assert_eq "hardlink mode: the 300 KB blob is linked" "$(nlink "$V/$SP/wide/blob.bin")" 3
fi

# The reference for the rest: an install by copies, so that changes made
# later through hard links cannot reach it.
REF=$T/ref
fresh "$REF"
fk_install "$REF" -v --link-mode copy "${GEN[@]}"
assert_rc "--link-mode copy" 0
assert_eq "--link-mode copy: -v summary" "$(from_cache_note)" \
    "$NGEN of $NGEN wheels from the cache by copy"
assert_no_grep "--link-mode copy: no fallback note" "reflinks do not work" "$T/err"
assert_eq "--link-mode copy: not linked" "$(nlink "$REF/$SP/alpha/util.py")" 1
tree_same "--link-mode copy" "$REF" "$V"

# A larger corpus, cold, filling and warm: mkwheel's synthetic corpus
# always (namespace packages, many-file wheels, .so files, scripts, .data),
# and real wheels repacked from python3's site-packages as an extra when
# there are at least 20 of them (a fresh Debian's python3 has none).  On
# tmpfs when there is one (the trees are large).  Each install goes to the
# same path, replacing the last.
RB=${SHM:-$T}

# corpus_round LABEL WHEEL...: cold (--no-cache), filling and warm installs
# of the wheels into one venv path give the same tree; the cache is exact.
corpus_round()
{
	local label=$1 kind t0 times= note
	shift
	for kind in cold miss warm; do
		fresh "$RB/r"
		t0=$(date +%s.%N)
		if [ $kind = cold ]; then
			fk_install "$RB/r" -v -j 2 --no-cache "$@"
		else
			FORKLIFT_CACHE_DIR=$RB/rcache fk_install "$RB/r" -v -j 2 "$@"
		fi
		times="$times $kind $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
		assert_rc "$label, $kind install of $# wheels" 0
		note=$(from_cache_note)
		snap "$RB/r" >"$T/r$kind.snap"
	done
	echo "$label: $# wheels, $(grep -c '^[0-9a-f]\{64\} ' "$T/rcold.snap") files;$times"
	case $note in
	"$# of $# wheels from the cache"*) ok "$label: warm install entirely from the cache" ;;
	*) fail "$label: warm install: '$note'" ;;
	esac
	assert_cmp "$label: filling install equals cold" "$T/rcold.snap" "$T/rmiss.snap"
	assert_cmp "$label: warm install equals cold" "$T/rcold.snap" "$T/rwarm.snap"
	cache_check "$label" "$RB/rcache" "$@"
	rm -rf "$RB/r" "$RB/rcache"
}

mkdir -p "$RB/syn"
mapfile -t SYN < <("$PY" "$MKWHEEL" -o "$RB/syn" --synthetic=42)
if [ "${#SYN[@]}" -ne 42 ]; then
	fail "mkwheel --synthetic=42 made ${#SYN[@]} wheels"
else
	corpus_round "synthetic corpus" "${SYN[@]}"
fi
rm -rf "$RB/syn"

REPACK=$SRCDIR/scripts/repack-site
if [ "${CACHE_REAL:-1}" = 0 ]; then
	echo "real corpus left out (CACHE_REAL=0)"
elif [ ! -f "$REPACK" ]; then
	echo "real corpus left out (no scripts/repack-site)"
elif ! "$PY" "$REPACK" --python "$PY" "$RB/rc" >"$T/repack.out" 2>&1; then
	fail "repack-site failed"
	show output "$T/repack.out"
else
	RW=()
	for w in "$RB"/rc/*.whl; do
		[ -f "$w" ] && RW+=("$w")
	done
	if [ "${#RW[@]}" -lt 20 ]; then
		echo "real corpus left out (python3's site-packages gave ${#RW[@]} wheels, fewer than 20)"
	else
		corpus_round "real corpus" "${RW[@]}"
	fi
	rm -rf "$RB/rc"
fi
rm -rf "$T/miss"

# ---- 2. four processes, one empty cache ------------------------------------------

for round in 1 2 3; do
	RC_DIR=$T/race$round
	mkdir -p "$RC_DIR"
	for i in 1 2 3 4; do
		mkvenv "$RC_DIR/v$i"
	done
	pids=()
	for i in 1 2 3 4; do
		FORKLIFT_CACHE_DIR=$RC_DIR/cache "$FORKLIFT" install -p "$RC_DIR/v$i" \
		    --no-progress -j 2 "${GEN[@]}" >"$RC_DIR/out$i" 2>&1 &
		pids+=($!)
	done
	codes=
	for p in "${pids[@]}"; do
		wait "$p"
		codes="$codes $?"
	done
	assert_eq "race $round: four concurrent installs" "$codes" " 0 0 0 0"
	for i in 1 2 3 4; do
		if grep -q -e error -e warning "$RC_DIR/out$i"; then
			fail "race $round: install $i complained"
			show output "$RC_DIR/out$i" 5
		fi
		assert_records "race $round venv $i" "$RC_DIR/v$i" "$T/base.snap"
	done
	tree_same "race $round: venv 1 equals the warm install" "$RC_DIR/v1" "$REF"
	tree_same "race $round: venv 4 equals the warm install" "$RC_DIR/v4" "$REF"
	cache_check "race $round" "$RC_DIR/cache" "${GEN[@]}"
	rm -rf "$RC_DIR"
done

# ---- 3. cache and venv on different file systems ----------------------------------

if [ -z "$SHM" ]; then
	echo "cross-file-system part left out (no tmpfs at /dev/shm apart from $T)"
else
	fresh "$SHM/v"
	fk_install "$SHM/v" -v "${GEN[@]}"
	assert_rc "cache on $(stat -f -c %T "$T"), venv on tmpfs" 0
	assert_eq "cross file systems: -v says once that it copies" \
	    "$(grep -c 'using copy' "$T/err")" 1
	assert_eq "cross file systems: every wheel copied from the cache" \
	    "$(from_cache_note)" "$NGEN of $NGEN wheels from the cache by copy"
	assert_eq "cross file systems: copies are not links" "$(nlink "$SHM/v/$SP/alpha/util.py")" 1
	tree_same "cross file systems: copied install" "$SHM/v" "$REF"

	fk_install "$SHM/v" --reinstall "${GEN[@]}"
	assert_rc "cross file systems, without -v" 0
	assert_no_grep "cross file systems: no note without -v" "using copy" "$T/err"

	# An explicit mode that cannot work is an error (forklift-install(1)):
	# exit 1, one error line naming the mode and the cache, nothing changed.
	for mode in hardlink reflink; do
		fresh "$SHM/v$mode"
		snap "$SHM/v$mode" >"$T/x.snap"
		fk_install "$SHM/v$mode" --link-mode "$mode" "${GEN[@]}"
		assert_rc "cross file systems, --link-mode $mode" 1
		assert_eq "--link-mode $mode across file systems: one error line" \
		    "$(grep -c '^forklift: error: ' "$T/err")" 1
		assert_grep "--link-mode $mode across file systems: the error says why" \
		    "--link-mode=$mode does not work from the cache '$CACHE'" "$T/err"
		assert_snap_same "--link-mode $mode across file systems" "$T/x.snap" "$SHM/v$mode"
	done
	cache_check "after the cross-file-system installs" "$CACHE" "${GEN[@]}"
	rm -rf "$SHM"/v*
fi

# An explicit mode on one file system.
if [ "$MODE" = hardlink ]; then
	fresh "$T/vh"
	fk_install "$T/vh" -v --link-mode=hardlink "${GEN[@]}"
	assert_eq "--link-mode=hardlink: -v summary" "$(from_cache_note)" \
	    "$NGEN of $NGEN wheels from the cache by hardlink"
	tree_same "--link-mode=hardlink" "$T/vh" "$REF"
	rm -rf "$T/vh"
fi
fk_install "$T/nowhere" --link-mode symlink "${GEN[0]}"
assert_rc "--link-mode symlink" 2
assert_grep "--link-mode symlink: names the choices" "'symlink' is not auto, reflink, hardlink or copy" "$T/err"

# ---- 4. a file changed through a hard link ------------------------------------------

if [ "$MODE" != hardlink ]; then
	echo "changes through hard links left out (the cache links by $MODE here)"
else
	E=$T/edited
	fresh "$E"
	fk_install "$E" "${GEN[@]}"
	assert_eq "edited venv: module linked to the cache" "$(nlink "$E/$SP/alpha/util.py")" 3

	# Appended to: the size changes.
	echo "# local change" >>"$E/$SP/alpha/util.py"
	fresh "$T/e1"
	fk_install "$T/e1" -v "${GEN[@]}"
	assert_rc "after an append through a hard link" 0
	assert_grep "append: warns that the entry changed" \
	    "warning: alpha-1.0-py3-none-any.whl: the cache entry was changed ('purelib/alpha/util.py' changed since it was cached): rebuilding it" "$T/err"
	assert_eq "append: one warning" "$(grep -c warning "$T/err")" 1
	assert_eq "append: one wheel rebuilt, the others from the cache" \
	    "$(from_cache_note)" "$((NGEN - 1)) of $NGEN wheels from the cache by hardlink"
	tree_same "append: the wheel's own bytes installed" "$T/e1" "$REF"
	assert_grep "append: the edited venv keeps its change" "# local change" "$E/$SP/alpha/util.py"
	if [ "$(stat -c %i "$E/$SP/alpha/util.py")" != "$(stat -c %i "$T/e1/$SP/alpha/util.py")" ]; then
		ok "append: the new install does not share the edited file"
	else
		fail "append: the new install is linked to the edited file"
	fi
	cache_check "after the rebuild" "$CACHE" "${GEN[@]}"

	# Rewritten in place with as many bytes: only the mtime tells.
	"$PY" -c 'import sys; f = open(sys.argv[1], "r+b"); f.write(b"X"); f.close()' \
	    "$E/$SP/delta/gui.py"
	fresh "$T/e2"
	fk_install "$T/e2" "${GEN[@]}"
	assert_rc "after a same-size rewrite through a hard link" 0
	assert_grep "same-size rewrite: warns" \
	    "delta-1.2.3-py3-none-any.whl: the cache entry was changed ('purelib/delta/gui.py'" "$T/err"
	tree_same "same-size rewrite: the wheel's own bytes installed" "$T/e2" "$REF"

	# chmod: the mode is shared by every link too.
	chmod 600 "$E/$SP/iota/empty.txt"
	chmod 644 "$E/$SP/iota/run.sh"
	fresh "$T/e3"
	fk_install "$T/e3" "${GEN[@]}"
	assert_rc "after a chmod through a hard link" 0
	assert_grep "chmod: warns" "iota-1.0-py3-none-any.whl: the cache entry was changed" "$T/err"
	assert_mode "chmod: the wheel's own mode installed" "$T/e3/$SP/iota/empty.txt" 644
	assert_mode "chmod: the wheel's own mode installed" "$T/e3/$SP/iota/run.sh" 755
	tree_same "chmod: the wheel's own tree installed" "$T/e3" "$REF"
	cache_check "after the changes through hard links" "$CACHE" "${GEN[@]}"
	chmod 644 "$E/$SP/iota/empty.txt"
	chmod 755 "$E/$SP/iota/run.sh"
	rm -rf "$E" "$T/e1" "$T/e2" "$T/e3"
fi

# A file changed in the cache itself is caught the same way.
f=$(entry_of zeta-0.0.1.dist-info)/tree/data/share/zeta/readme.txt
if [ -f "$f" ]; then
	rm -f "$f"
	fresh "$T/e4"
	fk_install "$T/e4" "${GEN[@]}"
	assert_rc "after a file was removed from an entry" 0
	assert_grep "removed file: warns" "zeta-0.0.1-py3-none-any.whl: the cache entry was changed" "$T/err"
	tree_same "removed file: the wheel's own tree installed" "$T/e4" "$REF"
	rm -rf "$T/e4"
else
	fail "no cache entry for zeta with data/share/zeta/readme.txt"
fi
# ... and a #!python script grown in the cache (scripts are never linked
# into a venv, but the cache can still be changed by hand).
f=$(entry_of epsilon-4.0.dist-info)/tree/scripts/eps-py
echo "print('changed')" >>"$f"
fresh "$T/e5"
fk_install "$T/e5" "${GEN[@]}"
assert_rc "after a script grew in the cache" 0
assert_grep "grown script: the warning names it" \
    "epsilon-4.0-py3-none-any.whl: the cache entry was changed ('scripts/eps-py' changed since it was cached)" "$T/err"
tree_same "grown script: the wheel's own tree installed" "$T/e5" "$REF"
cache_check "after the changes in the cache" "$CACHE" "${GEN[@]}"
rm -rf "$T/e5"

# ---- 5. refused wheels leave nothing in the cache ------------------------------------
# The error is the same with and without the cache; a wheel refused while
# unpacking leaves no entry and no temporary directory; one refused after
# (Requires-Python) may stay cached, and installs from there when allowed.

mkw1 BAD '{"name": "bad", "version": "1.0", "files": {"bad/__init__.py": "", "bad/b.py": "B = 1\n"},
  "record": {"corrupt": ["bad/b.py"]}}'
mkw1 OLD '{"name": "old", "version": "1.0", "files": {"old/__init__.py": ""},
  "metadata": {"Requires-Python": "<3.0"}}'
fresh "$T/b"
snap "$T/b" >"$T/b.snap"
for whl in "$BAD" "$OLD"; do
	fk_install "$T/b" --no-cache "$whl"
	[ "$whl" = "$BAD" ] && assert_grep "refused wheel: the error names the member" \
	    "RECORD: hash mismatch for 'bad/b.py'" "$T/err"
	assert_rc "$(basename "$whl") without the cache" 1
	cp "$T/err" "$T/err.nocache"
	assert_error_line "$(basename "$whl") without the cache" "$(basename "$whl")"
	for i in 1 2; do
		fk_install "$T/b" "$whl"
		assert_rc "$(basename "$whl") with the cache ($i)" 1
		if cmp -s "$T/err" "$T/err.nocache"; then
			ok "$(basename "$whl"): the same error with the cache ($i)"
		else
			fail "$(basename "$whl"): another error with the cache ($i)"
			show "with" "$T/err" 5
			show "without" "$T/err.nocache" 5
		fi
	done
done
assert_snap_same "refused wheels" "$T/b.snap" "$T/b"
if [ -n "$(entry_of bad-1.0.dist-info)" ]; then
	fail "a wheel refused while unpacking has a cache entry"
else
	ok "a wheel refused while unpacking has no cache entry"
fi
assert_eq "refused wheels: no temporary leftovers" "$(ls -A "$CACHE/v1/tmp" | wc -l)" 0
fk_install "$T/b" -v --ignore-requires-python "$OLD"
assert_rc "--ignore-requires-python from the cache" 0
assert_eq "--ignore-requires-python: from the cache" "$(from_cache_note | sed 's/ by .*//')" \
    "1 of 1 wheels from the cache"
rm -rf "$T/b" "$(entry_of old-1.0.dist-info)"

# ---- 6. forklift cache dir | info | clean | prune -------------------------------------

fk cache dir
assert_rc "cache dir" 0
assert_content "$T/out" "$CACHE
"
(cd "$T" && "$FORKLIFT" --cache-dir rel/c cache dir >"$T/out" 2>"$T/err")
assert_content "$T/out" "$T/rel/c
"
assert_no_path "$T/rel" "cache dir creates nothing"
fk cache dir --cache-dir "$T/opt"
assert_content "$T/out" "$T/opt
"
run env -u FORKLIFT_CACHE_DIR "$FORKLIFT" cache dir
assert_content "$T/out" "$XDG_CACHE_HOME/forklift
"
run env -u FORKLIFT_CACHE_DIR XDG_CACHE_HOME=relative "$FORKLIFT" cache dir
assert_content "$T/out" "$HOME/.cache/forklift
"
run env -u FORKLIFT_CACHE_DIR -u XDG_CACHE_HOME "$FORKLIFT" cache dir
assert_content "$T/out" "$HOME/.cache/forklift
"
run env -u FORKLIFT_CACHE_DIR -u XDG_CACHE_HOME -u HOME "$FORKLIFT" cache dir
assert_rc "cache dir without HOME" 1
assert_grep "cache dir without HOME: says why" "there is no cache directory" "$T/err"
for bad in "cache" "cache frob" "cache info extra" "cache prune --older-than x" \
    "cache prune --older-than -1" "cache --bogus info"; do
	fk $bad
	assert_rc "forklift $bad" 2
done

fk cache info
assert_rc "cache info" 0
assert_grep "cache info: directory" "directory:  $CACHE" "$T/out"
assert_grep "cache info: entries" "entries:    $NGEN" "$T/out"
assert_grep "cache info: no temporary leftovers" "temporary:  0" "$T/out"
assert_grep "cache info: size" "size:       " "$T/out"
fk cache info --cache-dir "$T/empty-cache"
assert_rc "cache info, no cache" 0
assert_grep "cache info, no cache: no entries" "entries:    0" "$T/out"
assert_grep "cache info, no cache: no oldest use" "oldest use: -" "$T/out"
assert_no_path "$T/empty-cache" "cache info creates nothing"

# prune: one entry aged 40 days, one 10 days, a temporary leftover of two
# hours and a fresh one.
OLD=$(entry_of alpha-1.0.dist-info)
MID=$(entry_of delta-1.2.3.dist-info)
touch -d '40 days ago' "$OLD"
touch -d '10 days ago' "$MID"
mkdir -p "$CACHE/v1/tmp/old-leftover/tree" "$CACHE/v1/tmp/new-leftover"
touch -d '2 hours ago' "$CACHE/v1/tmp/old-leftover"
fk cache info
assert_grep "cache info counts temporary leftovers" "temporary:  2" "$T/out"
assert_grep "cache info: oldest use" "oldest use: $(date -d '40 days ago' +%Y-%m-%d)" "$T/out"
fk cache prune
assert_rc "cache prune" 0
assert_grep "cache prune: says what it removed" "removed 1 cache entry unused for 30 days" "$T/err"
assert_no_path "$OLD" "prune (30 days)"
assert_file "$MID/MANIFEST"
assert_no_path "$CACHE/v1/tmp/old-leftover" "prune of temporary leftovers"
if [ -d "$CACHE/v1/tmp/new-leftover" ]; then ok "prune keeps a fresh temporary directory"
else fail "prune removed a temporary directory that may be in use"; fi
rmdir "$CACHE/v1/tmp/new-leftover"
fk cache prune --older-than 5
assert_rc "cache prune --older-than 5" 0
assert_no_path "$MID" "prune --older-than 5"
fk cache prune --older-than=0.5
assert_grep "cache prune --older-than=0.5: nothing recent removed" "removed 0 cache entries" "$T/err"
fresh "$T/p"
fk_install "$T/p" -v "${GEN[@]}"
assert_rc "install after prune" 0
assert_eq "install after prune: the pruned wheels are unpacked again" \
    "$(from_cache_note | sed 's/ by .*//')" "$((NGEN - 2)) of $NGEN wheels from the cache"
tree_same "install after prune" "$T/p" "$REF"
cache_check "after prune and install" "$CACHE" "${GEN[@]}"

fk cache clean
assert_rc "cache clean" 0
assert_grep "cache clean: says so" "removed the cache" "$T/err"
assert_no_path "$CACHE/v1" "cache clean"
fk cache info
assert_grep "cache info after clean" "entries:    0" "$T/out"
fk cache clean
assert_rc "cache clean, twice" 0
fresh "$T/p"
fk_install "$T/p" -v "${GEN[@]}"
assert_rc "install after clean" 0
assert_eq "install after clean: nothing from the cache" \
    "$(from_cache_note | sed 's/ by .*//')" "0 of $NGEN wheels from the cache"
tree_same "install after clean" "$T/p" "$REF"
rm -rf "$T/p"

# ---- 7. --no-cache: the cache of unpacked wheels is neither read nor written ------
# (The interpreter facts learned once per interpreter are still kept in
# the cache directory.)

NC=$T/nc
fresh "$T/n"
FORKLIFT_CACHE_DIR=$NC fk_install "$T/n" -v --no-cache "${GEN[@]}"
assert_rc "install --no-cache" 0
assert_eq "install --no-cache: -v summary" "$(from_cache_note)" "0 of $NGEN wheels from the cache"
assert_no_grep "install --no-cache: no link mode note" "reflinks do not work" "$T/err"
FORKLIFT_CACHE_DIR=$NC run "$FORKLIFT" --no-cache install --reinstall -p "$T/n" --no-progress \
    --link-mode hardlink "${GEN[@]}"
assert_rc "forklift --no-cache install --reinstall --link-mode hardlink" 0
run "$FORKLIFT" install --no-cache --cache-dir "$NC" --reinstall -p "$T/n" --no-progress "${GEN[@]}"
assert_rc "forklift install --no-cache --cache-dir" 0
assert_no_path "$NC/v1/wheels" "--no-cache"
assert_no_path "$NC/v1/tmp" "--no-cache"
tree_same "--no-cache install" "$T/n" "$REF"
# A cache directory that cannot be made: --no-cache does not care; without
# it, a warning and an install without the cache.
touch "$T/afile"
FORKLIFT_CACHE_DIR=$T/afile/cache fk_install "$T/n" --no-cache --reinstall "${GEN[@]}"
assert_rc "--no-cache with an impossible cache directory" 0
assert_no_grep "--no-cache with an impossible cache directory: no warning" "warning" "$T/err"
FORKLIFT_CACHE_DIR=$T/afile/cache fk_install "$T/n" --reinstall "${GEN[@]}"
assert_rc "an impossible cache directory" 0
assert_grep "an impossible cache directory: a warning" "warning: not using the cache: " "$T/err"
tree_same "an impossible cache directory" "$T/n" "$REF"
FORKLIFT_CACHE_DIR=$NC fk_install "$T/n" --reinstall "${GEN[0]}"
if [ -d "$NC/v1/wheels" ]; then ok "without --no-cache the cache is filled"
else fail "without --no-cache nothing was cached in $NC"; fi
rm -rf "$T/n" "$NC" "$T/afile"

# ---- 8. one cache entry, each venv's shebang ---------------------------------------

fk cache clean
EPS=$(printf '%s\n' "${GEN[@]}" | grep '/epsilon-')
BETA=$(printf '%s\n' "${GEN[@]}" | grep '/Beta_Pkg-')
S1=$T/s1
S2="$T/with space/venv"
fresh "$S1"
fk_install "$S1" -v "$EPS" "$BETA"
assert_eq "shebangs: first venv fills the cache" "$(from_cache_note | sed 's/ by .*//')" \
    "0 of 2 wheels from the cache"
mkdir -p "$T/with space"
fresh "$S2"
fk_install "$S2" -v "$EPS" "$BETA"
assert_rc "install into a venv whose path has a space" 0
assert_eq "shebangs: second venv from the cache" "$(from_cache_note | sed 's/ by .*//')" \
    "2 of 2 wheels from the cache"
assert_eq "shebang in $S1" "$(head -n 1 "$S1/bin/eps-py")" "#!$S1/bin/python"
assert_eq "shebang in the venv with a space" "$(head -n 3 "$S2/bin/eps-py")" "#!/bin/sh
'''exec' '$S2/bin/python' \"\$0\" \"\$@\"
' '''"
for v in "$S1" "$S2"; do
	run "$v/bin/eps-py"
	assert_eq "eps-py runs in $(basename "$(dirname "$v")")/$(basename "$v")" "$RC $(cat "$T/out")" "0 eps lf"
	run "$v/bin/eps-crlf"
	assert_eq "eps-crlf runs" "$RC $(tr -d '\r' <"$T/out")" "0 eps crlf"
	assert_eq "eps-crlf keeps CRLF after the shebang" \
	    "$(tail -c 19 "$v/bin/eps-crlf" | od -An -c | tr -s ' ')" \
	    "$(printf "print('eps crlf')\r\n" | od -An -c | tr -s ' ')"
	run "$v/bin/eps-w"
	assert_eq "eps-w runs" "$RC $(cat "$T/out")" "0 eps w"
	run "$v/bin/beta-cli" a b
	assert_eq "launcher beta-cli runs" "$RC $(cat "$T/out")" "3 beta ['a', 'b']"
	assert_eq "rewritten script is not linked" "$(nlink "$v/bin/eps-py")" 1
	"$PY" - "$v/$SP/epsilon-4.0.dist-info/direct_url.json" "$EPS" >"$T/du.out" 2>&1 <<'EOF'
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
want = {"url": "file://" + sys.argv[2],
        "archive_info": {"hashes": {"sha256": hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()}}}
sys.exit(0 if d == want else "direct_url.json is %r, want %r" % (d, want))
EOF
	if [ $? = 0 ]; then ok "direct_url.json parses and names the wheel"
	else fail "direct_url.json"; show output "$T/du.out"; fi
done
cached=$(entry_of epsilon-4.0.dist-info)
assert_eq "the cache entry keeps the script as shipped" "$(head -c 8 "$cached/tree/scripts/eps-py")" "#!python"
cache_check "after the shebang installs" "$CACHE" "$EPS" "$BETA"

finish
