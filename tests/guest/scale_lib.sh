# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest side of tests/integration/scale.sh (busybox sh in the
# emulated host booted with --devices N --vectors M): the fleet workloads,
# the INV workload and per-CPU counts against the kernel's own counts.
. /mnt/share/bench_lib.sh

# the kernel's per-CPU view: a second kprobe keyed by builder and CPU
cpu_hist_start() {
	echo 'p:its_cmd_cpu its_send_single_command builder=%x1' >> $T/kprobe_events || return 1
	echo 'hist:keys=builder.sym,cpu' > $T/events/kprobes/its_cmd_cpu/trigger
}
cpu_hist_clear() {
	echo 'hist:keys=builder.sym,cpu:clear' >> $T/events/kprobes/its_cmd_cpu/trigger
}
cpu_hist_stop() {
	echo '!hist:keys=builder.sym,cpu' >> $T/events/kprobes/its_cmd_cpu/trigger
	echo '-:its_cmd_cpu' >> $T/kprobe_events
}
# kernel count of one command type sent from one CPU: cpu_hist_count movi 1
cpu_hist_count() {
	grep "its_build_${1}_cmd[ .+]" $T/events/kprobes/its_cmd_cpu/hist |
		grep "cpu: *$2 }" | sed 's/.*hitcount: *\([0-9]*\).*/\1/' |
		awk '{ n += $1 } END { print n + 0 }'
}

# a number from the summary JSON: jnum FILE KEY (first "KEY": N)
jnum() {
	grep -o "\"$2\": *[0-9]*" "$1" | head -1 | sed 's/.*: *//'
}

# KEY's number inside the first (flat) object OBJ: jobj FILE OBJ KEY
jobj() {
	tr -d ' \n' < "$1" | grep -oE "\"$2\":\{[^}]*" | head -1 | grep -oE "\"$3\":[0-9]+" |
		cut -d: -f2
}

# "  CPU 1: 596 ops, commands sent there: MOVI=596 SYNC=596" -> MOVI count
wl_cpu_count() {	# file cpu TYPE
	grep "^  CPU $2: " "$1" | tr ' ' '\n' | grep "^$3=" | cut -d= -f2 | awk '{ print $1 + 0 }'
}

# every CPU: the kernel's count of TYPE sent there == the workload's
check_per_cpu() {	# what file TYPE...
	local what=$1 f=$2 cpu t lc exp got n=0
	shift 2
	for cpu in $(seq 0 $(($(grep -c ^processor /proc/cpuinfo) - 1))); do
		grep -q "^  CPU $cpu: " "$f" || continue
		for t in "$@"; do
			lc=$(echo $t | tr A-Z a-z)
			exp=$(wl_cpu_count "$f" $cpu $t)
			got=$(cpu_hist_count $lc $cpu)
			check_eq "$what: CPU $cpu $t kernel == workload" "${exp:-0}" "$got"
		done
		n=$((n + 1))
	done
	check "$what: commands sent from $n CPUs (>= 2)" [ $n -ge 2 ]
}

extra_devices() {	# the --devices virtio-serial functions (class 0x078000)
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/class)" = 0x078000 ] && basename $d
	done
}

msi_count() {
	ls /sys/bus/pci/devices/$1/msi_irqs 2>/dev/null | wc -l
}

# N devices with M vectors each, bound, on the root bus and behind root ports
t_devices() {	# n m
	local n=$1 m=$2 d bad=0 ports=0
	check_eq "--devices $n: virtio-serial functions" $n "$(extra_devices | wc -l)"
	for d in $(extra_devices); do
		[ "$(pci_driver $d)" = virtio-pci ] || bad=$((bad + 1))
		[ "$(msi_count $d)" = $m ] || bad=$((bad + 1))
		case $d in 0000:00:*) ;; *) ports=$((ports + 1)) ;; esac
	done
	check_eq "--devices $n: devices not bound to virtio-pci with $m MSI-X vectors" 0 $bad
	[ $n -gt 25 ] && check_eq "--devices $n: behind pcie-root-ports once the root bus is full" \
		$((n - 24)) $ports
	check_eq "--devices $n --vectors $m: ITS interrupts (LPIs) of the extra devices" $((n * m)) \
		"$(for d in $(extra_devices); do for i in $(ls /sys/bus/pci/devices/$d/msi_irqs); do
			grep "^ *$i:" /proc/interrupts | grep -c ' ITS-'; done; done |
			awk '{ s += $1 } END { print s + 0 }')"
}

