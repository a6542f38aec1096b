#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project-built kernels (make kernel: kernel/README.md) in the emulated
# host, one boot each, protected hVHE: itsref-base (7.2 with hypervisor
# tracing, the direct queue), itsref-v1 and itsref-v2 (the series' staging
# queue and EL2 commit). tests/guest/itsref.sh checks the counts against
# the kernel's own; this side turns its lines into TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_TEST_OUT:-build/test-out}/itsref
rm -rf "$OUT"
mkdir -p "$OUT"

boot() {	# variant kernel vm-args...
	local v=$1 kernel=$2 rc st what n=0
	shift 2
	if ! "$ITSPERF" vm --list-kernels 2>/dev/null | grep -q "^$kernel\b"; then
		tap_skip "$kernel" "not built (make kernel)"
		return
	fi
	mkdir -p "$OUT/$v"
	"$ITSPERF" vm --kernel "$kernel" --share tests/guest --out "$OUT/$v" --timeout 600 \
		"$@" -- sh /mnt/share/itsref.sh "$v" > "$OUT/$v.log" 2>&1
	rc=$?
	if [ ! -f "$OUT/$v/bench.res" ]; then
		tap_fail "$kernel: no results (itsperf vm exit $rc, see $OUT/$v.log)"
		return
	fi
	while read -r st what; do
		case $st in
		ok) tap_ok "$kernel: $what" ;;
		fail) tap_fail "$kernel: $what" ;;
		done) n=1 ;;
		esac
	done < "$OUT/$v/bench.res"
	[ $n = 1 ] || tap_fail "$kernel: the guest script did not finish (exit $rc, see $OUT/$v.log)"
}

boot base itsref-base --mode protected --gic 3
boot v1 itsref-v1 --mode protected --gic 3
boot v2 itsref-v2 --mode protected --gic 3
