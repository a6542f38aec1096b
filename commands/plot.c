// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf plot RUN... -o DIR: gnuplot plots of result runs, one curve per
 * revision (group of runs with one label), each revision with its own
 * colour AND dash pattern (readable in print and by the colour-blind):
 *
 *   <metric>.hist.{png,svg}     distribution of every latency metric (command
 *                               latency per type, lock hold, hvc, deprivilege
 *                               window): share of samples per log-spaced bin
 *   <metric>.cdf.{png,svg}      its cumulative distribution
 *   throughput-vs-rate.*        commands/s against the offered --rate
 *   latency-vs-rate.<metric>.*  p50 and p99 against the offered --rate
 *   sweep-<var>.<metric>.*      p50 and p99 (or the value) against a swept
 *                               variable (meta.sweep, e.g. devices)
 *
 * The data (DIR/data/NAME.dat) and the gnuplot scripts (DIR/NAME.gp) are kept
 * next to the images so that a plot can be restyled by hand; each script
 * is also piped to gnuplot.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "analysis/compare.h"
#include "analysis/runs.h"
#include "analysis/stats.h"
#include "commands/commands.h"
#include "lib/util.h"
#include "result/metrics.h"

#define BINS_PER_DECADE 20
#define CDF_POINTS	400

/* Okabe-Ito: distinguishable by the colour-blind; dash types 1..8 on top */
static const char *const colours[] = {
	"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
};

struct plot_ctx {
	const struct run_set *s;
	const char *dir;
	const char *png_term; /* "pngcairo" or "png" */
	int width;	      /* image size in pixels (1000 x 650) */
	int height;
	bool png;
	bool svg;
	const char **only;
	int nr_only;
	int nr_plots;
	int failed;
};

/* a metric name as a file name: it already is one ([A-Za-z0-9_.:+@-]), but ':' upsets some tools */
static char *file_name(const char *fmt, const char *name)
{
	char *s = xasprintf(fmt, name);
	char *p;

	for (p = s; *p; p++)
		if (*p == ':')
			*p = '_';
	return s;
}

/* the unit a latency axis is shown in, from a typical value in ns */
static void ns_scale(double typical, double *div, const char **unit)
{
	if (typical >= 1e7) {
		*div = 1e6;
		*unit = "ms";
	} else if (typical >= 1e4) {
		*div = 1e3;
		*unit = "us";
	} else {
		*div = 1;
		*unit = "ns";
	}
}

static void axis_unit(const char *unit, double typical, double *div, const char **shown)
{
	if (!strcmp(unit, "ns")) {
		ns_scale(typical, div, shown);
	} else {
		*div = 1;
		*shown = unit;
	}
}

static void style_lines(FILE *gp, int n)
{
	int i;

	for (i = 0; i < n; i++)
		fprintf(gp, "set linetype %d lc rgb '%s' lw 2 dt %d pt %d\n", i + 1,
			colours[i % ARRAY_SIZE(colours)], i % 8 + 1, i % 13 + 1);
}

/* run one script through gnuplot, once per output format */
static int run_gnuplot(struct plot_ctx *c, const char *base, const char *body)
{
	static const char *const exts[] = { "png", "svg" };
	char *gpfile = xasprintf("%s/%s.gp", c->dir, base);
	int ret = 0;
	size_t i;
	FILE *f;

	f = fopen(gpfile, "w");
	if (f) {
		fprintf(f,
			"# itsperf plot: regenerate with  gnuplot -e \"set terminal pngcairo size %d,%d "
			"noenhanced; set output '%s.png'\" %s.gp\n%s",
			c->width, c->height, base, base, body);
		fclose(f);
	}
	free(gpfile);
	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		char *out;
		FILE *gp;
		int st;

		if ((i == 0 && !c->png) || (i == 1 && !c->svg))
			continue;
		/* gnuplot's warnings ("empty x range" for a single value) are noise; -v shows them */
		gp = popen(itsperf_verbose ? "gnuplot" : "gnuplot 2>/dev/null", "w");
		if (!gp) {
			err_msg("gnuplot: %s", strerror(errno));
			return -1;
		}
		out = xasprintf("%s/%s.%s", c->dir, base, exts[i]);
		if (i == 0)
			fprintf(gp, "set terminal %s size %d,%d font ',11' noenhanced\n",
				c->png_term, c->width, c->height);
		else
			fprintf(gp,
				"set terminal svg size %d,%d dynamic font 'sans,11' noenhanced\n",
				c->width, c->height);
		fprintf(gp, "set output '%s'\n%s", out, body);
		st = pclose(gp);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			err_msg("gnuplot failed on %s (script in %s/%s.gp)", out, c->dir, base);
			ret = -1;
		} else {
			debug_msg("wrote %s", out);
		}
		free(out);
	}
	if (ret)
		c->failed++;
	else
		c->nr_plots++;
	return ret;
}

