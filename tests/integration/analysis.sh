#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# analysis/: itsperf report, compare and plot end to end on runs written
# by the real writer (gen_runs: synthetic distributions with known shifts),
# exit statuses, bad input, the throughput and sweep views, the plots, a
# bounded fuzz of the reader, and - once they are recorded - the reference
# runs in results/ref (A/A no change, a real difference found).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
GEN=build/x86_64/tests/gen_runs
FUZZ=build/x86_64/tests/fuzz_result
FUZZ_SECONDS=${ITSPERF_FUZZ_SECONDS:-20}
OUT=${ITSPERF_TEST_OUT:-build/test-out}/analysis
rm -rf "$OUT"
mkdir -p "$OUT"

if [ ! -x "$GEN" ] || [ ! -x "$ITSPERF" ]; then
	tap_fail "gen_runs or itsperf not built (make test-build)"
	exit 0
fi

# exit status of a command, its stdout/stderr in $OUT/last.{out,err}
run() {
	"$@" > "$OUT/last.out" 2> "$OUT/last.err"
	echo $?
}

# ---- data: 6 runs per revision, between-run CV 2% ----
$GEN -S 1 -n 2000 "$OUT/base-a" base 6 &&
$GEN -S 2 -n 2000 "$OUT/base-b" base 6 &&
$GEN -S 3 -n 2000 -s 0.15 "$OUT/v1" v1 6 &&
$GEN -S 4 -n 2000 -s -0.15 "$OUT/v2" v2 6 &&
$GEN -S 5 -n 2000 "$OUT/v3" v3 6 &&
$GEN -S 6 -n 2000 "$OUT/few" few 3 ||
	{ tap_fail "gen_runs failed"; exit 0; }

# ---- compare: A/A, regression, improvement ----
rc=$(run $ITSPERF compare -f json "$OUT/base-a" "$OUT/base-b")
check_eq "A/A compare exits 0" 0 "$rc"
total=$(grep -c '"verdict":' "$OUT/last.out")
same=$(grep -cE '"verdict": *"no change"' "$OUT/last.out")
check_eq "A/A: every one of $total comparisons is 'no change'" "$total" "$same"
check "A/A: the two groups of one label are told apart" grep -qE '"name": *"base@base-b"' "$OUT/last.out"

rc=$(run $ITSPERF compare "$OUT/base-a" "$OUT/v1")
check_eq "+15% latency: compare exits 1" 1 "$rc"
check "+15% latency: gated REGRESSION reported" grep -q 'REGRESSION' "$OUT/last.out"
check "+15% latency: throughput drop is a regression too" \
	grep -A2 '^throughput' "$OUT/last.out" | grep -q 'REGRESSION'
check "regression exit explained on stderr" grep -q 'exit status 1' "$OUT/last.err"

rc=$(run $ITSPERF compare "$OUT/base-a" "$OUT/v2")
check_eq "-15% latency: compare exits 0" 0 "$rc"
check "-15% latency: improvement reported" grep -q 'improvement' "$OUT/last.out"
check "-15% latency: no regression" bash -c "! grep -q 'REGRESSION' '$OUT/last.out'"

rc=$(run $ITSPERF compare --gate 'count.*' "$OUT/base-a" "$OUT/v1")
check_eq "--gate on counts only (ungated counts): exit 0" 0 "$rc"
rc=$(run $ITSPERF compare --gate 'cmd_latency.total.MOVI' "$OUT/base-a" "$OUT/v1")
check_eq "--gate on one latency metric: exit 1" 1 "$rc"
rc=$(run $ITSPERF compare -T 50 "$OUT/base-a" "$OUT/v1")
check_eq "--threshold 50%: a 15% change is not a verdict, exit 0" 0 "$rc"

rc=$(run $ITSPERF compare -n 5 "$OUT/base-a" "$OUT/few")
check_eq "3 runs with --min-runs 5: exit 2" 2 "$rc"
check "too few runs explained" grep -q 'at least 5 needed' "$OUT/last.err"
rc=$(run $ITSPERF compare -n 3 "$OUT/base-a" "$OUT/few")
check_eq "--min-runs 3 accepts them" 0 "$rc"

