/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The logical-probe table shared by bpf/ and trace/.
 *
 * A logical probe names *what* is measured ("cmd_send": one ITS command sent
 * through the host driver); its candidate symbols say *where*, in order of
 * preference. The ITS series renames functions between revisions
 * (its_start_depriviledge in v1, its_start_deprivilege in v2; shadow,
 * staging, proxy), so a probe resolves to the first candidate present in
 * the running kernel's kallsyms and the same itsperf binary works on v1,
 * v2 and an unpatched kernel. A probe with no candidate present is
 * "absent on this kernel", never an error.
 */
#ifndef ITSPERF_PROBES_H
#define ITSPERF_PROBES_H

#include <stdbool.h>

#include "lib/ksyms.h"

#define PROBE_MAX_CANDIDATES 8
#define PROBE_OVERRIDE_ENV   "ITSPERF_PROBE_OVERRIDE"

enum probe_area {
	AREA_CMD,    /* ITS command send path (cmd_latency) */
	AREA_LOCK,   /* its->lock / its_lock hold (lock_hold) */
	AREA_HVC,    /* host functions issuing hypercalls (hvc_path) */
	AREA_DEPRIV, /* deprivilege step, boot time only (deprivilege_window) */
	AREA_IRQ,    /* irq domain / affinity paths feeding commands */
	NR_AREAS,
};

/* flags */
#define PROBE_RET	(1u << 0) /* entry and return both wanted (durations) */
#define PROBE_BOOT_ONLY (1u << 1) /* __init code: only boot-time tracing sees it */
#define PROBE_SERIES	(1u << 2) /* added by the ITS hardening series: absent upstream */
#define PROBE_OPTIONAL	(1u << 3) /* may legitimately be inlined on some kernels */

struct logical_probe {
	const char *name; /* "cmd_send" */
	enum probe_area area;
	unsigned int flags;
	const char *candidates[PROBE_MAX_CANDIDATES];
	/*
	 * kprobe_events fetch-args for the entry probe, arm64 register names
	 * (the probed functions are only interesting on arm64); NULL: none.
	 */
	const char *fetchargs_arm64;
	const char *desc;
};

struct probe_resolution {
	const struct logical_probe *probe;
	const char *symbol; /* NULL: absent on this kernel */
	int candidate;	    /* index into candidates, -1 absent */
	unsigned long long addr;
	bool overridden; /* put on symbol by $ITSPERF_PROBE_OVERRIDE (calibration) */
};

extern const struct logical_probe logical_probes[];
extern const int nr_logical_probes;

const char *probe_area_name(enum probe_area a);
const struct logical_probe *probe_find(const char *name);
/* resolve against ks (exact name, then a gcc clone such as name.isra.0) */
int probe_resolve(const struct logical_probe *p, const struct ksyms *ks,
		  struct probe_resolution *res);
/* resolve every logical probe; res must hold nr_logical_probes entries */
int probe_resolve_all(const struct ksyms *ks, struct probe_resolution *res);

#endif
