#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the emulated pKVM host (tests/integration/vm.sh, via --share):
# one boot, many checks. Prints key=value lines for the host-side test to
# assert on; copies them to $ITSPERF_OUT/checks.txt so the test can compare
# the file that came back over 9p with what came back on the console.
T=/sys/kernel/tracing

{
itsperf vm info
echo "raw_its_lines=$(grep -c 'ITS-' /proc/interrupts)"
echo "env_emulated=$ITSPERF_EMULATED"
echo "env_mode=$ITSPERF_PKVM_MODE"
echo "env_out=$ITSPERF_OUT"
echo "uid=$(id -u)"
echo "default_route=$(ip route show default | head -1)"
echo "eth0_state=$(cat /sys/class/net/eth0/operstate)"
echo "eth1_state=$(cat /sys/class/net/eth1/operstate)"
echo "eth1_routes=$(ip route show dev eth1 | grep -c .)"
echo "vda_sectors=$(cat /sys/block/vda/size 2>/dev/null)"
echo "share_ro=$(touch /mnt/share/x 2>/dev/null && echo 0 || echo 1)"
echo "vfio_modprobe=$(modprobe vfio_pci 2>/dev/null && grep -c '^vfio_pci ' /proc/modules)"
echo "kmod_dir=$(test -d /lib/itsperf/kmod && echo 1 || echo 0)"

# kprobe + hist trigger on the ITS command path; two affinity moves of a
# non-managed virtio-net vector must show up as exactly two MOVI commands
irq=$(grep 'virtio1-input.0' /proc/interrupts | cut -d: -f1 | tr -d ' ')
cpu=$(cat /proc/irq/$irq/effective_affinity_list)
other=$(( cpu == 0 ? 1 : 0 ))
echo 'p:itsperf_its its_send_single_command builder=%x1' >> $T/kprobe_events
echo "kprobe_added=$(grep -c itsperf_its $T/kprobe_events)"
echo 'hist:keys=builder.sym' > $T/events/kprobes/itsperf_its/trigger
echo "$other" > /proc/irq/$irq/smp_affinity_list
echo "$cpu" > /proc/irq/$irq/smp_affinity_list
movi=$(grep its_build_movi_cmd $T/events/kprobes/itsperf_its/hist | sed 's/.*hitcount: *//')
echo "movi_hist=${movi:-0}"
echo '!hist:keys=builder.sym' > $T/events/kprobes/itsperf_its/trigger
echo '-:itsperf_its' >> $T/kprobe_events
echo "kprobe_removed=$(grep -c itsperf_its $T/kprobe_events)"
} > /tmp/checks.txt 2>&1
cat /tmp/checks.txt
cp /tmp/checks.txt "$ITSPERF_OUT/checks.txt"
