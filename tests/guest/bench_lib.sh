# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest-side bench test scripts (busybox sh, in the emulated
# host). The kernel's own ITS command counts: a kprobe on
# its_send_single_command / its_send_single_vcommand whose `builder`
# argument (x1) names the command, aggregated by an ftrace hist trigger
# keyed by builder.sym (PLATFORM.md). Results go to $OUT as TAP-like lines
# that the host-side test turns into TAP.
. /mnt/share/wait_lib.sh
T=/sys/kernel/tracing
OUT=${ITSPERF_OUT:-/out}
RES=$OUT/bench.res

res() {	# ok|fail what...
	local st=$1
	shift
	echo "$st $*" >> "$RES"
	echo "bench: $st $*"
}
check() {	# what cmd...
	local what=$1
	shift
	if "$@"; then res ok "$what"; else res fail "$what"; fi
}
not() {
	! "$@"
}
check_eq() {	# what expected actual
	if [ "$2" = "$3" ]; then res ok "$1 ($3)"; else res fail "$1: expected '$2', got '$3'"; fi
}

its_hist_start() {
	echo 'p:its_cmd its_send_single_command builder=%x1' >> $T/kprobe_events || return 1
	echo 'p:its_vcmd its_send_single_vcommand builder=%x1' >> $T/kprobe_events || return 1
	echo 'hist:keys=builder.sym' > $T/events/kprobes/its_cmd/trigger || return 1
	echo 'hist:keys=builder.sym' > $T/events/kprobes/its_vcmd/trigger || return 1
}

its_hist_clear() {
	echo 'hist:keys=builder.sym:clear' >> $T/events/kprobes/its_cmd/trigger
	echo 'hist:keys=builder.sym:clear' >> $T/events/kprobes/its_vcmd/trigger
}

its_hist_stop() {
	echo '!hist:keys=builder.sym' >> $T/events/kprobes/its_cmd/trigger
	echo '!hist:keys=builder.sym' >> $T/events/kprobes/its_vcmd/trigger
	echo '-:its_cmd' >> $T/kprobe_events
	echo '-:its_vcmd' >> $T/kprobe_events
}

its_hist_dump() {
	cat $T/events/kprobes/its_cmd/hist $T/events/kprobes/its_vcmd/hist | grep hitcount
}

# the kernel's count of one command type: its_hist_count movi
its_hist_count() {
	cat $T/events/kprobes/its_cmd/hist $T/events/kprobes/its_vcmd/hist |
		grep "its_build_${1}_cmd[ .+]" |
		sed 's/.*hitcount: *\([0-9]*\).*/\1/' |
		awk '{ n += $1 } END { print n + 0 }'
}

# a count from a workload's human summary: wl_count FILE MOVI [phase]
wl_count() {
	local pat="expected ITS commands:"
	[ -n "$3" ] && pat="^    $3:"
	grep "$pat" "$1" | head -1 | tr ' ' '\n' | grep "^$2=" | cut -d= -f2 | awk '{ print $1 + 0 }'
}

# "bench affinity: 200 irq moves in ..." -> 200
wl_ops() {
	grep "^bench " "$1" | head -1 | awk '{ print $3 }'
}

# the "at most:" line (counts the kernel may add), else the expected count
wl_max() {
	local v
	v=$(grep "^  at most:" "$1" | head -1 | tr ' ' '\n' | grep "^$2=" | cut -d= -f2)
	[ -n "$v" ] && echo "$v" || wl_count "$1" "$2"
}

# every command type: the kernel's hist count within [expected, at most] of the workload
check_counts() {	# what summary-file
	local what=$1 f=$2 t lc exp max got
	for t in MAPD MAPC MAPTI MAPI MOVI DISCARD INV MOVALL INVALL INT CLEAR INVDB \
		 VMAPP VMAPTI VMOVI VMOVP VINVALL VINV VCLEAR VINT VSGI; do
		lc=$(echo $t | tr A-Z a-z)
		exp=$(wl_count "$f" $t); exp=${exp:-0}
		max=$(wl_max "$f" $t); max=${max:-0}
		got=$(its_hist_count $lc)
		[ "$exp" = 0 ] && [ "$max" = 0 ] && [ "$got" = 0 ] && continue
		if [ "$got" -ge "$exp" ] && [ "$got" -le "$max" ]; then
			if [ "$exp" = "$max" ]; then
				res ok "$what: $t kernel $got == workload $exp"
			else
				res ok "$what: $t kernel $got within workload $exp..$max"
			fi
		else
			res fail "$what: $t kernel $got, workload expected $exp..$max"
		fi
	done
}

