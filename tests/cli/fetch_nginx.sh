#!/bin/bash
# fetch_nginx.sh: forklift against a real web server.  Debian's nginx,
# started by tests/cli/nginx-lib.sh with its own configuration, serves a
# static PEP 503 tree over HTTPS and HTTP/2 with a throwaway CA.
#   1. The server itself, driven with curl: HTTP/2 over TLS with the CA,
#      refused without it, the pages and their sha256 links, content
#      types, the https->http redirect and the plain-HTTP port, the access
#      log, nginx_download_time, and a throttled restart (limit_rate).
#   2. forklift sync -i URL with --cert, then with SSL_CERT_FILE, each into
#      a new venv with an empty cache: the same files and bytes as
#      forklift install of the same wheels from disk; every request over
#      HTTP/2, no wheel fetched twice.  A warm sync makes no request; with
#      the server stopped, --offline still works.
#   3. Without the CA: exit 1 naming the URL and a certificate problem,
#      environment unchanged.  An https->http redirect (of the index and
#      of a wheel) is refused, environment unchanged, nothing asked of
#      the plain-HTTP port.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/nginx-lib.sh"

nginx_require
command -v curl >/dev/null 2>&1 || skip "curl not found"
trap 'nginx_stop; cleanup' EXIT
# Only the CA a check names may make the server trusted.
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE

# ---- wheels ------------------------------------------------------------------
mkdir -p "$T/w"
mkw '{"name": "alpha", "version": "1.0", "files": {"alpha.py": "A = 1\n"}}' \
    '{"name": "Beta_Pkg", "version": "1.9", "files": {"beta_pkg/__init__.py": "B = 19\n"}}' \
    '{"name": "Beta_Pkg", "version": "2.0", "files": {"beta_pkg/__init__.py": "B = 20\n",
      "beta_pkg/sub/data.txt": "some data\n"}}' \
    '{"name": "gamma", "version": "0.3", "files": {"gamma.py": "def main():\n    print(\"gamma\")\n    return 0\n"},
      "entry_points": {"console_scripts": {"gamma-run": "gamma:main"}}}' \
    '{"name": "delta.tools", "version": "1.0", "files": {"delta_tools/__init__.py": ""},
      "data": {"scripts": {"delta-sh": {"text": "#!/bin/sh\necho delta\n", "mode": "755"}},
               "data": {"share/delta/readme.txt": "delta\n"}}}' \
    '{"name": "big_one", "version": "1.0", "files": {"big_one/__init__.py": "",
      "big_one/blob.bin": {"repeat": ["forklift-nginx-0123456789abcdef", 33825], "method": "store"}}}' \
    >/dev/null
echo '{"gamma-0.3-py3-none-any.whl": {"requires-python": ">=3.7"}}' >"$T/w/index-meta.json"
PINNED="alpha-1.0-py3-none-any.whl Beta_Pkg-2.0-py3-none-any.whl gamma-0.3-py3-none-any.whl
delta_tools-1.0-py3-none-any.whl big_one-1.0-py3-none-any.whl"
sha() { sha256sum "$1" | cut -d' ' -f1; }

nginx_start "$T/w" || exit 99

# ---- 1. the server, driven with curl ---------------------------------------------
# get ARGS...: curl into $T/body; CODE, VER, CTYPE, CRC set.
get()
{
	local w
	w=$(curl -sS -o "$T/body" -w '%{http_code} %{http_version} %{content_type}' "$@" 2>"$T/curl.err")
	CRC=$?
	read -r CODE VER CTYPE <<<"$w"
}

M0=$(nginx_log_mark)
get --cacert "$NGINX_CA" --http2 "$NGINX_URL/simple/"
assert_eq "curl with the CA: exit status" "$CRC" 0
assert_eq "root page: status" "$CODE" 200
assert_eq "root page: HTTP version" "$VER" 2
assert_eq "root page: content type" "$CTYPE" text/html
for n in alpha beta-pkg gamma delta-tools big-one; do
	assert_grep "root page lists $n" "<a href=\"$n/\">$n</a>" "$T/body"
done
get --cacert "$NGINX_CA" --http2 "https://localhost:$NGINX_PORT/simple/alpha/"
assert_eq "the certificate is valid for localhost too" "$CRC $CODE $VER" "0 200 2"

get --http2 "$NGINX_URL/simple/"
assert_eq "curl without the CA: certificate refused" "$CRC" 60

