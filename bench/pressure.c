// SPDX-License-Identifier: GPL-2.0
/*
 * its_pressure: what several CPUs sending ITS commands at once did to the
 * send path, observed around a fleet workload's run phase (--jobs > 1, or
 * --pressure): per sending CPU, queue-full waits and its->lock contention.
 *
 * Why here and not only in the collectors: the lock:contention_begin/end
 * tracepoints (bpf:lock_hold) fire only on the MCS queue path of a queued
 * spinlock. With two CPUs, the second one spins on the pending bit and
 * never queues, so two-CPU contention on its->lock is invisible to them;
 * and the queue wait of bpf:cmd_latency is a duration, which under TCG
 * includes host scheduling gaps. Both are answered exactly here from the
 * order of events on one clock.
 *
 * Probes (kprobe events in a private tracefs instance, trace clock mono,
 * raw records drained while the workload runs):
 *   send    its_send_single_command / its_send_single_vcommand entry
 *   alloc   its_allocate_entry entry: the first one of a send comes right
 *           after raw_spin_lock_irqsave(&its->lock): the lock is held
 *   release its_wait_for_range_completion entry: right after the unlock
 *   poll    __const_udelay / __udelay entry whose caller (the link register)
 *           lies in its_allocate_entry: one "queue full" poll of 1 us
 *
 * Aggregation, per send of a task: acquire wait = [send, first alloc],
 * hold = [first alloc, release]. A send is contended when a hold of
 * another send overlaps its acquire wait (the lock is exclusive, so the
 * overlap is time spent waiting for the holders). The rest of a contended
 * acquire wait is handover: the lock was free and this CPU had not taken
 * it yet, because another waiter was ahead, or, on an overcommitted host
 * such as TCG with more vCPUs than host CPUs, because the vCPU next in
 * line was not running. Queue-full waits are the allocations during which
 * at least one poll ran. Every event count is
 * reported, with the records the buffer lost, so a reader can tell a
 * measured zero from a blind one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event-parse.h>
#include <tracefs/tracefs.h>
#include <json-c/json.h>

#include "bench/bench_priv.h"
#include "lib/ksyms.h"
#include "lib/tracefs_util.h"

#define PR_BUF_KB   4096
#define PR_DRAIN_NS (100 * 1000000L)

enum pr_ev { PR_SEND, PR_VSEND, PR_ALLOC, PR_RELEASE, PR_POLL_CONST, PR_POLL, NR_PR_EV };

static const struct {
	const char *name; /* event name prefix; _<pid> appended */
	const char *symbol;
	bool optional;
} pr_probes[NR_PR_EV] = {
	[PR_SEND] = { "bp_send", "its_send_single_command", false },
	[PR_VSEND] = { "bp_vsend", "its_send_single_vcommand", true },
	[PR_ALLOC] = { "bp_alloc", "its_allocate_entry", false },
	[PR_RELEASE] = { "bp_release", "its_wait_for_range_completion", false },
	[PR_POLL_CONST] = { "bp_pollc", "__const_udelay", true },
	[PR_POLL] = { "bp_poll", "__udelay", true },
};

/* the caller at a function's first instruction; the first argument (struct its_node *) */
#if defined(__aarch64__)
#define PR_CALLER_ARG "caller=%x30:u64"
#define PR_ITS_ARG    "its=%x0:u64"
#else
#define PR_CALLER_ARG "caller=+0($stack):u64"
#define PR_ITS_ARG    "its=%di:u64"
#endif

struct pr_task {
	int pid;
	uint64_t send_ts;
	uint64_t acquired;
	uint64_t its; /* whose its->lock */
	int cpu;
	bool in_send;
	bool alloc_polled;
};

