/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Result format: writing side. Every producer (collectors, workloads,
 * boot-collect, run) writes through this API; analysis/ reads it back.
 * The on-disk layout is documented in results/README.md and versioned by
 * RESULT_FORMAT_VERSION.
 *
 * A run is written into "<dir>.tmp-<pid>" and renamed to <dir> by
 * result_run_end(): a reader never sees half a run. A run cut short
 * (SIGINT, workload failure) is still ended, with partial = true, and
 * keeps everything measured up to then.
 */
#ifndef ITSPERF_RESULT_H
#define ITSPERF_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define RESULT_FORMAT_VERSION 1
#define RUN_MAX_SWEEP	      4

struct run_meta {
	char label[64];		   /* patch revision, e.g. "v2" or "baseline" */
	char kernel_release[128];  /* uname -r */
	char kernel_cmdline[1024]; /* /proc/cmdline */
	char pkvm_mode[32];	   /* protected-hvhe, protected-nvhe, nvhe, vhe, none */
	int gic_version;	   /* 3 or 4 */
	int its_count;
	char cpu_model[128];
	int nr_cpus;
	bool emulated;	   /* QEMU TCG: timings only valid for A/B on the same emulator */
	char suite[32];	   /* quick, full, record, bench, boot */
	int run_index;	   /* n-th run of this label in one invocation */
	uint64_t start_ns; /* CLOCK_REALTIME */
	double duration_s;
	char hostname[64];

	/* added after the first version of this header; all optional, zero = unknown */
	char kernel_version[256]; /* uname -v: the build, e.g. "#1 SMP Debian 6.12.117-1" */
	char arch[16];		  /* uname -m */
	char tool_version[32];	  /* itsperf version; result_run_begin() fills it if empty */
	double offered_rate;	  /* --rate the workload was paced at (cmd/s), 0 = unpaced */
	/*
	 * Swept variables of a sweep run (devices=16, vectors=32): one run per
	 * point; plots and `compare --sweep NAME` put them on the x axis. Set
	 * with run_meta_set_sweep().
	 */
	struct run_sweep {
		char name[32];
		double value;
	} sweep[RUN_MAX_SWEEP];
	int nr_sweep;
	char detect_notes[256]; /* how run_meta_from_host() found mode/GIC/ITS */
	/* the clock of the timings (analysis/clock.h); kind "" = not filled yet */
	struct run_clock {
		char kind[16]; /* "icount" or "wall" */
		int shift;     /* icount: 2^shift ns per instruction; -1 for wall */
		bool emulated;
	} clock;
};

enum metric_kind {
	METRIC_LATENCY,	   /* a duration distribution, lower is better */
	METRIC_THROUGHPUT, /* a rate, higher is better */
	METRIC_COUNT,	   /* an event count, no better direction */
};

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

struct metric_desc {
	const char *name; /* "cmd_latency.total.MOVI", "lock_hold.its_lock" */
	const char
		*area; /* cmd_latency, lock_hold, hvc_path, deprivilege_window, throughput, ... */
	const char *unit; /* "ns", "cmd/s", "events" */
	enum metric_kind kind;
	const char *source; /* "bpf", "ftrace", "bench", "boot" */
	const char *desc;
	const char *error_bound; /* measuring method and its error bound, or NULL */
};

struct result_run;

struct result_run *result_run_begin(const char *dir, const struct run_meta *meta);
/* a distribution: histogram and/or raw samples (either may be NULL / 0) */
int result_add_metric(struct result_run *r, const struct metric_desc *d, const struct hist *h,
		      const uint64_t *samples, size_t nr_samples);
/* a single value for this run (a rate, a count) */
int result_add_value(struct result_run *r, const struct metric_desc *d, double value);
/*
 * A free-form JSON section: "workloads", "overhead", "health", "probes",
 * "counters", "env". Takes ownership of obj. Sections with the same name
 * from several producers are merged (objects) or appended (arrays).
 */
int result_add_section(struct result_run *r, const char *section, struct json_object *obj);
/* an attached file (dmesg.txt, trace.dat, console.log), copied into the run */
int result_add_file(struct result_run *r, const char *name, const char *src_path);
int result_add_file_data(struct result_run *r, const char *name, const void *buf, size_t len);
/* path of the run's directory while it is being written (for large attachments) */
const char *result_run_dir(const struct result_run *r);
int result_run_end(struct result_run *r, bool partial);
void result_run_abort(struct result_run *r);

/* fill the parts of run_meta the running kernel tells (uname, cmdline, mode, GIC, CPUs) */
void run_meta_from_host(struct run_meta *m);
/* set (or replace) a swept variable; -1 if the name is invalid or the table is full */
int run_meta_set_sweep(struct run_meta *m, const char *name, double value);

/* metric names: [A-Za-z0-9_.:+@-], 1..200 characters, no leading '.' */
bool result_metric_name_valid(const char *name);
/* already added to this run (a second collector measuring the same thing adds "name:source") */
bool result_has_metric(const struct result_run *r, const char *name);
const char *metric_kind_name(enum metric_kind k); /* "latency", "throughput", "count" */

/* histogram helpers shared by the collectors */
void hist_init(struct hist *h, enum hist_type type, int nr_buckets, uint64_t width);
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
void hist_free(struct hist *h);
/* lower bound of bucket i and upper bound (exclusive) */
uint64_t hist_bucket_lo(const struct hist *h, int i);
uint64_t hist_bucket_hi(const struct hist *h, int i);

#endif
