#!/usr/bin/env python3
"""mkwheel: build wheels for forklift's tests, valid ones and hostile ones.

A wheel is described by a compact spec (a dict, or JSON on the command
line) and written byte for byte by this module's own zip writer, so that
archives the zipfile module refuses to produce (path traversal, duplicate
members, headers that lie) can be made too.  Output is deterministic: the
same spec always gives the same bytes.  Standard library only.

Spec keys (all optional except name and version):

  name, version       distribution name and version
  build               build tag ("1", "2abc")
  tags                "py3-none-any" (each field may be a "."-set)
  purelib             Root-Is-Purelib (default true)
  files               {path: CONTENT} at the archive root, in order
  data                {key: {path: CONTENT}} under NAME-VER.data/KEY/
  entry_points        {"console_scripts": {ep: "mod:attr"}, "gui_scripts": ...}
  entry_points_txt    raw entry_points.txt text (wins over entry_points)
  metadata            extra METADATA headers {"Requires-Python": ">=3.8"}
  metadata_text       raw METADATA text
  wheel               WHEEL overrides {"Wheel-Version": "2.0"}; None drops a key
  wheel_text          raw WHEEL text
  distinfo            dist-info directory name override
  distinfo_files      extra dist-info files {name: CONTENT}
  omit                dist-info files not to write: ["METADATA", "WHEEL", "RECORD"]
  no_distinfo         write no dist-info directory at all
  extra_distinfo      a second dist-info directory name (with METADATA/WHEEL/RECORD)
  members             raw members appended after the files: [MEMBER, ...]
  record              RECORD control, see below
  truncate            keep only this many bytes (negative: drop that many)
  filename            output file name override

CONTENT is a str (UTF-8), or a dict with one of "text", "hex", "b64",
"zeros" (that many NUL bytes) or "repeat" ([str, count]), plus optional
member options:

  mode                unix permission bits, int or octal str ("755", "4755")
  symlink             true: a symlink member; the content is the link text
  method              "deflate" (default), "store" or "bzip2"
  declared_size       uncompressed size written in both headers
  crc                 CRC-32 written in both headers
  local_name          name written in the local header only
  local_size, local_crc, local_method
                      values written in the local header only
  in_record           false: leave the member out of RECORD
  swallow_next        true (with "method": "store"): the next member's local
                      header and data are written inside this member's data
                      (overlapping members; RECORD lists this one's own data)
  utf8_flag           force the general-purpose UTF-8 flag on or off
                      (default: on when the name has non-ASCII bytes)
  cut                 bytes cut off the end of the compressed data (both
                      headers give the cut compressed size)

A MEMBER (in "members") is a CONTENT dict with a "name" (str) or
"name_hex" (raw bytes of the name) and optionally "dir": true for a
directory entry.

RECORD control ("record"): "omit": true; "algo": "md5"|"sha1"|"sha384"|...
for every row; "algo_for": {path: algo}; "corrupt": [paths] (wrong digest);
"bad_size": [paths]; "drop": [paths]; "nohash": [paths] (empty digest and
size); "extra": [paths] (rows for files not in the archive); "crlf": true;
"quote": true (quote every path).  By default RECORD is correct.

Command line:

  mkwheel.py [-o OUTDIR] SPEC_JSON...     build each spec, print the paths
  mkwheel.py [-o OUTDIR] -                 specs as JSON lines on stdin
  mkwheel.py [-o OUTDIR] --corpus          the varied valid corpus (CORPUS)
  mkwheel.py [-o OUTDIR] --synthetic=N[,SEED]
                                           N generated valid wheels (synthetic())
"""

import base64
import bz2
import hashlib
import json
import os
import re
import struct
import sys
import zlib

S_IFREG = 0o100000
S_IFDIR = 0o040000
S_IFLNK = 0o120000

METHODS = {"store": 0, "deflate": 8, "bzip2": 12}

# 2020-01-01 00:00:00 in MS-DOS form; every member gets it.
DOS_TIME = 0
DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1


