# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest-side bench test scripts (busybox sh, in the emulated
# host). The kernel's own ITS command counts: a kprobe on
# its_send_single_command / its_send_single_vcommand whose `builder`
# argument (x1) names the command, aggregated by an ftrace hist trigger
# keyed by builder.sym (PLATFORM.md). Results go to $OUT as TAP-like lines
# that the host-side test turns into TAP.
T=/sys/kernel/tracing
OUT=${ITSPERF_OUT:-/out}
RES=$OUT/bench.res

res() {	# ok|fail what...
	local st=$1
	shift
	echo "$st $*" >> "$RES"
	echo "bench: $st $*"
}
check() {	# what cmd...
	local what=$1
	shift
	if "$@"; then res ok "$what"; else res fail "$what"; fi
}
check_eq() {	# what expected actual
	if [ "$2" = "$3" ]; then res ok "$1 ($3)"; else res fail "$1: expected '$2', got '$3'"; fi
}

its_hist_start() {
	echo 'p:its_cmd its_send_single_command builder=%x1' >> $T/kprobe_events || return 1
	echo 'p:its_vcmd its_send_single_vcommand builder=%x1' >> $T/kprobe_events || return 1
	echo 'hist:keys=builder.sym' > $T/events/kprobes/its_cmd/trigger || return 1
	echo 'hist:keys=builder.sym' > $T/events/kprobes/its_vcmd/trigger || return 1
}

its_hist_clear() {
	echo 'hist:keys=builder.sym:clear' >> $T/events/kprobes/its_cmd/trigger
	echo 'hist:keys=builder.sym:clear' >> $T/events/kprobes/its_vcmd/trigger
}

its_hist_stop() {
	echo '!hist:keys=builder.sym' >> $T/events/kprobes/its_cmd/trigger
	echo '!hist:keys=builder.sym' >> $T/events/kprobes/its_vcmd/trigger
	echo '-:its_cmd' >> $T/kprobe_events
	echo '-:its_vcmd' >> $T/kprobe_events
}

its_hist_dump() {
	cat $T/events/kprobes/its_cmd/hist $T/events/kprobes/its_vcmd/hist | grep hitcount
}

# the kernel's count of one command type: its_hist_count movi
its_hist_count() {
	cat $T/events/kprobes/its_cmd/hist $T/events/kprobes/its_vcmd/hist |
		grep "its_build_${1}_cmd[ .+]" |
		sed 's/.*hitcount: *\([0-9]*\).*/\1/' |
		awk '{ n += $1 } END { print n + 0 }'
}

# a count from a workload's human summary: wl_count FILE MOVI [phase]
wl_count() {
	local pat="expected ITS commands:"
	[ -n "$3" ] && pat="^    $3:"
	grep "$pat" "$1" | head -1 | tr ' ' '\n' | grep "^$2=" | cut -d= -f2 | awk '{ print $1 + 0 }'
}

# "bench affinity: 200 irq moves in ..." -> 200
wl_ops() {
	grep "^bench " "$1" | head -1 | awk '{ print $3 }'
}
