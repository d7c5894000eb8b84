# tests/cli/lib.sh: helpers shared by forklift's end-to-end tests.
#
# Sourced by tests/cli/*.sh (after they made sure they run under bash).
# Gives each test a private temporary directory that is removed on exit
# (KEEP=1 keeps it), a cache directory inside it (nothing is written to
# $HOME), fast venv creation, wheel generation through tests/mkwheel.py,
# snapshots of directory trees, and assertions that count failures and
# print what was expected and what was found.  A test ends with `finish`:
# exit 0 when every assertion held, 1 otherwise; `skip` exits 77.

set -u

: "${SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${FORKLIFT:=$SRCDIR/src/forklift}"
MKWHEEL=$SRCDIR/tests/mkwheel.py
FAILS=0
CHECKS=0

skip()
{
	echo "SKIP: $*"
	exit 77
}

[ -x "$FORKLIFT" ] || skip "no forklift binary at $FORKLIFT"
command -v python3 >/dev/null 2>&1 || skip "python3 not found"
# The real interpreter, not a pyenv shim: saves ~0.1 s per call.
PY=$(python3 -c 'import sys; print(sys.executable)') || skip "python3 does not run"
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

T=$(mktemp -d "${TMPDIR:-/tmp}/forklift-cli.XXXXXX") || exit 99
T=$(cd "$T" && pwd -P)
cleanup()
{
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		chmod -R u+rwx "$T" 2>/dev/null
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$T/w" "$T/cache"
export FORKLIFT_CACHE_DIR="$T/cache" XDG_CACHE_HOME="$T/xdg" HOME="$T/home"
mkdir -p "$HOME"
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME PIP_REQUIRE_VIRTUALENV 2>/dev/null
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
export PYTHONDONTWRITEBYTECODE=1
umask 022

# ---- reporting ---------------------------------------------------------

ok()
{
	CHECKS=$((CHECKS + 1))
	[ -n "${VERBOSE_OK:-}" ] && echo "ok - $*"
	return 0
}

fail()
{
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "FAIL - $*"
	return 1
}

# Print a titled file, indented, for failure context.
show()
{
	echo "  --- $1"
	sed 's/^/  | /' "$2" | head -n "${3:-20}"
}

finish()
{
	echo "$(basename "$0"): $CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ] && exit 0
	exit 1
}

# ---- running -------------------------------------------------------------

# run CMD...: runs it, stdout in $T/out, stderr in $T/err, status in $RC.
run()
{
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
	return 0
}

# fk ARGS...: run forklift (see run).
fk()
{
	run "$FORKLIFT" "$@"
}

# fk_install VENV ARGS...: forklift install into VENV, without progress.
fk_install()
{
	local v=$1
	shift
	run "$FORKLIFT" install -p "$v" --no-progress "$@"
}

# pip_install VENV WHEEL...: the reference installer (after pip_usable).
pip_install()
{
	local v=$1
	shift
	run "${PIP_PY:-$PY}" -m pip --python "$v/bin/python" install --no-deps --no-index \
	    --no-compile --disable-pip-version-check -q "$@"
}

# pip_ok PYTHON: PYTHON imports a pip >= 22.3 (for --python).
pip_ok()
{
	"$1" - <<'EOF' 2>/dev/null
import sys
try:
    import pip
except ImportError:
    sys.exit(1)
v = tuple(int(x) for x in pip.__version__.split(".")[:2])
sys.exit(0 if v >= (22, 3) else 1)
EOF
}

# pip_usable: sets PIP_PY to an interpreter with a usable pip: $PY when it
# has one, else a venv of the test's own with pip from ensurepip (offline;
# Debian's python3-venv and python3-pip-whl), so that a python3 with no
# site packages still gets the comparison with pip.  Fails without both.
pip_usable()
{
	[ -n "${PIP_PY:-}" ] && return 0
	if pip_ok "$PY"; then
		PIP_PY=$PY
		return 0
	fi
	[ -x "$T/pip-tool/bin/python" ] ||
	    "$PY" -m venv "$T/pip-tool" >/dev/null 2>&1 || return 1
	pip_ok "$T/pip-tool/bin/python" || return 1
	PIP_PY=$T/pip-tool/bin/python
}

# ---- environments and wheels ---------------------------------------------

# mkvenv DIR [PYTHON]: a virtual environment without pip (fast).
mkvenv()
{
	"${2:-$PY}" -m venv --without-pip "$1" || {
		echo "cannot create venv $1" >&2
		exit 99
	}
}

# site_packages VENV: its purelib for $PY's version.
site_packages()
{
	echo "$1/lib/python$PYVER/site-packages"
}

# root_venv: the venv most tests install into, made fresh: V=$T/root/v,
# and SP, its site-packages.
root_venv()
{
	mkdir -p "$T/root"
	V=$T/root/v
	mkvenv "$V"
	SP=$(site_packages "$V")
}

# mkw SPEC_JSON...: build wheels into $T/w, print their paths.
mkw()
{
	"$PY" "$MKWHEEL" -o "$T/w" "$@" || {
		echo "mkwheel failed for: $*" >&2
		exit 99
	}
}

# mkw1 VAR SPEC_JSON: build one wheel and store its path in VAR.
mkw1()
{
	local p
	p=$(mkw "$2") || exit 99
	printf -v "$1" '%s' "$p"
}

# mkcases: JSON specs on stdin, one a line ('#' lines are comments), each
# with optional keys "case" (a description), "opts" (forklift options,
# split on blanks) and "expect" (strings the error must name).  Builds
# every wheel into $T/w and prints, per spec, its path, case, opts and
# expected strings separated by the unit separator \x1f.
mkcases()
{
	"$PY" -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import mkwheel
for n, line in enumerate(sys.stdin, 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    try:
        s = json.loads(line)
    except ValueError as e:
        sys.exit("case line %d: %s: %s" % (n, e, line))
    p = mkwheel.build(s, sys.argv[2])
    print("\x1f".join([p, s.get("case", s["name"]), " ".join(s.get("opts", []))]
                      + s.get("expect", [])))
' "$SRCDIR/tests" "$T/w" || {
		echo "mkcases failed" >&2
		exit 99
	}
}

# ---- snapshots -------------------------------------------------------------

# snap DIR: every entry under DIR (relative path, type, permission bits,
# link target) and the sha256 of every regular file, sorted.  The lock file
# forklift keeps in <venv>/.forklift/ (and that directory) are left out;
# anything else there, such as a leftover tx-* staging directory, is not.
snap()
{
	(
		cd "$1" || exit 99
		find . -printf '%p\t%y\t%m\t%l\n' | LC_ALL=C sort |
		    awk -F '\t' '$1 !~ /\/\.forklift$/ && $1 !~ /\/\.forklift\/lock$/'
		find . -type f ! -path '*/.forklift/lock' -print0 |
		    xargs -0 -r sha256sum | LC_ALL=C sort -k 2
	)
}

# assert_cmp DESC A B [FAILDESC]: files A and B hold the same bytes (else
# FAILDESC, or DESC, and the start of their diff).
assert_cmp()
{
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		fail "${4:-$1}"
		diff -u "$2" "$3" | sed -n '3,40p' | sed 's/^/  | /'
	fi
}

# assert_snap_same DESC BEFORE_FILE DIR: DIR still matches the snapshot.
assert_snap_same()
{
	snap "$3" >"$T/snap.now"
	assert_cmp "$1: $3 unchanged" "$2" "$T/snap.now" "$1: $3 changed"
}

# assert_no_staging DESC VENV: only .forklift/lock may remain of forklift's
# working files.
assert_no_staging()
{
	local left
	left=$(find "$2/.forklift" -mindepth 1 ! -name lock 2>/dev/null | head -5)
	if [ -z "$left" ]; then
		ok "$1: no staging leftovers"
	else
		fail "$1: leftovers in $2/.forklift: $left"
	fi
}

# ---- assertions --------------------------------------------------------------

assert_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: expected '$3', found '$2'"
	fi
}

