/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cross-check of one run's ITS command counts: the workloads' own count
 * (what they intended), the BPF collector's and the ftrace collector's
 * (what the kernel did), from the run's "counters" section. The standard
 * is equality: a count that disagrees with another source is a finding.
 */
#ifndef ITSPERF_CROSSCHECK_H
#define ITSPERF_CROSSCHECK_H

#include <stdio.h>

struct result_data;
struct json_object;

struct crosscheck_row {
	char cmd[16];
	long long workload;	/* -1: no workload expected this type */
	long long workload_max; /* upper end when the kernel decides part of it */
	long long bpf;		/* -1: source absent from the run */
	long long ftrace;
	long long tracedat;  /* the raw records kept as trace.dat (collector "tracedat") */
	const char *verdict; /* "ok", "MISMATCH", "unexpected", "not comparable" */
};

/*
 * Fill rows (at most max) from a "counters" section; returns the number
 * of rows, and in *mismatches how many disagree.
 */
int crosscheck_counters(struct json_object *counters, struct crosscheck_row *rows, int max,
			int *mismatches);
/* print the table for a run; returns the number of mismatches, -1 if no counts */
int crosscheck_print(const struct result_data *d, FILE *out);
/*
 * Read the result in dir back, as compare will, and print its table:
 * what `itsperf run` and `itsperf record` do after writing one. Returns
 * the number of mismatches, -1 if it does not read back or has no counts.
 */
int crosscheck_dir(const char *dir, FILE *out);

#endif
