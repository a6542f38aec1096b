// SPDX-License-Identifier: GPL-2.0
/*
 * analysis/: statistics. Known answers (quantiles, histogram quantiles,
 * Mann-Whitney U by hand, Holm), bootstrap CI coverage, and the verdict's
 * calibration: A/A false-positive rate and the documented sensitivity
 * (results/README.md, "Statistics") on resamples of a latency distribution
 * with a known injected shift.
 *
 * The distribution resampled is a recorded one when results/ref holds a
 * run with raw cmd_latency samples, else a synthetic lognormal with a 2%
 * tail. Every run gets its own scale factor (between-run variation), the
 * reason runs and not samples are the observations.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "analysis/compare.h"
#include "result/result.h"
#include "result/result_read.h"
#include "analysis/stats.h"
#include "lib/util.h"

#define TRIALS		200
#define SAMPLES_PER_RUN 1000

static void test_quantile_known(void **state __unused)
{
	const uint64_t v[] = { 1, 2, 3, 4 };
	const double d[] = { 10, 20, 30, 40, 50 };

	/* type 7: h = (n - 1) p */
	assert_float_equal(quantile_sorted_u64(v, 4, 0.5), 2.5, 1e-12);
	assert_float_equal(quantile_sorted_u64(v, 4, 0.9), 3.7, 1e-12);
	assert_float_equal(quantile_sorted_u64(v, 4, 0.0), 1, 1e-12);
	assert_float_equal(quantile_sorted_u64(v, 4, 1.0), 4, 1e-12);
	assert_float_equal(quantile_sorted_double(d, 5, 0.99), 49.6, 1e-9);
	assert_float_equal(quantile_sorted_u64(v, 1, 0.99), 1, 1e-12);
	assert_true(isnan(quantile_sorted_u64(v, 0, 0.5)));
}

/* the same estimator as GSL's on random data, and the radix sort against gsl_sort */
static void test_quantile_vs_gsl(void **state __unused)
{
	const size_t n = 100001;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	uint64_t *u = xmalloc(n * sizeof(*u));
	double *d = xmalloc(n * sizeof(*d));
	double *d2 = xmalloc(n * sizeof(*d2));
	const double ps[] = { 0.01, 0.5, 0.9, 0.99, 0.999 };
	struct summary s;
	size_t i;

	gsl_rng_set(rng, 3);
	for (i = 0; i < n; i++) {
		u[i] = gsl_rng_uniform_int(rng, 1000000) * (i % 7 ? 1 : 1000000ull);
		d[i] = (double)u[i];
		d2[i] = gsl_ran_gaussian(rng, 1000);
	}
	sort_u64(u, n);
	gsl_sort(d, 1, n);
	for (i = 0; i < n; i++)
		assert_true((double)u[i] == d[i]);
	for (i = 0; i < ARRAY_SIZE(ps); i++)
		assert_float_equal(quantile_sorted_u64(u, n, ps[i]),
				   gsl_stats_quantile_from_sorted_data(d, 1, n, ps[i]), 1e-6);
	summary_from_sorted_u64(&s, u, n);
	assert_float_equal(s.mean, gsl_stats_mean(d, 1, n), 1e-6 * s.mean);
	assert_float_equal(s.stddev, gsl_stats_sd(d, 1, n), 1e-6 * s.stddev);
	/* doubles with negative values sort too */
	memcpy(d, d2, n * sizeof(*d));
	sort_double(d2, n);
	gsl_sort(d, 1, n);
	assert_memory_equal(d, d2, n * sizeof(*d));
	free(u);
	free(d);
	free(d2);
	gsl_rng_free(rng);
}

static void test_hist_quantile(void **state __unused)
{
	struct summary s;
	struct hist h;
	int i;

	/* 100 values 1000..1099 in one linear bucket of width 100 */
	hist_init(&h, HIST_LINEAR, 20, 100);
	for (i = 0; i < 100; i++)
		hist_add(&h, 1000 + i);
	/* rank 49.5 of 100 spread over [1000, 1100): 1000 + 50/100 * 100 */
	assert_float_equal(hist_quantile(&h, 0.5), 1050, 1e-9);
	assert_float_equal(hist_quantile(&h, 0), 1000, 1e-9);
	assert_float_equal(hist_quantile(&h, 1), 1099, 1e-9);
	summary_from_hist(&s, &h);
	assert_false(s.exact);
	assert_float_equal(s.mean, 1049.5, 1e-9);
	/* clamped to the exact max */
	assert_true(hist_quantile(&h, 0.999) <= 1099);
	hist_free(&h);
}

