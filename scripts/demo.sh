#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: each area's <area>/demo.sh in turn (like tests/bench.sh does for
# benchmarks); a failing section is reported and the others still run.
set -u
cd "$(dirname "$0")/.."
export ITSPERF_ROOT=$(pwd)
export ITSPERF=${ITSPERF:-$ITSPERF_ROOT/build/x86_64/itsperf}
export ITSPERF_A64=${ITSPERF_A64:-$ITSPERF_ROOT/build/aarch64/itsperf}
export ITSPERF_DEMO_OUT=${ITSPERF_DEMO_OUT:-$ITSPERF_ROOT/demo-out}
mkdir -p "$ITSPERF_DEMO_OUT"

failed=()
for s in */demo.sh; do
	[ -f "$s" ] && [ "$s" != scripts/demo.sh ] || continue
	echo "== ${s%/demo.sh}"
	bash "$s" || failed+=("${s%/demo.sh}")
	echo
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "demo: failed: ${failed[*]}"
	exit 1
fi
echo "demo: done (output under $ITSPERF_DEMO_OUT)"