/* DIR/data/BASE.dat for writing, its path in *path; NULL (counted as a failed plot) on error */
static FILE *open_data(struct plot_ctx *c, const char *base, char **path)
{
	FILE *f;

	*path = xasprintf("%s/data/%s.dat", c->dir, base);
	f = fopen(*path, "w");
	if (!f) {
		err_msg("%s: %s", *path, strerror(errno));
		c->failed++;
		free(*path);
		*path = NULL;
	}
	return f;
}

static bool selected(const struct plot_ctx *c, const char *name)
{
	int i;

	if (!c->nr_only)
		return true;
	for (i = 0; i < c->nr_only; i++)
		if (!fnmatch(c->only[i], name, 0))
			return true;
	return false;
}

/* ---- distributions ---- */

struct dist {
	uint64_t *v; /* pooled samples of the group, sorted */
	size_t n;
	struct hist h; /* merged histograms when some run has no samples */
	bool have_samples;
};

static void group_dist(const struct run_group *g, const char *metric, struct dist *d)
{
	size_t total = 0;
	size_t off = 0;
	int r;

	memset(d, 0, sizeof(*d));
	d->have_samples = true;
	for (r = 0; r < g->nr_runs; r++) {
		const struct result_metric *m = result_find_metric(g->runs[r], metric);

		if (!m)
			continue;
		if (!m->samples)
			d->have_samples = false;
		total += m->nr_samples;
		if (m->has_hist)
			hist_merge(&d->h, &m->hist);
	}
	if (!d->have_samples || !total) {
		d->have_samples = false;
		return;
	}
	d->v = xmalloc(total * sizeof(*d->v));
	for (r = 0; r < g->nr_runs; r++) {
		const struct result_metric *m = result_find_metric(g->runs[r], metric);

		if (!m || !m->samples)
			continue;
		memcpy(d->v + off, m->samples, m->nr_samples * sizeof(*d->v));
		off += m->nr_samples;
	}
	d->n = off;
	sort_u64(d->v, d->n);
}

static void dist_free(struct dist *d)
{
	free(d->v);
	hist_free(&d->h);
}

static uint64_t dist_count(const struct dist *d)
{
	return d->have_samples ? d->n : d->h.count;
}

static double dist_quantile(const struct dist *d, double p)
{
	return d->have_samples ? quantile_sorted_u64(d->v, d->n, p) : hist_quantile(&d->h, p);
}

/* share of the samples in [lo, hi) */
static double dist_share(const struct dist *d, double lo, double hi)
{
	const uint64_t *a;
	const uint64_t *b;
	size_t l = 0;
	size_t h;

	if (!d->n)
		return 0;
	/* lower_bound(lo), lower_bound(hi) */
	for (h = d->n; l < h;) {
		size_t m = (l + h) / 2;

		if ((double)d->v[m] < lo)
			l = m + 1;
		else
			h = m;
	}
	a = d->v + l;
	for (h = d->n; l < h;) {
		size_t m = (l + h) / 2;

		if ((double)d->v[m] < hi)
			l = m + 1;
		else
			h = m;
	}
	b = d->v + l;
	return (double)(b - a) / d->n;
}

static void write_hist_data(FILE *f, const struct dist *d, double div, double lo_all, double hi_all)
{
	double step = 1.0 / BINS_PER_DECADE;
	double e;
	int i;

	if (d->have_samples) {
		/* the same log-spaced bins for every revision */
		for (e = floor(log10(lo_all) * BINS_PER_DECADE) / BINS_PER_DECADE;
		     pow(10, e) <= hi_all; e += step) {
			double lo = pow(10, e);
			double hi = pow(10, e + step);

			fprintf(f, "%g %g %g\n", sqrt(lo * hi) / div, 100 * dist_share(d, lo, hi),
				lo / div);
		}
		return;
	}
	/* histogram only: its own buckets, as a share per bucket */
	for (i = 0; i < d->h.nr_buckets; i++) {
		double lo = fmax(hist_bucket_lo(&d->h, i), 1);
		double hi = (double)hist_bucket_hi(&d->h, i);

		if (!d->h.buckets[i])
			continue;
		fprintf(f, "%g %g %g\n", sqrt(lo * hi) / div, 100.0 * d->h.buckets[i] / d->h.count,
			lo / div);
	}
}

