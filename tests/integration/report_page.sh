#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# itsperf report --html: the start page of a report folder like the one
# `make demo` writes (cover letters, compare and report tables, itsperf
# plot's folders), built from the reference runs in results/ref and from
# runs with known shifts (gen_runs, through the real writer), then opened
# in headless chromium: every <img> must load (naturalWidth > 0), every
# relative link must name a file that exists, nothing may come from off
# the machine. A copy of the folder with one image and one table deleted
# must fail those checks. The overview figure's numbers are checked
# against the shifts the runs were generated with.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
GEN=build/x86_64/tests/gen_runs
OUT=$(realpath -m "${ITSPERF_TEST_OUT:-build/test-out}/report_page")
REP=$OUT/report
CHROMIUM=${CHROMIUM:-chromium}
rm -rf "$OUT"
mkdir -p "$REP"

if [ ! -x "$GEN" ] || [ ! -x "$ITSPERF" ]; then
	tap_fail "gen_runs or itsperf not built (make test-build)"
	exit 0
fi

# ---- the report folder ----
# runs: base, v1 15% slower, v2 8% faster; rates: base and v1 at two offered rates
$GEN -S 1 -n 500 "$OUT/runs/base" base 6 &&
$GEN -S 2 -n 500 -s 0.15 "$OUT/runs/v1" v1 6 &&
$GEN -S 3 -n 500 -s -0.08 "$OUT/runs/v2" v2 6 &&
for r in 1000 4000; do
	$GEN -S 4 -n 300 -r $r "$OUT/rates/base/rate-$r" base 3 &&
	$GEN -S 5 -n 300 -s 0.15 -r $r "$OUT/rates/v1/rate-$r" v1 3 || exit 1
done > "$OUT/gen.log" 2>&1 || { tap_fail "gen_runs failed (see $OUT/gen.log)"; exit 0; }

{
	$ITSPERF compare -f email "$OUT/runs/base" "$OUT/runs/v1" "$OUT/runs/v2" \
		-o "$REP/cover-letter-v1-v2.txt"
	$ITSPERF compare "$OUT/runs/base" "$OUT/runs/v1" -o "$REP/compare-v1.txt"
	$ITSPERF compare --throughput "$OUT/rates/base" "$OUT/rates/v1" -o "$REP/throughput-v1.txt"
	$ITSPERF report "$OUT/runs/base" > "$REP/base-report.txt"
	# a name to escape and percent-encode
	cp "$REP/compare-v1.txt" "$REP/compare its@8080000 & <v1>.txt"
	# a result run: one link to its folder, not a table per sample file
	mkdir -p "$REP/runs" && cp -r "$OUT/runs/base/run-1" "$REP/runs/base-1"
} 2> "$OUT/tables.log"
check "compare and report wrote the tables" \
	test -s "$REP/cover-letter-v1-v2.txt" -a -s "$REP/compare-v1.txt" -a \
	-s "$REP/throughput-v1.txt" -a -s "$REP/base-report.txt"
check "plot of the runs (png only)" $ITSPERF plot -f png -m 'cmd_latency.total.MOVI' \
	"$OUT/runs/base" "$OUT/runs/v1" "$OUT/runs/v2" -o "$REP/plots" 2>> "$OUT/tables.log"
check "plot of the rates (png and svg)" $ITSPERF plot -m 'throughput.*' \
	"$OUT/rates/base" "$OUT/rates/v1" -o "$REP/plots/rates" 2>> "$OUT/tables.log"
if [ -d results/ref/6.12-nvhe ] && [ -d results/ref/6.12-protected ]; then
	$ITSPERF compare -f email results/ref/6.12-nvhe results/ref/6.12-protected \
		-o "$REP/cover-letter-ref.txt" 2>> "$OUT/tables.log"
	check "plot of the reference runs (overview only)" $ITSPERF plot -f png -m none \
		results/ref/6.12-nvhe results/ref/6.12-protected -o "$REP/plots/ref" \
		2>> "$OUT/tables.log"
else
	tap_skip "plot of the reference runs" "no results/ref/6.12-nvhe and 6.12-protected"
fi

# ---- the overview figure ----
check "plot wrote overview.png for the runs" test -s "$REP/plots/overview.png"
check "no overview for runs at several offered rates" test ! -e "$REP/plots/rates/overview.png"
check "--no-overview leaves it out" bash -c "$ITSPERF plot --no-overview -f png -m none \
	'$OUT/runs/base' '$OUT/runs/v1' -o '$OUT/no-overview' 2> /dev/null;
	test ! -e '$OUT/no-overview/overview.png'"