# ---- email: several revisions in one 72-column table ----
rc=$(run $ITSPERF compare -f email "$OUT/base-a" "$OUT/v1" "$OUT/v2" "$OUT/v3")
check_eq "email format exits 1 (v1 regressed)" 1 "$rc"
width=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$OUT/last.out")
check "email table is at most 72 columns wide ($width)" test "$width" -le 72
check "v1, v2, v3 side by side in one table" grep -qE '^ +base +v1 +v2 +v3$' "$OUT/last.out"
check "email marks the regression with R" grep -qE '\+1[0-9]\.[0-9]% R' "$OUT/last.out"
cp "$OUT/last.out" "$OUT/email.txt"

for fmt in csv markdown; do
	rc=$(run $ITSPERF compare -f $fmt "$OUT/base-a" "$OUT/v1")
	check_eq "compare -f $fmt exits 1 on the regression" 1 "$rc"
done
check "compare csv has one row per metric statistic" \
	test "$(wc -l < "$OUT/last.out")" -gt 10

# ---- report ----
rc=$(run $ITSPERF report "$OUT/base-a/run-1")
check_eq "report exits 0" 0 "$rc"
check "report has count..stddev columns" grep -q 'count.*min.*p50.*p90.*p99.*p99.9.*max.*mean.*stddev' "$OUT/last.out"
check "report groups by area" grep -q '^lock_hold' "$OUT/last.out"
rc=$(run $ITSPERF report -f json "$OUT/base-a")
check_eq "report -f json of 6 runs exits 0" 0 "$rc"
if command -v python3 > /dev/null; then
	check "report json parses, 6 runs" python3 -c "import json,sys; d=json.load(open('$OUT/last.out')); sys.exit(len(d['runs']) != 6)"
else
	tap_skip "report json parses" "no python3"
fi
rc=$(run $ITSPERF report -f csv "$OUT/base-a/run-1")
check_eq "report csv: header + 12 metrics" 13 "$(wc -l < "$OUT/last.out")"
rc=$(run $ITSPERF report -f markdown -m "$OUT/base-a")
check "report markdown --merge: one table of 6 runs" grep -q '6 runs merged' "$OUT/last.out"

# ---- partial runs ----
$GEN -S 9 -p -n 100 "$OUT/partial" base 1 2> /dev/null
rc=$(run $ITSPERF report "$OUT/partial")
check "report shows a partial run as PARTIAL" grep -q PARTIAL "$OUT/last.out"
mkdir -p "$OUT/mixed" && cp -r "$OUT/base-a/"* "$OUT/mixed/" && cp -r "$OUT/partial/run-1" "$OUT/mixed/run-99"
rc=$(run $ITSPERF compare "$OUT/mixed" "$OUT/base-b")
check "compare leaves a partial run out, saying so" grep -q 'partial run left out' "$OUT/last.err"

# ---- health gates: a run whose kernel log had an ITS queue timeout ----
$GEN -S 7 -n 500 -u 3 "$OUT/sick" sick 6 &&
$GEN -S 8 -n 500 -u 1 "$OUT/sick5" sick5 5 ||
	tap_fail "gen_runs -u failed"
rc=$(run $ITSPERF compare "$OUT/base-a" "$OUT/sick")
check "compare names the unhealthy run and why" \
	grep -q "left out $OUT/sick/run-3 (unhealthy: ITS queue timeouts 1" "$OUT/last.err"
check "compare leaves out only the unhealthy run" bash -c "! grep -q 'sick/run-[12456]' '$OUT/last.err'"
check "the unhealthy run is not counted" grep -qE 'new +sick: 5 runs' "$OUT/last.out"
rc=$(run $ITSPERF compare -n 5 "$OUT/base-a" "$OUT/sick5")
check_eq "too few healthy runs left: exit 2" 2 "$rc"
check "too few healthy runs: said so" grep -q 'sick5: 4 runs, at least 5 needed.*unhealthy' "$OUT/last.err"
rc=$(run $ITSPERF compare --include-unhealthy "$OUT/base-a" "$OUT/sick5")
check_eq "--include-unhealthy puts them back: exit 0" 0 "$rc"
check "--include-unhealthy: nothing left out" bash -c "! grep -q 'left out' '$OUT/last.err'"
mkdir -p "$OUT/allsick" && cp -r "$OUT/sick/run-3" "$OUT/allsick/run-1"
rc=$(run $ITSPERF compare "$OUT/base-a" "$OUT/allsick")
check_eq "every run of a side unhealthy: exit 2" 2 "$rc"
check "every run of a side unhealthy: said so" grep -q 'allsick: all 1 run left out (1 unhealthy' "$OUT/last.err"

