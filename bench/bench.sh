#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, bench/ section: what each workload achieves on the emulated
# host, protected (6.12 hVHE) next to the unprotected nVHE baseline: null
# hypercall and KVM_RUN round trips, irq move (MOVI) latency, rebind cycle
# time, O_DIRECT IOPS and MSI rate; the emulated host's boot time with 0, 32
# and 64 extra devices; the fleet and INV workloads on 32 devices x 8
# vectors and the cost of its_pressure. TCG timings: valid for A/B on the
# same emulator, never as hardware cost.
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

# boot time of the emulated host, without and with 32 extra devices
boot_time() {	# name vm-args...
	local name=$1 t
	shift
	mkdir -p "$OUT/$name"
	t=$("$ITSPERF" vm -v --out "$OUT/$name" --timeout 300 "$@" -- true 2>&1 |
		grep -o 'guest ready for COMMAND after [0-9.]* s')
	echo "  boot $name: ${t:-FAILED}"
	[ -n "$t" ] || rc=1
}

# fleet and INV workloads on a device-heavy host (issue 9), its_pressure's cost
scale_figures() {	# name vm-args...
	local name=$1 f
	shift
	mkdir -p "$OUT/$name"
	if ! "$ITSPERF" vm --share tests/guest --out "$OUT/$name" --timeout 300 "$@" \
		-- sh /mnt/share/scale_figures.sh > "$OUT/$name.log" 2>&1 ||
	   [ ! -f "$OUT/$name/figures.done" ]; then
		echo "$name: the emulated host failed, see $OUT/$name.log"
		rc=1
		return
	fi
	echo "--- $name ($(cat "$OUT/$name/uptime.txt"))"
	for f in rebind_all rebind_all_j2 affinity_j2_nopressure affinity_j2 affinity_j1_pressure inv; do
		echo "  $f:"
		grep -h -e "^bench " -e " (ns): n=" -e "its pressure (kernel)" -e "FAILED" \
			"$OUT/$name/$f.txt" | sed 's/^/    /'
		grep -q FAILED "$OUT/$name/$f.txt" && rc=1
	done
}

figures 6.12-protected-hvhe --kernel 6.12 --mode protected
figures 6.12-nvhe --kernel 6.12 --mode nvhe
echo "--- emulated host boot (6.12 protected, to the guest command)"
boot_time devices0 --kernel 6.12
boot_time devices32 --kernel 6.12 --devices 32 --vectors 8
boot_time devices32-smmu --kernel 6.12 --devices 32 --vectors 8 --iommu smmuv3
boot_time devices64 --kernel 6.12 --devices 64 --vectors 8
scale_figures 6.12-devices32 --kernel 6.12 --devices 32 --vectors 8 --iommu smmuv3
exit $rc