struct bench_pressure {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	char ev_name[NR_PR_EV][48];
	bool on[NR_PR_EV];
	int id[NR_PR_EV];
	uint64_t alloc_lo, alloc_hi; /* its_allocate_entry's text range */
	pthread_t reader;
	bool reader_running;
	volatile int stop;
	pthread_mutex_t lock;
	/* per task state, a small open-addressed list */
	struct pr_task *tasks;
	int nr_tasks;
	/* collected */
	struct lock_span *waits; /* acquire waits */
	struct lock_span *holds;
	size_t nr_waits, nr_holds, cap_waits, cap_holds;
	uint64_t *sends_by_cpu;
	int nr_cpu_slots;
	uint64_t sends, allocs, polls, polled_allocs, releases;
	uint64_t unpaired;
	uint64_t missed;
	uint64_t records;
	char why[320];
};

static struct pr_task *task_get(struct bench_pressure *p, int pid)
{
	int i;

	for (i = 0; i < p->nr_tasks; i++)
		if (p->tasks[i].pid == pid)
			return &p->tasks[i];
	p->tasks = xrealloc(p->tasks, (p->nr_tasks + 1) * sizeof(*p->tasks));
	memset(&p->tasks[p->nr_tasks], 0, sizeof(*p->tasks));
	p->tasks[p->nr_tasks].pid = pid;
	return &p->tasks[p->nr_tasks++];
}

static void span_push(struct lock_span **v, size_t *n, size_t *cap, uint64_t its, uint64_t a,
		      uint64_t b, int cpu)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[*n] = (struct lock_span){ .its = its, .a = a, .b = b, .cpu = cpu };
	(*n)++;
}

static int record_cb(struct tep_event *ev, struct tep_record *rec, int cpu, void *data)
{
	struct bench_pressure *p = data;
	struct pr_task *t;
	uint64_t caller;
	uint64_t its = 0;
	int k;

	for (k = 0; k < NR_PR_EV; k++)
		if (p->on[k] && p->id[k] == ev->id)
			break;
	if (k == NR_PR_EV)
		return 0;
	p->records++;
	if (rec->missed_events > 0)
		p->missed += rec->missed_events;
	if (k == PR_POLL || k == PR_POLL_CONST) {
		/* the in-kernel filter keeps only its_allocate_entry's; check anyway */
		if (!tfs_field_u64(ev, rec, "caller", &caller) || caller < p->alloc_lo ||
		    caller >= p->alloc_hi)
			return 0;
	}
	t = task_get(p, tep_data_pid(p->tep, rec));
	switch (k) {
	case PR_SEND:
	case PR_VSEND:
		if (t->in_send)
			p->unpaired++; /* nested (IRQ) send, or a lost release */
		t->in_send = true;
		t->send_ts = rec->ts;
		t->acquired = 0;
		p->sends++;
		break;
	case PR_ALLOC:
		p->allocs++;
		t->alloc_polled = false;
		if (t->in_send && !t->acquired) {
			t->acquired = rec->ts;
			t->cpu = cpu;
			tfs_field_u64(ev, rec, "its", &its);
			t->its = its;
			if (cpu >= 0 && cpu < p->nr_cpu_slots)
				p->sends_by_cpu[cpu]++;
		}
		break;
	case PR_POLL:
	case PR_POLL_CONST:
		p->polls++;
		if (!t->alloc_polled) {
			t->alloc_polled = true;
			p->polled_allocs++;
		}
		break;
	case PR_RELEASE:
		p->releases++;
		if (!t->in_send || !t->acquired) {
			p->unpaired++;
			t->in_send = false;
			break;
		}
		span_push(&p->waits, &p->nr_waits, &p->cap_waits, t->its, t->send_ts, t->acquired,
			  t->cpu);
		span_push(&p->holds, &p->nr_holds, &p->cap_holds, t->its, t->acquired, rec->ts,
			  t->cpu);
		t->in_send = false;
		break;
	}
	return 0;
}

static void drain(struct bench_pressure *p)
{
	pthread_mutex_lock(&p->lock);
	tfs_read_raw(p->tep, p->inst, record_cb, p);
	pthread_mutex_unlock(&p->lock);
}

