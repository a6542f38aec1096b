/* SPDX-License-Identifier: GPL-2.0 */
/*
 * itsperf run --sweep NAME=V1,V2,...: one run per value of a variable the
 * run changes on this host, the value recorded in meta.sweep.NAME so that
 * `itsperf plot` and `itsperf compare --sweep NAME` put it on the x axis.
 *
 *   devices  the workloads touch the first V devices of those the rebind
 *            workload may cycle (--device all, or the --device list), in
 *            sysfs order: rebind cycles each of them once, affinity moves
 *            only their vectors. Every other device stays mapped in the
 *            ITS: for the number of devices *present*, boot one host per
 *            value instead (scripts/sweep.sh, itsperf vm --devices V).
 *   vectors  affinity moves only MSI/MSI-X vectors 0..V-1 of each device
 *            (how many a driver allocates on bind is its own choice).
 *   cpus     affinity and rebind run V threads at once (--jobs V), each
 *            pinned to its own CPU: V CPUs in its_send_single_command.
 *   rate     the offered rate of the paced workloads (as --rate).
 */
#ifndef ITSPERF_RUN_SWEEP_H
#define ITSPERF_RUN_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/bench.h"

#define SWEEP_MAX_POINTS 32

enum sweep_var {
	SWEEP_NONE,
	SWEEP_DEVICES,
	SWEEP_VECTORS,
	SWEEP_CPUS,
	SWEEP_RATE,
};

struct sweep_plan {
	enum sweep_var var;
	const char *name; /* "devices", as in meta.sweep */
	double values[SWEEP_MAX_POINTS];
	int nr_values;
	/* set by sweep_resolve() from the host */
	char (*bdfs)[16]; /* devices: the rebind workload's devices, in order */
	int nr_bdfs;
	int nr_cpus; /* cpus: how many are online */
};

/* "devices=1,4,16": 0, or -1 with a message in err */
int sweep_parse(struct sweep_plan *p, const char *arg, char *err, size_t len);
/*
 * Check every point can be run here before anything runs: devices needs
 * as many devices as the largest value (asked of the rebind workload
 * with --list, which changes nothing), cpus as many online CPUs. Returns
 * EXIT_OK or EXIT_USAGE after a message saying what the host lacks.
 */
int sweep_resolve(struct sweep_plan *p, const char *const *devices, int nr_devices);
/* point's options for one workload of the suite */
void sweep_apply(const struct sweep_plan *p, int point, const char *workload,
		 struct bench_opts *bo);
void sweep_free(struct sweep_plan *p);

#endif
