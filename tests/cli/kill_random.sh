#!/bin/bash
# kill_random.sh: real processes, real signals, no hooks.  A large install
# (60 generated wheels, 20 of them upgrades, a few thousand files) is
#   - SIGKILLed in the parent at a random moment within its run time (a
#     third of the trials: within its commit, once the journal exists),
#     then `forklift list` recovers: the environment must equal the
#     before or the after snapshot exactly, with no journal or staging left;
#   - hit by a SIGKILL of one worker: exit 1 naming SIGKILL and the
#     environment as before (or exit 0 and after, when the worker was
#     already done);
#   - sent SIGINT, SIGTERM or SIGHUP in the parent: exit 130, 143 or 129
#     and as before (or 0 and after, when the signal came after the commit).
# Then four concurrent installs into one venv, with overlapping wheels
# (one at two versions, one at the same version twice): all exit 0, say
# nothing but the lock-wait note, and the result equals one of the serial
# orders.  And --lock-timeout 0.2 against a held lock: exit 3 naming the
# holder's pid; SIGINT while waiting for the lock: exit 130 at once.
# KILL_TRIALS (default 40) bounds the parent kills, KILL_SECONDS (default
# 25) the time they may take; KILL_SEED repeats a run.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
if [ -z "${KILL_TMPDIR+set}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	KILL_TMPDIR=/dev/shm
fi
[ -n "${KILL_TMPDIR:-}" ] && export TMPDIR=$KILL_TMPDIR
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

SEED=${KILL_SEED:-$$}
RANDOM=$SEED
echo "random seed $SEED (KILL_SEED=$SEED repeats this run)"

ROOT=$T/root
V=$ROOT/v
mkdir -p "$ROOT"
mkvenv "$V"

# 60 wheels of 40 files each; kr_00..kr_19 also exist at 1.0 (installed
# first, upgraded by the big install).
"$PY" - "$SRCDIR/tests" "$T/w" <<'EOF' || exit 99
import os, sys
sys.path.insert(0, sys.argv[1])
import mkwheel
out = sys.argv[2]
for d in ("old", "new"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
def spec(i, v):
    files = {"kr_%02d/__init__.py" % i: "V = %r\n" % v}
    for j in range(39):
        files["kr_%02d/m%02d/f%02d.py" % (i, j % 5, j)] = \
            ("# %d %d %s\n" % (i, j, v)) * (20 + (i * 7 + j * 13) % 200)
    s = {"name": "kr_%02d" % i, "version": v, "files": files}
    if i % 10 == 0:
        s["entry_points"] = {"console_scripts": {"kr-%02d" % i: "kr_%02d:main" % i}}
    return s
for i in range(20):
    mkwheel.build(spec(i, "1.0"), out + "/old")
for i in range(60):
    mkwheel.build(spec(i, "2.0"), out + "/new")
EOF
OLD=("$T"/w/old/*.whl)
NEW=("$T"/w/new/*.whl)

fk_install "$V" -j 4 "${OLD[@]}"
assert_rc "install the 20 old wheels" 0
snap "$ROOT" >"$T/before.snap"
cp -a "$ROOT" "$T/before"

# No chmod in reset: installed files may be hard links into the cache.
reset()
{
	rm -rf "$ROOT"
	cp -a "$T/before" "$ROOT"
}

now_ms()
{
	date +%s%3N
}

start=$(now_ms)
fk_install "$V" -j 4 "${NEW[@]}"
assert_rc "the big install" 0
DUR=$(($(now_ms) - start))
snap "$ROOT" >"$T/after.snap"
echo "the big install: ${#NEW[@]} wheels, $(grep -c '	f	' "$T/after.snap") files, $DUR ms"

# which_state DESC: 'before', 'after' or 'neither' (with a diff shown),
# and no forklift leftovers.
which_state()
{
	snap "$ROOT" >"$T/now.snap"
	if cmp -s "$T/now.snap" "$T/before.snap"; then
		STATE=before
	elif cmp -s "$T/now.snap" "$T/after.snap"; then
		STATE=after
	else
		STATE=neither
		fail "$1: the environment is neither before nor after"
		diff -u "$T/before.snap" "$T/now.snap" | sed -n '3,16p' | sed 's/^/  | /'
	fi
	[ -e "$V/.forklift/journal" ] && fail "$1: journal left"
	[ -n "$(find "$V/.forklift" -mindepth 1 -name 'tx-*' 2>/dev/null)" ] &&
	    fail "$1: staging left"
	return 0
}

# A random delay in ms below $1.
rand_ms()
{
	echo $(((RANDOM * 32768 + RANDOM) % $1))
}

sleep_ms()
{
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# ---- SIGKILL of the parent -------------------------------------------------------
# Trials rotate: a random moment of the whole run without the cache, the
# same with the cache, and a random moment after the journal appeared (the
# commit).  The commit's length is measured once.
reset
"$FORKLIFT" install -p "$V" --no-progress -j 4 "${NEW[@]}" >/dev/null 2>&1 &
pid=$!
while [ ! -e "$V/.forklift/journal" ] && kill -0 "$pid" 2>/dev/null; do :; done
c0=$(now_ms)
wait "$pid"
CDUR=$(($(now_ms) - c0))
echo "its commit: about $CDUR ms"
TRIALS=${KILL_TRIALS:-40}
BUDGET=$((${KILL_SECONDS:-25} * 1000))
declare -A SEEN=([before]=0 [after]=0 [neither]=0)
t0=$(now_ms)
n=0
mid=0
while [ "$n" -lt "$TRIALS" ] && [ $(($(now_ms) - t0)) -lt "$BUDGET" ]; do
	n=$((n + 1))
	reset
	cache=()
	kind=$((n % 3))
	[ "$kind" = 0 ] && cache=(--no-cache)
	"$FORKLIFT" install -p "$V" --no-progress -j 4 "${cache[@]}" "${NEW[@]}" \
	    >/dev/null 2>"$T/err.kill" &
	pid=$!
	if [ "$kind" = 2 ]; then
		while [ ! -e "$V/.forklift/journal" ] && kill -0 "$pid" 2>/dev/null; do :; done
		delay=$(rand_ms $((CDUR + 1)))
		what="${delay} ms into the commit"
	else
		delay=$(rand_ms $((DUR * 5 / 4 + 1)))
		what="after $delay ms${cache:+, no cache}"
	fi
	sleep_ms "$delay"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	fk list -p "$V"
	[ "$RC" = 0 ] || { fail "trial $n: recovery exit $RC"; show stderr "$T/err" 5; }
	# A journal was found: the kill came in the middle of the commit.
	grep -q -e 'recovered from an interrupted' -e 'finished an interrupted' "$T/err" &&
	    mid=$((mid + 1))
	which_state "parent SIGKILL trial $n ($what)"
	SEEN[$STATE]=$((SEEN[$STATE] + 1))
done
ok "parent SIGKILL: $n trials"
echo "parent SIGKILL: $n trials ($mid during the commit): ${SEEN[before]} before, ${SEEN[after]} after, ${SEEN[neither]} neither"
[ "${SEEN[neither]}" = 0 ] && ok "every parent kill ended before or after"

# ---- SIGKILL of a worker ----------------------------------------------------------
# children PID: the child pids of PID, read without forking.
children()
{
	local c=
	read -r c 2>/dev/null <"/proc/$1/task/$1/children"
	echo "$c"
}
WK=0
WKHIT=0
while [ "$WK" -lt 12 ] && { [ "$WK" -lt 6 ] || [ "$WKHIT" -lt 2 ]; }; do
	WK=$((WK + 1))
	reset
	"$FORKLIFT" install -p "$V" --no-progress -j 2 --no-cache "${NEW[@]}" \
	    >/dev/null 2>"$T/err.w" &
	pid=$!
	# Wait for the workers, then kill one of them a little later.
	kids=
	for _ in $(seq 1 2000); do
		kids=$(children "$pid")
		[ -n "$kids" ] && break
	done
	sleep_ms "$(rand_ms $((DUR / 8 + 1)))"
	kids=$(children "$pid")
	[ -n "$kids" ] && kill -KILL "${kids%% *}" 2>/dev/null
	wait "$pid"
	rc=$?
	which_state "worker SIGKILL trial $WK"
	if [ "$rc" = 1 ]; then
		WKHIT=$((WKHIT + 1))
		assert_eq "worker killed: environment as before" "$STATE" before
		assert_grep "worker killed: named" "killed by signal 9 (SIGKILL)" "$T/err.w"
	elif [ "$rc" = 0 ]; then
		assert_eq "worker killed too late: installed" "$STATE" after
	else
		fail "worker SIGKILL trial $WK: exit $rc"
		show stderr "$T/err.w" 5
	fi
done
echo "worker SIGKILL: $WK trials, $WKHIT killed a worker at work"
# Whether a random moment finds a worker at work is chance; the
# deterministic kill of a worker at each wheel is crash_walk.sh's.
[ "$WKHIT" -gt 0 ] || echo "note: no worker kill hit a working worker this time"

# ---- SIGINT, SIGTERM, SIGHUP of the parent -----------------------------------------
SIGS=(INT TERM HUP)
declare -A CODE=([INT]=130 [TERM]=143 [HUP]=129)
STOPPED=0
for i in $(seq 1 6); do
	sig=${SIGS[$((i % 3))]}
	reset
	"$FORKLIFT" install -p "$V" --no-progress -j 4 "${NEW[@]}" >/dev/null 2>"$T/err.i" &
	pid=$!
	if [ "$i" = 1 ]; then
		# One trial waits for the event rather than a random moment:
		# the staging directory exists and the commit has not begun.
		until compgen -G "$V/.forklift/tx-*" >/dev/null ||
		    ! kill -0 "$pid" 2>/dev/null; do :; done
	else
		sleep_ms "$(rand_ms $((DUR * 3 / 4 + 1)))"
	fi
	kill -"$sig" "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	which_state "SIG$sig trial $i"
	if [ "$rc" = "${CODE[$sig]}" ]; then
		STOPPED=$((STOPPED + 1))
		assert_eq "SIG$sig: environment as before" "$STATE" before
	elif [ "$rc" = 0 ]; then
		assert_eq "SIG$sig after the commit: installed" "$STATE" after
	else
		fail "SIG$sig trial $i: exit $rc, expected ${CODE[$sig]} or 0"
		show stderr "$T/err.i" 5
	fi
done
echo "SIGINT/SIGTERM/SIGHUP: 6 trials, $STOPPED stopped with 128 + the signal"
[ "$STOPPED" -gt 0 ] || fail "no signal arrived before the commit ended"

# ---- four concurrent installs ---------------------------------------------------------
# A: p 1.0 + a1..a5; B: p 2.0 + b1..b5; C and D: q 1.0 (the same file) +
# c*/d*.  Serial orders differ only in which p wins.
mapfile -t CW < <("$PY" - "$SRCDIR/tests" "$T/cw" <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import mkwheel
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
def w(name, v, n=30):
    return mkwheel.build({"name": name, "version": v, "files": dict(
        ("%s/f%02d.py" % (name, j), ("# %s %d\n" % (v, j)) * 50) for j in range(n))}, out)
print(w("cc_p", "1.0")); print(w("cc_p", "2.0")); print(w("cc_q", "1.0"))
for g in "abcd":
    for i in range(5):
        print(w("cc_%s%d" % (g, i), "1.0"))
EOF
)
P1=${CW[0]} P2=${CW[1]} Q=${CW[2]}
SETA=("$P1" "${CW[@]:3:5}")
SETB=("$P2" "${CW[@]:8:5}")
SETC=("$Q" "${CW[@]:13:5}")
SETD=("$Q" "${CW[@]:18:5}")
rm -rf "$ROOT"
mkdir -p "$ROOT"
mkvenv "$V"
fk list -p "$V"
cp -a "$ROOT" "$T/empty"
serial()
{
	rm -rf "$ROOT"
	cp -a "$T/empty" "$ROOT"
	local s
	for s in "$@"; do
		eval "fk_install \"\$V\" -j 2 \"\${SET$s[@]}\""
		[ "$RC" = 0 ] || fail "serial install $s: exit $RC"
	done
}
serial A B C D
snap "$ROOT" >"$T/serial1.snap"
serial B A D C
snap "$ROOT" >"$T/serial2.snap"
cmp -s "$T/serial1.snap" "$T/serial2.snap" && fail "the two serial orders should differ"
for round in 1 2 3; do
	rm -rf "$ROOT"
	cp -a "$T/empty" "$ROOT"
	pids=()
	for s in A B C D; do
		eval "\"\$FORKLIFT\" install -p \"\$V\" --no-progress -j 2 \"\${SET$s[@]}\"" \
		    >"$T/cc.$s.out" 2>"$T/cc.$s.err" &
		pids+=($!)
	done
	for s in A B C D; do
		wait "${pids[0]}"
		rc=$?
		pids=("${pids[@]:1}")
		assert_eq "concurrent round $round, install $s: exit" "$rc" 0
		if grep -v -e '^forklift: waiting for forklift (pid [0-9]*), which holds' \
		    -e '^Installed ' -e 'is already installed' "$T/cc.$s.err" | grep -q .; then
			fail "concurrent round $round, install $s: unexpected messages"
			show stderr "$T/cc.$s.err" 5
		fi
	done
	snap "$ROOT" >"$T/now.snap"
	if cmp -s "$T/now.snap" "$T/serial1.snap" || cmp -s "$T/now.snap" "$T/serial2.snap"; then
		ok "concurrent round $round: equals a serial order"
	else
		fail "concurrent round $round: equals no serial order"
		diff -u "$T/serial1.snap" "$T/now.snap" | sed -n '3,16p' | sed 's/^/  | /'
	fi
	assert_no_staging "concurrent round $round" "$V"
done
grep -h 'waiting for forklift' "$T"/cc.*.err >/dev/null &&
    ok "a concurrent run said it waits"

# ---- --lock-timeout ------------------------------------------------------------------
# The holder keeps the lock until told to let go (a marker file), so
# every check below waits on an event, never on the clock.
echo 4711 >"$V/.forklift/lock"
rm -f "$T/release"
flock -x "$V/.forklift/lock" sh -c 'while [ ! -e "$1" ]; do sleep 0.05; done' \
    sh "$T/release" &
holder=$!
# Wait until the lock is really held.
while flock -n "$V/.forklift/lock" true; do sleep 0.05; done
fk list -p "$V" --lock-timeout 0.2
assert_rc "--lock-timeout 0.2 against a held lock" 3
assert_grep "names the holder" "locked by forklift (pid 4711)" "$T/err"
kill -0 "$holder" 2>/dev/null && ok "gave up while the lock was still held" ||
    fail "the holder let go before forklift gave up"
fk_install "$V" --lock-timeout 0.2 "$P1"
assert_rc "install with --lock-timeout 0.2 against a held lock" 3
# Ctrl-C while waiting for the lock stops the wait: sent once forklift
# says it waits, it must end while the lock is still held.
"$FORKLIFT" install -p "$V" --no-progress "$P1" >/dev/null 2>"$T/err.lw" &
pid=$!
until grep -q 'waiting for' "$T/err.lw" 2>/dev/null; do sleep 0.05; done
kill -INT "$pid"
wait "$pid"
rc=$?
assert_eq "SIGINT while waiting for the lock: exit" "$rc" 130
kill -0 "$holder" 2>/dev/null && ok "stopped waiting while the lock was held" ||
    fail "forklift only stopped once the lock was released"
touch "$T/release"
wait "$holder"

finish
