#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Raw captures and perf counters in the emulated pKVM host (6.12 protected
# hVHE, 6.1 protected nVHE), one boot each (~20-40 s), driven by
# tests/guest/capture_affinity.sh through build/aarch64/tests/capture_driver:
#   - a trace.dat written in the guest (kprobe its_send_single_command with
#     the builder symbol) is read here by `trace-cmd report`: its MOVI
#     events == the CPU changes the affinity workload itself counted ==
#     the guest's per-event walk == perf's count of the kprobe event;
#   - cycles/instructions per phase are numbers or an explicit "not
#     supported" with the reason; the EL2 share (cycles - cycles:exclude_hv)
#     of a phase of KVM hypercalls is positive;
#   - with more cycle counters than the PMU has, every count is scaled by
#     time_enabled/time_running back to the unmultiplexed rate (QEMU TCG's
#     cycle counter ticks at 1 GHz of virtual time: ~1 cycle per ns of
#     cpu-clock, while a count that was not scaled would show ~0.5).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
DRIVER=build/aarch64/tests/capture_driver
OUT=${ITSPERF_TEST_OUT:-build/test-out}/capture_vm
MOVES=20

rm -rf "$OUT"
mkdir -p "$OUT/share"
OUT=$(cd "$OUT" && pwd)

if [ ! -x "$DRIVER" ] || ! command -v trace-cmd > /dev/null ||
	! "$ITSPERF" vm --list-kernels > /dev/null 2>&1; then
	tap_skip "capture in the emulated host" "needs $DRIVER (make test-build), trace-cmd and itsperf vm"
	exit 0
fi
cp "$DRIVER" tests/guest/capture_affinity.sh "$OUT/share/"

check_kernel() {	# KERNEL EXPECTED-HOST-EL
	local k=$1 el=$2 dir=$OUT/$1 log rc moves n

	mkdir -p "$dir"
	log=$dir/stdout.log
	"$ITSPERF" vm --kernel "$k" --share "$OUT/share" --out "$dir" --timeout 240 -- \
		sh /mnt/share/capture_affinity.sh $MOVES > "$log" 2> "$dir/stderr.log" < /dev/null
	rc=$?
	check_eq "$k: guest capture script exit status" 0 "$rc"
	if [ ! -f "$dir/affinity/moves" ]; then
		tap_fail "$k: the affinity workload did not run (see $log)"
		return
	fi
	moves=$(cat "$dir/affinity/moves")
	check "$k: the workload moved the IRQ ($moves CPU changes)" test "$moves" -gt 0

	# the file written in the guest, read by trace-cmd on x86
	n=$(trace-cmd report "$dir/affinity/trace.dat" 2> "$dir/report.err" |
		grep -c 'its_cmd:.*builder=its_build_movi_cmd')
	check_eq "$k: trace-cmd report: MOVI events == workload's moves" "$moves" "$n"
	n=$(trace-cmd report "$dir/affinity/trace.dat" 2> /dev/null | grep -c 'its_cmd:')
	check_eq "$k: trace-cmd report: every its_cmd event is a MOVI" "$moves" "$n"
	check "$k: trace-cmd report: no errors" test ! -s "$dir/report.err"
	n=$(sed -n 's/^builder its_build_movi_cmd: //p' "$log")
	check_eq "$k: guest per-event walk: MOVI == workload's moves" "$moves" "$n"
	n=$(sed -n 's/^perf count itsperf_cap:its_cmd: //p' "$log")
	check_eq "$k: perf tracepoint count of the kprobe == workload's moves" "$moves" "$n"
	check "$k: capture.json names trace.dat" grep -q '"file":"trace.dat"' \
		"$dir/affinity/capture.json"

	# counters per phase: a number or an explicit "not supported" with the reason
	for phase in affinity kvm; do
		for c in cycles instructions; do
			if awk -v p="'$phase'" '/Performance counter stats for phase/ { on = ($6 == p) }
				on' "$log" > "$dir/$phase.txt" &&
				grep -Eq "^ +([0-9,]+|<not supported>) +$c( |$)" "$dir/$phase.txt"; then
				tap_ok "$k: $phase: $c counted or explicitly not supported ($(grep -E " $c( |$)" \
					"$dir/$phase.txt" | head -1 | sed 's/  */ /g'))"
			else
				tap_fail "$k: $phase: no $c line"
			fi
		done
		check "$k: $phase: counters.json has a status for cycles" \
			grep -q '"status":"\(ok\|not supported\)"' "$dir/$phase/counters.json"
	done
	check "$k: the host kernel's exception level is $el" grep -qF "host kernel: $el" "$log"
	# KVM VM/vCPU create+destroy is hypercalls: upstream pKVM (6.1, 6.12) lets
	# the host count EL2, so the share is a positive number here
	n=$(grep -A20 "phase 'kvm'" "$log" | grep -m1 'EL2 share of cycles')
	if [[ $n =~ "EL2 share of cycles: "([0-9.]+)% ]] &&
		awk -v v="${BASH_REMATCH[1]}" 'BEGIN { exit !(v > 0) }'; then
		tap_ok "$k: kvm: EL2 share of cycles > 0 (${n#  })"
	else
		tap_fail "$k: kvm: no positive EL2 share: '$n'"
	fi

	# multiplexed: each scaled count still runs at ~1 cycle/ns of cpu-clock
	awk -v p="'multiplex'" '/Performance counter stats for phase/ { on = ($6 == p) } on' "$log" \
		> "$dir/multiplex.txt"
	n=$(awk '$2 ~ /^cycles#/ && / GHz / && /%\)$/ {
			for (i = 1; i < NF; i++) if ($(i + 1) == "GHz") ghz = $i
			pct = $NF; gsub(/[()%]/, "", pct); pct += 0
			if (ghz >= 0.75 && ghz <= 1.25 && pct > 0 && pct < 100) ok++
			else bad++
		} END { print ok + 0 "/" ok + bad }' "$dir/multiplex.txt")
	check_eq "$k: multiplexed cycle counters scaled to ~1 GHz, running < 100%" "12/12" "$n"
}

check_kernel 6.12 "EL1 (pKVM, protected hVHE)"
check_kernel 6.1 "EL1 (pKVM, protected nVHE)"