# ---- compare --explain: the EL2 commit new in the revision ----
$GEN -S 9 -n 1000 -E 0 "$OUT/xbase" xbase 6 &&
$GEN -S 10 -n 1000 -E 3000 "$OUT/xv1" xv1 6 ||
	tap_fail "gen_runs -E failed"
rc=$(run $ITSPERF compare --explain "$OUT/xbase" "$OUT/xv1")
check_eq "--explain: the MOVI regression exits 1" 1 "$rc"
cp "$OUT/last.out" "$OUT/explain.txt"
check "--explain: MOVI explained under the verdict table" grep -q '^  MOVI vs base: xv1 +3.0 us' "$OUT/last.out"
check "--explain: EL2 commit share as a percentage with a CI" \
	grep -qE '^    EL2 commit +0.0 us +3.0 us +\+3.0 us +(9[0-9]|1[01][0-9])% +\[' "$OUT/last.out"
rc=$(run $ITSPERF compare -f email --explain "$OUT/xbase" "$OUT/xv1")
cp "$OUT/last.out" "$OUT/explain-email.txt"
check "--explain email: one line per regressed command type" \
	grep -qE '^MOVI \+3.0 us \(\+50%\): EL2 commit [0-9]+% \[' "$OUT/last.out"
check "--explain email: 72 columns" bash -c "! awk 'length > 72' '$OUT/last.out' | grep -q ."
rc=$(run $ITSPERF compare -f json --explain "$OUT/xbase" "$OUT/xv1")
cp "$OUT/last.out" "$OUT/explain.json"
check_eq "--explain json: exits 1" 1 "$rc"
if command -v python3 > /dev/null; then
	check "--explain json: the output parses" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$OUT/explain.json"
	check "--explain json: MOVI's EL2 commit share and CI" python3 -c "
import json, sys
x = json.load(open(sys.argv[1]))['explain']
assert [e['metric'] for e in x] == ['cmd_latency.total.MOVI'], x
p = {q['part']: q for q in x[0]['parts']}
assert sorted(p) == sorted(['queue_wait', 'build_post_net', 'el2', 'completion_wait', 'other'])
e = p['el2']
assert 0.9 < e['share'] < 1.1 and e['ci_lo'] <= e['share'] <= e['ci_hi'], e
assert all(abs(p[k]['share']) < 0.05 for k in ('queue_wait', 'build_post_net')), p
" "$OUT/explain.json"
else
	tap_skip "--explain json parsed" "no python3 (tests/unit/test_analysis_explain.c parses it)"
fi
rc=$(run $ITSPERF compare -f csv --explain "$OUT/xbase" "$OUT/xv1")
cp "$OUT/last.out" "$OUT/explain.csv"
check_eq "--explain csv: exits 1" 1 "$rc"
check "--explain csv: a second table after one empty line" \
	awk 'NR > 1 && prev == "" && $0 == "metric,base_group,group,verdict,gated,command,collector,n_base,n_new,total_base,total_new,total_delta,part,measured,base,new,delta,share,ci_lo,ci_hi" { ok = 1 }
		{ prev = $0 } END { exit !ok }' "$OUT/explain.csv"
check "--explain csv: the EL2 commit's row, share near 1" \
	awk -F, '$1 == "cmd_latency.total.MOVI" && $13 == "el2" && $18 > 0.9 && $18 < 1.1 && $19 <= $18 && $18 <= $20 { ok = 1 } END { exit !ok }' "$OUT/explain.csv"
rc=$(run $ITSPERF compare -f markdown --explain "$OUT/xbase" "$OUT/xv1")
cp "$OUT/last.out" "$OUT/explain.md"
check_eq "--explain markdown: exits 1" 1 "$rc"
check "--explain markdown: a table of MOVI's parts" \
	grep -qE '^\| EL2 commit \| 0\.0 us \| 3\.0 us \| \+3\.0 us \| (9[0-9]|1[01][0-9])% \| \[' "$OUT/explain.md"

