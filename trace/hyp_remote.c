// SPDX-License-Identifier: GPL-2.0
/*
 * The pKVM hypervisor's trace remote at runtime (tracefs remotes/hypervisor/,
 * kernel/trace/trace_remote.c, 7.1+).
 *
 * What the remote gives and what that asks of a reader (measured on 7.2):
 * - per-CPU buffers default to 7 KiB and can only be sized while unloaded
 *   (before tracing_on or the first reader); a 70-operation run overflows
 *   them, so the session sizes them first (ITSPERF_HYP_BUFFER_KB, default
 *   HYP_BUFFER_KB) and says when it could not;
 * - no trace_pipe_raw: text lines with microsecond timestamps, and
 *   "CPU:N [LOST M EVENTS]" lines where the ring buffer overwrote events;
 * - trace_pipe blocks in ring_buffer_wait() without O_NONBLOCK support, so
 *   the reader is a thread, woken for the end of the run by a signal, and
 *   the few records left after it stops are read from the non-consuming
 *   `trace` file (which shows only what trace_pipe did not consume).
 * A run that lost events says so in counters.hypervisor.lost, with a
 * warning: its EL2 counts are a lower bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/its_cmd.h"
#include "lib/util.h"
#include "result/metrics.h"
#include "result/result.h"
#include "trace/hyp_events.h"

#define HYP_BUFFER_KB  4096
#define HYP_READ_CHUNK 65536

struct hyp_session {
	struct hyp_trace_info info;
	struct hyp_parser *parser;
	char **enabled; /* enable files we turned on */
	int nr_enabled;
	bool tracing_was_on;
	char *size_file; /* buffer_size_kb, and what it held before */
	long old_size_kb;
	long size_kb; /* what the run had */
	bool size_resized;
	const char *size_note;
	/* the reader: trace_pipe -> lines -> attribution, under lock */
	pthread_t reader;
	bool reader_running;
	volatile sig_atomic_t stop;
	int pipe_fd;
	pthread_mutex_t lock;
	struct hyp_attr attr;
	char *partial; /* a line split across two reads */
	size_t partial_len;
	uint64_t lines;
	uint64_t pipe_reads;
};

static void hyp_wake(int sig)
{
	(void)sig; /* only interrupts the reader's blocking read() */
}

static char *read_trimmed(const char *path)
{
	char *s = read_file(path, NULL);

	if (s)
		strim(s);
	return s;
}

/* "7 (unloaded)" -> 7, loaded */
static long read_size_kb(const char *path, bool *loaded)
{
	char *s = read_trimmed(path);
	long kb = -1;

	if (s) {
		kb = strtol(s, NULL, 10);
		*loaded = strstr(s, "(loaded)") != NULL;
	}
	free(s);
	return kb;
}

static long wanted_size_kb(void)
{
	const char *e = getenv("ITSPERF_HYP_BUFFER_KB");
	long v = e ? strtol(e, NULL, 10) : 0;

	return v > 0 ? v : HYP_BUFFER_KB;
}

/* before anything loads the buffers: afterwards the remote answers EBUSY */
static void size_buffers(struct hyp_session *s)
{
	bool loaded = false;
	long want = wanted_size_kb();
	char val[32];

	s->size_file = xasprintf("%s/buffer_size_kb", s->info.dir);
	s->old_size_kb = read_size_kb(s->size_file, &loaded);
	s->size_kb = s->old_size_kb;
	if (s->old_size_kb < 0) {
		s->size_note = "no buffer_size_kb: buffer size unknown";
		return;
	}
	if (s->old_size_kb >= want)
		return;
	if (loaded) {
		s->size_note = "buffers already loaded by another reader: not resized";
		warn_msg("hypervisor events: buffers already loaded at %ld KiB per CPU, "
			 "not resized to %ld KiB: expect lost events",
			 s->old_size_kb, want);
		return;
	}
	snprintf(val, sizeof(val), "%ld", want);
	if (write_file_str(s->size_file, val)) {
		s->size_note = "cannot write buffer_size_kb";
		warn_msg("hypervisor events: cannot size the buffers to %ld KiB: %s", want,
			 strerror(errno));
		return;
	}
	s->size_resized = true;
	s->size_kb = want;
}

static void feed(struct hyp_session *s, char *buf, size_t n)
{
	char *line = buf;
	char *nl;

	pthread_mutex_lock(&s->lock);
	while ((nl = memchr(line, '\n', n - (line - buf)))) {
		*nl = '\0';
		if (s->partial_len) {
			s->partial = xrealloc(s->partial, s->partial_len + (nl - line) + 1);
			memcpy(s->partial + s->partial_len, line, nl - line + 1);
			hyp_parse_line(s->parser, &s->attr, s->partial);
			s->partial_len = 0;
		} else if (line[0] && line[0] != '#') {
			hyp_parse_line(s->parser, &s->attr, line);
		}
		s->lines++;
		line = nl + 1;
	}
	if (line < buf + n) {
		size_t rest = n - (line - buf);

		s->partial = xrealloc(s->partial, s->partial_len + rest + 1);
		memcpy(s->partial + s->partial_len, line, rest);
		s->partial_len += rest;
	}
	pthread_mutex_unlock(&s->lock);
}

