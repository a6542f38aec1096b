#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trace/ in the emulated pKVM host, booted with `itsperf boot-args` appended
# (tests/guest/trace_guest.sh runs in the guest):
#   6.12 and 6.1, 2 and 4 vCPUs (7.2: 2 vCPUs, full): `itsperf boot-collect` reports the
#     deprivilege window (finalize_pkvm on 6.12, kvm_arch_init on 6.1) and one
#     _kvm_host_prot_finalize duration per CPU (the remote ones in IPI
#     context), lists the ITS series' probes as absent (not as errors), and
#     the boot log has no "Failed to add event";
#   2 vCPUs, both kernels, in addition: the ftrace collector's command counts
#     by type == the BPF collector's == the workload's own (itsperf bench
#     affinity, 200 moves; rebind of the spare NIC, 10 cycles), every kprobe
#     hit read back, the in-kernel synthetic-event latency count and sum ==
#     the raw records'; `itsperf probes` in the guest; a recorder sent SIGTERM
#     leaves nothing behind, one sent SIGKILL is cleaned up by the next run.
# VM time: ~50 s + ~60 s (full boots) + 2 x ~12 s (boot-only boots).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
Q=build/x86_64/trace/tools/trace_query
OUT=${ITSPERF_TEST_OUT:-build/test-out}/trace_vm
MOVES=200
CYCLES=10

rm -rf "$OUT"
mkdir -p "$OUT/share"
OUT=$(cd "$OUT" && pwd)

if ! "$ITSPERF" vm --list-kernels > /dev/null 2>&1 || [ ! -x build/aarch64/itsperf ] ||
	[ ! -x "$Q" ]; then
	tap_skip "trace/ in the emulated host" "needs itsperf vm, its kernels (make deps), build/aarch64/itsperf and $Q"
	exit 0
fi
cp tests/guest/trace_guest.sh "$OUT/share/"

boot_checks() {	# label dir window cpus
	local l=$1 d=$2 w=$3 cpus=$4 n c ctx

	check_eq "$l: boot-collect exit status" 0 "$(cat "$d/boot.rc" 2> /dev/null)"
	check "$l: deprivilege window deprivilege.$w" \
		has "$d/boot" metric "deprivilege.$w" max
	n=$("$Q" "$d/boot" names deprivilege.prot_finalize.cpu | wc -l)
	check_eq "$l: one _kvm_host_prot_finalize duration per CPU" "$cpus" "$n"
	for c in $(seq 0 $((cpus - 1))); do
		check "$l: cpu$c finalize > 0 ns" \
			test "$("$Q" "$d/boot" metric "deprivilege.prot_finalize.cpu$c" max)" -gt 0
	done
	ctx=$("$Q" "$d/boot" get deprivilege prot_finalize_per_cpu | grep -c '"context":"ipi"')
	check_eq "$l: every CPU but the one running finalize takes it in IPI context" \
		"$((cpus - 1))" "$ctx"
	check "$l: the per-CPU span is inside the window" test \
		"$("$Q" "$d/boot" metric deprivilege.prot_finalize_span max)" -le \
		"$("$Q" "$d/boot" metric "deprivilege.$w" max)"
	check "$l: the series' probes are listed as absent" \
		test "$("$Q" "$d/boot" get deprivilege absent_probes | grep -c '^its_')" -eq 4
	check "$l: ... and the locks' span is 'not derivable', not an error" \
		grep -q 'not derivable on this kernel' <(cat "$d/boot.log")
	check_eq "$l: no 'Failed to add event' in the boot log" 0 \
		"$("$Q" "$d/boot" get health trace_setup_errors)"
	check_eq "$l: no record of an unknown event left unexplained" \
		"$("$Q" "$d/boot" get deprivilege records_all_events)" \
		"$(( $("$Q" "$d/boot" get deprivilege records) + $("$Q" "$d/boot" get deprivilege records_by_address) ))"
}

# "<CMD> <n>" lines, sorted, one line
counts() { "$Q" "$@" 2> /dev/null | sort | tr '\n' ' '; }

# quiet: for `check`
has() { "$Q" "$@" > /dev/null 2>&1; }

# ftrace's latencies next to BPF's in one run: NAME:ftrace
ftrace_suffixed() {	# run
	"$Q" "$1" names cmd_latency.total. | grep -q ':ftrace$'
}

collector_checks() {	# label dir run workload-json
	local l=$1 d=$2 r=$2/$3 j=$2/$4 c n e emax

	check_eq "$l: record exit status" 0 "$(cat "$d/$3.rc" 2> /dev/null)"
	check_eq "$l: ftrace counts == bpf counts" "$(counts "$r" get counters bpf)" \
		"$(counts "$r" get counters ftrace)"
	n=$("$Q" "$r" get counters ftrace | wc -l)
	check "$l: at least one command type counted ($n)" test "$n" -gt 0
	while read -r c n; do
		e=$("$Q" json "$j" expected_commands "$c" 2> /dev/null || echo 0)
		emax=$("$Q" json "$j" expected_commands_max "$c" 2> /dev/null || echo "$e")
		check "$l: $c: ftrace $n within the workload's own count [$e, $emax]" \
			test "$n" -ge "$e" -a "$n" -le "$emax"
	done < <("$Q" "$r" get counters ftrace)
	for c in $("$Q" json "$j" expected_commands | awk '$1 != "SYNC" && $1 != "VSYNC" {print $1}'); do
		check "$l: $c expected by the workload is counted by ftrace" \
			has "$r" get counters ftrace "$c"
	done
	check_eq "$l: every kprobe hit read back as a record" true \
		"$("$Q" "$r" get overhead ftrace records_match_hits)"
	check_eq "$l: no record dropped" 0 "$("$Q" "$r" get overhead ftrace dropped)"
	check "$l: in-kernel synthetic latency count and sum == raw records'" \
		test "$("$Q" "$r" get crosscheck ftrace synthetic_vs_raw | grep -vc 'counts_match":true')" = 0
	check "$l: ftrace's latencies kept next to BPF's (cmd_latency.total.<CMD>:ftrace)" \
		ftrace_suffixed "$r"
}