static void *reader_fn(void *arg)
{
	struct bench_pressure *p = arg;

	while (!p->stop) {
		struct timespec ts = { 0, PR_DRAIN_NS };

		drain(p);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void remove_events(struct bench_pressure *p)
{
	struct tracefs_dynevent *ev;
	int k;

	for (k = 0; k < NR_PR_EV; k++) {
		if (!p->ev_name[k][0])
			continue;
		ev = tracefs_dynevent_get(TRACEFS_DYNEVENT_KPROBE, ITSPERF_EVENT_GROUP,
					  p->ev_name[k]);
		if (ev) {
			tracefs_dynevent_destroy(ev, true);
			tracefs_dynevent_free(ev);
		}
		p->ev_name[k][0] = '\0';
	}
}

static void pressure_free(struct bench_pressure *p)
{
	if (!p)
		return;
	if (p->inst) {
		tfs_instance_remove(p->inst);
		p->inst = NULL;
	}
	remove_events(p);
	if (p->tep)
		tep_free(p->tep);
	free(p->tasks);
	free(p->waits);
	free(p->holds);
	free(p->sends_by_cpu);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* its_allocate_entry's range from kallsyms: the symbol up to the next one */
static int alloc_range(struct bench_pressure *p)
{
	struct ksyms *ks = ksyms_load(NULL);
	const struct ksym *s;
	int ret = -1;

	if (!ks)
		return -1;
	s = ksyms_by_name_or_clone(ks, "its_allocate_entry");
	if (s && ks->have_addrs && s + 1 < ks->syms + ks->nr) {
		p->alloc_lo = s->addr;
		p->alloc_hi = s[1].addr;
		ret = 0;
	}
	ksyms_free(ks);
	return ret;
}

static int create_probes(struct bench_pressure *p)
{
	const char *systems[] = { ITSPERF_EVENT_GROUP, NULL };
	char filter[128];
	char err[200];
	int k;

	for (k = 0; k < NR_PR_EV; k++) {
		bool poll = k == PR_POLL || k == PR_POLL_CONST;
		const char *args = poll ? PR_CALLER_ARG : k == PR_ALLOC ? PR_ITS_ARG : NULL;

		snprintf(p->ev_name[k], sizeof(p->ev_name[k]), "%s_%d", pr_probes[k].name,
			 (int)getpid());
		if (tfs_kprobe_create(ITSPERF_EVENT_GROUP, p->ev_name[k], pr_probes[k].symbol, args,
				      false, err, sizeof(err))) {
			p->ev_name[k][0] = '\0';
			if (pr_probes[k].optional)
				continue;
			snprintf(p->why, sizeof(p->why), "kprobe on %s: %s", pr_probes[k].symbol,
				 err);
			return -1;
		}
		p->on[k] = true;
	}
	if (!p->on[PR_POLL] && !p->on[PR_POLL_CONST]) {
		snprintf(p->why, sizeof(p->why),
			 "neither __const_udelay nor __udelay can be probed: queue-full polls "
			 "unseen");
		return -1;
	}
	p->tep = tfs_tep_for(systems);
	if (!p->tep) {
		snprintf(p->why, sizeof(p->why), "cannot read the event formats");
		return -1;
	}
	for (k = 0; k < NR_PR_EV; k++) {
		struct tep_event *ev;

		if (!p->on[k])
			continue;
		ev = tep_find_event_by_name(p->tep, ITSPERF_EVENT_GROUP, p->ev_name[k]);
		if (!ev) {
			snprintf(p->why, sizeof(p->why), "no format for %s", p->ev_name[k]);
			return -1;
		}
		p->id[k] = ev->id;
		if (k == PR_POLL || k == PR_POLL_CONST) {
			/* only the polls of its_allocate_entry reach the buffer */
			snprintf(filter, sizeof(filter), "caller >= %llu && caller < %llu",
				 (unsigned long long)p->alloc_lo, (unsigned long long)p->alloc_hi);
			tracefs_event_file_write(p->inst, ITSPERF_EVENT_GROUP, p->ev_name[k],
						 "filter", filter);
		}
		if (tracefs_event_enable(p->inst, ITSPERF_EVENT_GROUP, p->ev_name[k])) {
			snprintf(p->why, sizeof(p->why), "cannot enable %s", p->ev_name[k]);
			return -1;
		}
	}
	return 0;
}

struct bench_pressure *pressure_start(struct bench_ctx *c)
{
	struct bench_pressure *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	p->nr_cpu_slots = c->nr_possible;
	p->sends_by_cpu = xcalloc(c->nr_possible + 1, sizeof(uint64_t));
	if (!tfs_features()->kprobe_events) {
		snprintf(p->why, sizeof(p->why), "no kprobe events on this kernel");
		goto fail;
	}
	if (alloc_range(p)) {
		snprintf(p->why, sizeof(p->why),
			 "its_allocate_entry not in /proc/kallsyms (or addresses hidden)");
		goto fail;
	}
	p->inst = tfs_instance_create_own("pressure");
	if (!p->inst) {
		snprintf(p->why, sizeof(p->why), "no private tracefs instance");
		goto fail;
	}
	/* one clock for every CPU: holds and waits of different CPUs are compared */
	tracefs_instance_file_write(p->inst, "trace_clock", "mono");
	tracefs_instance_set_buffer_size(p->inst, PR_BUF_KB, -1);
	if (create_probes(p))
		goto fail;
	tracefs_trace_on(p->inst);
	if (!pthread_create(&p->reader, NULL, reader_fn, p))
		p->reader_running = true;
	return p;
fail:
	bench_note(c, "its_pressure not measured: %s", p->why);
	bench_set(c, "its_pressure", json_object_new_string(p->why));
	pressure_free(p);
	return NULL;
}

static int cmp_span(const void *a, const void *b)
{
	const struct lock_span *x = a;
	const struct lock_span *y = b;

	if (x->its != y->its)
		return x->its < y->its ? -1 : 1;
	return x->a < y->a ? -1 : x->a > y->a;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a;
	uint64_t y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* first hold of its's lock ending after t: one lock's holds are disjoint, sorted by end too */
static size_t first_hold_after(const struct lock_span *holds, size_t nr, uint64_t its, uint64_t t)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lock_span *h = &holds[mid];

		if (h->its < its || (h->its == its && h->b <= t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * How long each acquire wait overlapped holds of the same its->lock: the
 * time it waited for the lock. A send's own hold begins where its wait
 * ends, so it never counts.
 */
uint64_t lock_span_overlap(struct lock_span *holds, size_t nr_holds, const struct lock_span *waits,
			   size_t nr_waits, uint64_t *out)
{
	uint64_t contended = 0;
	size_t i, j;

	qsort(holds, nr_holds, sizeof(*holds), cmp_span);
	for (i = 0; i < nr_waits; i++) {
		const struct lock_span *wt = &waits[i];

		out[i] = 0;
		for (j = first_hold_after(holds, nr_holds, wt->its, wt->a);
		     j < nr_holds && holds[j].its == wt->its && holds[j].a < wt->b; j++) {
			uint64_t a = holds[j].a > wt->a ? holds[j].a : wt->a;
			uint64_t b = holds[j].b < wt->b ? holds[j].b : wt->b;

			if (b > a)
				out[i] += b - a;
		}
		if (out[i])
			contended++;
	}
	return contended;
}

static struct json_object *dist_json(uint64_t *v, size_t n)
{
	struct json_object *o = json_object_new_object();
	uint64_t sum = 0;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += v[i];
	json_object_object_add(o, "count", json_object_new_uint64(n));
	json_object_object_add(o, "total_ns", json_object_new_uint64(sum));
	json_object_object_add(o, "p50_ns", json_object_new_uint64(n ? v[n / 2] : 0));
	json_object_object_add(o, "p99_ns",
			       json_object_new_uint64(n ? v[(size_t)((n - 1) * 0.99)] : 0));
	json_object_object_add(o, "max_ns", json_object_new_uint64(n ? v[n - 1] : 0));
	return o;
}

void pressure_stop(struct bench_ctx *c, struct bench_pressure *p)
{
	struct json_object *o, *lock, *probes;
	struct tfs_buffer_stats bs;
	int k;
	uint64_t *waits, *cw, *acq, *holds;
	uint64_t contended;
	uint64_t handover = 0;
	size_t i, n;

	if (!p)
		return;
	tracefs_trace_off(p->inst);
	p->stop = 1;
	if (p->reader_running)
		pthread_join(p->reader, NULL);
	drain(p);
	if (!tfs_buffer_stats(p->inst, &bs))
		p->missed += bs.overrun + bs.dropped;
	waits = xcalloc(p->nr_waits + 1, sizeof(uint64_t));
	contended = lock_span_overlap(p->holds, p->nr_holds, p->waits, p->nr_waits, waits);
	cw = xcalloc(p->nr_waits + 1, sizeof(uint64_t));
	acq = xcalloc(p->nr_waits + 1, sizeof(uint64_t));
	for (i = n = 0; i < p->nr_waits; i++) {
		uint64_t whole = p->waits[i].b - p->waits[i].a;

		if (!waits[i])
			continue;
		cw[n] = waits[i];
		acq[n++] = whole;
		handover += whole > waits[i] ? whole - waits[i] : 0;
	}
	holds = xcalloc(p->nr_holds + 1, sizeof(uint64_t));
	for (i = 0; i < p->nr_holds; i++)
		holds[i] = p->holds[i].b - p->holds[i].a;

	o = json_object_new_object();
	json_object_object_add(
		o, "method",
		json_object_new_string("kprobes on its_send_single_(v)command, its_allocate_entry, "
				       "its_wait_for_range_completion, __const_udelay/__udelay "
				       "called from its_allocate_entry; raw records, trace clock "
				       "mono (bench/pressure.c)"));
	probes = json_object_new_array();
	for (k = 0; k < NR_PR_EV; k++)
		if (p->on[k])
			json_object_array_add(probes, json_object_new_string(pr_probes[k].symbol));
	json_object_object_add(o, "probes", probes);
	json_object_object_add(o, "sends", json_object_new_uint64(p->sends));
	json_object_object_add(o, "sends_by_cpu",
			       bench_per_cpu_json(p->sends_by_cpu, p->nr_cpu_slots));
	json_object_object_add(o, "queue_allocations", json_object_new_uint64(p->allocs));
	json_object_object_add(o, "queue_full_waits", json_object_new_uint64(p->polled_allocs));
	json_object_object_add(o, "queue_full_polls", json_object_new_uint64(p->polls));
	lock = json_object_new_object();
	json_object_object_add(lock, "acquisitions", json_object_new_uint64(p->nr_waits));
	json_object_object_add(lock, "contended", json_object_new_uint64(contended));
	json_object_object_add(lock, "wait_when_contended", dist_json(cw, n));
	json_object_object_add(lock, "acquire_when_contended", dist_json(acq, n));
	json_object_object_add(lock, "handover_total_ns", json_object_new_uint64(handover));
	json_object_object_add(lock, "hold", dist_json(holds, p->nr_holds));
	json_object_object_add(o, "its_lock", lock);
	json_object_object_add(o, "unpaired_events", json_object_new_uint64(p->unpaired));
	json_object_object_add(o, "lost_records", json_object_new_uint64(p->missed));
	json_object_object_add(o, "records", json_object_new_uint64(p->records));
	bench_set(c, "its_pressure", o);
	bench_line(c,
		   "its pressure (kernel): %llu sends, %llu queue-full waits (%llu polls), "
		   "its->lock contended %llu of %llu acquisitions%s",
		   (unsigned long long)p->sends, (unsigned long long)p->polled_allocs,
		   (unsigned long long)p->polls, (unsigned long long)contended,
		   (unsigned long long)p->nr_waits,
		   p->missed ? " (records lost: lower bounds)" : "");
	for (i = 0; i < (size_t)p->nr_cpu_slots; i++)
		if (p->sends_by_cpu[i])
			bench_line(c, "its pressure: CPU %zu sent %llu", i,
				   (unsigned long long)p->sends_by_cpu[i]);
	free(waits);
	free(cw);
	free(acq);
	free(holds);
	pressure_free(p);
}
