#!/bin/bash
# sync_pipeline.sh: downloads overlap unpacking (issue 10's process model).
#   1. while one wheel's download stalls, the workers already stage the
#      others (their trees appear in the staging area); Ctrl-C then ends
#      the sync with 130 within a second, the environment unchanged, no
#      staging left, and only whole, verified archives in the cache;
#   2. a download that fails (404) while the workers unpack fails the run:
#      one error naming the wheel and the URL (the password shown as ****),
#      the environment unchanged, no staging left;
#   3. a plain sync (and one with --no-cache) equals an install of the same
#      files from disk, and no wheel is downloaded twice;
#   4. cached hash-pinned wheels need no request; the rest are downloaded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

. "$SRCDIR/tests/cli/index-lib.sh"

stop_server()
{
	kill "$(cat "$PIDF")" 2>/dev/null
	wait "$(cat "$PIDF")" 2>/dev/null
}

# Twelve wheels of a few files, and a slow one.
mkdir -p "$T/idx"
for i in $(seq -w 1 12); do
	mkw "{\"name\": \"quick$i\", \"version\": \"1.$i\", \"files\":
	    {\"quick$i/__init__.py\": \"N = $i\\n\", \"quick$i/a.py\": \"A = 1\\n\"}}" >/dev/null
done
mkw '{"name": "slow", "version": "2.0", "files": {"slow/__init__.py": "S = 1\n"}}' >/dev/null
cp "$T"/w/*.whl "$T/idx/"
"$PY" - "$T/idx" >"$T/reqs.txt" <<'PY'
import hashlib, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith(".whl"):
        name, version = f.split("-")[:2]
        h = hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
        print("%s==%s --hash=sha256:%s" % (name, version, h))
PY

# ---- 1. overlap, then Ctrl-C --------------------------------------------
start_server stall --fault 'slow-*:stall:0' --stall-seconds 60
mkvenv "$T/v"
snap "$T/v" >"$T/v.snap"
"$FORKLIFT" sync -p "$T/v" --no-progress -j 2 --timeout 60 -i "$URL/simple/" \
    "$T/reqs.txt" >"$T/out" 2>"$T/err" &
FPID=$!
staged=0
for i in $(seq 300); do
	staged=$(find "$T/v/.forklift" -mindepth 2 -maxdepth 5 -type d \
	    -name 'quick*.dist-info' 2>/dev/null | wc -l)
	[ "$staged" -ge 12 ] && break
	sleep 0.1
done
assert_eq "the other wheels are staged while one download stalls" "$staged" 12
if grep -q '/files/slow-' "$LOG" && ! grep -q '^GET /files/slow-.* 200 [1-9]' "$LOG"; then
	ok "the slow download is still running"
fi
t0=$(date +%s%N)
kill -INT "$FPID"
wait "$FPID"
RC=$?
t1=$(date +%s%N)
assert_rc "Ctrl-C while downloading" 130
ms=$(( (t1 - t0) / 1000000 ))
if [ "$ms" -lt 1000 ]; then ok "stopped in $ms ms"; else fail "stopped in $ms ms"; fi
assert_snap_same "after Ctrl-C" "$T/v.snap" "$T/v"
assert_no_staging "after Ctrl-C" "$T/v"
bad=$("$PY" - "$FORKLIFT_CACHE_DIR" <<'PY'
import hashlib, os, sys
root = os.path.join(sys.argv[1], "v1", "archives")
for d, _, fs in os.walk(root):
    for f in fs:
        h = hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
        if h != os.path.basename(d):
            print(os.path.join(d, f))
PY
)
assert_eq "only whole, verified archives in the cache" "$bad" ""
stop_server

# ---- 2. a failed download fails the run ---------------------------------
rm -rf "$FORKLIFT_CACHE_DIR"
start_server fail --fault 'slow-*:404' --auth 'user:s3cret'
AURL=http://user:s3cret@127.0.0.1:${URL##*:}
fk sync -p "$T/v" --no-progress -j 2 -i "$AURL/simple/" "$T/reqs.txt"
assert_rc "a 404 while the others unpack" 1
assert_error_line "a 404" "slow-2.0-py3-none-any.whl" "/files/slow-2.0-py3-none-any.whl" \
    "404" "****"
assert_no_grep "the password is never printed" "s3cret" "$T/err"
assert_snap_same "after a failed download" "$T/v.snap" "$T/v"
assert_no_staging "after a failed download" "$T/v"
stop_server

# ---- 3. sync equals an install from disk; each wheel fetched once -------
rm -rf "$FORKLIFT_CACHE_DIR"
start_server ok
fk sync -p "$T/v" --no-progress -j 2 -i "$URL/simple/" "$T/reqs.txt"
assert_rc "sync from the index" 0
mkvenv "$T/ref"
fk_install "$T/ref" --no-cache -j 2 "$T"/idx/*.whl
assert_rc "install from disk" 0
"$FORKLIFT" list -p "$T/v" --format freeze >"$T/list.v"
"$FORKLIFT" list -p "$T/ref" --format freeze >"$T/list.ref"
if cmp -s "$T/list.v" "$T/list.ref" && [ "$(wc -l <"$T/list.v")" = 13 ]; then
	ok "sync installs what the install from disk does"
else
	fail "sync and install differ"
	diff "$T/list.v" "$T/list.ref" | head
fi
dups=$(grep '^GET /files/' "$LOG" | awk '{print $2}' | sort | uniq -d)
assert_eq "no wheel downloaded twice" "$dups" ""
assert_eq "every wheel downloaded" "$(grep -c '^GET /files/.* 200 ' "$LOG")" 13
mkvenv "$T/nc"
fk sync -p "$T/nc" --no-cache --no-progress -j 2 -i "$URL/simple/" "$T/reqs.txt"
assert_rc "sync --no-cache from the index" 0
"$FORKLIFT" list -p "$T/nc" --format freeze >"$T/list.nc"
assert_cmp "sync --no-cache installs the same" "$T/list.nc" "$T/list.ref" \
    "sync --no-cache differs"
assert_no_staging "after sync --no-cache" "$T/nc"

# ---- 4. cached wheels are ready at once, no request ---------------------
: >"$LOG"
mkvenv "$T/warm"
fk sync -p "$T/warm" --no-progress -j 2 -i "$URL/simple/" "$T/reqs.txt"
assert_rc "warm sync" 0
assert_eq "a warm sync downloads no wheel" "$(grep -c '^GET /files/' "$LOG")" 0
stop_server
finish
