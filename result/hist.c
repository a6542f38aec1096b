// SPDX-License-Identifier: GPL-2.0
/* The histogram every collector, workload and reader uses (result/hist.h). */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/util.h"
#include "result/hist.h"

void hist_init(struct hist *h, enum hist_type type, int nr_buckets, uint64_t width)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	if (nr_buckets <= 0)
		nr_buckets = type == HIST_LOG2 ? 64 : 100;
	if (type == HIST_LOG2 && nr_buckets > 64)
		nr_buckets = 64;
	h->nr_buckets = nr_buckets;
	h->width = type == HIST_LINEAR ? (width ? width : 1) : 0;
	h->buckets = xcalloc(nr_buckets, sizeof(*h->buckets));
	h->min = UINT64_MAX;
}

static int hist_bucket_of(const struct hist *h, uint64_t v)
{
	uint64_t i;

	if (h->type == HIST_LOG2)
		i = v < 2 ? 0 : 63 - __builtin_clzll(v);
	else
		i = v / h->width;
	/* the last bucket also holds everything above it: max stays exact */
	return i >= (uint64_t)h->nr_buckets ? h->nr_buckets - 1 : (int)i;
}

uint64_t hist_bucket_lo(const struct hist *h, int i)
{
	if (h->type == HIST_LOG2)
		return i == 0 ? 0 : 1ull << i;
	return (uint64_t)i * h->width;
}

uint64_t hist_bucket_hi(const struct hist *h, int i)
{
	if (h->type == HIST_LOG2)
		return i >= 63 ? UINT64_MAX : 1ull << (i + 1);
	return (uint64_t)(i + 1) * h->width;
}

void hist_add(struct hist *h, uint64_t v)
{
	h->buckets[hist_bucket_of(h, v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* re-bucket a histogram in log2 (each bucket by its lower bound): exact for log2 */
static void hist_to_log2(struct hist *h)
{
	struct hist l;
	int i;

	hist_init(&l, HIST_LOG2, 64, 0);
	for (i = 0; i < h->nr_buckets; i++)
		l.buckets[hist_bucket_of(&l, hist_bucket_lo(h, i))] += h->buckets[i];
	l.count = h->count;
	l.min = h->min;
	l.max = h->max;
	l.sum = h->sum;
	hist_free(h);
	*h = l;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	int i;

	if (!src->count)
		return;
	/*
	 * An empty destination takes the source's layout: a run that saw no
	 * event of a metric writes an empty log2 histogram whatever layout the
	 * collector uses when it has data.
	 */
	if (!dst->buckets || !dst->nr_buckets || !dst->count) {
		hist_free(dst);
		hist_init(dst, src->type, src->nr_buckets, src->width);
	}
	if (dst->type != src->type || dst->width != src->width) {
		/*
		 * A collector keeps the finer linear layout for a run whose values
		 * all fit it, log2 otherwise (bpf_emit_hist()): runs of one metric
		 * can differ. Pool them in log2, which holds any value.
		 */
		if (dst->type != HIST_LOG2)
			hist_to_log2(dst);
		for (i = 0; i < src->nr_buckets; i++)
			dst->buckets[hist_bucket_of(dst, hist_bucket_lo(src, i))] +=
				src->buckets[i];
	} else {
		if (src->nr_buckets > dst->nr_buckets) {
			dst->buckets =
				xrealloc(dst->buckets, src->nr_buckets * sizeof(*dst->buckets));
			memset(dst->buckets + dst->nr_buckets, 0,
			       (src->nr_buckets - dst->nr_buckets) * sizeof(*dst->buckets));
			dst->nr_buckets = src->nr_buckets;
		}
		for (i = 0; i < src->nr_buckets; i++)
			dst->buckets[i] += src->buckets[i];
	}
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

void hist_free(struct hist *h)
{
	free(h->buckets);
	h->buckets = NULL;
	h->nr_buckets = 0;
}

struct json_object *hist_to_json(const struct hist *h)
{
	struct json_object *o = json_object_new_object();
	struct json_object *b = json_object_new_array();
	int i;

	json_object_object_add(o, "type",
			       json_object_new_string(h->type == HIST_LOG2 ? "log2" : "linear"));
	if (h->type == HIST_LINEAR)
		json_object_object_add(o, "width", json_object_new_uint64(h->width));
	json_object_object_add(o, "nr_buckets", json_object_new_int(h->nr_buckets));
	json_object_object_add(o, "count", json_object_new_uint64(h->count));
	json_object_object_add(o, "min", json_object_new_uint64(h->count ? h->min : 0));
	json_object_object_add(o, "max", json_object_new_uint64(h->max));
	json_object_object_add(o, "sum", json_object_new_double(h->sum));
	/* sparse: [index, count] for non-empty buckets only */
	for (i = 0; i < h->nr_buckets; i++) {
		struct json_object *pair;

		if (!h->buckets[i])
			continue;
		pair = json_object_new_array_ext(2);
		json_object_array_add(pair, json_object_new_int(i));
		json_object_array_add(pair, json_object_new_uint64(h->buckets[i]));
		json_object_array_add(b, pair);
	}
	json_object_object_add(o, "buckets", b);
	return o;
}

/*
 * Exact values (raw records, samples): linear buckets at most
 * HIST_FINE_BUCKETS over all of them, at least HIST_FINE_MIN_WIDTH wide, so
 * that quantiles are as fine as the values (log2 buckets put a p50 of
 * 20.5 us at 24.6 us).
 */
#define HIST_FINE_BUCKETS   4096
#define HIST_FINE_MIN_WIDTH 1

void hist_from_values(struct hist *h, const uint64_t *v, size_t n)
{
	uint64_t width = HIST_FINE_MIN_WIDTH;
	uint64_t max = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	while (max / width >= HIST_FINE_BUCKETS)
		width *= 2;
	hist_init(h, HIST_LINEAR, (int)(max / width) + 1, width);
	for (i = 0; i < n; i++)
		hist_add(h, v[i]);
}

void probe_cost_subtract(uint64_t *dst, const uint64_t *v, size_t n, double cost)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (double)v[i] > cost ? (uint64_t)((double)v[i] - cost + 0.5) : 0;
}