# ---- bad input: exit 2 and a message naming the file ----
bad() {	# name what-to-do-to-meta.json expected-message
	local d=$OUT/bad-$1
	rm -rf "$d"
	cp -r "$OUT/base-a/run-1" "$d"
	eval "$2"
	for cmd in report compare plot; do
		case $cmd in
		report) rc=$(run $ITSPERF report "$d") ;;
		compare) rc=$(run $ITSPERF compare "$OUT/base-a" "$d") ;;
		plot) rc=$(run $ITSPERF plot "$d" -o "$OUT/bad-plot") ;;
		esac
		if [ "$rc" = 2 ] && grep -q "$d/.*$3" "$OUT/last.err"; then
			tap_ok "$1: $cmd exits 2 naming the file ($3)"
		else
			tap_fail "$1: $cmd: exit $rc, stderr: $(head -c 300 "$OUT/last.err")"
		fi
	done
}
bad empty ': > "$d/meta.json"' 'meta.json: empty file'
bad truncated 'head -c 700 "$OUT/base-a/run-1/meta.json" > "$d/meta.json"' 'meta.json: line [0-9]*: unexpected end of file'
# Fixed bytes, not /dev/urandom: random bytes that start with a digit or a
# quote parse as a JSON value and then fail as trailing data instead.
bad garbage 'printf "\\177ELF\\002\\001\\001\\000%04096d" 0 > "$d/meta.json"' 'meta.json: line [0-9]*: JSON syntax error'
bad trailing 'printf "7 not json\\n" > "$d/meta.json"' 'meta.json: line 1: trailing data after the JSON object'
bad newer 'sed -i -E "s/\"format_version\": *1,/\"format_version\": 99,/" "$d/meta.json"' 'format_version 99 is newer'
bad nolabel 'sed -i "/\"label\":/d" "$d/meta.json"' 'meta.label: missing'
bad samples 'sed -i "7s/.*/12x4/" "$d/samples/hvc.hvc.hvc_roundtrip.txt"' 'hvc.hvc.hvc_roundtrip.txt: line 7'
rc=$(run $ITSPERF report "$OUT/does-not-exist")
check_eq "a path that does not exist: exit 2" 2 "$rc"

# ---- throughput (staging vs direct) and sweep views ----
for r in 1000 5000 20000; do
	$GEN -S $r -r $r -n 300 "$OUT/direct/rate-$r" direct 5 &&
	$GEN -S $((r + 1)) -r $r -k 30000 -s 0.3 -n 300 "$OUT/staging/rate-$r" staging 5
done
for dev in 1 4 16; do
	$GEN -S $dev -w devices=$dev -n 300 "$OUT/sweep-a/d$dev" base 2 &&
	$GEN -S $((dev + 50)) -w devices=$dev -s 0.2 -n 300 "$OUT/sweep-b/d$dev" v2 2
done
rc=$(run $ITSPERF compare --throughput "$OUT/direct" "$OUT/staging")
check_eq "compare --throughput exits 0" 0 "$rc"
check "throughput view: commands/s against the offered rate" \
	grep -q 'throughput.affinity (op/s) vs offered rate' "$OUT/last.out"
check "throughput view: a row per rate with the change" grep -qE '^ +20000 .*-[0-9.]+%' "$OUT/last.out"
check "throughput view: per-command latency" grep -q 'cmd_latency.total.MOVI p99 (ns) vs offered rate' "$OUT/last.out"
rc=$(run $ITSPERF report --throughput -f csv "$OUT/direct")
check "report --throughput csv has rate rows" grep -q '^offered_rate,20000,throughput.affinity' "$OUT/last.out"
rc=$(run $ITSPERF compare --sweep devices "$OUT/sweep-a" "$OUT/sweep-b")
check "sweep view against devices" grep -qE '^ +16 ' "$OUT/last.out"
rc=$(run $ITSPERF compare --throughput "$OUT/base-a" "$OUT/v1")
check_eq "throughput view of unpaced runs only: exit 2" 2 "$rc"

