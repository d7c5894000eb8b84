#!/usr/bin/env python3
"""fetchserver.py: the small HTTP(S) server check_fetch starts for itself.

    fetchserver.py DATA_DIR PORT_FILE LOG_FILE [CERT KEY]

Listens on 127.0.0.1, port 0 (and, with CERT and KEY, a second TLS port),
writes "HTTP_PORT [HTTPS_PORT]" to PORT_FILE once it accepts connections,
and appends one JSON line per request to LOG_FILE.  GET /f/NAME serves
DATA_DIR/NAME; the query string injects faults:

    fail=N        the first N requests for this exact URL answer code= (503)
    ra=S          with fail: Retry-After: S
    code=C        without fail: always answer C
    trunc=K       the first request sends K bytes of the body, then closes
    ranges=1      Accept-Ranges: bytes, and Range requests answered with 206
    stall=1       send half the body, then nothing for a minute
    redir=URL     302 to URL
    loop=1        302 to this same URL, forever
    etag=1        ETag and Last-Modified; 304 for a matching If-None-Match
"""
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

DATA, PORT_FILE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
hits = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log_request_line(self):
        rec = {
            "path": self.path,
            "host": self.headers.get("Host"),
            "auth": self.headers.get("Authorization"),
            "range": self.headers.get("Range"),
            "inm": self.headers.get("If-None-Match"),
            "accept": self.headers.get("Accept"),
            "tls": isinstance(self.connection, ssl.SSLSocket),
        }
        with lock:
            with open(LOG, "a") as f:
                f.write(json.dumps(rec) + "\n")

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.log_request_line()
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        with lock:
            n = hits[self.path] = hits.get(self.path, 0) + 1
        if "loop" in q:
            return self.reply(302, b"", [("Location", self.path)])
        if "redir" in q:
            return self.reply(302, b"", [("Location", q["redir"])])
        if "fail" in q and n <= int(q["fail"]):
            hdrs = [("Retry-After", q["ra"])] if "ra" in q else []
            return self.reply(int(q.get("code", 503)), b"busy\n", hdrs)
        if "code" in q and "fail" not in q:
            return self.reply(int(q["code"]), b"no\n")
        name = u.path[len("/f/"):] if u.path.startswith("/f/") else ""
        path = os.path.join(DATA, os.path.basename(name))
        if not name or not os.path.isfile(path):
            return self.reply(404, b"not found\n")
        with open(path, "rb") as f:
            body = f.read()
        hdrs = []
        if q.get("etag"):
            tag = '"%d"' % len(body)
            hdrs += [("ETag", tag), ("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT")]
            if self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                for k, v in hdrs:
                    self.send_header(k, v)
                self.end_headers()
                return
        if q.get("ranges"):
            hdrs.append(("Accept-Ranges", "bytes"))
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
                part = body[start:]
                hdrs.append(("Content-Range", "bytes %d-%d/%d" %
                             (start, len(body) - 1, len(body))))
                return self.reply(206, part, hdrs)
        if (q.get("trunc") and n == 1) or q.get("stall"):
            cut = int(q["trunc"]) if q.get("trunc") else len(body) // 2
            self.send_response(200)
            for k, v in hdrs:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:cut])
            self.wfile.flush()
            if q.get("stall"):
                time.sleep(60)
            self.close_connection = True
            return
        self.reply(200, body, hdrs)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    ports = []
    servers = [Server(("127.0.0.1", 0), Handler)]
    if len(sys.argv) > 5:
        tls = Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
    for s in servers:
        ports.append(str(s.server_address[1]))
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(" ".join(ports) + "\n")
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    # Leave with the test that started us, however it ends.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.2)


main()
