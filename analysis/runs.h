/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading sets of runs for report, compare and plot: command-line
 * arguments are run folders or folders of runs; runs are grouped by
 * (argument, label), so that an A/A comparison of two folders holding the
 * same label still gives two groups.
 */
#ifndef ITSPERF_RUNS_H
#define ITSPERF_RUNS_H

#include <stdbool.h>

#include "result/result_read.h"

struct run_group {
	char *label;  /* meta.label */
	char *name;   /* display name: the label, or "label@arg" when ambiguous */
	char *origin; /* the argument the runs came from */
	int arg_index;
	struct result_data **runs;
	int nr_runs;
};

struct run_set {
	struct run_group *groups;
	int nr_groups;
	int nr_runs;
	int skipped_partial;
	int skipped_unhealthy;
};

struct run_set_opts {
	unsigned int read_flags; /* RESULT_READ_SAMPLES for exact quantiles */
	bool include_partial;	 /* partial runs are left out unless asked */
	bool merge_args;	 /* group by label only, across arguments */
	bool skip_unhealthy;	 /* leave out runs whose kernel health shows problems */
};

/* -1 on any unreadable run (the reader printed why): the caller exits 2 */
int run_set_load(struct run_set *s, char **paths, int n, const struct run_set_opts *o);
void run_set_free(struct run_set *s);

/* the union of metric names over all runs, ordered by area then name */
struct metric_ref {
	const char *name;
	const char *area;
	const char *unit;
	enum metric_kind kind;
	bool is_value; /* a single value per run */
};
int run_set_metrics(const struct run_set *s, struct metric_ref **out);

/*
 * The x value of a run for the rate and sweep views: its swept variable
 * sweep (meta.sweep), or with sweep NULL its offered rate; an unpaced run
 * (rate 0) is x = 0 if unpaced_is_zero, else NaN. NaN: the run has none.
 */
double run_x(const struct result_data *d, const char *sweep, bool unpaced_is_zero);
/* the distinct x values of the runs of s, ascending; returns how many (*out malloc'ed) */
int run_set_x_values(const struct run_set *s, const char *sweep, bool unpaced_is_zero,
		     double **out);

/* area display order: cmd_latency, lock_hold, hvc_path, deprivilege_window, throughput, count, others */
int area_rank(const char *area);
/* the name below its area heading: "cmd_latency.total.MOVI" -> "total.MOVI" */
const char *metric_short_name(const char *name);
/* the same, but only when the first level is the area (else the whole name) */
const char *metric_short_name_in(const char *name, const char *area);

enum run_stat {
	STAT_P50,
	STAT_P99,
	STAT_MEAN,
	STAT_MAX,
};
const char *run_stat_name(enum run_stat st);
/*
 * The per-run values of one metric in a group (one per run that has the
 * metric; a value metric gives its value for every stat). Returns how many.
 */
int group_stat(const struct run_group *g, const char *metric, enum run_stat st, double *out);

/* "12.3 us" style: scale ns to us/ms/s, keep 3-4 significant digits */
void fmt_value(char *buf, size_t len, double v, const char *unit);

#endif
