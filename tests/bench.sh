#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: speed and overhead figures. Each area keeps its benchmarks in
# <area>/bench.sh (analysis: report/compare speed on 10 M samples; bpf and
# trace: collector overhead per event; bench: workload rates). This runs
# them in turn and prints their figures; a failing section is reported and
# the others still run.
set -u
cd "$(dirname "$0")/.."
export ITSPERF_ROOT=$(pwd)
export ITSPERF=${ITSPERF:-$ITSPERF_ROOT/build/x86_64/itsperf}
export ITSPERF_A64=${ITSPERF_A64:-$ITSPERF_ROOT/build/aarch64/itsperf}
export ITSPERF_BENCH_OUT=${ITSPERF_BENCH_OUT:-$ITSPERF_ROOT/build/bench-out}
mkdir -p "$ITSPERF_BENCH_OUT"

failed=()
for s in */bench.sh; do
	[ -f "$s" ] || continue
	area=${s%/bench.sh}
	[ "$area" = tests ] && continue	# this script
	echo "=== $area"
	if ! bash "$s"; then
		failed+=("$area")
		echo "=== $area: FAILED"
	fi
	echo
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench sections failed: ${failed[*]}"
	exit 1
fi