# rebind of the extra devices: MAPD 2 per device, MAPTI per vector, == kernel
t_rebind_extra() {	# n m jobs
	local n=$1 m=$2 j=$3 f=$OUT/rebind_extra_j$3.txt args= d rc
	for d in $(extra_devices); do args="$args --device $d"; done
	its_hist_clear
	cpu_hist_clear
	itsperf bench rebind $args --ops $n --jobs $j --json $OUT/rebind_extra_j$j.json > $f 2>&1
	rc=$?
	grep -v "^  skipped" $f
	check_eq "rebind of the $n extra devices (--jobs $j): exit status" 0 $rc
	check_eq "rebind (--jobs $j): cycles" $n "$(wl_ops $f)"
	check_eq "rebind (--jobs $j): kernel MAPD == 2 x $n devices" $((2 * n)) "$(its_hist_count mapd)"
	check_eq "rebind (--jobs $j): kernel MAPTI == $n devices x $m vectors" $((n * m)) \
		"$(its_hist_count mapti)"
	check_counts "rebind extra (--jobs $j)" $f
	[ $j -gt 1 ] && check_per_cpu "rebind (--jobs $j)" $f MAPD MAPTI DISCARD INV
	check_eq "rebind (--jobs $j): every extra device bound again" $n \
		"$(for d in $(extra_devices); do pci_driver $d; done | grep -c virtio-pci)"
	check "rebind (--jobs $j): journal removed" no_journal
}

# --device all: every device the guard allows, once; refused ones skipped with the reason
t_rebind_all() {
	local f=$OUT/rebind_all.txt rc ndev nvec
	its_hist_clear
	itsperf bench rebind --device all --json $OUT/rebind_all.json > $f 2>&1
	rc=$?
	grep -v "^  skipped" $f
	check_eq "rebind --device all: exit status" 0 $rc
	ndev=$(grep -o "^  [0-9]* device(s) (--device all)" $f | awk '{ print $1 }')
	nvec=$(grep -o "device(s) (--device all), [0-9]* ITS vector" $f | awk '{ print $4 }')
	check_eq "rebind --device all: one pass, one cycle per device" "$ndev" "$(wl_ops $f)"
	check_eq "rebind --device all: kernel MAPD == 2 per device" $((2 * ndev)) "$(its_hist_count mapd)"
	check_eq "rebind --device all: kernel MAPTI == every vector" "$nvec" "$(its_hist_count mapti)"
	check_counts "rebind --device all" $f
	check "rebind --device all: eth0 (default route) skipped with the reason" \
		grep -q "skipped 0000:00:01.0: refused: it carries the IPv4 default route" $f
	check "rebind --device all: /out's 9p device skipped with the reason" \
		grep -q "skipped 0000:00:05.0: refused: it backs the filesystem mounted on /out" $f
	check "rebind --device all: journal removed" no_journal
}