/*
 * By hand: x = {1, 2, 4}, y = {3, 5, 6}. Rank sum of x = 7, U_x = 1.
 * The 20 equally likely rank sums of 3 out of 6: 6:1 7:1 8:2 9:3 10:3
 * 11:3 12:3 13:2 14:1 15:1. P(S <= 7) = 2/20; two-sided: S <= 7 or
 * S >= 14, 4/20.
 */
static void test_mwu_exact_by_hand(void **state __unused)
{
	const double x[] = { 1, 2, 4 };
	const double y[] = { 3, 5, 6 };
	const double a[] = { 1, 2, 3 };
	const double b[] = { 4, 5, 6 };
	struct mwu r;

	mann_whitney(x, 3, y, 3, &r);
	assert_true(r.exact);
	assert_float_equal(r.u, 1, 1e-12);
	assert_float_equal(r.p_y_greater, 0.1, 1e-12);
	assert_float_equal(r.p, 0.2, 1e-12);
	assert_float_equal(r.p_y_less, 19.0 / 20, 1e-12);
	mann_whitney(a, 3, b, 3, &r);
	assert_float_equal(r.u, 0, 1e-12);
	assert_float_equal(r.p_y_greater, 0.05, 1e-12);
	assert_float_equal(r.p, 0.1, 1e-12);
	/* 5 against 5, separated: 1/252 one-sided, the smallest p possible */
	{
		const double c[] = { 1, 2, 3, 4, 5 };
		const double d[] = { 6, 7, 8, 9, 10 };

		mann_whitney(c, 5, d, 5, &r);
		assert_float_equal(r.p_y_greater, 1.0 / 252, 1e-12);
		assert_float_equal(r.p, 2.0 / 252, 1e-12);
	}
	/* all tied: no evidence at all */
	{
		const double t[] = { 7, 7, 7, 7 };

		mann_whitney(t, 2, t + 2, 2, &r);
		assert_float_equal(r.p, 1, 1e-12);
		assert_float_equal(r.u, 2, 1e-12);
	}
}

/*
 * Ties: x = {1, 2, 2}, y = {2, 3, 4}; mid-ranks 1, 3, 3, 3, 5, 6, rank sum
 * of x = 7. Enumerating the 20 subsets of three mid-ranks by hand: sums
 * <= 7: {1,3,3} x3 -> P(S <= 7) = 3/20.
 */
static void test_mwu_ties_by_hand(void **state __unused)
{
	const double x[] = { 1, 2, 2 };
	const double y[] = { 2, 3, 4 };
	struct mwu r;

	mann_whitney(x, 3, y, 3, &r);
	assert_float_equal(r.u, 1, 1e-12);
	assert_float_equal(r.p_y_greater, 3.0 / 20, 1e-12);
}

/*
 * Normal approximation (70 observations): x = odd 1..69, y = even 2..70.
 * U_x = 0 + 1 + ... + 34 = 595, mu = 612.5, sigma^2 = 35 * 35 * 71 / 12,
 * z = (17.5 - 0.5) / sigma = 0.199683, p = erfc(z / sqrt 2) = 0.841726.
 */
static void test_mwu_normal_by_hand(void **state __unused)
{
	double x[35];
	double y[35];
	struct mwu r;
	int i;

	for (i = 0; i < 35; i++) {
		x[i] = 2 * i + 1;
		y[i] = 2 * i + 2;
	}
	mann_whitney(x, 35, y, 35, &r);
	assert_false(r.exact);
	assert_float_equal(r.u, 595, 1e-9);
	assert_float_equal(r.p, erfc(17.0 / sqrt(35.0 * 35 * 71 / 12) / sqrt(2)), 1e-9);
	assert_float_equal(r.p, 0.841726, 1e-5);
}

