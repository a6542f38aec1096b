/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers: messages, allocation, files, time, number parsing and the
 * cleanup stack that restores the host on exit and on SIGINT/SIGTERM.
 */
#ifndef ITSPERF_UTIL_H
#define ITSPERF_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __unused       __attribute__((unused))

/* exit statuses shared by every command */
#define EXIT_OK	   0
#define EXIT_FAIL  1 /* measured failure, regression, guest command failed */
#define EXIT_USAGE 2 /* bad arguments or bad input files */

extern int itsperf_verbose;

void err_msg(const char *fmt, ...) __printf(1, 2);
void warn_msg(const char *fmt, ...) __printf(1, 2);
void info_msg(const char *fmt, ...) __printf(1, 2);
void debug_msg(const char *fmt, ...) __printf(1, 2);

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __printf(1, 2);

/* whole-file helpers; read_file() NUL-terminates and returns NULL + errno */
char *read_file(const char *path, size_t *len);
int write_file(const char *path, const char *buf, size_t len);
int write_file_str(const char *path, const char *s);
/* write to path.tmp.PID, fsync, rename: a reader never sees half a file */
int write_file_atomic(const char *path, const char *buf, size_t len);
int mkdir_p(const char *path, mode_t mode);
int rm_rf(const char *path);
bool path_exists(const char *path);

uint64_t now_ns(void);	/* CLOCK_MONOTONIC */
uint64_t wall_ns(void); /* CLOCK_REALTIME */

/* "10", "10s", "500ms", "2m" -> nanoseconds; -1 on error */
int parse_duration_ns(const char *s, uint64_t *ns);
int parse_u64(const char *s, uint64_t *v);
int parse_double(const char *s, double *v);
/* "0-3,5" -> bitmap of up to 1024 CPUs; returns the number of CPUs set or -1 */
int parse_cpulist(const char *s, uint64_t *mask, int nbits);
int format_cpulist(const uint64_t *mask, int nbits, char *buf, size_t len);

/* strip leading and trailing white space in place */
char *strim(char *s);
bool str_starts(const char *s, const char *prefix);

/*
 * Cleanup stack. Workloads and collectors push an undo action for every
 * change they make to the host (IRQ affinity, driver binding, tracefs
 * instance); cleanup_run_all() pops them in reverse order. It runs from
 * atexit() and from the SIGINT/SIGTERM handler path: handlers only set
 * itsperf_stop, long loops poll it and return, and the normal exit path
 * runs the stack, so no undo action runs in signal context.
 */
typedef void (*cleanup_fn)(void *arg);
int cleanup_push(cleanup_fn fn, void *arg, const char *what);
/* remove (without running) the most recent entry for fn/arg */
void cleanup_forget(cleanup_fn fn, void *arg);
void cleanup_run_all(void);

extern volatile int itsperf_stop; /* set by SIGINT/SIGTERM */
extern volatile int itsperf_stop_signal;
void install_stop_handlers(void);
/* sleep up to ns, returning early (true) if a stop was requested */
bool sleep_interruptible_ns(uint64_t ns);

#endif
