/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel health of a run (meta.json sections.health, host/khealth.c):
 * compare leaves out runs whose kernel log showed ITS timeouts, rejected
 * commands, WARN, BUG, lockups or stalls, as it leaves out partial runs.
 */
#ifndef ITSPERF_HEALTH_H
#define ITSPERF_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "result/result_read.h"

/*
 * true if d's health section shows a problem; buf gets why ("ITS queue
 * timeouts 1, WARN 2"). A run without a health section is healthy.
 */
bool run_unhealthy(const struct result_data *d, char *buf, size_t len);

#endif
