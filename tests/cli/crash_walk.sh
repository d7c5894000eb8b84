#!/bin/bash
# crash_walk.sh: the SQLite way.  With the fault-injection build
# ($FORKLIFT_FI, tests/forklift-fi), walk K over every journal step of two
# transactions, a multi-wheel install with an upgrade, a namespace merge,
# a replaced file, scripts, data and headers in it, and an uninstall of
# four distributions, and make the parent _exit(99):
#   FORKLIFT_FAULT_STEP=K    right after step K is done
#   FORKLIFT_FAULT_BEFORE=K  after step K is journaled, before it is done
# After each crash `forklift list` (which recovers) must leave the
# environment exactly equal to the before snapshot (K before the commit
# record) or the after snapshot (K = the commit record): files, bytes,
# modes, symlinks; no journal and no staging directory left.
# Then failed renames: FORKLIFT_FAULT_RENAME=K:28 (ENOSPC) over every
# other step and K:18 (EXDEV) over three: exit 1, the error names errno's
# text, the environment is as before.  And FORKLIFT_FAULT_WORKER=K for
# every wheel: exit 1, the error names the wheel and SIGKILL, nothing
# changed.  Last, FORKLIFT_FAULT_UNDO=J kills the rollback of a failed
# rename after each of its undo steps; recovery must still end before.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Several hundred small transactions: on tmpfs when there is one.
if [ -z "${CRASH_WALK_TMPDIR+set}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	CRASH_WALK_TMPDIR=/dev/shm
fi
[ -n "${CRASH_WALK_TMPDIR:-}" ] && export TMPDIR=$CRASH_WALK_TMPDIR
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

FI=${FORKLIFT_FI:-$(dirname "$FORKLIFT")/../tests/forklift-fi}
[ -x "$FI" ] || skip "no fault-injection build at $FI"

ROOT=$T/root
V=$ROOT/v
mkdir -p "$ROOT"
mkvenv "$V"

mapfile -t W < <(mkw '{
  "name": "cw_a", "version": "1.0",
  "files": {"cw_a/__init__.py": "V = 1\n", "cw_a/old_only.py": "O = 1\n",
            "cw_a/sub/x.py": "X = 1\n", "cw_a/sub/deep/y.py": "Y = 1\n"},
  "entry_points": {"console_scripts": {"cw-a": "cw_a:main"}}
}' '{
  "name": "cw_b", "version": "1.0",
  "files": {"cw_b/__init__.py": "", "cw_b/data.txt": "b data\n"},
  "data": {"scripts": {"cw-b-tool": "#!python\nprint(1)\n"}}
}' '{
  "name": "cw-ns-a", "version": "1.0",
  "files": {"cw_ns/a/__init__.py": "A = 1\n"}
}' '{
  "name": "cw_f", "version": "1.0",
  "files": {"cw_f/__init__.py": "", "cw_shared/same.py": "SAME = 1\n"}
}' '{
  "name": "cw_a", "version": "2.0",
  "files": {"cw_a/__init__.py": "V = 2\n", "cw_a/new_only.py": "N = 2\n",
            "cw_a/sub/x.py": "X = 1\n"},
  "entry_points": {"console_scripts": {"cw-a": "cw_a:main", "cw-a2": "cw_a:main"}}
}' '{
  "name": "cw_c", "version": "1.0", "purelib": false,
  "files": {"cw_c/__init__.py": "", "cw_c/mode.sh": {"text": "#!/bin/sh\n", "mode": "755"}},
  "data": {"scripts": {"cw-c": "#!python\nprint(3)\n"},
           "headers": {"cw_c.h": "#define CW_C 1\n"},
           "data": {"share/cw_c/readme.txt": "c\n"}}
}' '{
  "name": "cw-ns-b", "version": "1.0",
  "files": {"cw_ns/b/__init__.py": "B = 1\n"}
}' '{
  "name": "cw_e", "version": "1.0",
  "files": {"cw_e/__init__.py": "", "cw_shared/same.py": "SAME = 1\n"}
}')
BASE=("${W[@]:0:4}")
TX1=("${W[@]:4:4}")
UNINSTALL=(cw_a cw_b cw-ns-a cw_c)

fk_install "$V" "${BASE[@]}"
assert_rc "install the base" 0

# State n of the walk is kept as a tree (cp -a keeps modes and symlinks)
# and as a snapshot; reset N puts tree N back in place.
save_state()
{
	snap "$ROOT" >"$T/state$1.snap"
	rm -rf "$T/state$1"
	cp -a "$ROOT" "$T/state$1"
}
# (No chmod here: installed files may be hard links into the cache.)
reset()
{
	rm -rf "$ROOT"
	cp -a "$T/state$1" "$ROOT"
}

# tx N ARGS...: the forklift arguments of transaction N.
tx()
{
	if [ "$1" = 1 ]; then
		echo install -p "$V" --no-progress -j 2 "${TX1[@]}"
	else
		echo uninstall -p "$V" --no-progress "${UNINSTALL[@]}"
	fi
}

# The states: 0 before the install, 1 after it (before the uninstall),
# 2 after the uninstall.  The step counts come from -vv.
save_state 0
run "$FI" -vv $(tx 1)
assert_rc "transaction 1 without faults" 0
STEPS1=$(sed -n 's/.*commit: \([0-9]*\) journal steps.*/\1/p' "$T/err")
save_state 1
run "$FI" -vv $(tx 2)
assert_rc "transaction 2 without faults" 0
STEPS2=$(sed -n 's/.*commit: \([0-9]*\) journal steps.*/\1/p' "$T/err")
save_state 2
echo "transaction 1 (install): $STEPS1 journal steps; transaction 2 (uninstall): $STEPS2"
[ -n "$STEPS1" ] && [ "$STEPS1" -gt 10 ] || fail "step count of transaction 1: '$STEPS1'"
[ -n "$STEPS2" ] && [ "$STEPS2" -gt 10 ] || fail "step count of transaction 2: '$STEPS2'"
if cmp -s "$T/state0.snap" "$T/state1.snap" || cmp -s "$T/state1.snap" "$T/state2.snap"; then
	fail "a transaction changed nothing"
fi

# check_state DESC WANT: the environment equals state WANT exactly and
# nothing of forklift's working files is left.
check_state()
{
	snap "$ROOT" >"$T/now.snap"
	assert_cmp "$1: state $2" "$T/state$2.snap" "$T/now.snap" \
	    "$1: expected state $2"
	assert_no_path "$V/.forklift/journal" "$1: journal left"
	if [ -n "$(find "$V/.forklift" -mindepth 1 -name 'tx-*' 2>/dev/null)" ]; then
		fail "$1: staging left"
	fi
}

CRASHES=0
# crash N VAR K: transaction N with VAR=K must die with 99; recovery by
# `forklift list` must give the before state, or the after state when K
# is the commit record.
crash()
{
	local n=$1 var=$2 k=$3 steps want
	reset $((n - 1))
	steps=$([ "$n" = 1 ] && echo "$STEPS1" || echo "$STEPS2")
	env "$var=$k" "$FI" $(tx "$n") >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" != 99 ]; then
		fail "transaction $n, $var=$k: expected exit 99, found $RC"
		show stderr "$T/err" 5
		return
	fi
	CRASHES=$((CRASHES + 1))
	want=$((n - 1))
	[ "$var" = FORKLIFT_FAULT_STEP ] && [ "$k" = "$steps" ] && want=$n
	fk list -p "$V"
	if [ "$RC" != 0 ]; then
		fail "transaction $n, $var=$k: recovery exit $RC"
		show stderr "$T/err" 5
	fi
	if [ "$want" = "$n" ]; then
		assert_grep "transaction $n, $var=$k: says it finished" \
		    "finished an interrupted install" "$T/err"
	else
		assert_grep "transaction $n, $var=$k: says it recovered" \
		    "recovered from an interrupted install" "$T/err"
	fi
	check_state "transaction $n, $var=$k" "$want"
}

for n in 1 2; do
	steps=$([ "$n" = 1 ] && echo "$STEPS1" || echo "$STEPS2")
	# Step 1 is the journal's begin record; the others can crash.
	for k in $(seq 2 "$steps"); do
		crash "$n" FORKLIFT_FAULT_STEP "$k"
	done
	# The commit record has no "before" point.
	for k in $(seq 2 $((steps - 1))); do
		crash "$n" FORKLIFT_FAULT_BEFORE "$k"
	done
done
echo "crash points walked: $CRASHES"

# ---- failed renames: rolled back in the same process -------------------------
RENAMES=0
rename_fault()
{
	local n=$1 k=$2 errno=$3 text=$4
	reset $((n - 1))
	FORKLIFT_FAULT_RENAME=$k:$errno run "$FI" $(tx "$n")
	if [ "$RC" = 0 ]; then
		# Step k was not a rename (a mkdir): the transaction went through.
		check_state "transaction $n, rename $k:$errno (not a rename)" "$n"
		return
	fi
	RENAMES=$((RENAMES + 1))
	assert_rc "transaction $n, rename $k fails with $errno" 1
	assert_grep "transaction $n, rename $k:$errno: errno named" "$text" "$T/err"
	check_state "transaction $n, rename $k:$errno" $((n - 1))
}
for n in 1 2; do
	steps=$([ "$n" = 1 ] && echo "$STEPS1" || echo "$STEPS2")
	for k in $(seq 2 2 $((steps - 1))); do
		rename_fault "$n" "$k" 28 "No space left on device"
	done
	for k in 2 $((steps / 2)) $((steps - 1)); do
		rename_fault "$n" "$k" 18 "Invalid cross-device link"
	done
done
echo "failed renames rolled back: $RENAMES"

# ---- a crash in the middle of that rollback ------------------------------------
# The rename of step K fails, the rollback starts undoing the K-1 records
# before it and the process dies after J of them (J = K-1: all undone, the
# journal not yet removed).  Recovery replays the journal again: undone
# steps must be recognised, and the result is the before state.
UNDO=0
for n in 1 2; do
	steps=$([ "$n" = 1 ] && echo "$STEPS1" || echo "$STEPS2")
	k=$((steps - 1))
	for j in $(seq 1 $((k - 1))); do
		reset $((n - 1))
		FORKLIFT_FAULT_RENAME=$k:28 FORKLIFT_FAULT_UNDO=$j run "$FI" $(tx "$n")
		if [ "$RC" != 99 ]; then
			fail "transaction $n, rename $k fails, crash after undo $j: exit $RC"
			show stderr "$T/err" 5
			continue
		fi
		UNDO=$((UNDO + 1))
		fk list -p "$V"
		assert_rc "transaction $n, crash after undo $j of $((k - 1)): recovery" 0
		check_state "transaction $n, crash after undo $j of $((k - 1))" $((n - 1))
	done
done
echo "crashes during a rollback: $UNDO"

# ---- a worker killed while unpacking ------------------------------------------
for k in 0 1 2 3; do
	reset 0
	FORKLIFT_FAULT_WORKER=$k run "$FI" $(tx 1)
	assert_rc "worker killed at wheel $k" 1
	assert_error_line "worker killed at wheel $k" "$(basename "${TX1[$k]}")" \
	    "killed by signal 9 (SIGKILL)"
	check_state "worker killed at wheel $k" 0
done

finish