# assert_rc DESC WANT: $RC (from run/fk) is WANT; shows stderr otherwise.
assert_rc()
{
	if [ "$RC" = "$2" ]; then
		ok "$1: exit $2"
	else
		fail "$1: expected exit $2, found $RC"
		show stdout "$T/out" 10
		show stderr "$T/err" 10
	fi
}

assert_file()
{
	if [ -f "$1" ]; then ok "file $1"; else fail "missing file $1"; fi
}

assert_no_path()
{
	if [ -e "$1" ] || [ -L "$1" ]; then
		fail "${2:-unexpected}: $1 exists"
	else
		ok "no $1"
	fi
}

# assert_content FILE TEXT: FILE holds exactly TEXT (no added newline).
assert_content()
{
	if [ ! -f "$1" ]; then
		fail "missing file $1"
	elif [ "$(cat "$1"; echo x)" = "${2}x" ]; then
		ok "content of $1"
	else
		fail "content of $1: expected $(printf %q "$2"), found $(printf %q "$(cat "$1")")"
	fi
}

# assert_grep DESC FIXED_STRING FILE
assert_grep()
{
	if grep -qF -- "$2" "$3"; then
		ok "$1"
	else
		fail "$1: '$2' not found in $(basename "$3")"
		show "$(basename "$3")" "$3" 10
	fi
}