its_irqs() {
	grep 'ITS-' /proc/interrupts | cut -d: -f1 | tr -d ' '
}

aff_snapshot() {
	local i
	for i in $(its_irqs); do echo "$i $(cat /proc/irq/$i/smp_affinity_list)"; done
}

eff_snapshot() {
	local i
	for i in $(its_irqs); do echo "$i $(cat /proc/irq/$i/effective_affinity_list)"; done
}

# an affinity moved since /tmp/aff.before (the workload is under way)
aff_changed() {
	aff_snapshot > /tmp/aff.now
	! cmp -s /tmp/aff.before /tmp/aff.now
}

no_journal() {
	[ -z "$(ls /run/itsperf/ 2>/dev/null)" ]
}

# IFF_UP of an interface (operstate follows later, through linkwatch)
if_up() {
	[ $(( $(cat /sys/class/net/$1/flags 2>/dev/null || echo 0) & 1 )) = 1 ]
}

pci_driver() {	# bdf
	basename "$(readlink /sys/bus/pci/devices/$1/driver 2>/dev/null)" 2>/dev/null
}

# affinity --ops N: the kernel's MOVI count equals the workload's
t_affinity_ops() {	# n
	local n=$1 f=$OUT/affinity.txt rc
	its_hist_clear
	itsperf bench affinity --ops $n --json $OUT/affinity.json > $f 2>&1
	rc=$?
	cat $f
	check_eq "affinity --ops $n: exit status" 0 $rc
	check_eq "affinity: operations done" $n "$(wl_ops $f)"
	check_eq "affinity: run-phase MOVI == operations" $n "$(wl_count $f MOVI run)"
	check_eq "affinity: kernel MOVI (hist on its_send_single_command) == workload MOVI (run + restore)" \
		"$(wl_count $f MOVI)" "$(its_hist_count movi)"
	check_counts "affinity" $f
	check "affinity: journal removed after the run" no_journal
}

# SIGTERM in the middle: every affinity back
t_affinity_sigterm() {
	local pid rc
	aff_snapshot > /tmp/aff.before
	itsperf bench affinity --duration 60 --rate 100 > $OUT/affinity_term.txt 2>&1 &
	pid=$!
	wait_until 300 aff_changed
	aff_snapshot > /tmp/aff.during
	kill -TERM $pid
	wait $pid
	rc=$?
	aff_snapshot > /tmp/aff.after
	cat $OUT/affinity_term.txt
	check "SIGTERM: the run had changed affinities" not cmp -s /tmp/aff.before /tmp/aff.during
	check "SIGTERM: every smp_affinity_list as before" cmp /tmp/aff.before /tmp/aff.after
	check_eq "SIGTERM: exit status" 0 $rc
	check "SIGTERM: summary says stopped by signal, partial" \
		grep -q "stop: signal (partial)" $OUT/affinity_term.txt
	check "SIGTERM: journal removed" no_journal
}

# SIGKILL: the journal is left, a new run refuses, bench restore undoes it
t_affinity_sigkill() {
	local pid rc
	aff_snapshot > /tmp/aff.before
	itsperf bench affinity --duration 60 --rate 100 > /dev/null 2>&1 &
	pid=$!
	wait_until 300 aff_changed
	kill -KILL $pid
	wait $pid
	aff_snapshot > /tmp/aff.killed
	check "SIGKILL: affinities left changed" not cmp -s /tmp/aff.before /tmp/aff.killed
	check "SIGKILL: journal left behind" not no_journal
	itsperf bench affinity --ops 1 > $OUT/affinity_refused.txt 2>&1
	rc=$?
	refused=0
	[ $rc = 1 ] && grep -q "itsperf bench restore" $OUT/affinity_refused.txt && refused=1
	check_eq "SIGKILL: a new run refuses (exit 1, says why) while the journal is pending" 1 $refused
	itsperf bench restore > $OUT/restore.txt 2>&1
	rc=$?
	cat $OUT/restore.txt
	check_eq "bench restore: exit status" 0 $rc
	aff_snapshot > /tmp/aff.after
	check "bench restore: every smp_affinity_list as before" cmp /tmp/aff.before /tmp/aff.after
	check "bench restore: journal removed" no_journal
}

