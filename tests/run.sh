#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test runner: every cmocka unit test (TAP output) and every integration
# script in tests/integration (TAP lines: "ok N - what" / "not ok N - what",
# "ok N - what # SKIP why"). Prints per-test results and closes with
# "N passed, N failed[, N skipped]".
#
#   tests/run.sh              all
#   tests/run.sh --unit       unit tests only (no emulated host)
#   tests/run.sh -k PATTERN   only tests whose file name matches PATTERN
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export ITSPERF_ROOT=$ROOT
export ITSPERF=${ITSPERF:-$ROOT/build/x86_64/itsperf}
export ITSPERF_A64=${ITSPERF_A64:-$ROOT/build/aarch64/itsperf}
export ITSPERF_TEST_OUT=${ITSPERF_TEST_OUT:-$ROOT/build/test-out}

unit_only=0
pattern=
while [ $# -gt 0 ]; do
	case $1 in
	--unit) unit_only=1 ;;
	-k) pattern=$2; shift ;;
	*) echo "usage: $0 [--unit] [-k PATTERN]" >&2; exit 2 ;;
	esac
	shift
done

passed=0
failed=0
skipped=0
failures=()
mkdir -p "$ITSPERF_TEST_OUT"

# count TAP lines of one test program's output
tally() {	# name logfile
	local name=$1 log=$2 line
	local p=0 f=0 s=0

	while IFS= read -r line; do
		case $line in
		"not ok"*)
			if [[ $line == *"# TODO"* ]]; then s=$((s + 1)); else
				f=$((f + 1)); failures+=("$name: $line"); fi ;;
		"ok"*)
			if [[ $line == *"# SKIP"* || $line == *"# skip"* ]]; then
				s=$((s + 1)); else p=$((p + 1)); fi ;;
		esac
	done < "$log"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	printf '%-40s %3d passed, %d failed, %d skipped\n' "$name" $p $f $s
}

run_one() {	# name command...
	local name=$1 log rc
	shift
	log=$ITSPERF_TEST_OUT/$name.log
	"$@" > "$log" 2>&1
	rc=$?
	tally "$name" "$log"
	# a test program that crashed or exited non-zero without a failing TAP line
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; then
		failed=$((failed + 1))
		failures+=("$name: exited with status $rc (see $log)")
	fi
}

for t in build/x86_64/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	[ -n "$pattern" ] && [[ $name != *$pattern* ]] && continue
	CMOCKA_MESSAGE_OUTPUT=TAP run_one "$name" "$t"
done

if [ $unit_only = 0 ]; then
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		[ "$name" = lib ] && continue	# sourced helpers, not a test
		[ -n "$pattern" ] && [[ $name != *$pattern* ]] && continue
		run_one "$name" bash "$t"
	done
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
