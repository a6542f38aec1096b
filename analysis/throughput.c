// SPDX-License-Identifier: GPL-2.0
/*
 * Staging vs direct throughput: how commands/s and per-command latency
 * grow with the offered load (meta.offered_rate, `--rate` of the workload)
 * or with a swept variable (meta.sweep.NAME), one column per group, e.g.
 * the unmediated baseline kernel against the mediated one. At each point
 * the per-run values of the runs at that point are the observations.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "analysis/compare.h"
#include "analysis/runs.h"
#include "analysis/stats.h"
#include "analysis/throughput.h"
#include "lib/util.h"

/* per-run values of one metric statistic for the runs of g at x */
static int point_values(const struct run_group *g, const char *sweep, double x, const char *metric,
			enum run_stat st, double *out)
{
	struct run_group sub = *g;
	struct result_data **runs = xmalloc((g->nr_runs + 1) * sizeof(*runs));
	int n;
	int r;

	sub.nr_runs = 0;
	sub.runs = runs;
	for (r = 0; r < g->nr_runs; r++)
		if (run_x(g->runs[r], sweep, true) == x)
			runs[sub.nr_runs++] = g->runs[r];
	n = group_stat(&sub, metric, st, out);
	free(runs);
	return n;
}

/* pass 0: the rates (throughput.*), pass 1: per-command latency (cmd_latency.total.*) */
static bool wanted(const struct metric_ref *m, int pass)
{
	if (!pass)
		return !strcmp(m->area, "throughput") || metric_is_throughput(m->name);
	return metric_is(m->name, MF_CMD_LATENCY, "total");
}

/*
 * A verdict per point for the p50s and values: the gated test (Welch on
 * logs, analysis/power.c) over the runs at that point, each point on its
 * own (no correction across points: one question per offered load).
 */
static void point_verdict(struct comparison *c, const double *base, int nb, const double *vals,
			  int n, const struct metric_ref *m, enum run_stat st,
			  const struct compare_opts *co, unsigned long seed)
{
	compare_values(base, nb, vals, n, m->kind, co, seed, c);
	if (st != STAT_P50 || nb < co->min_runs || n < co->min_runs) {
		c->verdict = VERDICT_FEW_RUNS;
		return;
	}
	compare_welch(c, base, nb, vals, n, m->kind);
	compare_decide(c, m->kind, co);
}

static char point_mark(const struct comparison *c)
{
	switch (c->verdict) {
	case VERDICT_REGRESSION:
		return 'R';
	case VERDICT_IMPROVEMENT:
		return 'I';
	case VERDICT_CHANGED:
		return 'C';
	case VERDICT_NO_CHANGE:
		return '=';
	default:
		return '?';
	}
}

static int max_runs(const struct run_set *s)
{
	int m = 1;
	int g;

	for (g = 0; g < s->nr_groups; g++)
		if (s->groups[g].nr_runs > m)
			m = s->groups[g].nr_runs;
	return m;
}

