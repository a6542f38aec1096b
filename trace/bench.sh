#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trace/ part of `make bench`: what the ftrace collector costs per event.
#   1. this machine: ns per event recorded through the collector's tracefs
#      path (private instance, syscalls:sys_enter_getpid, filtered to the
#      thread), and ns per record read back (trace_pipe_raw + libtraceevent);
#   2. the emulated pKVM host, 6.12 and 6.1: ns added per affinity write (one
#      MOVI each) by `itsperf record -e ftrace` against the same workload
#      alone, divided by the events the collector recorded per write (its
#      kprobe + kretprobe events: send, two queue slots, completion wait,
#      its_set_affinity), best of interleaved repetitions.
# TCG timings are real for A/B on the same emulator, never hardware cost.
#
#   trace/bench.sh [--x86-only | --vm-only]      (called by tests/bench.sh)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ITSPERF=${ITSPERF:-$ROOT/build/x86_64/itsperf}
Q=$ROOT/build/x86_64/trace/tools/trace_query
TB=$ROOT/build/x86_64/trace/tools/trace_bench
OUT=${ITSPERF_BENCH_OUT:-$ROOT/build/bench-out}/trace
N=${TRACE_BENCH_N:-1000000}
OPS=${TRACE_BENCH_OPS:-2000}
REPS=${TRACE_BENCH_REPS:-3}

minimum() { sort -g | head -1; }

bench_x86() {
	local r

	echo "trace: tracefs instance path on $(uname -r) ($(uname -m)), $N getpid(2), median of 5"
	if [ "$(id -u)" != 0 ]; then
		echo "  skipped: needs root (tracefs)"
		return
	fi
	r=$("$TB" "$N" 5) || { echo "  failed"; return 1; }
	awk '
		$1 == "base" { b = $2 } $1 == "recorded" { r = $2 } $1 == "read" { d = $2 }
		END {
			printf "  %-40s %8.1f ns/getpid\n", "no event", b
			printf "  %-40s %8.1f ns/getpid  (+%.1f ns per recorded event)\n", \
				"sys_enter_getpid in an itsperf instance", r, r - b
			printf "  %-40s %8.1f ns/record\n", "read back (trace_pipe_raw, libtraceevent)", d
		}' <<< "$r"
}

bench_vm() {	# kernel
	local k=$1 out=$OUT/vm-$1 share=$OUT/share i base t ev ops
	rm -rf "$out"
	mkdir -p "$out" "$share"
	cp "$ROOT/tests/guest/trace_bench.sh" "$share/"
	echo "trace: ftrace collector in the emulated pKVM host, kernel $k (TCG: A/B only), $OPS affinity writes, best of $REPS"
	if ! timeout 900 "$ITSPERF" vm --kernel "$k" --share "$share" --out "$out" --timeout 800 \
		-- sh /mnt/share/trace_bench.sh "$OPS" "$REPS" > "$out/vm.log" 2>&1; then
		echo "  failed: see $out/vm.log"
		return 1
	fi
	base=$(for i in $(seq "$REPS"); do
		"$Q" json "$out/none-$i.json" latency affinity_write p50; done | minimum)
	t=$(for i in $(seq "$REPS"); do
		"$Q" json "$out/ftrace-$i.json" latency affinity_write p50; done | minimum)
	ev=$("$Q" "$out/ftrace-1" get overhead ftrace events)
	ops=$("$Q" json "$out/ftrace-1.json" ops)
	awk -v b="$base" -v t="$t" -v e="$ev" -v o="$ops" 'BEGIN {
		printf "  %-26s %9.0f ns/write (p50)\n", "no collector", b
		printf "  %-26s %9.0f ns/write (p50): +%.0f ns per write, %.1f events per write, %.0f ns per event\n", \
			"record -e ftrace", t, t - b, e / o, (t - b) / (e / o)
	}'
	echo "  (host load average: $(cut -d' ' -f1-3 /proc/loadavg))"
}

case "${1:-}" in
--x86-only) bench_x86 ;;
--vm-only) for k in 6.12 6.1; do bench_vm $k; done ;;
*)
	bench_x86
	for k in 6.12 6.1; do
		[ -e "$ROOT/build/kernels/$k" ] && bench_vm $k
	done
	;;
esac