static void write_cdf_data(FILE *f, const struct dist *d, double div)
{
	int i;

	/* linear up to p90, then denser towards the tail: 1 - 0.1 * 10^(-3t) reaches p99.99 */
	for (i = 0; i <= CDF_POINTS; i++) {
		double t = (double)i / CDF_POINTS;
		double p = t < 0.5 ? 0.9 * t / 0.5 : 1 - 0.1 * pow(10, -3 * (t - 0.5) / 0.5);

		fprintf(f, "%g %g\n", fmax(dist_quantile(d, p), 1) / div, p);
	}
	fprintf(f, "%g 1\n", fmax(dist_quantile(d, 1), 1) / div);
}

static void plot_distribution(struct plot_ctx *c, const struct metric_ref *m)
{
	const struct run_set *s = c->s;
	struct dist *d = xcalloc(s->nr_groups, sizeof(*d));
	double lo_all = INFINITY;
	double hi_all = 0;
	double typical = 0;
	bool all_samples = true;
	const char *unit;
	char *datfile;
	char *base;
	char *body;
	size_t blen;
	double div;
	FILE *f;
	FILE *b;
	int nd = 0;
	int g;

	for (g = 0; g < s->nr_groups; g++) {
		group_dist(&s->groups[g], m->name, &d[g]);
		if (!dist_count(&d[g]))
			continue;
		nd++;
		all_samples &= d[g].have_samples;
		lo_all = fmin(lo_all, fmax(dist_quantile(&d[g], 0), 1));
		hi_all = fmax(hi_all, dist_quantile(&d[g], 1));
		typical = fmax(typical, dist_quantile(&d[g], 0.5));
	}
	if (!nd)
		goto out;
	if (!all_samples)
		for (g = 0; g < s->nr_groups; g++)
			d[g].have_samples = false; /* one binning for all: the histograms' */
	axis_unit(m->unit, typical, &div, &unit);

	/* histogram */
	base = file_name("%s.hist", m->name);
	f = open_data(c, base, &datfile);
	if (!f) {
		free(base);
		goto out;
	}
	for (g = 0; g < s->nr_groups; g++) {
		fprintf(f, "# %s\n", s->groups[g].name);
		if (dist_count(&d[g]))
			write_hist_data(f, &d[g], div, lo_all, hi_all);
		else
			fprintf(f, "NaN NaN NaN\n");
		fprintf(f, "\n\n");
	}
	fclose(f);
	b = open_memstream(&body, &blen);
	style_lines(b, s->nr_groups);
	fprintf(b, "set title '%s: distribution per revision'\n", m->name);
	fprintf(b, "set xlabel '%s (%s, log scale)'\n", m->name, unit);
	fprintf(b, "set ylabel '%s'\n",
		all_samples ? "share of samples per bin (%, 20 bins per decade)" :
			      "share of samples per log2 bucket (%)");
	fprintf(b, "set logscale x\nset grid\nset key top right\nset yrange [0:*]\n");
	fprintf(b, "plot ");
	for (g = 0; g < s->nr_groups; g++)
		fprintf(b,
			"%s'%s' index %d using 1:2 with steps lt %d title '%s (%d run%s, %llu samples)'",
			g ? ", \\\n     " : "", datfile, g, g + 1, s->groups[g].name,
			s->groups[g].nr_runs, s->groups[g].nr_runs == 1 ? "" : "s",
			(unsigned long long)dist_count(&d[g]));
	fprintf(b, "\n");
	fclose(b);
	run_gnuplot(c, base, body);
	free(body);
	free(datfile);
	free(base);

	/* cumulative distribution */
	base = file_name("%s.cdf", m->name);
	f = open_data(c, base, &datfile);
	if (!f) {
		free(base);
		goto out;
	}
	for (g = 0; g < s->nr_groups; g++) {
		fprintf(f, "# %s\n", s->groups[g].name);
		if (dist_count(&d[g]))
			write_cdf_data(f, &d[g], div);
		else
			fprintf(f, "NaN NaN\n");
		fprintf(f, "\n\n");
	}
	fclose(f);
	b = open_memstream(&body, &blen);
	style_lines(b, s->nr_groups);
	fprintf(b, "set title '%s: cumulative distribution per revision'\n", m->name);
	fprintf(b, "set xlabel '%s (%s, log scale)'\n", m->name, unit);
	fprintf(b, "set ylabel 'fraction of samples <= x'\n");
	fprintf(b, "set logscale x\nset grid\nset key bottom right\nset yrange [0:1.02]\n");
	fprintf(b, "plot ");
	for (g = 0; g < s->nr_groups; g++)
		fprintf(b, "%s'%s' index %d using 1:2 with lines lt %d title '%s'",
			g ? ", \\\n     " : "", datfile, g, g + 1, s->groups[g].name);
	fprintf(b, "\n");
	fclose(b);
	run_gnuplot(c, base, body);
	free(body);
	free(datfile);
	free(base);
out:
	for (g = 0; g < s->nr_groups; g++)
		dist_free(&d[g]);
	free(d);
}

