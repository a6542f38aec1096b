#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, bench/ section: what each workload achieves on the emulated
# host, protected (6.12 hVHE) next to the unprotected nVHE baseline: null
# hypercall and KVM_RUN round trips, irq move (MOVI) latency, rebind cycle
# time, O_DIRECT IOPS and MSI rate. TCG timings: valid for A/B on the same
# emulator, never as hardware cost.
set -u
cd "$(dirname "$0")/.."
ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_BENCH_OUT:-build/bench-out}/bench
rm -rf "$OUT"
mkdir -p "$OUT"
rc=0

figures() {	# name vm-args...
	local name=$1 f
	shift
	mkdir -p "$OUT/$name"
	if ! "$ITSPERF" vm --share tests/guest --out "$OUT/$name" --timeout 300 "$@" \
		-- sh /mnt/share/bench_figures.sh > "$OUT/$name.log" 2>&1 ||
	   [ ! -f "$OUT/$name/figures.done" ]; then
		echo "$name: the emulated host failed, see $OUT/$name.log"
		rc=1
		return
	fi
	echo "--- $name"
	for f in hvc vcpu affinity rebind msi; do
		grep -h -e "^bench " -e " (ns): n=" -e "^  interrupts:" -e "FAILED" \
			"$OUT/$name/$f.txt" | sed 's/^/  /'
		grep -q FAILED "$OUT/$name/$f.txt" && rc=1
	done
}

figures 6.12-protected-hvhe --kernel 6.12 --mode protected
figures 6.12-nvhe --kernel 6.12 --mode nvhe
exit $rc
