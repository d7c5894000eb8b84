# tests/cli/index-lib.sh: start and stop tests/indexserver.py for the
# end-to-end tests (sourced after lib.sh).  Every server listens on
# 127.0.0.1 with a port the kernel picks, has a pid file, and is stopped
# on every exit path.

SERVER=$SRCDIR/tests/indexserver.py
SERVERS=
stop_all()
{
	local pidf
	for pidf in $SERVERS; do
		[ -s "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null
	done
	wait 2>/dev/null
}
trap 'stop_all; cleanup' EXIT

# start_server NAME ARGS...: serve $T/idx; sets URL, PORT, LOG, PIDF.
start_server()
{
	local name=$1 i
	shift
	PIDF=$T/$name.pid
	LOG=$T/$name.log
	rm -f "$T/$name.port" "$PIDF" "$LOG"
	"$PY" "$SERVER" --root "$T/idx" --port-file "$T/$name.port" \
	    --pid-file "$PIDF" --log "$LOG" "$@" 2>"$T/$name.err" &
	SERVERS="$SERVERS $PIDF"
	for i in $(seq 100); do
		[ -s "$T/$name.port" ] && [ -s "$PIDF" ] && break
		sleep 0.1
	done
	[ -s "$T/$name.port" ] || { show "server $name" "$T/$name.err"; exit 99; }
	PORT=$(cat "$T/$name.port")
	URL=http://127.0.0.1:$PORT
}
