#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One collector session for run and record (commands/session.c): the same
# -e lists are accepted or refused by both, select the same collectors, and
# start the same ones on this machine (x86: the BPF self-test collector
# attaches, the ITS collectors find nothing to probe).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_TEST_OUT:-build/test-out}/session
rm -rf "$OUT"
mkdir -p "$OUT"

for list in bpf bpf:cmd_latency,lock_hold ftrace bpf,ftrace bpf:tp_selftest \
	bpf:cmd_latency,ftrace; do
	run=$("$ITSPERF" run --dry-run -l s -e "$list" 2> /dev/null)
	rc_run=$?
	rec=$("$ITSPERF" record --dry-run -e "$list" 2> /dev/null)
	rc_rec=$?
	if [ $rc_run = 0 ] && [ $rc_rec = 0 ] && [ -n "$run" ] && [ "$run" = "$rec" ]; then
		tap_ok "-e $list: run and record select the same collectors ($run)"
	else
		tap_fail "-e $list: run selects '$run' (exit $rc_run), record '$rec' (exit $rc_rec)"
	fi
done
check_eq "-e bpf is every bpf: collector but the self-test" \
	"bpf:cmd_latency bpf:hvc_path bpf:lock_hold" "$("$ITSPERF" record --dry-run -e bpf)"

for list in nope bpf:nope ,; do
	"$ITSPERF" run --dry-run -l s -e "$list" > /dev/null 2>&1
	rc_run=$?
	"$ITSPERF" record --dry-run -e "$list" > /dev/null 2>&1
	rc_rec=$?
	check_eq "-e '$list' refused by run and by record (exit 2 2)" "2 2" "$rc_run $rc_rec"
done

# the same collectors start: the session's "collectors started" line
if [ "$(id -u)" != 0 ]; then
	tap_skip "run and record start the same collectors" "needs root for BPF"
else
	list=bpf:tp_selftest,cmd_latency
	"$ITSPERF" -v record -e $list -o "$OUT/rec" -- true > "$OUT/rec.log" 2>&1
	"$ITSPERF" -v run -l s -n 1 -w none -e $list -o "$OUT/run" > "$OUT/run.log" 2>&1
	a=$(grep -o 'collectors started:.*' "$OUT/rec.log")
	b=$(grep -o 'collectors started:.*' "$OUT/run.log")
	check "record -e $list started collectors ($a)" [ -n "$a" ]
	check_eq "run -e $list started the same ones" "$a" "$b"
	for d in "$OUT/rec" "$OUT/run/s/run-1"; do
		check "$d: the collector that could not init has its probe status" \
			grep -q '"bpf:cmd_latency"' "$d/meta.json"
		check "$d: kernel health written" grep -q '"health"' "$d/meta.json"
	done
fi
