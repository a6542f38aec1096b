/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf_event_open counters per workload phase, per CPU and in total, like
 * `perf stat -a -A`: cycles and instructions (and the same with exclude_hv
 * set, so that the EL2 share is the difference where the PMU and the kernel
 * count EL2 for the host), cpu-clock, context-switches, cpu-migrations,
 * page-faults, and optional tracepoint counts (PERF_TYPE_TRACEPOINT, id from
 * tracefs) with an optional filter.
 *
 * Counters the PMU or kernel lacks are kept as "not supported" with the
 * reason; everything else still counts. Multiplexed counters are scaled by
 * time_enabled / time_running and marked as such.
 *
 *	struct counters cs;
 *
 *	counters_open(&cs, "affinity", NULL, 0);	// all online CPUs
 *	counters_add_tracepoint(&cs, "irq:irq_handler_entry", NULL);
 *	counters_start(&cs);
 *	... the phase ...
 *	counters_stop(&cs);
 *	json_object_object_add(section, "affinity", counters_to_json(&cs));
 *	counters_close(&cs);
 *	result_add_section(run, COUNTERS_SECTION, section);
 *
 * The section is {"<phase>": <counters_to_json()>, ...}; counters_print()
 * prints one phase as perf-stat-like lines, with the variance across runs
 * when given the same phase of several runs.
 */
#ifndef ITSPERF_COUNTERS_H
#define ITSPERF_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

/* the result section (not "counters": that one holds cross-source event counts) */
#define COUNTERS_SECTION "perf_counters"

enum counter_status {
	COUNTER_OK,
	COUNTER_NOT_SUPPORTED, /* no PMU, event not implemented, kernel without it */
	COUNTER_NOT_PERMITTED, /* perf_event_paranoid / capabilities */
	COUNTER_FAILED,	       /* anything else: see reason */
};

struct counter_cpu {
	int cpu;
	int fd;		  /* -1: not open on this CPU */
	uint64_t raw;	  /* as read */
	uint64_t enabled; /* time_enabled, ns */
	uint64_t running; /* time_running, ns */
	double value;	  /* raw scaled by enabled / running */
};

struct counter {
	char name[96];	  /* "cycles", "cycles:exclude_hv", "syscalls:sys_enter_getpid" */
	const char *kind; /* "hardware", "software", "tracepoint" */
	const char *unit; /* "cycles", "instructions", "msec", "events" */
	uint32_t type;	  /* PERF_TYPE_* */
	uint64_t config;
	bool exclude_hv;
	char *filter; /* tracepoints only */
	enum counter_status status;
	char reason[160]; /* why not supported / failed */
	struct counter_cpu *per_cpu;
	double total;	  /* sum of the scaled per-CPU values */
	bool scaled;	  /* multiplexed: some CPU ran < 100% of the time */
	bool not_counted; /* open but never scheduled on the PMU */
};

struct counters {
	char phase[64];
	int nr_cpus;
	int *cpus;
	struct counter *c;
	int nr;
	uint64_t start_ns; /* CLOCK_MONOTONIC */
	uint64_t duration_ns;
	bool running;
	/* EL2 share: cycles - cycles:exclude_hv, when it means something */
	bool el2_split;
	char el2_note[256];
	char host_el[64]; /* how the host kernel runs: "EL1 (protected hVHE)", ... */
};

/*
 * Open the standard set for phase on the CPUs of cpumask (NULL: all online
 * CPUs). Returns the number of counters that opened; 0 is not an error (a
 * machine without PMU and perf), -1 only on bad arguments.
 */
int counters_open(struct counters *cs, const char *phase, const uint64_t *cpumask, int nbits);
/*
 * Add a tracepoint count ("system:event"), with an optional tracepoint
 * filter ("common_pid == 42"); after counters_open, before counters_start.
 * Returns 0, or -1 if the tracepoint does not exist or could not be opened
 * (then it stays listed as not supported).
 */
int counters_add_tracepoint(struct counters *cs, const char *sys_event, const char *filter);
/*
 * Add any other perf event (PERF_TYPE_HARDWARE/SOFTWARE/RAW + config) under
 * name; after counters_open, before counters_start. Returns 0 or -1 (kept
 * as not supported / failed with the reason).
 */
int counters_add_event(struct counters *cs, const char *name, uint32_t type, uint64_t config,
		       bool exclude_hv);
int counters_start(struct counters *cs);
/* disable and read; derives the EL2 split */
int counters_stop(struct counters *cs);
void counters_close(struct counters *cs);

const struct counter *counters_find(const struct counters *cs, const char *name);
/* total of a counter, or -1 if not supported / not counted */
double counters_total(const struct counters *cs, const char *name);

/* raw * time_enabled / time_running (0 if it never ran), as perf scales */
double counter_scale(uint64_t raw, uint64_t enabled, uint64_t running);

/* one phase as JSON (see results: section COUNTERS_SECTION) */
struct json_object *counters_to_json(const struct counters *cs);

/*
 * perf-stat-like lines for one phase: value, unit, rate ("GHz", "insn per
 * cycle", "K/sec", "% of cycles at EL2"), "<not supported>" with the
 * reason. across_runs: a JSON array of the same phase's objects from
 * several runs (this one included) or NULL; with two or more, the mean is
 * printed with "( +- x% )", the standard error of the mean relative to it,
 * as perf stat -r does. Returns 0, or -1 if phase is not a counters object.
 */
int counters_print(FILE *f, struct json_object *phase, struct json_object *across_runs);
/*
 * Every phase of a COUNTERS_SECTION section; runs: the same section of the
 * runs to summarize (this one included, NULL entries skipped), nr_runs 0
 * for this run alone. What `itsperf report` calls. Returns the number of
 * phases printed, -1 if section is not an object.
 */
int counters_print_section(FILE *f, struct json_object *section, struct json_object *const *runs,
			   int nr_runs);

#endif
