#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the per-revision regression check, end to end, on the emulated
# pKVM host. Two "revisions" that really differ stand in for two revisions
# of the ITS series (none of Debian's kernels carries it):
#
#   baseline  Debian 6.12, kvm-arm.mode=nvhe       (no pKVM: the unmediated host)
#   pkvm      Debian 6.12, kvm-arm.mode=protected  (pKVM at EL2, hVHE)
#
# For each: boot the emulated host, run the quick suite RUNS times with every
# collector attached, run the paced affinity workload at several offered
# rates (the staging-vs-direct throughput view), sweep the number of devices
# the affinity and rebind workloads touch (8 extra virtio-net devices, 4
# vectors each: how the cost grows with devices), and capture the boot-time
# deprivilege window BOOTS times. Then compare, write the cover-letter table,
# the full tables and the plots under one folder, and print its path.
#
# Timings are QEMU TCG's: real for A/B on this emulator, never hardware cost.
set -eo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ITSPERF=$ROOT/build/x86_64/itsperf
RUNS=${DEMO_RUNS:-5}
BOOTS=${DEMO_BOOTS:-5}
RATES=${DEMO_RATES:-1000,3000,6000,12000,0}
SWEEP=${DEMO_SWEEP:-1,2,4,8}
SWEEP_RUNS=${DEMO_SWEEP_RUNS:-2}
KERNEL=${DEMO_KERNEL:-6.12}
OUT=${DEMO_OUT:-$ROOT/demo-out/$(date +%Y%m%d-%H%M%S)}
REVS="baseline:nvhe pkvm:protected"

mkdir -p "$OUT"/runs "$OUT"/rates "$OUT"/sweep "$OUT"/boot "$OUT"/report/plots "$OUT"/logs
OUT=$(cd "$OUT" && pwd)
echo "itsperf demo: 2 revisions x ($RUNS suite runs + rate sweep + devices sweep + $BOOTS boot captures)"
echo "  on the emulated pKVM host (Debian $KERNEL under QEMU TCG): about 7 minutes on 2 cores"
echo "  output: $OUT"
start=$(date +%s)

# the spare NIC (eth1) is the rebind device; eth0 carries the default route
GUEST_DEV='$(basename $(dirname $(readlink -f /sys/class/net/eth1/device)))'

step() {
	printf '\n[%4ds] %s\n' $(($(date +%s) - start)) "$*"
}

for rev in $REVS; do
	label=${rev%%:*}
	mode=${rev#*:}
	step "$label: quick suite x$RUNS, rate sweep ($RATES), devices sweep ($SWEEP) in one boot, mode $mode"
	"$ITSPERF" vm --kernel "$KERNEL" --mode "$mode" --devices 8 --vectors 4 --out "$OUT" \
		--timeout 1200 -- sh -c "
		itsperf run --label $label --suite quick --runs $RUNS --samples -o /out/runs \
			--device $GUEST_DEV --blockdev /dev/vda &&
		itsperf run --label $label --suite quick --runs 1 --rate $RATES \
			--workloads affinity -o /out/rates &&
		itsperf run --label $label --suite quick --runs $SWEEP_RUNS --workloads affinity,rebind \
			--device all --sweep devices=$SWEEP -o /out/sweep" 2>&1 | tee "$OUT/logs/$label.log" |
		grep -E '^(host:|run [0-9]|results:|cross-check:|itsperf: (error|warning))' || true
	[ "${PIPESTATUS[0]}" = 0 ] || { echo "demo: the $label runs failed, see $OUT/logs/$label.log" >&2; exit 1; }

	step "$label: boot-time deprivilege window, $BOOTS boots"
	args=$("$ITSPERF" boot-args --kernel "$KERNEL")
	for i in $(seq 1 "$BOOTS"); do
		"$ITSPERF" vm --kernel "$KERNEL" --mode "$mode" --append "$args" --out "$OUT" \
			--timeout 300 -- itsperf boot-collect --label "$label" \
			-o "/out/boot/$label/boot-$i" >> "$OUT/logs/$label-boot.log" 2>&1 ||
			{ echo "demo: boot capture $i of $label failed, see $OUT/logs/$label-boot.log" >&2; exit 1; }
	done
done

step "compare and plot"
set +e
"$ITSPERF" compare "$OUT/runs/baseline" "$OUT/runs/pkvm" --format email \
	-o "$OUT/report/cover-letter.txt"
verdict=$?
"$ITSPERF" compare "$OUT/runs/baseline" "$OUT/runs/pkvm" -o "$OUT/report/compare.txt"
"$ITSPERF" compare "$OUT/boot/baseline" "$OUT/boot/pkvm" -o "$OUT/report/deprivilege.txt"
"$ITSPERF" compare --throughput "$OUT/rates/baseline" "$OUT/rates/pkvm" \
	-o "$OUT/report/throughput.txt"
"$ITSPERF" compare --sweep devices "$OUT/sweep/baseline" "$OUT/sweep/pkvm" \
	-o "$OUT/report/sweep-devices.txt"
"$ITSPERF" report "$OUT/runs/pkvm" > "$OUT/report/pkvm-report.txt"
"$ITSPERF" report "$OUT/runs/baseline" > "$OUT/report/baseline-report.txt"
set -e
"$ITSPERF" plot "$OUT/runs/baseline" "$OUT/runs/pkvm" "$OUT/boot/baseline" "$OUT/boot/pkvm" \
	"$OUT/rates/baseline" "$OUT/rates/pkvm" -o "$OUT/report/plots"
# the sweep apart: its runs touch 1..8 devices, they would blur the suite's distributions
"$ITSPERF" plot "$OUT/sweep/baseline" "$OUT/sweep/pkvm" -m 'cmd_latency.total.*' \
	-m 'throughput.commands.*' -o "$OUT/report/plots/sweep"

step "done"
cat "$OUT/report/cover-letter.txt"
echo
case $verdict in
0) echo "verdict: no gated regression (compare exit 0)" ;;
1) echo "verdict: regressions found (compare exit 1): pKVM costs something here, as expected" ;;
*) echo "verdict: compare failed (exit $verdict)" ;;
esac
echo "plots: $(ls "$OUT"/report/plots | grep -c '\.png$') PNG in $OUT/report/plots," \
	"$(ls "$OUT"/report/plots/sweep | grep -c '^sweep-devices.*\.png$') against devices in" \
	"$OUT/report/plots/sweep"
echo "report: $OUT/report"