assert_no_grep()
{
	if grep -qF -- "$2" "$3"; then
		fail "$1: '$2' found in $(basename "$3")"
		show "$(basename "$3")" "$3" 10
	else
		ok "$1"
	fi
}

# assert_mode DESC FILE OCTAL
assert_mode()
{
	local m
	m=$(stat -c %a "$2" 2>/dev/null)
	assert_eq "$1: mode of $(basename "$2")" "$m" "$3"
}

# assert_error_line DESC WHEEL_BASENAME [FIXED_STRING...]: stderr holds
# exactly one "forklift: error: " line; it names the wheel and every
# given string.
assert_error_line()
{
	local desc=$1 whl=$2 n line s
	shift 2
	n=$(grep -c '^forklift: error: ' "$T/err")
	if [ "$n" != 1 ]; then
		fail "$desc: expected one 'forklift: error:' line, found $n"
		show stderr "$T/err" 10
		return
	fi
	line=$(grep '^forklift: error: ' "$T/err")
	case $line in
	"forklift: error: $whl: "*) ok "$desc: error names the wheel" ;;
	*) fail "$desc: error line does not start with 'forklift: error: $whl: ': $line" ;;
	esac
	for s in "$@"; do
		case $line in
		*"$s"*) ok "$desc: error names '$s'" ;;
		*) fail "$desc: error does not name '$s': $line" ;;
		esac
	done
}

# ---- checks in Python --------------------------------------------------------