# parallel affinity: both CPUs send, per-CPU counts == kernel, pressure reported
t_affinity_jobs() {	# ops
	local f=$OUT/affinity_jobs.txt rc
	its_hist_clear
	cpu_hist_clear
	itsperf bench affinity --jobs 2 --ops $1 --json $OUT/affinity_jobs.json > $f 2>&1
	rc=$?
	grep -v "^  skipped" $f
	check_eq "affinity --jobs 2: exit status" 0 $rc
	check_eq "affinity --jobs 2: moves" $1 "$(wl_ops $f)"
	check_eq "affinity --jobs 2: kernel MOVI == workload (run + restore)" \
		"$(wl_count $f MOVI)" "$(its_hist_count movi)"
	check_per_cpu "affinity --jobs 2" $f MOVI
	check "affinity --jobs 2: its_pressure reported" grep -q '"its_pressure": *{' $OUT/affinity_jobs.json
	check_eq "affinity --jobs 2: its_pressure saw every run-phase send" \
		"$(wl_count $f MOVI run)" "$(jnum $OUT/affinity_jobs.json sends)"
	check "affinity --jobs 2: queue-full waits measured ($(jnum $OUT/affinity_jobs.json queue_full_waits))" \
		[ -n "$(jnum $OUT/affinity_jobs.json queue_full_waits)" ]
	check "affinity --jobs 2: its->lock contention measured ($(jnum $OUT/affinity_jobs.json contended) of $(jnum $OUT/affinity_jobs.json acquisitions))" \
		[ "$(jnum $OUT/affinity_jobs.json acquisitions)" = "$(wl_count $f MOVI run)" ]
	check_eq "affinity --jobs 2: no pressure record lost" 0 "$(jnum $OUT/affinity_jobs.json lost_records)"
	check "affinity --jobs 2: pressure probes removed" not grep -q bp_send /sys/kernel/tracing/kprobe_events
	check "affinity --jobs 2: journal removed" no_journal
}

vfio_loaded() {
	grep -q '^vfio' /proc/modules
}

# INV workload: INV count == kernel's; everything restored
t_inv() {	# bdf ops
	local f=$OUT/inv.txt rc bdf=$1
	its_hist_clear
	itsperf bench inv --device $bdf --ops $2 --json $OUT/inv.json > $f 2>&1
	rc=$?
	cat $f
	its_hist_dump
	check_eq "inv --ops $2: exit status" 0 $rc
	check_eq "inv: operations" $2 "$(wl_ops $f)"
	check_eq "inv: run-phase INV == 2 per operation" $((2 * $2)) "$(wl_count $f INV run)"
	check_eq "inv: kernel INV == workload INV" "$(wl_count $f INV)" "$(its_hist_count inv)"
	check "inv: INV is the most frequent command" \
		[ "$(its_hist_count inv)" -gt "$(its_hist_count mapti)" ]
	check_counts "inv" $f
	check_eq "inv: device bound to virtio-pci again" virtio-pci "$(pci_driver $bdf)"
	check_eq "inv: driver_override cleared" "(null)" "$(cat /sys/bus/pci/devices/$bdf/driver_override)"
	check "inv: the vfio modules it loaded are unloaded" not vfio_loaded
	check "inv: journal removed" no_journal
}

# the inv workload is under way: the device sits on vfio-pci and the journal exists
inv_running() {	# bdf
	[ "$(pci_driver $1)" = vfio-pci ] && journal_present
}

t_inv_signals() {	# bdf
	local pid rc bdf=$1
	itsperf bench inv --device $bdf --duration 60 --rate 50 > $OUT/inv_term.txt 2>&1 &
	pid=$!
	wait_until 300 inv_running $bdf
	check_eq "inv running: device on vfio-pci" vfio-pci "$(pci_driver $bdf)"
	kill -TERM $pid
	wait $pid
	rc=$?
	check_eq "inv SIGTERM: exit status" 0 $rc
	check "inv SIGTERM: summary says stopped by signal, partial" \
		grep -q "stop: signal (partial)" $OUT/inv_term.txt
	check_eq "inv SIGTERM: bound to virtio-pci again" virtio-pci "$(pci_driver $bdf)"
	check "inv SIGTERM: vfio modules unloaded" not vfio_loaded
	check "inv SIGTERM: journal removed" no_journal
	itsperf bench inv --device $bdf --duration 60 --rate 50 > /dev/null 2>&1 &
	pid=$!
	wait_until 300 inv_running $bdf
	kill -KILL $pid
	wait $pid
	check "inv SIGKILL: journal left behind" not no_journal
	itsperf bench restore > $OUT/inv_restore.txt 2>&1
	rc=$?
	cat $OUT/inv_restore.txt
	check_eq "inv SIGKILL, bench restore: exit status" 0 $rc
	check_eq "inv SIGKILL, bench restore: bound to virtio-pci" virtio-pci "$(pci_driver $bdf)"
	check_eq "inv SIGKILL, bench restore: driver_override cleared" "(null)" \
		"$(cat /sys/bus/pci/devices/$bdf/driver_override)"
	check "inv SIGKILL, bench restore: vfio modules unloaded" not vfio_loaded
	check "inv SIGKILL, bench restore: journal removed" no_journal
}

