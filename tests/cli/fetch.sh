#!/bin/bash
# fetch.sh: forklift sync and install -r downloading from tests/indexserver.py
# on 127.0.0.1 (its own free port, pid file, stopped on every exit path).
#   - JSON, HTML and negotiated pages: a sync equals an install of the same
#     wheels from local files; no wheel is downloaded twice; a warm sync of
#     hash-pinned requirements makes no request; --offline with the server
#     stopped works; a no-op sync makes no request.
#   - basic auth in the index URL and from $NETRC; redirects to the same
#     host, and to another host (credentials not forwarded); passwords are
#     never printed.
#   - faults: 5xx then success, 429 with Retry-After, a truncated body, a
#     stalled body with a short --timeout, wrong bytes (both hashes named,
#     nothing cached), 404 (named, not retried).
#   - an extra index cannot shadow a project of the main index; direct
#     references; --json; --dry-run; Ctrl-C while downloading.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

SRV_PIDS=
srv_stop_all()
{
	local p
	for p in $SRV_PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	SRV_PIDS=
}
trap 'srv_stop_all; cleanup' EXIT

# srv NAME ROOT [ARGS...]: start an index server; sets PORT and URL
# (http://127.0.0.1:PORT); its request log is $T/NAME.log.
srv()
{
	local n=$1 root=$2 i
	shift 2
	rm -f "$T/$n.port" "$T/$n.pid"
	: >"$T/$n.log"
	"$PY" "$SRCDIR/tests/indexserver.py" --root "$root" --port-file "$T/$n.port" \
	    --pid-file "$T/$n.pid" --log "$T/$n.log" "$@" >"$T/$n.out" 2>&1 &
	SRV_PIDS="$SRV_PIDS $!"
	for i in $(seq 100); do
		[ -s "$T/$n.port" ] && break
		sleep 0.05
	done
	[ -s "$T/$n.port" ] || { echo "index server $n did not start"; cat "$T/$n.out"; exit 99; }
	PORT=$(cat "$T/$n.port")
	URL=http://127.0.0.1:$PORT
}

# srv_stop NAME: stop that server.
srv_stop()
{
	local p
	p=$(cat "$T/$1.pid")
	kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	SRV_PIDS=$(echo "$SRV_PIDS" | tr ' ' '\n' | grep -vx "$p" | tr '\n' ' ')
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# sync_into VENV CACHE ARGS...: a sync into a new VENV with its own cache.
sync_into()
{
	local v=$1 c=$2
	shift 2
	rm -rf "$v"
	mkvenv "$v"
	FORKLIFT_CACHE_DIR=$c run "$FORKLIFT" sync -p "$v" --no-progress "$@"
}

# wheel_gets LOG NAME: how many times the wheel file was asked for (200).
wheel_gets()
{
	awk -v f="$2" '$1 == "GET" && $2 ~ ("/" f "$") && $3 == 200' "$1" | wc -l
}

# no_wheel_twice DESC LOG: no wheel was downloaded twice.
no_wheel_twice()
{
	local dup
	dup=$(awk '$1 == "GET" && $3 == 200 && $2 ~ /\.whl$/ { print $2 }' "$2" |
	    sed 's|.*/||' | sort | uniq -d)
	assert_eq "$1: no wheel downloaded twice" "$dup" ""
}

# ---- wheels and the reference --------------------------------------------------
mkdir -p "$T/w" "$T/evil"
mkw '{"name": "alpha", "version": "1.0", "files": {"alpha.py": "A = 1\n"}}' \
    '{"name": "Beta_Pkg", "version": "2.0", "files": {"beta_pkg/__init__.py": "B = 20\n",
      "beta_pkg/sub/data.txt": "some data\n"}}' \
    '{"name": "gamma", "version": "0.3", "files": {"gamma.py": "def main():\n    print(\"gamma\")\n    return 0\n"},
      "entry_points": {"console_scripts": {"gamma-run": "gamma:main"}}}' >/dev/null
