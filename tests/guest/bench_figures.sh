# SPDX-License-Identifier: GPL-2.0
# Guest side of bench/bench.sh (make bench): each workload's rate and
# latency on this emulated host, human summaries into /out.
OUT=${ITSPERF_OUT:-/out}
run() {	# name args...
	local name=$1
	shift
	itsperf bench "$@" --json $OUT/$name.json > $OUT/$name.txt 2>&1 ||
		echo "FAILED: itsperf bench $*" >> $OUT/$name.txt
}
run hvc hvc --ops 50000
run vcpu vcpu --duration 3
run affinity affinity --duration 3
run rebind rebind --device 0000:00:02.0 --ops 20
run msi msi --device /dev/vda --duration 3
echo done > $OUT/figures.done
