// SPDX-License-Identifier: GPL-2.0
/*
 * Sorting, the one quantile estimator (Hyndman-Fan type 7, linear
 * interpolation between closest ranks) and the per-metric summary, from
 * raw samples or from a histogram (result/summary.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/util.h"
#include "result/json.h"
#include "result/hist.h"
#include "result/summary.h"

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

struct json_object *summary_to_json(const struct summary *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_uint64(s->count));
	json_object_object_add(o, "min", json_num(s->min));
	json_object_object_add(o, "p50", json_num(s->p50));
	json_object_object_add(o, "p90", json_num(s->p90));
	json_object_object_add(o, "p99", json_num(s->p99));
	json_object_object_add(o, "p99_9", json_num(s->p999));
	json_object_object_add(o, "max", json_num(s->max));
	json_object_object_add(o, "mean", json_num(s->mean));
	json_object_object_add(o, "stddev", json_num(s->stddev));
	json_object_object_add(o, "exact", json_object_new_boolean(s->exact));
	return o;
}
