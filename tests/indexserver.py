#!/usr/bin/env python3
"""indexserver.py: a simple package index for forklift's tests.

    indexserver.py --root DIR --port-file F --pid-file F [options]

Serves the files of DIR (wheels, sdists) on 127.0.0.1 (port 0: the kernel
picks one, written to --port-file once the socket listens; the pid goes
to --pid-file) as a simple index:

    /simple/            the project list (JSON or HTML)
    /simple/<name>/     a project page (PEP 691 JSON or PEP 503 HTML, by
                        --mode or, with --mode negotiate, the Accept header);
                        a name that is not normalized redirects (301)
    /links/             a find-links page: every file, HTML
    /files/<file>       the file: Content-Length, ETag, Last-Modified,
                        304 for If-None-Match / If-Modified-Since, Range
                        (206, 416) and If-Range

Pages carry sha256 hashes (JSON "hashes", HTML "#sha256=" fragments)
unless --no-hashes; DIR/index-meta.json (or --meta FILE) may annotate
files: {"<file name>": {"requires-python": ">=3.8", "yanked": true or
"reason"}}.

Options:
    --auth USER:PASS       basic auth for /simple/, /links/ and /files/ (401)
    --redirect same|host   /files/X answers 302 to /r/files/X on this server
                           ("same") or on the other name of this host
                           ("host": localhost <-> 127.0.0.1), which asks
                           for no credentials
    --throttle BYTES/S     per-response bandwidth for file bodies
    --fault PAT:KIND[:N]   for requests whose last path segment matches the
                           shell pattern PAT, N times (default 1; 0 = always;
                           404 and 403 default to always): KIND is an HTTP
                           status 5xx, 429 (Retry-After: 1), 404, 403,
                           "truncate" (half the body, then close),
                           "stall" (half the body, then --stall-seconds of
                           silence, then close) or "wrong" (right length,
                           wrong bytes)
    --api-version V        meta api-version of the pages (default 1.1)
    --log FILE             one line per request:
                           "METHOD PATH STATUS BODY-BYTES AUTH" where AUTH
                           is "auth" when an Authorization header came, else "-"

Exits 0 on SIGTERM or SIGINT.  Standard library only; Python 3.7+.
"""

import argparse
import email.utils
import fnmatch
import hashlib
import html
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import base64
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def project_of(filename):
    """The normalized project of a distribution file name, or None."""
    if filename.endswith(".whl"):
        return normalize(filename.split("-", 1)[0])
    for ext in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
        if filename.endswith(ext) and "-" in filename:
            return normalize(filename[: -len(ext)].rsplit("-", 1)[0])
    return None


class Fault:
    def __init__(self, spec):
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise ValueError("--fault wants PATTERN:KIND[:N]: %r" % spec)
        self.pattern, self.kind = parts[0], parts[1]
        if not (self.kind in ("truncate", "stall", "wrong")
                or re.fullmatch(r"[1-5][0-9][0-9]", self.kind)):
            raise ValueError("unknown fault kind %r" % self.kind)
        always = self.kind in ("404", "403")
        self.left = int(parts[2]) if len(parts) == 3 else (0 if always else 1)
        self.always = self.left == 0

    def take(self, name):
        """Does the fault fire for this request?  Counts it down."""
        if not fnmatch.fnmatchcase(name, self.pattern):
            return False
        if self.always:
            return True
        if self.left > 0:
            self.left -= 1
            return True
        return False


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.hash_cache = {}
        self.faults = [Fault(f) for f in args.fault]
        self.stop = threading.Event()
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def meta(self):
        path = self.args.meta or os.path.join(self.args.root, "index-meta.json")
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def files(self):
        """{project: [file names]} of the root directory."""
        out = {}
        for name in sorted(os.listdir(self.args.root)):
            p = project_of(name)
            if p is not None and os.path.isfile(os.path.join(self.args.root, name)):
                out.setdefault(p, []).append(name)
        return out

    def sha256(self, name):
        path = os.path.join(self.args.root, name)
        st = os.stat(path)
        key = (name, st.st_size, st.st_mtime_ns)
        with self.lock:
            if key in self.hash_cache:
                return self.hash_cache[key]
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        with self.lock:
            self.hash_cache[key] = h.hexdigest()
        return h.hexdigest()

    def fault(self, name):
        with self.lock:
            for f in self.faults:
                if f.take(name):
                    return f.kind
        return None

    def record(self, line):
        if self.log is not None:
            with self.lock:
                self.log.write(line + "\n")


