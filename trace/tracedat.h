/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw ftrace captures: the per-CPU ring-buffer pages of a tracefs instance,
 * read once (consumed) into memory, then
 *   - parsed in time order with libtraceevent's kbuffer API, for collectors
 *     that want per-event records (raw_capture_for_each), and/or
 *   - written as a trace-cmd "trace.dat" (file format version 6, see
 *     trace-cmd.dat.v6(5)) that `trace-cmd report` and KernelShark open
 *     (raw_capture_write_tracedat).
 *
 * Why not libtracecmd: Debian's libtracecmd 1.3 (trace-cmd 3.1.6) has a
 * read-only public API and ships no static archive, and the aarch64 itsperf
 * is linked statically. The file is written here from the same data
 * trace-cmd would record: events/header_page, events/header_event, the
 * events/ftrace formats, the format of every event present in the capture
 * (incl. kprobe groups), printk_formats, saved_cmdlines, /proc/kallsyms,
 * per-CPU stats and trace_clock, and the raw pages unchanged. The x86 tests
 * read it back with libtracecmd and `trace-cmd report`.
 *
 * Formats are snapshotted while the capture is read, so dynamic events
 * (kprobes) may be removed before the file is written; kallsyms is read
 * when the file is written and must therefore come from the same boot.
 *
 * Typical use by a collector (the instance's events already enabled):
 *
 *	tracefs_trace_off(inst);
 *	cap = raw_capture_read(inst, tep);
 *	raw_capture_for_each(cap, handle_event, priv);
 *	raw_capture_write_tracedat(cap, path);
 *	raw_capture_free(cap);
 */
#ifndef ITSPERF_TRACEDAT_H
#define ITSPERF_TRACEDAT_H

#include <stdint.h>

struct json_object;
struct raw_capture;
struct tep_event;
struct tep_handle;
struct tep_record;
struct tracefs_instance;

struct raw_capture_stats {
	int nr_cpus;		 /* per_cpu/cpuN directories of the instance */
	uint64_t pages;		 /* ring-buffer pages read, all CPUs */
	uint64_t bytes;		 /* pages * page_size */
	uint64_t events;	 /* records found in the pages */
	uint64_t unknown_events; /* records whose event id has no format */
	/* lost per page headers: a lower bound (1 when the kernel had no room for the count) */
	uint64_t missed_events;
	uint64_t overrun; /* per_cpu/cpuN/stats "overrun:" summed: events overwritten, exact */
	uint64_t read_ns; /* time spent in reads (collector overhead) */
	int page_size;	  /* ring-buffer sub-buffer size */
};

/*
 * Read (and consume) every page of every CPU buffer of inst (NULL: the
 * top-level buffer) into memory. tep, when given, names the events (and is
 * used by raw_capture_for_each); events it does not know are looked up in
 * tracefs. Stop tracing first: a CPU whose buffer keeps filling is read for
 * at most its buffer size. Returns NULL with errno set on failure.
 */
struct raw_capture *raw_capture_read(struct tracefs_instance *inst, struct tep_handle *tep);
/* read what arrived since, appending to c (long runs that drain periodically) */
int raw_capture_drain(struct raw_capture *c);

typedef int (*raw_capture_cb)(struct tep_event *event, struct tep_record *record, int cpu,
			      void *arg);
/*
 * Call cb for every record, in timestamp order across CPUs. event is the
 * caller's tep's event when it knows the id, else one parsed from the
 * capture's own snapshot of formats; records of unknown ids are skipped
 * (counted in stats.unknown_events). A non-zero return from cb stops the
 * walk. Returns the number of records passed to cb, or -1 on error.
 */
long raw_capture_for_each(struct raw_capture *c, raw_capture_cb cb, void *arg);

/* records of system:event in the capture (event NULL: the whole system) */
uint64_t raw_capture_count(const struct raw_capture *c, const char *system, const char *event);
const struct raw_capture_stats *raw_capture_get_stats(const struct raw_capture *c);
/* the tep the records are parsed with: the caller's, else the capture's own */
struct tep_handle *raw_capture_tep(struct raw_capture *c);

/*
 * Write a trace-cmd v6 trace.dat to path (via path.tmp + rename). Returns 0,
 * or -1 with errno set and an error message.
 */
int raw_capture_write_tracedat(struct raw_capture *c, const char *path);

/*
 * The "capture" section of a result: file name, pages, bytes, events per
 * system:event, missed events, overrun, read time. file may be NULL.
 */
struct json_object *raw_capture_to_json(const struct raw_capture *c, const char *file);

void raw_capture_free(struct raw_capture *c);

#endif
