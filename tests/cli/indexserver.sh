#!/bin/bash
# indexserver.sh: the test package index (tests/indexserver.py) itself,
# driven with curl, so the fetch tests stand on a server known to work:
#   1. project pages in JSON and HTML, chosen by --mode or by the Accept
#      header; sha256 in both forms; requires-python and yanked from the
#      sidecar; normalizing redirect; 404; the root page; a find-links page;
#   2. files: the bytes, Content-Length, ETag and 304, Range (206, 416)
#      and If-Range; the request log;
#   3. --auth (401 without, 200 with); --redirect same and host, where curl
#      does not forward the credentials to the other host name and the log
#      shows it;
#   4. faults: 503 twice then 200, 429 with Retry-After, truncate, stall,
#      wrong bytes, 404; --throttle;
#   5. SIGTERM ends the server with status 0 at once, also while a
#      response stalls.
# Every server is started on 127.0.0.1 with port 0 and stopped on every
# exit path.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl not found"
. "$SRCDIR/tests/cli/index-lib.sh"

# stop_server: SIGTERM, and the exit status must be 0.
stop_server()
{
	local pid rc
	pid=$(cat "$PIDF")
	kill "$pid"
	wait "$pid"
	rc=$?
	assert_eq "server exits 0 on SIGTERM" "$rc" 0
}

# get DESC ARGS...: curl into $T/body, headers into $T/hdr; CODE gets
# the status, CRC curl's exit status.
get()
{
	CODE=$(curl -sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" 2>"$T/curl.err")
	CRC=$?
}

header()
{
	sed -n "s/^$1: *//Ip" "$T/hdr" | tr -d '\r' | tail -n 1
}

mkdir -p "$T/idx"
mkw1 ALPHA '{"name": "alpha", "version": "1.0"}'
mkw1 BETA '{"name": "Beta_Pkg", "version": "2.0", "files":
    {"beta_pkg/data.txt": {"repeat": ["0123456789abcdef", 20000], "method": "store"}}}'
cp "$ALPHA" "$BETA" "$T/idx/"
A=$(basename "$ALPHA")
B=$(basename "$BETA")
printf 'alpha sdist\n' >"$T/idx/alpha-1.0.tar.gz"
cat >"$T/idx/index-meta.json" <<EOF
{"$A": {"requires-python": ">=3.7"}, "$B": {"yanked": "bad build"}}
EOF
ASHA=$(sha256sum "$T/idx/$A" | cut -d' ' -f1)
BSIZE=$(stat -c %s "$T/idx/$B")
ACCEPT='application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01'

# ---- 1. pages -------------------------------------------------------------
start_server neg
get -H "Accept: $ACCEPT" "$URL/simple/alpha/"
assert_eq "json page" "$CODE" 200
assert_eq "json content type" "$(header Content-Type)" application/vnd.pypi.simple.v1+json
"$PY" - "$T/body" "$A" "$ASHA" <<'EOF' && ok "json page content" || fail "json page content"
import json, sys
page = json.load(open(sys.argv[1]))
assert page["meta"]["api-version"] == "1.1", page
files = {f["filename"]: f for f in page["files"]}
assert set(files) == {sys.argv[2], "alpha-1.0.tar.gz"}, files
f = files[sys.argv[2]]
assert f["url"] == "/files/" + sys.argv[2], f
assert f["hashes"] == {"sha256": sys.argv[3]}, f
assert f["requires-python"] == ">=3.7" and "yanked" not in f and f["size"] > 0, f
EOF
get -H 'Accept: text/html' "$URL/simple/beta-pkg/"
assert_eq "html page" "$CODE" 200
assert_eq "html content type" "$(header Content-Type)" application/vnd.pypi.simple.v1+html
assert_grep "html: relative href with sha256" "href=\"../../files/$B#sha256=" "$T/body"
assert_grep "html: yanked with reason" 'data-yanked="bad build"' "$T/body"
get -H 'Accept: text/html' "$URL/simple/alpha/"
assert_grep "html: requires-python escaped" 'data-requires-python="&gt;=3.7"' "$T/body"
get -H 'Accept: text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.1' "$URL/simple/alpha/"
assert_eq "negotiation honours q" "$(header Content-Type)" application/vnd.pypi.simple.v1+html
get "$URL/simple/alpha/"
assert_eq "no Accept: html" "$(header Content-Type)" application/vnd.pypi.simple.v1+html
ETAG=$(header ETag)
get -H "If-None-Match: $ETAG" "$URL/simple/alpha/"
assert_eq "page revalidated" "$CODE" 304
get "$URL/simple/Beta_Pkg/"
assert_eq "unnormalized name redirects" "$CODE" 301
assert_eq "to the normalized page" "$(header Location)" /simple/beta-pkg/
get "$URL/simple/beta-pkg"
assert_eq "missing slash redirects" "$CODE" 301
get "$URL/simple/nothere/"
assert_eq "unknown project" "$CODE" 404
get -H "Accept: $ACCEPT" "$URL/simple/"
assert_grep "root page lists projects" '{"name": "beta-pkg"}' "$T/body"
get "$URL/links/"
assert_grep "find-links page" "href=\"../files/$A#sha256=$ASHA\"" "$T/body"
stop_server

