#!/bin/bash
# bytecode.sh: forklift install --compile-bytecode, for every CPython 3.7+
# under /root/.pyenv/versions that is present (and python3).  The .pyc
# files are byte for byte what `python -m compileall -d <site-packages>`
# of the same interpreter writes for copies of the sources with the same
# mtime (levels 0, 1 and 2, timestamp and SOURCE_DATE_EPOCH checked-hash
# pycs); importing uses them and rewrites none; co_filename is the final
# path; a syntax error is one warning and the install succeeds; RECORD
# lists the .pyc files; a reinstall and an upgrade leave no stale
# bytecode; uninstall removes it all.  Options: no bytecode by default,
# FORKLIFT_COMPILE_BYTECODE, --no-compile-bytecode, bad values exit 2.
# A compiler process that dies once is restarted; one that keeps dying
# fails the install with the environment unchanged.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

mkdir -p "$T/root"

mapfile -t W < <(mkw '{
  "name": "fkbc", "version": "1.0",
  "files": {
    "fkbc/__init__.py": "from . import mod\n",
    "fkbc/mod.py": "def f():\n    return where()\n\ndef where():\n    import sys\n    return sys._getframe().f_code.co_filename\n",
    "fkbc/empty.py": "",
    "fkbc/bad.py": "def broken(:\n    pass\n",
    "fkbc/esc.py": "import re\nR = re.compile(\"\\d+\")\n",
    "fkbc/sub/__init__.py": "",
    "fkbc/sub/deep.py": "assert True, \"kept at level 0 and 1 only\"\n\"\"\"docstring, gone at level 2\"\"\"\nX = [i * i for i in range(10)]\n",
    "fkbc/big.py": {"repeat": ["x = [1, (2, 3), {4: 5}]\n", 3000]},
    "fkbc/ünïcode.py": "U = \"ü\"\n",
    "fkbc/data.txt": "not python\n"
  },
  "data": {"purelib": {"fkextra.py": "E = 1\n"}}
}' '{
  "name": "fkplat", "version": "1.0", "purelib": false,
  "tags": "py3-none-any",
  "files": {"fkplat/__init__.py": "P = 2\n"}
}' '{
  "name": "fkbc", "version": "2.0",
  "files": {"fkbc/__init__.py": "V = 2\n"}
}')
W1=${W[0]} WP=${W[1]} W2=${W[2]}

# The versions to try: 3.7 and later, each once.
PYS=("$PY")
for p in /root/.pyenv/versions/3.*/bin/python3; do
	[ -x "$p" ] || continue
	"$p" -c 'import sys; sys.exit(sys.version_info < (3, 7))' 2>/dev/null || continue
	[ "$(readlink -f "$p")" = "$(readlink -f "$PY")" ] && continue
	PYS+=("$p")
done

purelib()
{
	"$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
}

# pyc_list DIR: "relative-path inode mtime size" of every .pyc under DIR.
pyc_list()
{
	(cd "$1" && find . -name '*.pyc' -printf '%p %i %T@ %s\n' | LC_ALL=C sort)
}

# oracle DESC VENV SP [PYTHON-FLAGS]: compileall of copies of SP's sources
# (same mtimes) with -d SP must give exactly SP's .pyc files of that level.
oracle()
{
	local desc=$1 v=$2 sp=$3 flags=${4:-} o=$T/oracle tag want got n=0 bad=0 f
	rm -rf "$o"
	mkdir -p "$o"
	cp -a "$sp/." "$o/" && find "$o" -name __pycache__ -prune -exec rm -rf {} + || {
		fail "$desc: cannot copy the sources"
		return
	}
	# shellcheck disable=SC2086
	"$v/bin/python" $flags -m compileall -q -d "$sp" "$o" >/dev/null 2>&1
	tag=$("$v/bin/python" $flags -c 'import importlib.util as u; print(u.cache_from_source("x.py").split("/")[-1][2:])')
	want=$(cd "$o" && find . -name "*.$tag" | LC_ALL=C sort)
	got=$(cd "$sp" && find . -name "*.$tag" | LC_ALL=C sort)
	if [ "$want" != "$got" ]; then
		fail "$desc: forklift wrote other *.$tag files than compileall"
		diff <(echo "$want") <(echo "$got") | sed 's/^/  | /' | head -10
		return
	fi
	for f in $want; do
		n=$((n + 1))
		cmp -s "$o/$f" "$sp/$f" || {
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && echo "  | differs: $f"
		}
	done
	if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
		ok "$desc: $n *.$tag files byte-identical to compileall -d"
	else
		fail "$desc: $bad of $n *.$tag files differ from compileall -d"
	fi
}