t_inv_refusals() {
	itsperf bench inv --device 0000:00:01.0 --ops 1 > $OUT/inv_eth0.txt 2>&1
	check_eq "inv of eth0 (default route) refused: exit status" 2 $?
	check "inv of eth0: says why" grep -q "default route" $OUT/inv_eth0.txt
	itsperf bench inv --device 0000:fe:1f.7 --ops 1 > /dev/null 2>&1
	check_eq "inv of a PCI address with no device: exit 2" 2 $?
	itsperf bench inv --device all --ops 1 > /dev/null 2>&1
	check_eq "inv --device all (rebind only): exit 2" 2 $?
	check "inv refusals: nothing left behind" no_journal
}

scale_begin() {
	bench_begin
	cpu_hist_start || res fail "kprobe + hist trigger keyed by CPU"
	res ok "guest ready for the command after $(cut -d' ' -f1 /proc/uptime) s of uptime"
}

# the BDFs in a run's meta.json under KEY ("label": affinity's interrupts, "bdf": rebind's devices)
meta_bdfs() {	# file key
	grep -o "\"$2\": \"[^\"]*\"" "$1" | grep -o '0000:[0-9a-f]*:[0-9a-f]*\.[0-9]' | sort -u
}

# itsperf run --sweep devices: one host, the first V devices touched per point
t_run_sweep() {	# comma list of device counts
	local f=$OUT/run_sweep.log list=$OUT/rebind_list.txt d v rc n b
	its_hist_clear
	itsperf bench rebind --device all --list > $list 2>&1
	check_eq "rebind --list: exit status" 0 $?
	check_eq "rebind --list: nothing unbound (kernel MAPD == 0)" 0 "$(its_hist_count mapd)"
	check "rebind --list: says why eth0 is left alone" \
		grep -q "^0000:00:01.0  left alone: refused: it carries the IPv4 default route" $list
	n=$(grep -c " ITS vector(s)$" $list)
	itsperf run --no-calibrate --label sw --runs 1 -w affinity,rebind -d all --sweep devices=$1 \
		-e bpf:cmd_latency,ftrace -o $OUT/rsweep > $f 2>&1
	rc=$?
	grep -E '^run |^  (MAPD|MAPTI|MOVI) ' $f
	check_eq "run --sweep devices=$1: exit status (every point cross-checked)" 0 $rc
	for v in $(echo $1 | tr , ' '); do
		d=$OUT/rsweep/sw/run-1-devices-$v/meta.json
		check "run --sweep: point $v: meta.sweep.devices = $v" \
			grep -q "\"devices\": *$v\(\.0\)\?\b" $d
		check_eq "run --sweep: point $v: rebind cycled the first $v of --list" \
			"$(grep " ITS vector(s)$" $list | head -n $v | cut -d' ' -f1 | sort | tr '\n' ' ')" \
			"$(meta_bdfs $d bdf | tr '\n' ' ')"
		check_eq "run --sweep: point $v: workload MAPD == 2 per device" $((2 * v)) \
			"$(jobj $d workload MAPD)"
		check_eq "run --sweep: point $v: affinity moved only those devices' vectors" "" \
			"$(for b in $(meta_bdfs $d label); do
				meta_bdfs $d bdf | grep -qx "$b" || echo "$b"
			done)"
		check "run --sweep: point $v: affinity moved some" grep -q '"label": "[^"]*0000:' $d
	done
	v=$((n + 1))
	itsperf run --no-calibrate --label sw --runs 1 -w rebind -d all --sweep devices=$v -o $OUT/rsweep-big \
		> $OUT/run_sweep_big.log 2>&1
	check_eq "run --sweep devices=$v (one more than --list has): exit 2" 2 $?
	check "... saying how many it has" grep -q "may cycle $n device(s) here" $OUT/run_sweep_big.log
	check "... before any run started" [ ! -d $OUT/rsweep-big/sw ]
}

