#!/usr/bin/env python3
"""seeds.py: write the seed corpora of forklift's fuzz targets.

    seeds.py OUTDIR

makes OUTDIR/<target>/ for every target in tests/fuzz (wheel_name,
wheel_info, metadata, record, entry_points, version, reqs, archive,
index_html, index_json, toml) and fills it with small valid and nearly
valid inputs taken from the wheels tests/mkwheel.py builds (and a few
index pages and TOML documents), so the fuzzers start from the
interesting shapes instead of from nothing.  Generated on every run,
never committed.
Standard library only.
"""

import hashlib
import io
import os
import struct
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mkwheel  # noqa: E402


def write(outdir, target, data):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def members(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}


# Archives for the whole path: all named fz 1.0 (the fuzzer's file name).
ARCHIVES = [
    {},
    # An empty deflated member first: its inflate buffer is still NULL.
    {"files": {"fz/__init__.py": "", "fz/b.py": ""}},
    {"files": {"fz/__init__.py": "X = 1\n", "fz/sub/m.py": "", "fz.py": "Y = 2\n"},
     "entry_points": {"console_scripts": {"fz": "fz:main"},
                      "gui_scripts": {"fz-gui": "fz.sub.m:run"}}},
    {"purelib": False,
     "data": {"scripts": {"fz-py": "#!python\nprint(1)\n",
                          "fz-crlf": "#!pythonw\r\nprint(2)\r\n",
                          "fz-sh": {"text": "#!/bin/sh\n", "mode": "4755"}},
              "headers": {"fz.h": "#define FZ 1\n"},
              "data": {"share/fz/a.txt": "a\n"},
              "purelib": {"fz_pure/__init__.py": ""},
              "platlib": {"fz_plat/__init__.py": ""}}},
    {"files": {"fz/__init__.py": "", "fz/link": {"text": "../../../etc/passwd", "symlink": True},
               "fz/stored.txt": {"text": "stored\n", "method": "store"},
               "fz/__pycache__/x.cpython-311.pyc": "junk"}},
    {"files": {"fz/__init__.py": ""}, "record": {"crlf": True, "quote": True,
                                                 "extra": ["fz/not-there.py"]}},
    {"files": {"fz/__init__.py": ""}, "record": {"algo": "sha512"}},
    {"files": {"fz/__init__.py": ""},
     "members": [{"name": "fz/../../escape.txt", "text": "x"}]},
    {"files": {"fz/__init__.py": ""},
     "members": [{"name": "fz-1.0.data/unknown/x", "text": "x"}]},
    {"files": {"fz/a.txt": {"text": "a" * 1000, "declared_size": 10}}},
    {"files": {"fz/a.txt": {"text": "abc", "local_name": "fz/b.txt"}}},
    {"files": {"fz/a.txt": "one", "fz/a.txt/b": "two"}},
    {"files": {"fz/big.txt": {"repeat": ["0123456789", 5000]}}, "truncate": -40},
]

WHEEL_TEXTS = [
    "Wheel-Version: 1.0\nGenerator: x\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "Wheel-Version: 0.1\nRoot-Is-Purelib: false\n",
    "Wheel-Version: 1.9\r\nRoot-Is-Purelib: TRUE\r\n",
    "Wheel-Version: 2.0\n",
    "Wheel-Version:1.0\nRoot-Is-Purelib:true",
    "Generator: x\n",
    "Wheel-Version: 1.0.0.0\n Continued: x\n\nBody\n",
]

METADATA_TEXTS = [
    "Metadata-Version: 2.1\nName: fz\nVersion: 1.0\nRequires-Python: >=3.8\n\nbody\n",
    "Name: fz\nSummary: a\n  continued\n\tagain\nrequires-python: <4,  >=3\n",
    "Metadata-Version: 2.1\r\nName: fz\r\n\r\nRequires-Python: >=9\r\n",
    "Requires-Python\n: >=3\nName:\n",
]

ENTRY_POINTS_TEXTS = [
    "[console_scripts]\nfz = fz:main\nfz-b = fz.sub:Cls.meth [extra1, extra2]\n",
    "[gui_scripts]\nw=fz:w\n[other]\nx = y\n",
    "[console_scripts]\n  # comment\n; comment\nfz = fz\n",
    "[console_scripts]\npython3 = fz:main\n../x = fz:main\n",
    "[console_scripts]\r\nfz = fz:main\r\n[console_scripts]\r\nfz = fz:other\r\n",
]

