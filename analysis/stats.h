/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The statistics of `itsperf compare`: the rank test and the bootstrap
 * interval (quantiles and summaries are result/summary.h). The choices
 * and why are documented in results/README.md, "Statistics".
 */
#ifndef ITSPERF_STATS_H
#define ITSPERF_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result/summary.h"

/*
 * Mann-Whitney U test of x against y: exact permutation distribution of
 * the rank sum (ties as mid-ranks) up to 60 observations in total, normal
 * approximation with tie and continuity correction beyond.
 */
struct mwu {
	double u;	    /* U of x: pairs (x_i, y_j) with x_i > y_j, ties 1/2 */
	double p;	    /* two-sided */
	double p_y_greater; /* one-sided, H1: y tends to be larger than x */
	double p_y_less;    /* one-sided, H1: y tends to be smaller */
	bool exact;
};
void mann_whitney(const double *x, size_t nx, const double *y, size_t ny, struct mwu *res);
/* the two-sided p-value; *u gets U of x */
double mann_whitney_p(const double *x, size_t nx, const double *y, size_t ny, double *u);

/*
 * Percentile bootstrap of the ratio median(y) / median(x): draws B
 * resamples of each group with replacement (gsl_rng mt19937, seed given)
 * and returns the 2.5% and 97.5% quantiles in lo and hi.
 * stat: 0 = median of the per-run values.
 */
void bootstrap_ratio_ci(const double *x, size_t nx, const double *y, size_t ny, unsigned int nboot,
			unsigned long seed, double level, double *lo, double *hi);

#endif
