// SPDX-License-Identifier: GPL-2.0
/*
 * No mixed clocks: icount figures (path length) against wall-clock ones,
 * or emulated against hardware, compare nothing real. compare refuses
 * such a set (exit 2) unless --force, naming both sides.
 */
#include <stdio.h>
#include <json-c/json.h>

#include "result/meta.h"
#include "result/result_read.h"
#include "analysis/clock_check.h"
#include "lib/util.h"

int run_set_clock_check(const struct run_set *s, bool force)
{
	const struct run_group *g0;
	const struct run_meta *m0;
	int g;
	int i;

	if (!s->nr_groups || !s->groups[0].nr_runs)
		return 0;
	g0 = &s->groups[0];
	m0 = &g0->runs[0]->meta;
	for (g = 0; g < s->nr_groups; g++) {
		const struct run_group *grp = &s->groups[g];

		for (i = 0; i < grp->nr_runs; i++) {
			const struct run_meta *m = &grp->runs[i]->meta;
			char a[64];
			char b[64];

			if (run_clock_same(m0, m))
				continue;
			run_clock_str(m0, a, sizeof(a));
			run_clock_str(m, b, sizeof(b));
			if (force) {
				warn_msg("mixed clocks (--force): %s (%s, %s) against %s (%s, %s)",
					 g0->name, a, g0->origin, grp->name, b, grp->origin);
				return 0;
			}
			err_msg("mixed clocks: %s is %s (%s), %s is %s (%s): their timings "
				"cannot be compared (--force to do it anyway)",
				g0->name, a, g0->origin, grp->name, b, grp->origin);
			return -1;
		}
	}
	return 0;
}

/* the run measured cmd_latency totals and says whether the probe cost is out */
static bool has_total(const struct result_data *d)
{
	int i;

	for (i = 0; i < d->nr_metrics; i++)
		if (str_starts(d->metrics[i].name, "cmd_latency.total."))
			return true;
	return false;
}

static bool corrected(const struct result_data *d)
{
	return d->sections && json_object_object_get_ex(d->sections, "calibration", NULL);
}

int run_set_correction_check(const struct run_set *s, bool force)
{
	const struct result_data *first = NULL;
	const struct run_group *g0 = NULL;
	int g;
	int i;

	for (g = 0; g < s->nr_groups; g++) {
		const struct run_group *grp = &s->groups[g];

		for (i = 0; i < grp->nr_runs; i++) {
			const struct result_data *d = grp->runs[i];

			if (!has_total(d))
				continue;
			if (!first) {
				first = d;
				g0 = grp;
				continue;
			}
			if (corrected(first) == corrected(d))
				continue;
			if (force) {
				warn_msg("mixed probe-cost correction (--force): %s against %s",
					 g0->name, grp->name);
				return 0;
			}
			err_msg("%s's cmd_latency totals are %s, %s's %s: not comparable "
				"(itsperf run/record --no-calibrate or --calibration on both; "
				"--force to compare anyway)",
				g0->name,
				corrected(first) ? "corrected for the probe cost" : "as measured",
				grp->name, corrected(d) ? "corrected" : "as measured");
			return -1;
		}
	}
	return 0;
}
