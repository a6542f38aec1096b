/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector interface: what `itsperf record` and `itsperf run` drive.
 * One struct collector per measurement (bpf:cmd_latency, bpf:lock_hold,
 * bpf:hvc_path, ftrace, ...). A collector that cannot attach a probe says
 * so per probe in its report and goes on with the rest; only a collector
 * that can measure nothing at all fails init().
 */
#ifndef ITSPERF_COLLECTOR_H
#define ITSPERF_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>

struct ksyms;
struct probe_resolution;
struct result_run;

/*
 * What a calibration (commands/calibrate.c) found the probes add to one
 * ITS command's measured total, per source; the collectors subtract it
 * from cmd_latency.total and keep the measured value as total_raw.
 */
struct probe_cost_correction {
	bool valid;
	double bpf_ns;	  /* bpf:cmd_latency */
	double ftrace_ns; /* ftrace (cmd_latency.total.<CMD>:ftrace) */
};

struct collector_opts {
	const struct ksyms *ks;		       /* running kernel's kallsyms */
	const struct probe_resolution *probes; /* nr_logical_probes entries */
	bool raw_samples;		       /* keep per-event samples too */
	const char *work_dir;		       /* scratch space for raw captures */
	struct probe_cost_correction cost;     /* !valid: totals as measured */
};

/* per-probe attach outcome, reported by `itsperf probes` and stored with results */
struct probe_status {
	const char *probe;     /* logical probe name */
	const char *symbol;    /* resolved symbol or NULL */
	const char *mechanism; /* "fentry", "kprobe", "tp_btf", "kprobe_event+hist", ... */
	const char *note;      /* "absent on this kernel", "fentry -524, fell back to kprobe" */
	bool attached;
};

struct collector {
	const char *name; /* as given to -e: "bpf:cmd_latency", "ftrace" */
	const char *desc;
	int (*init)(struct collector *c, const struct collector_opts *o);
	int (*start)(struct collector *c);
	int (*stop)(struct collector *c);
	/* write metrics and sections (incl. "probes" status and "overhead") */
	int (*emit)(struct collector *c, struct result_run *r);
	void (*destroy)(struct collector *c);
	/* filled by init: what got attached where */
	struct probe_status *status;
	int nr_status;
	void *priv;
};

/* free the per-probe status array filled by init (from destroy) */
void collector_status_reset(struct collector *c);

/*
 * Registry: each collector file registers itself with a constructor so
 * that adding a collector touches no central list.
 */
void collector_register(struct collector *c);
struct collector *collector_find(const char *name);
int collector_count(void);
struct collector *collector_at(int i);

#define COLLECTOR_REGISTER(c)                                       \
	static void __attribute__((constructor)) register_##c(void) \
	{                                                           \
		collector_register(&c);                             \
	}

#endif
