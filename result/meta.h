/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A run's metadata (meta.json "meta", results/README.md): what was
 * measured where. run_meta_from_host() fills what the running kernel
 * tells; the kernel-log parsing behind it is exposed for the unit tests.
 */
#ifndef ITSPERF_META_H
#define ITSPERF_META_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

#define RUN_MAX_SWEEP 4

struct run_meta {
	char label[64];		   /* patch revision, e.g. "v2" or "baseline" */
	char kernel_release[128];  /* uname -r */
	char kernel_cmdline[1024]; /* /proc/cmdline */
	char pkvm_mode[32];	   /* protected-hvhe, protected-nvhe, nvhe, vhe, none */
	int gic_version;	   /* 3 or 4 */
	int its_count;
	char cpu_model[128];
	int nr_cpus;
	bool emulated;	   /* QEMU TCG: timings only valid for A/B on the same emulator */
	char suite[32];	   /* quick, full, record, bench, boot */
	int run_index;	   /* n-th run of this label in one invocation */
	uint64_t start_ns; /* CLOCK_REALTIME */
	double duration_s;
	char hostname[64];

	/* added after the first version of this header; all optional, zero = unknown */
	char kernel_version[256]; /* uname -v: the build, e.g. "#1 SMP Debian 6.12.117-1" */
	char arch[16];		  /* uname -m */
	char tool_version[32];	  /* itsperf version; result_run_begin() fills it if empty */
	double offered_rate;	  /* --rate the workload was paced at (cmd/s), 0 = unpaced */
	/*
	 * Swept variables of a sweep run (devices=16, vectors=32): one run per
	 * point; plots and `compare --sweep NAME` put them on the x axis. Set
	 * with run_meta_set_sweep().
	 */
	struct run_sweep {
		char name[32];
		double value;
	} sweep[RUN_MAX_SWEEP];
	int nr_sweep;
	char detect_notes[256]; /* how run_meta_from_host() found mode/GIC/ITS */
	/* the clock of the timings (result/clock.h); kind "" = not filled yet */
	struct run_clock {
		char kind[16]; /* "icount" or "wall" */
		int shift;     /* icount: 2^shift ns per instruction; -1 for wall */
		bool emulated;
	} clock;
};

/* fill the parts of run_meta the running kernel tells (uname, cmdline, mode, GIC, CPUs) */
void run_meta_from_host(struct run_meta *m);
/* the result format's "meta" object */
struct json_object *run_meta_to_json(const struct run_meta *m);

#define MAX_ITS 64

struct log_facts {
	const char *mode; /* "protected-hvhe", ..., NULL if KVM said nothing */
	int gic;	  /* 3, 4 or 0 */
	int nr_its;	  /* distinct ITS@0x... bases */
	unsigned long long its_base[MAX_ITS];
};

void parse_kernel_log(const char *log, struct log_facts *f);

/* the whole kernel log ring (caller frees), NULL if it cannot be read */
char *read_kernel_log(void);

/*
 * The clock a run's timings were taken with, in its metadata:
 * "clock": {"kind": "icount", "shift": N, "emulated": true} or
 * {"kind": "wall", "emulated": true|false}. icount (QEMU -icount) counts
 * executed instructions (path length only); wall is real time, of an
 * emulated CPU or of hardware. Figures of different clocks are never
 * compared (analysis/clock_check.c).
 */
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