# check_records VENV BASELINE_SNAP: every dist-info INSTALLER-ed by forklift
# has a RECORD that is sorted, LF-ended, lists files that exist with the
# right sha256 and size (empty for RECORD and .pyc), and together the
# RECORDs list exactly the files added to VENV since BASELINE_SNAP (a snap
# of the fresh venv).  Prints one line per problem.
check_records()
{
	"$PY" - "$1" "$2" <<'EOF'
import base64, csv, hashlib, io, os, sys
venv, base = sys.argv[1], sys.argv[2]
venv = os.path.realpath(venv)
before = set()
for line in open(base, encoding="utf-8", errors="surrogateescape"):
    f = line.rstrip("\n").split("\t")
    if len(f) == 4:
        before.add(os.path.normpath(os.path.join(venv, f[0])))
problems = []
listed = set()
sp = [os.path.join(r, d) for r, ds, _ in os.walk(os.path.join(venv, "lib"))
      for d in ds if d == "site-packages"]
for site in sp:
    for d in sorted(os.listdir(site)):
        if not d.endswith(".dist-info"):
            continue
        di = os.path.join(site, d)
        try:
            inst = open(os.path.join(di, "INSTALLER"), "rb").read()
        except OSError:
            inst = b""
        if inst != b"forklift\n":
            continue
        raw = open(os.path.join(di, "RECORD"), "rb").read()
        if b"\r" in raw:
            problems.append("%s: RECORD has CR line ends" % d)
        if raw and not raw.endswith(b"\n"):
            problems.append("%s: RECORD does not end with LF" % d)
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
        paths = [r[0] for r in rows]
        if paths != sorted(paths):
            problems.append("%s: RECORD is not sorted" % d)
        if len(set(paths)) != len(paths):
            problems.append("%s: RECORD has duplicate paths" % d)
        for r in rows:
            if len(r) != 3:
                problems.append("%s: RECORD row %r has %d fields" % (d, r, len(r)))
                continue
            p, h, s = r
            full = os.path.normpath(os.path.join(site, p))
            if not (full + "/").startswith(venv + "/"):
                problems.append("%s: RECORD path %s is outside the venv" % (d, p))
                continue
            listed.add(full)
            if not os.path.isfile(full) or os.path.islink(full):
                problems.append("%s: RECORD lists %s, not a regular file" % (d, p))
                continue
            if p == d + "/RECORD" or p.endswith(".pyc"):
                if h or s:
                    problems.append("%s: %s should have empty hash and size" % (d, p))
                continue
            data = open(full, "rb").read()
            if not h.startswith("sha256="):
                problems.append("%s: %s: hash %r is not sha256" % (d, p, h))
                continue
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            if h[7:] != want:
                problems.append("%s: %s: RECORD hash %s, file has %s" % (d, p, h[7:], want))
            if s != str(len(data)):
                problems.append("%s: %s: RECORD size %s, file has %d" % (d, p, s, len(data)))
now = set()
for r, ds, fs in os.walk(venv):
    for f in fs:
        full = os.path.join(r, f)
        if os.path.relpath(full, venv) == os.path.join(".forklift", "lock"):
            continue
        if full not in before:
            now.add(full)
for p in sorted(now - listed):
    problems.append("installed but in no RECORD: %s" % os.path.relpath(p, venv))
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
}

assert_records()
{
	if check_records "$2" "$3" >"$T/rec.out" 2>&1; then
		ok "$1: installed RECORDs are complete and correct"
	else
		fail "$1: installed RECORDs"
		show problems "$T/rec.out" 30
	fi
}

