/* SPDX-License-Identifier: GPL-2.0 */
/* Throughput and latency against the offered load or a swept variable (report and compare). */
#ifndef ITSPERF_THROUGHPUT_H
#define ITSPERF_THROUGHPUT_H

#include <stdio.h>

#include "analysis/format.h"

struct run_set;
struct compare_opts;

/*
 * Staging vs direct throughput: commands/s (throughput.* metrics) and
 * per-command latency (cmd_latency.total.*) against the offered rate
 * (meta.offered_rate) or a swept variable (meta.sweep.NAME), one column per
 * group. With co (compare), each later group is set against the first with
 * the ratio of medians and a rank-test p-value per point.
 */
int throughput_view(FILE *f, const struct run_set *s, const char *sweep, enum out_format fmt,
		    const struct compare_opts *co);

#endif
