// SPDX-License-Identifier: GPL-2.0
/*
 * bpf:lock_hold, BPF side: its->lock holds derived from the send path,
 * its_lock holders, the series' deprivilege span, and contention on these
 * locks from lock:contention_begin/end (bpf/lock_hold.h says how and with
 * what error). Everything lands in one per-CPU hash of histograms.
 */
#include "common.bpf.h"
#include "kernel_types.h"
#include "lock_hold.h"

const volatile __u64 its_lock_addr;   /* &its_lock from kallsyms, 0 if unknown */
const volatile __u64 kretprobe_tramp; /* &__kretprobe_trampoline, 0 if unknown */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2048);
	__type(key, struct lh_key);
	__type(value, struct bpf_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_LH_COUNTERS);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

struct lh_send {
	u64 start;
	struct lh_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64); /* task_key() */
	__type(value, struct lh_send);
} sends SEC(".maps");

/* its->lock address -> ITS id, learnt from the sends; matched by contention_begin */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, u64);
} its_locks SEC(".maps");

struct lh_wait {
	u64 lock;
	u64 start;
	u64 id;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64); /* task_key() */
	__type(value, struct lh_wait);
} waits SEC(".maps");

struct cpu_init_span {
	u64 first;
	u64 last;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u64); /* task_key(): the incoming CPU's idle task */
	__type(value, struct cpu_init_span);
} cpu_init SEC(".maps");

/* [0] its_start_deprivilege entry, [1] its return: one deprivilege at a time */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} depriv SEC(".maps");

static __always_inline void record(const struct lh_key *key, u64 ns)
{
	struct bpf_hist *h = hist_get(&hists, key);

	if (h)
		hist_add(h, ns, LH_LIN_WIDTH_NS);
}

static __always_inline void record_kind(u32 kind, u64 builder, u64 ns)
{
	struct lh_key key = { .kind = kind, .builder = builder };

	record(&key, ns);
}

static __always_inline void ft_record(u32 idx, u64 ns)
{
	record_kind(LH_FUNC, idx, ns);
}

#include "func_time.bpf.h"

/* ---- its->lock in the send path ---- */

static __always_inline u64 its_id(u64 its)
{
	struct its_node *node = (struct its_node *)its;

	if (bpf_core_field_exists(node->phys_base)) {
		u64 base = BPF_CORE_READ(node, phys_base);

		if (base)
			return base;
	}
	return its;
}

static __always_inline void learn_lock(u64 its, u64 id)
{
	u64 lock = its;

	if (bpf_core_type_exists(struct its_node))
		lock += bpf_core_field_offset(struct its_node, lock);
	if (!bpf_map_lookup_elem(&its_locks, &lock))
		bpf_map_update_elem(&its_locks, &lock, &id, BPF_ANY);
}

static __always_inline struct lh_send *send_begin(u64 its, u64 builder)
{
	struct lh_send s = {};
	u64 key = task_key();

	s.start = bpf_ktime_get_ns();
	s.key.kind = LH_SEND;
	s.key.builder = builder;
	s.key.id = its_id(its);
	learn_lock(its, s.key.id);
	bpf_map_update_elem(&sends, &key, &s, BPF_ANY);
	count_inc(&counters, LHC_SENDS);
	return bpf_map_lookup_elem(&sends, &key);
}

/* the lock is dropped right before the completion wait, or before an early return */
static __always_inline void send_unlocked(bool early)
{
	u64 now = bpf_ktime_get_ns();
	u64 key = task_key();
	struct lh_send *s;

	s = bpf_map_lookup_elem(&sends, &key);
	if (!s)
		return;
	record(&s->key, now - s->start);
	if (early)
		count_inc(&counters, LHC_SEND_NO_WAIT);
	bpf_map_delete_elem(&sends, &key);
}

#if defined(bpf_target_arm64)
/*
 * A kretprobe on the same function (ours, cmd_latency's, ftrace's) that
 * ran before this kprobe replaced the link register with its trampoline
 * and kept the real return address in the task's newest
 * kretprobe_instance(s) with this frame pointer.
 */
