/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe-cost calibration of the command latency (itsperf calibrate, and
 * itsperf record before it records): how much of a measured
 * cmd_latency.total is the probes' own cost, per source (bpf, ftrace).
 */
#ifndef ITSPERF_CALIBRATE_H
#define ITSPERF_CALIBRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/collector.h"

struct json_object;
struct session;

/*
 * Calibrate the collectors s selects: sub-runs of `itsperf record` in
 * work_dir (kept). Fills corr and returns the "calibration" section, or
 * NULL with a message when the selection has no cmd_latency source or a
 * sub-run failed.
 */
struct json_object *calibrate_session(const struct session *s, uint64_t ops, const char *work_dir,
				      struct probe_cost_correction *corr);
/* read a calibration written by `itsperf calibrate -o FILE`; 0 or -1 with a message */
int calibrate_load(const char *path, struct probe_cost_correction *corr,
		   struct json_object **section);

/*
 * What record and run do before they measure: the correction from file
 * (--calibration), else a calibration in work_dir (removed after), unless
 * off (--no-calibrate) or no cmd_latency source is selected. Sets s's
 * collector options and *section (NULL: totals as measured; a failed
 * calibration is a warning). -1 only for an unreadable file.
 */
int calibrate_before(struct session *s, bool off, const char *file, uint64_t ops,
		     const char *work_dir, struct json_object **section);
/* the calibration as a table */
void calibrate_print(FILE *f, struct json_object *cal);

#endif
