// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel log delta and health flags per run. The log comes from /dev/kmsg
 * (records carry a sequence number: the delta is exact and a wrapped
 * buffer is detected); klogctl() is the fallback where /dev/kmsg is not
 * readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "result/result.h"
#include "lib/util.h"
#include "host/khealth.h"

struct khealth {
	int fd;		   /* /dev/kmsg, positioned at begin */
	uint64_t next_seq; /* first record of the run */
	bool from_boot;
	long taint_before;
	char *klog_before; /* klogctl fallback: the buffer at begin */
};

static const struct {
	const char *needle;
	size_t off; /* offsetof the counter in khealth_findings */
} patterns[] = {
	{ "ITS queue timeout", offsetof(struct khealth_findings, its_queue_timeout) },
	{ "ITS queue not draining", offsetof(struct khealth_findings, its_queue_not_draining) },
	{ "WARNING: CPU:", offsetof(struct khealth_findings, warn) },
	{ "WARNING: at ", offsetof(struct khealth_findings, warn) },
	{ "soft lockup", offsetof(struct khealth_findings, lockup) },
	{ "hard LOCKUP", offsetof(struct khealth_findings, lockup) },
	{ "BUG: ", offsetof(struct khealth_findings, bug) },
	{ "kernel BUG at", offsetof(struct khealth_findings, bug) },
	{ "Oops", offsetof(struct khealth_findings, bug) },
	{ "Internal error:", offsetof(struct khealth_findings, bug) },
	{ "Kernel panic", offsetof(struct khealth_findings, bug) },
	{ "rcu_sched self-detected stall", offsetof(struct khealth_findings, rcu_stall) },
	{ "rcu_preempt self-detected stall", offsetof(struct khealth_findings, rcu_stall) },
	{ "detected stalls on CPUs", offsetof(struct khealth_findings, rcu_stall) },
	{ "detected stall", offsetof(struct khealth_findings, rcu_stall) },
	{ "blocked for more than", offsetof(struct khealth_findings, hung_task) },
	{ "Failed to add event", offsetof(struct khealth_findings, trace_setup) },
	{ "Failed to enable event", offsetof(struct khealth_findings, trace_setup) },
};

/*
 * The reference kernels' EL2 mediation (kernel/README.md, "The series
 * patches") logs "itsref: EL2 rejected N ITS commands, refused M register
 * writes, committed C": N and M are cumulative since the takeover, so the
 * run's own rejections are the growth between the first and the last line
 * the run saw (a line at the run's start gives the baseline).
 */
static bool scan_itsref_stats(struct khealth_findings *f, const char *line)
{
	const char *p = strstr(line, "itsref: EL2 rejected ");
	unsigned long long rej;
	unsigned long long ref;

	if (!p ||
	    sscanf(p, "itsref: EL2 rejected %llu ITS commands, refused %llu", &rej, &ref) != 2)
		return false;
	if (!f->el2_stats_seen) {
		f->el2_rejected_base = rej;
		f->el2_refused_base = ref;
		f->el2_stats_seen = true;
	}
	f->el2_rejected = rej - f->el2_rejected_base;
	f->el2_refused = ref - f->el2_refused_base;
	return true;
}

void khealth_scan_line(struct khealth_findings *f, const char *line)
{
	size_t i;

	if (scan_itsref_stats(f, line)) {
		if ((f->el2_rejected || f->el2_refused) && f->nr_lines < KHEALTH_MAX_LINES)
			f->lines[f->nr_lines++] = xstrdup(line);
		return;
	}

	for (i = 0; i < ARRAY_SIZE(patterns); i++) {
		if (!strstr(line, patterns[i].needle))
			continue;
		/* "BUG: soft lockup" is one lockup, not also a BUG */
		if (!strcmp(patterns[i].needle, "BUG: ") && strstr(line, "soft lockup"))
			continue;
		(*(int *)((char *)f + patterns[i].off))++;
		if (f->nr_lines < KHEALTH_MAX_LINES)
			f->lines[f->nr_lines++] = xstrdup(line);
		else
			f->dropped_lines++;
		return;
	}
}

int khealth_problems(const struct khealth_findings *f)
{
	return f->its_queue_timeout + f->its_queue_not_draining + f->warn + f->bug + f->lockup +
	       f->rcu_stall + f->hung_task + f->trace_setup + (f->el2_rejected > 0) +
	       (f->el2_refused > 0);
}