# the change of a revision's metric in the overview's data: block "# REV: ...", line "# METRIC"
overview_change() {	# rev metric
	awk -v rev="$1" -v m="$2" '/^# / { in_rev = ($2 == rev ":") }
		in_rev && $NF == m { print $2, $3, $4; exit }' "$REP/plots/data/overview.dat"
}
# 6 runs a side with a between-run CV of 2%: a measured change within a few % of the shift
read -r chg lo hi <<< "$(overview_change v1 cmd_latency.total.MOVI)"
check "overview: v1's MOVI p50 is about +15% (${chg:-none}%, CI ${lo:-?}..${hi:-?})" \
	awk -v c="${chg:-nan}" -v l="${lo:-nan}" -v h="${hi:-nan}" \
	'BEGIN { exit !(c > 10 && c < 20 && l > 5 && l <= c && c <= h) }'
read -r chg lo hi <<< "$(overview_change v2 throughput.affinity)"
check "overview: v2's throughput is about +8% (${chg:-none}%)" \
	awk -v c="${chg:-nan}" 'BEGIN { exit !(c > 4 && c < 12) }'
read -r chg lo hi <<< "$(overview_change v2 cmd_latency.total.MAPD)"
check "overview: v2's MAPD p50 is about -8% (${chg:-none}%)" \
	awk -v c="${chg:-nan}" 'BEGIN { exit !(c > -12 && c < -4) }'
# the same change and interval as compare prints
read -r chg lo hi <<< "$(overview_change v1 cmd_latency.total.MOVI)"
check_eq "overview: v1's MOVI change and CI are compare's" \
	"$($ITSPERF compare "$OUT/runs/base" "$OUT/runs/v1" 2> /dev/null |
		awk '$1 == "total.MOVI" && $2 == "p50" { print $6, $7, $8 }')" \
	"$(awk -v c="$chg" -v l="$lo" -v h="$hi" \
		'BEGIN { printf "%+.1f%% [%+.1f%%, %+.1f%%]", c, l, h }')"

# ---- the page ----
page=$($ITSPERF report --html "$REP" --title 'report_page <test> & co' 2> "$OUT/html.err")
rc=$?
check_eq "report --html exits 0" 0 "$rc"
check_eq "report --html prints the page's path" "$REP/index.html" "$page"
HTML=$REP/index.html
$ITSPERF report --html "$OUT/no-such-folder" > /dev/null 2>&1
check_eq "report --html of a folder that is not there exits 2" 2 "$?"
check "the title is escaped" grep -q '<h1>report_page &lt;test&gt; &amp; co</h1>' "$HTML"
check "no script, style sheet, frame or object" \
	bash -c "! grep -Eiq '<(script|link|iframe|object|embed|base)\\b' '$HTML'"
check "no CSS import or url() (inline CSS only)" bash -c "! grep -Eiq '@import|url\\(' '$HTML'"
check "no src or href with a scheme (http:, https:, file:, data:, ...)" \
	bash -c "! grep -Eiq '(src|href)=\"[a-z][a-z0-9+.-]*:' '$HTML'"
first_img=$(grep -o '<img src="[^"]*"' "$HTML" | head -1 | sed 's/.*src="//; s/"$//')
check_eq "the first image is the overview" "plots/overview.png" "$first_img"
check "the cover letter is on the page, escaped, in a <pre>" \
	bash -c "sed -n '/<pre>/,/<\\/pre>/p' '$HTML' | grep -q 'p &lt; 0.05'"
check "both cover letters are shown" \
	test "$(grep -c '^<h3><a href="cover-letter-' "$HTML")" = "$([ -s "$REP/cover-letter-ref.txt" ] && echo 2 || echo 1)"
check "the throughput against the offered rate is a headline plot" \
	bash -c "sed -n '/id=\"headline\"/,/id=\"tables\"/p' '$HTML' | grep -q '<img src=\"plots/rates/throughput-vs-rate\\.'"
check "a result run is one link to its folder" grep -q '<a href="runs/base-1/">' "$HTML"
check "... not a link per sample file" bash -c "! grep -q 'runs/base-1/samples' '$HTML'"
check "a name with '@', '&', '<' and spaces is percent-encoded and escaped" \
	grep -q '<a href="compare%20its%408080000%20%26%20%3Cv1%3E.txt">compare its@8080000 &amp; &lt;v1&gt;.txt</a>' "$HTML"

# ---- rendered in chromium ----
if ! command -v "$CHROMIUM" > /dev/null; then
	tap_skip "the page in chromium" "chromium is not installed (make deps installs it)"
	exit 0
fi

