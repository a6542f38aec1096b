// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf report RUN...: per metric count, min, p50, p90, p99, p99.9, max,
 * mean, stddev, grouped by area. Exact from raw samples when the run has
 * them, interpolated from the histogram otherwise (marked "hist").
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "analysis/format.h"
#include "analysis/runs.h"
#include "analysis/stats.h"
#include "analysis/throughput.h"
#include "commands/commands.h"
#include "commands/report_html.h"
#include "host/counters.h"
#include "lib/util.h"
#include "result/crosscheck.h"
#include "result/result.h"

/* one line a distribution's source: exact samples, histogram estimate or one value */
static const char *summary_src(const struct result_metric *m)
{
	if (m->has_value)
		return "value";
	return m->summary.exact ? "samples" : "hist";
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 1000)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.4g", v);
}

/* the clock of the timings; for icount, what it does not measure */
static void report_clock_line(FILE *f, const struct run_meta *m, const char *pfx)
{
	char clk[64];

	fprintf(f, "%sclock %s%s\n", pfx, run_clock_str(m, clk, sizeof(clk)),
		strcmp(m->clock.kind, "icount") ?
			"" :
			": instructions executed, path length only (no "
			"cache/TLB cost; an EL2 exception ~1 instruction)");
}

static void print_run_header(FILE *f, const struct result_data *d, const char *title)
{
	const struct run_meta *m = &d->meta;

	fprintf(f, "# %s\n", title);
	fprintf(f, "# label %s  kernel %s  mode %s  GICv%d x%d ITS  %d CPUs  %s%s\n", m->label,
		m->kernel_release, m->pkvm_mode[0] ? m->pkvm_mode : "?", m->gic_version,
		m->its_count, m->nr_cpus, m->cpu_model[0] ? m->cpu_model : "cpu ?",
		d->partial ? "  PARTIAL" : "");
	if (m->emulated)
		fprintf(f,
			"# emulated host (QEMU TCG): timings are for A/B on the same emulator only\n");
	report_clock_line(f, m, "# ");
	if (m->offered_rate > 0 || m->nr_sweep) {
		int i;

		fprintf(f, "#");
		if (m->offered_rate > 0)
			fprintf(f, " offered rate %g cmd/s", m->offered_rate);
		for (i = 0; i < m->nr_sweep; i++)
			fprintf(f, " %s=%g", m->sweep[i].name, m->sweep[i].value);
		fprintf(f, "\n");
	}
}

static const char *const cols[] = { "count", "min", "p50",  "p90",   "p99",
				    "p99.9", "max", "mean", "stddev" };

static void summary_cols(const struct summary *s, double *v)
{
	v[0] = s->count;
	v[1] = s->min;
	v[2] = s->p50;
	v[3] = s->p90;
	v[4] = s->p99;
	v[5] = s->p999;
	v[6] = s->max;
	v[7] = s->mean;
	v[8] = s->stddev;
}

/* raw captures a developer opens with their own tools */
static void print_attachments(FILE *f, const struct result_data *d)
{
	size_t i;

	if (!d->files)
		return;
	for (i = 0; i < json_object_array_length(d->files); i++) {
		struct json_object *file = json_object_array_get_idx(d->files, i);
		struct json_object *name;
		struct json_object *path;

		if (!json_object_object_get_ex(file, "name", &name) ||
		    !json_object_object_get_ex(file, "path", &path) ||
		    strcmp(json_object_get_string(name), "trace.dat"))
			continue;
		fprintf(f,
			"raw ITS command records: %s/%s (trace-cmd report FILE, kernelshark FILE)\n",
			d->dir, json_object_get_string(path));
	}
}

/*
 * Health, cross-source command counts and perf counters: what a reader must
 * not miss next to the distributions. runs: the runs merged into d (for
 * perf stat -r style "+-"), or NULL.
 */