struct json_object *khealth_json(const struct khealth_findings *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *w = json_object_new_array();
	int i;

	json_object_object_add(o, "ok", json_object_new_boolean(!khealth_problems(f)));
	json_object_object_add(o, "its_queue_timeouts", json_object_new_int(f->its_queue_timeout));
	json_object_object_add(o, "its_queue_not_draining",
			       json_object_new_int(f->its_queue_not_draining));
	json_object_object_add(o, "warn", json_object_new_int(f->warn));
	json_object_object_add(o, "bug", json_object_new_int(f->bug));
	json_object_object_add(o, "lockup", json_object_new_int(f->lockup));
	json_object_object_add(o, "rcu_stall", json_object_new_int(f->rcu_stall));
	json_object_object_add(o, "hung_task", json_object_new_int(f->hung_task));
	json_object_object_add(o, "trace_setup_errors", json_object_new_int(f->trace_setup));
	if (f->el2_stats_seen) {
		json_object_object_add(o, "el2_rejected_commands",
				       json_object_new_int64(f->el2_rejected));
		json_object_object_add(o, "el2_refused_writes",
				       json_object_new_int64(f->el2_refused));
	}
	for (i = 0; i < f->nr_lines; i++)
		json_object_array_add(w, json_object_new_string(f->lines[i]));
	json_object_object_add(o, "warnings", w);
	if (f->dropped_lines)
		json_object_object_add(o, "warnings_not_kept",
				       json_object_new_int(f->dropped_lines));
	return o;
}

void khealth_findings_free(struct khealth_findings *f)
{
	int i;

	for (i = 0; i < f->nr_lines; i++)
		free(f->lines[i]);
	memset(f, 0, sizeof(*f));
}

static long read_taint(void)
{
	char *s = read_file("/proc/sys/kernel/tainted", NULL);
	long t = s ? strtol(s, NULL, 10) : -1;

	free(s);
	return t;
}

/* one /dev/kmsg record: "prio,seq,usec,flags[,...];text\n[ KEY=value\n]..." */
static int parse_kmsg(const char *rec, uint64_t *seq, uint64_t *usec, const char **text,
		      size_t *len)
{
	unsigned long long s;
	unsigned long long u;
	unsigned int prio;
	const char *semi = strchr(rec, ';');
	const char *nl;

	if (!semi || sscanf(rec, "%u,%llu,%llu", &prio, &s, &u) != 3)
		return -1;
	*seq = s;
	*usec = u;
	*text = semi + 1;
	nl = strchr(*text, '\n');
	*len = nl ? (size_t)(nl - *text) : strlen(*text);
	return 0;
}

/*
 * Reading the reference kernels' debugfs el2_stats makes them log the
 * cumulative "itsref: EL2 rejected ..." line: read at begin (after the
 * log position is taken) and before the log is read at end, so that the
 * run's log holds a baseline and a final line. Absent elsewhere: no-op.
 */
#define ITSREF_EL2_STATS "/sys/kernel/debug/itsref/el2_stats"

static void log_itsref_stats(void)
{
	free(read_file(ITSREF_EL2_STATS, NULL));
}

static struct khealth *begin(bool from_boot)
{
	struct khealth *h = xcalloc(1, sizeof(*h));

	h->from_boot = from_boot;
	h->taint_before = from_boot ? 0 : read_taint();
	h->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (h->fd >= 0) {
		/* SEEK_END: the next read returns the first record written after now */
		if (!from_boot && lseek(h->fd, 0, SEEK_END) < 0) {
			close(h->fd);
			h->fd = -1;
		}
	}
	if (h->fd < 0 && !from_boot) {
		int n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);

		if (n > 0) {
			h->klog_before = xcalloc(1, n + 1);
			if (klogctl(3 /* SYSLOG_ACTION_READ_ALL */, h->klog_before, n) < 0) {
				free(h->klog_before);
				h->klog_before = NULL;
			}
		}
	}
	return h;
}

struct khealth *khealth_begin(void)
{
	struct khealth *h = begin(false);

	log_itsref_stats();
	return h;
}

struct khealth *khealth_begin_boot(void)
{
	return begin(true);
}

struct logbuf {
	char *s;
	size_t len;
	size_t cap;
};