/* ---- against the offered rate or a swept variable ---- */

/* per x: median, min and max over the runs at x of one per-run statistic */
static bool write_xy(FILE *f, const struct run_group *g, const char *sweep, const double *xs,
		     int nx, const char *metric, enum run_stat st, double div)
{
	double *v = xmalloc((g->nr_runs + 1) * sizeof(*v));
	bool any = false;
	int j;

	for (j = 0; j < nx; j++) {
		struct run_group sub = *g;
		struct result_data **runs = xmalloc((g->nr_runs + 1) * sizeof(*runs));
		int n;
		int r;

		sub.runs = runs;
		sub.nr_runs = 0;
		for (r = 0; r < g->nr_runs; r++)
			if (run_x(g->runs[r], sweep, false) == xs[j])
				runs[sub.nr_runs++] = g->runs[r];
		n = group_stat(&sub, metric, st, v);
		if (n) {
			sort_double(v, n);
			fprintf(f, "%g %g %g %g %d\n", xs[j],
				quantile_sorted_double(v, n, 0.5) / div, v[0] / div, v[n - 1] / div,
				n);
			any = true;
		}
		free(runs);
	}
	free(v);
	return any;
}

static double typical_value(const struct run_set *s, const char *metric, enum run_stat st)
{
	double t = 0;
	int g;

	for (g = 0; g < s->nr_groups; g++) {
		double *v = xmalloc((s->groups[g].nr_runs + 1) * sizeof(*v));
		int n = group_stat(&s->groups[g], metric, st, v);

		if (n)
			t = fmax(t, median_double(v, n));
		free(v);
	}
	return t;
}

/*
 * One plot of a metric against x: the median over runs at each x with a
 * min-max bar; latency metrics get p50 (points filled) and p99 (open).
 */
static void plot_vs_x(struct plot_ctx *c, const struct metric_ref *m, const char *sweep,
		      const double *xs, int nx, const char *base)
{
	const struct run_set *s = c->s;
	enum run_stat stats[2] = { STAT_P50, STAT_P99 };
	int nst = m->is_value ? 1 : 2;
	const char *xlabel = sweep ? sweep : "offered rate (cmd/s, --rate)";
	bool any = false;
	const char *unit;
	char *datfile;
	char *body;
	size_t blen;
	double div;
	FILE *f;
	FILE *b;
	int first = 1;
	int g;
	int k;

	axis_unit(m->unit, typical_value(s, m->name, STAT_P50), &div, &unit);
	f = open_data(c, base, &datfile);
	if (!f)
		return;
	/* block index = g * nst + k */
	for (g = 0; g < s->nr_groups; g++) {
		for (k = 0; k < nst; k++) {
			fprintf(f, "# %s %s\n", s->groups[g].name,
				m->is_value ? "value" : run_stat_name(stats[k]));
			if (!write_xy(f, &s->groups[g], sweep, xs, nx, m->name, stats[k], div))
				fprintf(f, "NaN NaN NaN NaN 0\n");
			else
				any = true;
			fprintf(f, "\n\n");
		}
	}
	fclose(f);
	if (!any) {
		free(datfile);
		return;
	}
	b = open_memstream(&body, &blen);
	style_lines(b, s->nr_groups);
	fprintf(b, "set title '%s vs %s (median over runs, bars: min-max)'\n", m->name,
		sweep ? sweep : "offered rate");
	fprintf(b, "set xlabel '%s'\n", xlabel);
	fprintf(b, "set ylabel '%s (%s)'\n", m->name, unit);
	fprintf(b,
		"set grid\nset key outside right top\nset yrange [0:*]\nset offsets graph 0.03, graph 0.03, 0, 0\n");
	if (nx > 2 && xs[0] > 0 && xs[nx - 1] / xs[0] >= 20)
		fprintf(b, "set logscale x\n");
	fprintf(b, "plot ");
	for (g = 0; g < s->nr_groups; g++) {
		for (k = 0; k < nst; k++) {
			int idx = g * nst + k;
			/* filled points for p50, open ones for p99; line and colour per revision */
			int pt = k ? 6 : 7;

			fprintf(b,
				"%s'%s' index %d using 1:2:3:4 with yerrorlines lt %d pt %d ps 1.2 title '%s%s%s'",
				first ? "" : ", \\\n     ", datfile, idx, g + 1, pt,
				s->groups[g].name, m->is_value ? "" : " ",
				m->is_value ? "" : run_stat_name(stats[k]));
			first = 0;
		}
	}
	fprintf(b, "\n");
	fclose(b);
	run_gnuplot(c, base, body);
	free(body);
	free(datfile);
}

