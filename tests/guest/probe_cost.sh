#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the emulated host (bpf/bench.sh, make bench): cost per probe hit of
# each collector's send probes against a bare counter of the same attach
# type, on the same empty function (bpf_fentry_test3, called once per
# bench null_call operation). Prints "<config> <p50 ns per call>".
#   probe_cost.sh OPS
ops=${1:-2000}
on_null="cmd_send=bpf_fentry_test3,*=-"

p50() {	# output of itsperf bench / record around it
	sed -n 's/.*null_call (ns): .* p50=\([0-9]*\).*/\1/p' | head -1
}

rec() {	# name events [VAR=value...]
	name=$1
	events=$2
	shift 2
	env ITSPERF_PROBE_OVERRIDE="$on_null" "$@" itsperf record --no-calibrate -e "$events" \
		-o "/tmp/pc-$name" -- itsperf bench null_call --ops "$ops" 2>&1 | p50 |
		sed "s/^/$name /"
	rm -rf "/tmp/pc-$name"
}

itsperf bench null_call --ops "$ops" 2>&1 | p50 | sed 's/^/none /'
rec bare-fentry bpf:count_selftest
rec cmd_latency-fentry bpf:cmd_latency
rec bpf-fentry bpf
rec bare-kprobe bpf:count_selftest ITSPERF_BPF_NO_FENTRY=1
rec cmd_latency-kprobe bpf:cmd_latency ITSPERF_BPF_NO_FENTRY=1
rec bare-kprobe_event ftrace ITSPERF_FTRACE_NO_TRIGGERS=1
rec ftrace-kprobe_event ftrace
