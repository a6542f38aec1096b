// SPDX-License-Identifier: GPL-2.0
/*
 * The comparison of one metric statistic between a baseline group of runs
 * and a new one (analysis/compare.h): the ratio of medians over runs, a
 * bootstrap confidence interval of that ratio, a Mann-Whitney rank test
 * over the per-run values, the multiple-test correction over the gated
 * tests and the verdict. `itsperf compare` (commands/compare.c) prints
 * the tables.
 *
 * Why per-run values: samples within one run share the boot, the cache
 * and TCG translation state, so they are not independent; treating 10^5
 * samples as 10^5 observations makes every difference "significant".
 * Runs are the independent replicates. results/README.md has the rest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "result/meta.h"
#include "analysis/clock_check.h"
#include "analysis/compare.h"
#include "analysis/power.h"
#include "analysis/stats.h"
#include "lib/util.h"

/* ---- the gated test: Welch on log per-run values (analysis/power.c) ---- */

void compare_welch(struct comparison *c, const double *base, int nb, const double *new, int nn,
		   enum metric_kind kind)
{
	struct welch w;

	welch_test(base, nb, new, nn, WELCH_LOG_SD_FLOOR, &w);
	c->welch = true;
	c->welch_floored = w.floored;
	c->welch_se = w.se;
	c->welch_df = w.df;
	c->welch_log = w.log;
	c->mde = NAN;
	switch (kind) {
	case METRIC_LATENCY:
		c->p_worse = w.p_greater;
		c->p_better = w.p_less;
		break;
	case METRIC_THROUGHPUT:
		c->p_worse = w.p_less;
		c->p_better = w.p_greater;
		break;
	case METRIC_COUNT:
		c->p_worse = c->p_better = fmin(1, 2 * fmin(w.p_greater, w.p_less));
		break;
	}
	c->p = fmin(1, 2 * fmin(w.p_greater, w.p_less));
	c->p_worse_adj = c->p_worse;
	c->p_better_adj = c->p_better;
	c->p_shown = c->p;
	/* a t test can reach any p with 2 runs per side; fewer: none */
	c->p_floor = w.valid ? 0 : 1;
}

double compare_mde(const struct comparison *c, double alpha, double threshold)
{
	struct welch w = {
		.se = c->welch_se,
		.df = c->welch_df,
		.log = c->welch_log,
		.valid = c->welch && isfinite(c->welch_se) && c->welch_se > 0,
	};
	double m = welch_mde(&w, alpha, MDE_POWER);

	if (!isfinite(m))
		return NAN;
	if (!w.log)
		m = c->base != 0 ? m / fabs(c->base) : NAN;
	return fmax(m, threshold);
}

void compare_opts_default(struct compare_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold = 0.05;
	o->alpha = 0.05;
	o->min_runs = 3;
	o->nboot = 2000;
	o->seed = 1;
	o->level = 0.95;
	o->correction = CORRECT_BH;
}

unsigned long compare_seed(unsigned long seed, const char *metric)
{
	unsigned long h = 5381;

	while (*metric)
		h = h * 33 + (unsigned char)*metric++;
	return seed ^ h;
}

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_NO_CHANGE:
		return "no change";
	case VERDICT_REGRESSION:
		return "regression";
	case VERDICT_IMPROVEMENT:
		return "improvement";
	case VERDICT_CHANGED:
		return "changed";
	case VERDICT_FEW_RUNS:
		return "too few runs";
	case VERDICT_MISSING:
		return "missing";
	}
	return "?";
}

void compare_values(const double *base, int nb, const double *new, int nn, enum metric_kind kind,
		    const struct compare_opts *o, unsigned long seed, struct comparison *c)
{
	struct mwu t;

	memset(c, 0, sizeof(*c));
	c->n_base = nb;
	c->n_new = nn;
	c->base = median_double(base, nb);
	c->new = median_double(new, nn);
	c->ratio = c->base != 0 ? c->new / c->base : NAN;
	c->ci_lo = c->ci_hi = NAN;
	if (nb && nn)
		bootstrap_ratio_ci(base, nb, new, nn, o->nboot, seed, o->level, &c->ci_lo,
				   &c->ci_hi);
	mann_whitney(base, nb, new, nn, &t);
	c->u = t.u;
	c->p = t.p;
	switch (kind) {
	case METRIC_LATENCY:
		c->p_worse = t.p_y_greater;
		c->p_better = t.p_y_less;
		break;
	case METRIC_THROUGHPUT:
		c->p_worse = t.p_y_less;
		c->p_better = t.p_y_greater;
		break;
	case METRIC_COUNT:
		c->p_worse = c->p_better = t.p;
		break;
	}
	c->p_worse_adj = c->p_worse;
	c->p_better_adj = c->p_better;
	c->p_shown = c->p;
	c->p_floor = t.exact && nb && nn ? 1 / gsl_sf_choose(nb + nn, nb) : 0;
	if (kind == METRIC_COUNT)
		c->p_floor = fmin(1, 2 * c->p_floor);
}

/* is the change in the worse direction for this kind of metric? */
static bool worse_side(enum metric_kind kind, double ratio)
{
	return kind == METRIC_THROUGHPUT ? ratio < 1 : ratio > 1;
}

