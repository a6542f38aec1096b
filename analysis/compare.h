/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The comparison of one metric statistic between a baseline group of runs
 * and a new one: the observations are per-run values (a run's median, p99
 * or single value), never pooled samples. results/README.md, "Statistics".
 */
#ifndef ITSPERF_COMPARE_H
#define ITSPERF_COMPARE_H

#include <stdbool.h>

#include "result/result.h"

/* multiple-test correction over the gated tests of one revision against the base */
enum correction {
	CORRECT_BH, /* Benjamini-Hochberg: A/A false alarm <= alpha, power when many metrics move */
	CORRECT_HOLM, /* Holm-Bonferroni: family-wise error <= alpha under any configuration */
	CORRECT_NONE, /* each metric at alpha on its own */
};

struct compare_opts {
	double threshold;	    /* smallest relative change that can be a verdict (0.05) */
	double alpha;		    /* significance level of the rank test (0.05) */
	int min_runs;		    /* fewer runs per group: no verdict (5) */
	unsigned int nboot;	    /* bootstrap resamples (2000) */
	unsigned long seed;	    /* fixed: the same input gives the same output */
	double level;		    /* confidence level of the interval (0.95) */
	enum correction correction; /* over the gated tests of one revision (BH) */
	bool gate_counts;	    /* count metrics are not gated unless asked */
	bool gate_p99;		    /* p99 of latency metrics gated too (p50 always) */
	bool email_all;		    /* --all: the email table lists diagnostics and counts too */
	const char **gate;	    /* if set, only metric names matching these globs gate */
	int nr_gate;
};

enum verdict {
	VERDICT_NO_CHANGE,
	VERDICT_REGRESSION,
	VERDICT_IMPROVEMENT,
	VERDICT_CHANGED,  /* significant change of a metric with no better direction */
	VERDICT_FEW_RUNS, /* fewer than min_runs runs on a side, or too few for any p < alpha */
	VERDICT_MISSING,  /* the metric is absent on one side */
};

struct comparison {
	int n_base;
	int n_new;
	double base; /* median over runs of the per-run statistic */
	double new;
	double ratio; /* new / base */
	double ci_lo; /* bootstrap CI of the ratio */
	double ci_hi;
	double u; /* Mann-Whitney U of the base group */
	double p; /* two-sided, raw */
	/*
	 * One-sided tests, by the metric's direction: "worse" is H1 "new is
	 * slower" for a latency, "new is lower" for a throughput; for a count
	 * both are the two-sided p. The _adj values are after Holm over the
	 * gated tests of one revision (equal to the raw ones when not gated).
	 */
	double p_worse;
	double p_better;
	double p_worse_adj;
	double p_better_adj;
	double p_shown; /* the adjusted p in the direction of the change */
	/*
	 * The smallest p the rank test can give with these run counts
	 * (1/C(n_base + n_new, n_base) one-sided): at or above alpha no
	 * verdict is possible, whatever the data.
	 */
	double p_floor;
	bool gated;
	/*
	 * Gated comparisons use Welch's t on log per-run values
	 * (analysis/power.h) instead of the rank test: se and df of that test,
	 * and the minimum detectable effect (relative, at MDE_POWER, alpha
	 * divided over the gated family), never below the threshold.
	 */
	bool welch;
	bool welch_floored; /* a side's dispersion was below the floor */
	double welch_se;
	double welch_df;
	bool welch_log;
	double mde;
	enum verdict verdict;
};

void compare_opts_default(struct compare_opts *o);
/*
 * The bootstrap seed of one metric's comparisons: seed mixed with the
 * metric's name (compare XORs in the statistic (k << 8) and the group), so
 * that every tool drawing the same interval (compare, plot's overview) gets
 * the same one.
 */
unsigned long compare_seed(unsigned long seed, const char *metric);
/* a gated comparison: replace the rank test by Welch's t on log values (power.c's test) */
void compare_welch(struct comparison *c, const double *base, int nb, const double *new, int nn,
		   enum metric_kind kind);
const char *verdict_name(enum verdict v);

/* everything but the verdict: medians, ratio, CI, U and the p-values */
void compare_values(const double *base, int nb, const double *new, int nn, enum metric_kind kind,
		    const struct compare_opts *o, unsigned long seed, struct comparison *c);
/* the verdict from c (adjusted p-values, ratio, CI) and the metric's direction */
void compare_decide(struct comparison *c, enum metric_kind kind, const struct compare_opts *o);
/*
 * The verdicts of one revision's table: the correction over the gated
 * comparisons (cs[i]->gated) per direction, then compare_decide() for
 * each. Returns the number of gated comparisons.
 */
int compare_family(struct comparison **cs, const enum metric_kind *kinds, int n,
		   const struct compare_opts *o);
/* Holm-Bonferroni step-down: p_adj[i] from p[i], n tests */
void holm_adjust(const double *p, double *p_adj, int n);
/* Benjamini-Hochberg step-up: p_adj[i] from p[i], n tests */
void bh_adjust(const double *p, double *p_adj, int n);
const char *correction_name(enum correction c);

/*
 * The minimum detectable effect of a gated comparison (relative change),
 * at level alpha (the family's alpha over its size: a Bonferroni bound on
 * what B-H needs), at least threshold (the practical floor). NAN if none.
 */
double compare_mde(const struct comparison *c, double alpha, double threshold);

#endif
