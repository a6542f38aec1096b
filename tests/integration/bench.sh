#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/ workloads in the emulated pKVM host (itsperf vm). The guest-side
# scripts (tests/guest/bench_*.sh) check each workload against the kernel's
# own ITS command counts (kprobe on its_send_single_command keyed by the
# builder argument, ftrace hist trigger) and write "ok|fail what" lines to
# /out/bench.res; this side turns them into TAP. One boot per kernel/mode:
#   6.12 protected (hVHE), GICv3: affinity (--ops 200, SIGTERM, SIGKILL +
#        restore), rebind (eth1 x10, refusals, SIGKILL + restore), msi, vcpu, hvc
#   6.12 protected nVHE, GICv4:  vcpu VMAPP/VINVALL/CLEAR..., VMOVP > 0 with the
#        vCPUs moved between CPUs (--move-every), hvc
#   6.12 nVHE (unprotected):     vcpu, hvc
#   6.1  protected nVHE, GICv4:  affinity, rebind, msi, vcpu, hvc
#   7.2  protected (hVHE), GICv4: affinity (SIGTERM, SIGKILL + restore),
#        rebind (SIGKILL + restore), msi, vcpu VMAPP/CLEAR..., hvc
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_TEST_OUT:-build/test-out}/bench
rm -rf "$OUT"
mkdir -p "$OUT"

have_kernel() {
	"$ITSPERF" vm --list-kernels 2>/dev/null | grep -q "^$1\b"
}

boot() {	# name script kernel vm-args...
	local name=$1 script=$2 kernel=$3 rc line n=0
	shift 3
	# BENCH_BOOTS=pattern: only the boots whose name matches (development)
	[ -n "${BENCH_BOOTS:-}" ] && [[ $name != *$BENCH_BOOTS* ]] && return
	if ! have_kernel "$kernel"; then
		tap_skip "$name" "kernel $kernel not installed (make deps)"
		return
	fi
	for ko in build/kmod/$kernel/itsperf_hvc.ko; do
		[ -f "$ko" ] || { tap_fail "$name: $ko missing (make test-build)"; return; }
	done
	mkdir -p "$OUT/$name"
	"$ITSPERF" vm --kernel "$kernel" --share tests/guest --out "$OUT/$name" --timeout 300 \
		"$@" -- sh "/mnt/share/$script" > "$OUT/$name.log" 2>&1
	rc=$?
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
}

boot 6.12-protected bench_612.sh 6.12 --mode protected --gic 3
boot 6.12-protected-nvhe-gicv4 bench_612_v4.sh 6.12 --mode protected-nvhe --gic 4
boot 6.12-nvhe bench_612_nvhe.sh 6.12 --mode nvhe --gic 3
boot 6.1-protected-gicv4 bench_61.sh 6.1 --mode protected --gic 4
# 7.2 does 6.12 protected's set and the GICv4 vcpu in one boot: 143 s with
# load 16 on 2 cores, over 300 s with load 20 (the later --timeout wins)
boot 7.2-protected-gicv4 bench_72.sh 7.2 --mode protected --gic 4 --timeout 600