# ---- plots ----
if command -v gnuplot > /dev/null; then
	rc=$(run $ITSPERF plot "$OUT/base-a" "$OUT/v1" "$OUT/v2" -o "$OUT/plots")
	check_eq "plot exits 0" 0 "$rc"
	check "latency histogram per command type (png)" test -s "$OUT/plots/cmd_latency.total.MOVI.hist.png"
	check "latency CDF per command type (svg)" grep -q '<svg' "$OUT/plots/cmd_latency.total.MOVI.cdf.svg"
	check "lock-hold distribution plotted" test -s "$OUT/plots/lock_hold.its_node.hist.png"
	check "deprivilege-window distribution plotted" test -s "$OUT/plots/deprivilege.total.cdf.png"
	check "PNG files are PNG" bash -c "head -c 8 '$OUT/plots/hvc.hvc.hvc_roundtrip.hist.png' | od -c | grep -q 'P   N   G'"
	check "axes carry units" grep -q "set xlabel 'cmd_latency.total.MOVI (ns" "$OUT/plots/cmd_latency.total.MOVI.hist.gp"
	check "revisions differ in colour and dash" grep -q "set linetype 2 lc rgb '#D55E00' lw 2 dt 2" "$OUT/plots/hvc.hvc.hvc_roundtrip.cdf.gp"
	rc=$(run $ITSPERF plot "$OUT/direct" "$OUT/staging" -o "$OUT/plots-rate" -m 'throughput.*' -m '*MOVI')
	check "throughput vs offered rate plotted" test -s "$OUT/plots-rate/throughput-vs-rate.affinity.png"
	check "latency vs offered rate plotted" test -s "$OUT/plots-rate/latency-vs-rate.cmd_latency.total.MOVI.svg"
	rc=$(run $ITSPERF plot "$OUT/sweep-a" "$OUT/sweep-b" -o "$OUT/plots-sweep" -m '*total.MOVI')
	check "sweep plot against devices" test -s "$OUT/plots-sweep/sweep-devices.cmd_latency.total.MOVI.png"
else
	tap_skip "plots" "gnuplot not installed"
fi

# ---- bounded fuzz of the reader (never crashes, leaks or overreads) ----
if [ -x "$FUZZ" ]; then
	corpus=$OUT/fuzz-corpus
	mkdir -p "$corpus"
	{ printf M; cat "$OUT/base-a/run-1/meta.json"; } > "$corpus/meta"
	{ printf M; cat "$OUT/direct/rate-1000/run-1/meta.json"; } > "$corpus/meta-rate"
	{ printf M; cat "$OUT/sweep-a/d4/run-1/meta.json"; } > "$corpus/meta-sweep"
	{ printf S; head -100 "$OUT/base-a/run-1/samples/hvc.hvc.hvc_roundtrip.txt"; } > "$corpus/samples"
	$GEN -H -n 50 "$OUT/histonly" h 1 && { printf M; cat "$OUT/histonly/run-1/meta.json"; } > "$corpus/meta-hist"
	if "$FUZZ" -help=1 2>&1 | grep -q libFuzzer; then
		"$FUZZ" -max_total_time="$FUZZ_SECONDS" -seed=1 -print_final_stats=1 "$corpus" \
			> "$OUT/fuzz.log" 2>&1
	else
		"$FUZZ" "$FUZZ_SECONDS" "$corpus"/* > "$OUT/fuzz.log" 2>&1
	fi
	rc=$?
	runs=$(grep -oE 'number_of_executed_units: *[0-9]+|[0-9]+ inputs' "$OUT/fuzz.log" | grep -oE '[0-9]+' | tail -1)
	check_eq "reader fuzzed for ${FUZZ_SECONDS}s (${runs:-?} inputs) without a crash" 0 "$rc"
else
	tap_fail "fuzz_result not built"
fi

# ---- reference runs recorded on the emulated host ----
# results/ref/<kernel>-<mode>[-b]/run-N: two batches of one configuration
# (A/A) and a configuration that differs (another mode or kernel).
REF=results/ref
if [ -d "$REF/6.12-protected" ] && [ -d "$REF/6.12-protected-b" ]; then
	rc=$(run $ITSPERF compare -f json "$REF/6.12-protected" "$REF/6.12-protected-b")
	check_eq "reference A/A (6.12 protected, two batches): exit 0" 0 "$rc"
	total=$(grep -c '"verdict":' "$OUT/last.out")
	same=$(grep -cE '"verdict": *"no change"' "$OUT/last.out")
	check_eq "reference A/A: all $total comparisons 'no change'" "$total" "$same"
	for other in 6.12-nvhe 6.1-protected; do
		[ -d "$REF/$other" ] || continue
		rc=$(run $ITSPERF compare "$REF/6.12-protected" "$REF/$other")
		check "reference 6.12-protected vs $other: a difference is reported" \
			grep -qE 'REGRESSION|improvement' "$OUT/last.out"
	done
else
	tap_skip "reference runs A/A and difference" "results/ref not recorded yet"
fi
