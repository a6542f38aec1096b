// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "result/result.h"
#include "bpf/attach.h"
#include "bpf/common.h"
#include "lib/collector.h"
#include "lib/util.h"

int bpf_nr_cpus(void)
{
	static int n;

	if (!n) {
		n = libbpf_num_possible_cpus();
		if (n <= 0)
			n = 1;
	}
	return n;
}

/* ---- histograms ---- */

uint64_t bpf_hist_min(const struct bpf_hist *h)
{
	return h->count ? ~h->min_inv : 0;
}

void bpf_hist_accumulate(struct bpf_hist *dst, const struct bpf_hist *src)
{
	int i;

	if (!src->count)
		return;
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min_inv > dst->min_inv)
		dst->min_inv = src->min_inv;
	if (src->max > dst->max)
		dst->max = src->max;
	for (i = 0; i < BPF_HIST_LOG2_SLOTS; i++)
		dst->log2[i] += src->log2[i];
	for (i = 0; i < BPF_HIST_LIN_SLOTS; i++)
		dst->lin[i] += src->lin[i];
}

void bpf_hist_merge_cpus(struct bpf_hist *dst, const struct bpf_hist *percpu, int nr_cpus)
{
	int cpu;

	memset(dst, 0, sizeof(*dst));
	for (cpu = 0; cpu < nr_cpus; cpu++)
		bpf_hist_accumulate(dst, &percpu[cpu]);
}

static void fill_hist(struct hist *h, const struct bpf_hist *bh, const __u64 *b, int n)
{
	int i;

	for (i = 0; i < n && i < h->nr_buckets; i++)
		h->buckets[i] = b[i];
	h->count = bh->count;
	h->min = bpf_hist_min(bh);
	h->max = bh->max;
	h->sum = (double)bh->sum;
}

void bpf_hist_export(const struct bpf_hist *bh, uint64_t lin_width, struct hist *log2,
		     struct hist *lin)
{
	if (log2) {
		hist_init(log2, HIST_LOG2, BPF_HIST_LOG2_SLOTS, 0);
		fill_hist(log2, bh, bh->log2, BPF_HIST_LOG2_SLOTS);
	}
	if (lin) {
		hist_init(lin, HIST_LINEAR, BPF_HIST_LIN_SLOTS, lin_width);
		fill_hist(lin, bh, bh->lin, BPF_HIST_LIN_SLOTS);
	}
}

/* another collector (ftrace) wrote this name already: keep both, ours as NAME:bpf */
static const struct metric_desc *unique_name(struct result_run *r, const struct metric_desc *d,
					     struct metric_desc *alt, char *buf, size_t len)
{
	if (!result_has_metric(r, d->name))
		return d;
	*alt = *d;
	snprintf(buf, len, "%s:bpf", d->name);
	alt->name = buf;
	return alt;
}

int bpf_emit_hist(struct result_run *r, const struct metric_desc *d, const struct bpf_hist *bh,
		  uint64_t lin_width, const uint64_t *samples, size_t nr_samples)
{
	bool linear = lin_width && bh->max < lin_width * BPF_HIST_LIN_SLOTS;
	struct metric_desc alt;
	char name[256];
	struct hist h;
	int err;

	d = unique_name(r, d, &alt, name, sizeof(name));

	/* samples stand for the histogram's events one by one, or not at all */
	if (nr_samples && nr_samples != bh->count) {
		warn_msg(
			"%s: %zu raw samples for %llu events (ring buffer drops): samples not stored",
			d->name, nr_samples, (unsigned long long)bh->count);
		samples = NULL;
		nr_samples = 0;
	}

	/*
	 * The result format keeps one histogram per metric: the linear one
	 * when it holds every value (finer where the values are), else log2,
	 * which covers any range. min, max, count and sum are exact either way.
	 */
	if (linear)
		bpf_hist_export(bh, lin_width, NULL, &h);
	else
		bpf_hist_export(bh, lin_width, &h, NULL);
	err = result_add_metric(r, d, &h, samples, nr_samples);
	hist_free(&h);
	if (err)
		warn_msg("%s: not written", d->name);
	return err;
}

