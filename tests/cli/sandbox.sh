#!/bin/bash
# sandbox.sh: a worker confined by --sandbox cannot reach beyond staging.
# With the fault-injection build ($FORKLIFT_FI), FORKLIFT_FAULT_SANDBOX
# makes every worker, once confined, try what a hostile wheel's code
# would: plant $HOME/outside, read $HOME/secret, create a file in the
# environment, open a TCP socket to a listener on 127.0.0.1, run /bin/sh,
# ptrace its parent; it writes one line per attempt and fails its wheel.
# With the sandbox on, every attempt must fail (EACCES from Landlock for
# files, EPERM from seccomp for the system calls), the parent must name
# the denied call, and the environment must be unchanged.  With
# --sandbox=off the same attempts succeed (so this test can fail).
# --sandbox=require with detection disabled (FORKLIFT_FAULT_NO_LANDLOCK)
# exits 1 naming Landlock; a normal install with the sandbox on works;
# -v says what was applied; --version -v prints the kernel's support.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

FI=${FORKLIFT_FI:-$(dirname "$FORKLIFT")/../tests/forklift-fi}
[ -x "$FI" ] || skip "no fault-injection build at $FI"
support=$("$FORKLIFT" --version -v | sed -n 's/^sandbox: //p')
case $support in
"landlock ABI "*", seccomp") ;;
*) skip "the kernel lacks Landlock or seccomp ($support)" ;;
esac
abi=$(echo "$support" | sed 's/landlock ABI \([0-9]*\).*/\1/')

V=$T/v
mkvenv "$V"
mkw1 A '{"name": "sb_a", "version": "1.0", "files": {"sb_a/__init__.py": "A = 1\n"}}'
mkw1 B '{"name": "sb_b", "version": "1.0", "files": {"sb_b/__init__.py": "B = 1\n"},
  "entry_points": {"console_scripts": {"sb-b": "sb_b:main"}}}'
echo s3cret >"$HOME/secret"

# A listener on a free port of 127.0.0.1, stopped on every exit path.
"$PY" - "$T/port" "$T/listener.pid" <<'EOF' &
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[2], "w").write("%d\n" % os.getpid())
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
EOF
trap 'kill "$(cat "$T/listener.pid" 2>/dev/null)" 2>/dev/null; cleanup' EXIT
for i in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "the listener did not start"; exit 99; }
export FORKLIFT_FAULT_SANDBOX_PORT=$(cat "$T/port")

# expect_line FILE NAME OUTCOME
expect_line()
{
	if grep -qx "$2 $3" "$1"; then
		ok "$4: $2 $3"
	else
		fail "$4: wanted '$2 $3'"
		show "$1" "$1"
	fi
}

# ---- sandbox on: every attempt fails, nothing changes -----------------
snap "$V" >"$T/before"
rm -f "$T/attempts"
FORKLIFT_FAULT_SANDBOX=$T/attempts run "$FI" install -p "$V" --no-progress -j 1 "$A"
[ "$RC" = 1 ] && ok "on: install refused" || { fail "on: exit $RC, wanted 1"; show err "$T/err"; }
expect_line "$T/attempts" write-outside EACCES on
expect_line "$T/attempts" read-secret EACCES on
expect_line "$T/attempts" create-in-env EACCES on
expect_line "$T/attempts" socket EPERM on
expect_line "$T/attempts" fork EPERM on
expect_line "$T/attempts" execve EPERM on
expect_line "$T/attempts" ptrace EPERM on
grep -q "^connect" "$T/attempts" && fail "on: connect was reached" || ok "on: no socket to connect"
grep -q "worker 1 (pid [0-9]*) was stopped by its sandbox (system call socket)" \
    "$T/err" && ok "on: the parent names the denied call" ||
    { fail "on: no sandbox stop in the error"; show err "$T/err"; }
[ ! -e "$HOME/outside" ] && ok "on: nothing planted in HOME" || fail "on: \$HOME/outside exists"
assert_snap_same "on" "$T/before" "$V"

# Landlock's network rules alone (ABI 4+), with seccomp off for the test:
# the socket opens, the connect is refused.
if [ "$abi" -ge 4 ]; then
	rm -f "$T/attempts"
	FORKLIFT_FAULT_NO_SECCOMP=1 FORKLIFT_FAULT_SANDBOX=$T/attempts \
	    run "$FI" install -p "$V" --no-progress -j 1 "$A"
	expect_line "$T/attempts" socket ok landlock-only
	expect_line "$T/attempts" connect EACCES landlock-only
	expect_line "$T/attempts" read-secret EACCES landlock-only
	assert_snap_same "landlock-only" "$T/before" "$V"