def escape_name(name):
    """The filename/dist-info form of a project name: runs of -_. become _."""
    return re.sub(r"[-_.]+", "_", name)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def content_bytes(c):
    if isinstance(c, bytes):
        return c
    if isinstance(c, str):
        return c.encode("utf-8")
    if isinstance(c, dict):
        if "text" in c:
            t = c["text"]
            return t if isinstance(t, bytes) else t.encode("utf-8")
        if "hex" in c:
            return bytes.fromhex(c["hex"])
        if "b64" in c:
            return base64.b64decode(c["b64"])
        if "zeros" in c:
            return bytes(int(c["zeros"]))
        if "repeat" in c:
            s, n = c["repeat"]
            return (s if isinstance(s, bytes) else s.encode("utf-8")) * int(n)
        if "bytes" in c:
            return bytes(c["bytes"])
        return b""
    raise TypeError("bad content: %r" % (c,))


def parse_mode(m):
    if m is None:
        return None
    if isinstance(m, str):
        return int(m, 8)
    return int(m)


def record_digest(algo, data):
    h = hashlib.new(algo, data).digest()
    return base64.urlsafe_b64encode(h).rstrip(b"=").decode("ascii")


class Member:
    """One zip entry, with everything the writer may be told to lie about."""

    def __init__(self, name, data=b"", opts=None, is_dir=False):
        opts = opts or {}
        if isinstance(name, str):
            self.name = name.encode("utf-8")
        else:
            self.name = name
        self.data = data
        self.is_dir = is_dir or bool(opts.get("dir"))
        self.mode = parse_mode(opts.get("mode"))
        self.symlink = bool(opts.get("symlink"))
        self.method = METHODS[opts.get("method", "store" if self.is_dir else "deflate")]
        self.declared_size = opts.get("declared_size")
        self.crc = opts.get("crc")
        self.local_name = opts.get("local_name")
        self.local_size = opts.get("local_size")
        self.local_crc = opts.get("local_crc")
        self.local_method = opts.get("local_method")
        self.utf8_flag = opts.get("utf8_flag")
        self.in_record = opts.get("in_record", not self.is_dir)
        self.swallow_next = bool(opts.get("swallow_next"))
        self.cut = int(opts.get("cut", 0))

    def record_path(self):
        return self.name.decode("utf-8", "surrogateescape")

    def external_attr(self):
        if self.is_dir:
            return ((S_IFDIR | (self.mode if self.mode is not None else 0o755)) << 16) | 0x10
        if self.symlink:
            return (S_IFLNK | 0o777) << 16
        return (S_IFREG | (self.mode if self.mode is not None else 0o644)) << 16


def member_from(name, c, is_dir=False):
    opts = c if isinstance(c, dict) else {}
    return Member(name, content_bytes(c) if not is_dir else b"", opts, is_dir)


def compress(method, data):
    if method == 0:
        return data
    if method == 8:
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        return co.compress(data) + co.flush()
    if method == 12:
        return bz2.compress(data, 9)
    raise ValueError("method %d" % method)


def local_entry(m, data):
    """A member's local header (name included), its compressed bytes, and
    the CRC, uncompressed size and flags of its central directory entry."""
    comp = compress(m.method, data)
    if m.cut:
        comp = comp[:-m.cut]
    crc = m.crc if m.crc is not None else zlib.crc32(data) & 0xFFFFFFFF
    usize = m.declared_size if m.declared_size is not None else len(data)
    flags = 0
    utf8 = m.utf8_flag
    if utf8 is None:
        utf8 = any(b >= 0x80 for b in m.name)
    if utf8:
        flags |= 0x800
    need = 46 if m.method == 12 else 20
    lname = m.local_name.encode("utf-8") if m.local_name is not None else m.name
    lmethod = METHODS[m.local_method] if m.local_method is not None else m.method
    lcrc = m.local_crc if m.local_crc is not None else crc
    lsize = m.local_size if m.local_size is not None else usize
    head = struct.pack("<IHHHHHIIIHH", 0x04034B50, need, flags, lmethod,
                       DOS_TIME, DOS_DATE, lcrc, len(comp), lsize,
                       len(lname), 0) + lname
    return head, comp, crc, usize, flags, need