VERSIONS = [
    "1.0\n>=1.0, <2",
    "1.0.post1.dev3+local.7\n==1.0.*",
    "v1!2.3rc4\n~=2.2, !=2.3.*",
    "3.11.7\n>=3.8, !=3.9.*, <4",
    "1.0a1\n<1.0",
    "2.0.0-RC1\n===2.0.0-RC1",
    "1.0\n>1.0.post0",
    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0\n",
    "1_0-b-2\n==1.0b2",
]

REQS_TEXTS = [
    "six==1.16.0\nattrs==23.1.0 ; python_version >= '3.8'\n",
    "# comment\nfoo[bar,baz] == 1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n",
    "-f ./wheels\n--no-index\nfoo @ file:///tmp/foo-1.0-py3-none-any.whl\n",
    "foo==1.0; sys_platform == 'linux' and (python_version < '3.12' or extra == 'test')\n",
    "--require-hashes\nfoo==1.0 --hash=sha256:" + "ab" * 32 + "\n",
    "-e .\nhttps://example.org/x.whl\n-r other.txt\n-c cons.txt\n",
    "platform_machine == 'x86_64' and implementation_name == \"cpython\"\n",
    "python_full_version ~= '3.11.0' or os_name != 'nt'\n",
]

TOML_TEXTS = [
    'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "six"\n'
    'version = "1.16.0"\nmarker = "python_version >= \'3.8\'"\n'
    'wheels = [{name = "six-1.16.0-py2.py3-none-any.whl", url = "https://e.org/six.whl", '
    'size = 11053, hashes = {sha256 = "' + "ab" * 32 + '"}}]\n'
    '[packages.tool.x]\ny = 1\n',
    "# c\r\na.b.c = 1\r\na.d = 'lit'\r\n[t]\r\nx = [1, 2.5, -inf, nan, true]\r\n",
    '\ufeffs = """\nmulti \\\n  line\\u00e9\\U0001F600"""\nl = \'\'\'\nraw \\n\'\'\'\n',
    "i = [0xdead_beef, 0o17, 0b101, +1_000, -9223372036854775808]\nf = 6.02e+23\n",
    "d = [1979-05-27T07:32:00Z, 1979-05-27 07:32:00.999-07:00, 1979-05-27T00:32:00, "
    "1979-05-27, 07:32:00.5]\n",
    "[[a.b]]\nx = 1\n[a.b.c]\ny = 2\n[[a.b]]\n[x.y.z]\n[x]\n",
    'it = {a = 1, b.c = {d = [{}, []]}, "q k" = \'\'}\n',
]

NAMES = [
    "six-1.16.0-py2.py3-none-any.whl",
    "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "pkg-1.0-1abc-py3-none-any.whl",
    "a-b-c-d-e-f.whl",
    "x.whl",
    "Foo.Bar_baz-2.0rc1-7-cp39.cp310-abi3-macosx_11_0_arm64.whl",
]

# Project pages: the first line of an HTML seed is also read as a URL.
INDEX_HTML_TEXTS = [
    "https://u:pw@h:1/a/../b?q#sha256=00\n<!DOCTYPE html><html><head>"
    "<meta name=\"pypi:repository-version\" content=\"1.1\"></head><body>\n"
    "<a href=\"../../f/fz-1.0-py3-none-any.whl#sha256=" + "ab" * 32 + "\" "
    "data-requires-python=\"&gt;=3.8\">fz-1.0-py3-none-any.whl</a><br/>\n"
    "<a href='fz-1.0.tar.gz' data-yanked='bad &quot;build&quot;'>fz-1.0.tar.gz</a>\n"
    "</body></html>\n",
    "//other.example/x\n<base href=\"/mirror/\"><A HREF=fz-1.0-1-cp311-cp311-"
    "manylinux_2_17_x86_64.whl DATA-YANKED>x</A><!-- <a href=c.whl> -->"
    "<script>'<a href=s.whl>'</script><a href=\"&#x2e;./&#46;/y.whl\">",
    "?only-query\n<a href=\"#frag\"><a href=\"\"><a href=\"[::1]\"><a\nhref\n=\nz.whl>",
    "http://[::1]:65536/\n<meta name=pypi:repository-version content=2.0>",
]