static __always_inline u64 kretprobe_saved_lr(struct pt_regs *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	u64 fp = PT_REGS_FP(ctx);
	struct llist_node *n;
	int i;

	if (!bpf_core_type_exists(struct kretprobe_instance) ||
	    !bpf_core_field_exists(t->kretprobe_instances))
		return 0;
	n = BPF_CORE_READ(t, kretprobe_instances.first);
	for (i = 0; i < 8 && n; i++) {
		struct kretprobe_instance *ri;
		u64 ra;

		ri = (void *)n - bpf_core_field_offset(struct kretprobe_instance, llist);
		ra = (u64)BPF_CORE_READ(ri, ret_addr);
		if ((u64)BPF_CORE_READ(ri, fp) != fp)
			break; /* an outer call's instance */
		if (ra != kretprobe_tramp)
			return ra;
		n = BPF_CORE_READ(n, next);
	}
	return 0;
}
#endif

/*
 * Return address at a kprobe on a function's first instruction. libbpf
 * 1.1's BPF_KPROBE_READ_RET_IP() reads memory at the link register on
 * arm64 (it treats it as a stack pointer): take the register itself there.
 */
static __always_inline u64 kprobe_caller(struct pt_regs *ctx)
{
	u64 ip = 0;

#if defined(bpf_target_arm64)
	ip = PT_REGS_RET(ctx);
	if (kretprobe_tramp && ip == kretprobe_tramp) {
		u64 saved = kretprobe_saved_lr(ctx);

		if (saved)
			ip = saved;
		else
			count_inc(&counters, LHC_CALLER_LOST);
	}
#else
	BPF_KPROBE_READ_RET_IP(ip, ctx);
#endif
	return ip;
}

/*
 * fentry has no registers: the caller comes from the kernel stack. perf
 * gives no kernel callchain while a vCPU is loaded (perf_guest_state()):
 * commands sent from vcpu load/put have no caller then.
 */
static __always_inline void fentry_stack(void *ctx, struct lh_send *s)
{
	long n;

	if (!s)
		return;
	n = bpf_get_stack(ctx, s->key.ips, sizeof(s->key.ips), 0);
	if (n < 0)
		count_inc(&counters, LHC_STACK_FAILED);
	else if (!n)
		count_inc(&counters, LHC_STACK_EMPTY);
}

/* its_send_single_(v)command(its, builder, desc) entry: the caller from the stack */
static __always_inline void send_entry_fentry(u64 *ctx)
{
	u64 its = 0, builder = 0;

	bpf_get_func_arg(ctx, 0, &its);
	bpf_get_func_arg(ctx, 1, &builder);
	fentry_stack(ctx, send_begin(its, builder));
}

/* the same with kprobes: the caller from the link register */
static __always_inline void send_entry_kprobe(struct pt_regs *ctx, u64 its, u64 builder)
{
	struct lh_send *s = send_begin(its, builder);
	u64 ip = 0;

	ip = kprobe_caller(ctx);
	if (s)
		s->key.ips[0] = ip;
}

