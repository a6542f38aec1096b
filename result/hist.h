/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one histogram type: log2 or linear buckets, exact count, min, max and
 * sum. Collectors and workloads fill it (hist_add, or bpf_hist_export from
 * the BPF maps), the result writer stores it, the reader loads it back and
 * hist_quantile() (result/summary.h) estimates quantiles from it.
 */
#ifndef ITSPERF_HIST_H
#define ITSPERF_HIST_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

enum hist_type {
	HIST_LOG2,   /* bucket i holds [2^i, 2^(i+1)), bucket 0 holds [0, 2) */
	HIST_LINEAR, /* bucket i holds [i * width, (i+1) * width) */
};

struct hist {
	enum hist_type type;
	uint64_t width; /* HIST_LINEAR only */
	int nr_buckets;
	uint64_t *buckets;
	uint64_t count;
	uint64_t min; /* exact, not bucketed */
	uint64_t max;
	double sum;
};

void hist_init(struct hist *h, enum hist_type type, int nr_buckets, uint64_t width);
void hist_add(struct hist *h, uint64_t v);
/* a linear histogram fine enough for exact values v[0..n) */
void hist_from_values(struct hist *h, const uint64_t *v, size_t n);
/* dst[i] = v[i] - cost, rounded, at least 0: a probe-cost correction */
void probe_cost_subtract(uint64_t *dst, const uint64_t *v, size_t n, double cost);
void hist_merge(struct hist *dst, const struct hist *src);
void hist_free(struct hist *h);
/* lower bound of bucket i and upper bound (exclusive) */
uint64_t hist_bucket_lo(const struct hist *h, int i);
uint64_t hist_bucket_hi(const struct hist *h, int i);
/* the result format's "hist" object (results/README.md) */
struct json_object *hist_to_json(const struct hist *h);

#endif
