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

#include "result/result.h"
#include "analysis/stats.h"
#include "lib/util.h"

/* groups up to this many observations in total get the exact test */
#define MWU_EXACT_MAX 60

static void swap_ptr(uint64_t **a, uint64_t **b)
{
	uint64_t *t = *a;

	*a = *b;
	*b = t;
}

/*
 * LSD radix sort, 8 bits per pass; a pass whose byte is the same in every
 * key is skipped (latencies rarely use the top bytes).
 */
void sort_u64(uint64_t *v, size_t n)
{
	size_t(*cnt)[256];
	uint64_t *tmp;
	uint64_t *src;
	uint64_t *dst;
	size_t i;
	int pass;

	if (n < 2)
		return;
	cnt = xcalloc(8, sizeof(*cnt));
	for (i = 0; i < n; i++)
		for (pass = 0; pass < 8; pass++)
			cnt[pass][(v[i] >> (pass * 8)) & 0xff]++;
	tmp = xmalloc(n * sizeof(*tmp));
	src = v;
	dst = tmp;
	for (pass = 0; pass < 8; pass++) {
		size_t pos = 0;
		size_t c;
		int b;

		if (cnt[pass][(v[0] >> (pass * 8)) & 0xff] == n)
			continue;
		for (b = 0; b < 256; b++) {
			c = cnt[pass][b];
			cnt[pass][b] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[pass][(src[i] >> (pass * 8)) & 0xff]++] = src[i];
		swap_ptr(&src, &dst);
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	free(cnt);
}

/* IEEE 754 doubles as order-preserving unsigned keys */
static uint64_t dbl_key(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return (u & (1ull << 63)) ? ~u : u | (1ull << 63);
}

static double key_dbl(uint64_t u)
{
	double d;

	u = (u & (1ull << 63)) ? u & ~(1ull << 63) : ~u;
	memcpy(&d, &u, sizeof(d));
	return d;
}

void sort_double(double *v, size_t n)
{
	uint64_t *k;
	size_t i;

	if (n < 2)
		return;
	k = xmalloc(n * sizeof(*k));
	for (i = 0; i < n; i++)
		k[i] = dbl_key(v[i]);
	sort_u64(k, n);
	for (i = 0; i < n; i++)
		v[i] = key_dbl(k[i]);
	free(k);
}

double quantile_sorted_u64(const uint64_t *v, size_t n, double p)
{
	double h;
	size_t lo;

	if (!n)
		return NAN;
	if (p <= 0)
		return v[0];
	if (p >= 1)
		return v[n - 1];
	h = (n - 1) * p;
	lo = (size_t)h;
	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (h - lo) * ((double)v[lo + 1] - (double)v[lo]);
}

double quantile_sorted_double(const double *v, size_t n, double p)
{
	double h;
	size_t lo;

	if (!n)
		return NAN;
	if (p <= 0)
		return v[0];
	if (p >= 1)
		return v[n - 1];
	h = (n - 1) * p;
	lo = (size_t)h;
	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

double median_double(const double *v, size_t n)
{
	double *c;
	double m;

	if (!n)
		return NAN;
	c = xmalloc(n * sizeof(*c));
	memcpy(c, v, n * sizeof(*c));
	sort_double(c, n);
	m = quantile_sorted_double(c, n, 0.5);
	free(c);
	return m;
}

/*
 * Rank r (0-based, fractional as in type 7) falls into one bucket; place it
 * inside the bucket as if the bucket's counts were spread evenly.
 */
double hist_quantile(const struct hist *h, double p)
{
	double rank;
	double cum = 0;
	double lo;
	double hi;
	double v;
	int i;

	if (!h->count)
		return NAN;
	if (p <= 0)
		return h->min;
	if (p >= 1)
		return h->max;
	rank = p * (h->count - 1);
	for (i = 0; i < h->nr_buckets; i++) {
		double c = h->buckets[i];

		if (!c)
			continue;
		if (rank < cum + c) {
			lo = hist_bucket_lo(h, i);
			hi = hist_bucket_hi(h, i);
			v = lo + (rank - cum + 0.5) / c * (hi - lo);
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
		cum += c;
	}
	return h->max;
}

void summary_from_sorted_u64(struct summary *s, const uint64_t *v, size_t n)
{
	double mean = 0;
	double m2 = 0;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->exact = true;
	s->count = n;
	if (!n) {
		s->min = s->p50 = s->p90 = s->p99 = s->p999 = s->max = NAN;
		s->mean = s->stddev = NAN;
		return;
	}
	/* Welford: no cancellation on 10 M samples of similar size */
	for (i = 0; i < n; i++) {
		double x = v[i];
		double d = x - mean;

		mean += d / (i + 1);
		m2 += d * (x - mean);
	}
	s->min = v[0];
	s->max = v[n - 1];
	s->p50 = quantile_sorted_u64(v, n, 0.50);
	s->p90 = quantile_sorted_u64(v, n, 0.90);
	s->p99 = quantile_sorted_u64(v, n, 0.99);
	s->p999 = quantile_sorted_u64(v, n, 0.999);
	s->mean = mean;
	s->stddev = n > 1 ? sqrt(m2 / (n - 1)) : 0;
}

void summary_from_hist(struct summary *s, const struct hist *h)
{
	double mean;
	double m2 = 0;
	int i;

	memset(s, 0, sizeof(*s));
	s->count = h->count;
	s->exact = false;
	if (!h->count) {
		s->min = s->p50 = s->p90 = s->p99 = s->p999 = s->max = NAN;
		s->mean = s->stddev = NAN;
		return;
	}
	mean = h->sum / h->count;
	/* bucket midpoints (clamped to the exact range): an estimate */
	for (i = 0; i < h->nr_buckets; i++) {
		double lo;
		double hi;
		double mid;

		if (!h->buckets[i])
			continue;
		lo = fmax(hist_bucket_lo(h, i), h->min);
		hi = fmin(hist_bucket_hi(h, i), h->max);
		mid = (lo + hi) / 2;
		m2 += h->buckets[i] * (mid - mean) * (mid - mean);
	}
	s->min = h->min;
	s->max = h->max;
	s->p50 = hist_quantile(h, 0.50);
	s->p90 = hist_quantile(h, 0.90);
	s->p99 = hist_quantile(h, 0.99);
	s->p999 = hist_quantile(h, 0.999);
	s->mean = mean;
	s->stddev = h->count > 1 ? sqrt(m2 / (h->count - 1)) : 0;
}

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
