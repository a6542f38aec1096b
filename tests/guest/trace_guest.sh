#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run in the emulated pKVM host by tests/integration/trace_vm.sh (booted with
# the output of `itsperf boot-args` appended). Writes everything to
# $ITSPERF_OUT for the host side to check:
#   boot        `itsperf boot-collect` of this boot's deprivilege trace
#   full mode, in addition:
#   probes      `itsperf probes --json`
#   aff         `itsperf record -e bpf:cmd_latency,ftrace` around
#               `itsperf bench affinity --ops N`
#   rebind      the same around `itsperf bench rebind` of the spare NIC (eth1)
#   term        `itsperf record -e ftrace` sent SIGTERM: nothing left behind
#   kill        the same sent SIGKILL: the next itsperf run removes the leftovers
#
# usage: trace_guest.sh boot|full [MOVES] [CYCLES]
mode=${1:-boot}
moves=${2:-200}
cycles=${3:-10}
out=${ITSPERF_OUT:-/out}
T=/sys/kernel/tracing

itsperf boot-collect -o "$out/boot" > "$out/boot.log" 2>&1
echo $? > "$out/boot.rc"
[ "$mode" = full ] || exit 0

itsperf probes --json > "$out/probes.json" 2> "$out/probes.err"
echo $? > "$out/probes.rc"

itsperf record --no-calibrate -e bpf:cmd_latency,ftrace -o "$out/aff" -- \
	itsperf bench affinity --ops "$moves" -j "$out/aff.json" -q > "$out/aff.log" 2>&1
echo $? > "$out/aff.rc"

pcidev=$(readlink -f /sys/class/net/eth1/device/..)
pci=${pcidev##*/}
echo "$pci" > "$out/rebind.device"
itsperf record --no-calibrate -e bpf:cmd_latency,ftrace -o "$out/rebind" -- \
	itsperf bench rebind --device "$pci" --ops "$cycles" -j "$out/rebind.json" -q \
	> "$out/rebind.log" 2>&1
echo $? > "$out/rebind.rc"

# wait (up to 60 s) until a recorder's instance exists
wait_instance() {
	i=0
	while [ $i -lt 600 ]; do
		ls $T/instances 2> /dev/null | grep -q '^itsperf-' && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# SIGTERM: the recorder removes its instance, triggers and dynamic events
itsperf record --no-calibrate -e ftrace -o "$out/term" -- sleep 120 > "$out/term.log" 2>&1 &
pid=$!
wait_instance
ls $T/instances > "$out/term.before"
grep -c ':itsperf/' $T/dynamic_events > "$out/term.before_dyn"
kill -TERM $pid
wait $pid
echo $? > "$out/term.rc"
ls $T/instances > "$out/term.after"
grep ':itsperf/\|synthetic/itsperf_' $T/dynamic_events > "$out/term.after_dyn"

# SIGKILL: nothing runs, the next run (here `itsperf probes`) cleans up
itsperf record --no-calibrate -e ftrace -o "$out/kill" -- sleep 120 > "$out/kill.log" 2>&1 &
pid=$!
wait_instance
kill -KILL $pid
wait $pid
ls $T/instances > "$out/kill.before"
grep -c ':itsperf/' $T/dynamic_events > "$out/kill.before_dyn"
itsperf probes > "$out/kill.probes" 2>&1
ls $T/instances > "$out/kill.after"
grep ':itsperf/\|synthetic/itsperf_' $T/dynamic_events > "$out/kill.after_dyn"
pkill sleep 2> /dev/null
exit 0