int bpf_emit_value(struct result_run *r, const struct metric_desc *d, double value)
{
	struct metric_desc alt;
	char name[256];

	d = unique_name(r, d, &alt, name, sizeof(name));
	if (!result_add_value(r, d, value))
		return 0;
	warn_msg("%s: not written", d->name);
	return -1;
}

int bpf_percpu_hist_foreach(struct bpf_map *map, bpf_hist_fn fn, void *ctx)
{
	size_t ksz = bpf_map__key_size(map);
	int ncpu = bpf_nr_cpus();
	struct bpf_hist merged;
	struct bpf_hist *vals;
	void *key, *next;
	int nr = 0;
	int err;

	if (bpf_map__value_size(map) != sizeof(struct bpf_hist))
		return -EINVAL;
	vals = xcalloc(ncpu, sizeof(*vals));
	key = xcalloc(2, ksz);
	next = (char *)key + ksz;
	err = bpf_map__get_next_key(map, NULL, next, ksz);
	while (!err) {
		memcpy(key, next, ksz);
		if (!bpf_map__lookup_elem(map, key, ksz, vals, ncpu * sizeof(*vals), 0)) {
			bpf_hist_merge_cpus(&merged, vals, ncpu);
			fn(key, &merged, ctx);
			nr++;
		}
		err = bpf_map__get_next_key(map, key, next, ksz);
	}
	free(key);
	free(vals);
	return err == -ENOENT ? nr : err;
}

int bpf_percpu_u64(struct bpf_map *map, uint32_t idx, uint64_t *out, int nr_cpus)
{
	return bpf_map__lookup_elem(map, &idx, sizeof(idx), out, nr_cpus * sizeof(*out), 0);
}

uint64_t bpf_percpu_u64_sum(struct bpf_map *map, uint32_t idx)
{
	int ncpu = bpf_nr_cpus();
	uint64_t *v = xcalloc(ncpu, sizeof(*v));
	uint64_t sum = 0;
	int cpu;

	if (!bpf_percpu_u64(map, idx, v, ncpu))
		for (cpu = 0; cpu < ncpu; cpu++)
			sum += v[cpu];
	free(v);
	return sum;
}

/* ---- overhead ---- */

static int stats_fd = -1;
static char stats_why[96];

bool bpf_stats_enable(char *why, size_t len)
{
	static bool tried;
	char ebuf[48];

	if (!tried) {
		const char *env = getenv("ITSPERF_BPF_STATS");

		tried = true;
		/* the statistics cost two clock reads per program run: bench measures without */
		if (env && !strcmp(env, "0")) {
			snprintf(stats_why, sizeof(stats_why), "disabled by ITSPERF_BPF_STATS=0");
			goto out;
		}
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			snprintf(stats_why, sizeof(stats_why), "BPF_ENABLE_STATS: %s",
				 bpf_errname(stats_fd, ebuf, sizeof(ebuf)));
	}
out:
	if (why)
		snprintf(why, len, "%s", stats_why);
	return stats_fd >= 0;
}

static int prog_info(struct bpf_program *p, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_program__fd(p);

	memset(info, 0, sizeof(*info));
	if (fd < 0)
		return -EBADF;
	return bpf_obj_get_info_by_fd(fd, info, &len);
}

void bpf_run_totals(struct bpf_object *obj, uint64_t *run_ns, uint64_t *runs)
{
	struct bpf_prog_info info;
	struct bpf_program *p;

	*run_ns = 0;
	*runs = 0;
	bpf_object__for_each_program(p, obj) {
		if (prog_info(p, &info))
			continue;
		*run_ns += info.run_time_ns;
		*runs += info.run_cnt;
	}
}

