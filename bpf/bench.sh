#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bpf/ part of `make bench`: what each BPF collector costs per event.
#   1. this machine (x86 CI: tracepoints only): ns added per getpid(2) by
#      bpf:tp_selftest, with and without its ring buffer;
#   2. the emulated pKVM host, 6.12 (fentry) and 6.1 (kprobe): ns added per
#      affinity write (= per ITS command: one MOVI each) by bpf:cmd_latency,
#      bpf:lock_hold, bpf:hvc_path and all three, against the same workload
#      without collector (best of interleaved repetitions: other QEMUs on
#      the machine only ever add time), next to the BPF in-program time per
#      event from the runs' overhead section.
# TCG timings are real for A/B on the same emulator, never hardware cost.
#
#   3. per probe hit, under QEMU icount: each collector's send probes
#      against a bare counting pair of the same attach type on the same
#      empty function (bpf:count_selftest; ftrace's kprobe events without
#      hist triggers).
#
#   bpf/bench.sh [--x86-only | --vm-only | --per-hit]  (called by tests/bench.sh)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ITSPERF=${ITSPERF:-$ROOT/build/x86_64/itsperf}
Q=$ROOT/build/x86_64/bpf/tools/bpf_query
GETPID=$ROOT/build/x86_64/bpf/tools/getpid_loop
AFF=$ROOT/build/aarch64/bpf/tools/affinity_loop
OUT=${ITSPERF_BENCH_OUT:-$ROOT/build/bench-out}/bpf
GETPID_N=${BPF_BENCH_GETPID_N:-1000000}
AFF_N=${BPF_BENCH_AFF_N:-2000}
REPS=${BPF_BENCH_REPS:-5}

minimum() {	# numbers on stdin
	sort -n | head -1
}

