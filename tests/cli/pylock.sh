#!/bin/bash
# pylock.sh: sync and install -r read PEP 751 lock files (pylock.toml,
# pylock.NAME.toml) written by hand: path entries relative to the lock
# file (wheels in another directory), extras and dependency groups (with
# default-groups), a package for another platform skipped by its marker,
# an sdist-only package refused when selected and skipped when not; each
# sync gives the same tree as installing the same wheel files; no-op,
# --dry-run and --json; malformed files, unknown and missing keys, empty
# hashes, wrong hash and size: exit 1 naming file, line and key, nothing
# changed.  A package's index: a wheel with neither url nor path found
# there by file name, a url that answers 404 or cannot be reached replaced
# by the index's (with --no-cache too), wrong hashes and a file the index
# lacks refused, the archive cache alone with --offline; a url with an
# index downloaded while the workers stage the others.  A lock file written by pip >= 26.1
# or uv when there is one.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

mkdir -p "$T/wheels" "$T/lock"
root_venv
snap "$V" >"$T/fresh.snap"

mkw '{"name": "alpha", "version": "1.0", "files": {"alpha.py": "A = 1\n"}}' \
    '{"name": "beta", "version": "2.0", "files": {"beta.py": "def main():\n    return 0\n"},
      "entry_points": {"console_scripts": {"beta-run": "beta:main"}}}' \
    '{"name": "gamma_x", "version": "0.1", "files": {"gamma_x/__init__.py": "G = 1\n"}}' \
    '{"name": "delta", "version": "1.0", "files": {"delta.py": "D = 1\n"}}' \
    '{"name": "epsilon", "version": "1.0", "files": {"epsilon.py": ""}}' \
    '{"name": "winonly", "version": "1.0", "tags": "py3-none-win_amd64",
      "files": {"winonly.py": ""}}' >/dev/null
