# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/itsref.sh: the project-built kernels
# (make kernel). $1 is the variant: base (7.2 + hypervisor tracing), v1
# (the series as posted) or v2 (as the review asked). Every count is checked
# against the kernel's own: its_send_single_command's hist trigger
# (bench_lib.sh), /proc/interrupts, and EL2's own its_cmd events.
. /mnt/share/bench_lib.sh
V=$1
H=$T/remotes/hypervisor

# a metric's sample count in a result: mcount RUNDIR NAME
mcount() {
	tr -d '\n' < "$1/meta.json" | grep -oE "\"name\": *\"$2\"[^]]*" | head -1 |
		grep -oE '"count": *[0-9]+' | head -1 | grep -oE '[0-9]+$'
}
# KEY's number inside the first (flat) object OBJ: jobj FILE OBJ KEY
jobj() {
	tr -d ' \n' < "$1" | grep -oE "\"$2\":\{[^}]*" | head -1 | grep -oE "\"$3\":[0-9]+" |
		cut -d: -f2
}
klog_has() {
	dmesg | grep -q "$1"
}

bench_begin
check "$V: pKVM protected mode" klog_has "Protected .* mode initialized successfully"
check "$V: hypervisor tracing (remotes/hypervisor)" [ -d $H/events/hypervisor ]

case $V in
v1) start=its_start_depriviledge end=its_end_depriviledge ;;
v2) start=its_start_deprivilege end=its_end_deprivilege ;;
esac
if [ "$V" != base ]; then
	check "$V: $start is a kernel symbol" grep -q " $start\$" /proc/kallsyms
	check "$V: $end is a kernel symbol" grep -q " $end\$" /proc/kallsyms
	check "$V: the ITS was handed over to EL2" klog_has "itsref: ITS deprivilege done: [1-9]"
	check "$V: EL2 events of the series" [ -d $H/events/hypervisor/its_commit ]
	dmesg | grep "itsref:"
fi

# 200 affinity moves are 200 MOVI in the kernel's count (bench_lib)
t_affinity_ops 200

# ... and, under the series, 200 MOVI that EL2 committed (its own its_cmd events)
if [ "$V" != base ]; then
	itsperf record --no-calibrate -e ftrace -o /out/rec-affinity -- itsperf bench affinity --ops 200 \
		> $OUT/rec-affinity.txt 2>&1
	check_eq "$V: record affinity exit status" 0 $?
	run=/out/rec-affinity
	check_eq "$V: EL2 committed MOVI (its_cmd events) == 200" 200 \
		"$(jobj $run/meta.json its_cmds MOVI)"
	check "$V: EL2 commit time per command type (cmd_latency.el2.MOVI)" \
		[ "$(mcount $run cmd_latency.el2.MOVI)" -ge 200 ]
	check_eq "$V: no hypervisor events lost" 0 "$(jobj $run/meta.json hypervisor lost)"
fi

# null hypercalls: every one is an EL2 entry with reason hvc
itsperf record --no-calibrate -e ftrace -o /out/rec-hvc -- itsperf bench hvc --ops 1000 > $OUT/rec-hvc.txt 2>&1
check_eq "$V: record hvc exit status" 0 $?
run=/out/rec-hvc
n=$(mcount $run hvc.el2.hvc)
# the session's own buffer load and event enables are host hypercalls too
check "$V: EL2 hvc entries ($n) within the workload's 1000 null hypercalls + 2%" \
	[ "${n:-0}" -ge 1000 -a "${n:-0}" -le 1020 ]

# interrupts still delivered: block I/O and network
t_msi /dev/vda 0000:00:03.0
ip link set eth0 up 2>/dev/null
check "$V: eth0 up" if_up eth0

# a crafted invalid command: rejected by EL2, counted, and the host survives
if [ "$V" != base ]; then
	echo 1 > /sys/kernel/debug/itsref/inject_bad_mapd
	check "$V: EL2 rejected the crafted MAPD" klog_has "itsref: EL2 rejected [1-9][0-9]* ITS commands"
	itsperf bench affinity --ops 10 > $OUT/after-inject.txt 2>&1
	check_eq "$V: affinity after the rejected command: exit status" 0 $?
fi

# kernel health
check "$V: no ITS queue timeout" not klog_has "ITS queue timeout"
check "$V: no Oops" not klog_has "Oops"
check "$V: no hypervisor panic" not klog_has "HYP panic"
case $V in
v1) check "v1: the review's finding: sleeping allocation under the ITS locks reported" \
	klog_has "BUG: sleeping function called from invalid context" ;;
*) check "$V: no sleeping-in-atomic report" \
	not klog_has "BUG: sleeping function called from invalid context" ;;
esac
bench_end