# tree_diff A B: compare what was installed into two venvs made the same
# way (A by forklift, B by pip).  Files are compared by relative path,
# permission bits and bytes, with each venv's own path replaced by VENV.
# In bin/, forklift's files must be executable even where pip's are not.
# Not compared byte for byte, by design: RECORD, INSTALLER, direct_url.json
# (but RECORD must list the same existing files), entry-point launchers (run both
# with --fk-probe and compare exit status and stdout), and the first line
# of #!python scripts (both must point at an interpreter in their venv).
# TREE_DIFF_RUN=0: do not run them (for large corpora).
tree_diff()
{
	"$PY" - "$1" "$2" <<'EOF'
import configparser, csv, io, os, subprocess, sys
A, B = (os.path.realpath(p) for p in sys.argv[1:3])
RUN = os.environ.get("TREE_DIFF_RUN", "1") != "0"
SKIP_BIN = {"activate", "activate.csh", "activate.fish", "Activate.ps1"}
problems = []

def files(root):
    out = {}
    for r, ds, fs in os.walk(root):
        ds[:] = [d for d in ds if d not in (".forklift", "__pycache__")]
        for f in fs:
            full = os.path.join(r, f)
            rel = os.path.relpath(full, root)
            if rel == "pyvenv.cfg" or (rel.startswith("bin/") and
                    (f in SKIP_BIN or f.startswith("python"))):
                continue
            out[rel] = full
    return out

def launchers(root, fl):
    names = set()
    for rel, full in fl.items():
        if rel.endswith(".dist-info/entry_points.txt"):
            cp = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            cp.optionxform = str
            try:
                cp.read_string(open(full, encoding="utf-8").read())
            except Exception as e:
                problems.append("%s: %s" % (rel, e))
                continue
            for g in ("console_scripts", "gui_scripts"):
                if cp.has_section(g):
                    names.update("bin/" + k for k in cp[g])
    return names

def record_paths(full):
    # Only rows naming files that exist: pip keeps the rows of the
    # setuptools wrappers it skipped.
    site = os.path.dirname(os.path.dirname(full))
    rows = csv.reader(io.StringIO(open(full, encoding="utf-8").read()))
    return sorted(r[0] for r in rows
                  if r and os.path.isfile(os.path.join(site, r[0])))

def run(path):
    try:
        p = subprocess.run([path, "--fk-probe"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return type(e).__name__, b""
    return p.returncode, p.stdout

fa, fb = files(A), files(B)
for rel in sorted(set(fa) - set(fb)):
    problems.append("only in forklift's venv: %s" % rel)
for rel in sorted(set(fb) - set(fa)):
    problems.append("only in pip's venv: %s" % rel)
lau = launchers(A, fa) | launchers(B, fb)
compared = 0
for rel in sorted(set(fa) & set(fb)):
    a, b = fa[rel], fb[rel]
    ma, mb = os.stat(a).st_mode & 0o7777, os.stat(b).st_mode & 0o7777
    if rel.startswith("bin/"):
        # forklift makes everything in the scripts directory executable;
        # pip keeps a .data/scripts member's missing execute bits.
        mb |= 0o111
    if ma != mb:
        problems.append("%s: mode %o (forklift) vs %o (pip)" % (rel, ma, mb))
    base = os.path.basename(rel)
    if ".dist-info/" in rel and base in ("INSTALLER", "direct_url.json"):
        continue
    if ".dist-info/" in rel and base == "RECORD":
        ra, rb = record_paths(a), record_paths(b)
        if ra != rb:
            problems.append("%s: RECORD paths differ: only forklift %s, only pip %s"
                            % (rel, sorted(set(ra) - set(rb)), sorted(set(rb) - set(ra))))
        continue
    if rel in lau:
        if RUN and run(a) != run(b):
            problems.append("launcher %s: forklift %r, pip %r" % (rel, run(a), run(b)))
        compared += 1
        continue
    da = open(a, "rb").read().replace(A.encode(), b"VENV")
    db = open(b, "rb").read().replace(B.encode(), b"VENV")
    if rel.startswith("bin/") and da.startswith(b"#!") and da != db:
        la, _, ra_ = da.partition(b"\n")
        lb, _, rb_ = db.partition(b"\n")
        if not la.startswith(b"#!VENV/bin/python") or not lb.startswith(b"#!VENV/bin/python"):
            problems.append("%s: shebangs %r (forklift) vs %r (pip)" % (rel, la, lb))
        if ra_ != rb_:
            problems.append("%s: script bodies differ" % rel)
        if RUN and run(a) != run(b):
            problems.append("script %s: forklift %r, pip %r" % (rel, run(a), run(b)))
    elif da != db:
        problems.append("%s: bytes differ (%d vs %d bytes)" % (rel, len(da), len(db)))
    compared += 1
for p in problems:
    print(p)
print("compared %d files" % compared, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
}

assert_tree_same()
{
	if tree_diff "$2" "$3" >"$T/diff.out" 2>"$T/diff.err"; then
		ok "$1: same files, bytes and modes as pip ($(cat "$T/diff.err"))"
	else
		fail "$1: forklift and pip installed different trees"
		show differences "$T/diff.out" 40
		show stderr "$T/diff.err" 5
	fi
}