for py in "${PYS[@]}"; do
	ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	V=$T/root/v$ver
	mkvenv "$V" "$py"
	SP=$(purelib "$V")
	snap "$V" >"$T/fresh.snap"

	fk_install "$V" -j 3 --compile-bytecode --optimize 0,1,2 "$W1" "$WP"
	assert_rc "$ver: install --compile-bytecode" 0
	assert_eq "$ver: one warning, for bad.py" \
	    "$(grep -c 'warning' "$T/err")" 1
	assert_grep "$ver: the warning names the file" \
	    "fkbc-1.0-py3-none-any.whl: cannot compile '$SP/fkbc/bad.py': SyntaxError" "$T/err"
	assert_no_path "$SP/fkbc/__pycache__/bad.cpython-${ver/./}.pyc" "$ver: bad.py"
	assert_no_path "$SP/fkbc/__pycache__/data.cpython-${ver/./}.pyc" "$ver: data.txt"
	assert_file "$SP/fkbc/sub/__pycache__/deep.cpython-${ver/./}.opt-2.pyc"
	assert_file "$SP/__pycache__/fkextra.cpython-${ver/./}.pyc"
	assert_file "$SP/fkplat/__pycache__/__init__.cpython-${ver/./}.opt-1.pyc"
	assert_records "$ver" "$V" "$T/fresh.snap"
	assert_no_staging "$ver" "$V"

	oracle "$ver level 0" "$V" "$SP"
	oracle "$ver level 1" "$V" "$SP" -O
	oracle "$ver level 2" "$V" "$SP" -OO

	co=$("$V/bin/python" - "$SP/fkbc/__pycache__/mod.cpython-${ver/./}.pyc" <<'EOF'
import marshal, sys
data = open(sys.argv[1], "rb").read()
code = marshal.loads(data[16:])
names = set()
def walk(c):
    names.add(c.co_filename)
    for k in c.co_consts:
        if hasattr(k, "co_filename"):
            walk(k)
walk(code)
print(" ".join(sorted(names)))
EOF
)
	assert_eq "$ver: co_filename is the final path" "$co" "$SP/fkbc/mod.py"

	# Importing uses the .pyc files and rewrites none of them.
	before=$(pyc_list "$SP")
	env -u PYTHONDONTWRITEBYTECODE "$V/bin/python" -v -c '
import fkbc, fkbc.sub.deep, fkextra, fkplat
assert fkbc.mod.f() == fkbc.mod.__file__, (fkbc.mod.f(), fkbc.mod.__file__)
' >"$T/imp.out" 2>"$T/imp.err"
	RC=$?
	assert_rc "$ver: import" 0
	assert_eq "$ver: importing rewrote no .pyc" "$(pyc_list "$SP")" "$before"
	assert_grep "$ver: import loaded the .pyc" \
	    "code object from '$SP/fkbc/__pycache__/mod.cpython-${ver/./}.pyc'" "$T/imp.err"
	assert_no_grep "$ver: no stale bytecode" "bytecode is stale" "$T/imp.err"

	# A reinstall replaces the bytecode with the sources, silently.
	fk_install "$V" --reinstall --compile-bytecode "$W1"
	assert_rc "$ver: reinstall" 0
	assert_no_grep "$ver: reinstall overwrites nothing unowned" "already exists" "$T/err"
	assert_no_path "$SP/fkbc/__pycache__/mod.cpython-${ver/./}.opt-1.pyc" "$ver: old level 1"
	assert_file "$SP/fkbc/__pycache__/mod.cpython-${ver/./}.pyc"
	assert_records "$ver after reinstall" "$V" "$T/fresh.snap"

	# An upgrade without bytecode leaves none of the old.
	fk_install "$V" "$W2"
	assert_rc "$ver: upgrade" 0
	assert_no_path "$SP/fkbc/__pycache__/mod.cpython-${ver/./}.pyc" "$ver: old bytecode"
	assert_records "$ver after upgrade" "$V" "$T/fresh.snap"

	if "$FORKLIFT" uninstall --help >/dev/null 2>&1; then
		fk uninstall -p "$V" --no-progress fkbc fkplat
		assert_rc "$ver: uninstall" 0
		assert_snap_same "$ver: uninstall" "$T/fresh.snap" "$V"
	fi

	# SOURCE_DATE_EPOCH: checked-hash pycs, still what compileall writes.
	V=$T/root/e$ver
	mkvenv "$V" "$py"
	SP=$(purelib "$V")
	export SOURCE_DATE_EPOCH=1700000000
	fk_install "$V" --compile-bytecode "$W1"
	assert_rc "$ver: install with SOURCE_DATE_EPOCH" 0
	flags=$(od -An -tu4 -j4 -N4 "$SP/fkbc/__pycache__/mod.cpython-${ver/./}.pyc" | tr -d ' ')
	assert_eq "$ver: checked-hash pyc" "$flags" 3
	oracle "$ver SOURCE_DATE_EPOCH" "$V" "$SP"
	unset SOURCE_DATE_EPOCH
	before=$(pyc_list "$SP")
	env -u PYTHONDONTWRITEBYTECODE "$V/bin/python" -c 'import fkbc, fkextra'
	assert_eq "$ver: importing rewrote no checked-hash .pyc" "$(pyc_list "$SP")" "$before"
