#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# itsperf run end to end, in the emulated host (tests/integration/run.sh):
# two labels of 5 runs each (every collector, the affinity, rebind and hvc
# workloads), read back and compared A/A; then a run interrupted with SIGINT.
# Writes "ok|fail what" lines to /out/run.res.
RES=/out/run.res
: > $RES
ok() { echo "ok $*" >> $RES; }
fail() { echo "fail $*" >> $RES; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
. /mnt/share/wait_lib.sh

DEV=$(basename "$(dirname "$(readlink -f /sys/class/net/eth1/device)")")
DRV=$(basename "$(readlink -f /sys/bus/pci/devices/$DEV/driver)")

# the host as found: every IRQ's affinity and eth1's driver
snapshot() {
	for d in /proc/irq/[0-9]*; do
		echo "${d##*/} $(cat "$d/smp_affinity_list" 2>/dev/null)"
	done
	echo "driver $(basename "$(readlink -f /sys/bus/pci/devices/$DEV/driver)")"
}
snapshot > /tmp/before

ARGS="--suite quick --runs 5 --workloads affinity,rebind,hvc --device $DEV"
for l in A B; do
	itsperf run --no-calibrate --label $l $ARGS -o /out/e2e > /out/run-$l.log 2>&1
	check "itsperf run --no-calibrate --label $l: exit 0 (counts cross-checked)" [ $? = 0 ]
	check "itsperf run --no-calibrate --label $l: MOVI counted by workload, bpf and ftrace alike" \
		grep -qE '^  MOVI +[0-9.]+ +[0-9]+ +[0-9]+  ok' /out/run-$l.log
done
check "5 + 5 complete runs written" [ "$(ls -d /out/e2e/A/run-* /out/e2e/B/run-* | wc -l)" = 10 ]
itsperf report /out/e2e/A/run-1 > /out/report.txt 2>&1
check "itsperf report reads a run back" grep -q 'cmd_latency' /out/report.txt
# perf counters per workload phase: cycles counted (QEMU's PMU has them), instructions
# counted or said "not supported" (TCG implements INST_RETIRED only with -icount)
check "report: perf counters of the affinity phase" \
	grep -q "Performance counter stats for phase 'affinity'" /out/report.txt
check "report: cycles counted in the affinity phase" grep -qE '^ +[0-9,]+ +cycles ' /out/report.txt
check "report: instructions counted or 'not supported'" \
	grep -qE '(^ +[0-9,]+|<not supported>) +instructions ' /out/report.txt

# itsperf record around a workload: the same counters over the recorded command
itsperf record --no-calibrate -e bpf:cmd_latency,ftrace -o /out/rec -- itsperf bench affinity --ops 50 \
	> /out/record.log 2>&1
check "itsperf record around bench affinity: exit 0" [ $? = 0 ]
check "record: MOVI counted alike by the workload, bpf and ftrace" \
	grep -qE '^  MOVI +[0-9.]+ +[0-9]+ +[0-9]+  ok' /out/record.log
check "record: the temporary workload summary removed" \
	[ -z "$(ls /tmp/itsperf-record-*.json 2>/dev/null)" ]
itsperf record --no-calibrate -e ftrace -o /out/rec2 -- itsperf bench affinity --ops 30 --json /out/aff.json \
	> /out/record2.log 2>&1
check "record -- bench --json FILE: exit 0, MOVI workload == ftrace" \
	grep -qE '^  MOVI +[0-9.]+ +- +[0-9]+  ok' /out/record2.log
check "record -- bench --json FILE: the user's file kept" grep -q '"expected_commands"' /out/aff.json
itsperf report /out/rec > /out/report-rec.txt 2>&1
check "record: perf counters of phase 'record' reported" \
	grep -q "Performance counter stats for phase 'record'" /out/report-rec.txt
check "record: cycles counted" grep -qE '^ +[0-9,]+ +cycles ' /out/report-rec.txt
itsperf compare /out/e2e/A /out/e2e/B > /out/compare-aa.txt 2>&1
check "itsperf compare A/A exits 0" [ $? = 0 ]
snapshot > /tmp/after
check "affinities and eth1's driver ($DRV) as found after the runs" cmp -s /tmp/before /tmp/after

# the command records kept as trace.dat: a fourth count in the cross-check
itsperf run --no-calibrate --label T --suite quick --runs 1 --workloads affinity,rebind --device $DEV \
	--trace-dat -o /out/tdat > /out/run-tdat.log 2>&1
check "itsperf run --trace-dat: exit 0" [ $? = 0 ]
check "--trace-dat: MOVI counted alike by workload, bpf, ftrace and trace.dat" \
	grep -qE '^  MOVI +[0-9.]+ +[0-9]+ +[0-9]+ +[0-9]+  ok' /out/run-tdat.log
check "--trace-dat: trace.dat attached" [ -s /out/tdat/T/run-1/files/trace.dat ]
itsperf report /out/tdat/T/run-1 > /out/report-tdat.txt 2>&1
check "--trace-dat: report names the file" grep -q 'raw ITS command records: .*trace.dat' \
	/out/report-tdat.txt

# SIGINT in the middle of a paced affinity run (200 moves at 50/s: 4 s)
itsperf run --no-calibrate --label S --suite quick --runs 2 --rate 50 --workloads affinity,rebind \
	--device $DEV -o /out/sigint > /out/run-sigint.log 2>&1 &
pid=$!
# ready: the affinity workload has started (its journal exists), set-up is done
check "SIGINT: the paced workload started" wait_until 300 journal_present
kill -INT $pid
wait $pid
rc=$?
check "SIGINT: itsperf run exits non-zero ($rc)" [ $rc != 0 ]
run=$(ls -d /out/sigint/S/run-* 2>/dev/null | head -1)
check "SIGINT: the interrupted run is kept ($run)" [ -f "$run/meta.json" ]
check "SIGINT: ... and marked partial" grep -q '"partial": *true' "$run/meta.json"
check "SIGINT: only one run started" [ "$(ls -d /out/sigint/S/run-* | wc -l)" = 1 ]
snapshot > /tmp/after-int
check "SIGINT: affinities and eth1's driver as found" cmp -s /tmp/before /tmp/after-int
diff /tmp/before /tmp/after-int > /out/sigint-diff.txt
exit 0