static void *reader_main(void *arg)
{
	struct hyp_session *s = arg;
	char *buf = xmalloc(HYP_READ_CHUNK);
	ssize_t n;

	while (!s->stop) {
		n = read(s->pipe_fd, buf, HYP_READ_CHUNK);
		if (n > 0) {
			s->pipe_reads++;
			feed(s, buf, n);
		} else if (n < 0 && errno != EINTR) {
			warn_msg("hypervisor events: trace_pipe: %s", strerror(errno));
			break;
		}
	}
	free(buf);
	return NULL;
}

static int install_wake_handler(void)
{
	struct sigaction sa = { .sa_handler = hyp_wake };

	/* no SA_RESTART: the signal must end the read() */
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR2, &sa, NULL);
}

static void enable_events(struct hyp_session *s)
{
	static const char *const wanted[] = { "hyp_enter", "hyp_exit",	    "its_commit",
					      "its_cmd",   "its_mmio",	    "host_hcall",
					      "host_smc",  "host_mem_abort" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(wanted); i++) {
		char *en =
			xasprintf("%s/events/%s/%s/enable", s->info.dir, s->info.system, wanted[i]);
		char *cur = read_trimmed(en);

		if (cur && strcmp(cur, "1") && !write_file_str(en, "1")) {
			s->enabled = xrealloc(s->enabled, (s->nr_enabled + 1) * sizeof(char *));
			s->enabled[s->nr_enabled++] = en;
			en = NULL;
		}
		free(cur);
		free(en);
	}
}

static int start_reader(struct hyp_session *s)
{
	char *pipe = xasprintf("%s/trace_pipe", s->info.dir);

	s->pipe_fd = open(pipe, O_RDONLY | O_CLOEXEC);
	free(pipe);
	if (s->pipe_fd < 0)
		return -1;
	if (install_wake_handler() || pthread_create(&s->reader, NULL, reader_main, s)) {
		close(s->pipe_fd);
		s->pipe_fd = -1;
		return -1;
	}
	s->reader_running = true;
	return 0;
}

struct hyp_session *hyp_session_start(const char **why)
{
	struct hyp_session *s = xcalloc(1, sizeof(*s));
	char *on;
	char *cur;

	s->pipe_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	hyp_attr_init(&s->attr);
	/*
	 * $ITSPERF_FTRACE_NO_HYP: no EL2 events. Probe-cost calibration's own
	 * ftrace sub-runs: writing them costs EL2 time inside every span.
	 */
	if (getenv("ITSPERF_FTRACE_NO_HYP")) {
		*why = "off ($ITSPERF_FTRACE_NO_HYP)";
		goto fail;
	}
	if (hyp_trace_detect(NULL, &s->info)) {
		*why = "no pKVM hypervisor tracing on this kernel";
		goto fail;
	}
	s->parser = hyp_parser_from_remote(&s->info);
	if (!s->parser) {
		*why = "cannot read the hypervisor events' formats";
		goto fail;
	}
	size_buffers(s);
	enable_events(s);
	if (start_reader(s))
		warn_msg("hypervisor events: no trace_pipe reader (%s): read at stop only, "
			 "a full buffer loses events",
			 strerror(errno));
	on = xasprintf("%s/tracing_on", s->info.dir);
	cur = read_trimmed(on);
	s->tracing_was_on = cur && !strcmp(cur, "1");
	free(cur);
	if (write_file_str(on, "1")) {
		*why = "cannot turn the hypervisor's tracing on";
		free(on);
		goto fail;
	}
	free(on);
	return s;
fail:
	hyp_session_free(s);
	return NULL;
}

/* wake the reader until it has left read() and seen stop */
static void stop_reader(struct hyp_session *s)
{
	struct timespec ts;
	int i;

	if (!s->reader_running)
		return;
	s->stop = 1;
	for (i = 0; i < 200; i++) {
		pthread_kill(s->reader, SIGUSR2);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!pthread_timedjoin_np(s->reader, NULL, &ts)) {
			s->reader_running = false;
			break;
		}
	}
	if (s->reader_running)
		warn_msg("hypervisor events: the trace_pipe reader did not stop");
	close(s->pipe_fd);
	s->pipe_fd = -1;
}

/* what trace_pipe has not consumed: the non-consuming `trace` file */
static void read_rest(struct hyp_session *s)
{
	char *path = xasprintf("%s/trace", s->info.dir);
	size_t len = 0;
	char *text = read_file(path, &len);

	free(path);
	if (text)
		feed(s, text, len);
	free(text);
	if (s->partial_len)
		feed(s, "\n", 1);
}

