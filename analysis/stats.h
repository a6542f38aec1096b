/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Statistics used by the result writer, `itsperf report` and `itsperf
 * compare`. The choices (quantile estimator, test, bootstrap, thresholds)
 * and why are documented in results/README.md, "Statistics".
 */
#ifndef ITSPERF_STATS_H
#define ITSPERF_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hist;

/* the per-metric summary that report prints and compare consumes */
struct summary {
	uint64_t count;
	double min;
	double p50;
	double p90;
	double p99;
	double p999;
	double max;
	double mean;
	double stddev; /* sample standard deviation (n - 1) */
	bool exact;    /* from raw samples; false = from histogram buckets */
};

/* sort in place, LSD radix: O(n), 10 M samples in ~0.1 s */
void sort_u64(uint64_t *v, size_t n);
void sort_double(double *v, size_t n);

/*
 * Quantile of sorted data, linear interpolation between closest ranks
 * (Hyndman-Fan type 7, the same as R's default and gsl_stats_quantile_from_sorted_data).
 */
double quantile_sorted_u64(const uint64_t *v, size_t n, double p);
double quantile_sorted_double(const double *v, size_t n, double p);
/* quantile of a histogram: interpolated inside the bucket, clamped to [min, max] */
double hist_quantile(const struct hist *h, double p);

/* v must be sorted */
void summary_from_sorted_u64(struct summary *s, const uint64_t *v, size_t n);
void summary_from_hist(struct summary *s, const struct hist *h);

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

double median_double(const double *v, size_t n); /* copies, does not reorder v */

#endif
