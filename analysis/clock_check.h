/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ITSPERF_CLOCK_CHECK_H
#define ITSPERF_CLOCK_CHECK_H

#include <stdbool.h>

#include "analysis/runs.h"

/*
 * 0 if every run of s has the clock of the first baseline run (kind, shift,
 * emulated or hardware); else -1 with a message naming both sides. With
 * force, a warning and 0.
 */
int run_set_clock_check(const struct run_set *s, bool force);

/*
 * The same for the probe-cost correction (commands/calibrate.c): runs with
 * a "calibration" section against runs without, on cmd_latency totals.
 */
int run_set_correction_check(const struct run_set *s, bool force);

#endif
