# SPDX-License-Identifier: GPL-2.0
#
# Readiness, not time: tests wait for a condition (a file, a state, a line),
# never for a fixed delay, so a loaded machine only makes them slower.

# wait_until LIMIT_S CMD...: run CMD every 50 ms until it succeeds; 1 if it
# never did within about LIMIT_S seconds (an upper bound for a hung test,
# not a delay anything relies on)
wait_until() {
	local n=$(($1 * 20)) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $n ] && return 1
		sleep 0.05
	done
	return 0
}

# a bench workload is under way: its journal (bench/journal.c) exists
journal_present() {
	[ -n "$(ls /run/itsperf/ 2>/dev/null)" ]
}
