#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trace/ on this machine (no emulated host): itsperf probes, boot-args and
# boot-collect against fake symbol tables and this kernel, and the ftrace
# collector's kprobe-less path (x86 CI has no kprobe events).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
Q=build/x86_64/trace/tools/trace_query
OUT=${ITSPERF_TEST_OUT:-build/test-out}/trace
rm -rf "$OUT"
mkdir -p "$OUT"

# a symbol table of a kernel carrying v1 of the ITS series (v1 spells
# "depriviledge"), plus filler so that it reads as a real one
fake_kallsyms() {	# file [extra lines...]
	local f=$1 i

	shift
	{
		for i in $(seq 1 1500); do printf 'ffff8000%08x t filler_%d\n' $i $i; done
		cat <<-SYMS
		ffff800081000000 T its_send_single_command
		ffff800081000100 t its_allocate_entry
		ffff800081000200 t its_wait_for_range_completion
		ffff800082000000 t finalize_pkvm
		ffff800082000100 t _kvm_host_prot_finalize
		ffff800082000200 T its_start_depriviledge
		ffff800082000300 T its_end_depriviledge
		ffff800082000400 t its_switch_to_staging_locked
		SYMS
		for i in "$@"; do echo "$i"; done
	} > "$f"
}

# --- itsperf probes ---
"$ITSPERF" probes > "$OUT/probes.txt" 2> "$OUT/probes.err"
check_eq "probes: exit status" 0 "$?"
check "probes: says once whether hypervisor tracing exists" \
	test "$(grep -c '^hypervisor tracing:' "$OUT/probes.txt")" = 1
"$ITSPERF" probes --json > "$OUT/probes.json"
n=$($Q json "$OUT/probes.json" probes | wc -l)
check "probes --json: one entry per logical probe ($n)" test "$n" -ge 20
check_eq "probes --json: cmd_send is absent on this kernel" "null" \
	"$($Q json "$OUT/probes.json" probes 0 symbol)"
check_eq "probes --json: hypervisor tracing not available here" "false" \
	"$($Q json "$OUT/probes.json" hypervisor_tracing available)"

fake_kallsyms "$OUT/v1.kallsyms"
"$ITSPERF" probes --kallsyms "$OUT/v1.kallsyms" > "$OUT/probes-v1.txt"
check_eq "probes --kallsyms: the series' v1 spelling resolves" "its_start_depriviledge" \
	"$(awk '$1 == "its_deprivilege_start" {print $3}' "$OUT/probes-v1.txt")"
check_eq "probes --kallsyms: the staging copy (the reference kernels' name) resolves" \
	"its_switch_to_staging_locked" \
	"$(awk '$1 == "its_staging_copy" {print $3}' "$OUT/probes-v1.txt")"
check "probes --kallsyms: an absent series probe says so, as normal" \
	grep -q '^its_hyp_setup .*absent on this kernel (series probe: normal when unpatched)' \
	"$OUT/probes-v1.txt"
"$ITSPERF" probes --kallsyms "$OUT/nonexistent" > /dev/null 2> "$OUT/probes-bad.err"
check_eq "probes --kallsyms missing file: exit status 2" 2 "$?"

# --- itsperf boot-args ---
args=$("$ITSPERF" boot-args --kernel "$OUT/v1.kallsyms" 2> "$OUT/boot-args.err")
check_eq "boot-args --kernel FILE: exit status" 0 "$?"
check "boot-args: the window (finalize_pkvm) entry and return" \
	grep -q 'p:itsperf_boot/deprivilege_window,finalize_pkvm;r:itsperf_boot/deprivilege_window_ret,finalize_pkvm' <<< "$args"
check "boot-args: each CPU's _kvm_host_prot_finalize" \
	grep -q 'p:itsperf_boot/host_prot_finalize,_kvm_host_prot_finalize' <<< "$args"
check "boot-args: the series' start/end by their v1 names" \
	grep -q 'its_deprivilege_start,its_start_depriviledge.*its_deprivilege_end,its_end_depriviledge' <<< "$args"
check "boot-args: no probe for what this kernel lacks (its_hyp_setup)" \
	test "$(grep -c its_hyp_setup <<< "$args")" = 0
