#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Device-heavy scale in the emulated pKVM host (issue 9): many devices and
# vectors (itsperf vm --devices N --vectors M), the fleet workloads (rebind
# --device all / --jobs, affinity --jobs with per-CPU counts and its_pressure),
# the INV workload (vfio-pci behind --iommu smmuv3), each against the
# kernel's own ITS command counts (tests/guest/scale_*.sh), and a device
# sweep (scripts/sweep.sh) drawn by itsperf plot. Boots:
#   6.12 --devices 32 --vectors 8 --iommu smmuv3 (the fleet, INV, signals)
#   6.1  --devices 2 --vectors 8 --iommu smmuv3  (the formulas on 6.1)
#   6.12 --devices 1, 4, 16, 32                  (the sweep: rebind -d all)
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
export ITSPERF
OUT=${ITSPERF_TEST_OUT:-build/test-out}/scale
rm -rf "$OUT"
mkdir -p "$OUT"

have_kernel() {
	"$ITSPERF" vm --list-kernels 2>/dev/null | grep -q "^$1\b"
}

# argument errors: no boot
t_args() {
	"$ITSPERF" vm --devices 129 -- true > /dev/null 2>&1
	check_eq "vm --devices 129: exit 2" 2 $?
	"$ITSPERF" vm --devices 2 --vectors 1 -- true > /dev/null 2>&1
	check_eq "vm --vectors 1: exit 2" 2 $?
	"$ITSPERF" vm --iommu intel -- true > /dev/null 2>&1
	check_eq "vm --iommu intel: exit 2" 2 $?
	scripts/sweep.sh --sweep bogus=1 -- itsperf run -l x > /dev/null 2>&1
	check_eq "sweep.sh --sweep bogus=1: exit 2" 2 $?
	scripts/sweep.sh --sweep devices=1,two -- itsperf run -l x > /dev/null 2>&1
	check_eq "sweep.sh --sweep devices=1,two: exit 2" 2 $?
	scripts/sweep.sh --sweep devices=1 -- sh -c true > /dev/null 2>&1
	check_eq "sweep.sh with a command other than itsperf run: exit 2" 2 $?
	scripts/sweep.sh --sweep vectors=2,8 -- itsperf run -l x > /dev/null 2>&1
	check_eq "sweep.sh --sweep vectors without --devices: exit 2" 2 $?
	"$ITSPERF" bench inv --device all > /dev/null 2>&1
	check_eq "bench inv --device all: exit 2" 2 $?
	"$ITSPERF" bench affinity --jobs 0 > /dev/null 2>&1
	check_eq "bench affinity --jobs 0: exit 2" 2 $?
}

boot() {	# name script kernel vm-args...
	local name=$1 script=$2 kernel=$3 rc n=0 t0 t1
	shift 3
	[ -n "${SCALE_BOOTS:-}" ] && [[ $name != *$SCALE_BOOTS* ]] && return
	if ! have_kernel "$kernel"; then
		tap_skip "$name" "kernel $kernel not installed (make deps)"
		return
	fi
	mkdir -p "$OUT/$name"
	t0=$(date +%s.%N)
	"$ITSPERF" vm -v --kernel "$kernel" --share tests/guest --out "$OUT/$name" --timeout 300 \
		"$@" -- sh "/mnt/share/$script" > "$OUT/$name.log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	if [ ! -f "$OUT/$name/bench.res" ]; then
		tap_fail "$name: no results (itsperf vm exit $rc, see $OUT/$name.log)"
		return
	fi
	while read -r st what; do
		case $st in
		ok) tap_ok "$name: $what" ;;
		fail) tap_fail "$name: $what" ;;
		done) n=1 ;;
		esac
	done < "$OUT/$name/bench.res"
	[ $n = 1 ] || tap_fail "$name: the guest script did not finish (itsperf vm exit $rc, see $OUT/$name.log)"
	tap_ok "$name: $(grep -o 'guest ready for COMMAND after [0-9.]* s' "$OUT/$name.log"), whole run $(awk "BEGIN { printf \"%.0f\", $t1 - $t0 }") s"
}

png_ok() {	# file: a PNG of some substance
	[ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		[ "$(stat -c %s "$1")" -gt 10000 ]
}

t_sweep() {
	local dir=$OUT/sweep rc v plots=$OUT/sweep/plots
	[ -n "${SCALE_BOOTS:-}" ] && [[ sweep != *$SCALE_BOOTS* ]] && return
	if ! have_kernel 6.12; then
		tap_skip "sweep" "kernel 6.12 not installed (make deps)"
		return
	fi
	scripts/sweep.sh --sweep devices=1,4,16,32 -o "$dir" --plot --vectors 8 --timeout 200 -- \
		itsperf run --no-calibrate --label base --runs 1 -w rebind -d all -e bpf:cmd_latency \
		> "$OUT/sweep.log" 2>&1
	rc=$?
	check_eq "sweep devices=1,4,16,32: exit status" 0 $rc
	for v in 1 4 16 32; do
		check "sweep: point devices=$v has a run with meta.sweep.devices = $v" \
			grep -q "\"devices\": *$v\(\.0\)\?\b" "$dir/devices-$v/base/run-1/meta.json"
	done
	cat "$dir/sweep.txt"
	check_eq "sweep: four points, every one exit 0" 4 "$(grep -c '^devices-[0-9]* .* 0$' "$dir/sweep.txt")"
	check "sweep: latency (p50/p99) of MAPTI against devices drawn" \
		png_ok "$plots/sweep-devices.cmd_latency.total.MAPTI.png"
	check "sweep: commands/s of rebind against devices drawn" \
		png_ok "$plots/sweep-devices.throughput.commands.rebind.png"
	check_eq "sweep: the MAPTI curve has p50 at 4 device counts" 4 \
		"$(awk '/^# base p50/ { on = 1; next } /^#/ { on = 0 } on && NF == 5 && $1 != "NaN" { n++ } END { print n + 0 }' \
			"$plots/data/sweep-devices.cmd_latency.total.MAPTI.dat")"
}

t_args
boot 6.12-devices32 scale_612.sh 6.12 --devices 32 --vectors 8 --iommu smmuv3 --cpus 2
boot 6.1-devices2 scale_61.sh 6.1 --devices 2 --vectors 8 --iommu smmuv3 --cpus 2
boot 6.12-cpus4 scale_cpus4.sh 6.12 --cpus 4
t_sweep
