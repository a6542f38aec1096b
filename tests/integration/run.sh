#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# itsperf run end to end (issue: the per-revision check) in the emulated
# pKVM host, 6.12 protected: two labels of 5 runs with every collector, the
# count cross-check, results read back and an A/A compare in the guest and
# on this side, and SIGINT leaving a partial run and the host as found.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_TEST_OUT:-build/test-out}/run
rm -rf "$OUT"
mkdir -p "$OUT"

"$ITSPERF" vm --kernel 6.12 --share tests/guest --out "$OUT" --timeout 600 -- \
	sh /mnt/share/run_e2e.sh > "$OUT/vm.log" 2>&1
check_eq "guest script ran (itsperf vm exit status)" 0 "$?"
if [ -f "$OUT/run.res" ]; then
	while read -r res what; do
		if [ "$res" = ok ]; then tap_ok "$what"; else tap_fail "$what"; fi
	done < "$OUT/run.res"
else
	tap_fail "no results from the guest (see $OUT/vm.log)"
fi

# the same results, read on this side by the x86 build
"$ITSPERF" compare "$OUT/e2e/A" "$OUT/e2e/B" > "$OUT/compare-x86.txt" 2>&1
check_eq "x86 itsperf compare of the guest's A/A runs: exit 0" 0 "$?"
"$ITSPERF" compare --format email "$OUT/e2e/A" "$OUT/e2e/B" > "$OUT/email.txt" 2>&1
check "email table fits 72 columns" awk 'length > 72 { exit 1 }' "$OUT/email.txt"
"$ITSPERF" report "$OUT/sigint" > "$OUT/report-partial.txt" 2>&1
check "the partial run reads back and says PARTIAL" grep -q PARTIAL "$OUT/report-partial.txt"

# the trace.dat written in the guest, read on this side by trace-cmd (issue 8)
TD=$OUT/tdat/T/run-1
if [ -f "$TD/files/trace.dat" ]; then
	want=$(tr -d ' \n' < "$TD/meta.json" | grep -oE '"trace.dat":\{[^}]*"MOVI":[0-9]+' |
		grep -oE '[0-9]+$')
	wl=$(tr -d ' \n' < "$TD/meta.json" | grep -oE '"workload":\{[^}]*"MOVI":[0-9]+' |
		grep -oE '[0-9]+$')
	got=$(trace-cmd report "$TD/files/trace.dat" 2>/dev/null | grep -c 'builder=its_build_movi_cmd')
	check_eq "trace-cmd report: MOVI records == the workload's count" "${wl:-?}" "$got"
	check_eq "trace-cmd report: MOVI records == the run's trace.dat count" "${want:-?}" "$got"
	rest=$(trace-cmd report "$TD/files/trace.dat" 2>/dev/null | grep -c 'builder=its_build_')
	check "trace-cmd report: every record names its builder" [ "$rest" -gt "$got" ]
else
	tap_fail "no trace.dat came back from the guest"
fi
