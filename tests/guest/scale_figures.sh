# SPDX-License-Identifier: GPL-2.0
# Guest side of bench/bench.sh's scale section (make bench): the fleet and
# INV workloads on a host with --devices 32 --vectors 8 --iommu smmuv3, and
# what the its_pressure observer costs (affinity --jobs 2 with and without).
OUT=${ITSPERF_OUT:-/out}
run() {	# name args...
	local name=$1
	shift
	itsperf bench "$@" --json $OUT/$name.json > $OUT/$name.txt 2>&1 ||
		echo "FAILED: itsperf bench $*" >> $OUT/$name.txt
}
echo "guest ready after $(cut -d' ' -f1 /proc/uptime) s of uptime" > $OUT/uptime.txt
run rebind_all rebind --device all
run rebind_all_j2 rebind --device all --jobs 2
run affinity_j2_nopressure affinity --jobs 2 --duration 3 --no-pressure
run affinity_j2 affinity --jobs 2 --duration 3
run affinity_j1_pressure affinity --duration 3 --pressure
run inv inv --device 0000:00:07.0 --duration 3
echo done > $OUT/figures.done
