/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clock a run's timings were taken with, in its metadata:
 * "clock": {"kind": "icount", "shift": N, "emulated": true} or
 * {"kind": "wall", "emulated": true|false}. icount (QEMU -icount) counts
 * executed instructions (path length only); wall is real time, of an
 * emulated CPU or of hardware. Figures of different clocks are never
 * compared (analysis/clock_check.c).
 */
#ifndef ITSPERF_CLOCK_H
#define ITSPERF_CLOCK_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct run_meta;

/*
 * From the kernel command line (itsperf.clock=icount:N|wall, put there by
 * itsperf vm --clock) and meta->emulated: no such argument means wall.
 */
void run_clock_from_meta(struct run_meta *m);
/* the "clock" object of meta.json */
struct json_object *run_clock_to_json(const struct run_meta *m);
/*
 * Read a "clock" object (NULL: absent, an old result: wall, emulated as
 * meta.emulated). Returns -1 with a message in err on an invalid one.
 */
int run_clock_from_json(struct run_meta *m, struct json_object *o, char *err, size_t len);
/* "icount shift=0, emulated", "wall, emulated", "wall, hardware" */
const char *run_clock_str(const struct run_meta *m, char *buf, size_t len);
/* same kind, same shift, both emulated or both hardware */
bool run_clock_same(const struct run_meta *a, const struct run_meta *b);

#endif