# A page outside the report loads it in a frame and writes what it finds into
# its own DOM (the report has no script): IMG-OK/IMG-BAD per image, LINK per
# link, OFFSITE for any src, href or resource loaded that is not file:.
render() {	# report-dir name -> $OUT/name.dom
	local dir=$1 name=$2 profile

	cat > "$OUT/$name.html" <<-EOF
	<!DOCTYPE html>
	<html><body><iframe id="f" src="file://$dir/index.html" width="1200" height="900"></iframe>
	<pre id="out">PENDING</pre>
	<script>
	document.getElementById('f').addEventListener('load', function () {
		var d = this.contentDocument, w = this.contentWindow, l = ['BEGIN'];
		if (!d) { document.getElementById('out').textContent = 'NO-ACCESS'; return; }
		l.push('TITLE ' + d.title);
		for (const i of d.images)
			l.push((i.complete && i.naturalWidth > 0 ? 'IMG-OK ' : 'IMG-BAD ') + i.src);
		for (const a of d.querySelectorAll('a[href]'))
			l.push('LINK ' + a.href);
		for (const e of d.querySelectorAll('[src], [href]')) {
			const u = e.src || e.href;
			if (!u.startsWith('file:')) l.push('OFFSITE ' + u);
		}
		/* resource timing records http(s) loads (not file:) */
		for (const r of w.performance.getEntriesByType('resource'))
			if (!r.name.startsWith('file:')) l.push('OFFSITE ' + r.name);
		l.push('DONE');
		document.getElementById('out').textContent = l.join('\n');
	});
	</script></body></html>
	EOF
	profile=$(mktemp -d "$OUT/chromium-profile.XXXXXX")
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --host-resolver-rules='MAP * ~NOTFOUND' \
		--allow-file-access-from-files --user-data-dir="$profile" \
		--virtual-time-budget=10000 --dump-dom "file://$OUT/$name.html" \
		> "$OUT/$name.dom" 2> "$OUT/$name.chromium.log"
	rm -rf "$profile"
	grep -q '^DONE' "$OUT/$name.dom"
}

# every image loaded, as many as the page has <img>; prints the broken ones
images_ok() {	# dom html
	local n bad

	n=$(grep -o '<img ' "$2" | wc -l)
	bad=$(grep '^IMG-BAD ' "$1")
	[ -n "$bad" ] && echo "$bad" | sed 's/^/# /'
	[ -z "$bad" ] && [ "$(grep -c '^IMG-OK ' "$1")" = "$n" ] && [ "$n" -gt 0 ]
}

# the file a file:// URL names (fragment cut, percent-decoded)
url_path() {
	local p=${1#file://}

	p=${p%%#*}
	printf '%b' "${p//%/\\x}"
}

# every link names a file or folder that exists; prints the missing ones
links_ok() {	# dom
	local url p missing=0

	while read -r _ url; do
		p=$(url_path "$url")
		[ -e "$p" ] || { echo "# missing: $p"; missing=$((missing + 1)); }
	done < <(grep '^LINK ' "$1")
	[ $missing = 0 ] && grep -q '^LINK ' "$1"
}

if render "$REP" page; then
	tap_ok "chromium rendered the page ($(grep -c '^IMG-' "$OUT/page.dom") images, $(grep -c '^LINK ' "$OUT/page.dom") links)"
else
	tap_fail "chromium did not render the page (see $OUT/page.dom, $OUT/page.chromium.log)"
	exit 0
fi
check_eq "chromium shows the page's title" "TITLE report_page <test> & co" \
	"$(grep '^TITLE ' "$OUT/page.dom" | sed 's/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g')"
check "every <img> loaded (naturalWidth > 0)" images_ok "$OUT/page.dom" "$HTML"
check "every relative link names a file that exists" links_ok "$OUT/page.dom"
check "nothing requested off the machine" bash -c "! grep -q '^OFFSITE' '$OUT/page.dom'"

# every table and plot in the folder is linked
linked=$(grep '^LINK ' "$OUT/page.dom" | while read -r _ url; do url_path "$url"; echo; done | sort -u)
unlinked=0
while IFS= read -r f; do
	grep -qxF "$f" <<< "$linked" || { echo "# not linked: $f"; unlinked=$((unlinked + 1)); }
done < <(find "$REP" -type d -exec test -e '{}/meta.json' \; -prune -o -type f \
	\( -name '*.txt' -o -name '*.png' -o -name '*.svg' -o -name '*.gp' \) -print)
check_eq "every table and plot file is linked from the page" 0 "$unlinked"

# ---- the checks can fail: one image and one table deleted in a copy ----
BROKEN=$OUT/broken
cp -r "$REP" "$BROKEN"
rm "$BROKEN/plots/overview.png" "$BROKEN/compare-v1.txt"
if render "$BROKEN" broken; then
	if images_ok "$OUT/broken.dom" "$BROKEN/index.html" > /dev/null; then
		tap_fail "with overview.png deleted, the image check still passes"
	else
		tap_ok "with overview.png deleted, the image check fails"
	fi
	check "... naming the missing image" grep -q "^IMG-BAD file://$BROKEN/plots/overview.png" \
		"$OUT/broken.dom"
	if links_ok "$OUT/broken.dom" > "$OUT/broken.links"; then
		tap_fail "with compare-v1.txt deleted, the link check still passes"
	else
		tap_ok "with compare-v1.txt deleted, the link check fails"
	fi
	check "... naming the missing table" grep -qxF "# missing: $BROKEN/compare-v1.txt" \
		"$OUT/broken.links"
else
	tap_fail "chromium did not render the broken copy (see $OUT/broken.dom)"
fi