static void lb_add(struct logbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static int read_kmsg(struct khealth *h, struct logbuf *out, struct khealth_findings *f,
		     uint64_t *lost)
{
	char rec[8192];
	bool first = true;
	uint64_t expect = 0;

	for (;;) {
		ssize_t n = read(h->fd, rec, sizeof(rec) - 1);
		const char *text;
		uint64_t seq;
		uint64_t usec;
		size_t len;
		char line[8300];

		if (n < 0 && errno == EPIPE) {
			/* records overwritten before we read them */
			(*lost)++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (parse_kmsg(rec, &seq, &usec, &text, &len))
			continue;
		if (!first && seq > expect)
			*lost += seq - expect;
		first = false;
		expect = seq + 1;
		snprintf(line, sizeof(line), "[%5llu.%06llu] %.*s",
			 (unsigned long long)(usec / 1000000), (unsigned long long)(usec % 1000000),
			 (int)len, text);
		khealth_scan_line(f, line);
		lb_add(out, line, strlen(line));
		lb_add(out, "\n", 1);
	}
	return 0;
}

/* klogctl fallback: what follows the last line of the buffer seen at begin */
static int read_klog(struct khealth *h, struct logbuf *out, struct khealth_findings *f)
{
	int n = klogctl(10, NULL, 0);
	const char *start;
	char *save = NULL;
	char *all;
	char *line;

	if (n <= 0)
		return -1;
	all = xcalloc(1, n + 1);
	if (klogctl(3, all, n) < 0) {
		free(all);
		return -1;
	}
	start = all;
	if (h->klog_before) {
		const char *last = strrchr(h->klog_before, '\n');
		const char *prev = last;

		/* the last complete line before the run */
		while (prev && prev > h->klog_before && prev[-1] != '\n')
			prev--;
		if (prev && last > prev) {
			char *needle = strndup(prev, last - prev);
			const char *hit = needle ? strstr(all, needle) : NULL;

			if (hit)
				start = hit + strlen(needle);
			free(needle);
		}
	}
	for (line = strtok_r((char *)start, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		khealth_scan_line(f, line);
		lb_add(out, line, strlen(line));
		lb_add(out, "\n", 1);
	}
	free(all);
	return 0;
}

int khealth_end(struct khealth *h, struct result_run *r)
{
	struct khealth_findings f = { 0 };
	struct logbuf log = { 0 };
	struct json_object *o;
	uint64_t lost = 0;
	long taint = read_taint();
	int ret;

	log_itsref_stats();
	if (h->fd >= 0)
		ret = read_kmsg(h, &log, &f, &lost);
	else
		ret = read_klog(h, &log, &f);
	o = khealth_json(&f);
	if (ret) {
		json_object_object_add(o, "ok", json_object_new_boolean(false));
		json_object_object_add(o, "error",
				       json_object_new_string("kernel log not readable (/dev/kmsg, "
							      "klogctl)"));
	}
	json_object_object_add(o, "taint", json_object_new_int64(taint));
	if (!h->from_boot && taint >= 0 && h->taint_before >= 0 && taint != h->taint_before) {
		json_object_object_add(o, "taint_before", json_object_new_int64(h->taint_before));
		json_object_object_add(o, "taint_changed", json_object_new_boolean(true));
	}
	if (lost)
		json_object_object_add(o, "log_records_lost", json_object_new_int64(lost));
	json_object_object_add(
		o, "log", json_object_new_string(h->from_boot ? "since boot" : "during the run"));
	if (r) {
		result_add_file_data(r, "dmesg.txt", log.s ? log.s : "", log.len);
		result_add_section(r, "health", o);
	} else {
		json_object_put(o);
	}
	if (khealth_problems(&f))
		warn_msg("kernel health: %d problem(s) in the kernel log (ITS timeouts %d, not "
			 "draining %d, WARN %d, BUG %d, lockups %d, RCU stalls %d, trace setup %d)",
			 khealth_problems(&f), f.its_queue_timeout, f.its_queue_not_draining,
			 f.warn, f.bug, f.lockup, f.rcu_stall, f.trace_setup);
	ret = ret ? -1 : khealth_problems(&f);
	khealth_findings_free(&f);
	free(log.s);
	return ret;
}

void khealth_free(struct khealth *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h->klog_before);
	free(h);
}
