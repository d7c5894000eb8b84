#!/bin/sh
# run.sh: builds and runs forklift's libFuzzer targets; 'make fuzz' calls it.
#
#   run.sh SRCDIR OUTDIR
#
# From the environment: FUZZ_CC (clang), FUZZ_SECONDS (per target),
# FUZZ_JOBS (targets run at once; 0 = online CPUs), TARGETS (names: fuzz_X.c
# in tests/fuzz), SOURCES (the library's sources; the .c files are built
# again with the sanitizers), CFLAGS_ALL and LIBS_ALL (include paths,
# warnings and libraries from configure).
#
# The library is compiled with -fsanitize=fuzzer-no-link,address,undefined
# into OUTDIR/libfuzz.a, each target linked with -fsanitize=fuzzer.  Seeds
# come from seeds.py (generated, never committed); what a fuzzer finds
# stays in OUTDIR/corpus/X for the next run, crashes in OUTDIR/artifacts.
# Prints one line per target, 'FUZZ PASS: fuzz_X (N runs, M exec/s)' or
# 'FUZZ FAIL: ...' with the end of its log, and exits 1 if any failed.
# Without clang (or without its libFuzzer runtime) it says so and exits 0.

set -u
src=$1
out=$2
: "${FUZZ_CC:=clang}" "${FUZZ_SECONDS:=20}" "${FUZZ_JOBS:=0}"
: "${CFLAGS_ALL:=}" "${LIBS_ALL:=}"
SAN=address,undefined
# clang's -Wformat=2 also flags the printf-like wrappers of util.c.
FLAGS="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Wno-format-nonliteral"

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "make fuzz: $FUZZ_CC not found: fuzzing skipped"
	exit 0
fi
mkdir -p "$out/obj" "$out/corpus" "$out/artifacts" || exit 1
# The libFuzzer runtime (Debian: libclang-rt-NN-dev) may be missing.
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    >"$out/probe.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,$SAN "$out/probe.c" -o "$out/probe" >/dev/null 2>&1; then
	echo "make fuzz: $FUZZ_CC cannot link -fsanitize=fuzzer (no libFuzzer runtime): fuzzing skipped"
	exit 0
fi
[ "$FUZZ_JOBS" -gt 0 ] 2>/dev/null || FUZZ_JOBS=$(nproc 2>/dev/null || echo 2)

echo "fuzz: building the library with $FUZZ_CC and -fsanitize=fuzzer-no-link,$SAN"
rm -f "$out"/obj/*.o "$out/libfuzz.a"
for f in $SOURCES; do
	case $f in
	*.c) echo "$src/$f" ;;
	esac
done | (cd "$out/obj" && xargs -P "$FUZZ_JOBS" -n 4 \
    "$FUZZ_CC" -c $CFLAGS_ALL $FLAGS -fsanitize=fuzzer-no-link,$SAN) || exit 1
ar rc "$out/libfuzz.a" "$out"/obj/*.o || exit 1
for t in $TARGETS; do
	"$FUZZ_CC" $CFLAGS_ALL $FLAGS -fsanitize=fuzzer,$SAN \
	    "$src/tests/fuzz/fuzz_$t.c" "$out/libfuzz.a" $LIBS_ALL \
	    -o "$out/fuzz_$t" || exit 1
done

rm -rf "$out/seeds"
PYTHONDONTWRITEBYTECODE=1 python3 "$src/tests/fuzz/seeds.py" "$out/seeds" || exit 1

echo "fuzz: running $(echo $TARGETS | wc -w) targets for ${FUZZ_SECONDS}s each, $FUZZ_JOBS at a time"
for t in $TARGETS; do
	echo "$t"
done | xargs -P "$FUZZ_JOBS" -I{} sh -c '
	out=$1 t=$2 secs=$3
	mkdir -p "$out/corpus/$t" "$out/seeds/$t"
	"$out/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
	    -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	    -artifact_prefix="$out/artifacts/$t-" \
	    "$out/corpus/$t" "$out/seeds/$t" >"$out/$t.log" 2>&1
	echo $? >"$out/$t.rc"' sh "$out" {} "$FUZZ_SECONDS"

status=0
for t in $TARGETS; do
	rc=$(cat "$out/$t.rc" 2>/dev/null || echo "?")
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		echo "FUZZ PASS: fuzz_$t (${runs:-?} runs, ${eps:-?} exec/s)"
	else
		echo "FUZZ FAIL: fuzz_$t (exit $rc; log $out/$t.log)"
		tail -n 40 "$out/$t.log" | sed 's/^/  | /'
		status=1
	fi
done
exit $status