static void plot_axis(struct plot_ctx *c, const struct metric_ref *refs, int nr, const char *sweep)
{
	double *xs;
	int nx;
	int i;

	nx = run_set_x_values(c->s, sweep, false, &xs);
	if (nx < 2) {
		free(xs);
		return;
	}
	for (i = 0; i < nr; i++) {
		const struct metric_ref *m = &refs[i];
		char *base;

		if (!selected(c, m->name))
			continue;
		if (!sweep) {
			/* the throughput view: rates and per-command latency */
			if (metric_is_throughput(m->name) || !strcmp(m->area, "throughput"))
				base = file_name("throughput-vs-rate.%s",
						 metric_short_name(m->name));
			else if (metric_is(m->name, MF_CMD_LATENCY, "total"))
				base = file_name("latency-vs-rate.%s", m->name);
			else
				continue;
		} else {
			if (m->kind == METRIC_COUNT)
				continue;
			base = xasprintf("sweep-%s.%s", sweep, m->name);
		}
		plot_vs_x(c, m, sweep, xs, nx, base);
		free(base);
	}
	free(xs);
}

/* the swept variables present in the runs */
static int sweep_names(const struct run_set *s, char names[][32], int max)
{
	int n = 0;
	int g;
	int r;
	int i;
	int k;

	for (g = 0; g < s->nr_groups; g++) {
		for (r = 0; r < s->groups[g].nr_runs; r++) {
			const struct run_meta *m = &s->groups[g].runs[r]->meta;

			for (i = 0; i < m->nr_sweep; i++) {
				for (k = 0; k < n && strcmp(names[k], m->sweep[i].name); k++)
					;
				if (k == n && n < max)
					snprintf(names[n++], 32, "%s", m->sweep[i].name);
			}
		}
	}
	return n;
}

/* ---- overview: the headline metrics of every revision in one figure ---- */

/* pixels: the figure's width, its title, one panel (title, plot, two lines of tick labels) */
#define OVERVIEW_W	  1100
#define OVERVIEW_TITLE_H  60
#define OVERVIEW_PANEL_H  300
#define OVERVIEW_PLOT_TOP 30
#define OVERVIEW_PLOT_BOT 70
/* the plots' left and right edges (fractions of the width): the key goes right of them */
#define OVERVIEW_LEFT  0.08
#define OVERVIEW_RIGHT 0.76

struct ov_metric {
	const struct metric_ref *m;
	double base; /* median over the first revision's runs */
	int panel;
};

/* the headline metrics: compare's default gate, less counts; the first revision must have them */
static int overview_metrics(const struct run_set *s, const struct metric_ref *refs, int nr,
			    struct ov_metric *out)
{
	const struct run_group *base = &s->groups[0];
	double *v = xmalloc((base->nr_runs + 1) * sizeof(*v));
	int panel = -1;
	int n = 0;
	int i;

	for (i = 0; i < nr; i++) {
		const struct metric_ref *m = &refs[i];
		double ref;
		int nb;

		if (!metric_gated_by_default(m->name) || m->kind == METRIC_COUNT)
			continue;
		nb = group_stat(base, m->name, STAT_P50, v);
		ref = nb ? median_double(v, nb) : NAN;
		/* nothing to normalise to */
		if (ref == 0 || !isfinite(ref))
			continue;
		/* one panel per area; refs are ordered by area */
		if (!n || strcmp(out[n - 1].m->area, m->area))
			panel++;
		out[n].m = m;
		out[n].base = ref;
		out[n].panel = panel;
		n++;
	}
	free(v);
	return n;
}

/* the longest common prefix of the panel's names that ends at a level ('.') */
static size_t panel_prefix(const struct ov_metric *ms, int n)
{
	const char *first = ms[0].m->name;
	size_t len = strlen(first);
	int i;

	for (i = 1; i < n; i++) {
		size_t k = 0;

		while (k < len && first[k] == ms[i].m->name[k])
			k++;
		len = k;
	}
	/* a single metric (or one a prefix of another): keep the last level in the row */
	if (n == 1 || len == strlen(first))
		len = len ? len - 1 : 0;
	while (len && first[len - 1] != '.')
		len--;
	return len;
}

