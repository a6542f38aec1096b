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

#include "result/hist.h"
#include "result/meta.h"
#include "result/metrics.h"

struct json_object;

#define RESULT_FORMAT_VERSION 1

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

/* set (or replace) a swept variable; -1 if the name is invalid or the table is full */
int run_meta_set_sweep(struct run_meta *m, const char *name, double value);

/* metric names: [A-Za-z0-9_.:+@-], 1..200 characters, no leading '.' */
bool result_metric_name_valid(const char *name);
/* already added to this run (a second collector measuring the same thing adds "name:source") */
bool result_has_metric(const struct result_run *r, const char *name);

#endif
