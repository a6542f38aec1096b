/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sorting, quantiles and the per-metric summary that report prints and
 * compare consumes. One quantile estimator for the whole tool:
 * Hyndman-Fan type 7 (R's default, gsl_stats_quantile_from_sorted_data);
 * results/README.md, "Statistics".
 */
#ifndef ITSPERF_SUMMARY_H
#define ITSPERF_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hist;
struct json_object;

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

double median_double(const double *v, size_t n); /* copies, does not reorder v */
/* the result format's "summary" object; NaN and inf as null */
struct json_object *summary_to_json(const struct summary *s);

#endif