static void test_bh(void **state __unused)
{
	const double p[] = { 0.01, 0.04, 0.03, 0.005 };
	double a[4];

	/* sorted 0.005 0.01 0.03 0.04 -> x4/1 x4/2 x4/3 x4/4 = .02 .02 .04 .04, then running min from the top */
	bh_adjust(p, a, 4);
	assert_float_equal(a[0], 0.02, 1e-12);
	assert_float_equal(a[1], 0.04, 1e-12);
	assert_float_equal(a[2], 0.04, 1e-12);
	assert_float_equal(a[3], 0.02, 1e-12);
}

static void test_holm(void **state __unused)
{
	const double p[] = { 0.01, 0.04, 0.03, 0.005 };
	double a[4];

	/* sorted 0.005 0.01 0.03 0.04 -> x4 x3 x2 x1 = .02 .03 .06 .04 -> monotone .02 .03 .06 .06 */
	holm_adjust(p, a, 4);
	assert_float_equal(a[0], 0.03, 1e-12);
	assert_float_equal(a[1], 0.06, 1e-12);
	assert_float_equal(a[2], 0.06, 1e-12);
	assert_float_equal(a[3], 0.02, 1e-12);
}

/* 95% bootstrap CI of a ratio of medians: coverage of the true ratio over 200 trials */
static void test_bootstrap_coverage(void **state __unused)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	int cover = 0;
	int t;

	gsl_rng_set(rng, 11);
	for (t = 0; t < TRIALS; t++) {
		double x[10];
		double y[10];
		double lo;
		double hi;
		int i;

		for (i = 0; i < 10; i++) {
			x[i] = 100 * exp(gsl_ran_gaussian(rng, 0.05));
			y[i] = 120 * exp(gsl_ran_gaussian(rng, 0.05));
		}
		bootstrap_ratio_ci(x, 10, y, 10, 2000, t + 1, 0.95, &lo, &hi);
		assert_true(lo <= hi);
		cover += lo <= 1.2 && 1.2 <= hi;
	}
	print_message("bootstrap 95%% CI coverage, 10 runs per side: %d/%d\n", cover, TRIALS);
	/* percentile bootstrap of medians is slightly conservative (~97%) */
	assert_in_range(cover, TRIALS * 92 / 100, TRIALS * 995 / 1000);
	gsl_rng_free(rng);
}

/* ---- verdict calibration on resampled distributions ---- */

struct pool {
	double *v;
	size_t n;
	const char *from;
};

static struct pool pool;
static gsl_rng *rng;

/* a recorded distribution if the repository has one, else a synthetic one */
static void load_pool(void)
{
	char **dirs = NULL;
	int nr;
	int i;
	int m;

	nr = path_exists("results/ref") ? result_find_runs("results/ref", &dirs) : 0;
	for (i = 0; i < nr && !pool.n; i++) {
		struct result_data *d =
			result_read(dirs[i], RESULT_READ_SAMPLES | RESULT_READ_QUIET, NULL, 0);

		for (m = 0; d && m < d->nr_metrics && !pool.n; m++) {
			const struct result_metric *rm = &d->metrics[m];
			size_t k;

			if (!str_starts(rm->name, "cmd_latency.total.") || rm->nr_samples < 1000)
				continue;
			pool.v = xmalloc(rm->nr_samples * sizeof(*pool.v));
			for (k = 0; k < rm->nr_samples; k++)
				pool.v[k] = rm->samples[k];
			pool.n = rm->nr_samples;
			pool.from = xasprintf("%s %s", dirs[i], rm->name);
		}
		result_free(d);
	}
	result_free_list(dirs, nr);
	if (pool.n)
		return;
	pool.n = 100000;
	pool.v = xmalloc(pool.n * sizeof(*pool.v));
	for (size_t k = 0; k < pool.n; k++) {
		pool.v[k] = 5000 * exp(gsl_ran_gaussian(rng, 0.25));
		if (gsl_rng_uniform(rng) < 0.02)
			pool.v[k] *= 5;
	}
	pool.from = "synthetic lognormal(5 us, 0.25) + 2% x5 tail";
}

static int setup(void **state __unused)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 42);
	load_pool();
	return 0;
}

static int teardown(void **state __unused)
{
	free(pool.v);
	gsl_rng_free(rng);
	return 0;
}

