#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run in the emulated pKVM host by trace/bench.sh: the affinity workload
# alone and under `itsperf record -e ftrace`, interleaved, REPS times.
#
# usage: trace_bench.sh OPS REPS
ops=${1:-2000}
reps=${2:-3}
out=${ITSPERF_OUT:-/out}
i=1
while [ $i -le "$reps" ]; do
	itsperf bench affinity --ops "$ops" -j "$out/none-$i.json" -q > /dev/null 2>&1
	itsperf record --no-calibrate -e ftrace -o "$out/ftrace-$i" -- \
		itsperf bench affinity --ops "$ops" -j "$out/ftrace-$i.json" -q > /dev/null 2>&1
	i=$((i + 1))
done
