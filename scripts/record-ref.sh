#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Record the reference runs under results/ref on the emulated host with the
# current itsperf (make ref; see results/README.md, "Reference runs"). The
# two 6.12-protected batches are interleaved in one boot, run by run, so
# that the A/A pair differs only by chance and not by boot or by drift over
# time.
#
# Clock: QEMU icount (REF_CLOCK, default icount: guest time = executed
# instructions, so the runs repeat and an A/A gives no verdict); REF_RUNS
# runs per configuration (default 6: enough for a verdict of the rank test
# on the ungated metrics). About a minute per boot and 25-35 s per run on
# a 2-core machine (with other QEMUs running): about 18 minutes in all.
set -eo pipefail
cd "$(dirname "$0")/.."
ITSPERF=build/x86_64/itsperf
RUNS=${REF_RUNS:-6}
CLOCK=${REF_CLOCK:-icount}
OUT=${REF_OUT:-results/ref}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for k in 6.12 6.1; do
	"$ITSPERF" vm --list-kernels | grep -q "^$k\b" ||
		{ echo "record-ref: kernel $k is not installed: run 'make deps'" >&2; exit 2; }
done

DEV='$(basename $(dirname $(readlink -f /sys/class/net/eth1/device)))'
ARGS="--suite quick --runs 1 --samples --device $DEV --blockdev /dev/vda"

# record KERNEL MODE LABEL... : RUNS rounds, one run of each label per round
record() {
	local kernel=$1 mode=$2 cmd=""
	local i l

	shift 2
	for i in $(seq 1 "$RUNS"); do
		for l in "$@"; do
			cmd="$cmd itsperf run --no-calibrate --label $l $ARGS -o /out/$l-$i >/dev/null 2>&1 &&"
		done
	done
	echo "record-ref: $kernel $mode ($*), $RUNS runs each, clock $CLOCK"
	"$ITSPERF" vm --kernel "$kernel" --mode "$mode" --clock "$CLOCK" --out "$TMP" \
		--timeout 1800 -- sh -c "$cmd true"
	for l in "$@"; do
		rm -rf "${OUT:?}/$l"
		mkdir -p "$OUT/$l"
		for i in $(seq 1 "$RUNS"); do
			mv "$TMP/$l-$i/$l/run-1" "$OUT/$l/run-$i"
		done
	done
}

record 6.12 protected 6.12-protected 6.12-protected-b
record 6.12 nvhe 6.12-nvhe
record 6.1 protected 6.1-protected
echo "reference runs in $OUT:"
ls "$OUT"