# Every link of every project page: relative, with the file's sha256,
# and the file behind it has those bytes.
for f in "$T"/w/*.whl; do
	b=$(basename "$f")
	n=$(echo "${b%%-*}" | tr 'A-Z_.' 'a-z--')
	get --cacert "$NGINX_CA" "$NGINX_URL/simple/$n/"
	assert_eq "page of $n: status" "$CODE" 200
	assert_grep "page of $n links $b with its sha256" \
	    "href=\"../../files/$b#sha256=$(sha "$f")\"" "$T/body"
	get --cacert "$NGINX_CA" "$NGINX_URL/files/$b"
	assert_eq "$b: status, version, type" "$CODE $VER $CTYPE" "200 2 application/octet-stream"
	assert_eq "$b: the bytes" "$(sha "$T/body")" "$(sha "$f")"
done
get --cacert "$NGINX_CA" "$NGINX_URL/simple/gamma/"
assert_grep "requires-python from the sidecar" 'data-requires-python="&gt;=3.7"' "$T/body"
get --cacert "$NGINX_CA" "$NGINX_URL/simple/alpha"
assert_eq "a project URL without its slash: 301" "$CODE" 301
get --cacert "$NGINX_CA" "$NGINX_URL/simple/nothing-here/"
assert_eq "an unknown project: 404" "$CODE" 404

# The redirect to plain HTTP, and the plain-HTTP port itself.
get --cacert "$NGINX_CA" "$NGINX_URL/redirect-to-http/files/alpha-1.0-py3-none-any.whl"
assert_eq "redirect-to-http: status" "$CODE" 302
assert_eq "redirect-to-http: target" \
    "$(curl -sS --cacert "$NGINX_CA" -o /dev/null -w '%{redirect_url}' "$NGINX_URL/redirect-to-http/files/x.whl")" \
    "$NGINX_HTTP_URL/files/x.whl"
get --cacert "$NGINX_CA" "$NGINX_URL/simple-via-http/alpha/"
assert_grep "simple-via-http links through the redirect" \
    "href=\"../../redirect-to-http/files/alpha-1.0-py3-none-any.whl#sha256=" "$T/body"
get "$NGINX_HTTP_URL/files/alpha-1.0-py3-none-any.whl"
assert_eq "plain HTTP port: status and version" "$CODE $VER" "200 1.1"

# log_check DESC MARK [WHEEL...]: the access log after line MARK shows
# only HTTP/2 requests to the HTTPS port, none to the plain one, no wheel
# fetched twice, and each WHEEL fetched exactly once.
log_check()
{
	local desc=$1 mark=$2 w n bad
	shift 2
	nginx_log_since "$mark" >"$T/slice"
	bad=$(awk -v p="$NGINX_PORT" '$2 != p || $6 != "HTTP/2.0"' "$T/slice")
	if [ -z "$bad" ] && [ -s "$T/slice" ]; then
		ok "$desc: every request over HTTP/2 to the HTTPS port"
	else
		fail "$desc: requests not over HTTP/2 to port $NGINX_PORT (or none at all)"
		show "access log" "$T/slice" 20
	fi
	bad=$(awk '$9 ~ /^\/files\// && ($4 == 200 || $4 == 206) { n[$9]++ }
	    END { for (k in n) if (n[k] > 1) print k, n[k] }' "$T/slice")
	if [ -z "$bad" ]; then
		ok "$desc: no wheel fetched twice"
	else
		fail "$desc: wheels fetched more than once: $bad"
	fi
	for w in "$@"; do
		n=$(awk -v u="/files/$w" '$9 == u && ($4 == 200 || $4 == 206)' "$T/slice" | wc -l)
		assert_eq "$desc: $w fetched once" "$n" 1
	done
}

M1=$(nginx_log_mark)
nginx_log_since "$M0" | head -n "$((M1 - M0))" >"$T/slice"
assert_eq "curl checks: requests logged not over HTTP/2 to the HTTPS port" \
    "$(awk -v p="$NGINX_PORT" '$2 == p && $6 != "HTTP/2.0"' "$T/slice" | wc -l)" 0
assert_eq "curl checks: requests logged to the plain-HTTP port" \
    "$(awk -v p="$NGINX_HTTP_PORT" '$2 == p { print $3, $4, $6, $9 }' "$T/slice")" \
    "http 200 HTTP/1.1 /files/alpha-1.0-py3-none-any.whl"
T_DL=$(nginx_download_time "$T/dl" 16)
assert_eq "nginx_download_time: curl's exit status" "$?" 0
for f in "$T"/w/*.whl; do
	assert_eq "nginx_download_time: $(basename "$f")" "$(sha "$T/dl/$(basename "$f")" 2>&1)" "$(sha "$f")"
done
log_check "curl --parallel" "$M1" $(cd "$T/w" && ls -- *.whl)
echo "download of $(ls "$T"/w/*.whl | wc -l) wheels with curl --parallel: $T_DL s"

# Throttled: each wheel response at 256 KiB/s, so the 1 MiB wheel takes
# about 3 s (nginx lets the first second's worth through at once).
OLDPID=$(cat "$NGINX_DIR/nginx.pid")
nginx_stop
kill -0 "$OLDPID" 2>/dev/null && fail "nginx_stop: master $OLDPID still runs"
assert_no_path "$NGINX_DIR/nginx.pid" "pid file after nginx_stop"
nginx_start "$T/w" 256k || exit 99
assert_grep "throttled config" "limit_rate 256k;" "$NGINX_DIR/nginx.conf"
rm -rf "$T/dl"
T_SLOW=$(nginx_download_time "$T/dl")
assert_eq "throttled download: curl's exit status" "$?" 0
assert_eq "throttled download: the big wheel's bytes" \
    "$(sha "$T/dl/big_one-1.0-py3-none-any.whl" 2>&1)" "$(sha "$T/w/big_one-1.0-py3-none-any.whl")"
if awk -v t="$T_SLOW" 'BEGIN { exit !(t >= 2.0) }'; then
	ok "throttled download takes $T_SLOW s"
else
	fail "throttled download of a 1 MiB wheel at 256k took $T_SLOW s (< 2 s)"
fi
echo "throttled download (256k per response): $T_SLOW s"
nginx_stop
nginx_start "$T/w" || exit 99

# ---- 2. forklift sync from the index --------------------------------------------
: >"$T/reqs.txt"
FILES=
for b in $PINNED; do
	f=$T/w/$b
	name=${b%%-*}
	ver=${b#*-}
	ver=${ver%%-*}
	echo "$name==$ver --hash=sha256:$(sha "$f")" >>"$T/reqs.txt"
	FILES="$FILES $f"
done

# The reference: the same pins installed from the local directory (-f,
# so that, like a sync from an index, no direct_url.json is written).
mkvenv "$T/ref"
fk_install "$T/ref" -f "$T/w" -r "$T/reqs.txt"
assert_rc "reference install -r from local files" 0
for f in $FILES; do
	b=$(basename "$f")
	assert_file "$(site_packages "$T/ref")/${b%-py3-none-any.whl}.dist-info/RECORD"
done

# sync_from VENV CACHE ARGS...: a sync into a new VENV with its own cache.
sync_from()
{
	local v=$1 c=$2
	shift 2
	mkvenv "$v"
	FORKLIFT_CACHE_DIR=$c run "$FORKLIFT" sync -p "$v" --no-progress "$@"
}

M=$(nginx_log_mark)
sync_from "$T/v1" "$T/cache1" -i "$NGINX_URL/simple/" --cert "$NGINX_CA" "$T/reqs.txt"
assert_rc "sync --cert" 0
assert_tree_same "sync --cert vs install from files" "$T/v1" "$T/ref"
assert_no_staging "sync --cert" "$T/v1"
log_check "sync --cert" "$M" $PINNED
assert_no_grep "sync --cert: the unpinned Beta_Pkg 1.9 is not fetched" \
    "Beta_Pkg-1.9" "$T/slice"

M=$(nginx_log_mark)
SSL_CERT_FILE=$NGINX_CA sync_from "$T/v2" "$T/cache2" -i "$NGINX_URL/simple/" "$T/reqs.txt"
assert_rc "sync with SSL_CERT_FILE" 0
assert_tree_same "sync with SSL_CERT_FILE vs install from files" "$T/v2" "$T/ref"
log_check "sync with SSL_CERT_FILE" "$M" $PINNED

# Warm: every pin is hash-pinned and cached, so no request at all.
M=$(nginx_log_mark)
sync_from "$T/v3" "$T/cache1" -i "$NGINX_URL/simple/" --cert "$NGINX_CA" "$T/reqs.txt"
assert_rc "warm sync" 0
assert_tree_same "warm sync vs install from files" "$T/v3" "$T/ref"
assert_eq "warm sync: requests to the server" "$(nginx_log_since "$M" | wc -l)" 0

# ---- 3. failures change nothing ------------------------------------------------------
# check_refused DESC VENV_SNAP VENV [STRING...]: exit 1, one error line
# naming every STRING (case-insensitive), the venv as it was, no staging.
check_refused()
{
	local desc=$1 s
	assert_rc "$desc" 1
	for s in "${@:4}"; do
		if grep -qiF -- "$s" "$T/err"; then
			ok "$desc: error names '$s'"
		else
			fail "$desc: error does not name '$s'"
			show stderr "$T/err" 10
		fi
	done
	assert_snap_same "$desc" "$2" "$3"
	assert_no_staging "$desc" "$3"
}

mkvenv "$T/v4"
snap "$T/v4" >"$T/v4.snap"
M=$(nginx_log_mark)
FORKLIFT_CACHE_DIR=$T/cache4 run "$FORKLIFT" sync -p "$T/v4" --no-progress --retries 0 \
    -i "$NGINX_URL/simple/" "$T/reqs.txt"
check_refused "sync without the CA" "$T/v4.snap" "$T/v4" "$NGINX_URL"
if grep -qiE 'certificate|tls|ssl' "$T/err"; then
	ok "sync without the CA: the error says it is a TLS/certificate problem"
else
	fail "sync without the CA: the error does not name a TLS/certificate problem"
	show stderr "$T/err" 10
fi
assert_eq "sync without the CA: no request got through TLS" "$(nginx_log_since "$M" | wc -l)" 0

M=$(nginx_log_mark)
FORKLIFT_CACHE_DIR=$T/cache4 run "$FORKLIFT" sync -p "$T/v4" --no-progress --retries 0 \
    -i "$NGINX_URL/redirect-to-http/simple/" --cert "$NGINX_CA" "$T/reqs.txt"
check_refused "index redirected from https to http" "$T/v4.snap" "$T/v4" \
    "$NGINX_URL/redirect-to-http/simple/" redirect
assert_eq "index redirected to http: nothing asked of the http port" \
    "$(nginx_log_since "$M" | awk -v p="$NGINX_HTTP_PORT" '$2 == p' | wc -l)" 0

M=$(nginx_log_mark)
FORKLIFT_CACHE_DIR=$T/cache4 run "$FORKLIFT" sync -p "$T/v4" --no-progress --retries 0 \
    -i "$NGINX_URL/simple-via-http/" --cert "$NGINX_CA" "$T/reqs.txt"
check_refused "wheel redirected from https to http" "$T/v4.snap" "$T/v4" redirect
# The error may name the wheel's https URL or the http one it led to.
if grep -qF -e "$NGINX_URL/redirect-to-http/files/" -e "$NGINX_HTTP_URL/files/" "$T/err"; then
	ok "wheel redirected to http: the error names the wheel's URL"
else
	fail "wheel redirected to http: the error names neither URL of the wheel"
	show stderr "$T/err" 10
fi
assert_eq "wheel redirected to http: nothing asked of the http port" \
    "$(nginx_log_since "$M" | awk -v p="$NGINX_HTTP_PORT" '$2 == p' | wc -l)" 0
assert_eq "wheel redirected to http: nothing cached" \
    "$(find "$T/cache4" -name '*.whl' 2>/dev/null | wc -l)" 0

# ---- PEP 691 JSON pages (NGINX_JSON: negotiated by Accept) -----------------------
nginx_stop
NGINX_JSON=1 nginx_start "$T/w" || exit 99
for f in $FILES; do
	b=$(basename "$f")
	break
done
n=${b%%-*}
n=${n//_/-}
get --cacert "$NGINX_CA" -H 'Accept: application/vnd.pypi.simple.v1+json' "$NGINX_URL/simple/$n/"
assert_eq "JSON page of $n: status and type" "$CODE $CTYPE" "200 application/vnd.pypi.simple.v1+json"
assert_eq "JSON page of $n: the file's size" \
    "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["files"][0]["size"])' "$T/body")" \
    "$(stat -c %s "$T/w/$b")"
get --cacert "$NGINX_CA" "$NGINX_URL/simple/$n/"
assert_eq "page of $n without asking for JSON: HTML" "$CODE $CTYPE" "200 text/html"
sync_from "$T/v6" "$T/cache6" -i "$NGINX_URL/simple/" --cert "$NGINX_CA" "$T/reqs.txt"
assert_rc "sync from JSON pages" 0
assert_tree_same "sync from JSON pages vs install from files" "$T/v6" "$T/ref"

# ---- offline, the server stopped -------------------------------------------------------
nginx_stop
sync_from "$T/v5" "$T/cache1" -i "$NGINX_URL/simple/" --offline "$T/reqs.txt"
assert_rc "--offline sync with the server stopped" 0
assert_tree_same "--offline sync vs install from files" "$T/v5" "$T/ref"

finish