static void print_sections(FILE *f, const struct result_data *d, const struct run_group *runs)
{
	struct json_object *health;
	struct json_object *counters;
	struct json_object *perf;
	struct json_object *ok;

	if (json_object_object_get_ex(d->sections, "health", &health) &&
	    json_object_object_get_ex(health, "ok", &ok) &&
	    json_object_is_type(ok, json_type_boolean))
		fprintf(f, "kernel health: %s\n",
			json_object_get_boolean(ok) ? "ok" :
						      "NOT OK (see sections.health in meta.json)");
	if (json_object_object_get_ex(d->sections, "counters", &counters))
		crosscheck_print(d, f);
	if (json_object_object_get_ex(d->sections, COUNTERS_SECTION, &perf)) {
		struct json_object **each = NULL;
		int n = 0;
		int r;

		if (runs) {
			each = xcalloc(runs->nr_runs + 1, sizeof(*each));
			for (r = 0; r < runs->nr_runs; r++)
				if (json_object_object_get_ex(runs->runs[r]->sections,
							      COUNTERS_SECTION, &each[n]))
					n++;
		}
		counters_print_section(f, perf, each, n);
		free(each);
	}
	print_attachments(f, d);
}

static int metric_order_cmp(const void *a, const void *b)
{
	const struct result_metric *x = *(const struct result_metric *const *)a;
	const struct result_metric *y = *(const struct result_metric *const *)b;
	int d = area_rank(x->area) - area_rank(y->area);

	if (d)
		return d;
	d = strcmp(x->area, y->area);
	return d ? d : strverscmp(x->name, y->name);
}

/* metrics grouped by area (in the usual order), then by name */
static const struct result_metric **metric_order(const struct result_data *d)
{
	const struct result_metric **o = xmalloc((d->nr_metrics + 1) * sizeof(*o));
	int i;

	for (i = 0; i < d->nr_metrics; i++)
		o[i] = &d->metrics[i];
	qsort(o, d->nr_metrics, sizeof(*o), metric_order_cmp);
	return o;
}

static void report_text(FILE *f, const struct result_data *d, const char *title,
			const struct run_group *merged_from)
{
	const struct result_metric **order = metric_order(d);
	const char *area = NULL;
	double v[9];
	int i;
	int c;

	print_run_header(f, d, title);
	for (i = 0; i < d->nr_metrics; i++) {
		const struct result_metric *m = order[i];

		if (!area || strcmp(area, m->area)) {
			area = m->area;
			fprintf(f, "%-30s %-6s", area, "unit");
			for (c = 0; c < 9; c++)
				fprintf(f, " %11s", cols[c]);
			fprintf(f, "  %s\n", "from");
		}
		fprintf(f, "  %-28s %-6s", metric_short_name_in(m->name, m->area), m->unit);
		summary_cols(&m->summary, v);
		for (c = 0; c < 9; c++) {
			char buf[32];

			fmt_num(buf, sizeof(buf), v[c]);
			fprintf(f, " %11s", buf);
		}
		fprintf(f, "  %s\n", summary_src(m));
	}
	fprintf(f, "\n");
	print_sections(f, d, merged_from);
	free(order);
}

static void report_markdown(FILE *f, const struct result_data *d, const char *title)
{
	const struct result_metric **order = metric_order(d);
	double v[9];
	int i;
	int c;

	fprintf(f, "### %s\n\n", title);
	fprintf(f, "label `%s`, kernel `%s`, mode `%s`, GICv%d, %d ITS, %d CPUs%s%s\n\n",
		d->meta.label, d->meta.kernel_release, d->meta.pkvm_mode, d->meta.gic_version,
		d->meta.its_count, d->meta.nr_cpus, d->meta.emulated ? ", emulated (QEMU TCG)" : "",
		d->partial ? ", **partial**" : "");
	report_clock_line(f, &d->meta, "");
	fprintf(f, "\n");
	fprintf(f, "| area | metric | unit |");
	for (c = 0; c < 9; c++)
		fprintf(f, " %s |", cols[c]);
	fprintf(f, " from |\n|---|---|---|");
	for (c = 0; c < 9; c++)
		fprintf(f, "---:|");
	fprintf(f, "---|\n");
	for (i = 0; i < d->nr_metrics; i++) {
		const struct result_metric *m = order[i];

		fprintf(f, "| %s | %s | %s |", m->area, metric_short_name_in(m->name, m->area),
			m->unit);
		summary_cols(&m->summary, v);
		for (c = 0; c < 9; c++) {
			char buf[32];

			fmt_num(buf, sizeof(buf), v[c]);
			fprintf(f, " %s |", buf);
		}
		fprintf(f, " %s |\n", summary_src(m));
	}
	fprintf(f, "\n");
	free(order);
}

