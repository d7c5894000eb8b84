#!/bin/bash
# signals.sh: the dispositions forklift sets at startup.  A warning
# written during the commit to a stderr nobody reads (closed, or a pipe
# whose reader is gone) neither kills forklift nor stops the commit
# (SIGPIPE is ignored; EPIPE is an ordinary error).  An inherited
# SIGCHLD=SIG_IGN does not hide how a worker ended: a worker killed
# while unpacking is still reported as killed, and the install fails.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

FI=${FORKLIFT_FI:-$(dirname "$FORKLIFT")/../tests/forklift-fi}

mapfile -t X < <(mkw '{
  "name": "sg_d", "version": "1.0",
  "files": {"sg_d/__init__.py": "", "sgother/x.py": "D = 1\n"}
}' '{
  "name": "sg_e", "version": "1.0",
  "files": {"sg_e/__init__.py": "", "sgother/x.py": "E = 1\n"}
}' '{
  "name": "sg_f", "version": "1.0",
  "files": {"sg_f/__init__.py": ""}
}')

# The same warning with stderr kept, so the cases below do warn.
mkdir -p "$T/root"
mkvenv "$T/root/v0"
fk_install "$T/root/v0" -j 2 "${X[0]}" "${X[1]}"
assert_rc "two wheels writing different bytes" 0
assert_grep "the commit warns about sgother/x.py" "sgother/x.py" "$T/err"

# stderr closed (2>&-): writes fail with EBADF.
mkvenv "$T/root/v1"
"$FORKLIFT" install -p "$T/root/v1" --no-progress -j 2 "${X[0]}" "${X[1]}" \
    >"$T/out" 2>&-
RC=$?
assert_rc "stderr closed: the install succeeds" 0
assert_file "$(site_packages "$T/root/v1")/sgother/x.py"
assert_file "$(site_packages "$T/root/v1")/sg_e-1.0.dist-info/RECORD"

# stderr a pipe whose reader has gone: without SIGPIPE ignored, the first
# warning kills forklift in the middle of the commit.
mkvenv "$T/root/v2"
"$PY" - "$FORKLIFT" "$T/root/v2" "${X[0]}" "${X[1]}" >"$T/pipe.out" <<'PYEOF'
import os, subprocess, sys
fk, venv, a, b = sys.argv[1:]
r, w = os.pipe()
os.close(r)
# subprocess gives the child the default SIGPIPE disposition.
p = subprocess.run([fk, "install", "-p", venv, "--no-progress", "-j", "2", a, b],
                   stderr=w, stdout=subprocess.DEVNULL)
print(p.returncode)
PYEOF
assert_eq "stderr a broken pipe: exit status" "$(cat "$T/pipe.out")" 0
assert_file "$(site_packages "$T/root/v2")/sg_e-1.0.dist-info/RECORD"
assert_no_staging "stderr a broken pipe" "$T/root/v2"

# SIGCHLD ignored by whoever started forklift: the kernel would reap the
# workers itself and waitpid(2) would never see how they ended.
ign()
{
	"$PY" -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
if [ -x "$FI" ]; then
	mkvenv "$T/root/v3"
	snap "$T/root/v3" >"$T/v3.snap"
	FORKLIFT_FAULT_WORKER=0 run ign "$FI" install -p "$T/root/v3" --no-progress \
	    -j 1 "${X[2]}"
	assert_rc "SIGCHLD ignored, worker killed: the install fails" 1
	assert_grep "SIGCHLD ignored: the worker's real end is reported" \
	    "killed by signal 9 (SIGKILL) while unpacking it" "$T/err"
	assert_grep "SIGCHLD ignored: the wheel is named" "sg_f-1.0" "$T/err"
	assert_snap_same "SIGCHLD ignored, worker killed" "$T/v3.snap" "$T/root/v3"
else
	echo "note: no $FI; the SIGCHLD=SIG_IGN worker case is not run"
fi
# And a run that succeeds under it still succeeds (the interpreter query
# and the workers are waited for properly).
mkvenv "$T/root/v4"
run ign "$FORKLIFT" install -p "$T/root/v4" --no-progress --compile-bytecode "${X[2]}"
assert_rc "SIGCHLD ignored: a good install" 0
assert_file "$(site_packages "$T/root/v4")/sg_f-1.0.dist-info/RECORD"

finish