def accept_json(header):
    """Content negotiation: JSON when the client prefers it."""
    best, best_q = "html", -1.0
    for item in (header or "").split(","):
        fields = [f.strip() for f in item.split(";")]
        media, q = fields[0].lower(), 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if media in (JSON_TYPE, "application/vnd.pypi.simple.latest+json"):
            kind = "json"
        elif media in (HTML_TYPE, "application/vnd.pypi.simple.latest+html",
                       "text/html", "*/*"):
            kind = "html"
        else:
            continue
        if q > best_q:
            best, best_q = kind, q
    return best == "json"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "forklift-indexserver/1"
    state = None  # set in main()
    # TCP_NODELAY on every connection: the headers and the body go out in
    # separate writes, and with Nagle's algorithm the second waits for the
    # client's delayed ACK, about 40 ms a response.  No real index stalls
    # like that, and it would set the pace of every page a client fetches.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: the request log is ours
        pass

    # ---- helpers ----
    def finish_request_log(self, status, nbytes):
        auth = "auth" if self.headers.get("Authorization") else "-"
        self.state.record("%s %s %d %d %s" % (self.command, self.path, status,
                                              nbytes, auth))

    def simple_response(self, status, body=b"", ctype="text/plain",
                        headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.finish_request_log(status, 0 if self.command == "HEAD" else len(body))

    def authorized(self):
        auth = self.state.args.auth
        if not auth:
            return True
        want = "Basic " + base64.b64encode(auth.encode()).decode()
        return self.headers.get("Authorization") == want

    def base_host(self):
        return self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_port

    # ---- dispatch ----
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = urlsplit(self.path).path
        seg = unquote(path.rstrip("/").rsplit("/", 1)[-1])
        redirected = path.startswith("/r/")
        if not redirected and not self.authorized():
            self.simple_response(401, b"authentication required\n",
                                 headers={"WWW-Authenticate": 'Basic realm="index"'})
            return
        kind = self.state.fault(seg) if seg else None
        if kind is not None and re.fullmatch(r"[0-9]{3}", kind):
            headers = {"Retry-After": "1"} if kind == "429" else None
            self.simple_response(int(kind), ("fault %s\n" % kind).encode(),
                                 headers=headers)
            return
        if path == "/simple/" or path == "/simple":
            self.root_page()
        elif path.startswith("/simple/"):
            self.project_page(path[len("/simple/"):])
        elif path == "/links/":
            self.links_page()
        elif path.startswith("/files/") or redirected and path.startswith("/r/files/"):
            name = unquote(path.rsplit("/", 1)[-1])
            mode = self.state.args.redirect
            if not redirected and mode is not None:
                host = self.base_host()
                if mode == "host":
                    port = host.rsplit(":", 1)[-1]
                    other = "localhost" if host.startswith("127.0.0.1") else "127.0.0.1"
                    host = "%s:%s" % (other, port)
                self.simple_response(302, b"", headers={
                    "Location": "http://%s/r/files/%s" % (host, quote(name))})
                return
            self.send_file(name, kind)
        else:
            self.simple_response(404, b"not found\n")

    # ---- pages ----
    def api(self):
        return self.state.args.api_version

    def send_page(self, body, ctype):
        body = body.encode()
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.finish_request_log(304, 0)
            return
        self.simple_response(200, body, ctype, headers={"ETag": etag,
                                                         "Vary": "Accept"})

    def want_json(self):
        mode = self.state.args.mode
        if mode == "negotiate":
            return accept_json(self.headers.get("Accept"))
        return mode == "json"

    def root_page(self):
        projects = sorted(self.state.files())
        if self.want_json():
            self.send_page(json.dumps({
                "meta": {"api-version": self.api()},
                "projects": [{"name": p} for p in projects]}), JSON_TYPE)
        else:
            links = "".join('<a href="%s/">%s</a>\n' % (p, p) for p in projects)
            self.send_page(self.html_doc("Simple index", links), HTML_TYPE)

    def html_doc(self, title, body):
        return ("<!DOCTYPE html>\n<html>\n<head>\n"
                '<meta name="pypi:repository-version" content="%s">\n'
                "<title>%s</title>\n</head>\n<body>\n<h1>%s</h1>\n%s</body>\n</html>\n"
                % (html.escape(self.api()), title, title, body))

    def file_entries(self, names, href_prefix):
        meta = self.state.meta()
        out = []
        for name in names:
            m = meta.get(name, {})
            e = {"filename": name, "url": href_prefix + quote(name),
                 "hashes": {}, "size": os.path.getsize(
                     os.path.join(self.state.args.root, name))}
            if not self.state.args.no_hashes:
                e["hashes"]["sha256"] = self.state.sha256(name)
            if "requires-python" in m:
                e["requires-python"] = m["requires-python"]
            if m.get("yanked"):
                e["yanked"] = m["yanked"]
            out.append(e)
        return out

    def html_links(self, entries):
        lines = []
        for e in entries:
            href = e["url"]
            if "sha256" in e["hashes"]:
                href += "#sha256=" + e["hashes"]["sha256"]
            attrs = 'href="%s"' % html.escape(href)
            if "requires-python" in e:
                attrs += ' data-requires-python="%s"' % html.escape(e["requires-python"])
            if e.get("yanked") is True:
                attrs += " data-yanked"
            elif e.get("yanked"):
                attrs += ' data-yanked="%s"' % html.escape(e["yanked"])
            lines.append("<a %s>%s</a><br/>\n" % (attrs, html.escape(e["filename"])))
        return "".join(lines)

    def project_page(self, rest):
        name = unquote(rest.split("/", 1)[0])
        norm = normalize(name)
        if name != norm or not rest.endswith("/") or rest.count("/") != 1:
            self.simple_response(301, b"", headers={"Location": "/simple/%s/" % norm})
            return
        names = self.state.files().get(norm)
        if names is None:
            self.simple_response(404, ("no project %s\n" % norm).encode())
            return
        if self.want_json():
            entries = self.file_entries(names, "/files/")
            self.send_page(json.dumps({
                "meta": {"api-version": self.api()}, "name": norm,
                "files": entries}), JSON_TYPE)
        else:
            entries = self.file_entries(names, "../../files/")
            self.send_page(self.html_doc("Links for %s" % norm,
                                         self.html_links(entries)), HTML_TYPE)

    def links_page(self):
        names = [n for group in self.state.files().values() for n in group]
        entries = self.file_entries(sorted(names), "../files/")
        self.send_page(self.html_doc("Links", self.html_links(entries)),
                       "text/html; charset=utf-8")

    # ---- files ----
    def send_file(self, name, kind):
        path = os.path.join(self.state.args.root, name)
        if "/" in name or name.startswith(".") or not os.path.isfile(path):
            self.simple_response(404, b"no such file\n")
            return
        st = os.stat(path)
        etag = '"%s"' % self.state.sha256(name)[:32]
        mtime = email.utils.formatdate(st.st_mtime, usegmt=True)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm is not None and etag in [t.strip() for t in inm.split(",")]) or \
                (inm is None and ims == mtime):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", mtime)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.finish_request_log(304, 0)
            return
        size = st.st_size
        start, end, status = 0, size, 200
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if rng and (if_range is None or if_range in (etag, mtime)):
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if m is None or (m.group(1) == "" and m.group(2) == ""):
                self.simple_response(416, b"", headers={"Content-Range": "bytes */%d" % size})
                return
            if m.group(1) == "":
                start, end = max(0, size - int(m.group(2))), size
            else:
                start = int(m.group(1))
                end = min(size, int(m.group(2)) + 1) if m.group(2) else size
            if start >= size or start >= end:
                self.simple_response(416, b"", headers={"Content-Range": "bytes */%d" % size})
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", mtime)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size))
        self.end_headers()
        if self.command == "HEAD":
            self.finish_request_log(status, 0)
            return
        if kind is None and not self.state.args.throttle:
            # The plain case goes through sendfile(2): the server's own
            # copying would weigh on the timings of what it serves.
            with open(path, "rb") as f:
                sent = self.connection.sendfile(f, start, end - start)
            self.finish_request_log(status, sent)
            return
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
        if kind == "wrong":
            data = bytes(b ^ 0x5A for b in data)
        limit = len(data)
        if kind in ("truncate", "stall"):
            limit = len(data) // 2
        sent = self.write_throttled(data[:limit])
        if kind == "stall":
            self.state.stop.wait(self.state.args.stall_seconds)
        if kind in ("truncate", "stall"):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.finish_request_log(status, sent)

    def write_throttled(self, data):
        rate = self.state.args.throttle
        if not rate:
            self.wfile.write(data)
            return len(data)
        chunk = max(1024, rate // 20)
        t0, sent = time.monotonic(), 0
        while sent < len(data):
            if self.state.stop.is_set():
                break
            piece = data[sent:sent + chunk]
            self.wfile.write(piece)
            sent += len(piece)
            ahead = sent / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        return sent


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that hangs up mid-body is part of the tests, not news.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, BrokenPipeError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description="forklift's test package index")
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--pid-file", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", choices=("json", "html", "negotiate"), default="negotiate")
    ap.add_argument("--meta")
    ap.add_argument("--no-hashes", action="store_true")
    ap.add_argument("--auth")
    ap.add_argument("--redirect", choices=("same", "host"))
    ap.add_argument("--throttle", type=int, default=0)
    ap.add_argument("--fault", action="append", default=[])
    ap.add_argument("--stall-seconds", type=float, default=30.0)
    ap.add_argument("--api-version", default="1.1")
    ap.add_argument("--log")
    args = ap.parse_args(argv)
    try:
        Handler.state = State(args)
    except ValueError as e:
        ap.error(str(e))
    httpd = Server((args.host, args.port), Handler)
    done = threading.Event()

    def on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    write_atomic(args.pid_file, "%d\n" % os.getpid())
    write_atomic(args.port_file, "%d\n" % httpd.server_address[1])
    while not done.wait(0.5):
        pass
    Handler.state.stop.set()
    httpd.shutdown()
    httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
