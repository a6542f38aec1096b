#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# itsperf record on this machine (x86 CI: tracepoint BPF only, no fentry,
# no kprobes): the self-test collector against a known workload, result
# contents through the strict reader, the command's exit status, SIGINT
# (partial run kept), --duration, bad -e, and the ITS collectors' missing
# symbols (every probe reported absent, the result still written). Needs
# root for BPF.
set -u
. "$(dirname "$0")/lib.sh"
ROOT=${ITSPERF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
ITSPERF=${ITSPERF:-$ROOT/build/x86_64/itsperf}
Q=$ROOT/build/x86_64/bpf/tools/bpf_query
LOOP=$ROOT/build/x86_64/bpf/tools/getpid_loop
OUT=${ITSPERF_TEST_OUT:-$ROOT/build/test-out}/bpf-record
N=20000

if [ "$(id -u)" != 0 ]; then
	tap_skip "itsperf record" "needs root (BPF)"
	exit 0
fi
if [ ! -x "$Q" ] || [ ! -x "$LOOP" ]; then
	tap_fail "bpf test helpers missing (make test-build)"
	exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT"

# ---- a known workload: N getpid calls by the recorded command ----
"$ITSPERF" record -e bpf:tp_selftest -r -l x86 -o "$OUT/tp" -- "$LOOP" $N > "$OUT/tp.out" 2> "$OUT/tp.err"
check_eq "tp_selftest: record exits with the command's status" 0 $?
check_eq "tp_selftest: run complete" 0 "$($Q "$OUT/tp" partial)"
check_eq "tp_selftest: getpid calls counted by tp_btf/sys_enter" $N \
	"$($Q "$OUT/tp" value tp_selftest.getpid.count)"
check_eq "tp_selftest: ... by tracepoint/syscalls/sys_enter_getpid" $N \
	"$($Q "$OUT/tp" value tp_selftest.getpid.count_tracepoint)"
check_eq "tp_selftest: latency histogram count" $N "$($Q "$OUT/tp" stat tp_selftest.getpid count)"
check_eq "tp_selftest: ring-buffer samples written" $N "$($Q "$OUT/tp" stat tp_selftest.getpid samples)"
check_eq "tp_selftest: ring-buffer samples received" $N \
	"$($Q "$OUT/tp" value tp_selftest.samples.received)"
check_eq "tp_selftest: ring-buffer drops" 0 "$($Q "$OUT/tp" value tp_selftest.samples.dropped)"
bad=$($Q "$OUT/tp" probes bpf:tp_selftest | awk '$3 != 1')
check_eq "tp_selftest: every tracepoint attached (tp_btf, tracepoint, raw_tp)" "" "$bad"
check_eq "tp_selftest: overhead counts the events" $N "$($Q "$OUT/tp" overhead bpf:tp_selftest events)"
# perf counters over the recorded command (issue 8): software counters count, the PMU ones
# are there as counted or as "not supported" with a reason, never missing
tr -d ' \n' < "$OUT/tp/meta.json" > "$OUT/tp-meta.flat"
check "perf counters: phase 'record' stored" grep -q '"perf_counters":{"record"' "$OUT/tp-meta.flat"
check "perf counters: context switches counted" \
	grep -qE '"context-switches":\{[^}]*"status":"ok"' "$OUT/tp-meta.flat"
check "perf counters: cycles counted or 'not supported'" \
	grep -qE '"cycles":\{[^}]*"status":"(ok|notsupported)"' "$OUT/tp-meta.flat"
check "kernel health stored with the run" grep -q '"health":{' "$OUT/tp-meta.flat"
$ITSPERF report "$OUT/tp" > "$OUT/tp-report.txt" 2>&1
check "report prints the counters perf-stat style" \
	grep -q "Performance counter stats for phase 'record'" "$OUT/tp-report.txt"
ns=$($Q "$OUT/tp" overhead bpf:tp_selftest ns_per_event)
if [ -n "$ns" ] && [ "${ns%.*}" -gt 0 ]; then
	tap_ok "tp_selftest: overhead recorded ($ns ns of BPF time per getpid)"
else
	tap_fail "tp_selftest: overhead missing ('$ns')"
fi

# ---- the command's exit status is forwarded ----
"$ITSPERF" record -e bpf:tp_selftest -o "$OUT/exit3" -- sh -c 'exit 3' 2> /dev/null
check_eq "exit status of the command forwarded" 3 $?
check_eq "... and its run written" 3 "$($Q "$OUT/exit3" record exit_status)"

# ---- SIGINT: stop, keep what was measured, mark partial ----
"$ITSPERF" record -e bpf:tp_selftest -o "$OUT/int" -- "$LOOP" 1000 30 > /dev/null 2> "$OUT/int.err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
rc=$?
check_eq "SIGINT: exit status 128+SIGINT from the interrupted command" 130 $rc
check_eq "SIGINT: run kept, marked partial" 1 "$($Q "$OUT/int" partial)"
check_eq "SIGINT: what was measured is in it" 1000 "$($Q "$OUT/int" value tp_selftest.getpid.count)"

# ---- --duration ----
"$ITSPERF" record -e bpf:tp_selftest -d 300ms -o "$OUT/dur" 2> /dev/null
check_eq "--duration: exit status" 0 $?
check_eq "--duration: run complete" 0 "$($Q "$OUT/dur" partial)"
d=$($Q "$OUT/dur" record duration_s)
if awk -v d="$d" 'BEGIN { exit !(d >= 0.3 && d < 3) }'; then
	tap_ok "--duration: recorded for ${d}s"
else
	tap_fail "--duration: recorded for '${d}'s, wanted 0.3 s"
fi

# ---- bad input ----
"$ITSPERF" record -e bpf:nosuch -o "$OUT/bad" -- true 2> "$OUT/bad.err"
check_eq "unknown collector: usage error" 2 $?
check "unknown collector: named in the message" grep -q "no collector 'bpf:nosuch'" "$OUT/bad.err"
check "unknown collector: nothing written" test ! -e "$OUT/bad"
"$ITSPERF" record -e bpf:tp_selftest -o "$OUT/tp" -- true 2> "$OUT/exists.err"
check_eq "existing output: refused" 2 $?
check_eq "existing output: the old run untouched" $N "$($Q "$OUT/tp" value tp_selftest.getpid.count)"
"$ITSPERF" record -e bpf:tp_selftest -d 1s -o "$OUT/both" -- true 2> /dev/null
check_eq "--duration and a command: usage error" 2 $?

# ---- the ITS collectors where there is no ITS: every probe absent, result still written ----
if grep -qw its_send_single_command /proc/kallsyms; then
	tap_skip "ITS collectors without ITS" "this kernel has an ITS driver"
	exit 0
fi
"$ITSPERF" record -e bpf -o "$OUT/noits" -- true 2> "$OUT/noits.err"
check_eq "-e bpf without ITS: exit status 1 (nothing measurable)" 1 $?
check_eq "-e bpf without ITS: run written anyway" 0 "$($Q "$OUT/noits" partial)"
for c in bpf:cmd_latency bpf:lock_hold bpf:hvc_path; do
	$Q "$OUT/noits" probes $c > "$OUT/noits.$c"
	n=$(grep -c 'absent on this kernel (tried' "$OUT/noits.$c")
	attached=$(awk '$3 == 1' "$OUT/noits.$c")
	if [ "$n" -gt 0 ] && [ -z "$attached" ]; then
		tap_ok "$c: $n probes reported 'absent on this kernel', none attached"
	else
		tap_fail "$c: probe status wrong: $(tr '\n' '|' < "$OUT/noits.$c")"
	fi
done
check "cmd_latency: its_send_single_command named in the reason" \
	grep -q '^cmd_send none 0 absent on this kernel (tried its_send_single_command)' \
	"$OUT/noits.bpf:cmd_latency"
check "message on stderr: nothing recorded" grep -q "nothing recorded" "$OUT/noits.err"