/* one run: resample the pool, scale by the run's factor and the injected shift; its median */
static double run_median(double shift, double cv)
{
	static double buf[SAMPLES_PER_RUN];
	double f = 1 + gsl_ran_gaussian(rng, cv);
	int k;

	for (k = 0; k < SAMPLES_PER_RUN; k++)
		buf[k] = pool.v[gsl_rng_uniform_int(rng, pool.n)] * f * (1 + shift);
	sort_double(buf, SAMPLES_PER_RUN);
	return quantile_sorted_double(buf, SAMPLES_PER_RUN, 0.5);
}

struct rates {
	int regression; /* trials with a regression verdict (any metric) */
	int improvement;
	int all_regression; /* trials where every metric regressed */
	int found;	    /* regression verdicts over all trials and metrics */
};

/*
 * TRIALS comparisons of nm gated metrics, n runs per side, latency shifted
 * by shift in the new group (throughput: divided by 1 + shift).
 */
static struct rates trial_rates(int n, double shift, double cv, int nm, enum metric_kind kind)
{
	struct compare_opts o;
	struct rates r = { 0 };
	int t;

	compare_opts_default(&o);
	for (t = 0; t < TRIALS; t++) {
		struct comparison c[32];
		struct comparison *cs[32];
		enum metric_kind kinds[32];
		int nreg = 0;
		int nimp = 0;
		int m;
		int i;

		for (m = 0; m < nm; m++) {
			double x[32];
			double y[32];

			/* a throughput is commands per second: 1 s / latency */
			for (i = 0; i < n; i++) {
				x[i] = run_median(0, cv);
				if (kind == METRIC_THROUGHPUT)
					x[i] = 1e9 / x[i];
			}
			for (i = 0; i < n; i++) {
				y[i] = run_median(shift, cv);
				if (kind == METRIC_THROUGHPUT)
					y[i] = 1e9 / y[i];
			}
			compare_values(x, n, y, n, kind, &o, t * 31 + m, &c[m]);
			c[m].gated = true;
			cs[m] = &c[m];
			kinds[m] = kind;
		}
		compare_family(cs, kinds, nm, &o);
		for (m = 0; m < nm; m++) {
			nreg += c[m].verdict == VERDICT_REGRESSION;
			nimp += c[m].verdict == VERDICT_IMPROVEMENT;
		}
		r.regression += nreg > 0;
		r.improvement += nimp > 0;
		r.all_regression += nreg == nm;
		r.found += nreg;
	}
	return r;
}

/* A/A, one metric, 5 runs per side, between-run CV 3%: false verdicts <= 5% */
static void test_aa_false_positives(void **state __unused)
{
	struct rates r = trial_rates(5, 0, 0.03, 1, METRIC_LATENCY);

	print_message("A/A 1 metric, 5 runs, cv 3%% (%s): %d regressions, %d improvements in %d\n",
		      pool.from, r.regression, r.improvement, TRIALS);
	assert_true(r.regression + r.improvement <= TRIALS * 5 / 100);
}

/*
 * A/A with many gated metrics (Benjamini-Hochberg over them): the chance of
 * any false regression in the whole table stays <= 5%.
 */
static void test_aa_family(void **state __unused)
{
	struct rates r = trial_rates(5, 0, 0.05, 10, METRIC_LATENCY);

	print_message("A/A 10 metrics, 5 runs, cv 5%%: a false regression in %d/%d trials, "
		      "a false improvement in %d\n",
		      r.regression, TRIALS, r.improvement);
	assert_true(r.regression <= TRIALS * 5 / 100);
	assert_true(r.improvement <= TRIALS * 5 / 100);
	r = trial_rates(5, 0, 0.10, 30, METRIC_LATENCY);
	print_message("A/A 30 metrics, 5 runs, cv 10%%: a false regression in %d/%d trials\n",
		      r.regression, TRIALS);
	assert_true(r.regression <= TRIALS * 5 / 100);
}

/*
 * The documented sensitivity (results/README.md): +10% on one gated metric
 * is found with 6 runs per side at between-run CV 3% (98% in 1000-trial
 * simulations); when it moves 30 gated metrics at once, 5 runs per side
 * find each of them (92%); ten metrics are all found together with 10 runs
 * (98%).
 */