# rebind of the spare virtio-net: exact MAPD/MAPTI/DISCARD/INV, device works afterwards
t_rebind_eth1() {	# cycles
	local n=$1 f=$OUT/rebind.txt bdf=0000:00:02.0 rc
	its_hist_clear
	itsperf bench rebind --device $bdf --ops $n --json $OUT/rebind.json > $f 2>&1
	rc=$?
	cat $f
	its_hist_dump
	check_eq "rebind eth1 --ops $n: exit status" 0 $rc
	check_eq "rebind: cycles done" $n "$(wl_ops $f)"
	check_counts "rebind eth1" $f
	check_eq "rebind: MAPD == 2 per cycle" $((2 * n)) "$(its_hist_count mapd)"
	check_eq "rebind: bound to virtio-pci afterwards" virtio-pci "$(pci_driver $bdf)"
	check "rebind: eth1 exists and is up" if_up eth1
	check "rebind: eth1 works (DHCP lease over it)" udhcpc -i eth1 -n -q -t 5 -s /bin/true
	check "rebind: journal removed" no_journal
}

t_rebind_refusals() {
	local rc
	its_hist_clear
	itsperf bench rebind --device 0000:00:05.0 --ops 1 > $OUT/rebind_9p.txt 2>&1
	rc=$?
	cat $OUT/rebind_9p.txt
	check_eq "rebind of /out's 9p device refused: exit status" 2 $rc
	check "rebind of /out's 9p device: says why" \
		grep -q "backs the filesystem mounted on /out (9p" $OUT/rebind_9p.txt
	check_eq "rebind of /out's 9p device: still bound" 9pnet_virtio "$(basename $(readlink /sys/bus/pci/devices/0000:00:05.0/virtio*/driver))"
	itsperf bench rebind --device 0000:00:01.0 --ops 1 > $OUT/rebind_eth0.txt 2>&1
	rc=$?
	cat $OUT/rebind_eth0.txt
	check_eq "rebind of eth0 (default route) refused: exit status" 2 $rc
	check "rebind of eth0: says why" grep -q "default route (interface eth0)" $OUT/rebind_eth0.txt
	check_eq "refused rebinds sent no MAPD" 0 "$(its_hist_count mapd)"
}

t_rebind_sigkill() {
	local pid rc bdf=0000:00:02.0
	itsperf bench rebind --device $bdf --duration 60 > /dev/null 2>&1 &
	pid=$!
	wait_until 300 journal_present
	kill -KILL $pid
	wait $pid
	check "rebind SIGKILL: journal left behind" not no_journal
	itsperf bench restore > $OUT/restore_rebind.txt 2>&1
	rc=$?
	cat $OUT/restore_rebind.txt
	check_eq "rebind SIGKILL, bench restore: exit status" 0 $rc
	check_eq "rebind SIGKILL, bench restore: bound to virtio-pci" virtio-pci "$(pci_driver $bdf)"
	check "rebind SIGKILL, bench restore: eth1 up" if_up eth1
	check "rebind SIGKILL, bench restore: eth1 works (DHCP lease over it)" \
		udhcpc -i eth1 -n -q -t 5 -s /bin/true
	check "rebind SIGKILL, bench restore: journal removed" no_journal
}

# the device's own vectors: the kernel's list of its MSI/MSI-X interrupts
dev_irqs() {	# bdf
	ls /sys/bus/pci/devices/$1/msi_irqs 2>/dev/null | sort -n
}

# the sum over every CPU column of those interrupts' /proc/interrupts lines
# (and nothing else: a line is taken by its IRQ number, not by a pattern)
irq_total_of() {	# irq...
	awk -v want=" $* " '
		{ n = $1; sub(":", "", n) }
		index(want, " " n " ") {
			for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; else break
		}
		END { print s + 0 }' /proc/interrupts
}

# vda is the VM's scratch disk (vm/qemu.c; the root is the initramfs): only
# the workload does I/O on it, so the interrupts of its vectors around the
# run are exactly the ones the workload counted inside it. Asserted ==: any
# other activity on those vectors (a mount, swap, a second reader) fails it.
t_msi() {	# device bdf
	local f=$OUT/msi.txt rc before after wl irqs nits i
	irqs=$(dev_irqs $2)
	nits=0
	for i in $irqs; do
		grep -q "^ *$i: .* ITS-" /proc/interrupts && nits=$((nits + 1))
	done
	check "msi: $2 has MSI vectors, all ITS ones ($(echo $irqs))" \
		[ -n "$irqs" -a "$nits" = "$(echo $irqs | wc -w)" ]
	check "msi: $1 is not mounted or swap (only the workload touches it)" \
		not grep -q "^$1 " /proc/mounts /proc/swaps
	before=$(irq_total_of $irqs)
	itsperf bench msi --device $1 --duration 2 --json $OUT/msi.json > $f 2>&1
	rc=$?
	after=$(irq_total_of $irqs)
	cat $f
	check_eq "msi $1: exit status" 0 $rc
	check_eq "msi: the workload counted the device's ITS vectors" "$nits" \
		"$(grep -o '"its_vectors": *[0-9]*' $OUT/msi.json | grep -o '[0-9]*$')"
	wl=$(grep "^  interrupts:" $f | awk '{ print $2 }')
	check "msi: interrupts counted on the device's ITS vectors ($wl)" [ "${wl:-0}" -gt 0 ]
	check_eq "msi: the workload's count == the /proc/interrupts delta of $2's vectors around it" \
		"$((after - before))" "${wl:-none}"
	check "msi: I/O latency distribution" grep -q "io_latency (ns): n=" $f
}

