#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# itsperf vm --clock icount: deterministic guest time. One boot (about 30 s
# on 2 cores): the null hypercall benchmark three times gives the same p50
# each time, the kernel command line names the clock, and a run's meta.json
# records it; then compare refuses that run against a wall-clock one (exit 2).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_TEST_OUT:-build/test-out}/icount
rm -rf "$OUT"
mkdir -p "$OUT/out"

if ! "$ITSPERF" vm --list-kernels 2> /dev/null | grep -q '^6.12\b' || \
	[ ! -f build/kmod/6.12/itsperf_hvc.ko ]; then
	tap_skip "icount" "needs the 6.12 kernel (make deps) and its hvc module (make test-build)"
	exit 0
fi

"$ITSPERF" vm --clock icount --out "$OUT/out" --timeout 300 -- sh -c '
	cat /proc/cmdline
	for i in 1 2 3; do itsperf bench hvc --ops 2000 -q -j - | tr -d " \n" > /out/hvc-$i.json; done
	itsperf run --no-calibrate --label I --runs 1 --workloads hvc -o /out/runs > /out/run.log 2>&1
	echo "run exit $?"' > "$OUT/vm.log" 2>&1
check_eq "itsperf vm --clock icount: exit status" 0 "$?"
check "the guest kernel command line names the clock" grep -q 'itsperf.clock=icount:0' "$OUT/vm.log"

# the hvc_roundtrip p50 of each of the three benchmarks
p50s=()
for i in 1 2 3; do
	p50s+=("$(grep -o '"hvc_roundtrip"[^}]*"p50":[0-9.]*' "$OUT/out/hvc-$i.json" 2> /dev/null |
		grep -o '"p50":[0-9.]*$' | cut -d: -f2)")
done
echo "# hvc_roundtrip p50: ${p50s[*]}"
check "hvc p50 measured" [ -n "${p50s[0]}" ]
check_eq "hvc p50: second benchmark identical to the first" "${p50s[0]}" "${p50s[1]}"
check_eq "hvc p50: third benchmark identical to the first" "${p50s[0]}" "${p50s[2]}"

check "run recorded" grep -q 'run exit 0' "$OUT/vm.log"
meta=$OUT/out/runs/I/run-1/meta.json
check "meta.json: clock icount, shift 0" \
	python3 -c "import json,sys; c=json.load(open('$meta'))['meta']['clock']; \
sys.exit(0 if c == {'kind': 'icount', 'shift': 0, 'emulated': True} else 1)"

# the same run relabelled as a wall-clock one: compare refuses the pair
mkdir -p "$OUT/wall/W"
cp -r "$OUT/out/runs/I/run-1" "$OUT/wall/W/run-1"
sed -i 's/"kind": *"icount"/"kind": "wall"/; s/"label": *"I"/"label": "W"/' "$OUT/wall/W/run-1/meta.json"
"$ITSPERF" compare --min-runs 1 "$OUT/out/runs/I" "$OUT/wall/W" > "$OUT/compare.txt" 2>&1
check_eq "compare icount against wall: exit status" 2 "$?"
check "compare names both clocks" grep -q 'icount shift=0.*wall\|wall.*icount shift=0' "$OUT/compare.txt"