start_server html --mode html
get -H "Accept: $ACCEPT" "$URL/simple/alpha/"
assert_eq "--mode html ignores Accept" "$(header Content-Type)" application/vnd.pypi.simple.v1+html
stop_server
start_server json --mode json --no-hashes --api-version 1.9
get -H 'Accept: text/html' "$URL/simple/alpha/"
assert_eq "--mode json ignores Accept" "$(header Content-Type)" application/vnd.pypi.simple.v1+json
assert_grep "--api-version" '"api-version": "1.9"' "$T/body"
assert_grep "--no-hashes" '"hashes": {}' "$T/body"
stop_server

# ---- 2. files ---------------------------------------------------------------
start_server files
get "$URL/files/$A"
assert_eq "file" "$CODE" 200
cmp -s "$T/body" "$T/idx/$A" && ok "file bytes" || fail "file bytes differ"
assert_eq "Content-Length" "$(header Content-Length)" "$(stat -c %s "$T/idx/$A")"
ETAG=$(header ETag)
LM=$(header Last-Modified)
[ -n "$ETAG" ] && [ -n "$LM" ] && ok "ETag and Last-Modified" || fail "no ETag or Last-Modified"
get -H "If-None-Match: $ETAG" "$URL/files/$A"
assert_eq "If-None-Match" "$CODE" 304
get -H "If-Modified-Since: $LM" "$URL/files/$A"
assert_eq "If-Modified-Since" "$CODE" 304
get -H 'Range: bytes=10-19' "$URL/files/$B"
assert_eq "Range" "$CODE" 206
assert_eq "Content-Range" "$(header Content-Range)" "bytes 10-19/$BSIZE"
dd if="$T/idx/$B" bs=1 skip=10 count=10 2>/dev/null | cmp -s - "$T/body" &&
    ok "range bytes" || fail "range bytes differ"
get -H "Range: bytes=100-" -H "If-Range: $(curl -sSI "$URL/files/$B" | sed -n 's/^ETag: *//Ip' | tr -d '\r')" "$URL/files/$B"
assert_eq "If-Range with the ETag" "$CODE" 206
assert_eq "open range length" "$(stat -c %s "$T/body")" $((BSIZE - 100))
get -H 'Range: bytes=100-' -H 'If-Range: "stale"' "$URL/files/$B"
assert_eq "If-Range stale: whole file" "$CODE" 200
get -H "Range: bytes=$BSIZE-" "$URL/files/$B"
assert_eq "unsatisfiable range" "$CODE" 416
get "$URL/files/nothere.whl"
assert_eq "missing file" "$CODE" 404
get "$URL/files/..%2Findex-meta.json"
assert_eq "no way out of the root" "$CODE" 404
assert_eq "log: one line per request" "$(grep -c "GET /files/$A 200 $(stat -c %s "$T/idx/$A") -" "$LOG")" 1
assert_grep "log: 304" "GET /files/$A 304 0 -" "$LOG"
stop_server

# ---- 3. auth and redirects --------------------------------------------------
start_server auth --auth 'u:p w'
get "$URL/simple/alpha/"
assert_eq "no credentials" "$CODE" 401
assert_eq "WWW-Authenticate" "$(header WWW-Authenticate)" 'Basic realm="index"'
get -u 'u:wrong' "$URL/files/$A"
assert_eq "wrong password" "$CODE" 401
get -u 'u:p w' "$URL/files/$A"
assert_eq "right password" "$CODE" 200
assert_grep "log shows credentials" "GET /files/$A 200" "$LOG"
assert_grep "log marks them" " 200 $(stat -c %s "$T/idx/$A") auth" "$LOG"
stop_server

start_server same --redirect same
get "$URL/files/$A"
assert_eq "redirect" "$CODE" 302
assert_eq "redirect target" "$(header Location)" "$URL/r/files/$A"
get -L "$URL/files/$A"
cmp -s "$T/body" "$T/idx/$A" && ok "redirected bytes" || fail "redirected bytes differ"
stop_server

