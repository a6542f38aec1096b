/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace helpers shared by the BPF collectors: libbpf set-up, merging
 * the per-CPU histograms into the result format, the collector's own
 * overhead (BPF run-time statistics), per-probe status as a result
 * section, and the ring-buffer consumer that polls instead of being woken
 * per event.
 */
#ifndef ITSPERF_BPF_COMMON_H
#define ITSPERF_BPF_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/hist.h"

struct bpf_map;
struct bpf_object;
struct collector;
struct hist;
struct json_object;
struct metric_desc;
struct result_run;

/* ---- histograms ---- */
uint64_t bpf_hist_min(const struct bpf_hist *h);
/* dst += src (counts, buckets, exact min/max) */
void bpf_hist_accumulate(struct bpf_hist *dst, const struct bpf_hist *src);
/* merge nr_cpus per-CPU copies as libbpf returns them for a per-CPU map */
void bpf_hist_merge_cpus(struct bpf_hist *dst, const struct bpf_hist *percpu, int nr_cpus);
/* to the result format; either output may be NULL; caller hist_free()s */
void bpf_hist_export(const struct bpf_hist *bh, uint64_t lin_width, struct hist *log2,
		     struct hist *lin);
/*
 * Write one latency distribution with raw samples if any: the linear
 * histogram when no value fell beyond its last bucket, else the log2 one.
 * Named "<name>:bpf" if another collector (ftrace) wrote the name already
 * (results/README.md).
 */
int bpf_emit_hist(struct result_run *r, const struct metric_desc *d, const struct bpf_hist *bh,
		  uint64_t lin_width, const uint64_t *samples, size_t nr_samples);

/* a single value; "<name>:bpf" if another collector wrote the name already */
int bpf_emit_value(struct result_run *r, const struct metric_desc *d, double value);

/*
 * Iterate a per-CPU hash whose values are struct bpf_hist: fn gets every
 * key with the CPUs merged. Returns the number of keys or -errno.
 */
typedef void (*bpf_hist_fn)(const void *key, const struct bpf_hist *merged, void *ctx);
int bpf_percpu_hist_foreach(struct bpf_map *map, bpf_hist_fn fn, void *ctx);
/* sum of a per-CPU u64 array entry over CPUs */
uint64_t bpf_percpu_u64_sum(struct bpf_map *map, uint32_t idx);
/* per-CPU values of a per-CPU u64 array entry (out: nr_cpus entries) */
int bpf_percpu_u64(struct bpf_map *map, uint32_t idx, uint64_t *out, int nr_cpus);
int bpf_nr_cpus(void);

/* ---- overhead ---- */
/*
 * Turn on BPF run-time statistics (kernel.bpf_stats_enabled) for as long
 * as this process lives; false (with why) if the kernel refuses or
 * ITSPERF_BPF_STATS=0 (the statistics cost two clock reads per program
 * run; the bench measures collectors with and without them).
 */
bool bpf_stats_enable(char *why, size_t len);
/*
 * The end of a collector's init: err is its skeleton's __load() result.
 * Says why on failure; on success turns on the run-time statistics its
 * overhead figures come from. Returns init's result (0 or -1).
 */
int bpf_collector_loaded(const struct collector *c, int err);
/*
 * The collector's own cost: per loaded program run_cnt, run_time_ns,
 * ns/run, recursion misses, and the total per event (events: what the
 * collector counts, e.g. ITS commands). Caller owns the object.
 */
struct json_object *bpf_overhead_json(struct bpf_object *obj, const char *event_name,
				      uint64_t events, double window_s);
/* total in-program time of every loaded program (ns) and their runs */
void bpf_run_totals(struct bpf_object *obj, uint64_t *run_ns, uint64_t *runs);

/* ---- ring buffer ---- */
struct rb_poller;
typedef int (*rb_sample_fn)(void *ctx, void *data, size_t size);
/*
 * Consume the BPF ring buffer map every poll_ms from a thread. The BPF
 * side submits with BPF_RB_NO_WAKEUP, so nothing wakes us per event; the
 * ring must hold poll_ms worth of events (the BPF side counts drops).
 */
struct rb_poller *rb_poller_start(struct bpf_map *ringbuf, rb_sample_fn fn, void *ctx,
				  unsigned int poll_ms);
/* stop the thread and drain what is left */
void rb_poller_stop(struct rb_poller *p);

#endif