# itsperf run --sweep vectors and cpus: what affinity moves, and from how many CPUs
t_run_sweep_vectors_cpus() {
	local f=$OUT/run_sweep_vc.log d v hi
	itsperf run --no-calibrate --label vec --runs 1 -w affinity --sweep vectors=1,2 -e ftrace \
		-o $OUT/rsweep-vc > $f 2>&1
	check_eq "run --sweep vectors=1,2: exit status (counts cross-checked)" 0 $?
	for v in 1 2; do
		d=$OUT/rsweep-vc/vec/run-1-vectors-$v/meta.json
		hi=$(grep -o '"label": "[^"]*#[0-9]*)"' $d | grep -o '#[0-9]*' | tr -d '#' |
			sort -n | tail -1)
		check "run --sweep vectors: point $v: affinity moved only vectors below $v (highest #${hi:-none})" \
			[ "${hi:-99}" -lt $v ]
	done
	itsperf run --no-calibrate --label cpu --runs 1 -w affinity --sweep cpus=1,2 -e ftrace \
		-o $OUT/rsweep-vc > $f 2>&1
	check_eq "run --sweep cpus=1,2: exit status (counts cross-checked)" 0 $?
	d=$OUT/rsweep-vc/cpu/run-1-cpus-2/meta.json
	check_eq "run --sweep cpus: point 2: MOVIs sent from both CPUs" 2 \
		"$(tr -d ' \n' < $d | grep -oE '"movi_by_source_cpu":\{[^}]*\}' | grep -oE '"[0-9]+":[1-9]' | wc -l)"
	check "run --sweep cpus: point 1: one sending thread" \
		grep -qE '"jobs": *1\b' $OUT/rsweep-vc/cpu/run-1-cpus-1/meta.json
}

# four CPUs on its->lock: waiters queue (MCS), where lock:contention_* fire
t_contention() {	# ops
	local f=$OUT/contention.log j=$OUT/contention.json bpf pc acq wt
	itsperf record -e bpf:lock_hold -o $OUT/contention -- \
		itsperf bench affinity --jobs 4 --ops $1 --pressure --json $j > $f 2>&1
	check_eq "record bpf:lock_hold -- affinity --jobs 4: exit status" 0 $?
	pc=$(jnum $j contended)
	bpf=$(itsperf report $OUT/contention 2>/dev/null |
		awk '$1 ~ /^contention\.its@/ { n += $3 } END { print n + 0 }')
	echo "its->lock: its_pressure contended ${pc:-?} of $1, bpf:lock_hold contention $bpf"
	check "its_pressure: its->lock contended with 4 CPUs sending (${pc:-?} of $1)" \
		[ "${pc:-0}" -gt 0 ]
	check "bpf:lock_hold: contention on its->lock seen with 4 CPUs ($bpf)" [ "$bpf" -gt 0 ]
	check "bpf:lock_hold contention ($bpf) <= its_pressure's contended acquisitions (${pc:-?})" \
		[ "$bpf" -le "${pc:-0}" ]
	acq=$(jobj $j acquire_when_contended p50_ns)
	wt=$(jobj $j wait_when_contended p50_ns)
	check "its_pressure: whole acquire p50 (${acq:-?}) >= the part spent on holders (${wt:-?})" \
		[ "${acq:-0}" -ge "${wt:-1}" ]
	check "its_pressure: handover time reported" grep -q '"handover_total_ns"' $j
}

scale_end() {
	cpu_hist_stop
	bench_end
}