static void test_shift_detected(void **state __unused)
{
	struct rates r = trial_rates(6, 0.10, 0.03, 1, METRIC_LATENCY);

	print_message("+10%% latency, 6 runs, cv 3%%: regression in %d/%d\n", r.regression, TRIALS);
	assert_true(r.regression >= TRIALS * 95 / 100);
	assert_int_equal(r.improvement, 0);
	r = trial_rates(5, 0.10, 0.03, 30, METRIC_LATENCY);
	print_message(
		"+10%% latency on 30 metrics, 5 runs, cv 3%%: %d of %d metric verdicts found\n",
		r.found, TRIALS * 30);
	assert_true(r.found >= TRIALS * 30 * 85 / 100);
	assert_int_equal(r.regression, TRIALS);
	r = trial_rates(10, 0.10, 0.03, 10, METRIC_LATENCY);
	print_message("+10%% latency on 10 metrics, 10 runs, cv 3%%: all found in %d/%d\n",
		      r.all_regression, TRIALS);
	assert_true(r.all_regression >= TRIALS * 95 / 100);
	assert_int_equal(r.improvement, 0);
}

/* direction: faster is an improvement, less throughput a regression */
static void test_shift_direction(void **state __unused)
{
	struct rates r = trial_rates(6, -0.10, 0.03, 1, METRIC_LATENCY);

	print_message("-10%% latency, 6 runs: improvement in %d/%d\n", r.improvement, TRIALS);
	assert_true(r.improvement >= TRIALS * 95 / 100);
	assert_int_equal(r.regression, 0);
	r = trial_rates(6, 0.10, 0.03, 1, METRIC_THROUGHPUT);
	print_message("-10%% throughput, 6 runs: regression in %d/%d\n", r.regression, TRIALS);
	assert_true(r.regression >= TRIALS * 95 / 100);
	assert_int_equal(r.improvement, 0);
}

/* a change below the threshold is never a verdict; a count is never a regression */
static void test_threshold_and_counts(void **state __unused)
{
	const double base[] = { 100, 101, 99, 100, 100 };
	const double small[] = { 103, 104, 102, 103, 103 };
	const double big[] = { 120, 121, 119, 120, 120 };
	struct compare_opts o;
	struct comparison c;

	compare_opts_default(&o);
	compare_values(base, 5, small, 5, METRIC_LATENCY, &o, 1, &c);
	compare_decide(&c, METRIC_LATENCY, &o);
	assert_true(c.p_worse < 0.05);
	assert_int_equal(c.verdict, VERDICT_NO_CHANGE);
	compare_values(base, 5, big, 5, METRIC_LATENCY, &o, 1, &c);
	compare_decide(&c, METRIC_LATENCY, &o);
	assert_int_equal(c.verdict, VERDICT_REGRESSION);
	assert_float_equal(c.ratio, 1.2, 1e-12);
	compare_values(base, 5, big, 5, METRIC_COUNT, &o, 1, &c);
	compare_decide(&c, METRIC_COUNT, &o);
	assert_int_equal(c.verdict, VERDICT_CHANGED);
	/* too few runs: no verdict however large the change */
	o.min_runs = 5;
	compare_values(base, 4, big, 4, METRIC_LATENCY, &o, 1, &c);
	compare_decide(&c, METRIC_LATENCY, &o);
	assert_int_equal(c.verdict, VERDICT_FEW_RUNS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_known),
		cmocka_unit_test(test_quantile_vs_gsl),
		cmocka_unit_test(test_hist_quantile),
		cmocka_unit_test(test_mwu_exact_by_hand),
		cmocka_unit_test(test_mwu_ties_by_hand),
		cmocka_unit_test(test_mwu_normal_by_hand),
		cmocka_unit_test(test_holm),
		cmocka_unit_test(test_bh),
		cmocka_unit_test(test_bootstrap_coverage),
		cmocka_unit_test(test_aa_false_positives),
		cmocka_unit_test(test_aa_family),
		cmocka_unit_test(test_shift_detected),
		cmocka_unit_test(test_shift_direction),
		cmocka_unit_test(test_threshold_and_counts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
