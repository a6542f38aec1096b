#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the emulated pKVM host for bpf/bench.sh: the same affinity
# workload (N writes, one MOVI each) without collector and under each BPF
# collector, REPS times interleaved. Appends "<config> <rep> <ns/write>"
# to $OUT/bench.txt and keeps each recorded run in $OUT/<config>-<rep>.
#
#   bpf_bench.sh DIR N REPS     (DIR holds the static affinity_loop)
set -u
LOOP=$1/affinity_loop
N=$2
REPS=$3
OUT=${ITSPERF_OUT:-/out}
DEV=$(readlink -f /sys/class/net/eth1/device/..)
IRQ=$(ls "$DEV/msi_irqs" | sort -n | sed -n 2p)
CONFIGS="${BPF_BENCH_CONFIGS:-none bpf:cmd_latency bpf:lock_hold bpf:hvc_path bpf}"

: > "$OUT/bench.txt"
$LOOP "$IRQ" 50 > /dev/null		# warm up: code paths, caches
r=1
while [ $r -le "$REPS" ]; do
	for c in $CONFIGS; do
		name=$(echo "$c" | tr ':' '_')-$r
		if [ "$c" = none ]; then
			t=$($LOOP "$IRQ" "$N")
		else
			t=$(itsperf record --no-calibrate -e "$c" -o "$OUT/$name" -- $LOOP "$IRQ" "$N" 2> /dev/null)
		fi
		echo "$c $r ${t:-fail}" >> "$OUT/bench.txt"
	done
	r=$((r + 1))
done
