#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A scaling sweep on the emulated pKVM host: one family of `itsperf run`
# results, one point per value of a swept variable, each run's meta.sweep
# saying where it belongs, so that `itsperf plot` draws latency (p50/p99)
# and commands/s against the variable, one curve per revision (label).
#
#   scripts/sweep.sh --sweep devices=1,4,16,32 [-o DIR] [--plot] [VM OPTIONS] \
#           -- itsperf run --label v2 [RUN OPTIONS]
#
# devices, vectors and cpus are what the emulated host has: one boot per
# value, `itsperf vm --devices V` (--vectors V, --cpus V), the guest command
# given `--point NAME=V` (and `-o /out` unless it has an -o of its own).
# rate is not: one boot, `itsperf run --sweep rate=V1,V2,...`. To vary what
# a run touches on one host instead (real hardware), `itsperf run --sweep`.
# Each point writes DIR/NAME-V/ (the vm's --out: console.log, the results,
# boot-uptime.txt); DIR/sweep.txt lists every point with its boot time, wall
# time and exit status. Exit status: 0 if every point succeeded, 1 if one
# failed (the others still ran), 2 bad arguments, 130 interrupted.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ITSPERF=${ITSPERF:-$ROOT/build/x86_64/itsperf}

usage() {
	sed -n '4,20p' "$0" | sed 's/^# \{0,1\}//'
	echo
	echo "NAME: devices | vectors | cpus (one boot per value) | rate (one boot)"
	echo "VM OPTIONS: any of itsperf vm's but --out and the swept one"
}

die() {
	echo "sweep: $*" >&2
	exit 2
}

name= values= out=out/sweep plot=0
vmopts=()
while [ $# -gt 0 ]; do
	case $1 in
	--sweep)
		[ $# -ge 2 ] || die "--sweep needs NAME=V1,V2,..."
		name=${2%%=*}
		values=${2#*=}
		[ "$name" != "$2" ] && [ -n "$values" ] || die "--sweep '$2': expected NAME=V1,V2,..."
		shift 2
		;;
	--sweep=*)
		set -- --sweep "${1#--sweep=}" "${@:2}"
		;;
	-o | --output)
		[ $# -ge 2 ] || die "$1 needs a directory"
		out=$2
		shift 2
		;;
	--plot)
		plot=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	--)
		shift
		break
		;;
	--out | --out=*)
		die "--out is per point (DIR/NAME-V): give the sweep's directory with -o DIR"
		;;
	*)
		vmopts+=("$1")
		shift
		;;
	esac
done
cmd=("$@")

[ -n "$name" ] || die "no --sweep NAME=V1,V2,... (see --help)"
case $name in
devices | vectors | cpus) numre='^[0-9]+$' ;;
rate) numre='^[0-9]+([.][0-9]+)?$' ;;
*) die "--sweep $name: devices, vectors, cpus or rate" ;;
esac
IFS=, read -r -a vals <<< "$values"
[ ${#vals[@]} -ge 1 ] || die "--sweep $name: no values"
for v in "${vals[@]}"; do
	[[ $v =~ $numre ]] || die "--sweep $name: '$v' is not a number"
done
has_devices=0
for o in "${vmopts[@]}"; do
	case $o in
	--$name | --$name=*) [ "$name" != rate ] && die "--$name is the swept variable: give it with --sweep" ;;
	--devices | --devices=*) has_devices=1 ;;
	esac
done
[ "$name" = vectors ] && [ $has_devices = 0 ] && die "--sweep vectors needs --devices N (the devices whose vectors vary)"
# the guest command: itsperf run, which records --point NAME=V in meta.sweep
[ ${#cmd[@]} -ge 2 ] && [ "$(basename "${cmd[0]}")" = itsperf ] && [ "${cmd[1]}" = run ] ||
	die "the command after -- must be 'itsperf run ...' (it records the swept value)"
has_out=0
for a in "${cmd[@]:2}"; do
	case $a in -o | --output | --output=* | -o?*) has_out=1 ;; esac
done
[ -x "$ITSPERF" ] || die "$ITSPERF not built (make)"

mkdir -p "$out" || die "cannot create $out"
summary=$out/sweep.txt
printf '# itsperf sweep %s=%s: %s\n' "$name" "$values" "$(date -u +%FT%TZ)" > "$summary"
printf '%-16s %8s %8s %s\n' point boot_s wall_s status >> "$summary"

stop=0
trap 'stop=1' INT TERM
failed=0

# one boot: COMMAND run once per sweep value given as "V ..." after the script
run_point() {	# point-name vm-args...
	local point=$1 dir=$out/$1 t0 t1 rc boot
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "sweep: $point" >&2
	t0=$(date +%s.%N)
	"$ITSPERF" vm "${vmopts[@]}" "$@" --out "$dir" -- "${guest[@]}"
	rc=$?
	t1=$(date +%s.%N)
	boot=$(cat "$dir/boot-uptime.txt" 2>/dev/null || echo -)
	printf '%-16s %8s %8s %s\n' "$point" "$boot" "$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")" \
		"$rc" >> "$summary"
	[ $rc = 0 ] || failed=1
}

# the guest notes when the kernel got to the command (boot time), then runs it
pre='cut -d" " -f1 /proc/uptime > /out/boot-uptime.txt'
if [ "$name" = rate ]; then
	script="$pre; rc=0"
	o=
	[ $has_out = 1 ] || o="-o /out"
	# itsperf run sweeps the rate itself: one folder per rate, meta.sweep.rate
	script="$script; \"\$@\" --sweep rate=$values $o || rc=1"
	guest=(sh -c "$script; exit \$rc" sh "${cmd[@]}")
	run_point "rate-$(echo "$values" | tr , _)"
else
	for v in "${vals[@]}"; do
		[ $stop = 1 ] && break
		# set at boot, not by the run: --point only records it
		extra=(--point "$name=$v")
		[ $has_out = 1 ] || extra+=(-o /out)
		guest=(sh -c "$pre; exec \"\$@\"" sh "${cmd[@]}" "${extra[@]}")
		run_point "$name-$v" "--$name" "$v"
	done
fi
trap - INT TERM
cat "$summary" >&2
if [ $stop = 1 ]; then
	echo "sweep: interrupted; the points done are kept in $out" >&2
	exit 130
fi
if [ $plot = 1 ]; then
	dirs=()
	for d in "$out"/"$name"-*; do [ -d "$d" ] && dirs+=("$d"); done
	"$ITSPERF" plot "${dirs[@]}" -o "$out/plots" || failed=1
fi
exit $failed