struct json_object *bpf_overhead_json(struct bpf_object *obj, const char *event_name,
				      uint64_t events, double window_s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *progs = json_object_new_array();
	uint64_t total_ns = 0, total_runs = 0, misses = 0;
	struct bpf_prog_info info;
	struct bpf_program *p;
	char why[96];

	bpf_object__for_each_program(p, obj) {
		struct json_object *po;

		if (prog_info(p, &info))
			continue;
		po = json_object_new_object();
		json_object_object_add(po, "program", json_object_new_string(bpf_program__name(p)));
		json_object_object_add(po, "run_cnt", json_object_new_uint64(info.run_cnt));
		json_object_object_add(po, "run_time_ns", json_object_new_uint64(info.run_time_ns));
		json_object_object_add(
			po, "ns_per_run",
			json_object_new_double(
				info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0));
		json_object_object_add(po, "recursion_misses",
				       json_object_new_uint64(info.recursion_misses));
		json_object_array_add(progs, po);
		total_ns += info.run_time_ns;
		total_runs += info.run_cnt;
		misses += info.recursion_misses;
	}
	json_object_object_add(
		o, "method",
		json_object_new_string(
			"BPF run-time statistics (BPF_ENABLE_STATS run_time_ns/run_cnt): "
			"time spent inside the programs; the fentry trampoline or kprobe "
			"exception around them is not included (make bench measures the "
			"end-to-end cost against the same workload without collector)"));
	if (!bpf_stats_enable(why, sizeof(why)))
		json_object_object_add(o, "unavailable", json_object_new_string(why));
	json_object_object_add(o, "event", json_object_new_string(event_name));
	json_object_object_add(o, "events", json_object_new_uint64(events));
	json_object_object_add(o, "window_s", json_object_new_double(window_s));
	json_object_object_add(o, "run_time_ns", json_object_new_uint64(total_ns));
	json_object_object_add(o, "cpu_ns", json_object_new_uint64(total_ns));
	json_object_object_add(o, "runs", json_object_new_uint64(total_runs));
	json_object_object_add(o, "recursion_misses", json_object_new_uint64(misses));
	json_object_object_add(o, "ns_per_event",
			       json_object_new_double(events ? (double)total_ns / events : 0));
	json_object_object_add(o, "programs", progs);
	return o;
}

/* ---- ring buffer ---- */

struct rb_poller {
	struct ring_buffer *rb;
	pthread_t thread;
	unsigned int poll_ms;
	volatile int stop;
};

static void *rb_thread(void *arg)
{
	struct rb_poller *p = arg;
	struct timespec ts = { .tv_sec = p->poll_ms / 1000,
			       .tv_nsec = (long)(p->poll_ms % 1000) * 1000000L };

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		ring_buffer__consume(p->rb);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

struct rb_poller *rb_poller_start(struct bpf_map *ringbuf, rb_sample_fn fn, void *ctx,
				  unsigned int poll_ms)
{
	struct rb_poller *p = xcalloc(1, sizeof(*p));

	p->poll_ms = poll_ms ? poll_ms : 10;
	p->rb = ring_buffer__new(bpf_map__fd(ringbuf), fn, ctx, NULL);
	if (!p->rb) {
		err_msg("ring buffer: %s", strerror(errno));
		free(p);
		return NULL;
	}
	if (pthread_create(&p->thread, NULL, rb_thread, p)) {
		err_msg("ring buffer: cannot start the consumer thread");
		ring_buffer__free(p->rb);
		free(p);
		return NULL;
	}
	return p;
}

void rb_poller_stop(struct rb_poller *p)
{
	if (!p)
		return;
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_join(p->thread, NULL);
	ring_buffer__consume(p->rb);
	ring_buffer__free(p->rb);
	free(p);
}

int bpf_collector_loaded(const struct collector *c, int err)
{
	char ebuf[64];

	if (err) {
		err_msg("%s: load: %s (run with -vv for the verifier log)", c->name,
			bpf_errname(err, ebuf, sizeof(ebuf)));
		return -1;
	}
	bpf_stats_enable(NULL, 0);
	return 0;
}