def zip_bytes(members):
    """Write a zip archive by hand: local headers, data, central directory.
    A member with "swallow_next" (stored) holds the next member's local
    header and data at the end of its own data: their data overlap."""
    out = bytearray()
    central = bytearray()
    inner = None
    for i, m in enumerate(members):
        data = m.data
        if m.swallow_next and i + 1 < len(members):
            h, c = local_entry(members[i + 1], members[i + 1].data)[:2]
            data = data + h + c
        head, comp, crc, usize, flags, need = local_entry(m, data)
        if inner is not None:
            offset = inner
            inner = None
        else:
            offset = len(out)
            out += head
            if m.swallow_next:
                inner = len(out) + len(m.data)
            out += comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50,
                               (3 << 8) | 20, need, flags, m.method,
                               DOS_TIME, DOS_DATE, crc, len(comp), usize,
                               len(m.name), 0, 0, 0, 0, m.external_attr(),
                               offset)
        central += m.name
    cd_off = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members),
                       len(members), len(central), cd_off, 0)
    return bytes(out)


def expand_tags(tags):
    py, abi, plat = tags.split("-")
    return ["%s-%s-%s" % (a, b, c) for a in py.split(".")
            for b in abi.split(".") for c in plat.split(".")]


def metadata_text(spec):
    if "metadata_text" in spec:
        return spec["metadata_text"]
    lines = ["Metadata-Version: 2.1", "Name: %s" % spec["name"],
             "Version: %s" % spec["version"]]
    for k, v in (spec.get("metadata") or {}).items():
        lines.append("%s: %s" % (k, v))
    return "\n".join(lines) + "\n\n"


def wheel_text(spec):
    if "wheel_text" in spec:
        return spec["wheel_text"]
    fields = [("Wheel-Version", "1.0"), ("Generator", "mkwheel 1"),
              ("Root-Is-Purelib", "true" if spec.get("purelib", True) else "false")]
    for t in expand_tags(spec.get("tags", "py3-none-any")):
        fields.append(("Tag", t))
    if spec.get("build"):
        fields.append(("Build", spec["build"]))
    over = spec.get("wheel") or {}
    lines = []
    done = set()
    for k, v in fields:
        if k in over:
            if k not in done and over[k] is not None:
                lines.append("%s: %s" % (k, over[k]))
            done.add(k)
            continue
        lines.append("%s: %s" % (k, v))
    for k, v in over.items():
        if k not in done and v is not None:
            lines.append("%s: %s" % (k, v))
    return "\n".join(lines) + "\n"


def entry_points_text(spec):
    if "entry_points_txt" in spec:
        return spec["entry_points_txt"]
    eps = spec.get("entry_points")
    if not eps:
        return None
    out = []
    for group, items in eps.items():
        out.append("[%s]" % group)
        for k, v in items.items():
            out.append("%s = %s" % (k, v))
        out.append("")
    return "\n".join(out)