/* one block per revision: x, change %, CI low %, CI high % (NaN when the revision lacks it) */
static void write_overview_block(FILE *f, const struct run_set *s, int g,
				 const struct ov_metric *ms, int n, const struct compare_opts *o)
{
	const struct run_group *base = &s->groups[0];
	const struct run_group *rev = &s->groups[g];
	double *bv = xmalloc((base->nr_runs + 1) * sizeof(*bv));
	double *nv = xmalloc((rev->nr_runs + 1) * sizeof(*nv));
	double width = 0.6 / s->nr_groups;
	double x0 = (g - (s->nr_groups - 1) / 2.0) * width;
	bool any = false;
	int i;

	fprintf(f, "# %s: change of the median over runs vs %s (%%), %g%% CI\n", rev->name,
		base->name, 100 * o->level);
	for (i = 0; i < n; i++) {
		int nb = group_stat(base, ms[i].m->name, STAT_P50, bv);
		int nn = group_stat(rev, ms[i].m->name, STAT_P50, nv);
		double lo = NAN;
		double hi = NAN;
		double r;

		if (!nb || !nn)
			continue;
		r = median_double(nv, nn) / ms[i].base;
		/* compare's interval: the same resamples, the same seed */
		if (g)
			bootstrap_ratio_ci(bv, nb, nv, nn, o->nboot,
					   compare_seed(o->seed, ms[i].m->name) ^ g, o->level, &lo,
					   &hi);
		fprintf(f, "%g %g %g %g %d # %s\n", i + x0, 100 * (r - 1), 100 * (lo - 1),
			100 * (hi - 1), nn, ms[i].m->name);
		any = true;
	}
	if (!any)
		fprintf(f, "NaN NaN NaN NaN 0\n");
	fprintf(f, "\n\n");
	free(bv);
	free(nv);
}

/* tick labels wider than their share of the axis: every other one a line lower */
static bool overview_stagger(const struct ov_metric *ms, int n, size_t pfx)
{
	size_t widest = 0;
	int i;

	for (i = 0; i < n; i++)
		if (strlen(ms[i].m->name + pfx) > widest)
			widest = strlen(ms[i].m->name + pfx);
	/* about 7 pixels a character at font size 11 */
	return n > 1 && widest * 7 + 10 > (OVERVIEW_RIGHT - OVERVIEW_LEFT) * OVERVIEW_W / n;
}

static void overview_panel(FILE *b, struct plot_ctx *c, const struct ov_metric *ms, int n,
			   int panel, const char *datfile, const struct compare_opts *o)
{
	const struct run_set *s = c->s;
	size_t pfx = panel_prefix(ms, n);
	bool latency = ms[0].m->kind == METRIC_LATENCY;
	bool stagger = overview_stagger(ms, n, pfx);
	double top = OVERVIEW_TITLE_H + panel * OVERVIEW_PANEL_H;
	int i;
	int g;

	fprintf(b, "set tmargin at screen %g\nset bmargin at screen %g\n",
		1 - (top + OVERVIEW_PLOT_TOP) / c->height,
		1 - (top + OVERVIEW_PANEL_H - OVERVIEW_PLOT_BOT) / c->height);
	fprintf(b, "set title '%.*s%s%s (%s)'\n", (int)pfx, ms[0].m->name, pfx ? "*" : "",
		latency ? " p50" : "", ms[0].m->unit);
	fprintf(b, "set xrange [-0.6:%g]\n", n - 0.4);
	fprintf(b, "set xtics (");
	for (i = 0; i < n; i++) {
		char val[32];

		fmt_value(val, sizeof(val), ms[i].base, ms[i].m->unit);
		fprintf(b, "%s\"%s%s\\n%s\" %d", i ? ", " : "", stagger && i % 2 ? "\\n" : "",
			ms[i].m->name + pfx, val, i);
	}
	fprintf(b, ")\n");
	fprintf(b, "set ylabel 'change vs %s (%%), %s'\n", s->groups[0].name,
		latency ? "up: slower" : "down: worse");
	/* compare's threshold: the smallest change that can be a verdict */
	fprintf(b, "set yrange [* < %g : %g < *]\n", -200 * o->threshold, 200 * o->threshold);
	fprintf(b,
		"set object 1 rect from graph 0, first %g to graph 1, first %g fc rgb '#e4e4e4' "
		"fs solid 1.0 noborder behind\n",
		-100 * o->threshold, 100 * o->threshold);
	/* one key, by the first panel */
	if (panel)
		fprintf(b, "unset key\n");
	fprintf(b, "plot 0 with lines lc rgb '#808080' lw 1 dt 1 notitle");
	for (g = 0; g < s->nr_groups; g++) {
		int idx = panel * s->nr_groups + g;

		if (!g)
			fprintf(b,
				", \\\n     '%s' index %d using 1:2 with points lt 1 pt 7 ps 1.3 "
				"title '%s (%d run%s): 0'",
				datfile, idx, s->groups[0].name, s->groups[0].nr_runs,
				s->groups[0].nr_runs == 1 ? "" : "s");
		else
			fprintf(b,
				", \\\n     '%s' index %d using 1:2:3:4 with yerrorbars lt %d pt 7 "
				"ps 1.3 lw 2 dt solid title '%s (%d run%s)'",
				datfile, idx, g + 1, s->groups[g].name, s->groups[g].nr_runs,
				s->groups[g].nr_runs == 1 ? "" : "s");
	}
	fprintf(b, "\n");
}

