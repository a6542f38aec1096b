#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BPF collectors in the emulated pKVM host: 6.12 (fentry/fexit) and 6.1
# (fentry attach fails with -524 there: kprobe/kretprobe fallback). One
# boot per kernel runs tests/guest/bpf_guest.sh: an affinity run of 200
# moves, a rebind run of 10 cycles of the spare NIC and 3 CPU hotplug
# cycles (not on 6.1 protected: onlining a CPU panics its EL2), each under `itsperf record -e bpf:cmd_latency,lock_hold -r` with
# an ftrace hist trigger counting the same commands. Asserts, per run:
#   - BPF counts per command type == ftrace hist counts == the workload's
#   - the latency parts add up to the total within the stated bound
#   - its->lock holds == commands, ring-buffer samples == commands
#   - the attach mechanism expected on that kernel, with its reason
# VM time: ~1 min per kernel. BPF_GUEST_KERNELS="6.1:kprobe" runs one.
set -u
. "$(dirname "$0")/lib.sh"
ROOT=${ITSPERF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
ITSPERF=${ITSPERF:-$ROOT/build/x86_64/itsperf}
Q=$ROOT/build/x86_64/bpf/tools/bpf_query
OUTBASE=${ITSPERF_TEST_OUT:-$ROOT/build/test-out}/bpf-guest
MOVES=200
CYCLES=10
HOTPLUGS=3

sorted_counts() {	# file with "<CMD> <n>" lines
	sort "$1" | tr '\n' ' '
}

# the three parts + unaccounted add up to total, and the unaccounted gap
# (completion-wait return -> send return: probe cost, plus any interrupt or
# preemption landing there) has a median within 25% of the total's
check_parts() {	# label run cmd
	local l=$1 run=$2 c=$3 t q b w u tp up
	t=$($Q "$run" stat cmd_latency.total.$c sum)
	q=$($Q "$run" stat cmd_latency.queue_wait.$c sum)
	b=$($Q "$run" stat cmd_latency.build_post.$c sum)
	w=$($Q "$run" stat cmd_latency.completion_wait.$c sum)
	u=$($Q "$run" stat cmd_latency.unaccounted.$c sum)
	check_eq "$l $c: queue_wait + build_post + completion_wait + unaccounted = total (ns)" \
		"$t" "$((q + b + w + u))"
	tp=$($Q "$run" stat cmd_latency.total.$c p50)
	up=$($Q "$run" stat cmd_latency.unaccounted.$c p50)
	if [ -n "$tp" ] && [ -n "$up" ] && [ "$((up * 4))" -le "$tp" ]; then
		tap_ok "$l $c: median unaccounted $up ns <= 25% of median total $tp ns"
	else
		tap_fail "$l $c: median unaccounted '$up' ns > 25% of median total '$tp' ns"
	fi
}

check_run() {	# kernel out run
	local k=$1 out=$2 name=$3 run=$2/$3 l="$1 $3" c n total=0
	local bpf ftrace

	check_eq "$l: itsperf record exit status" 0 "$(cat "$out/$name.rc" 2>/dev/null)"
	if ! $Q "$run" partial > /dev/null 2>&1; then
		tap_fail "$l: result run unreadable: $($Q "$run" partial 2>&1 | head -1)"
		return
	fi
	check_eq "$l: run complete" 0 "$($Q "$run" partial)"
	$Q "$run" counts bpf > "$out/$name.bpf"
	bpf=$(sorted_counts "$out/$name.bpf")
	ftrace=$(sorted_counts "$out/$name.ftrace")
	if [ -n "$bpf" ] && [ "$bpf" = "$ftrace" ]; then
		tap_ok "$l: BPF counts == ftrace hist counts ($bpf)"
	else
		tap_fail "$l: BPF counts '$bpf' != ftrace hist counts '$ftrace'"
	fi
	while read -r c n; do
		total=$((total + n))
		check_eq "$l $c: count.cmd == counters.bpf" "$n" "$($Q "$run" value count.cmd.$c)"
		check_eq "$l $c: raw samples (ring buffer) == commands" "$n" \
			"$($Q "$run" stat cmd_latency.total.$c samples)"
		check_parts "$l" "$run" "$c"
	done < "$out/$name.bpf"
	check_eq "$l: its->lock holds (lock_hold.its.lock) == commands" "$total" \
		"$($Q "$run" stat lock_hold.its.lock count)"
	check_eq "$l: ring buffer drops" 0 "$($Q "$run" overhead bpf:cmd_latency dropped)"
	n=$($Q "$run" overhead bpf:cmd_latency ns_per_event)
	if [ -n "$n" ] && [ "${n%.*}" -gt 0 ]; then
		tap_ok "$l: collector overhead recorded ($n ns of BPF time per command)"
	else
		tap_fail "$l: no overhead figure ('$n')"
	fi
}

count_of() {	# file cmd
	awk -v c="$2" '$1 == c { print $2 }' "$1"
}

check_kernel() {	# kernel expected-mechanism
	local k=$1 mech=$2 out=$OUTBASE/$1 rc vec bad
	rm -rf "$out"
	mkdir -p "$out"
	timeout 500 "$ITSPERF" vm --kernel "$k" --share "$ROOT/tests/guest" --out "$out" \
		--timeout 400 -- sh /mnt/share/bpf_guest.sh $MOVES $CYCLES $HOTPLUGS \
		> "$out/vm.log" 2>&1
	rc=$?
	check_eq "$k: guest script exit status (log: $out/vm.log)" 0 "$rc"
	[ -d "$out/affinity" ] || return

	# attach mechanism per kernel, and why
	bad=$($Q "$out/affinity" probes bpf:cmd_latency | awk -v m="$mech" '$2 != m || $3 != 1')
	check_eq "$k: every cmd_latency probe attached with $mech" "" "$bad"
	if [ "$mech" = kprobe ]; then
		if $Q "$out/affinity" probes bpf:cmd_latency | grep -q 'fentry: attach ENOTSUPP (524), fell back to kprobe'; then
			tap_ok "$k: fallback reason 'fentry: attach ENOTSUPP (524)' reported per probe"
		else
			tap_fail "$k: fallback reason missing"
		fi
	fi
	if $Q "$out/affinity" probes bpf:lock_hold | grep -q '^its_deprivilege_start none 0 absent on this kernel'; then
		tap_ok "$k: series probes reported absent, not as errors"
	else
		tap_fail "$k: series probe status wrong"
	fi

	for name in affinity rebind hotplug; do
		if [ -f "$out/$name.skip" ]; then
			tap_skip "$k $name run" "$(cat "$out/$name.skip")"
			continue
		fi
		check_run "$k" "$out" "$name"
	done

	# the workloads' own counts
	check_eq "$k affinity: moves done" "moves $MOVES" "$(cat "$out/affinity.workload")"
	check_eq "$k affinity: MOVI == moves" "$MOVES" "$(count_of "$out/affinity.bpf" MOVI)"
	vec=$(cat "$out/vectors")
	check_eq "$k rebind: cycles done" "cycles $CYCLES" "$(cat "$out/rebind.workload")"
	check_eq "$k rebind: MAPD == 2 per cycle (map, unmap)" "$((2 * CYCLES))" \
		"$(count_of "$out/rebind.bpf" MAPD)"
	check_eq "$k rebind: MAPTI == vectors ($vec) per cycle" "$((vec * CYCLES))" \
		"$(count_of "$out/rebind.bpf" MAPTI)"
	check_eq "$k rebind: DISCARD == vectors ($vec) per cycle" "$((vec * CYCLES))" \
		"$(count_of "$out/rebind.bpf" DISCARD)"
	[ -f "$out/hotplug.skip" ] && return
	check_eq "$k hotplug: cycles done" "cycles $HOTPLUGS" "$(cat "$out/hotplug.workload")"
	check_eq "$k hotplug: MAPC == cycles (one ITS)" "$HOTPLUGS" "$(count_of "$out/hotplug.bpf" MAPC)"
	check_eq "$k hotplug: INVALL == cycles" "$HOTPLUGS" "$(count_of "$out/hotplug.bpf" INVALL)"
	check_eq "$k hotplug: its_lock holds seen (cpu_init.lower)" "$HOTPLUGS" \
		"$($Q "$out/hotplug" stat lock_hold.its_lock.cpu_init.lower count)"
	lo=$($Q "$out/hotplug" stat lock_hold.its_lock.cpu_init.lower max)
	up=$($Q "$out/hotplug" stat lock_hold.its_lock.cpu_init.upper max)
	if [ -n "$lo" ] && [ -n "$up" ] && [ "$lo" -le "$up" ]; then
		tap_ok "$k hotplug: its_lock hold lower bound $lo ns <= upper bound $up ns"
	else
		tap_fail "$k hotplug: its_lock bounds inconsistent (lower '$lo', upper '$up')"
	fi
}

if [ ! -x "$Q" ]; then
	tap_fail "build/x86_64/bpf/tools/bpf_query missing (make test-build)"
	exit 0
fi
for k in ${BPF_GUEST_KERNELS:-6.12:fentry 6.1:kprobe}; do
	if [ ! -e "$ROOT/build/kernels/${k%%:*}" ]; then
		tap_skip "bpf collectors on ${k%%:*}" "kernel not installed (make deps)"
		continue
	fi
	check_kernel "${k%%:*}" "${k#*:}"
done
