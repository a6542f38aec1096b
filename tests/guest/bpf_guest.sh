#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the emulated pKVM host (itsperf vm --gic 4 --share tests/guest):
# the kernel actions that issue ITS commands and hypercalls, each under
# `itsperf record` with the BPF collectors and the ftrace collector, while
# an independent hist trigger set up here on its_send_single_command /
# its_send_single_vcommand (keys=builder.sym) counts the same commands.
# Writes, per run NAME, to $OUT:
#   NAME/              the result run (itsperf record -o)
#   NAME.hist          "<CMD> <count>" from this script's hist trigger
#   NAME.bench.json    the workload's own summary (itsperf bench -j)
#   NAME.workload      the shell workload's own count (hotplug)
#   NAME.rc            itsperf record's exit status
#   NAME.skip          why the run was not done
# The host side (tests/integration/bpf_guest.sh) compares them.
#
#   bpf_guest.sh [MOVES [CYCLES [HOTPLUGS [EXITS [VCPU_MOVE]]]]]   defaults 200 10 3 300 10
set -u
OUT=${ITSPERF_OUT:-/out}

# ---- shell workload (run as the COMMAND of itsperf record): CPU hotplug ----
if [ "${1:-}" = hotplug ]; then
	want=$2 n=0
	while [ $n -lt "$want" ]; do
		echo 0 > /sys/devices/system/cpu/cpu1/online || break
		echo 1 > /sys/devices/system/cpu/cpu1/online || break
		n=$((n + 1))
	done
	echo "cycles $n"
	exit 0
fi

MOVES=${1:-200}
CYCLES=${2:-10}
HOTPLUGS=${3:-3}
EXITS=${4:-300}
VCPU_MOVE=${5:-10}
T=/sys/kernel/tracing
INST=$T/instances/itsperf_bpftest
GROUP=itsperf_bpftest
ITS_EVENTS="bpf:cmd_latency,lock_hold,ftrace"

log() { echo "bpf_guest: $*"; }

# ---- the script's own hist trigger: a count independent of both collectors ----
hist_setup() {
	echo "p:$GROUP/its_cmd its_send_single_command builder=%x1" >> $T/kprobe_events || return 1
	echo "p:$GROUP/its_vcmd its_send_single_vcommand builder=%x1" >> $T/kprobe_events || return 1
	mkdir -p $INST
}

hist_start() {
	for e in its_cmd its_vcmd; do
		echo 'hist:keys=builder.sym' > $INST/events/$GROUP/$e/trigger || return 1
		echo 1 > $INST/events/$GROUP/$e/enable || return 1
	done
}

# "{ builder: [ffff800080779e30] its_build_movi_cmd } hitcount: 200" -> "MOVI 200"
hist_stop() {	# name
	for e in its_cmd its_vcmd; do
		echo 0 > $INST/events/$GROUP/$e/enable
		cat $INST/events/$GROUP/$e/hist
		echo '!hist:keys=builder.sym' > $INST/events/$GROUP/$e/trigger
	done | sed -n 's/.*\] its_build_\([a-z0-9]*\)_cmd[^ ]* *} *hitcount: *\([0-9]*\).*/\1 \2/p' |
		awk '{ n[toupper($1)] += $2 } END { for (c in n) print c, n[c] }' > "$OUT/$1.hist"
}

hist_cleanup() {
	rmdir $INST 2>/dev/null
	echo "-:$GROUP/its_cmd" >> $T/kprobe_events 2>/dev/null
	echo "-:$GROUP/its_vcmd" >> $T/kprobe_events 2>/dev/null
}

# ---- the spare NIC: its PCI device and MSI-X interrupts ----
NET1_DEV=$(readlink -f /sys/class/net/eth1/device/..)
NET1_BDF=$(basename "$NET1_DEV")
NET1_IRQ=$(ls "$NET1_DEV/msi_irqs" 2>/dev/null | sort -n | sed -n 2p)	# first queue vector
log "kernel $(uname -r), ${ITSPERF_PKVM_MODE:-?}, eth1 = $NET1_BDF, moving irq $NET1_IRQ"

record() {	# name events command...
	name=$1 events=$2
	shift 2
	hist_start || { log "hist trigger set-up failed"; return 1; }
	itsperf record --no-calibrate -e "$events" -r -l bpftest -o "$OUT/$name" -- "$@" > "$OUT/$name.workload" \
		2> "$OUT/$name.log"
	echo $? > "$OUT/$name.rc"
	hist_stop "$name"
	log "$name: record exit $(cat "$OUT/$name.rc"), hist: $(tr '\n' ' ' < "$OUT/$name.hist")"
}

hist_setup || { log "cannot create kprobe events"; exit 1; }
trap hist_cleanup EXIT

record affinity "$ITS_EVENTS" itsperf bench affinity --irq "$NET1_IRQ" --ops "$MOVES" \
	-j "$OUT/affinity.bench.json" -q
record rebind "$ITS_EVENTS" itsperf bench rebind --device "$NET1_BDF" --ops "$CYCLES" \
	-j "$OUT/rebind.bench.json" -q
# 6.1 in protected mode panics at EL2 when a CPU comes back online
# (check_local_cpu_capabilities -> HYP panic, without any probe attached)
case "$(uname -r):${ITSPERF_PKVM_MODE:-}" in
6.1.*:protected*)
	echo "6.1 pKVM: onlining a CPU again is a HYP panic on this kernel" > "$OUT/hotplug.skip" ;;
*)
	record hotplug "$ITS_EVENTS" sh "$0" hotplug "$HOTPLUGS" ;;
esac
# a KVM VM with a vGICv3 + vITS on GICv4.0: VMAPP/VINVALL, a CLEAR per vcpu
# load, a VMOVP + proxy MOVI each time the vCPU thread is moved to the other
# CPU (every VCPU_MOVE exits), and the hypercall paths (share, create, run,
# destroy)
record vcpu "bpf,ftrace" itsperf bench vcpu --ops "$EXITS" --move-every "$VCPU_MOVE" \
	-j "$OUT/vcpu.bench.json" -q
exit 0