WHEELS="alpha-1.0-py3-none-any.whl Beta_Pkg-2.0-py3-none-any.whl gamma-0.3-py3-none-any.whl"
"$PY" "$MKWHEEL" -o "$T/evil" '{"name": "alpha", "version": "1.0", "files": {"alpha.py": "A = 666\n"}}' \
    '{"name": "onlyb", "version": "1.0", "files": {"onlyb.py": ""}}' >/dev/null || exit 99
mkdir -p "$T/big"
"$PY" "$MKWHEEL" -o "$T/big" '{"name": "big", "version": "1.0", "files": {"big.py": "",
    "big_data.bin": {"repeat": ["0123456789abcdef-forklift-fetch-", 65536], "method": "store"}}}' >/dev/null || exit 99

printf 'alpha==1.0\nbeta-pkg==2.0\ngamma==0.3\n' >"$T/plain.txt"
: >"$T/hashed.txt"
for b in $WHEELS; do
	n=${b%%-*}
	v=${b#*-}
	v=${v%%-*}
	echo "$n==$v --hash=sha256:$(sha "$T/w/$b")" >>"$T/hashed.txt"
done

mkvenv "$T/ref"
fk_install "$T/ref" -f "$T/w" -r "$T/plain.txt"
assert_rc "reference install from local files" 0

# ---- each page format ---------------------------------------------------------
for mode in json html negotiate; do
	srv idx "$T/w" --mode "$mode"
	sync_into "$T/v-$mode" "$T/c-$mode" -i "$URL/simple/" "$T/plain.txt"
	assert_rc "sync from $mode pages" 0
	assert_tree_same "sync from $mode pages vs install from files" "$T/v-$mode" "$T/ref"
	assert_no_staging "sync from $mode pages" "$T/v-$mode"
	no_wheel_twice "sync from $mode pages" "$T/idx.log"
	assert_eq "sync from $mode pages: every wheel downloaded" \
	    "$(awk '$1 == "GET" && $3 == 200 && $2 ~ /\.whl$/' "$T/idx.log" | wc -l)" 3
	srv_stop idx
done

# No-op: the environment already matches; no server even runs.
FORKLIFT_CACHE_DIR=$T/c-json run "$FORKLIFT" sync -p "$T/v-json" --no-progress \
    -i "http://127.0.0.1:9/simple/" --retries 0 "$T/plain.txt"
assert_rc "no-op sync with the server down" 0
assert_grep "no-op sync says so" "nothing to do" "$T/err"

# ---- hash-pinned, the cache, --offline ---------------------------------------
srv idx "$T/w"
sync_into "$T/h1" "$T/ch" -i "$URL/simple/" "$T/hashed.txt"
assert_rc "hash-pinned sync" 0
assert_tree_same "hash-pinned sync vs install from files" "$T/h1" "$T/ref"
: >"$T/idx.log"
sync_into "$T/h2" "$T/ch" -i "$URL/simple/" -v "$T/hashed.txt"
assert_rc "warm hash-pinned sync" 0
assert_eq "warm hash-pinned sync: requests" "$(wc -l <"$T/idx.log")" 0
assert_grep "warm sync -v: the source is the cache" "alpha-1.0-py3-none-any.whl: 823 bytes from the cache" "$T/err"
sync_into "$T/h2b" "$T/ch" -i "$URL/simple/" "$T/plain.txt"
assert_rc "unhashed sync with a warm cache" 0
assert_eq "unhashed sync with a warm cache: no wheel downloaded" \
    "$(awk '$3 == 200 && $2 ~ /\.whl$/' "$T/idx.log" | wc -l)" 0
srv_stop idx
sync_into "$T/h3" "$T/ch" -i "$URL/simple/" --offline "$T/hashed.txt"
assert_rc "--offline sync, server stopped" 0
assert_tree_same "--offline sync vs install from files" "$T/h3" "$T/ref"
sync_into "$T/h4" "$T/ch" -i "$URL/simple/" --offline "$T/plain.txt"
assert_rc "--offline sync of unhashed pins: stored pages, cached wheels" 0
assert_tree_same "--offline unhashed sync vs install from files" "$T/h4" "$T/ref"
sync_into "$T/h5" "$T/empty-cache" -i "$URL/simple/" --offline "$T/plain.txt"
assert_rc "--offline with an empty cache" 1
assert_grep "--offline names what is missing" "alpha==1.0" "$T/err"
assert_grep "--offline says why" "offline" "$T/err"

# ---- auth, redirects, passwords never shown -------------------------------------
PW=s3cr3t-pw
srv idx "$T/w" --auth "user:$PW"
sync_into "$T/a1" "$T/ca1" -v -i "http://user:$PW@127.0.0.1:$PORT/simple/" "$T/plain.txt"
assert_rc "basic auth in the index URL" 0
assert_tree_same "basic auth sync vs install from files" "$T/a1" "$T/ref"
assert_eq "basic auth: every request carried credentials" \
    "$(awk '$5 != "auth"' "$T/idx.log" | wc -l)" 0
assert_no_grep "basic auth -v: no password on stderr" "$PW" "$T/err"
assert_no_grep "basic auth -v: no password on stdout" "$PW" "$T/out"
sync_into "$T/a2" "$T/ca2" --retries 0 -i "http://user:wrong-$PW@127.0.0.1:$PORT/simple/" "$T/plain.txt"
assert_rc "wrong password" 1
assert_grep "wrong password: 401 named" "401" "$T/err"
assert_grep "wrong password: the URL, redacted" "http://user:****@127.0.0.1:$PORT/simple/" "$T/err"
assert_no_grep "wrong password: not printed" "$PW" "$T/err"
printf 'machine 127.0.0.1\nlogin user\npassword %s\n' "$PW" >"$T/netrc"
NETRC=$T/netrc sync_into "$T/a3" "$T/ca3" -i "$URL/simple/" "$T/plain.txt"
assert_rc "basic auth from \$NETRC" 0
assert_tree_same "\$NETRC sync vs install from files" "$T/a3" "$T/ref"
srv_stop idx

srv idx "$T/w" --redirect same
sync_into "$T/r1" "$T/cr1" -i "$URL/simple/" "$T/plain.txt"
assert_rc "redirect on the same host" 0
assert_tree_same "redirected sync vs install from files" "$T/r1" "$T/ref"
assert_eq "redirect on the same host: the wheels came from /r/files/" \
    "$(awk '$2 ~ /^\/r\/files\// && $3 == 200' "$T/idx.log" | wc -l)" 3
srv_stop idx

srv idx "$T/w" --redirect host --auth "user:$PW"
sync_into "$T/r2" "$T/cr2" -i "http://user:$PW@127.0.0.1:$PORT/simple/" "$T/plain.txt"
assert_rc "redirect to another host" 0
assert_tree_same "redirect to another host vs install from files" "$T/r2" "$T/ref"
assert_eq "redirect to another host: no credentials followed" \
    "$(awk '$2 ~ /^\/r\/files\// && $5 != "-"' "$T/idx.log" | wc -l)" 0
assert_eq "redirect to another host: the wheels were fetched there" \
    "$(awk '$2 ~ /^\/r\/files\// && $3 == 200' "$T/idx.log" | wc -l)" 3
assert_no_grep "redirect: no password printed" "$PW" "$T/err"
srv_stop idx

# ---- faults ---------------------------------------------------------------------------
printf 'alpha==1.0\n' >"$T/alpha.txt"
echo "alpha==1.0 --hash=sha256:$(sha "$T/w/alpha-1.0-py3-none-any.whl")" >"$T/alpha-h.txt"

srv idx "$T/w" --fault 'alpha-*.whl:503:2'
sync_into "$T/f1" "$T/cf1" -i "$URL/simple/" "$T/alpha.txt"
assert_rc "503 twice, then the file" 0
assert_eq "503 twice: three requests" \
    "$(awk '$2 ~ /alpha-1.0-py3-none-any.whl$/' "$T/idx.log" | wc -l)" 3
srv_stop idx

srv idx "$T/w" --fault 'alpha-*.whl:429'
S=$(date +%s.%N)
sync_into "$T/f2" "$T/cf2" -i "$URL/simple/" "$T/alpha.txt"
E=$(date +%s.%N)
assert_rc "429 with Retry-After, then the file" 0
if awk -v s="$S" -v e="$E" 'BEGIN { exit !(e - s >= 1.0) }'; then
	ok "429: Retry-After (1 s) honoured"
else
	fail "429: the retry came before Retry-After ($S .. $E)"
fi
srv_stop idx

srv idx "$T/w" --fault 'alpha-*.whl:truncate'
sync_into "$T/f3" "$T/cf3" -i "$URL/simple/" "$T/alpha.txt"
assert_rc "truncated body, then the file" 0
assert_tree_same "after a truncated body" "$T/f3" "$T/f1"
srv_stop idx

srv idx "$T/w" --fault 'alpha-*.whl:stall' --stall-seconds 20
S=$(date +%s)
sync_into "$T/f4" "$T/cf4" -i "$URL/simple/" --timeout 1 --retries 0 "$T/alpha.txt"
E=$(date +%s)
assert_rc "stalled body, --timeout 1 --retries 0" 1
assert_grep "stalled body: the URL named" "$URL/files/alpha-1.0-py3-none-any.whl" "$T/err"
assert_eq "stalled body: given up well before the stall ends" "$([ $((E - S)) -lt 10 ] && echo yes)" yes
assert_no_staging "stalled body" "$T/f4"
sync_into "$T/f4" "$T/cf4" -i "$URL/simple/" --timeout 1 "$T/alpha.txt"
assert_rc "stalled body, then retried" 0
srv_stop idx

srv idx "$T/w" --fault 'alpha-*.whl:wrong:0'
mkvenv "$T/f5"
snap "$T/f5" >"$T/f5.snap"
FORKLIFT_CACHE_DIR=$T/cf5 run "$FORKLIFT" sync -p "$T/f5" --no-progress -i "$URL/simple/" "$T/alpha-h.txt"
assert_rc "wrong bytes" 1
assert_grep "wrong bytes: the expected hash" "$(sha "$T/w/alpha-1.0-py3-none-any.whl")" "$T/err"
if grep -q "sha256 mismatch: expected [0-9a-f]\{64\}, got [0-9a-f]\{64\}" "$T/err"; then
	ok "wrong bytes: the hash found too"
else
	fail "wrong bytes: the message lacks the two hashes"
	show stderr "$T/err" 5
fi
assert_eq "wrong bytes: nothing cached" "$(find "$T/cf5" -name '*.whl' 2>/dev/null | wc -l)" 0
assert_eq "wrong bytes: not retried from the same URL" \
    "$(awk '$2 ~ /alpha-1.0-py3-none-any.whl$/' "$T/idx.log" | wc -l)" 1
assert_snap_same "wrong bytes" "$T/f5.snap" "$T/f5"
assert_no_staging "wrong bytes" "$T/f5"
FORKLIFT_CACHE_DIR=$T/cf5 run "$FORKLIFT" sync -p "$T/f5" --no-progress -i "$URL/simple/" "$T/alpha.txt"
assert_rc "wrong bytes against the index's own sha256" 1
assert_grep "the index's sha256 is checked" "sha256 mismatch" "$T/err"
srv_stop idx

srv idx "$T/w" --fault 'alpha-*.whl:404'
sync_into "$T/f6" "$T/cf6" -i "$URL/simple/" "$T/alpha.txt"
assert_rc "404 for the file" 1
assert_grep "404: the file and its URL named" \
    "alpha-1.0-py3-none-any.whl: $URL/files/alpha-1.0-py3-none-any.whl: HTTP 404" "$T/err"
assert_eq "404: not retried" "$(awk '$2 ~ /alpha-1.0-py3-none-any.whl$/' "$T/idx.log" | wc -l)" 1
printf 'nosuch==1.0\n' >"$T/nosuch.txt"
sync_into "$T/f7" "$T/cf7" -i "$URL/simple/" "$T/nosuch.txt"
assert_rc "a project the index does not have" 1
assert_grep "no such project: named" "nosuch==1.0: no such project" "$T/err"
printf 'alpha==9.9\n' >"$T/nover.txt"
sync_into "$T/f8" "$T/cf8" -i "$URL/simple/" "$T/nover.txt"
assert_rc "a version the index does not have" 1
assert_grep "no such version: project and version named" "alpha==9.9" "$T/err"
srv_stop idx

# ---- an extra index cannot shadow the main one -----------------------------------
srv main "$T/w"
MAIN=$URL
srv extra "$T/evil"
EXTRA=$URL
printf 'alpha==1.0\nonlyb==1.0\n' >"$T/mixed.txt"
sync_into "$T/x1" "$T/cx1" -i "$MAIN/simple/" --extra-index-url "$EXTRA/simple/" "$T/mixed.txt"
assert_rc "main and extra index" 0
assert_content "$(site_packages "$T/x1")/alpha.py" "A = 1
"
assert_file "$(site_packages "$T/x1")/onlyb.py"
assert_eq "the extra index was not asked for alpha" \
    "$(grep -c 'alpha' "$T/extra.log")" 0
# The same through a requirements file's own index lines.
printf -- '--index-url %s/simple/\n--extra-index-url %s/simple/\nalpha==1.0\nonlyb==1.0\n' \
    "$MAIN" "$EXTRA" >"$T/mixed-lines.txt"
sync_into "$T/x2" "$T/cx2" "$T/mixed-lines.txt"
assert_rc "index lines in the requirements file" 0
assert_content "$(site_packages "$T/x2")/alpha.py" "A = 1
"
srv_stop extra

# ---- direct references, --json, --dry-run, --no-cache ------------------------------
srv_stop main
srv idx "$T/w" --auth "user:$PW"
A=alpha-1.0-py3-none-any.whl
printf 'alpha @ http://user:%s@127.0.0.1:%s/files/%s --hash=sha256:%s\n' "$PW" "$PORT" "$A" \
    "$(sha "$T/w/$A")" >"$T/direct.txt"
sync_into "$T/d1" "$T/cd1" --json "$T/direct.txt"
assert_rc "direct reference over http with credentials" 0
DU=$(site_packages "$T/d1")/alpha-1.0.dist-info/direct_url.json
assert_content "$DU" "{\"url\": \"http://127.0.0.1:$PORT/files/$A\", \"archive_info\": {\"hashes\": {\"sha256\": \"$(sha "$T/w/$A")\"}, \"hash\": \"sha256=$(sha "$T/w/$A")\"}}
"
assert_no_grep "direct reference: no password in --json" "$PW" "$T/out"
"$PY" - "$T/out" "$PORT" "$A" <<'EOF' >"$T/json.check" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
w = d["install"][0]
assert w["url"] == "http://user:****@127.0.0.1:%s/files/%s" % (sys.argv[2], sys.argv[3]), w
assert w["bytes"] > 0 and w["from_cache"] is False, w
print("ok")
EOF
assert_content "$T/json.check" "ok
"

mkvenv "$T/d2"
FORKLIFT_CACHE_DIR=$T/cd2 run "$FORKLIFT" install -p "$T/d2" --no-progress --no-cache \
    "http://user:$PW@127.0.0.1:$PORT/files/$A"
assert_rc "install URL --no-cache" 0
assert_eq "--no-cache: nothing in the cache" "$(find "$T/cd2" -name '*.whl' 2>/dev/null | wc -l)" 0
assert_file "$(site_packages "$T/d2")/alpha-1.0.dist-info/direct_url.json"
assert_no_staging "install URL --no-cache" "$T/d2"

: >"$T/idx.log"
sync_into "$T/d3" "$T/cd3" --dry-run -i "http://user:$PW@127.0.0.1:$PORT/simple/" "$T/plain.txt"
assert_rc "--dry-run" 0
assert_grep "--dry-run prints the plan" "+ alpha 1.0" "$T/out"
assert_eq "--dry-run: pages fetched" "$(grep -c '/simple/' "$T/idx.log")" 3
assert_eq "--dry-run: no wheel downloaded" "$(grep -c '\.whl' "$T/idx.log")" 0
srv_stop idx

# ---- find-links pages, yanked files, hashes that disagree ----------------------------
mkdir -p "$T/y"
cp "$T/w/"*.whl "$T/y/"
echo '{"alpha-1.0-py3-none-any.whl": {"yanked": "broken build"}}' >"$T/y/index-meta.json"
srv idx "$T/y"
sync_into "$T/l1" "$T/cl1" --no-index -f "$URL/links/" "$T/plain.txt"
assert_rc "--no-index with a find-links page" 0
assert_tree_same "find-links page sync vs install from files" "$T/l1" "$T/ref"
assert_eq "find-links page: no project page asked" "$(grep -c '/simple/' "$T/idx.log")" 0
sync_into "$T/l2" "$T/cl2" -i "$URL/simple/" "$T/alpha.txt"
assert_rc "a yanked file for an == pin" 0
assert_grep "yanked: a warning with the reason" "is yanked: broken build" "$T/err"
: >"$T/idx.log"
echo "alpha==1.0 --hash=sha256:$(printf '%064d' 0)" >"$T/alpha-bad.txt"
sync_into "$T/l3" "$T/cl3" -i "$URL/simple/" "$T/alpha-bad.txt"
assert_rc "the pin's hash and the index's disagree" 1
assert_grep "disagreement: both hashes named" \
    "has sha256 $(sha "$T/w/alpha-1.0-py3-none-any.whl"), which is not the pin's --hash" "$T/err"
assert_eq "disagreement: nothing downloaded" "$(grep -c '\.whl' "$T/idx.log")" 0
printf 'alpha==1.0\nbeta-pkg==2.0 --hash=sha256:%s\n' "$(sha "$T/w/Beta_Pkg-2.0-py3-none-any.whl")" >"$T/onehash.txt"
sync_into "$T/l4" "$T/cl4" -i "$URL/simple/" "$T/onehash.txt"
assert_rc "one --hash makes every pin need one" 1
assert_grep "one --hash: the unhashed pin named" "'alpha' has no --hash" "$T/err"
mkvenv "$T/l5"
FORKLIFT_CACHE_DIR=$T/cl5 run "$FORKLIFT" install -p "$T/l5" --no-progress -i "$URL/simple/" -r "$T/alpha.txt" \
    "$URL/files/gamma-0.3-py3-none-any.whl"
assert_rc "install -r from the index, and a URL argument" 0
assert_file "$(site_packages "$T/l5")/alpha.py"
assert_file "$(site_packages "$T/l5")/gamma-0.3.dist-info/direct_url.json"
assert_no_path "$(site_packages "$T/l5")/alpha-1.0.dist-info/direct_url.json" "a wheel from the index"
srv_stop idx

# ---- Ctrl-C while downloading ------------------------------------------------------
srv slow "$T/big" --throttle 100000
printf 'big==1.0\n' >"$T/big.txt"
mkvenv "$T/s1"
snap "$T/s1" >"$T/s1.snap"
FORKLIFT_CACHE_DIR=$T/cs1 "$FORKLIFT" sync -p "$T/s1" --no-progress -i "$URL/simple/" \
    "$T/big.txt" >"$T/out" 2>"$T/err" &
FPID=$!
for i in $(seq 100); do
	grep -q '\.whl' "$T/slow.log" 2>/dev/null && break
	[ -n "$(find "$T/cs1" -path '*tmp*' -type f 2>/dev/null)" ] && break
	sleep 0.05
done
sleep 0.5
S=$(date +%s.%N)
kill -INT "$FPID"
wait "$FPID"
RC=$?
E=$(date +%s.%N)
assert_rc "Ctrl-C during a download" 130
if awk -v s="$S" -v e="$E" 'BEGIN { exit !(e - s < 1.0) }'; then
	ok "Ctrl-C: exited within a second"
else
	fail "Ctrl-C: took $(awk -v s="$S" -v e="$E" 'BEGIN { print e - s }') s"
fi
assert_snap_same "Ctrl-C" "$T/s1.snap" "$T/s1"
assert_no_staging "Ctrl-C" "$T/s1"
assert_eq "Ctrl-C: no partial file outside the cache's tmp" \
    "$(find "$T/cs1" -type f -name '*.whl*' ! -path '*/tmp/*' 2>/dev/null | wc -l)" 0
srv_stop slow

finish
