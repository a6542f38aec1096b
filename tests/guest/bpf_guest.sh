#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the emulated pKVM host (itsperf vm --share tests/guest): the
# kernel actions that issue ITS commands, each under `itsperf record` with
# the BPF collectors, while an independent ftrace hist trigger on
# its_send_single_command / its_send_single_vcommand (keys=builder.sym)
# counts the same commands by type. Writes, per run NAME, to $OUT:
#   NAME/            the result run (itsperf record -o)
#   NAME.ftrace      "<CMD> <count>" from the hist trigger
#   NAME.workload    what the workload did by its own count ("moves N", ...)
#   NAME.rc          itsperf record's exit status
# The host side (tests/integration/bpf_guest.sh) compares them.
#
#   bpf_guest.sh [MOVES [CYCLES [HOTPLUGS]]]     defaults 200 10 3
set -u
MOVES=${1:-200}
CYCLES=${2:-10}
HOTPLUGS=${3:-3}
OUT=${ITSPERF_OUT:-/out}
T=/sys/kernel/tracing
INST=$T/instances/itsperf_bpftest
GROUP=itsperf_bpftest
EVENTS="bpf:cmd_latency,lock_hold"

log() { echo "bpf_guest: $*"; }

# ---- ftrace: the second, independent count ----
ftrace_setup() {
	echo "p:$GROUP/its_cmd its_send_single_command builder=%x1" >> $T/kprobe_events || return 1
	echo "p:$GROUP/its_vcmd its_send_single_vcommand builder=%x1" >> $T/kprobe_events || return 1
	mkdir -p $INST || return 1
}

ftrace_start() {
	for e in its_cmd its_vcmd; do
		echo 'hist:keys=builder.sym' > $INST/events/$GROUP/$e/trigger || return 1
		echo 1 > $INST/events/$GROUP/$e/enable || return 1
	done
}

# "{ builder: [ffff800080779e30] its_build_movi_cmd } hitcount: 200" -> "MOVI 200"
ftrace_stop() {	# name
	for e in its_cmd its_vcmd; do
		echo 0 > $INST/events/$GROUP/$e/enable
		cat $INST/events/$GROUP/$e/hist
		echo '!hist:keys=builder.sym' > $INST/events/$GROUP/$e/trigger
	done | sed -n 's/.*\] its_build_\([a-z0-9]*\)_cmd[^ ]* *} *hitcount: *\([0-9]*\).*/\1 \2/p' |
		awk '{ n[toupper($1)] += $2 } END { for (c in n) print c, n[c] }' > "$OUT/$1.ftrace"
}

ftrace_cleanup() {
	rmdir $INST 2>/dev/null
	echo "-:$GROUP/its_cmd" >> $T/kprobe_events 2>/dev/null
	echo "-:$GROUP/its_vcmd" >> $T/kprobe_events 2>/dev/null
}

# ---- workloads (run as the COMMAND of itsperf record) ----
if [ "${1:-}" = affinity ]; then
	# move one interrupt between CPU 0 and 1: one MOVI (+SYNC) per change of
	# effective CPU; counts only the writes that really moved it
	irq=$2 want=$3 n=0 i=0
	orig=$(cat /proc/irq/$irq/smp_affinity_list)
	while [ $n -lt $want ] && [ $i -lt $((want * 2)) ]; do
		cur=$(cat /proc/irq/$irq/effective_affinity_list)
		[ "$cur" = 0 ] && t=1 || t=0
		echo $t > /proc/irq/$irq/smp_affinity_list
		[ "$(cat /proc/irq/$irq/effective_affinity_list)" = $t ] && n=$((n + 1))
		i=$((i + 1))
	done
	echo "$orig" > /proc/irq/$irq/smp_affinity_list
	echo "moves $n"
	exit 0
fi
if [ "${1:-}" = rebind ]; then
	bdf=$2 drv=$3 want=$4 n=0
	while [ $n -lt $want ]; do
		echo $bdf > /sys/bus/pci/drivers/$drv/unbind || break
		echo $bdf > /sys/bus/pci/drivers/$drv/bind || break
		n=$((n + 1))
	done
	echo "cycles $n"
	exit 0
fi
if [ "${1:-}" = hotplug ]; then
	want=$2 n=0
	while [ $n -lt $want ]; do
		echo 0 > /sys/devices/system/cpu/cpu1/online || break
		echo 1 > /sys/devices/system/cpu/cpu1/online || break
		n=$((n + 1))
	done
	echo "cycles $n"
	exit 0
fi

# ---- the spare NIC: its PCI device and MSI-X interrupts ----
NET1_DEV=$(readlink -f /sys/class/net/eth1/device/..)
NET1_BDF=$(basename "$NET1_DEV")
NET1_IRQS=$(ls "$NET1_DEV/msi_irqs" 2>/dev/null | sort -n)
NET1_DRV=$(basename "$(readlink -f "$NET1_DEV/driver")")
NET1_IRQ=$(echo $NET1_IRQS | cut -d' ' -f2)	# the first queue vector
[ -n "$NET1_IRQ" ] || NET1_IRQ=$(echo $NET1_IRQS | cut -d' ' -f1)
log "kernel $(uname -r), eth1 = $NET1_BDF ($NET1_DRV), vectors: $(echo $NET1_IRQS)"

# ---- one recorded run ----
record() {	# name workload args...
	name=$1
	shift
	ftrace_start || { log "ftrace hist trigger set-up failed"; return 1; }
	itsperf record -e $EVENTS -r -l bpftest -o "$OUT/$name" -- sh "$0" "$@" > "$OUT/$name.workload"
	echo $? > "$OUT/$name.rc"
	ftrace_stop "$name"
	log "$name: $(cat "$OUT/$name.workload"), ftrace: $(cat "$OUT/$name.ftrace" | tr '\n' ' ')"
}

ftrace_setup || { log "cannot create kprobe events"; exit 1; }
trap ftrace_cleanup EXIT
echo "$(echo $NET1_IRQS | wc -w)" > "$OUT/vectors"
record affinity affinity $NET1_IRQ $MOVES
record rebind rebind $NET1_BDF $NET1_DRV $CYCLES
# 6.1 in protected mode panics at EL2 when a CPU comes back online
# (check_local_cpu_capabilities -> HYP panic, without any probe attached)
case "$(uname -r):${ITSPERF_PKVM_MODE:-}" in
6.1.*:protected*)
	echo "6.1 pKVM: onlining a CPU again is a HYP panic on this kernel" > "$OUT/hotplug.skip" ;;
*)
	record hotplug hotplug $HOTPLUGS ;;
esac
# the interface came back with the rebind: leave it up as found
ip link set eth1 up 2>/dev/null
exit 0