check "boot-args: initcall tracepoints and a buffer size" \
	grep -q 'trace_event=initcall:initcall_start,initcall:initcall_finish .*trace_buf_size=' <<< "$args"
args=$("$ITSPERF" boot-args --kernel "$OUT/v1.kallsyms" --graph)
check "boot-args --graph: function_graph on the window, IRQs left out" \
	grep -q 'ftrace=function_graph ftrace_graph_filter=finalize_pkvm trace_options=nofuncgraph-irqs' <<< "$args"

# two functions of the same name: a kprobe on it would be refused (6.6+)
fake_kallsyms "$OUT/dup.kallsyms" "ffff800083000000 t _kvm_host_prot_finalize"
args=$("$ITSPERF" boot-args --kernel "$OUT/dup.kallsyms" 2> "$OUT/dup.err")
check "boot-args: an ambiguous symbol is left out" \
	test "$(grep -c host_prot_finalize <<< "$args")" = 0
check "boot-args: ... and says why" grep -q 'ambiguous' "$OUT/dup.err"

"$ITSPERF" boot-args --kernel "$OUT/nonexistent" > /dev/null 2> "$OUT/noker.err"
check_eq "boot-args: unknown kernel: exit status 2" 2 "$?"
img=$(ls build/kernels/6.12/boot/vmlinuz-* 2> /dev/null | head -1)
if [ -n "$img" ]; then
	"$ITSPERF" boot-args --kernel "$img" > /dev/null 2> "$OUT/img.err"
	check_eq "boot-args: Debian Image with a placeholder System.map: exit status 2" 2 "$?"
	check "boot-args: ... names the placeholder and the way out" grep -q 'placeholder' "$OUT/img.err"
else
	tap_skip "boot-args: Debian Image with a placeholder System.map" "no kernel under build/kernels (make deps)"
fi
"$ITSPERF" boot-args --probes no_such_probe > /dev/null 2> "$OUT/probes-arg.err"
check_eq "boot-args --probes unknown: exit status 2" 2 "$?"
"$ITSPERF" boot-args > /dev/null 2> "$OUT/x86.err"
check_eq "boot-args on this (non-pKVM) kernel: exit status 1" 1 "$?"
check "boot-args on this kernel: says no probe resolves" grep -q 'none of the probes resolves' "$OUT/x86.err"

# --- itsperf boot-collect ---
"$ITSPERF" boot-collect > /dev/null 2>&1
check_eq "boot-collect without -o: exit status 2" 2 "$?"
if [ -d /sys/kernel/tracing/events/itsperf_boot ]; then
	tap_skip "boot-collect without a boot trace" "this kernel was booted with boot-args"
else
	"$ITSPERF" boot-collect -o "$OUT/boot" > /dev/null 2> "$OUT/boot.err"
	check_eq "boot-collect without a boot trace: exit status 1" 1 "$?"
	check "boot-collect: tells how to get one" grep -q "boot-args' appended" "$OUT/boot.err"
	check "boot-collect: writes no run" test ! -e "$OUT/boot"
fi

# --- the ftrace collector where kprobes are missing ---
if [ -e /sys/kernel/tracing/kprobe_events ] || [ -e /sys/kernel/debug/tracing/kprobe_events ]; then
	tap_skip "record -e ftrace without kprobe events" "this kernel has kprobe events"
elif ! "$ITSPERF" record --list 2> /dev/null | grep -q '^ *ftrace'; then
	tap_skip "record -e ftrace without kprobe events" "itsperf record not built in"
else
	"$ITSPERF" record -e ftrace -o "$OUT/rec" -- true > /dev/null 2> "$OUT/rec.err"
	rc=$?
	check "record -e ftrace without kprobe events: non-zero exit ($rc)" test "$rc" -ne 0
	check "record -e ftrace: says there are no kprobe events" \
		grep -q 'nothing can be measured: this kernel has no kprobe events' "$OUT/rec.err"
	check "record -e ftrace: nothing left in tracefs" \
		test -z "$(ls /sys/kernel/tracing/instances 2> /dev/null | grep '^itsperf-')"
fi
