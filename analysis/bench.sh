#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# analysis: how long report and compare take on 10 million samples (run by
# tests/bench.sh, `make bench`). The runs are written by the real writer
# (gen_runs), so the writer's speed is printed too.
#
#   report:  one run holding one metric with 10 M raw samples
#   compare: 5 + 5 runs of 1 M samples each (10 M in all), one metric,
#            2000 bootstrap resamples
set -u
cd "$(dirname "$0")/.."
ITSPERF=${ITSPERF:-build/x86_64/itsperf}
GEN=build/x86_64/tests/gen_runs
OUT=${ITSPERF_BENCH_OUT:-build/bench-out}/analysis
N=${ITSPERF_BENCH_SAMPLES:-10000000}
METRIC=cmd_latency.total.MOVI

[ -x "$GEN" ] || { echo "analysis: $GEN not built (make bench-build)"; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"

# seconds (3 decimals) of one command; its output goes to $OUT/last.*
secs() {
	local t0 t1 rc

	t0=$(date +%s.%N)
	"$@" > "$OUT/last.out" 2> "$OUT/last.err"
	rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
	return $rc
}

slow=0
figure() {	# what seconds [samples]
	awk -v w="$1" -v s="$2" -v n="${3:-0}" 'BEGIN {
		printf "  %-50s %8.3f s", w, s
		if (n > 0) printf "  %6.1f M samples/s", n / s / 1e6
		printf "\n" }'
	# seconds, not minutes: a step over 60 s fails the section
	awk -v s="$2" 'BEGIN { exit !(s > 60) }' && slow=1
}

half=$((N / 10))
t=$(secs $GEN -n "$N" -m $METRIC "$OUT/one" big 1) || { cat "$OUT/last.err"; exit 1; }
figure "write 1 run x $N samples (gen_runs)" "$t" "$N"
size=$(du -sm "$OUT/one" | cut -f1)
echo "  run folder: $size MB"
$GEN -S 1 -n "$half" -m $METRIC "$OUT/base" base 5 || exit 1
$GEN -S 2 -n "$half" -m $METRIC -s 0.05 "$OUT/new" new 5 || exit 1

t=$(secs $ITSPERF report "$OUT/one/run-1") || { cat "$OUT/last.err"; exit 1; }
figure "report, 1 run, $N samples (exact quantiles)" "$t" "$N"
t=$(secs $ITSPERF report -f json "$OUT/one/run-1") || exit 1
figure "report -f json, same run" "$t" "$N"
t=$(secs $ITSPERF report -H "$OUT/one/run-1") || exit 1
figure "report --hist-only (no samples loaded)" "$t"
t=$(secs $ITSPERF compare "$OUT/base" "$OUT/new")
rc=$?
[ $rc -le 1 ] || { cat "$OUT/last.err"; exit 1; }
figure "compare 5 vs 5 runs, $N samples in all" "$t" "$N"
t=$(secs $ITSPERF compare -f email "$OUT/base" "$OUT/new")
figure "compare -f email, same runs" "$t" "$N"
t=$(secs $ITSPERF report -m "$OUT/base" "$OUT/new") || exit 1
figure "report --merge, 10 runs pooled per label" "$t" "$N"
[ $slow = 0 ] || { echo "analysis: a step took more than 60 s"; exit 1; }