void compare_decide(struct comparison *c, enum metric_kind kind, const struct compare_opts *o)
{
	bool worse;
	bool ci_ok;
	double change;
	double p;

	if (!c->n_base || !c->n_new) {
		c->verdict = VERDICT_MISSING;
		return;
	}
	worse = isfinite(c->ratio) ? worse_side(kind, c->ratio) : c->new > c->base;
	c->p_shown = kind == METRIC_COUNT ? c->p_worse_adj :
		     worse		  ? c->p_worse_adj :
					    c->p_better_adj;
	if (c->n_base < o->min_runs || c->n_new < o->min_runs || c->p_floor >= o->alpha) {
		c->verdict = VERDICT_FEW_RUNS;
		return;
	}
	p = c->p_shown;
	c->verdict = VERDICT_NO_CHANGE;
	if (!isfinite(c->ratio)) {
		/* a zero baseline: only "something appeared" can be said */
		if (p < o->alpha && c->new != c->base)
			c->verdict = kind == METRIC_COUNT ? VERDICT_CHANGED :
				     worse		  ? VERDICT_REGRESSION :
							    VERDICT_IMPROVEMENT;
		return;
	}
	change = c->ratio - 1;
	/* the test and the interval must agree that there is a difference */
	ci_ok = c->ratio > 1 ? c->ci_lo > 1 : c->ci_hi < 1;
	if (p >= o->alpha || !ci_ok || fabs(change) <= o->threshold)
		return;
	if (kind == METRIC_COUNT)
		c->verdict = VERDICT_CHANGED;
	else
		c->verdict = worse ? VERDICT_REGRESSION : VERDICT_IMPROVEMENT;
}

struct p_idx {
	double p;
	int i;
};

static int p_idx_cmp(const void *a, const void *b)
{
	const struct p_idx *x = a;
	const struct p_idx *y = b;

	return (x->p > y->p) - (x->p < y->p);
}

/* the p-values with their indices, ascending: both corrections walk them in rank order */
static struct p_idx *p_ranked(const double *p, int n)
{
	struct p_idx *v = xmalloc(n * sizeof(*v));
	int k;

	for (k = 0; k < n; k++)
		v[k] = (struct p_idx){ p[k], k };
	qsort(v, n, sizeof(*v), p_idx_cmp);
	return v;
}

void holm_adjust(const double *p, double *p_adj, int n)
{
	struct p_idx *v;
	double run = 0;
	int k;

	if (n <= 0)
		return;
	v = p_ranked(p, n);
	for (k = 0; k < n; k++) {
		double a = fmin(1.0, (n - k) * v[k].p);

		/* step-down: adjusted p-values never decrease */
		run = fmax(run, a);
		p_adj[v[k].i] = run;
	}
	free(v);
}

void bh_adjust(const double *p, double *p_adj, int n)
{
	struct p_idx *v;
	double run = 1;
	int k;

	if (n <= 0)
		return;
	v = p_ranked(p, n);
	for (k = n - 1; k >= 0; k--) {
		/* step-up: from the largest p down, adjusted p-values never increase */
		run = fmin(run, fmin(1.0, (double)n / (k + 1) * v[k].p));
		p_adj[v[k].i] = run;
	}
	free(v);
}

const char *correction_name(enum correction c)
{
	switch (c) {
	case CORRECT_BH:
		return "bh";
	case CORRECT_HOLM:
		return "holm";
	case CORRECT_NONE:
		return "none";
	}
	return "?";
}

static void adjust(enum correction c, const double *p, double *a, int n)
{
	int i;

	if (c == CORRECT_BH)
		bh_adjust(p, a, n);
	else if (c == CORRECT_HOLM)
		holm_adjust(p, a, n);
	else
		for (i = 0; i < n; i++)
			a[i] = p[i];
}

/*
 * The correction over the gated tests of one revision against the base,
 * for each direction, then the verdicts. Benjamini-Hochberg (default):
 * when nothing changed (A/A) the chance of any false "regression" in the
 * whole table is at most alpha, and when a change moves many metrics at
 * once they are all found with few runs; the expected share of false ones
 * among the flagged stays below alpha. Holm bounds the chance of any
 * false one in every case, at the price of power.
 */
int compare_family(struct comparison **cs, const enum metric_kind *kinds, int n,
		   const struct compare_opts *o)
{
	double *pw = xmalloc((n + 1) * sizeof(*pw));
	double *pb = xmalloc((n + 1) * sizeof(*pb));
	double *aw = xmalloc((n + 1) * sizeof(*aw));
	double *ab = xmalloc((n + 1) * sizeof(*ab));
	int nr_family;
	int nr = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!cs[i]->gated)
			continue;
		pw[nr] = cs[i]->p_worse;
		pb[nr++] = cs[i]->p_better;
	}
	adjust(o->correction, pw, aw, nr);
	adjust(o->correction, pb, ab, nr);
	nr_family = nr;
	nr = 0;
	for (i = 0; i < n; i++) {
		if (cs[i]->gated) {
			cs[i]->p_worse_adj = aw[nr];
			cs[i]->p_better_adj = ab[nr];
			cs[i]->mde = compare_mde(cs[i], o->alpha / nr_family, o->threshold);
		}
		nr += cs[i]->gated;
		compare_decide(cs[i], kinds[i], o);
	}
	free(pw);
	free(pb);
	free(aw);
	free(ab);
	return nr;
}