mv "$T"/w/*.whl "$T/wheels/"
printf 'not a real sdist\n' >"$T/wheels/sdonly-1.0.tar.gz"
W=$T/wheels

# lockpkg NAME VERSION FILE [MARKER [KIND]]: one [[packages]] entry for the
# file in $W (KIND wheels, the default, or sdist), path relative to $T/lock,
# or with LOCK_URL set, url = "$LOCK_URL/FILE" (LOCK_URL=-: neither url nor
# path); with LOCK_INDEX set, index = "$LOCK_INDEX".  FILE may be absolute.
lockpkg()
{
	local f=$W/$3
	case $3 in /*) f=$3 ;; esac
	"$PY" - "$f" "$1" "$2" "${4:-}" "${5:-wheels}" "${LOCK_URL:-}" \
	    "${LOCK_INDEX:-}" <<'EOF'
import hashlib, os, sys
f, name, ver, marker, kind, base, index = sys.argv[1:]
b = open(f, "rb").read()
print("[[packages]]")
print('name = "%s"' % name)
print('version = "%s"' % ver)
if marker:
    print('marker = "%s"' % marker)
if index:
    print('index = "%s"' % index)
where = ('url = "%s/%s"' % (base, os.path.basename(f)) if base and base != "-"
         else 'path = "../wheels/%s"' % os.path.basename(f) if not base else "")
where = where + ", " if where else ""
entry = ('{name = "%s", %ssize = %d, hashes = '
         '{sha256 = "%s", sha512 = "%s", blake2b = "%s"}}'
         % (os.path.basename(f), where, len(b),
            hashlib.sha256(b).hexdigest(), hashlib.sha512(b).hexdigest(),
            hashlib.blake2b(b).hexdigest()))
print(("wheels = [%s]" if kind == "wheels" else "sdist = %s") % entry)
print()
EOF
}

HEAD='lock-version = "1.0"
created-by = "forklift tests, by hand"
requires-python = ">=3.8"
extras = ["cli"]
dependency-groups = ["dev", "docs"]
default-groups = ["dev"]
'
{
	printf '%s\n' "$HEAD"
	lockpkg alpha 1.0 alpha-1.0-py3-none-any.whl
	lockpkg beta 2.0 beta-2.0-py3-none-any.whl "'cli' in extras"
	lockpkg gamma-x 0.1 gamma_x-0.1-py3-none-any.whl "'dev' in dependency_groups"
	lockpkg winonly 1.0 winonly-1.0-py3-none-win_amd64.whl "sys_platform == 'win32'"
	lockpkg sdonly 1.0 sdonly-1.0.tar.gz "'docs' in dependency_groups" sdist
	printf '[tool.example]\nanything = "ignored"\n'
} >"$T/lock/pylock.toml"
# The docs group without the sdist-only package.
{
	printf '%s\n' "$HEAD"
	lockpkg alpha 1.0 alpha-1.0-py3-none-any.whl
	lockpkg beta 2.0 beta-2.0-py3-none-any.whl "'cli' in extras"
	lockpkg gamma-x 0.1 gamma_x-0.1-py3-none-any.whl "'dev' in dependency_groups"
	lockpkg delta 1.0 delta-1.0-py3-none-any.whl "'docs' in dependency_groups"
} >"$T/lock/pylock.docs.toml"
L=$T/lock/pylock.toml

sync_()
{
	run "$FORKLIFT" sync -p "$V" --no-progress "$@"
}

freeze()
{
	"$FORKLIFT" list -p "$V" --format=freeze | tr '\n' ' '
}

# same_as_install DESC WHEEL...: a fresh venv with these wheel files
# installed by forklift has the same tree as $V.
same_as_install()
{
	local desc=$1 ref=$T/root/ref
	shift
	rm -rf "$ref"
	mkvenv "$ref"
	(cd "$W" && "$FORKLIFT" install -p "$ref" --no-progress "$@") >/dev/null 2>&1 ||
	    fail "$desc: install of the same wheels from files"
	assert_tree_same "$desc" "$ref" "$V"
}

# same_as_reqs DESC LINE...: the same, for the requirements LINEs installed
# with --no-index --find-links $W (a pin found there has no direct_url.json,
# as a wheel from an index has none).
same_as_reqs()
{
	local desc=$1 ref=$T/root/ref
	shift
	rm -rf "$ref"
	mkvenv "$ref"
	printf '%s\n' "$@" >"$T/root/ref.txt"
	"$FORKLIFT" install -p "$ref" --no-progress --no-index -f "$W" \
	    -r "$T/root/ref.txt" >/dev/null 2>&1 ||
	    fail "$desc: install of the same wheels by requirements"
	assert_tree_same "$desc" "$ref" "$V"
}

# ---- default groups, the platform marker, the sdist's marker -----------------
sync_ "$L"
assert_rc "sync, default groups" 0
assert_eq "sync, default groups: installed set" "$(freeze)" "alpha==1.0 gamma_x==0.1 "
assert_no_path "$SP/winonly.py" "a package for another platform"
assert_grep "direct_url.json names the wheel file" \
    "file://$W/alpha-1.0-py3-none-any.whl" "$SP/alpha-1.0.dist-info/direct_url.json"
assert_records "sync, default groups" "$V" "$T/fresh.snap"
assert_no_staging "sync, default groups" "$V"
same_as_install "sync, default groups" "$W/alpha-1.0-py3-none-any.whl" \
    "$W/gamma_x-0.1-py3-none-any.whl"

# ---- no-op: nothing opened, nothing changed ----------------------------------
snap "$V" >"$T/s1.snap"
mv "$W" "$T/wheels-away"
sync_ "$L"
assert_rc "no-op sync" 0
assert_grep "no-op sync says so" "nothing to do" "$T/err"
assert_snap_same "no-op sync (wheels moved away)" "$T/s1.snap" "$V"
mv "$T/wheels-away" "$W"

# ---- --extra ------------------------------------------------------------------
sync_ --extra cli --dry-run "$L"
assert_rc "--extra --dry-run" 0
assert_eq "--extra --dry-run: the plan" "$(cat "$T/out")" "+ beta 2.0"
assert_snap_same "--extra --dry-run" "$T/s1.snap" "$V"
sync_ --extra cli --dry-run --json "$L"
assert_rc "--extra --dry-run --json" 0
assert_eq "--extra --dry-run --json: the plan" "$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["dry_run"], d["ok"], [(r["name"], r["version"]) for r in d["install"]],
      d["remove"], sorted(r["name"] for r in d["unchanged"]))
' "$T/out" 2>&1)" "True True [('beta', '2.0')] [] ['alpha', 'gamma_x']"
sync_ --extra cli "$L"
assert_rc "sync --extra cli" 0
assert_eq "sync --extra cli: installed set" "$(freeze)" "alpha==1.0 beta==2.0 gamma_x==0.1 "
assert_file "$V/bin/beta-run"
same_as_install "sync --extra cli" "$W/alpha-1.0-py3-none-any.whl" \
    "$W/beta-2.0-py3-none-any.whl" "$W/gamma_x-0.1-py3-none-any.whl"

# ---- --group replaces default-groups; removal of what is not selected --------
sync_ --group docs "$T/lock/pylock.docs.toml"
assert_rc "sync --group docs" 0
assert_eq "sync --group docs: installed set" "$(freeze)" "alpha==1.0 delta==1.0 "
assert_no_path "$V/bin/beta-run" "a removed package's launcher"
assert_records "sync --group docs" "$V" "$T/fresh.snap"
same_as_install "sync --group docs" "$W/alpha-1.0-py3-none-any.whl" \
    "$W/delta-1.0-py3-none-any.whl"

# ---- an sdist-only package: refused when selected ----------------------------
snap "$V" >"$T/s2.snap"
sync_ --group docs "$L"
assert_rc "a selected sdist-only package" 1
assert_grep "the refusal names the package" "sdonly" "$T/err"
assert_grep "the refusal names the lock file" "$L:" "$T/err"
assert_snap_same "a selected sdist-only package" "$T/s2.snap" "$V"

# ---- install -r: the lock file's picks, nothing removed -----------------------
run "$FORKLIFT" install -p "$V" --no-progress --extra cli -r "$L"
assert_rc "install -r pylock.toml --extra cli" 0
assert_eq "install -r: nothing removed" "$(freeze)" \
    "alpha==1.0 beta==2.0 delta==1.0 gamma_x==0.1 "
same_as_install "install -r pylock.toml" "$W/alpha-1.0-py3-none-any.whl" \
    "$W/beta-2.0-py3-none-any.whl" "$W/delta-1.0-py3-none-any.whl" \
    "$W/gamma_x-0.1-py3-none-any.whl"

# ---- errors: exit 1 naming file, line and key; nothing changed ---------------
snap "$V" >"$T/s3.snap"
# bad DESC STATUS FILE_TEXT STRING...: sync to pylock.bad.toml holding
# FILE_TEXT fails with STATUS, names every STRING, changes nothing.
bad()
{
	local desc=$1 want=$2 text=$3 s
	shift 3
	printf '%s' "$text" >"$T/lock/pylock.bad.toml"
	sync_ "$T/lock/pylock.bad.toml"
	assert_rc "$desc" "$want"
	for s in "$@"; do
		assert_grep "$desc: names '$s'" "$s" "$T/err"
	done
	assert_snap_same "$desc" "$T/s3.snap" "$V"
}
B=$T/lock/pylock.bad.toml
# epsilon is not installed: its wheel must be read and checked.
EPS=$(lockpkg epsilon 1.0 epsilon-1.0-py3-none-any.whl)
bad "malformed TOML" 1 'lock-version = "1.0"
created-by = "x"
[[packages]
name = "alpha"
' "$B:3:"
bad "an unknown package key (lock-version 1.0)" 1 'lock-version = "1.0"
created-by = "x"
[[packages]]
name = "alpha"
colour = "blue"
' "$B:5:" "colour"
bad "no created-by" 1 'lock-version = "1.0"
packages = []
' "$B:1:" "created-by"
bad "no package name" 1 'lock-version = "1.0"
created-by = "x"
[[packages]]
version = "1.0"
' "$B:3:" "name"
bad "an empty hashes table" 1 "lock-version = \"1.0\"
created-by = \"x\"
[[packages]]
name = \"alpha\"
version = \"1.0\"
wheels = [{path = \"../wheels/alpha-1.0-py3-none-any.whl\", hashes = {}}]
" "$B:6:" "hashes"
bad "a wrong sha512" 1 "lock-version = \"1.0\"
created-by = \"x\"
$(printf '%s\n' "$EPS" | sed 's/sha512 = "./sha512 = "0/; s/sha512 = "00/sha512 = "11/')
" "$B:3" "hashes" "epsilon-1.0-py3-none-any.whl" "sha512:"
bad "a wrong size" 1 "lock-version = \"1.0\"
created-by = \"x\"
$(printf '%s\n' "$EPS" | sed 's/size = \([0-9]*\)/size = 1\1/')
" "$B:3" "size" "epsilon-1.0-py3-none-any.whl"
bad "no hash algorithm forklift knows" 1 "lock-version = \"1.0\"
created-by = \"x\"
[[packages]]
name = \"epsilon\"
version = \"1.0\"
wheels = [{path = \"../wheels/epsilon-1.0-py3-none-any.whl\", hashes = {nohash99 = \"00\"}}]
" "epsilon-1.0-py3-none-any.whl" "hashes"
bad "a missing wheel file" 1 "lock-version = \"1.0\"
created-by = \"x\"
$(printf '%s\n' "$EPS" | sed 's/epsilon-1.0-py3/epsilon-1.0-py2.py3/g')
" "epsilon-1.0-py2.py3-none-any.whl" "$B:3"
bad "lock-version 2" 1 'lock-version = "2.0"
created-by = "x"
' "$B:1:" "lock-version"
# Usage problems: exit 2.
sync_ --extra cli "$T/lock/req.txt"
assert_rc "--extra without a lock file" 2
assert_grep "--extra without a lock file: says so" "lock file" "$T/err"
sync_ --extra nosuch "$L"
assert_rc "an extra the lock file does not declare" 1
assert_grep "an unknown extra: named" "nosuch" "$T/err"
assert_snap_same "usage errors" "$T/s3.snap" "$V"
# Only pylock.toml and pylock.NAME.toml are lock files.
cp "$L" "$T/lock/mylock.toml"
sync_ "$T/lock/mylock.toml"
assert_rc "mylock.toml is read as a requirements file" 1
assert_snap_same "mylock.toml" "$T/s3.snap" "$V"

# ---- url entries, served by the test index ------------------------------------
if true; then
	SERVER_PID=$T/index.pid
	trap '[ -s "$SERVER_PID" ] && kill "$(cat "$SERVER_PID")" 2>/dev/null; wait; cleanup' EXIT
	"$PY" "$SRCDIR/tests/indexserver.py" --root "$W" --port-file "$T/index.port" \
	    --pid-file "$SERVER_PID" --log "$T/index.log" 2>"$T/index.err" &
	for i in $(seq 100); do
		[ -s "$T/index.port" ] && [ -s "$SERVER_PID" ] && break
		sleep 0.1
	done
	[ -s "$T/index.port" ] || { show "index server" "$T/index.err"; exit 99; }
	FILES=http://127.0.0.1:$(cat "$T/index.port")/files
	EPSU=$(LOCK_URL=$FILES lockpkg epsilon 1.0 epsilon-1.0-py3-none-any.whl)
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		lockpkg alpha 1.0 alpha-1.0-py3-none-any.whl
		LOCK_URL=$FILES lockpkg delta 1.0 delta-1.0-py3-none-any.whl
		printf '%s\n' "$EPSU"
	} >"$T/lock/pylock.url.toml"
	snap "$V" >"$T/s4.snap"
	bad "a wrong sha512 of a url entry" 1 "lock-version = \"1.0\"
created-by = \"x\"
$(printf '%s\n' "$EPSU" | sed 's/sha512 = "./sha512 = "0/; s/sha512 = "00/sha512 = "11/')
" "epsilon-1.0-py3-none-any.whl" "hashes" "sha512:" "$FILES/epsilon-1.0-py3-none-any.whl"
	bad "a wrong size of a url entry" 1 "lock-version = \"1.0\"
created-by = \"x\"
$(printf '%s\n' "$EPSU" | sed 's/size = \([0-9]*\)/size = 1\1/')
" "epsilon-1.0-py3-none-any.whl"
	bad "a url entry without sha256" 1 "lock-version = \"1.0\"
created-by = \"x\"
$(printf '%s\n' "$EPSU" | sed 's/sha256 = "[0-9a-f]*", //')
" "$B:3" "sha256" "hashes"
	sync_ "$T/lock/pylock.url.toml"
	assert_rc "sync url entries" 0
	assert_eq "sync url entries: installed set" "$(freeze)" \
	    "alpha==1.0 delta==1.0 epsilon==1.0 "
	assert_grep "url entries were downloaded" "epsilon-1.0-py3-none-any.whl" "$T/index.log"
	assert_grep "direct_url.json names the URL" \
	    "$FILES/epsilon-1.0-py3-none-any.whl" "$SP/epsilon-1.0.dist-info/direct_url.json"
	same_as_install "sync url entries" "$W/alpha-1.0-py3-none-any.whl" \
	    "$W/delta-1.0-py3-none-any.whl" "$W/epsilon-1.0-py3-none-any.whl"
	sync_ "$T/lock/pylock.url.toml"
	assert_rc "sync url entries again" 0
	assert_grep "sync url entries again: nothing to do" "nothing to do" "$T/err"
	# The workers, confined, open the downloads the engine verified,
	# from the archive cache or the staging area (read only).
	sync_ --reinstall --sandbox require "$T/lock/pylock.url.toml"
	assert_rc "url entries from the cache, --sandbox require" 0
	sync_ --reinstall --no-cache --sandbox require "$T/lock/pylock.url.toml"
	assert_rc "url entries, --no-cache --sandbox require" 0
	same_as_install "url entries, --no-cache --sandbox require" \
	    "$W/alpha-1.0-py3-none-any.whl" "$W/delta-1.0-py3-none-any.whl" \
	    "$W/epsilon-1.0-py3-none-any.whl"
	# The archive cache is trusted by name only until the engine opens
	# the file: its hashes are checked through that descriptor.
	ESHA=$(sha256sum "$W/epsilon-1.0-py3-none-any.whl" | cut -d' ' -f1)
	EARC=$FORKLIFT_CACHE_DIR/v1/archives/${ESHA:0:2}/$ESHA/epsilon-1.0-py3-none-any.whl
	assert_file "$EARC"
	if command -v strace >/dev/null 2>&1; then
		run strace -f -qq -e trace=open,openat -o "$T/trace" "$FORKLIFT" sync \
		    -p "$V" --no-progress --reinstall "$T/lock/pylock.url.toml"
		assert_rc "url entries from the cache, under strace" 0
		# Once by the engine, which checks every hash through that
		# descriptor, and once by the worker it was handed to after
		# the fork, which stages it through its own descriptor and
		# checks its sha256 is the verified one.
		assert_eq "a cached download is opened once per process" \
		    "$(grep -F "\"$EARC\"" "$T/trace" | grep -v ENOENT |
		    awk '{ print $1 }' | sort | uniq -c | awk '{ print $1 }' |
		    sort | tr '\n' ' ')" "1 1 "
	else
		echo "SKIP: no strace: the single open of a download is not checked"
	fi
	snap "$V" >"$T/s5.snap"
	chmod u+w "$EARC"
	printf 'X' | dd of="$EARC" bs=1 seek=100 conv=notrunc 2>/dev/null
	sync_ --reinstall "$T/lock/pylock.url.toml"
	assert_rc "a cached download changed since it was stored" 1
	assert_grep "a changed cached download: named" \
	    "epsilon-1.0-py3-none-any.whl" "$T/err"
	assert_grep "a changed cached download: hash mismatch" "hash mismatch" "$T/err"
	assert_snap_same "a changed cached download" "$T/s5.snap" "$V"
	rm -f "$EARC"

	# ---- a package's index: where the file is when there is no url, or
	# when the url is gone (404) or its host unreachable --------------------
	HOSTP=http://127.0.0.1:$(cat "$T/index.port")
	IDX=$HOSTP/simple/
	mkw '{"name": "zeta", "version": "1.0", "files": {"zeta.py": "Z = 1\n"}}' \
	    '{"name": "eta", "version": "1.0", "files": {"eta.py": "E = 1\n"}}' \
	    '{"name": "theta", "version": "1.0", "files": {"theta.py": ""}}' \
	    '{"name": "iota", "version": "1.0", "files": {"iota.py": ""}}' \
	    '{"name": "kappa", "version": "2.0", "files": {"kappa.py": ""}}' \
	    >/dev/null
	mv "$T"/w/*.whl "$W/"
	# kappa 1.0 exists only here: the index lists kappa 2.0 alone.
	mkw '{"name": "kappa", "version": "1.0", "files": {"kappa.py": ""}}' >/dev/null
	KAPPA1=$T/w/kappa-1.0-py3-none-any.whl
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		lockpkg alpha 1.0 alpha-1.0-py3-none-any.whl
		LOCK_URL=- LOCK_INDEX=$IDX lockpkg zeta 1.0 zeta-1.0-py3-none-any.whl
	} >"$T/lock/pylock.idx.toml"
	: >"$T/index.log"
	sync_ "$T/lock/pylock.idx.toml"
	assert_rc "an entry with only an index" 0
	assert_eq "only an index: installed set" "$(freeze)" "alpha==1.0 zeta==1.0 "
	assert_grep "only an index: the project page was read" "GET /simple/zeta/ 200" \
	    "$T/index.log"
	assert_grep "only an index: the file was downloaded" \
	    "GET /files/zeta-1.0-py3-none-any.whl 200" "$T/index.log"
	assert_no_path "$SP/zeta-1.0.dist-info/direct_url.json" \
	    "direct_url.json of a wheel from an index"
	same_as_reqs "only an index" "alpha @ file://$W/alpha-1.0-py3-none-any.whl" \
	    "zeta==1.0"
	# --offline: the archive cache answers, by the lock file's sha256.
	sync_ --reinstall --offline "$T/lock/pylock.idx.toml"
	assert_rc "only an index, --offline, in the cache" 0
	same_as_reqs "only an index, --offline" "alpha @ file://$W/alpha-1.0-py3-none-any.whl" \
	    "zeta==1.0"

	# A url that works: fetched once, by the engine, the index not asked.
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		lockpkg alpha 1.0 alpha-1.0-py3-none-any.whl
		LOCK_URL=$FILES LOCK_INDEX=$IDX lockpkg epsilon 1.0 \
		    epsilon-1.0-py3-none-any.whl
	} >"$T/lock/pylock.both.toml"
	: >"$T/index.log"
	sync_ "$T/lock/pylock.both.toml"
	assert_rc "a url that works, with an index" 0
	assert_eq "a url that works: one request, for the file" \
	    "$(awk '{ print $1, $2, $3 }' "$T/index.log" | tr '\n' ' ')" \
	    "GET /files/epsilon-1.0-py3-none-any.whl 200 "
	assert_grep "a url that works: direct_url.json names the url" \
	    "$FILES/epsilon-1.0-py3-none-any.whl" "$SP/epsilon-1.0.dist-info/direct_url.json"

	# The url answers 404: the same file from the index.
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		lockpkg alpha 1.0 alpha-1.0-py3-none-any.whl
		LOCK_URL=$HOSTP/gone LOCK_INDEX=$IDX lockpkg eta 1.0 eta-1.0-py3-none-any.whl
	} >"$T/lock/pylock.gone.toml"
	: >"$T/index.log"
	sync_ "$T/lock/pylock.gone.toml"
	assert_rc "a url that 404s, with an index" 0
	assert_eq "a url that 404s: installed set" "$(freeze)" "alpha==1.0 eta==1.0 "
	assert_grep "a url that 404s: tried" "GET /gone/eta-1.0-py3-none-any.whl 404" \
	    "$T/index.log"
	assert_grep "a url that 404s: the warning names the index" "$IDX" "$T/err"
	assert_grep "a url that 404s: from the index" \
	    "GET /files/eta-1.0-py3-none-any.whl 200" "$T/index.log"
	same_as_reqs "a url that 404s" "alpha @ file://$W/alpha-1.0-py3-none-any.whl" \
	    "eta==1.0"
	# The url's host cannot be reached (nothing listens on port 1).
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		lockpkg alpha 1.0 alpha-1.0-py3-none-any.whl
		LOCK_URL=http://127.0.0.1:1/files LOCK_INDEX=$IDX \
		    lockpkg theta 1.0 theta-1.0-py3-none-any.whl
	} >"$T/lock/pylock.down.toml"
	sync_ --retries 0 "$T/lock/pylock.down.toml"
	assert_rc "an unreachable url, with an index" 0
	assert_eq "an unreachable url: installed set" "$(freeze)" "alpha==1.0 theta==1.0 "
	same_as_reqs "an unreachable url" "alpha @ file://$W/alpha-1.0-py3-none-any.whl" \
	    "theta==1.0"

	# --no-cache: a wheel with only an index is found there all the same,
	# and so is one whose url answers 404 (the engine asks the index).
	sync_ --no-cache "$T/lock/pylock.idx.toml"
	assert_rc "only an index, --no-cache" 0
	same_as_reqs "only an index, --no-cache" \
	    "alpha @ file://$W/alpha-1.0-py3-none-any.whl" "zeta==1.0"
	: >"$T/index.log"
	sync_ --no-cache "$T/lock/pylock.gone.toml"
	assert_rc "a url that 404s, --no-cache" 0
	assert_grep "a url that 404s, --no-cache: the warning names the url" \
	    "$HOSTP/gone/eta-1.0-py3-none-any.whl" "$T/err"
	assert_grep "a url that 404s, --no-cache: from the index" \
	    "GET /files/eta-1.0-py3-none-any.whl 200" "$T/index.log"
	same_as_reqs "a url that 404s, --no-cache" \
	    "alpha @ file://$W/alpha-1.0-py3-none-any.whl" "eta==1.0"

	# Refusals: nothing changes.
	snap "$V" >"$T/s6.snap"
	# A wrong sha256 in the lock file: the index's file is not that one.
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		LOCK_URL=$HOSTP/gone LOCK_INDEX=$IDX lockpkg iota 1.0 \
		    iota-1.0-py3-none-any.whl | sed 's/sha256 = "./sha256 = "0/; s/sha256 = "00/sha256 = "11/'
	} >"$T/lock/pylock.badhash.toml"
	sync_ "$T/lock/pylock.badhash.toml"
	assert_rc "a wrong sha256 through the index" 1
	assert_grep "a wrong sha256 through the index: names the package" "iota" "$T/err"
	assert_grep "a wrong sha256 through the index: says sha256" "sha256" "$T/err"
	assert_no_grep "a wrong sha256 through the index: nothing downloaded" \
	    "GET /files/iota" "$T/index.log"
	assert_snap_same "a wrong sha256 through the index" "$T/s6.snap" "$V"
	# The lock file's other hashes are still checked: a wrong sha512.
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		LOCK_URL=- LOCK_INDEX=$IDX lockpkg iota 1.0 iota-1.0-py3-none-any.whl |
		    sed 's/sha512 = "./sha512 = "0/; s/sha512 = "00/sha512 = "11/'
	} >"$T/lock/pylock.badhash.toml"
	sync_ "$T/lock/pylock.badhash.toml"
	assert_rc "a wrong sha512 through the index" 1
	assert_grep "a wrong sha512 through the index: names the package" \
	    "iota-1.0-py3-none-any.whl" "$T/err"
	assert_grep "a wrong sha512 through the index: says sha512" "sha512:" "$T/err"
	assert_snap_same "a wrong sha512 through the index" "$T/s6.snap" "$V"
	# The index does not list the file.
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		lockpkg alpha 1.0 alpha-1.0-py3-none-any.whl
		LOCK_URL=$HOSTP/gone LOCK_INDEX=$IDX lockpkg kappa 1.0 "$KAPPA1"
	} >"$T/lock/pylock.nofile.toml"
	sync_ "$T/lock/pylock.nofile.toml"
	assert_rc "a file the index does not list" 1
	for s in "kappa==1.0" "kappa-1.0-py3-none-any.whl" "$IDX" \
	    "$HOSTP/gone/kappa-1.0-py3-none-any.whl"; do
		assert_grep "a file the index does not list: names '$s'" "$s" "$T/err"
	done
	assert_snap_same "a file the index does not list" "$T/s6.snap" "$V"
	# --offline and not in the cache: said so, no request.
	: >"$T/index.log"
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		LOCK_URL=- LOCK_INDEX=$IDX lockpkg kappa 2.0 kappa-2.0-py3-none-any.whl
	} >"$T/lock/pylock.off.toml"
	sync_ --offline "$T/lock/pylock.off.toml"
	assert_rc "only an index, --offline, not in the cache" 1
	assert_grep "--offline, not in the cache: names the file" \
	    "kappa-2.0-py3-none-any.whl" "$T/err"
	assert_grep "--offline, not in the cache: says --offline" "offline" "$T/err"
	assert_eq "--offline: no request" "$(wc -l <"$T/index.log")" "0"
	assert_snap_same "--offline, not in the cache" "$T/s6.snap" "$V"
	# No url, no path and no index: refused naming the file, line and key.
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		LOCK_URL=- lockpkg epsilon 1.0 epsilon-1.0-py3-none-any.whl
	} >"$B"
	sync_ "$B"
	assert_rc "neither url nor path, and no index" 1
	assert_grep "neither url nor path, and no index: names the place" "$B:6:" "$T/err"
	assert_grep "neither url nor path, and no index: names the key" "index" "$T/err"
	assert_snap_same "neither url nor path, and no index" "$T/s6.snap" "$V"

	# A url with an index is downloaded after the workers started, as any
	# url is: while lambda's download stalls, nu (its url) and mu (its
	# url gone, found on the index meanwhile) are staged.
	SLOW_PID=$T/slow.pid
	trap '[ -s "$SERVER_PID" ] && kill "$(cat "$SERVER_PID")" 2>/dev/null
	    [ -s "$SLOW_PID" ] && kill "$(cat "$SLOW_PID")" 2>/dev/null
	    wait; cleanup' EXIT
	mkw '{"name": "lambda", "version": "1.0", "files": {"lambda_.py": ""}}' \
	    '{"name": "mu", "version": "1.0", "files": {"mu.py": "M = 1\n"}}' \
	    '{"name": "nu", "version": "1.0", "files": {"nu.py": "N = 1\n"}}' \
	    >/dev/null
	mv "$T"/w/*.whl "$W/"
	"$PY" "$SRCDIR/tests/indexserver.py" --root "$W" --port-file "$T/slow.port" \
	    --pid-file "$SLOW_PID" --log "$T/slow.log" --stall-seconds 60 \
	    --fault 'lambda-*:stall:0' 2>"$T/slow.err" &
	for i in $(seq 100); do
		[ -s "$T/slow.port" ] && [ -s "$SLOW_PID" ] && break
		sleep 0.1
	done
	[ -s "$T/slow.port" ] || { show "stalling index server" "$T/slow.err"; exit 99; }
	SLOW=http://127.0.0.1:$(cat "$T/slow.port")
	{
		printf 'lock-version = "1.0"\ncreated-by = "x"\n'
		LOCK_URL=$SLOW/files LOCK_INDEX=$SLOW/simple/ lockpkg lambda 1.0 \
		    lambda-1.0-py3-none-any.whl
		LOCK_URL=$SLOW/gone LOCK_INDEX=$SLOW/simple/ lockpkg mu 1.0 \
		    mu-1.0-py3-none-any.whl
		LOCK_URL=$SLOW/files LOCK_INDEX=$SLOW/simple/ lockpkg nu 1.0 \
		    nu-1.0-py3-none-any.whl
	} >"$T/lock/pylock.slow.toml"
	"$FORKLIFT" sync -p "$V" --no-progress -j 2 --timeout 60 \
	    "$T/lock/pylock.slow.toml" >"$T/out" 2>"$T/err" &
	FPID=$!
	staged=0
	for i in $(seq 300); do
		staged=$(find "$V/.forklift" -mindepth 2 -maxdepth 5 -type d \
		    \( -name 'mu-1.0.dist-info' -o -name 'nu-1.0.dist-info' \) \
		    2>/dev/null | wc -l)
		[ "$staged" -ge 2 ] && break
		sleep 0.1
	done
	assert_eq "url and index: staged while another download stalls" "$staged" 2
	assert_grep "url and index, overlapped: mu's url tried" \
	    "GET /gone/mu-1.0-py3-none-any.whl 404" "$T/slow.log"
	assert_grep "url and index, overlapped: mu from the index" \
	    "GET /files/mu-1.0-py3-none-any.whl 200" "$T/slow.log"
	assert_no_grep "url and index, overlapped: lambda still downloading" \
	    "GET /files/lambda-1.0-py3-none-any.whl 200" "$T/slow.log"
	kill -INT "$FPID"
	wait "$FPID"
	RC=$?
	assert_rc "url and index, overlapped: Ctrl-C" 130
	assert_snap_same "url and index, overlapped: Ctrl-C" "$T/s6.snap" "$V"
	assert_no_staging "url and index, overlapped: Ctrl-C" "$V"
fi

# ---- a lock file written by pip >= 26.1 or uv ---------------------------------
if command -v uv >/dev/null 2>&1; then
	(cd "$T/lock" && printf 'alpha==1.0\n' >in.txt &&
	    uv pip compile --quiet --no-index --find-links "$W" --format pylock.toml \
	    -o pylock.uv.toml in.txt) >/dev/null 2>&1
	if [ -f "$T/lock/pylock.uv.toml" ]; then
		sync_ "$T/lock/pylock.uv.toml"
		assert_rc "sync a lock file uv wrote" 0
		assert_eq "uv's lock file: installed set" "$(freeze)" "alpha==1.0 "
	else
		echo "SKIP: uv did not write a lock file"
	fi
elif "$PY" -c 'import pip, sys; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (26, 1))' 2>/dev/null; then
	(cd "$T/lock" && "$PY" -m pip lock --no-index --find-links "$W" \
	    -o pylock.pip.toml alpha==1.0) >/dev/null 2>&1
	if [ -f "$T/lock/pylock.pip.toml" ]; then
		sync_ "$T/lock/pylock.pip.toml"
		assert_rc "sync a lock file pip wrote" 0
		assert_eq "pip's lock file: installed set" "$(freeze)" "alpha==1.0 "
	else
		echo "SKIP: pip did not write a lock file"
	fi
else
	echo "SKIP: neither uv nor pip >= 26.1: no lock file written by them to check"
fi

finish