done

# ---- options ---------------------------------------------------------------
V=$T/root/opts
mkvenv "$V"
SP=$(purelib "$V")
fk_install "$V" "$W1"
assert_rc "no bytecode by default" 0
assert_no_path "$SP/fkbc/__pycache__" "default"
FORKLIFT_COMPILE_BYTECODE=1 fk_install "$V" --reinstall --no-compile-bytecode "$W1"
assert_rc "--no-compile-bytecode" 0
assert_no_path "$SP/fkbc/__pycache__" "--no-compile-bytecode"
FORKLIFT_COMPILE_BYTECODE=1 fk_install "$V" --reinstall "$W1"
assert_rc "FORKLIFT_COMPILE_BYTECODE=1" 0
assert_file "$SP/fkbc/__pycache__/mod.cpython-${PYVER/./}.pyc"
fk_install "$V" --reinstall --optimize 1 "$W1"
assert_rc "--optimize implies --compile-bytecode" 0
assert_file "$SP/fkbc/__pycache__/mod.cpython-${PYVER/./}.opt-1.pyc"
assert_no_path "$SP/fkbc/__pycache__/mod.cpython-${PYVER/./}.pyc" "--optimize 1"
for bad in 3 "0,,1" "" "x"; do
	fk_install "$V" --reinstall --optimize "$bad" "$W1"
	assert_rc "--optimize '$bad'" 2
done
FORKLIFT_COMPILE_BYTECODE=maybe fk_install "$V" --reinstall "$W1"
assert_rc "FORKLIFT_COMPILE_BYTECODE=maybe" 2
assert_grep "the bad value is named" "FORKLIFT_COMPILE_BYTECODE: 'maybe'" "$T/err"

# ---- compiler processes that die -------------------------------------------
# The venv's interpreter becomes a wrapper that kills itself when started
# as a compiler (its program imports py_compile), once or every time.
V=$T/root/die
mkvenv "$V"
SP=$(purelib "$V")
real=$(readlink -f "$V/bin/python")
rm "$V/bin/python"
cat >"$V/bin/python" <<EOF
#!/bin/bash
case \${3:-} in
*py_compile*)
	if [ -n "\${FK_DIE_ONCE:-}" ] && mkdir "\$FK_DIE_ONCE" 2>/dev/null; then
		kill -9 \$\$
	fi
	[ -n "\${FK_DIE_ALWAYS:-}" ] && kill -9 \$\$
	if [ -n "\${FK_HANG:-}" ]; then
		echo \$\$ >"\$FK_HANG.tmp" && mv "\$FK_HANG.tmp" "\$FK_HANG"
		exec sleep 120
	fi ;;
esac
exec -a "\$0" '$real' "\$@"
EOF
chmod +x "$V/bin/python"
fk list -p "$V"
snap "$V" >"$T/die.snap"
for j in 1 3; do
	FK_DIE_ALWAYS=1 fk_install "$V" -j $j --compile-bytecode "$W1" "$WP"
	assert_rc "-j $j: a compiler that keeps dying fails the install" 1
	assert_grep "-j $j: the error says why" "bytecode compiler" "$T/err"
	assert_grep "-j $j: the error names the signal" "killed by signal 9" "$T/err"
	assert_snap_same "-j $j: dying compilers" "$T/die.snap" "$V"
	assert_no_staging "-j $j: dying compilers" "$V"
done
# SIGINT while the compilers work: exit 130, nothing changed, none left.
# The wrapper leaves its markers in $T, outside staging, where a confined
# compile server may not write: --sandbox=off for the instrumented runs.
FK_HANG=$T/hanging "$FORKLIFT" install -p "$V" --no-progress -j 1 --compile-bytecode \
    --sandbox=off "$W1" >"$T/out" 2>"$T/err" &
fkpid=$!
for i in $(seq 300); do
	[ -e "$T/hanging" ] && break
	sleep 0.1
done
[ -e "$T/hanging" ] && ok "a compiler started" || fail "no compiler started"
kill -INT $fkpid
wait $fkpid
RC=$?
assert_rc "SIGINT while compiling" 130
assert_snap_same "SIGINT while compiling" "$T/die.snap" "$V"
assert_no_staging "SIGINT while compiling" "$V"
if [ -e "$T/hanging" ] && kill -0 "$(cat "$T/hanging")" 2>/dev/null; then
	fail "the compiler outlived forklift"
	kill -9 "$(cat "$T/hanging")"
else
	ok "no compiler outlives forklift"
fi

FK_DIE_ONCE=$T/died fk_install "$V" -j 1 --compile-bytecode --sandbox=off "$W1"
assert_rc "a compiler that dies once is restarted" 0
assert_file "$SP/fkbc/__pycache__/mod.cpython-${PYVER/./}.pyc"
assert_no_grep "no error after a restart" "error" "$T/err"
[ -d "$T/died" ] && ok "the compiler did die once" || fail "the compiler never died"
oracle "after a restart" "$V" "$SP"

finish
