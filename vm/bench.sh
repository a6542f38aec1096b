#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, vm section: how long the emulated pKVM host takes, per kernel
# and mode: to COMMAND (initramfs assembly + QEMU start + kernel boot +
# init) and in all (+ poweroff), over $RUNS boots each. TCG on this machine:
# a budget figure for tests, not a property of any real hardware.
set -u
cd "$(dirname "$0")/.."
ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_BENCH_OUT:-build/bench-out}/vm
RUNS=${RUNS:-3}
mkdir -p "$OUT"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-6s %-15s %-15s %12s %12s\n' kernel mode reached "to COMMAND" total
rc=0
for spec in "6.12 protected" "6.12 protected-nvhe" "6.12 nvhe" "6.1 protected" "6.1 nvhe"; do
	set -- $spec
	ready=() total=()
	for i in $(seq "$RUNS"); do
		t0=$EPOCHREALTIME
		if ! "$ITSPERF" -v vm --kernel "$1" --mode "$2" --out "$OUT/run" -- true \
			> /dev/null 2> "$OUT/stderr"; then
			echo "vm bench: $1 $2 failed:" >&2
			tail -5 "$OUT/stderr" >&2
			rc=1
			continue 2
		fi
		total+=("$(echo "$EPOCHREALTIME - $t0" | bc)")
		ready+=("$(sed -n 's/.*guest ready for COMMAND after \([0-9.]*\) s.*/\1/p' "$OUT/stderr")")
		reached=$(sed -n 's/.*guest ready for COMMAND after .*, \(.*\))$/\1/p' "$OUT/stderr")
	done
	printf '%-6s %-15s %-15s %10.2f s %10.2f s   (median of %d)\n' "$1" "$2" "$reached" \
		"$(printf '%s\n' "${ready[@]}" | median)" "$(printf '%s\n' "${total[@]}" | median)" "$RUNS"
done
exit $rc
