// SPDX-License-Identifier: GPL-2.0
/*
 * bpf:tp_selftest, BPF side. Counts getpid(2) entries of the recording
 * process and its children two ways (tp_btf/sys_enter filtered on the
 * syscall number, tracepoint/syscalls/sys_enter_getpid), times each call
 * sys_enter -> sys_exit into a per-CPU histogram and optionally a ring
 * buffer, and times device interrupt handlers (raw_tp irq_handler_*).
 */
#include "common.bpf.h"
#include "kernel_types.h"
#include "tp_selftest.h"

const volatile __u32 self_tgid; /* the recording process */
const volatile __u32 getpid_nr; /* __NR_getpid on this architecture */
const volatile bool raw_samples;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_TP_COUNTERS);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 0: getpid latency, 1: irq handler time */
	__type(key, u32);
	__type(value, struct bpf_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);   /* tid */
	__type(value, u64); /* sys_enter time */
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64); /* irq_handler_entry time on this CPU */
} irq_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, u32); /* irq */
	__type(value, u64);
} irq_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} samples SEC(".maps");

/* the recording process itself or one of its direct children (the workload it runs) */
static __always_inline bool watched(void)
{
	struct task_struct *t;
	u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tgid == self_tgid)
		return true;
	t = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(t, real_parent, tgid) == self_tgid;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(getpid_enter, struct pt_regs *regs, long id)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 ts;

	if (id != getpid_nr || !watched())
		return 0;
	count_inc(&counters, TP_GETPID_BTF);
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&inflight, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int getpid_tp(void *ctx)
{
	if (watched())
		count_inc(&counters, TP_GETPID_TP);
	return 0;
}

static __always_inline void submit(u64 now, u64 lat, u32 tid)
{
	struct tp_sample *s;

	s = bpf_ringbuf_reserve(&samples, sizeof(*s), 0);
	if (!s) {
		count_inc(&counters, TP_SAMPLES_DROPPED);
		return;
	}
	s->ts = now;
	s->latency = lat;
	s->cpu = bpf_get_smp_processor_id();
	s->tid = tid;
	/* no wakeup per event: userspace polls (bpf/common.c rb_poller) */
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
	count_inc(&counters, TP_SAMPLES);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(getpid_exit, struct pt_regs *regs, long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct bpf_hist *h;
	u32 zero = 0;
	u64 now, *ts;

	ts = bpf_map_lookup_elem(&inflight, &tid);
	if (!ts)
		return 0;
	now = bpf_ktime_get_ns();
	h = bpf_map_lookup_elem(&hists, &zero);
	if (h)
		hist_add(h, now - *ts, TP_LIN_WIDTH_NS);
	count_inc(&counters, TP_GETPID_EXIT);
	if (raw_samples)
		submit(now, now - *ts, tid);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

SEC("raw_tp/irq_handler_entry")
int BPF_PROG(irq_entry, int irq)
{
	u64 ts = bpf_ktime_get_ns();
	u32 zero = 0;
	u64 *v;

	v = bpf_map_lookup_elem(&irq_start, &zero);
	if (v)
		*v = ts;
	count_inc(&counters, TP_IRQ_ENTRY);
	v = bpf_map_lookup_elem(&irq_counts, &irq);
	if (v) {
		*v += 1; /* per-CPU value, hard IRQs do not nest */
		return 0;
	}
	ts = 1;
	bpf_map_update_elem(&irq_counts, &irq, &ts, BPF_NOEXIST);
	return 0;
}

SEC("raw_tp/irq_handler_exit")
int BPF_PROG(irq_exit, int irq)
{
	u64 now = bpf_ktime_get_ns();
	struct bpf_hist *h;
	u32 zero = 0, one = 1;
	u64 *start;

	start = bpf_map_lookup_elem(&irq_start, &zero);
	if (!start || !*start)
		return 0;
	h = bpf_map_lookup_elem(&hists, &one);
	if (h)
		hist_add(h, now - *start, TP_IRQ_LIN_WIDTH_NS);
	*start = 0;
	count_inc(&counters, TP_IRQ_EXIT);
	return 0;
}
