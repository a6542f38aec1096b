/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One collector session for every command that records (run, record): the
 * -e grammar, the collectors' life cycle and the write sequence, so that
 * `itsperf run -e LIST` and `itsperf record -e LIST` select, start and
 * write the same collectors the same way.
 *
 *	session_select(&s, "bpf,ftrace", false);   // -e LIST (NULL: the default set)
 *	session_open(&s, raw);                     // kallsyms, logical probes resolved
 *	... for each run:
 *	session_start(&s);       // init every collector, then start every one
 *	... the measured interval ...
 *	session_stop(&s);        // every collector stops before any writes
 *	r = result_run_begin(dir, &meta);          // meta first
 *	... the command's own sections (workloads, counters.workload, perf counters)
 *	session_write(&s, r);    // emit, failed collectors' probe status, kernel health
 *	session_end(&s);         // destroy the collectors of this run
 *	result_run_end(r, partial); crosscheck_dir(dir)
 *	...
 *	session_close(&s);
 *
 * A collector whose init fails is destroyed at once; its per-probe status,
 * taken before, is still written to the "probes" section with the state
 * "init failed" in "collectors".
 */
#ifndef ITSPERF_SESSION_H
#define ITSPERF_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/collector.h"
#include "lib/probes.h"

#define SESSION_MAX 16

struct json_object;
struct khealth;
struct ksyms;
struct result_run;

enum session_state {
	SESSION_NEW,
	SESSION_INIT_FAILED,
	SESSION_READY,
	SESSION_START_FAILED,
	SESSION_RUNNING,
	SESSION_STOPPED,
};

struct session {
	struct collector *cs[SESSION_MAX];
	enum session_state state[SESSION_MAX];
	struct json_object *failed_probes[SESSION_MAX]; /* status of a failed init */
	int nr;
	struct collector_opts copts;
	struct ksyms *ks;
	struct probe_resolution *res;
	struct khealth *health;
};

/*
 * -e LIST: comma separated collector names; "bpf" is every bpf: collector
 * but self-tests; after "prefix:name" a bare name is tried as
 * "prefix:name" first ("bpf:cmd_latency,lock_hold"). NULL: every
 * registered collector but self-tests (tracedat only with with_tracedat),
 * the BPF ones first. Returns 0, or -1 with a message.
 */
int session_select(struct session *s, const char *list, bool with_tracedat);
/* "bpf:cmd_latency bpf:lock_hold ftrace": the selected collectors, in order */
void session_print(const struct session *s, FILE *f);
/* bpf:cmd_latency or ftrace selected: a source of cmd_latency.total.<CMD> */
bool session_has_cmd_latency(const struct session *s);
/* kallsyms and the logical probes resolved once; -1 if kallsyms is unreadable */
int session_open(struct session *s, bool raw_samples);
/* begin the kernel-health delta, init then start every collector; returns how many run */
int session_start(struct session *s);
void session_stop(struct session *s);
/* emit, the failed collectors' probe status, the kernel health */
void session_write(struct session *s, struct result_run *r);
/* {"<collector>": "recorded" | "init failed" | ...} */
struct json_object *session_states_json(const struct session *s);
/* destroy this run's collectors (session_start() may follow again) */
void session_end(struct session *s);
void session_close(struct session *s);

#endif
