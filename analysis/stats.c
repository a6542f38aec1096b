// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics for report and compare. Quantiles are type 7 (linear
 * interpolation between closest ranks); the rank test is Mann-Whitney U,
 * exact (permutation distribution of the rank sum, ties as mid-ranks) for
 * small groups and normal approximation beyond; confidence intervals are
 * percentile bootstrap with gsl_rng. results/README.md says why.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "analysis/stats.h"
#include "lib/util.h"

/* groups up to this many observations in total get the exact test */
#define MWU_EXACT_MAX 60

struct ranked {
	double v;
	int group;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a;
	const struct ranked *y = b;

	return (x->v > y->v) - (x->v < y->v);
}

/*
 * Exact p-values of the rank sum of x under random assignment of the
 * (mid-)ranks to the groups: count the subsets of size nx by doubled rank
 * sum (integers), then read the tails at the observed sum.
 */
static void mwu_exact(const double *rank2, size_t n, size_t nx, long obs2, struct mwu *res)
{
	size_t maxsum = 0;
	double *ways;
	double total = 0;
	double two = 0;
	double le = 0;
	double ge = 0;
	double mean2;
	size_t i;
	size_t k;
	size_t s;

	for (i = 0; i < n; i++)
		maxsum += (size_t)rank2[i];
	/* ways[k * (maxsum + 1) + s]: subsets of size k with doubled rank sum s */
	ways = xcalloc((nx + 1) * (maxsum + 1), sizeof(*ways));
	ways[0] = 1;
	for (i = 0; i < n; i++) {
		size_t r = (size_t)rank2[i];

		for (k = (i + 1 < nx ? i + 1 : nx); k >= 1; k--)
			for (s = maxsum; s >= r; s--)
				ways[k * (maxsum + 1) + s] += ways[(k - 1) * (maxsum + 1) + s - r];
	}
	mean2 = (double)nx * (n + 1); /* doubled expected rank sum */
	for (s = 0; s <= maxsum; s++) {
		double w = ways[nx * (maxsum + 1) + s];

		if (!w)
			continue;
		total += w;
		/* 1e-9: sums at exactly the observed distance count as extreme */
		if (fabs((double)s - mean2) >= fabs((double)obs2 - mean2) - 1e-9)
			two += w;
		if ((long)s <= obs2)
			le += w;
		if ((long)s >= obs2)
			ge += w;
	}
	free(ways);
	if (total <= 0) {
		res->p = res->p_y_greater = res->p_y_less = 1;
		return;
	}
	res->p = fmin(1.0, two / total);
	/* y greater <=> x's ranks small */
	res->p_y_greater = fmin(1.0, le / total);
	res->p_y_less = fmin(1.0, ge / total);
}

void mann_whitney(const double *x, size_t nx, const double *y, size_t ny, struct mwu *res)
{
	size_t n = nx + ny;
	struct ranked *r;
	double *rank2;
	double tie_sum = 0;
	double rsum2 = 0;
	double mu;
	double sigma;
	size_t i;
	size_t j;

	res->u = NAN;
	res->p = res->p_y_greater = res->p_y_less = 1;
	res->exact = false;
	if (!nx || !ny)
		return;
	r = xmalloc(n * sizeof(*r));
	rank2 = xmalloc(n * sizeof(*rank2));
	for (i = 0; i < nx; i++)
		r[i] = (struct ranked){ x[i], 0 };
	for (i = 0; i < ny; i++)
		r[nx + i] = (struct ranked){ y[i], 1 };
	qsort(r, n, sizeof(*r), ranked_cmp);
	/* doubled mid-ranks are integers: ranks i+1..j share (i+1+j) */
	for (i = 0; i < n; i = j) {
		double t;
		size_t k;

		for (j = i + 1; j < n && r[j].v == r[i].v; j++)
			;
		for (k = i; k < j; k++)
			rank2[k] = (double)(i + 1 + j);
		t = j - i;
		tie_sum += t * t * t - t;
	}
	for (i = 0; i < n; i++)
		if (r[i].group == 0)
			rsum2 += rank2[i];
	res->u = rsum2 / 2 - nx * (nx + 1) / 2.0;
	if (n <= MWU_EXACT_MAX) {
		res->exact = true;
		mwu_exact(rank2, n, nx, (long)llround(rsum2), res);
		goto out;
	}
	mu = nx * ny / 2.0;
	sigma = sqrt(nx * ny / 12.0 * ((n + 1) - tie_sum / ((double)n * (n - 1))));
	if (!(sigma > 0))
		goto out;
	/* continuity-corrected normal approximation (gsl_cdf_ugaussian_{P,Q}) */
	res->p = fmin(1.0, 2 * gsl_cdf_ugaussian_Q(fmax(0, (fabs(res->u - mu) - 0.5) / sigma)));
	res->p_y_greater = gsl_cdf_ugaussian_P((res->u - mu + 0.5) / sigma);
	res->p_y_less = gsl_cdf_ugaussian_Q((res->u - mu - 0.5) / sigma);
out:
	free(rank2);
	free(r);
}

double mann_whitney_p(const double *x, size_t nx, const double *y, size_t ny, double *u)
{
	struct mwu res;

	mann_whitney(x, nx, y, ny, &res);
	if (u)
		*u = res.u;
	return res.p;
}

static double resample_median(gsl_rng *rng, const double *v, size_t n, double *buf)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = v[gsl_rng_uniform_int(rng, n)];
	/* n is a number of runs (tens): insertion sort beats anything clever */
	for (i = 1; i < n; i++) {
		double t = buf[i];
		size_t j = i;

		while (j > 0 && buf[j - 1] > t) {
			buf[j] = buf[j - 1];
			j--;
		}
		buf[j] = t;
	}
	return quantile_sorted_double(buf, n, 0.5);
}

void bootstrap_ratio_ci(const double *x, size_t nx, const double *y, size_t ny, unsigned int nboot,
			unsigned long seed, double level, double *lo, double *hi)
{
	double *ratios;
	double *buf;
	gsl_rng *rng;
	unsigned int b;
	unsigned int nr = 0;

	*lo = *hi = NAN;
	if (!nx || !ny || !nboot)
		return;
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	ratios = xmalloc(nboot * sizeof(*ratios));
	buf = xmalloc((nx > ny ? nx : ny) * sizeof(*buf));
	for (b = 0; b < nboot; b++) {
		double mx = resample_median(rng, x, nx, buf);
		double my = resample_median(rng, y, ny, buf);

		/* a zero baseline median has no ratio: leave it out */
		if (mx != 0)
			ratios[nr++] = my / mx;
	}
	if (nr) {
		sort_double(ratios, nr);
		*lo = quantile_sorted_double(ratios, nr, (1 - level) / 2);
		*hi = quantile_sorted_double(ratios, nr, 1 - (1 - level) / 2);
	}
	free(buf);
	free(ratios);
	gsl_rng_free(rng);
}
