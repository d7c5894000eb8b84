#!/bin/bash
# split.sh: a wheel larger than one worker's share of the run is split into
# member ranges that several workers stage at once.  A generated wheel of
# about 10 MB (3,000 files, #!python and plain scripts, an entry point,
# headers and data) installed with -j 2 is split (-v says so) and gives
# the same tree as with -j 1, without a cache, into a cold cache and from
# the warm one, leaving nothing in the cache's tmp/.  Then, each with the
# environment left exactly as it was and no staging left:
#   - a warm entry whose manifest gives another wheel sha256: exit 1
#     naming the entry built from other bytes, and the entry removed;
#   - a member near the end whose RECORD hash is wrong: exit 1, the error
#     names the wheel, the part that met it and the member; no cache entry;
#   - its RECORD row missing, listed twice, of the wrong size or without a
#     hash: the same exit and message as -j 1 (a row for a file the
#     archive lacks: installed both ways);
#   - the worker staging part 2 killed (FORKLIFT_FAULT_WORKER=0.1 of the
#     fault-injection build), cold and warm: exit 1 naming the wheel, the
#     part and SIGKILL, and the cache's tmp/ emptied;
#   - a wheel over 64 MiB (read through a window of the file, not
#     mapped): installed whole, and a wrong hash after its large member
#     names the member;
#   - SIGINT while the parts run: exit 130 (or 0 and installed, when the
#     signal came too late).
# Then the same wheel synced from tests/indexserver.py (its size from the
# index's JSON): split, the same tree, cold, warm and without a cache; and
# its corrupt twin fails naming the part and the member.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
if [ -z "${SPLIT_TMPDIR+set}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SPLIT_TMPDIR=/dev/shm
fi
[ -n "${SPLIT_TMPDIR:-}" ] && export TMPDIR=$SPLIT_TMPDIR
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

FI=${FORKLIFT_FI:-$(dirname "$FORKLIFT")/../tests/forklift-fi}
mkdir -p "$T/w" "$T/bad"
# Two wheels of 3,000 files: a good one, and one whose RECORD gives a wrong
# hash for a member of the second half (member order is the files' order).
"$PY" - "$SRCDIR/tests" "$T/w" "$T/bad" <<'EOF' || exit 99
import base64, random, sys
sys.path.insert(0, sys.argv[1])
import mkwheel
random.seed(12)
files = {"sp_big/__init__.py": "def main():\n    print('split')\n"}
for i in range(3000):
    files["sp_big/s%02d/d%d/m%04d.py" % (i % 37, i % 5, i)] = "# %d\n%s\n" % (
        i, base64.b64encode(random.randbytes(random.randint(100, 6000))).decode())
spec = {"name": "sp_big", "version": "1.0", "files": files,
        "entry_points": {"console_scripts": {"sp-run": "sp_big:main"}},
        "data": {"scripts": {"sp-tool": "#!python\nprint('tool')\n",
                             "sp-plain": "#!/bin/sh\necho plain\n"},
                 "headers": {"sp.h": "int sp;\n"},
                 "data": {"share/sp/x.txt": "x\n"}}}
mkwheel.build(spec, sys.argv[2])
i = 2990
bad = "sp_big/s%02d/d%d/m%04d.py" % (i % 37, i % 5, i)
spec["record"] = {"corrupt": [bad]}
mkwheel.build(spec, sys.argv[3])
open(sys.argv[3] + "/name", "w").write(bad)
# RECORD problems a part other than 0 meets in its own members.
import os
for kind, rc in (("drop", {"drop": [bad]}), ("twice", {"extra": [bad]}),
                 ("size", {"bad_size": [bad]}), ("nohash", {"nohash": [bad]}),
                 ("absent", {"extra": ["sp_big/gone.py"]})):
    os.makedirs(sys.argv[3] + "/" + kind)
    spec["record"] = rc
    mkwheel.build(spec, sys.argv[3] + "/" + kind)
# A local header that disagrees with the central directory, in part 2's
# members: checked by the part that meets it.
os.makedirs(sys.argv[3] + "/local")
spec["record"] = {}
spec["files"][bad] = {"text": files[bad], "local_name": bad[:-3] + ".px"}
mkwheel.build(spec, sys.argv[3] + "/local")
EOF
BADNAME=$(cat "$T/bad/name")
WHL=$T/w/sp_big-1.0-py3-none-any.whl
BAD=$T/bad/sp_big-1.0-py3-none-any.whl
B=$(basename "$WHL")

# Trees compared without forklift's lock file; every venv is made at the
# same path, so that their files are comparable.
tree()
{
	snap "$1" | grep -v '\.forklift'
}

mkvenv "$T/empty"
snap "$T/empty" >"$T/empty.snap"
mkvenv "$T/v"
fk_install "$T/v" --no-cache -j 1 -v "$WHL"
assert_rc "-j 1: whole" 0
assert_no_grep "-j 1: not split" "split into" "$T/err"
tree "$T/v" >"$T/ref.tree"
grep -o '[0-9]* files, [0-9]* bytes' "$T/err" >"$T/ref.count"

same_as_ref()
{
	tree "$2" >"$T/now.tree"
	if diff "$T/ref.tree" "$T/now.tree" >"$T/tree.diff"; then
		ok "$1: the same tree as -j 1"
	else
		fail "$1: a different tree from -j 1"
		show diff "$T/tree.diff" 20
	fi
}

C=$T/cache
for mode in no-cache cold warm; do
	rm -rf "$T/v"
	mkvenv "$T/v"
	if [ $mode = no-cache ]; then
		fk_install "$T/v" --no-cache -j 2 -v "$WHL"
	else
		FORKLIFT_CACHE_DIR=$C fk_install "$T/v" -j 2 -v "$WHL"
	fi
	assert_rc "$mode -j 2" 0
	assert_grep "$mode -j 2: split" "$B: split into 2 parts" "$T/err"
	assert_grep "$mode -j 2: every file counted once" "$(cat "$T/ref.count")" "$T/err"
	same_as_ref "$mode -j 2" "$T/v"
	assert_no_staging "$mode -j 2" "$T/v"
done
assert_grep "warm -j 2: from the cache" "1 of 1 wheels from the cache" "$T/err"
assert_eq "cold and warm: nothing left in the cache's tmp/" "" \
    "$(ls -A "$C/v1/tmp")"
assert_eq "cold: one entry" 1 "$(ls "$C/v1/wheels" | wc -l)"
"$T/v/bin/sp-run" >"$T/out" 2>&1
assert_eq "the launcher written once after the parts runs" split "$(cat "$T/out")"

# ---- a warm entry built from other bytes (same XXH3 key) ---------------------------
# -j 1 rebuilds it; split, the parts have linked from it already: the
# wheel fails, naming it, and the entry is removed for the next run.
rm -rf "$T/v" "$T/cx"
cp -a "$T/empty" "$T/v"
cp -a "$C" "$T/cx"
M=$(ls "$T"/cx/v1/wheels/*/MANIFEST)
sed -i "s/^wheel-sha256	.*/wheel-sha256	$(printf '0%.0s' $(seq 64))/" "$M"
FORKLIFT_CACHE_DIR=$T/cx fk_install "$T/v" -j 2 "$WHL"
assert_rc "warm, entry of other bytes" 1
assert_error_line "warm, entry of other bytes" "$B" " of 2: " \
    "built from other bytes (sha256 000000000000...): it was removed"
assert_snap_same "warm, entry of other bytes" "$T/empty.snap" "$T/v"
assert_no_staging "warm, entry of other bytes" "$T/v"
assert_eq "warm, entry of other bytes: removed" "$(ls -A "$T/cx/v1/wheels")" ""
rm -rf "$T/cx"

# corrupt_checks PREFIX MODE CACHE: the run that met the corrupt member of
# $BAD failed naming it, left $T/v as it was and no staging; cold, no
# cache entry under CACHE and its tmp/ emptied.
corrupt_checks()
{
	assert_rc "$1$2: corrupt member" 1
	assert_error_line "$1$2: corrupt member" "$B" " of 2: " \
	    "RECORD: hash mismatch for '$BADNAME'"
	assert_snap_same "$1$2: corrupt member" "$T/empty.snap" "$T/v"
	assert_no_staging "$1$2: corrupt member" "$T/v"
	if [ $2 = cold ]; then
		assert_eq "$1cold: corrupt member: no cache entry" "" \
		    "$(ls -A "$3/v1/wheels" 2>/dev/null)"
		assert_eq "$1cold: corrupt member: tmp/ emptied" "" \
		    "$(ls -A "$3/v1/tmp" 2>/dev/null)"
	fi
}

# ---- a corrupt member -----------------------------------------------------------
for mode in no-cache cold; do
	rm -rf "$T/v" "$T/cbad"
	cp -a "$T/empty" "$T/v"
	if [ $mode = no-cache ]; then
		fk_install "$T/v" --no-cache -j 2 "$BAD"
	else
		FORKLIFT_CACHE_DIR=$T/cbad fk_install "$T/v" -j 2 "$BAD"
	fi
	corrupt_checks "" $mode "$T/cbad"
done

# ---- RECORD and local header problems in part 2's members ------------------------
# A row missing, listed twice, of the wrong size or without a hash, or a
# local header naming another file: the split install fails saying what
# the install -j 1 says; a row for a file the archive lacks is no problem
# either way.
for kind in drop twice size nohash absent local; do
	W=$T/bad/$kind/$B
	for j in 1 2; do
		rm -rf "$T/v"
		cp -a "$T/empty" "$T/v"
		fk_install "$T/v" --no-cache -j $j "$W"
		echo $RC >"$T/rc$j"
		sed -n 's/^forklift: error: [^ ]*: \(part [0-9] of 2: \)\{0,1\}//p' \
		    "$T/err" >"$T/msg$j"
		[ $RC = 0 ] || assert_snap_same "RECORD $kind -j $j" "$T/empty.snap" "$T/v"
		assert_no_staging "RECORD $kind -j $j" "$T/v"
	done
	assert_eq "RECORD $kind: -j 2 exits as -j 1" "$(cat "$T/rc1")" "$(cat "$T/rc2")"
	assert_eq "RECORD $kind: -j 2 says what -j 1 says" "$(cat "$T/msg1")" \
	    "$(cat "$T/msg2")"
	if [ $kind = absent ]; then
		assert_eq "RECORD $kind: installed" 0 "$(cat "$T/rc2")"
	else
		assert_eq "RECORD $kind: fails" 1 "$(cat "$T/rc2")"
		assert_grep "RECORD $kind: names the member" "'$BADNAME'" "$T/msg2"
	fi
done

# ---- a worker killed while staging part 2 -----------------------------------------
if [ -x "$FI" ]; then
	for mode in cold warm no-cache; do
		rm -rf "$T/v"
		cp -a "$T/empty" "$T/v"
		[ $mode = cold ] && rm -rf "$T/ck"
		[ $mode = warm ] && cp -a "$C" "$T/ck"
		if [ $mode = no-cache ]; then
			FORKLIFT_FAULT_WORKER=0.1 run "$FI" install -p "$T/v" --no-progress \
			    --no-cache -j 2 "$WHL"
		else
			FORKLIFT_FAULT_WORKER=0.1 FORKLIFT_CACHE_DIR=$T/ck run "$FI" install \
			    -p "$T/v" --no-progress -j 2 "$WHL"
		fi
		assert_rc "$mode: worker killed in part 2" 1
		assert_error_line "$mode: worker killed in part 2" "$B" "part 2 of 2" \
		    "killed by signal 9 (SIGKILL) while unpacking it"
		assert_snap_same "$mode: worker killed in part 2" "$T/empty.snap" "$T/v"
		assert_no_staging "$mode: worker killed in part 2" "$T/v"
		if [ $mode != no-cache ]; then
			assert_eq "$mode: worker killed: tmp/ emptied" "" \
			    "$(ls -A "$T/ck/v1/tmp" 2>/dev/null)"
		fi
		rm -rf "$T/ck"
	done
else
	echo "note: no $FI; the killed-worker cases are not run"
fi

# ---- a wheel over 64 MiB: read through a window, not mapped ------------------------
# A 65 MiB stored member between two halves of small files: the small
# files after it are found through the window however far it moved; a
# wrong RECORD hash there still names the member.
mkdir -p "$T/hw" "$T/hbad"
"$PY" - "$SRCDIR/tests" "$T/hw" "$T/hbad" <<'EOF' || exit 99
import sys
sys.path.insert(0, sys.argv[1])
import mkwheel
files = {}
for i in range(400):
    files["sp_huge/a/m%03d.py" % i] = "# %d\n" % i * (i % 7 + 1)
files["sp_huge/blob.bin"] = {"zeros": 65 << 20, "method": "store"}
for i in range(400):
    files["sp_huge/b/m%03d.py" % i] = "# %d\n" % i * (i % 5 + 1)
# deflated, larger than half a window: read past the window, inflated whole
import base64, random
random.seed(7)
files["sp_huge/c/rand.txt"] = base64.b64encode(random.randbytes(600000)).decode()
import hashlib
open(sys.argv[2] + "/rand.sha256", "w").write(
    hashlib.sha256(files["sp_huge/c/rand.txt"].encode()).hexdigest())
spec = {"name": "sp_huge", "version": "1.0", "files": files}
mkwheel.build(spec, sys.argv[2])
spec["record"] = {"corrupt": ["sp_huge/b/m390.py"]}
mkwheel.build(spec, sys.argv[3])
spec["record"] = {}
spec["files"]["sp_huge/b/m391.py"] = {"text": files["sp_huge/b/m391.py"],
                                      "local_size": 1}
spec["name"] = "sp_hugel"
mkwheel.build(spec, sys.argv[3])
EOF
HW=$T/hw/sp_huge-1.0-py3-none-any.whl
rm -rf "$T/v"
cp -a "$T/empty" "$T/v"
fk_install "$T/v" --no-cache -j 1 "$HW"
assert_rc "over 64 MiB" 0
SP=$("$T/v/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
assert_eq "over 64 MiB: a file after the large member" \
    "$(cat "$SP/sp_huge/b/m399.py")" "$(printf '# 399\n# 399\n# 399\n# 399\n# 399')"
assert_eq "over 64 MiB: the large member" \
    "$(stat -c %s "$SP/sp_huge/blob.bin")" $((65 << 20))
assert_eq "over 64 MiB: a deflated member larger than half a window" \
    "$(sha256sum <"$SP/sp_huge/c/rand.txt" | cut -d' ' -f1)" "$(cat "$T/hw/rand.sha256")"
rm -rf "$T/v"
cp -a "$T/empty" "$T/v"
fk_install "$T/v" --no-cache -j 1 "$T/hbad/sp_huge-1.0-py3-none-any.whl"
assert_rc "over 64 MiB: corrupt member" 1
assert_grep "over 64 MiB: corrupt member named" \
    "RECORD: hash mismatch for 'sp_huge/b/m390.py'" "$T/err"
assert_snap_same "over 64 MiB: corrupt member" "$T/empty.snap" "$T/v"
fk_install "$T/v" --no-cache -j 1 "$T/hbad/sp_hugel-1.0-py3-none-any.whl"
assert_rc "over 64 MiB: local header" 1
assert_grep "over 64 MiB: local header named" \
    "member 'sp_huge/b/m391.py': its local header gives other sizes" "$T/err"
assert_snap_same "over 64 MiB: local header" "$T/empty.snap" "$T/v"
rm -rf "$T/hw" "$T/hbad"

# ---- SIGINT while the parts run ----------------------------------------------------
for delay in 0.1 0.3; do
	rm -rf "$T/v"
	cp -a "$T/empty" "$T/v"
	"$FORKLIFT" install -p "$T/v" --no-progress --no-cache -j 2 "$WHL" \
	    >"$T/out" 2>"$T/err" &
	pid=$!
	sleep $delay
	kill -INT $pid
	wait $pid
	RC=$?
	echo "SIGINT after ${delay}s: exit $RC"
	if [ $RC = 0 ]; then
		ok "SIGINT after ${delay}s came after the commit"
	else
		assert_rc "SIGINT after ${delay}s" 130
		assert_snap_same "SIGINT after ${delay}s" "$T/empty.snap" "$T/v"
	fi
	assert_no_staging "SIGINT after ${delay}s" "$T/v"
done

# ---- downloaded (sync from an index), split by the size the index gives ------------
# Its parts start together once the download is verified, each opening the
# verified file; the same tree as the local install, without a cache, into
# a cold cache and from the warm one.  A corrupt member fails the wheel
# naming the part and the member, the environment unchanged.
. "$SRCDIR/tests/cli/index-lib.sh"
mkdir -p "$T/idx"
cp "$WHL" "$T/idx/"
echo "sp_big==1.0" >"$T/reqs.txt"
start_server dl
# The reference: the local install -j 1, but for its direct_url.json.
dtree()
{
	tree "$1" | grep -v '/sp_big-1.0.dist-info/\(direct_url.json\|RECORD\)'
	grep -v '/direct_url.json,' "$1"/lib/python*/site-packages/sp_big-1.0.dist-info/RECORD
}
rm -rf "$T/v"
cp -a "$T/empty" "$T/v"
fk_install "$T/v" --no-cache -j 1 "$WHL"
assert_rc "local -j 1 for sync" 0
dtree "$T/v" >"$T/refdl.tree"
rm -rf "$T/cdl"
for mode in no-cache cold warm; do
	rm -rf "$T/v"
	cp -a "$T/empty" "$T/v"
	if [ $mode = no-cache ]; then
		fk sync -p "$T/v" --no-progress --no-cache -j 2 -v -i "$URL/simple/" \
		    "$T/reqs.txt"
	else
		FORKLIFT_CACHE_DIR=$T/cdl fk sync -p "$T/v" --no-progress -j 2 -v \
		    -i "$URL/simple/" "$T/reqs.txt"
	fi
	assert_rc "sync $mode -j 2" 0
	assert_grep "sync $mode -j 2: split" "$B: split into 2 parts" "$T/err"
	dtree "$T/v" >"$T/now.tree"
	if diff "$T/refdl.tree" "$T/now.tree" >"$T/tree.diff"; then
		ok "sync $mode -j 2: the same tree as a local install"
	else
		fail "sync $mode -j 2: a different tree from a local install"
		show diff "$T/tree.diff"
	fi
	assert_no_staging "sync $mode -j 2" "$T/v"
done
assert_grep "sync warm -j 2: from the cache" "1 of 1 wheels from the cache" "$T/err"
assert_eq "sync cold and warm: nothing left in the cache's tmp/" "" \
    "$(ls -A "$T/cdl/v1/tmp")"
assert_eq "sync cold: one entry" 1 "$(ls "$T/cdl/v1/wheels" | wc -l)"
assert_eq "sync: downloaded without a cache and cold, not warm" 2 \
    "$(grep -c '^GET /files/sp_big-.* 200 ' "$LOG")"
cp "$BAD" "$T/idx/"
for mode in no-cache cold; do
	rm -rf "$T/v" "$T/cdl"
	cp -a "$T/empty" "$T/v"
	if [ $mode = no-cache ]; then
		fk sync -p "$T/v" --no-progress --no-cache -j 2 -i "$URL/simple/" \
		    "$T/reqs.txt"
	else
		FORKLIFT_CACHE_DIR=$T/cdl fk sync -p "$T/v" --no-progress -j 2 \
		    -i "$URL/simple/" "$T/reqs.txt"
	fi
	corrupt_checks "sync " $mode "$T/cdl"
done
stop_all

finish