INDEX_JSON_TEXTS = [
    '{"meta":{"api-version":"1.1"},"name":"fz","files":['
    '{"filename":"fz-1.0-py3-none-any.whl","url":"../../f/fz-1.0-py3-none-any.whl",'
    '"hashes":{"sha256":"' + "ab" * 32 + '"},"requires-python":">=3.8",'
    '"yanked":false,"size":1234,"core-metadata":{"sha256":"00"}},'
    '{"filename":"fz-1.0.tar.gz","url":"https://cdn.example/fz-1.0.tar.gz#sha256=ef",'
    '"hashes":{},"yanked":"reason"}],"versions":["1.0"]}',
    '{"meta":{"api-version":"1.0"},"files":['
    '{"filename":"fz-1.0-cp311-cp311-win_amd64.whl","url":"a.whl","yanked":true},'
    '{"filename":"fz-1.0-2-cp311-abi3-manylinux_2_17_x86_64.whl","url":"b.whl",'
    '"requires-python":"<3"},{"filename":"fz-0.9-py3-none-any.whl","url":"c.whl"}]}',
    '{"meta":{"api-version":"2.0"},"files":[]}',
    '\ufeff{"files":[1,{"url":"x"},{"filename":"y"}]}',
]


def zip64_form(blob):
    """blob rewritten in zip64 form: each central entry's sizes and local
    header offset in a zip64 extra field, the end record's values in a
    zip64 end record and its locator; None when blob is not a whole
    archive (the seeds that are damaged on purpose)."""
    e = len(blob) - 22
    if e < 0 or blob[e:e + 4] != b"PK\5\6":
        return None
    count, size, off = struct.unpack("<HII", blob[e + 10:e + 20])
    cd, p = b"", off
    for _ in range(count):
        h = bytearray(blob[p:p + 46])
        if len(h) < 46 or h[:4] != b"PK\1\2":
            return None
        nl, el, cl = struct.unpack("<HHH", h[28:34])
        csize, usize = struct.unpack("<II", h[20:28])
        lh = struct.unpack("<I", h[42:46])[0]
        name = blob[p + 46:p + 46 + nl]
        extra = struct.pack("<HHQQQ", 1, 24, usize, csize, lh)
        h[20:28] = struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF)
        h[42:46] = struct.pack("<I", 0xFFFFFFFF)
        h[30:32] = struct.pack("<H", len(extra) + el)
        cd += bytes(h) + name + extra + blob[p + 46 + nl:p + 46 + nl + el + cl]
        p += 46 + nl + el + cl
    z = off + len(cd)
    rec = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0,
                      count, count, len(cd), off)
    loc = struct.pack("<IIQI", 0x07064B50, 0, z, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF,
                      0xFFFFFFFF, 0xFFFFFFFF, 0)
    return blob[:off] + cd + rec + loc + end


def main(argv):
    if len(argv) != 1:
        sys.stderr.write("usage: seeds.py OUTDIR\n")
        return 2
    out = argv[0]
    for name in NAMES:
        write(out, "wheel_name", name)
    for t in WHEEL_TEXTS:
        write(out, "wheel_info", t)
    for t in METADATA_TEXTS:
        write(out, "metadata", t)
    for t in ENTRY_POINTS_TEXTS:
        write(out, "entry_points", t)
    for t in VERSIONS:
        write(out, "version", t)
    for t in REQS_TEXTS:
        write(out, "reqs", t)
    for t in INDEX_HTML_TEXTS:
        write(out, "index_html", t)
    for t in INDEX_JSON_TEXTS:
        write(out, "index_json", t)
    for t in TOML_TEXTS:
        write(out, "toml", t)
    for spec in mkwheel.CORPUS:
        fn, blob = mkwheel.build_bytes(spec)
        write(out, "wheel_name", fn)
        for path, data in members(blob).items():
            base = path.rsplit("/", 1)[-1]
            if base in ("RECORD", "WHEEL", "METADATA", "entry_points.txt"):
                target = {"RECORD": "record", "WHEEL": "wheel_info",
                          "METADATA": "metadata",
                          "entry_points.txt": "entry_points"}[base]
                write(out, target, data)
    for extra in ARCHIVES:
        spec = {"name": "fz", "version": "1.0"}
        spec.update(extra)
        _, blob = mkwheel.build_bytes(spec)
        write(out, "archive", blob)
        z64 = zip64_form(blob)
        if z64 is not None:
            write(out, "archive", z64)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