t_hvc() {	# mode
	local f=$OUT/hvc_$1.txt rc
	itsperf bench hvc --ops 20000 --json $OUT/hvc_$1.json > $f 2>&1
	rc=$?
	cat $f
	check_eq "hvc ($1): exit status" 0 $rc
	check "hvc ($1): a distribution of 20000 round trips" grep -q "hvc_roundtrip (ns): n=20000 " $f
	check "hvc ($1): measured in mode $1" grep -q "mode $1," $f
	check "hvc ($1): module unloaded" [ ! -d /sys/module/itsperf_hvc ]
	check "hvc ($1): journal removed" no_journal
}

# wl_json FILE KEY: a top-level number of a workload's JSON summary
wl_json() {
	grep -o "\"$2\": *[0-9]*" "$1" | head -1 | grep -o '[0-9]*$'
}

t_vcpu() {	# what ops vcpus [gicv4 [move-every]]
	local f=$OUT/vcpu_$1.txt j=$OUT/vcpu_$1.json rc mv="" ch vmovp
	[ -n "${5:-}" ] && mv="--move-every $5"
	its_hist_clear
	itsperf bench vcpu --ops $2 --vcpus $3 $mv --json $j > $f 2>&1
	rc=$?
	cat $f
	its_hist_dump
	check_eq "vcpu ($1): exit status" 0 $rc
	check_eq "vcpu ($1): KVM_RUN exits" $2 "$(wl_ops $f)"
	check "vcpu ($1): round-trip distribution" grep -q "kvm_run_roundtrip (ns): n=$2 " $f
	check_counts "vcpu ($1)" $f
	if [ "${4:-}" = gicv4 ]; then
		check "vcpu ($1): VMAPP sent" [ "$(its_hist_count vmapp)" -gt 0 ]
		check "vcpu ($1): CLEAR sent" [ "$(its_hist_count clear)" -gt 0 ]
	fi
	[ -n "$mv" ] || return 0
	# every KVM_RUN entered on another CPU than the last one returned on
	# moves the vPE: VMOVP (one Single-VMOVP-capable ITS) + the proxy
	# doorbell event's MOVI; the first load may add one pair per vCPU
	ch=$(wl_json $j vcpu_cpu_changes)
	vmovp=$(its_hist_count vmovp)
	check "vcpu ($1): the vCPU threads moved (KVM_RUN on another CPU ${ch:-0} times)" \
		[ "${ch:-0}" -gt 0 ]
	check "vcpu ($1): VMOVP > 0 (kernel $vmovp)" [ "$vmovp" -gt 0 ]
	check "vcpu ($1): kernel VMOVP $vmovp within CPU changes ${ch:-0} + 0..$3 first loads" \
		[ "$vmovp" -ge "${ch:-1}" -a "$vmovp" -le $((${ch:-0} + $3)) ]
	check_eq "vcpu ($1): kernel proxy MOVI == kernel VMOVP" "$vmovp" "$(its_hist_count movi)"
}

t_bad_args() {
	itsperf bench affinity --ops 0 > /dev/null 2>&1
	check_eq "bad --ops: exit 2" 2 $?
	itsperf bench nosuch > /dev/null 2>&1
	check_eq "unknown workload: exit 2" 2 $?
	itsperf bench rebind --device 0000:00:1f.0 > /dev/null 2>&1
	check_eq "rebind of a missing device: exit 2" 2 $?
	itsperf bench msi --device /dev/null > /dev/null 2>&1
	check_eq "msi on a non-block device: exit 2" 2 $?
}

bench_begin() {
	rm -f "$RES"
	its_hist_start || res fail "kprobe + hist trigger on its_send_single_command"
}

bench_end() {
	its_hist_stop
	echo "done" >> "$RES"
}
