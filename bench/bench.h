/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ITS command and MSI workload generators.
 *
 * Each workload issues real ITS commands (or MSIs, or hypercalls) on the
 * running kernel and says exactly how many of each command type it
 * intended, so that the BPF and ftrace collectors' counts can be checked
 * against it. What triggers which command is in ../shared/PLATFORM.md and
 * next to each workload.
 *
 * `itsperf bench WORKLOAD [options]` is the command line; `itsperf run`
 * drives the same workloads in-process through bench_workload_run().
 *
 * Every change to the host (an IRQ affinity, a driver binding) is written
 * to an on-disk journal (journal.c) BEFORE it is made, and undone on normal
 * exit, on SIGINT/SIGTERM, and by `itsperf bench restore` after a SIGKILL.
 */
#ifndef ITSPERF_BENCH_H
#define ITSPERF_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result/result.h"

struct json_object;

#define BENCH_MAX_CPUS	  1024
#define BENCH_MAX_DEVICES 256
#define BENCH_MAX_IRQS	  2048 /* 32 devices x 64 vectors */
#define BENCH_MAX_METRICS 8

#include "lib/its_cmd.h"

/*
 * Phases of a run: a collector attached around the whole invocation sees
 * all of them; "run" is what the workload was asked for (--ops/--duration).
 */
enum bench_phase {
	BENCH_PHASE_SETUP, /* e.g. vPE mapping when the VM is created */
	BENCH_PHASE_RUN,
	BENCH_PHASE_RESTORE, /* undoing the changes, VM teardown */
	NR_BENCH_PHASES,
};

struct bench_opts {
	/* stop conditions: whichever comes first; neither given -> the workload's default */
	uint64_t duration_ns; /* --duration, 0 = not given */
	uint64_t ops;	      /* --ops, 0 = not given */
	uint64_t timeout_ns;  /* --timeout: hard cap on the run, 0 = default */
	double rate;	      /* --rate ops/s, 0 = flat out */
	uint64_t cpus[BENCH_MAX_CPUS / 64];
	int nr_cpus;	       /* --cpus, 0 = all online */
	const char *json_path; /* --json FILE, "-" = stdout */
	bool quiet;	       /* no human summary */
	bool force;	       /* --force: device guard overridden */

	/* workload specific */
	const char *devices[BENCH_MAX_DEVICES]; /* rebind: BDFs, msi: one block device */
	int nr_devices;
	int irqs[BENCH_MAX_IRQS]; /* affinity: --irq, restrict to these */
	int nr_irqs;
	int vcpus;		 /* vcpu: number of vCPUs (default 1) */
	uint64_t move_every;	 /* vcpu: re-pin each vCPU thread to the next CPU every N exits */
	bool write;		 /* msi: --write (destructive) */
	unsigned int qd;	 /* msi: queue depth (default 32) */
	unsigned int bs;	 /* msi: block size (default 4096) */
	const char *module_path; /* hvc: --module */
	int jobs;		 /* worker threads where a workload supports it (default 1) */
	int vectors;		 /* inv: MSI-X vectors to enable per device (0: all) */
	bool all_devices;	 /* rebind --device all: every device the guard allows */
	int pressure;		 /* --pressure 1, --no-pressure 0, default -1: on with --jobs > 1 */
	bool list_only;		 /* rebind --list: resolve the devices, touch nothing */
};

struct bench_metric {
	const char *name; /* "kvm_run_roundtrip", "io_latency" */
	const char *unit; /* "ns" */
	const char *desc;
	struct hist hist;  /* HIST_LOG2 of the samples */
	uint64_t *samples; /* raw samples (bounded, see bench.c) */
	size_t nr_samples;
	size_t cap_samples;
	uint64_t dropped; /* samples past the cap: only in the histogram */
};

/*
 * The outcome of one workload run. summary is the JSON written by --json
 * (documented in bench/README.md); metrics carry the latency
 * distributions for result_add_metric().
 */
struct bench_result {
	struct json_object *summary;
	struct bench_metric metrics[BENCH_MAX_METRICS];
	int nr_metrics;
	/*
	 * expected: what the workload caused for certain (the minimum). Some
	 * counts depend on kernel choices userspace cannot see (a vCPU thread
	 * rescheduled inside KVM_RUN, least-loaded CPU picks): up to extra more
	 * may come; "uncertain_commands" in the summary says why.
	 */
	struct its_cmd_counts expected[NR_BENCH_PHASES];
	struct its_cmd_counts extra[NR_BENCH_PHASES];
	struct its_cmd_counts total;	 /* sum of expected over phases */
	struct its_cmd_counts total_max; /* total + every extra */
	uint64_t ops;
	double duration_s;
	bool partial; /* stopped early by a signal, an error or the time cap */
};

void bench_opts_init(struct bench_opts *o);
/*
 * Parse WORKLOAD [options] (argv[0] is the workload name). Returns 0, or
 * EXIT_USAGE after printing a clear error. Options a workload does not
 * take are errors.
 */
int bench_parse_args(int argc, char **argv, struct bench_opts *o, const char **workload);
/* `itsperf bench` usage, and `itsperf bench list`: one line per workload */
void bench_usage(FILE *f);
void bench_list(FILE *f);
/* `itsperf bench restore [--force] [--dry-run]`: undo what a killed run left (bench/journal.c) */
int bench_restore_main(int argc, char **argv);

/*
 * Run one workload in this process: the host is restored before return.
 * *summary (if summary != NULL) gets the JSON summary, also on failure once
 * the workload started (partial). Returns EXIT_OK, EXIT_FAIL (the workload
 * failed or did nothing) or EXIT_USAGE (bad options for this host/workload).
 */
int bench_workload_run(const char *name, const struct bench_opts *o, struct json_object **summary);
/* the same, keeping the distributions; free with bench_result_free() */
int bench_workload_run_ex(const char *name, const struct bench_opts *o, struct bench_result *res);
void bench_result_free(struct bench_result *res);

/* workload names, NULL-terminated */
extern const char *const bench_workload_names[];
bool bench_workload_exists(const char *name);
/* the online CPUs into mask; returns how many, or -1 */
int host_online_cpus(uint64_t *mask, int nbits);

int cmd_bench(int argc, char **argv);

#endif
