#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the emulated pKVM host (itsperf vm --share DIR, DIR holding this
# script and capture_driver). Two captured phases, results in $ITSPERF_OUT:
#   affinity/  MOVES writes to eth1's input-queue IRQ affinity, alternating
#              CPU0/CPU1, under a kprobe on its_send_single_command (builder
#              symbol) and perf counters; moves = the CPU changes that took
#              effect (one MOVI each), counted by the workload itself.
#   kvm/       KVM VM+vCPU create/destroy cycles (hypercalls: EL2 work) under
#              perf counters, for the exclude_hv split.
#   multiplex/ the same with 12 more cycle counters than asked for: more than
#              the PMU has, so perf multiplexes and the counts are scaled.
# The IRQ's affinity is restored afterwards.
#
#   capture_affinity.sh [MOVES]        the test
#   capture_affinity.sh move IRQ N     the affinity workload (internal)
set -u
here=$(dirname "$0")
out=${ITSPERF_OUT:-/out}

if [ "${1:-}" = move ]; then
	irq=$2 n=$3 moved=0 i=0
	prev=$(cat /proc/irq/$irq/effective_affinity_list)
	while [ $i -lt $n ]; do
		echo $((i % 2)) > /proc/irq/$irq/smp_affinity_list || exit 1
		cur=$(cat /proc/irq/$irq/effective_affinity_list)
		[ "$cur" != "$prev" ] && moved=$((moved + 1))
		prev=$cur
		i=$((i + 1))
	done
	echo $moved > "$out/affinity/moves"
	exit 0
fi

moves=${1:-20}
dev=$(basename "$(readlink /sys/class/net/eth1/device)")
irq=$(awk -v d="$dev-input.0" '$NF == d { sub(":", "", $1); print $1 }' /proc/interrupts)
if [ -z "$irq" ]; then
	echo "capture_affinity: no input IRQ for eth1 ($dev)" >&2
	exit 1
fi
orig=$(cat /proc/irq/$irq/smp_affinity_list)
trap 'echo "$orig" > /proc/irq/$irq/smp_affinity_list' EXIT
echo "capture_affinity: eth1 = $dev, IRQ $irq, affinity $orig, $moves moves"

mkdir -p "$out/affinity" "$out/kvm" "$out/multiplex"
rc=0
"$here/capture_driver" -o "$out/affinity" -p affinity \
	-k 'its_cmd its_send_single_command builder=%x1:symbol' \
	-c itsperf_cap:its_cmd -- sh "$0" move "$irq" "$moves" || rc=1

"$here/capture_driver" -o "$out/kvm" -p kvm -- "$here/capture_driver" --work kvm 20 || rc=1
"$here/capture_driver" -o "$out/multiplex" -p multiplex -m 12 -- \
	"$here/capture_driver" --work kvm 20 || rc=1
exit $rc