static void csv_field(FILE *f, const char *s)
{
	/* RFC 4180: quote fields holding separators or quotes */
	if (strpbrk(s, ",\"\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

static void report_csv(FILE *f, const struct result_data *d)
{
	double v[9];
	int i;
	int c;

	for (i = 0; i < d->nr_metrics; i++) {
		const struct result_metric *m = &d->metrics[i];

		csv_field(f, d->dir);
		fputc(',', f);
		csv_field(f, d->meta.label);
		fprintf(f, ",%s,", m->name);
		csv_field(f, m->area);
		fputc(',', f);
		csv_field(f, m->unit);
		fprintf(f, ",%s,%d", metric_kind_name(m->kind), d->partial);
		summary_cols(&m->summary, v);
		for (c = 0; c < 9; c++) {
			if (isfinite(v[c]))
				fprintf(f, ",%.17g", v[c]);
			else
				fprintf(f, ",");
		}
		fprintf(f, ",%s\n", summary_src(m));
	}
}

static struct json_object *report_json(const struct result_data *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ms = json_object_new_array();
	int i;

	json_object_object_add(o, "dir", json_object_new_string(d->dir));
	json_object_object_add(o, "partial", json_object_new_boolean(d->partial));
	json_object_object_add(o, "meta", run_meta_to_json(&d->meta));
	for (i = 0; i < d->nr_metrics; i++) {
		const struct result_metric *m = &d->metrics[i];
		struct json_object *jm = json_object_new_object();

		json_object_object_add(jm, "name", json_object_new_string(m->name));
		json_object_object_add(jm, "area", json_object_new_string(m->area));
		json_object_object_add(jm, "unit", json_object_new_string(m->unit));
		json_object_object_add(jm, "kind",
				       json_object_new_string(metric_kind_name(m->kind)));
		json_object_object_add(jm, "from", json_object_new_string(summary_src(m)));
		json_object_object_add(jm, "summary", summary_to_json(&m->summary));
		json_object_array_add(ms, jm);
	}
	json_object_object_add(o, "metrics", ms);
	return o;
}

/*
 * --merge: one pseudo-run per label, samples (or histograms) of all its
 * runs pooled. Descriptive only: pooled samples are not independent
 * observations (compare works on per-run statistics instead).
 */
static struct result_data *merge_group(const struct run_group *g)
{
	struct result_data *d = xcalloc(1, sizeof(*d));
	struct metric_ref *refs;
	int nr;
	int i;
	int r;

	d->dir = xasprintf("%s (%d runs merged)", g->origin, g->nr_runs);
	d->meta = g->runs[0]->meta;
	d->sections = g->runs[0]->sections;
	for (r = 0; r < g->nr_runs; r++)
		d->partial |= g->runs[r]->partial;
	{
		struct run_set one = { .groups = (struct run_group *)g, .nr_groups = 1 };

		nr = run_set_metrics(&one, &refs);
	}
	d->metrics = xcalloc(nr ? nr : 1, sizeof(*d->metrics));
	d->nr_metrics = nr;
	for (i = 0; i < nr; i++) {
		struct result_metric *m = &d->metrics[i];
		bool all_samples = true;
		size_t total = 0;
		int nv = 0;

		m->name = xstrdup(refs[i].name);
		m->area = xstrdup(refs[i].area);
		m->unit = xstrdup(refs[i].unit);
		m->kind = refs[i].kind;
		for (r = 0; r < g->nr_runs; r++) {
			const struct result_metric *rm = result_find_metric(g->runs[r], m->name);

			if (!rm)
				continue;
			if (rm->has_value) {
				nv++;
				continue;
			}
			if (!rm->samples)
				all_samples = false;
			total += rm->nr_samples;
		}
		if (nv) {
			/* value metrics: the distribution of per-run values */
			double *vals = xmalloc(g->nr_runs * sizeof(*vals));
			int n = group_stat(g, m->name, STAT_P50, vals);

			sort_double(vals, n);
			m->has_value = true;
			m->summary =
				(struct summary){ .count = n,
						  .min = vals[0],
						  .max = vals[n - 1],
						  .p50 = quantile_sorted_double(vals, n, 0.5),
						  .p90 = quantile_sorted_double(vals, n, 0.9),
						  .p99 = quantile_sorted_double(vals, n, 0.99),
						  .p999 = quantile_sorted_double(vals, n, 0.999),
						  .exact = true };
			{
				double s = 0;
				double s2 = 0;
				int k;

				for (k = 0; k < n; k++)
					s += vals[k];
				m->summary.mean = s / n;
				for (k = 0; k < n; k++)
					s2 += (vals[k] - m->summary.mean) *
					      (vals[k] - m->summary.mean);
				m->summary.stddev = n > 1 ? sqrt(s2 / (n - 1)) : 0;
			}
			free(vals);
		} else if (all_samples) {
			size_t off = 0;

			m->samples = xmalloc((total ? total : 1) * sizeof(*m->samples));
			for (r = 0; r < g->nr_runs; r++) {
				const struct result_metric *rm =
					result_find_metric(g->runs[r], m->name);

				if (!rm || !rm->samples)
					continue;
				memcpy(m->samples + off, rm->samples,
				       rm->nr_samples * sizeof(*m->samples));
				off += rm->nr_samples;
			}
			m->nr_samples = off;
			sort_u64(m->samples, off);
			summary_from_sorted_u64(&m->summary, m->samples, off);
		} else {
			for (r = 0; r < g->nr_runs; r++) {
				const struct result_metric *rm =
					result_find_metric(g->runs[r], m->name);

				if (rm && rm->has_hist)
					hist_merge(&m->hist, &rm->hist);
			}
			m->has_hist = true;
			summary_from_hist(&m->summary, &m->hist);
		}
	}
	free(refs);
	return d;
}

static void free_merged(struct result_data *d)
{
	d->sections = NULL; /* borrowed */
	result_free(d);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf report [options] RUN...\n"
		"  RUN is a run folder or a folder of runs (searched recursively)\n"
		"  -f, --format FMT     text (default, rtla style), json, csv, markdown\n"
		"  -m, --merge          pool the runs of each label (descriptive statistics only)\n"
		"  -t, --throughput     commands/s and per-command latency vs offered --rate\n"
		"      --sweep NAME     the same against a swept variable (meta.sweep.NAME)\n"
		"  -H, --hist-only      do not load raw samples (quantiles from histograms)\n"
		"      --include-partial  use runs marked partial\n"
		"  -o, --output FILE    write there instead of stdout\n"
		"usage: itsperf report --html DIR [--title TEXT] [--cover GLOB]... [--headline GLOB]...\n"
		"  DIR/index.html: one static page for a report folder (no script, nothing\n"
		"  fetched from elsewhere): the overview plots, the cover letters (default\n"
		"  cover-letter*.txt) in full, the headline plots (default\n"
		"  throughput-vs-rate.*.png), and a relative link to every table and plot\n"
		"  in DIR; prints the page's path\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "merge", no_argument, NULL, 'm' },
		{ "throughput", no_argument, NULL, 't' },
		{ "sweep", required_argument, NULL, 'S' },
		{ "hist-only", no_argument, NULL, 'H' },
		{ "include-partial", no_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "html", required_argument, NULL, 'W' },
		{ "title", required_argument, NULL, 'T' },
		{ "cover", required_argument, NULL, 'C' },
		{ "headline", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_set_opts so = { .read_flags = RESULT_READ_SAMPLES };
	struct report_html_opts ho = { 0 };
	enum out_format fmt = FMT_TEXT;
	struct json_object *jroot = NULL;
	const char *sweep = NULL;
	const char *output = NULL;
	const char *html = NULL;
	bool throughput = false;
	bool merge = false;
	struct run_set s;
	FILE *f = stdout;
	int ret = EXIT_OK;
	int c;
	int g;
	int r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "f:mtHo:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_format(optarg, &fmt, false))
				return EXIT_USAGE;
			break;
		case 'm':
			merge = true;
			break;
		case 't':
			throughput = true;
			break;
		case 'S':
			sweep = optarg;
			throughput = true;
			break;
		case 'H':
			so.read_flags &= ~RESULT_READ_SAMPLES;
			break;
		case 'P':
			so.include_partial = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'W':
			html = optarg;
			break;
		case 'T':
			ho.title = optarg;
			break;
		case 'C':
			ho.cover = xrealloc(ho.cover, (ho.nr_cover + 1) * sizeof(*ho.cover));
			ho.cover[ho.nr_cover++] = optarg;
			break;
		case 'L':
			ho.headline =
				xrealloc(ho.headline, (ho.nr_headline + 1) * sizeof(*ho.headline));
			ho.headline[ho.nr_headline++] = optarg;
			break;
		case 'h':
			usage(stdout);
			ret = EXIT_OK;
			goto out_html;
		default:
			usage(stderr);
			ret = EXIT_USAGE;
			goto out_html;
		}
	}
	if (html) {
		if (optind < argc || output) {
			err_msg("--html DIR takes no RUN and no --output: the page is DIR/index.html");
			ret = EXIT_USAGE;
		} else if (!path_exists(html)) {
			err_msg("--html %s: no such folder", html);
			ret = EXIT_USAGE;
		} else if (report_html(html, &ho)) {
			ret = EXIT_FAIL;
		} else {
			printf("%s/index.html\n", html);
		}
		goto out_html;
	}
	if (ho.title || ho.nr_cover || ho.nr_headline) {
		err_msg("--title, --cover and --headline go with --html");
		ret = EXIT_USAGE;
		goto out_html;
	}
	free(ho.cover);
	free(ho.headline);
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* report shows every run it is given, partial ones included (marked) */
	so.include_partial = true;
	so.merge_args = merge;
	if (run_set_load(&s, argv + optind, argc - optind, &so))
		return EXIT_USAGE;
	if (output) {
		f = fopen(output, "w");
		if (!f) {
			err_msg("%s: %m", output);
			run_set_free(&s);
			return EXIT_USAGE;
		}
	}
	if (throughput) {
		ret = throughput_view(f, &s, sweep, fmt, NULL);
		goto out;
	}
	if (fmt == FMT_JSON) {
		jroot = json_object_new_object();
		json_object_object_add(jroot, "format_version",
				       json_object_new_int(RESULT_FORMAT_VERSION));
		json_object_object_add(jroot, "runs", json_object_new_array());
	}
	if (fmt == FMT_CSV) {
		fprintf(f, "run,label,metric,area,unit,kind,partial");
		for (c = 0; c < 9; c++)
			fprintf(f, ",%s", cols[c]);
		fprintf(f, ",from\n");
	}
	for (g = 0; g < s.nr_groups; g++) {
		const struct run_group *grp = &s.groups[g];
		struct result_data *merged = merge ? merge_group(grp) : NULL;
		int nr = merge ? 1 : grp->nr_runs;

		for (r = 0; r < nr; r++) {
			const struct result_data *d = merge ? merged : grp->runs[r];
			char *title = merge ? xasprintf("itsperf report: %s, %d runs merged (%s)",
							grp->name, grp->nr_runs, grp->origin) :
					      xasprintf("itsperf report: %s", d->dir);
			struct json_object *runs;

			switch (fmt) {
			case FMT_TEXT:
			case FMT_EMAIL:
				report_text(f, d, title, merge ? grp : NULL);
				break;
			case FMT_MARKDOWN:
				report_markdown(f, d, title);
				break;
			case FMT_CSV:
				report_csv(f, d);
				break;
			case FMT_JSON:
				json_object_object_get_ex(jroot, "runs", &runs);
				json_object_array_add(runs, report_json(d));
				break;
			}
			free(title);
		}
		if (merged)
			free_merged(merged);
	}
	if (jroot) {
		fprintf(f, "%s\n",
			json_object_to_json_string_ext(
				jroot, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(jroot);
	}
out:
	if (f != stdout && fclose(f)) {
		err_msg("%s: %m", output);
		ret = EXIT_FAIL;
	}
	run_set_free(&s);
	return ret;
out_html:
	free(ho.cover);
	free(ho.headline);
	return ret;
}
