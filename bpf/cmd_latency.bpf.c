// SPDX-License-Identifier: GPL-2.0
/*
 * bpf:cmd_latency, BPF side: per-task "in flight" state from the send's
 * entry to its return, fed by the queue-space and completion-wait probes
 * that fire inside it; per-CPU histograms keyed by builder address and
 * part (bpf/cmd_latency.h). Each handler has a fentry/fexit and a
 * kprobe/kretprobe entry point; bpf/attach.c enables one per probe.
 */
#include "common.bpf.h"
#include "cmd_latency.h"

const volatile bool raw_samples;

struct inflight {
	u64 start;
	u64 builder;
	u64 its;
	u64 alloc_start;
	u64 queue_wait;
	u64 wait_start;
	u64 wait_end;
	u32 nr_alloc;
	u32 kind;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64); /* task_key() */
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);   /* task_key() */
	__type(value, u64); /* its_send_clear() entry time */
} clear_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cmd_key);
	__type(value, struct bpf_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_CMD_COUNTERS);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} samples SEC(".maps");

static __always_inline void record(u64 builder, u32 kind, u32 part, u64 v)
{
	struct cmd_key key = { .builder = builder, .part = part, .kind = kind };
	struct bpf_hist *h = hist_get(&hists, &key);

	if (h)
		hist_add(h, v, CMD_LIN_WIDTH_NS);
}

static __always_inline void send_enter(u64 its, u64 builder, u32 kind)
{
	struct inflight v = {};
	u64 key = task_key();

	v.start = bpf_ktime_get_ns();
	v.builder = builder;
	v.its = its;
	v.kind = kind;
	if (bpf_map_update_elem(&inflight, &key, &v, BPF_NOEXIST)) {
		/* a send in IRQ context on top of one in its completion wait */
		count_inc(&counters, CNT_NESTED);
		bpf_map_update_elem(&inflight, &key, &v, BPF_ANY);
	}
}

static __always_inline void submit(const struct inflight *v, u64 now, u64 total, u64 bp, u64 cw,
				   bool waited)
{
	struct cmd_sample *s = bpf_ringbuf_reserve(&samples, sizeof(*s), 0);

	if (!s) {
		count_inc(&counters, CNT_SAMPLES_DROPPED);
		return;
	}
	s->ts = now;
	s->builder = v->builder;
	s->its = v->its;
	s->total = total;
	s->queue_wait = v->queue_wait;
	s->build_post = bp;
	s->completion_wait = cw;
	s->cpu = bpf_get_smp_processor_id();
	s->nr_alloc = v->nr_alloc;
	s->kind = v->kind;
	s->waited = waited;
	/* no wakeup per event: userspace polls */
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
	count_inc(&counters, CNT_SAMPLES);
}

static __always_inline void send_exit(void)
{
	u64 now = bpf_ktime_get_ns();
	u64 key = task_key();
	u64 total, locked, bp, cw;
	struct inflight *v;

	v = bpf_map_lookup_elem(&inflight, &key);
	if (!v) {
		count_inc(&counters, CNT_ORPHAN);
		return;
	}
	total = now - v->start;
	record(v->builder, v->kind, PART_TOTAL, total);
	if (!v->wait_start || !v->wait_end) {
		/* its_allocate_entry() failed: returned without posting */
		count_inc(&counters, CNT_NO_WAIT);
		/* the total still stands for this send (probe-cost calibration) */
		if (raw_samples)
			submit(v, now, total, 0, 0, false);
		goto out;
	}
	locked = v->wait_start - v->start;
	bp = locked > v->queue_wait ? locked - v->queue_wait : 0;
	cw = v->wait_end - v->wait_start;
	record(v->builder, v->kind, PART_QUEUE_WAIT, v->queue_wait);
	record(v->builder, v->kind, PART_LOCKED, locked);
	record(v->builder, v->kind, PART_BUILD_POST, bp);
	record(v->builder, v->kind, PART_COMPLETION_WAIT, cw);
	record(v->builder, v->kind, PART_UNACCOUNTED, now - v->wait_end);
	count_inc(&counters, CNT_SENT);
	if (raw_samples)
		submit(v, now, total, bp, cw, true);
out:
	bpf_map_delete_elem(&inflight, &key);
}