static void emit_metric(struct result_run *r, const char *name, const char *area, const char *desc,
			const struct hyp_attr_entry *e)
{
	/* the remote is a collector of its own ("hyp"), beside BPF and ftrace */
	struct metric_desc d = {
		.name = name,
		.area = area,
		.unit = "ns",
		.kind = METRIC_LATENCY,
		.source = "hyp",
		.desc = desc,
		.error_bound = "hypervisor clock; the remote prints microseconds: +-1 us per "
			       "sample",
	};
	struct hist h;
	size_t k;

	hist_init(&h, HIST_LOG2, 64, 0);
	for (k = 0; k < e->nr_samples; k++)
		hist_add(&h, e->samples[k]);
	result_add_metric(r, &d, &h, e->samples, e->nr_samples);
	hist_free(&h);
}

static void emit_metrics(struct result_run *r, const struct hyp_attr *a)
{
	char name[96];
	int i;

	for (i = 0; i < a->nr; i++) {
		const struct hyp_attr_entry *e = &a->e[i];

		metric_name(name, sizeof(name), MF_HVC_EL2, e->key);
		emit_metric(r, name, "hvc_path",
			    "time at EL2 per hyp_enter -> hyp_exit, keyed by the enter reason "
			    "or the series' event seen in between",
			    e);
		/* the series' commit of staged commands, per command type */
		if (!strncmp(e->key, "its_commit.", 11)) {
			metric_name(name, sizeof(name), MF_CMD_LATENCY, "el2", e->key + 11);
			emit_metric(r, name, "cmd_latency",
				    "EL2 commit: trapped GITS_CWRITER write -> eret to the host, "
				    "validating and copying the staged commands",
				    e);
		}
	}
}

/* commands EL2 committed, by type: the third count beside BPF's and ftrace's */
static struct json_object *its_cmds_json(const struct hyp_attr *a)
{
	struct json_object *o = json_object_new_object();
	int t;

	for (t = 0; t < NR_ITS_CMDS; t++)
		if (a->its_cmds[t])
			json_object_object_add(o, its_cmd_name(t),
					       json_object_new_int64(a->its_cmds[t]));
	if (a->its_cmds[NR_ITS_CMDS])
		json_object_object_add(o, "OTHER", json_object_new_int64(a->its_cmds[NR_ITS_CMDS]));
	return o;
}

static struct json_object *counters_json(const struct hyp_session *s, const struct hyp_attr *a)
{
	struct json_object *sec = json_object_new_object();
	struct json_object *keys = json_object_new_object();
	int i;

	for (i = 0; i < a->nr; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "count", json_object_new_int64(a->e[i].count));
		json_object_object_add(o, "total_ns", json_object_new_int64(a->e[i].total_ns));
		json_object_object_add(keys, a->e[i].key, o);
	}
	json_object_object_add(sec, "source", json_object_new_string(s->info.dir));
	json_object_object_add(sec, "buffer_kb_per_cpu", json_object_new_int64(s->size_kb));
	if (s->size_note)
		json_object_object_add(sec, "buffer_note", json_object_new_string(s->size_note));
	json_object_object_add(sec, "read_while_running",
			       json_object_new_boolean(s->pipe_reads > 0));
	json_object_object_add(sec, "records", json_object_new_int64(a->records));
	json_object_object_add(sec, "unmatched", json_object_new_int64(a->unmatched));
	json_object_object_add(sec, "lost", json_object_new_int64(a->lost));
	json_object_object_add(sec, "unknown_events", json_object_new_int64(a->unknown));
	json_object_object_add(sec, "its_commits", json_object_new_int64(a->its_commits));
	json_object_object_add(sec, "its_rejected", json_object_new_int64(a->its_rejected));
	json_object_object_add(sec, "its_cmds", its_cmds_json(a));
	json_object_object_add(sec, "el2_time", keys);
	return sec;
}

int hyp_session_stop(struct hyp_session *s, struct result_run *r)
{
	struct json_object *w;
	char *on;

	on = xasprintf("%s/tracing_on", s->info.dir);
	if (!s->tracing_was_on)
		write_file_str(on, "0");
	free(on);
	stop_reader(s);
	read_rest(s);
	if (s->attr.lost)
		warn_msg("hypervisor events: %llu events LOST (buffer %ld KiB per CPU): EL2 "
			 "counts are a lower bound",
			 (unsigned long long)s->attr.lost, s->size_kb);
	if (!r)
		return 0;
	emit_metrics(r, &s->attr);
	w = json_object_new_object();
	json_object_object_add(w, "hypervisor", counters_json(s, &s->attr));
	result_add_section(r, "counters", w);
	return 0;
}

void hyp_session_free(struct hyp_session *s)
{
	char val[32];
	int i;

	if (!s)
		return;
	stop_reader(s);
	/* leave the hypervisor's events and buffer size as we found them */
	for (i = 0; i < s->nr_enabled; i++) {
		write_file_str(s->enabled[i], "0");
		free(s->enabled[i]);
	}
	free(s->enabled);
	if (s->size_resized) {
		/* only possible once unloaded: EBUSY otherwise, harmless */
		snprintf(val, sizeof(val), "%ld", s->old_size_kb);
		write_file_str(s->size_file, val);
	}
	free(s->size_file);
	hyp_attr_free(&s->attr);
	free(s->partial);
	hyp_parser_free(s->parser);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
