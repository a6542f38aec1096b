/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel health per run: the kernel log written while the run lasted is
 * saved with it (files/dmesg.txt), and what a reviewer must not miss is
 * flagged in its "health" section: ITS errors ("ITS queue timeout", "ITS
 * queue not draining"), WARN, BUG/Oops, soft/hard lockups, RCU stalls,
 * hung tasks, boot-time trace setup errors ("Failed to add event"), ITS
 * commands or register writes the reference kernels' EL2 rejected during
 * the run ("itsref: EL2 rejected N ITS commands, refused M ..."), and a
 * taint that appeared during the run.
 *
 *   struct khealth *h = khealth_begin();
 *   ... run ...
 *   khealth_end(h, run);	// saves dmesg.txt, adds "health"
 *   khealth_free(h);
 */
#ifndef ITSPERF_KHEALTH_H
#define ITSPERF_KHEALTH_H

#include <stdbool.h>
#include <stdint.h>

struct result_run;
struct json_object;

#define KHEALTH_MAX_LINES 64

struct khealth_findings {
	int its_queue_timeout;
	int its_queue_not_draining;
	int warn;
	int bug;    /* BUG:, Oops, kernel BUG at, Internal error */
	int lockup; /* soft lockup, hard LOCKUP */
	int rcu_stall;
	int hung_task;
	int trace_setup; /* "Failed to add event" and friends */
	/* the reference kernels' "itsref: EL2 rejected N ..." lines: growth in the run */
	bool el2_stats_seen;
	uint64_t el2_rejected_base;
	uint64_t el2_refused_base;
	uint64_t el2_rejected; /* ITS commands EL2 rejected during the run */
	uint64_t el2_refused;  /* GITS_CTLR/CBASER/BASER writes EL2 refused */
	int nr_lines;	       /* flagged lines kept (at most KHEALTH_MAX_LINES) */
	char *lines[KHEALTH_MAX_LINES];
	int dropped_lines;
};

/* classify one log line (without the "[   1.234]" prefix or with it) */
void khealth_scan_line(struct khealth_findings *f, const char *line);
int khealth_problems(const struct khealth_findings *f);
struct json_object *khealth_json(const struct khealth_findings *f);
void khealth_findings_free(struct khealth_findings *f);

struct khealth;

/* remember where the kernel log is now (and the taint) */
struct khealth *khealth_begin(void);
/* the whole log since boot: for boot-collect */
struct khealth *khealth_begin_boot(void);
/*
 * Read the log written since begin, attach it as dmesg.txt, add the
 * "health" section. Returns the number of problems found (0: healthy), -1
 * if the log could not be read (the section then says so).
 */
int khealth_end(struct khealth *h, struct result_run *r);
void khealth_free(struct khealth *h);

#endif