/*
 * This task's send in flight. An entry probe inside a send without one
 * missed the send's start (attached mid-send): counted as an orphan.
 */
static __always_inline struct inflight *current_send(bool entry)
{
	u64 key = task_key();
	struct inflight *v = bpf_map_lookup_elem(&inflight, &key);

	if (!v && entry)
		count_inc(&counters, CNT_ORPHAN);
	return v;
}

static __always_inline void alloc_enter(void)
{
	u64 now = bpf_ktime_get_ns();
	struct inflight *v = current_send(true);

	if (v)
		v->alloc_start = now;
}

static __always_inline void alloc_exit(u64 ret)
{
	u64 now = bpf_ktime_get_ns();
	struct inflight *v = current_send(false);

	if (!v || !v->alloc_start)
		return;
	v->queue_wait += now - v->alloc_start;
	v->alloc_start = 0;
	v->nr_alloc++;
	if (!ret)
		count_inc(&counters, CNT_ALLOC_FAILED);
}

static __always_inline void wait_enter(void)
{
	u64 now = bpf_ktime_get_ns();
	struct inflight *v = current_send(true);

	if (v)
		v->wait_start = now;
}

static __always_inline void wait_exit(s64 ret)
{
	u64 now = bpf_ktime_get_ns();
	struct inflight *v = current_send(false);

	if (!v || !v->wait_start)
		return;
	v->wait_end = now;
	if (ret)
		count_inc(&counters, CNT_WAIT_TIMEOUT);
}

static __always_inline void clear_enter(void)
{
	u64 now = bpf_ktime_get_ns();
	u64 key = task_key();

	bpf_map_update_elem(&clear_start, &key, &now, BPF_ANY);
	count_inc(&counters, CNT_CLEAR_CALLS);
}

static __always_inline void clear_exit(void)
{
	u64 now = bpf_ktime_get_ns();
	u64 key = task_key();
	u64 *start;

	start = bpf_map_lookup_elem(&clear_start, &key);
	if (!start)
		return;
	record(0, CMD_PHYS, PART_CLEAR_PATH, now - *start);
	bpf_map_delete_elem(&clear_start, &key);
}

/*
 * its_send_single_command(its, builder, desc): builder is a function
 * pointer, which fentry's typed context refuses ("arg1 type FUNC_PROTO is
 * not a struct"); bpf_get_func_arg() reads it untyped.
 */
SEC("fentry")
int BPF_PROG(cmd_send_fentry)
{
	u64 its = 0, builder = 0;

	bpf_get_func_arg(ctx, 0, &its);
	bpf_get_func_arg(ctx, 1, &builder);
	send_enter(its, builder, CMD_PHYS);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(cmd_send_kprobe, void *its, void *builder)
{
	send_enter((u64)its, (u64)builder, CMD_PHYS);
	return 0;
}

EXIT_PROBES(cmd_send, send_exit())

SEC("fentry")
int BPF_PROG(vcmd_send_fentry)
{
	u64 its = 0, builder = 0;

	bpf_get_func_arg(ctx, 0, &its);
	bpf_get_func_arg(ctx, 1, &builder);
	send_enter(its, builder, CMD_VIRT);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(vcmd_send_kprobe, void *its, void *builder)
{
	send_enter((u64)its, (u64)builder, CMD_VIRT);
	return 0;
}

EXIT_PROBES(vcmd_send, send_exit())

ENTRY_PROBES(queue_alloc, alloc_enter())

SEC("fexit")
int BPF_PROG(queue_alloc_fexit)
{
	u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	alloc_exit(ret);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(queue_alloc_kretprobe, void *ret)
{
	alloc_exit((u64)ret);
	return 0;
}

ENTRY_PROBES(cmd_wait, wait_enter())

SEC("fexit")
int BPF_PROG(cmd_wait_fexit)
{
	u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	wait_exit((int)ret);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(cmd_wait_kretprobe, long ret)
{
	wait_exit((int)ret);
	return 0;
}

ENTRY_PROBES(cmd_clear, clear_enter())
EXIT_PROBES(cmd_clear, clear_exit())