/*
 * overview.{png,svg}: one panel per area of headline metrics (compare's
 * default gate: cmd_latency.total.<CMD>, lock_hold.its_node, the
 * deprivilege holds, the hvc round trips, throughputs), each metric's
 * median over runs of the per-run p50 (throughput: the value) per
 * revision, as the change against the first revision with compare's 95%
 * bootstrap interval, the first revision's value under the metric's name.
 * Not drawn for runs at several offered rates or sweep points (their
 * medians would mix them: the rate and sweep plots show those).
 */
static void plot_overview(struct plot_ctx *c, const struct metric_ref *refs, int nr)
{
	const struct run_set *s = c->s;
	struct ov_metric *ms = xcalloc(nr + 1, sizeof(*ms));
	struct compare_opts o;
	char sweeps[RUN_MAX_SWEEP * 4][32];
	char *datfile;
	double *xs = NULL;
	char *body;
	size_t blen;
	FILE *f;
	FILE *b;
	int npanels;
	int n;
	int p;
	int i;
	int g;

	compare_opts_default(&o);
	if (s->nr_groups < 2 || run_set_x_values(s, NULL, true, &xs) > 1) {
		debug_msg("overview: needs two revisions, at one offered rate");
		goto out_xs;
	}
	if (sweep_names(s, sweeps, ARRAY_SIZE(sweeps))) {
		debug_msg("overview: not drawn for sweep points");
		goto out_xs;
	}
	n = overview_metrics(s, refs, nr, ms);
	if (!n)
		goto out_xs;
	npanels = ms[n - 1].panel + 1;
	f = open_data(c, "overview", &datfile);
	if (!f)
		goto out_xs;
	/* block index = panel * nr_groups + group */
	for (i = 0, p = 0; p < npanels; p++) {
		int k = i;

		while (k < n && ms[k].panel == p)
			k++;
		for (g = 0; g < s->nr_groups; g++)
			write_overview_block(f, s, g, ms + i, k - i, &o);
		i = k;
	}
	fclose(f);

	/* one panel a row, all of the same width; sized before the margins are computed */
	c->width = OVERVIEW_W;
	c->height = OVERVIEW_TITLE_H + OVERVIEW_PANEL_H * npanels;
	b = open_memstream(&body, &blen);
	style_lines(b, s->nr_groups);
	fprintf(b,
		"set multiplot title \"headline metrics against %s: median over runs of each "
		"run's p50 (throughput: its value)\\nbars: %g%% bootstrap CI of the change, as "
		"compare's; grey: +-%g%%, compare's threshold\"\n",
		s->groups[0].name, 100 * o.level, 100 * o.threshold);
	fprintf(b, "set lmargin at screen %g\nset rmargin at screen %g\n", OVERVIEW_LEFT,
		OVERVIEW_RIGHT);
	fprintf(b, "set grid ytics\nset key at screen 0.99, screen %g right top vertical\n",
		1 - (double)(OVERVIEW_TITLE_H + OVERVIEW_PLOT_TOP) / c->height);
	for (i = 0, p = 0; p < npanels; p++) {
		int k = i;

		while (k < n && ms[k].panel == p)
			k++;
		overview_panel(b, c, ms + i, k - i, p, datfile, &o);
		i = k;
	}
	fprintf(b, "unset multiplot\n");
	fclose(b);
	run_gnuplot(c, "overview", body);
	c->width = 1000;
	c->height = 650;
	free(body);
	free(datfile);
out_xs:
	free(xs);
	free(ms);
}

