/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared tracefs helpers for trace/ (rtla style: one place that knows the
 * tracefs layout, libtracefs 1.6.4's quirks and how itsperf names what it
 * creates).
 *
 * Naming, so that a later run can find what a crashed run left behind:
 *   instance       itsperf-<pid>[-<tag>]
 *   kprobe events  itsperf/<name>_<pid>          (group "itsperf")
 *   synth events   synthetic/itsperf_<name>_<pid>
 * Everything a run creates is removed by tfs_remove_run(pid): on exit and
 * on SIGINT/SIGTERM through the cleanup stack, and by the next run for any
 * <pid> that is no longer alive (tfs_cleanup_leftovers()).
 */
#ifndef ITSPERF_TRACEFS_UTIL_H
#define ITSPERF_TRACEFS_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tracefs_instance;
struct tep_handle;
struct tep_event;
struct tep_record;

#define ITSPERF_INSTANCE_PREFIX "itsperf-"
#define ITSPERF_EVENT_GROUP	"itsperf"
#define ITSPERF_SYNTH_PREFIX	"itsperf_"

/* what this kernel's tracefs offers; filled once by tfs_features() */
struct tfs_features {
	bool tracefs; /* mounted (libtracefs mounts it if it can) */
	bool instances;
	bool kprobe_events;
	bool synthetic_events;
	bool hist_triggers;
	bool function_tracer; /* listed in available_tracers (may still be EPERM) */
	bool function_graph;
	bool filter_functions; /* available_filter_functions readable */
	const char *dir;       /* tracefs mount point */
};

const struct tfs_features *tfs_features(void);

/* "itsperf-<pid>" or "itsperf-<pid>-<tag>"; caller frees */
char *tfs_instance_name(pid_t pid, const char *tag);
/* pid encoded in an instance or dynamic event name, -1 if not ours */
pid_t tfs_instance_pid(const char *name);
pid_t tfs_event_pid(const char *name);

/*
 * Create this process's private instance (never the top-level buffer) and
 * push its removal, with every dynamic event and trigger of this pid, on
 * the cleanup stack. NULL with a message on failure.
 */
struct tracefs_instance *tfs_instance_create_own(const char *tag);
void tfs_instance_remove(struct tracefs_instance *inst);

/* remove every trigger of one event file, dependents (actions) first */
int tfs_clear_triggers(struct tracefs_instance *inst, const char *system, const char *event);

/*
 * Remove what run <pid> created: its instances (triggers first, as the
 * kernel refuses to rmdir an instance whose hist variables are referenced),
 * its synthetic events, then its kprobe events. Returns the number of
 * objects removed, -1 if something could not be removed.
 */
int tfs_remove_run(pid_t pid);

struct tfs_leftovers {
	int runs; /* dead runs found */
	int instances;
	int dynevents;
	int failed;
};
/* remove what runs that are no longer alive left behind */
int tfs_cleanup_leftovers(struct tfs_leftovers *out);

/* per-instance ring buffer health, summed over CPUs (per_cpu/cpuN/stats) */
struct tfs_buffer_stats {
	uint64_t entries;
	uint64_t overrun; /* overwritten before read */
	uint64_t commit_overrun;
	uint64_t dropped; /* "dropped events": buffer full, overwrite off */
	uint64_t read;
	int nr_cpus;
};
int tfs_buffer_stats(struct tracefs_instance *inst, struct tfs_buffer_stats *st);

/* nhits and nmisses of one kprobe event from kprobe_profile */
int tfs_kprobe_profile(const char *event, uint64_t *hits, uint64_t *misses);

/* symbol is traceable by the function tracers (available_filter_functions) */
bool tfs_function_traceable(const char *sym);

/* tep handle with the given systems' formats (NULL-terminated list) */
struct tep_handle *tfs_tep_for(const char *const *systems);
/*
 * The event from tep, parsed from its format file if the handle lacks it
 * (eventfs readdir was seen to leave events out); NULL if it does not exist.
 */
struct tep_event *tfs_tep_ensure(struct tep_handle *tep, const char *system, const char *event);

/*
 * Create a kprobe (ret = false) or kretprobe dynamic event <group>/<event>
 * on addr with fetchargs (may be NULL). libtracefs 1.6.4 returns -1 with
 * errno 0 (tracefs_kprobe_raw) or EINVAL (tracefs_dynevent_create) when the
 * kernel has no kprobe events: err is filled with a readable reason.
 */
int tfs_kprobe_create(const char *group, const char *event, const char *addr, const char *fetchargs,
		      bool ret, char *err, size_t errlen);

/* append a trigger; err gets the kernel's error_log line on failure */
int tfs_trigger_add(struct tracefs_instance *inst, const char *system, const char *event,
		    const char *trigger, char *err, size_t errlen);

/* ---- hist trigger output ---- */
#define TFS_HIST_MAX_KEYS 4
#define TFS_HIST_MAX_VALS 4

struct tfs_hist_entry {
	/* keys as printed: a .sym key's symbol, or a number, or a log2/bucket range */
	char key[TFS_HIST_MAX_KEYS][128];
	uint64_t key_num[TFS_HIST_MAX_KEYS]; /* the number, or the range's lower bound */
	uint64_t key_hi[TFS_HIST_MAX_KEYS];  /* range upper bound (exclusive), else = num */
	uint64_t hitcount;
	char val_name[TFS_HIST_MAX_VALS][32];
	uint64_t val[TFS_HIST_MAX_VALS];
	int nr_keys;
	int nr_vals;
};

struct tfs_hist {
	struct tfs_hist_entry *e;
	int nr;
	uint64_t hits;
	uint64_t entries;
	uint64_t dropped; /* map full: events not counted */
	bool totals_seen;
};

/*
 * Parse a hist file's text. Several histograms in one file (several hist
 * triggers on one event) are told apart by their "trigger info" line: only
 * the one whose trigger info contains match (NULL: the first) is parsed.
 */
int tfs_hist_parse(const char *text, const char *match, struct tfs_hist *h);
void tfs_hist_free(struct tfs_hist *h);
int tfs_hist_read(struct tracefs_instance *inst, const char *system, const char *event,
		  const char *match, struct tfs_hist *h);

/* ---- raw records ---- */
/* read (consume) every record in inst's buffers, in timestamp order */
int tfs_read_raw(struct tep_handle *tep, struct tracefs_instance *inst,
		 int (*cb)(struct tep_event *, struct tep_record *, int, void *), void *ctx);
/*
 * The same, reading per_cpu/cpuN/trace_pipe_raw page by page with plain
 * read() and libtraceevent's kbuffer, merging CPUs by timestamp. For a
 * buffer nobody writes to any more (the boot trace): libtracefs 1.6.4's
 * iterator was seen to skip a record there. nr_records counts every record
 * read; a record of an event the handle does not know reaches cb with ev
 * NULL (eventfs was seen to lose an event's directory while the event
 * lived on: see boot_collect.c).
 */
int tfs_read_raw_pages(struct tep_handle *tep, struct tracefs_instance *inst,
		       int (*cb)(struct tep_event *, struct tep_record *, int, void *), void *ctx,
		       uint64_t *nr_records);
/* a numeric field of a record, false if the event has no such field */
bool tfs_field_u64(struct tep_event *ev, struct tep_record *rec, const char *name, uint64_t *val);

#endif
