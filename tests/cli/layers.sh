#!/bin/bash
# layers.sh: the include graph of src/ follows the layer list at the top
# of Makefile.am (arrows point down only, every file in a layer, no
# cycle), checked by tests/layers.py; and the checker itself fails on a
# copy of src/ given an arrow up and, separately, a cycle.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/../..}/tests/cli/lib.sh"

ROOT=${SRCDIR:-$(dirname "$0")/../..}
CHECK=$ROOT/tests/layers.py

"$PY" "$CHECK" "$ROOT/src" "$ROOT/Makefile.am" >"$T/out" 2>"$T/err"
RC=$?
assert_rc "the include graph of src/ follows the layers" 0
cat "$T/out"

# An arrow up: a base file including the engine's header.
cp -r "$ROOT/src" "$T/up"
printf '#include "engine.h"\n' >>"$T/up/util.h"
"$PY" "$CHECK" "$T/up" "$ROOT/Makefile.am" >"$T/out" 2>"$T/err"
RC=$?
assert_rc "util.h including engine.h is refused" 1
assert_grep "the arrow up is named" "util.h (base) includes engine.h (engine): an arrow up" "$T/out"

# A cycle within one layer.
cp -r "$ROOT/src" "$T/cyc"
printf '#include "tags.h"\n' >>"$T/cyc/markers.h"
printf '#include "markers.h"\n' >>"$T/cyc/tags.h"
"$PY" "$CHECK" "$T/cyc" "$ROOT/Makefile.am" >"$T/out" 2>"$T/err"
RC=$?
assert_rc "markers.h and tags.h including each other is refused" 1
assert_grep "the cycle is named" "include cycle: " "$T/out"

finish