median() {	# numbers on stdin
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_x86() {
	local i base v
	echo "bpf: bpf:tp_selftest on $(uname -r) ($(uname -m)), $GETPID_N getpid(2) calls, median of $REPS"
	if [ "$(id -u)" != 0 ]; then
		echo "  skipped: needs root (BPF)"
		return
	fi
	rm -rf "$OUT/x86"
	mkdir -p "$OUT/x86"
	for i in $(seq "$REPS"); do
		"$GETPID" "$GETPID_N" >> "$OUT/x86/base"
		"$ITSPERF" record -e bpf:tp_selftest -o "$OUT/x86/tp-$i" -- "$GETPID" "$GETPID_N" \
			2> /dev/null >> "$OUT/x86/tp"
		"$Q" "$OUT/x86/tp-$i" overhead bpf:tp_selftest ns_per_event >> "$OUT/x86/tp.bpf"
		ITSPERF_BPF_STATS=0 "$ITSPERF" record -e bpf:tp_selftest -o "$OUT/x86/nostats-$i" \
			-- "$GETPID" "$GETPID_N" 2> /dev/null >> "$OUT/x86/nostats"
		"$ITSPERF" record -e bpf:tp_selftest -r -o "$OUT/x86/rb-$i" -- "$GETPID" "$GETPID_N" \
			2> /dev/null >> "$OUT/x86/rb"
		"$Q" "$OUT/x86/rb-$i" overhead bpf:tp_selftest ns_per_event >> "$OUT/x86/rb.bpf"
		"$Q" "$OUT/x86/rb-$i" value tp_selftest.samples.dropped >> "$OUT/x86/rb.dropped"
	done
	base=$(median < "$OUT/x86/base")
	printf '  %-36s %8.1f ns/getpid\n' "no collector" "$base"
	v=$(median < "$OUT/x86/tp")
	printf '  %-36s %8.1f ns/getpid  (+%.1f; BPF in-program %.1f ns/event)\n' \
		"bpf:tp_selftest" "$v" "$(echo "$v - $base" | bc -l)" "$(median < "$OUT/x86/tp.bpf")"
	v=$(median < "$OUT/x86/nostats")
	printf '  %-36s %8.1f ns/getpid  (+%.1f)\n' "bpf:tp_selftest, run-time stats off" "$v" \
		"$(echo "$v - $base" | bc -l)"
	v=$(median < "$OUT/x86/rb")
	printf '  %-36s %8.1f ns/getpid  (+%.1f; BPF in-program %.1f ns/event; ring drops %s)\n' \
		"bpf:tp_selftest -r (ring buffer)" "$v" "$(echo "$v - $base" | bc -l)" \
		"$(median < "$OUT/x86/rb.bpf")" "$(tr '\n' ' ' < "$OUT/x86/rb.dropped")"
	echo "  (per getpid: tp_btf sys_enter + sys_exit and tracepoint sys_enter_getpid programs)"
}

bench_vm() {	# kernel
	local k=$1 out=$OUT/vm-$1 share=$OUT/share c base t bt name
	mkdir -p "$share"
	cp "$ROOT/tests/guest/bpf_bench.sh" "$AFF" "$share/"
	rm -rf "$out"
	mkdir -p "$out"
	echo "bpf: collectors in the emulated pKVM host, kernel $k (TCG: A/B only), $AFF_N affinity writes (1 MOVI each), best of $REPS"
	if ! timeout 900 "$ITSPERF" vm --kernel "$k" --share "$share" --out "$out" --timeout 800 \
		-- sh /mnt/share/bpf_bench.sh /mnt/share "$AFF_N" "$REPS" > "$out/vm.log" 2>&1; then
		echo "  failed: see $out/vm.log"
		return
	fi
	# other QEMUs on the host stretch wall-clock time one way only: the best
	# of the interleaved repetitions is the estimate, the median is shown too
	base=$(awk '$1 == "none" { print $3 }' "$out/bench.txt" | minimum)
	printf '  %-18s %9.0f ns/write (median %.0f)\n' "no collector" "$base" \
		"$(awk '$1 == "none" { print $3 }' "$out/bench.txt" | median)"
	for c in bpf:cmd_latency bpf:lock_hold bpf:hvc_path bpf; do
		t=$(awk -v c="$c" '$1 == c { print $3 }' "$out/bench.txt" | minimum)
		name=$(echo "$c" | tr ':' '_')
		bt=$(for d in "$out/$name"-*; do
			for cc in bpf:cmd_latency bpf:lock_hold bpf:hvc_path; do
				"$Q" "$d" overhead "$cc" run_time_ns 2> /dev/null
			done | awk -v n="$AFF_N" '{ s += $1 } END { printf "%.0f\n", s / n }'
		done | minimum)
		printf '  %-18s %9.0f ns/write (median %.0f): +%.0f ns per ITS command, BPF in-program %s ns/command\n' \
			"$c" "$t" "$(awk -v c="$c" '$1 == c { print $3 }' "$out/bench.txt" | median)" \
			"$(echo "$t - $base" | bc -l)" "$bt"
	done
	echo "  (host load average during the run: $(cut -d' ' -f1-3 /proc/loadavg))"
}

# cost per probe hit: each collector's send probes against a bare counting
# pair of the same attach type on the same empty function (QEMU icount:
# instruction counts, exact; see tests/guest/probe_cost.sh)
bench_per_hit() {	# kernel
	local k=$1 out=$OUT/per-hit-$1 share=$OUT/share-per-hit none v bare ratio cfg
	rm -rf "$out" "$share"
	mkdir -p "$out" "$share"
	cp "$ROOT/tests/guest/probe_cost.sh" "$share/"
	echo "bpf, ftrace: cost per probe hit on bpf_fentry_test3, kernel $k, QEMU icount (instructions)"
	if ! timeout 900 "$ITSPERF" vm --clock icount --kernel "$k" --share "$share" --out "$out" \
		--timeout 800 -- sh /mnt/share/probe_cost.sh 2000 > "$out/vm.log" 2>&1; then
		echo "  failed: see $out/vm.log"
		return
	fi
	none=$(awk '$1 == "none" { print $2 }' "$out/vm.log")
	for cfg in bare-fentry cmd_latency-fentry bpf-fentry bare-kprobe cmd_latency-kprobe \
		bare-kprobe_event ftrace-kprobe_event; do
		v=$(awk -v c="$cfg" '$1 == c { print $2 }' "$out/vm.log")
		case $cfg in
		bare-*) bare=$v; ratio="(the bare counter)" ;;
		*) ratio=$(echo "($v - $none) / ($bare - $none)" | bc -l | xargs printf '%.2fx the bare counter') ;;
		esac
		printf '  %-22s %7.1f ns/hit  %s\n' "$cfg" "$(echo "($v - $none) / 2" | bc -l)" "$ratio"
	done
	echo "  (one hit = one entry or one return; the goal is a collector at 1.25x its bare counter)"
}

case "${1:-}" in
--x86-only) bench_x86 ;;
--vm-only) for k in 6.12 6.1; do bench_vm $k; done ;;
--per-hit) bench_per_hit 6.12 ;;
*)
	bench_x86
	for k in 6.12 6.1; do
		[ -e "$ROOT/build/kernels/$k" ] && bench_vm $k
	done
	[ -e "$ROOT/build/kernels/6.12" ] && bench_per_hit 6.12
	;;
esac