int throughput_view(FILE *f, const struct run_set *s, const char *sweep, enum out_format fmt,
		    const struct compare_opts *co)
{
	const char *xname = sweep ? sweep : "offered rate (cmd/s)";
	struct json_object *jres = NULL;
	struct metric_ref *refs;
	double *base = xmalloc(max_runs(s) * sizeof(*base));
	double *vals = xmalloc(max_runs(s) * sizeof(*vals));
	double *xs;
	int nx;
	int nr;
	int shown = 0;
	int i;
	int k;
	int g;
	int j;

	nx = run_set_x_values(s, sweep, true, &xs);
	if (!sweep && nx == 1 && xs[0] == 0)
		nx = 0; /* only unpaced runs: there is no rate axis */
	if (!nx) {
		err_msg("no run carries %s%s: record runs with different --rate values%s",
			sweep ? "meta.sweep." : "", sweep ? sweep : "meta.offered_rate",
			sweep ? " (or pick another --sweep)" : "");
		free(base);
		free(vals);
		free(xs);
		return EXIT_USAGE;
	}
	nr = run_set_metrics(s, &refs);
	if (fmt == FMT_JSON)
		jres = json_object_new_array();
	if (fmt == FMT_CSV)
		fprintf(f, "x_name,x,metric,unit,stat,group,runs,median%s\n", co ? ",ratio,p" : "");
	if (fmt == FMT_MARKDOWN)
		fprintf(f, "```\n");
	for (i = 0; i < 2 * nr; i++) {
		enum run_stat stats[2] = { STAT_P50, STAT_P99 };
		int nst;

		if (!wanted(&refs[i % nr], i / nr))
			continue;
		shown++;
		nst = refs[i % nr].is_value ? 1 : 2;
		for (k = 0; k < nst; k++) {
			if (fmt == FMT_TEXT || fmt == FMT_EMAIL || fmt == FMT_MARKDOWN) {
				fprintf(f, "\n%s%s%s (%s) vs %s\n", refs[i % nr].name,
					refs[i % nr].is_value ? "" : " ",
					refs[i % nr].is_value ? "" : run_stat_name(stats[k]),
					refs[i % nr].unit, xname);
				fprintf(f, "  %12s", sweep ? sweep : "rate");
				for (g = 0; g < s->nr_groups; g++) {
					fprintf(f, " %12.12s", s->groups[g].name);
					if (co && g)
						fprintf(f, " %8s %6s %s", "change", "p", "v");
				}
				fprintf(f, "\n");
			}
			for (j = 0; j < nx; j++) {
				int nb = point_values(&s->groups[0], sweep, xs[j],
						      refs[i % nr].name, stats[k], base);
				char xb[32];

				if (!sweep && xs[j] == 0)
					snprintf(xb, sizeof(xb), "unpaced");
				else
					snprintf(xb, sizeof(xb), "%g", xs[j]);
				if (fmt == FMT_TEXT || fmt == FMT_EMAIL || fmt == FMT_MARKDOWN)
					fprintf(f, "  %12s", xb);
				for (g = 0; g < s->nr_groups; g++) {
					int n = g ? point_values(&s->groups[g], sweep, xs[j],
								 refs[i % nr].name, stats[k],
								 vals) :
						    nb;
					const double *v = g ? vals : base;
					double med = median_double(v, n);
					struct comparison c = { .ratio = NAN, .p = NAN };
					char mb[32];

					if (co && g && n && nb)
						point_verdict(&c, base, nb, vals, n, &refs[i % nr],
							      stats[k], co, co->seed + j);
					if (fmt == FMT_TEXT || fmt == FMT_EMAIL ||
					    fmt == FMT_MARKDOWN) {
						fmt_value(mb, sizeof(mb), med, refs[i % nr].unit);
						if (n > 1)
							snprintf(mb + strlen(mb),
								 sizeof(mb) - strlen(mb), " (%d)",
								 n);
						fprintf(f, " %12s", n ? mb : "-");
						if (co && g) {
							char ch[16] = "-";
							char p[16] = "-";

							if (isfinite(c.ratio))
								snprintf(ch, sizeof(ch), "%+.1f%%",
									 (c.ratio - 1) * 100);
							if (isfinite(c.p) && n && nb)
								snprintf(p, sizeof(p), "%.2g",
									 c.p_shown);
							fprintf(f, " %8s %6s %c", ch, p,
								n && nb ? point_mark(&c) : '-');
						}
					} else if (fmt == FMT_CSV && n) {
						fprintf(f, "%s,%.10g,%s,%s,%s,%s,%d,%.10g",
							sweep ? sweep : "offered_rate", xs[j],
							refs[i % nr].name, refs[i % nr].unit,
							refs[i % nr].is_value ?
								"value" :
								run_stat_name(stats[k]),
							s->groups[g].name, n, med);
						if (co)
							fprintf(f, ",%.6g,%.6g", c.ratio, c.p);
						fprintf(f, "\n");
					} else if (fmt == FMT_JSON && n) {
						struct json_object *o = json_object_new_object();

						json_object_object_add(
							o, "x_name",
							json_object_new_string(
								sweep ? sweep : "offered_rate"));
						json_object_object_add(
							o, "x", json_object_new_double(xs[j]));
						json_object_object_add(
							o, "metric",
							json_object_new_string(refs[i % nr].name));
						json_object_object_add(
							o, "unit",
							json_object_new_string(refs[i % nr].unit));
						json_object_object_add(
							o, "stat",
							json_object_new_string(
								refs[i % nr].is_value ?
									"value" :
									run_stat_name(stats[k])));
						json_object_object_add(
							o, "group",
							json_object_new_string(s->groups[g].name));
						json_object_object_add(o, "runs",
								       json_object_new_int(n));
						json_object_object_add(o, "median",
								       json_object_new_double(med));
						if (co && g && isfinite(c.ratio))
							json_object_object_add(
								o, "ratio",
								json_object_new_double(c.ratio));
						if (co && g && isfinite(c.p))
							json_object_object_add(
								o, "p",
								json_object_new_double(c.p));
						json_object_array_add(jres, o);
					}
				}
				if (fmt == FMT_TEXT || fmt == FMT_EMAIL || fmt == FMT_MARKDOWN)
					fprintf(f, "\n");
			}
		}
	}
	if (fmt == FMT_MARKDOWN)
		fprintf(f, "```\n");
	if (jres) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "x_name",
				       json_object_new_string(sweep ? sweep : "offered_rate"));
		json_object_object_add(o, "points", jres);
		fprintf(f, "%s\n",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED));
		json_object_put(o);
	}
	free(refs);
	free(base);
	free(vals);
	free(xs);
	if (!shown) {
		err_msg("no throughput.* or cmd_latency.total.* metric in these runs");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