def csv_field(s, quote_all):
    if quote_all or any(ch in s for ch in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def record_text(members, record_name, rc):
    algo = rc.get("algo", "sha256")
    algo_for = rc.get("algo_for") or {}
    corrupt = set(rc.get("corrupt") or ())
    bad_size = set(rc.get("bad_size") or ())
    drop = set(rc.get("drop") or ())
    nohash = set(rc.get("nohash") or ())
    quote = bool(rc.get("quote"))
    rows = []
    for m in members:
        if not m.in_record:
            continue
        p = m.record_path()
        if p in drop:
            continue
        a = algo_for.get(p, algo)
        data = m.data + b"corrupted" if p in corrupt else m.data
        size = len(m.data) + (1 if p in bad_size else 0)
        if p in nohash:
            rows.append((p, "", ""))
        else:
            rows.append((p, "%s=%s" % (a, record_digest(a, data)), str(size)))
    for p in rc.get("extra") or ():
        rows.append((p, "sha256=" + record_digest("sha256", p.encode()), "1"))
    rows.append((record_name, "", ""))
    nl = "\r\n" if rc.get("crlf") else "\n"
    return "".join(",".join(csv_field(f, quote and i == 0) for i, f in enumerate(r)) + nl
                   for r in rows)


def distinfo_members(dname, spec, with_ep=True):
    ms = []
    if "METADATA" not in (spec.get("omit") or ()):
        ms.append(Member(dname + "/METADATA", metadata_text(spec).encode()))
    if "WHEEL" not in (spec.get("omit") or ()):
        ms.append(Member(dname + "/WHEEL", wheel_text(spec).encode()))
    ep = entry_points_text(spec) if with_ep else None
    if ep is not None:
        ms.append(Member(dname + "/entry_points.txt", ep.encode()))
    for k, c in (spec.get("distinfo_files") or {}).items() if with_ep else ():
        ms.append(member_from(dname + "/" + k, c))
    return ms


def wheel_filename(spec):
    if spec.get("filename"):
        return spec["filename"]
    parts = [escape_name(spec["name"]), spec["version"]]
    if spec.get("build"):
        parts.append(spec["build"])
    parts.append(spec.get("tags", "py3-none-any"))
    return "-".join(parts) + ".whl"


def build_bytes(spec):
    """Return (filename, bytes) for a spec."""
    esc = escape_name(spec["name"])
    base = "%s-%s" % (esc, spec["version"])
    dname = spec.get("distinfo") or base + ".dist-info"
    files = spec.get("files")
    if files is None:
        files = {"%s/__init__.py" % esc.lower():
                 "__version__ = %r\n" % spec["version"]}
    members = [member_from(p, c) for p, c in files.items()]
    for key, items in (spec.get("data") or {}).items():
        for p, c in items.items():
            members.append(member_from("%s.data/%s/%s" % (base, key, p), c))
    for raw in spec.get("members") or ():
        name = bytes.fromhex(raw["name_hex"]) if "name_hex" in raw else raw["name"]
        members.append(member_from(name, raw, bool(raw.get("dir"))))
    rc = spec.get("record") or {}
    if not spec.get("no_distinfo"):
        members += distinfo_members(dname, spec)
        if spec.get("extra_distinfo"):
            extra = distinfo_members(spec["extra_distinfo"], spec, False)
            erec = spec["extra_distinfo"] + "/RECORD"
            extra.append(Member(erec, record_text(extra, erec, {}).encode()))
            members += extra
        if not rc.get("omit") and "RECORD" not in (spec.get("omit") or ()):
            rname = dname + "/RECORD"
            members.append(Member(rname, record_text(members, rname, rc)
                                  .encode("utf-8", "surrogateescape")))
    data = zip_bytes(members)
    t = spec.get("truncate")
    if t is not None:
        data = data[:t] if t >= 0 else data[:len(data) + t]
    return wheel_filename(spec), data


def build(spec, outdir="."):
    """Write the wheel for spec into outdir and return its path."""
    fn, data = build_bytes(spec)
    path = os.path.join(outdir, fn)
    with open(path, "wb") as f:
        f.write(data)
    return path


# A varied set of valid wheels: pure and platlib roots, every .data key,
# #!python scripts (LF and CRLF), plain scripts, console and GUI entry
# points, namespace-style shared directories, non-ASCII names, empty files,
# exec bits, licenses/ in dist-info, deep trees, and quoted RECORD paths.
CORPUS = [
    {"name": "alpha", "version": "1.0",
     "files": {"alpha/__init__.py": "VALUE = 'alpha'\n",
               "alpha/util.py": "def twice(x):\n    return 2 * x\n"}},
    {"name": "Beta.Pkg", "version": "2.1.post1",
     "files": {"beta_pkg/__init__.py": "",
               "beta_pkg/cli.py": "import sys\n\ndef main():\n    print('beta', sys.argv[1:])\n    return 3\n"},
     "entry_points": {"console_scripts": {"beta-cli": "beta_pkg.cli:main"}}},
    {"name": "gamma_plat", "version": "0.3", "purelib": False,
     "tags": "py3-none-any",
     "files": {"gamma_plat/__init__.py": "X = 1\n",
               "gamma_plat/data.bin": {"hex": "00ff10ab"}}},
    {"name": "delta", "version": "1.2.3",
     "files": {"delta/__init__.py": "",
               "delta/gui.py": "def run():\n    print('gui ran')\n    return 0\n",
               "delta/tool.py": "class Cmd:\n    @staticmethod\n    def main():\n        print('nested attr')\n        return 0\n"},
     "entry_points": {"gui_scripts": {"delta-gui": "delta.gui:run"},
                      "console_scripts": {"delta-tool": "delta.tool:Cmd.main [extra]"}}},
    {"name": "epsilon", "version": "4.0",
     "files": {"epsilon/__init__.py": ""},
     "data": {"scripts": {"eps-py": "#!python\nprint('eps lf')\n",
                          "eps-crlf": "#!python\r\nprint('eps crlf')\r\n",
                          "eps-w": "#!pythonw\nprint('eps w')\n",
                          "eps-sh": {"text": "#!/bin/sh\necho eps sh\n", "mode": "755"},
                          "eps-noexec": "#!/bin/sh\necho noexec\n"}}},
    {"name": "zeta", "version": "0.0.1",
     "files": {"zeta/__init__.py": ""},
     "data": {"data": {"share/zeta/readme.txt": "zeta data\n",
                       "share/zeta/sub/deep.txt": "deep\n"},
              "headers": {"zeta.h": "#define ZETA 1\n"},
              "purelib": {"zeta_extra/__init__.py": "EXTRA = True\n"},
              "platlib": {"zeta_plat/__init__.py": "PLAT = True\n"}}},
    {"name": "eta", "version": "1.0", "purelib": False,
     "files": {"eta/__init__.py": "", "eta/_native.txt": "pretend native\n"},
     "data": {"purelib": {"eta_pure/__init__.py": "P = 1\n"}}},
    {"name": "theta-ns-a", "version": "1.0",
     "files": {"theta_ns/a/__init__.py": "NAME = 'a'\n"}},
    {"name": "theta-ns-b", "version": "1.0",
     "files": {"theta_ns/b/__init__.py": "NAME = 'b'\n"}},
    {"name": "iota", "version": "1.0",
     "files": {"iota/__init__.py": "",
               "iota/caf\u00e9.txt": "non-ascii name\n",
               "iota/with space.txt": "space\n",
               "iota/comma,name.txt": "comma\n",
               "iota/empty.txt": "",
               "iota/run.sh": {"text": "#!/bin/sh\necho run\n", "mode": "755"},
               "iota/big.txt": {"repeat": ["0123456789abcdef\n", 20000]},
               "iota/stored.txt": {"text": "stored member\n", "method": "store"}},
     "distinfo_files": {"licenses/LICENSE": "MIT-ish\n",
                        "top_level.txt": "iota\n"},
     "record": {"quote": True}},
    {"name": "kappa", "version": "3.0", "build": "7",
     "files": {"kappa.py": "def main():\n    print('kappa main')\n    return 0\n",
               "kappa_pkg/a/b/c/d/e.py": "E = 5\n"},
     "entry_points": {"console_scripts": {"kappa": "kappa:main"}},
     "data": {"scripts": {"kappa": "#!python\nprint('setuptools wrapper')\n",
                          "kappa-script.py": "#!python\nprint('wrapper')\n",
                          "kappa.exe": {"hex": "4d5a9000"}}}},
    {"name": "lambda-crlf", "version": "1.0",
     "files": {"lambda_crlf/__init__.py": "A = 1\r\n"},
     "record": {"crlf": True}},
]


# A compiled-looking shared object: an ELF header and some padding.  The
# bytes are never loaded; they only have to look like what a real
# extension module brings (a binary, non-UTF-8, larger file).
def fake_so(seed, size=4096):
    head = bytes.fromhex("7f454c4602010100000000000000000003003e00")
    body = bytes((seed * 31 + i * 7) & 0xff for i in range(size - len(head)))
    return {"b64": base64.b64encode(head + body).decode("ascii"), "mode": "755"}


def synthetic(n, seed=0):
    """N valid wheels of varied shapes, deterministic for (n, seed): plain
    packages with subpackages, namespace packages shared by several
    distributions, many-file wheels, #!python and plain scripts, console
    and GUI entry points, .data/data, headers, purelib/platlib roots with
    compiled-looking .so files.  Every name is unique (syn-K-NNN)."""
    specs = []
    for i in range(n):
        k = (i + seed) % 7
        name = "syn-%d-%03d" % (seed, i)
        pkg = escape_name(name).lower()
        ver = "%d.%d.%d" % (1 + i % 3, i % 10, (i * 7) % 13)
        files = {"%s/__init__.py" % pkg: "N = %d\n" % i,
                 "%s/core.py" % pkg: "def f():\n    return %d\n" % i}
        s = {"name": name, "version": ver, "files": files}
        if k == 0:
            for j in range(60):
                files["%s/sub%d/m%02d.py" % (pkg, j % 6, j)] = "V = %d\n" % j
            for j in range(6):
                files["%s/sub%d/__init__.py" % (pkg, j)] = ""
        elif k == 1:
            # Namespace package pieces: no __init__.py in synns/.
            files["synns_%d/%s/__init__.py" % (seed, pkg)] = "PIECE = %r\n" % name
        elif k == 2:
            s["data"] = {"scripts": {"%s-py" % name: "#!python\nprint(%d)\n" % i,
                                     "%s-sh" % name: {"text": "#!/bin/sh\necho %d\n" % i,
                                                      "mode": "755"}}}
            s["entry_points"] = {"console_scripts": {"%s-cli" % name: "%s.core:f" % pkg},
                                 "gui_scripts": {"%s-gui" % name: "%s.core:f" % pkg}}
        elif k == 3:
            s["purelib"] = False
            files["%s/_speedups.cpython-311-x86_64-linux-gnu.so" % pkg] = fake_so(i)
            files["%s/_other.abi3.so" % pkg] = fake_so(i + 1, 2048)
        elif k == 4:
            s["data"] = {"data": {"share/%s/a.txt" % name: "data %d\n" % i,
                                  "share/%s/deep/b.json" % name: "{}\n"},
                         "headers": {"%s.h" % pkg: "#define X %d\n" % i}}
        elif k == 5:
            s["purelib"] = False
            s["data"] = {"purelib": {"%s_pure/__init__.py" % pkg: "P = 1\n"}}
            files["%s/big.txt" % pkg] = {"repeat": ["line %d\n" % i, 5000]}
        else:
            files["%s/empty.txt" % pkg] = ""
            files["%s/caf\u00e9.txt" % pkg] = "non-ascii\n"
            s["distinfo_files"] = {"licenses/LICENSE": "free\n"}
        specs.append(s)
    return specs


def main(argv):
    outdir = "."
    args = list(argv)
    if len(args) >= 2 and args[0] == "-o":
        outdir = args[1]
        args = args[2:]
    if not args:
        sys.stderr.write("usage: mkwheel.py [-o OUTDIR] SPEC_JSON... | - | --corpus | --synthetic=N[,SEED]\n")
        return 2
    os.makedirs(outdir, exist_ok=True)
    specs = []
    for a in args:
        if a == "--corpus":
            specs += CORPUS
        elif a.startswith("--synthetic="):
            n, _, seed = a.split("=", 1)[1].partition(",")
            specs += synthetic(int(n), int(seed or 0))
        elif a == "-":
            specs += [json.loads(line) for line in sys.stdin if line.strip()]
        else:
            specs.append(json.loads(a))
    for s in specs:
        print(build(s, outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