SEC("fentry")
int BPF_PROG(send_fentry)
{
	send_entry_fentry(ctx);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(send_kprobe, void *its, void *builder)
{
	send_entry_kprobe(ctx, (u64)its, (u64)builder);
	return 0;
}

EXIT_PROBES(send, send_unlocked(true))

SEC("fentry")
int BPF_PROG(vsend_fentry)
{
	send_entry_fentry(ctx);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(vsend_kprobe, void *its, void *builder)
{
	send_entry_kprobe(ctx, (u64)its, (u64)builder);
	return 0;
}

EXIT_PROBES(vsend, send_unlocked(true))

ENTRY_PROBES(wait, send_unlocked(false))

/* ---- its_lock holders ---- */

static __always_inline void cpu_init_enter(void)
{
	struct cpu_init_span z = {};
	u64 key = task_key();

	ft_enter(LH_FN_CPU_INIT);
	bpf_map_update_elem(&cpu_init, &key, &z, BPF_ANY);
}

static __always_inline void cpu_init_exit(void)
{
	u64 key = task_key();
	struct cpu_init_span *s;

	ft_exit(LH_FN_CPU_INIT);
	s = bpf_map_lookup_elem(&cpu_init, &key);
	if (!s)
		return;
	if (s->first && s->last > s->first)
		record_kind(LH_CPU_INIT_SPAN, 0, s->last - s->first);
	bpf_map_delete_elem(&cpu_init, &key);
}

static __always_inline void coll_enter(void)
{
	u64 key = task_key();
	struct cpu_init_span *s;

	ft_enter(LH_FN_CPU_INIT_COLL);
	s = bpf_map_lookup_elem(&cpu_init, &key);
	if (s && !s->first)
		s->first = bpf_ktime_get_ns();
}

static __always_inline void coll_exit(void)
{
	u64 key = task_key();
	struct cpu_init_span *s;

	ft_exit(LH_FN_CPU_INIT_COLL);
	s = bpf_map_lookup_elem(&cpu_init, &key);
	if (s)
		s->last = bpf_ktime_get_ns();
}

ENTRY_PROBES(cpu_init, cpu_init_enter())
EXIT_PROBES(cpu_init, cpu_init_exit())
ENTRY_PROBES(cpu_init_coll, coll_enter())
EXIT_PROBES(cpu_init_coll, coll_exit())
FUNC_TIME_PROBES(save_disable, LH_FN_SAVE_DISABLE)
FUNC_TIME_PROBES(restore_enable, LH_FN_RESTORE_ENABLE)

/* ---- the series' deprivilege ---- */

static __always_inline void depriv_mark(u32 idx)
{
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&depriv, &idx, &now, BPF_ANY);
}

static __always_inline void depriv_span(u32 idx, u32 kind)
{
	u64 now = bpf_ktime_get_ns();
	u64 *t = bpf_map_lookup_elem(&depriv, &idx);

	if (t && *t && now > *t)
		record_kind(kind, 0, now - *t);
}

ENTRY_PROBES(depriv_start, ft_enter(LH_FN_DEPRIV_START); depriv_mark(0))
EXIT_PROBES(depriv_start, ft_exit(LH_FN_DEPRIV_START); depriv_mark(1))
ENTRY_PROBES(depriv_end, ft_enter(LH_FN_DEPRIV_END); depriv_span(1, LH_DEPRIV_LOWER))
EXIT_PROBES(depriv_end, ft_exit(LH_FN_DEPRIV_END); depriv_span(0, LH_DEPRIV_UPPER))
FUNC_TIME_PROBES(staging_copy, LH_FN_STAGING_COPY)

/* ---- contention on its->lock and its_lock ---- */

SEC("tp_btf/contention_begin")
int BPF_PROG(contention_begin, void *lock, unsigned int flags)
{
	struct lh_wait w = { .lock = (u64)lock };
	u64 key = task_key();
	u64 *id;

	if (its_lock_addr && w.lock == its_lock_addr) {
		w.id = 0;
		count_inc(&counters, LHC_CONTENTION_GLOBAL);
	} else {
		id = bpf_map_lookup_elem(&its_locks, &w.lock);
		if (!id)
			return 0;
		w.id = *id;
		count_inc(&counters, LHC_CONTENTION_ITS);
	}
	w.start = bpf_ktime_get_ns();
	bpf_map_update_elem(&waits, &key, &w, BPF_ANY);
	return 0;
}

SEC("tp_btf/contention_end")
int BPF_PROG(contention_end, void *lock, int ret)
{
	u64 now = bpf_ktime_get_ns();
	struct lh_key k = { .kind = LH_CONTENTION };
	u64 key = task_key();
	struct lh_wait *w;

	w = bpf_map_lookup_elem(&waits, &key);
	if (!w || w->lock != (u64)lock)
		return 0;
	k.id = w->id;
	record(&k, now - w->start);
	bpf_map_delete_elem(&waits, &key);
	return 0;
}