static const char *png_terminal(void)
{
	/* gnuplot-nox has pngcairo; a gnuplot without cairo still has the libgd png */
	if (system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") == 0)
		return "pngcairo";
	return "png";
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf plot [options] RUN... -o DIR\n"
		"  RUN is a run folder or a folder of runs; one curve per label (revision),\n"
		"  pooling the runs of one label from every folder given\n"
		"  -o, --output DIR     where the images, data and gnuplot scripts go\n"
		"  -f, --format FMT     png, svg or both (default both)\n"
		"  -m, --metric GLOB    only metrics matching GLOB (repeatable; not the overview)\n"
		"      --no-overview    no overview.* (the headline metrics of every revision\n"
		"                       against the first, one panel per area)\n"
		"      --include-partial  use runs marked partial\n"
		"  -H, --hist-only      do not load raw samples (histogram binning)\n"
		"      --by-folder      one curve per folder and label (A/A of one label)\n");
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "metric", required_argument, NULL, 'm' },
		{ "include-partial", no_argument, NULL, 'P' },
		{ "hist-only", no_argument, NULL, 'H' },
		{ "by-folder", no_argument, NULL, 'F' },
		{ "no-overview", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* one curve per revision: runs of one label from several folders (runs, rates, boot) pool */
	struct run_set_opts so = { .read_flags = RESULT_READ_SAMPLES, .merge_args = true };
	struct plot_ctx c = { .png = true, .svg = true, .width = 1000, .height = 650 };
	bool overview = true;
	const char *out = NULL;
	struct metric_ref *refs;
	char sweeps[RUN_MAX_SWEEP * 4][32];
	struct run_set s;
	char *datadir;
	int ret = EXIT_OK;
	int nsw;
	int nr;
	int i;
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "o:f:m:Hh", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			c.png = !strcmp(optarg, "png") || !strcmp(optarg, "both");
			c.svg = !strcmp(optarg, "svg") || !strcmp(optarg, "both");
			if (!c.png && !c.svg) {
				err_msg("--format: '%s' is not png, svg or both", optarg);
				goto usage_err;
			}
			break;
		case 'm':
			c.only = xrealloc(c.only, (c.nr_only + 1) * sizeof(*c.only));
			c.only[c.nr_only++] = optarg;
			break;
		case 'P':
			so.include_partial = true;
			break;
		case 'H':
			so.read_flags &= ~RESULT_READ_SAMPLES;
			break;
		case 'F':
			so.merge_args = false;
			break;
		case 'O':
			overview = false;
			break;
		case 'h':
			usage(stdout);
			free(c.only);
			return EXIT_OK;
		default:
			goto usage_err;
		}
	}
	if (!out || optind >= argc) {
		err_msg("plot needs runs and an output folder (-o DIR)");
		goto usage_err;
	}
	if (system("command -v gnuplot >/dev/null 2>&1")) {
		err_msg("gnuplot not found (Debian: apt-get install gnuplot-nox)");
		free(c.only);
		return EXIT_FAIL;
	}
	if (run_set_load(&s, argv + optind, argc - optind, &so)) {
		free(c.only);
		return EXIT_USAGE;
	}
	datadir = xasprintf("%s/data", out);
	if (mkdir_p(datadir, 0755)) {
		err_msg("%s: %s", datadir, strerror(errno));
		free(datadir);
		run_set_free(&s);
		free(c.only);
		return EXIT_FAIL;
	}
	free(datadir);
	c.s = &s;
	c.dir = out;
	c.png_term = c.png ? png_terminal() : "png";
	nr = run_set_metrics(&s, &refs);
	if (overview)
		plot_overview(&c, refs, nr);
	for (i = 0; i < nr; i++)
		if (!refs[i].is_value && refs[i].kind == METRIC_LATENCY &&
		    selected(&c, refs[i].name))
			plot_distribution(&c, &refs[i]);
	plot_axis(&c, refs, nr, NULL);
	nsw = sweep_names(&s, sweeps, ARRAY_SIZE(sweeps));
	for (i = 0; i < nsw; i++)
		plot_axis(&c, refs, nr, sweeps[i]);
	info_msg("%d plot%s in %s (%s%s%s)", c.nr_plots, c.nr_plots == 1 ? "" : "s", out,
		 c.png ? c.png_term : "", c.png && c.svg ? " + " : "", c.svg ? "svg" : "");
	if (c.failed)
		ret = EXIT_FAIL;
	else if (!c.nr_plots)
		warn_msg("nothing to plot: no latency distribution, rate or sweep in these runs");
	free(refs);
	run_set_free(&s);
	free(c.only);
	return ret;
usage_err:
	usage(stderr);
	free(c.only);
	return EXIT_USAGE;
}