start_server host --redirect host --auth u:p
get -u u:p "$URL/files/$A"
assert_eq "redirect to the other host name" "$(header Location)" "http://localhost:$PORT/r/files/$A"
get -L -u u:p "$URL/files/$A"
assert_eq "followed" "$CODE" 200
cmp -s "$T/body" "$T/idx/$A" && ok "bytes from the other host" || fail "bytes differ"
assert_grep "the index got the credentials" "GET /files/$A 302 0 auth" "$LOG"
assert_grep "the other host did not" "GET /r/files/$A 200 $(stat -c %s "$T/idx/$A") -" "$LOG"
: >"$LOG"
get -L --location-trusted -u u:p "$URL/files/$A"
assert_grep "the log would show forwarded credentials" "GET /r/files/$A 200 $(stat -c %s "$T/idx/$A") auth" "$LOG"
stop_server

# ---- 4. faults and throttling -----------------------------------------------
start_server faults --fault "alpha-*.whl:503:2" --fault "Beta*:429" \
    --fault "alpha-1.0.tar.gz:404" --stall-seconds 3
get "$URL/files/$A"; C1=$CODE
get "$URL/files/$A"; C2=$CODE
get "$URL/files/$A"; C3=$CODE
assert_eq "503 twice then success" "$C1 $C2 $C3" "503 503 200"
cmp -s "$T/body" "$T/idx/$A" && ok "bytes after 503s" || fail "bytes after 503s differ"
get "$URL/files/$B"
assert_eq "429" "$CODE" 429
assert_eq "Retry-After" "$(header Retry-After)" 1
get "$URL/files/$B"
assert_eq "429 once then success" "$CODE" 200
get "$URL/files/alpha-1.0.tar.gz"; C1=$CODE
get "$URL/files/alpha-1.0.tar.gz"; C2=$CODE
assert_eq "404 every time" "$C1 $C2" "404 404"
assert_eq "log: every attempt" "$(grep -c "GET /files/$A " "$LOG")" 3
stop_server

start_server body --fault "$B:truncate" --fault "$A:wrong" --fault "alpha-1.0.tar.gz:stall:0" \
    --stall-seconds 30
get "$URL/files/$B"
assert_eq "truncate: curl sees a partial body" "$CRC" 18
[ "$(stat -c %s "$T/body")" -lt "$BSIZE" ] && ok "truncated body is short" ||
    fail "truncated body is not short"
get "$URL/files/$B"
assert_eq "truncate once" "$CRC $CODE" "0 200"
get "$URL/files/$A"
assert_eq "wrong: same length" "$(stat -c %s "$T/body")" "$(stat -c %s "$T/idx/$A")"
[ "$(sha256sum <"$T/body" | cut -d' ' -f1)" != "$ASHA" ] && ok "wrong: other bytes" ||
    fail "wrong: the right bytes"
get --max-time 1 "$URL/files/alpha-1.0.tar.gz"
assert_eq "stall: the client times out" "$CRC" 28
# SIGTERM while a response stalls (for 30 s): the server still ends at once.
curl -sS -o /dev/null --max-time 20 "$URL/files/alpha-1.0.tar.gz" 2>/dev/null &
CURLPID=$!
sleep 0.5
s=$(date +%s%N)
stop_server
ms=$((($(date +%s%N) - s) / 1000000))
[ "$ms" -lt 2000 ] && ok "SIGTERM during a stall: ${ms} ms" || fail "SIGTERM took ${ms} ms"
wait "$CURLPID"

start_server slow --throttle 400000
s=$(date +%s%N)
get "$URL/files/$B"
ms=$((($(date +%s%N) - s) / 1000000))
cmp -s "$T/body" "$T/idx/$B" && ok "throttled bytes" || fail "throttled bytes differ"
min=$((BSIZE * 1000 / 400000 * 8 / 10))
[ "$ms" -ge "$min" ] && ok "throttled: $BSIZE bytes in $ms ms" ||
    fail "throttle: $BSIZE bytes in $ms ms, expected at least $min"
stop_server

# ---- 5. bad options ---------------------------------------------------------
"$PY" "$SERVER" --root "$T/idx" --port-file "$T/x.port" --pid-file "$T/x.pid" \
    --fault 'x:explode' >/dev/null 2>"$T/err"
RC=$?
assert_eq "unknown fault kind refused" "$RC" 2
assert_grep "names it" "unknown fault kind 'explode'" "$T/err"
[ ! -e "$T/x.port" ] && ok "no port file" || fail "port file written"

finish