guest_checks() {	# label dir fentry(true|false)
	local l=$1 d=$2 fentry=$3

	check_eq "$l: probes --json exit status" 0 "$(cat "$d/probes.rc")"
	check_eq "$l: probes: cmd_send reachable by kprobe_event" true \
		"$("$Q" json "$d/probes.json" probes 0 mechanisms kprobe_event)"
	check_eq "$l: probes: hist triggers on it" true \
		"$("$Q" json "$d/probes.json" probes 0 mechanisms hist)"
	check_eq "$l: probes: BPF fentry on it" "$fentry" \
		"$("$Q" json "$d/probes.json" probes 0 mechanisms fentry)"
	check_eq "$l: probes: BPF kprobe on it" true \
		"$("$Q" json "$d/probes.json" probes 0 mechanisms kprobe)"
	check "$l: probes: the boot-only window says so" \
		grep -q 'boot-time only\|traceable at boot only' <("$Q" json "$d/probes.json" probes \
		"$(boot_index "$d")" note)
	check_eq "$l: probes: no hypervisor tracing on this kernel, said once" false \
		"$("$Q" json "$d/probes.json" hypervisor_tracing available)"
	check "$l: SIGTERM: the recorder's instance existed" grep -q '^itsperf-' "$d/term.before"
	check "$l: SIGTERM: instance removed" test -z "$(grep '^itsperf-' "$d/term.after")"
	check "$l: SIGTERM: dynamic events removed" \
		test -z "$(grep ':itsperf/\|synthetic/itsperf_' "$d/term.after_dyn")"
	check_eq "$l: SIGTERM: the run is kept, marked partial" true \
		"$("$Q" json "$d/term/meta.json" partial)"
	check "$l: SIGKILL: leftovers were there" grep -q '^itsperf-' "$d/kill.before"
	check "$l: SIGKILL: the next run removed the instance" \
		test -z "$(grep '^itsperf-' "$d/kill.after")"
	check "$l: SIGKILL: ... and the dynamic events" \
		test -z "$(grep ':itsperf/\|synthetic/itsperf_' "$d/kill.after_dyn")"
}

# index of deprivilege_window in probes.json
boot_index() {	# dir
	local i=0 p

	while p=$("$Q" json "$1/probes.json" probes $i probe 2> /dev/null); do
		[ "$p" = deprivilege_window ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

run_boot() {	# kernel cpus mode window fentry
	local k=$1 cpus=$2 mode=$3 w=$4 fentry=${5:-} d=$OUT/$1-$2cpu l="$1 $2 vCPUs" args rc

	mkdir -p "$d"
	if [ "$mode" = boot ]; then
		# through boot-collect's own loop: boot-args, itsperf vm, collect
		"$ITSPERF" boot-collect --vm 1 --kernel "$k" --cpus "$cpus" -o "$d/vm" \
			> "$d/boot.log" 2> "$d/stderr.log" < /dev/null
		echo $? > "$d/boot.rc"
		ln -sfn vm/boot-1/run "$d/boot"
		check "$l: boot-collect --vm prints the distribution" \
			grep -q '^deprivilege.prot_finalize.cpu0 *1 ' "$d/boot.log"
		cat "$d/vm/boot-1/console.log" >> "$d/boot.log" 2> /dev/null
		boot_checks "$l" "$d" "$w" "$cpus"
		return 0
	fi
	args=$("$ITSPERF" boot-args --kernel "$k" 2> "$d/boot-args.err")
	if [ -z "$args" ]; then
		tap_fail "$l: itsperf boot-args --kernel $k (see $d/boot-args.err)"
		return 0
	fi
	"$ITSPERF" vm --kernel "$k" --cpus "$cpus" --append "$args" --share "$OUT/share" \
		--out "$d" --timeout 400 -- sh /mnt/share/trace_guest.sh "$mode" $MOVES $CYCLES \
		> "$d/stdout.log" 2> "$d/stderr.log" < /dev/null
	rc=$?
	check_eq "$l: guest script exit status" 0 "$rc"
	boot_checks "$l" "$d" "$w" "$cpus"
	guest_checks "$l" "$d" "$fentry"
	collector_checks "$l affinity" "$d" aff aff.json
	collector_checks "$l rebind" "$d" rebind rebind.json
}

# 6.1 arm64 refuses fentry attach (-524): BPF takes kprobes there
run_boot 6.12 2 full finalize_pkvm true
run_boot 6.12 4 boot finalize_pkvm
run_boot 6.1 2 full kvm_arch_init false
run_boot 6.1 4 boot kvm_arch_init
# Debian's 7.2 (make deps): the 6.12 shape (finalize_pkvm, fentry), one full boot
if [ -e build/kernels/7.2/boot ]; then
	run_boot 7.2 2 full finalize_pkvm true
else
	tap_skip "trace/ on 7.2" "build/kernels/7.2 not installed (make deps)"
fi
exit 0