fi

# ---- sandbox off: the same attempts succeed -----------------------------
rm -f "$T/attempts"
FORKLIFT_FAULT_SANDBOX=$T/attempts run "$FI" install -p "$V" --no-progress -j 1 \
    --sandbox=off "$A"
[ "$RC" = 1 ] && ok "off: install refused (the hook fails the wheel)" ||
    fail "off: exit $RC, wanted 1"
for a in write-outside read-secret create-in-env socket connect fork execve ptrace; do
	expect_line "$T/attempts" "$a" ok off
done
[ -e "$HOME/outside" ] && ok "off: \$HOME/outside planted" || fail "off: no \$HOME/outside"
[ -e "$V/sandbox-planted" ] && ok "off: file planted in the environment" ||
    fail "off: nothing planted in the environment"
rm -f "$HOME/outside" "$V/sandbox-planted"

# ---- require, auto, -v ----------------------------------------------------
FORKLIFT_FAULT_NO_LANDLOCK=1 run "$FI" install -p "$V" --no-progress --sandbox=require "$A"
[ "$RC" = 1 ] && ok "require without Landlock: exit 1" || fail "require: exit $RC, wanted 1"
grep -q "sandbox=require: this kernel does not offer Landlock" "$T/err" &&
    ok "require names Landlock" || { fail "require: message"; show err "$T/err"; }
assert_snap_same "require" "$T/before" "$V"

FORKLIFT_FAULT_NO_LANDLOCK=1 run "$FI" install -p "$V" --no-progress -v "$A"
[ "$RC" = 0 ] && ok "auto without Landlock installs" || { fail "auto: exit $RC"; show err "$T/err"; }
grep -q "sandbox: .*no landlock, seccomp" "$T/err" && ok "-v says no landlock" ||
    { fail "-v: what was applied"; show err "$T/err"; }

mkvenv "$T/v2"
fk_install "$T/v2" -v --sandbox=require "$A" "$B"
[ "$RC" = 0 ] && ok "require: install works" || { fail "require: exit $RC"; show err "$T/err"; }
grep -q "sandbox: workers confine themselves: .*landlock ABI $abi" "$T/err" &&
    ok "-v says what was applied" || { fail "-v: no sandbox note"; show err "$T/err"; }
[ -x "$T/v2/bin/sb-b" ] && "$T/v2/bin/python" -c 'import sb_a, sb_b' &&
    ok "installed under the sandbox" || fail "installed files missing"
# Warm, from the cache (hard links and renames from the cache's tmp/).
mkvenv "$T/v3"
fk_install "$T/v3" --sandbox=require "$A" "$B"
[ "$RC" = 0 ] && ok "warm install under the sandbox" || { fail "warm: exit $RC"; show err "$T/err"; }
fk_install "$T/v3" --sandbox=bogus "$A"
[ "$RC" = 2 ] && ok "bad --sandbox: exit 2" || fail "bad --sandbox: exit $RC"

# ---- the bytecode compile servers: write only beneath staging -----------
# The environment's interpreter becomes a wrapper that first tries to
# plant a file in $T, then runs the real one.
mkvenv "$T/v4"
real=$(readlink -f "$T/v4/bin/python")
rm "$T/v4/bin/python"
cat >"$T/v4/bin/python" <<EOF
#!/bin/bash
case "\$*" in
*py_compile*) : >"$T/bc-planted" 2>/dev/null ;;
esac
exec -a "\$0" '$real' "\$@"
EOF
chmod +x "$T/v4/bin/python"
fk_install "$T/v4" --compile-bytecode "$A"
[ "$RC" = 0 ] && ok "bytecode under the sandbox" || { fail "bytecode: exit $RC"; show err "$T/err"; }
[ ! -e "$T/bc-planted" ] && ok "a compile server cannot write outside staging" ||
    fail "a compile server planted a file"
ls "$(site_packages "$T/v4")"/sb_a/__pycache__/*.pyc >/dev/null 2>&1 &&
    ok "the .pyc files were written" || fail "no .pyc written"
fk_install "$T/v4" --compile-bytecode --sandbox=off --reinstall "$A"
[ "$RC" = 0 ] && ok "off: bytecode" || { fail "off: bytecode: exit $RC"; show err "$T/err"; }
[ -e "$T/bc-planted" ] && ok "off: the compile server wrote outside" ||
    fail "off: the wrapper did not run or could not write"

finish
