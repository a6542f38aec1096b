/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pKVM hypervisor (EL2) events, where the kernel exposes them in tracefs:
 *
 *   remotes/hypervisor/   upstream trace remote (7.1+): events/hypervisor/
 *                         hyp_enter, hyp_exit (no fields), text trace_pipe,
 *                         hypervisor timestamps on the boot clock
 *   hyp/                  older (Android) layout: events/hyp/host_hcall (id),
 *                         host_mem_abort (esr, addr), hyp_enter, hyp_exit,
 *                         per_cpu/cpuN/trace_pipe_raw (binary pages)
 *
 * Parsing is driven by the events' own format files (libtraceevent), never
 * by hard-coded layouts: binary pages go through kbuffer + tep, text lines
 * ("[CPU]\tSECS.USECS: name k=v ...") are matched to events by name.
 *
 * Attribution: per CPU, EL2 time is hyp_enter -> hyp_exit; the host_hcall
 * (field "id") or host_mem_abort (field "addr", the trapped MMIO address,
 * e.g. GITS_CWRITER of the staging queue) seen inside that interval names
 * what the time was spent on.
 */
#ifndef ITSPERF_HYP_EVENTS_H
#define ITSPERF_HYP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/its_cmd.h"

struct tep_handle;
struct result_run;
struct hyp_cpu_state;

enum hyp_trace_kind {
	HYP_TRACE_NONE,
	HYP_TRACE_REMOTE, /* remotes/hypervisor/ */
	HYP_TRACE_LEGACY, /* hyp/ */
};

struct hyp_trace_info {
	enum hyp_trace_kind kind;
	char dir[512];	  /* the remote's directory */
	char system[32];  /* events/<system>/ */
	char events[512]; /* comma-separated event names */
	bool raw;	  /* per_cpu/cpu0/trace_pipe_raw present */
};

/* look under tracing_dir (NULL: the mounted tracefs) */
int hyp_trace_detect(const char *tracing_dir, struct hyp_trace_info *info);
/* one line for `itsperf probes` */
const char *hyp_trace_describe(const struct hyp_trace_info *info, char *buf, size_t len);

/* ---- parsing and attribution (format-driven) ---- */

struct hyp_attr_entry {
	char key[48]; /* "hcall:0x12", "mmio:0x8010008", "el2:unattributed" */
	uint64_t count;
	uint64_t total_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint64_t *samples;
	size_t nr_samples;
	size_t cap_samples;
};

struct hyp_attr {
	struct hyp_attr_entry *e;
	int nr;
	uint64_t records;
	uint64_t unmatched;   /* exit without enter, or enter without exit */
	uint64_t lost;	      /* events the buffer reported lost */
	uint64_t unknown;     /* records whose event id has no format */
	uint64_t its_commits; /* its_commit events (the series' EL2 commit) */
	/* its_cmd events per command type, [NR_ITS_CMDS]: unknown opcodes */
	uint64_t its_cmds[NR_ITS_CMDS + 1];
	uint64_t its_rejected; /* its_cmd events with rejected != 0 */
	int nr_cpus;
	struct hyp_cpu_state *cpu;
};

struct hyp_parser;

/* a tep handle fed with format texts (from files or from a test) */
struct hyp_parser *hyp_parser_new(const char *header_page, size_t header_len);
int hyp_parser_add_format(struct hyp_parser *p, const char *system, const char *format, size_t len);
/* load every events/<system>/<event>/format (and header_page) of a detected remote */
struct hyp_parser *hyp_parser_from_remote(const struct hyp_trace_info *info);
void hyp_parser_free(struct hyp_parser *p);

/* one binary ring-buffer page (sub-buffer) of cpu */
int hyp_parse_page(struct hyp_parser *p, struct hyp_attr *a, int cpu, void *page, size_t size);
/* one text line of the remote's trace / trace_pipe */
int hyp_parse_line(struct hyp_parser *p, struct hyp_attr *a, const char *line);

/* 7.2's hyp_enter/hyp_exit reason number -> "hvc", "host_abort", ... */
const char *hyp_reason_name(unsigned int reason);
/* offset in the ITS control frame -> "cwriter", "creadr", "baser", ... */
const char *hyp_its_reg_name(uint64_t off);

void hyp_attr_init(struct hyp_attr *a);
void hyp_attr_free(struct hyp_attr *a);
const struct hyp_attr_entry *hyp_attr_find(const struct hyp_attr *a, const char *key);

/*
 * Runtime use (hyp_remote.c): size the remote's per-CPU buffers, enable its
 * events, read trace_pipe while the run goes on, and at stop attribute
 * everything and write hvc.el2.<key> (and cmd_latency.el2.<CMD>) metrics.
 * Returns NULL with *why filled when there is no hypervisor tracing.
 */
struct hyp_session;
struct hyp_session *hyp_session_start(const char **why);
int hyp_session_stop(struct hyp_session *s, struct result_run *r);
void hyp_session_free(struct hyp_session *s);

#endif
