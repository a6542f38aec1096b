/* SPDX-License-Identifier: GPL-2.0 */
/* Output formats and views shared by report and compare. */
#ifndef ITSPERF_REPORT_H
#define ITSPERF_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct run_set;
struct compare_opts;

enum out_format {
	FMT_TEXT,
	FMT_JSON,
	FMT_CSV,
	FMT_MARKDOWN,
	FMT_EMAIL, /* compare only: 72 columns, for a cover letter */
};

int parse_format(const char *s, enum out_format *f, bool email_ok);

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
