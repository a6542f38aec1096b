/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the BPF side of every collector: histogram updates
 * (bpf/hist.h), the per-task key of "in flight" maps, and the entry-point
 * macros that give one handler a fentry/fexit and a kprobe/kretprobe
 * flavour (bpf/attach.c picks one per probe at start and disables the
 * other before load).
 */
#ifndef ITSPERF_COMMON_BPF_H
#define ITSPERF_COMMON_BPF_H

#include <linux/types.h>
#include <linux/bpf.h>
/* struct pt_regs (x86) / struct user_pt_regs (arm64) for PT_REGS_PARMx in kprobes */
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "hist.h"

typedef __u64 u64;
typedef __u32 u32;
typedef __s64 s64;
#ifndef __bool_true_false_are_defined /* no libc headers: -nostdinc on arm64 */
typedef _Bool bool;
#define true 1
#define false 0
#endif

char LICENSE[] SEC("license") = "GPL";

/* floor(log2(v)), 0 for v < 2: the bucket layout of struct hist */
static __always_inline u32 log2_u32(u32 v)
{
	u32 r, shift;

	r = (v > 0xffff) << 4;
	v >>= r;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline u32 log2_u64(u64 v)
{
	u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/*
 * Programs run with migration disabled but not always with preemption
 * disabled, and an IRQ-context program may update the same entry: every
 * field is updated atomically, min/max with a bounded compare-and-swap.
 */
static __always_inline void atomic_max(u64 *p, u64 v)
{
	int i;

	for (i = 0; i < 4; i++) {
		u64 old = *(volatile u64 *)p;

		if (v <= old || __sync_val_compare_and_swap(p, old, v) == old)
			break;
	}
}

static __always_inline void hist_add(struct bpf_hist *h, u64 v, u64 lin_width)
{
	u64 lin = lin_width ? v / lin_width : 0;
	u64 slot = log2_u64(v);

	if (slot >= BPF_HIST_LOG2_SLOTS)
		slot = BPF_HIST_LOG2_SLOTS - 1;
	if (lin >= BPF_HIST_LIN_SLOTS)
		lin = BPF_HIST_LIN_SLOTS - 1;
	/*
	 * A no-op the compiler must keep: the 6.1 verifier loses the upper
	 * half of alu32 results and wants a 64-bit bound on the index.
	 */
	asm volatile("%[v] &= %[m]" : [v] "+r"(slot) : [m] "i"(BPF_HIST_LOG2_SLOTS - 1));
	asm volatile("%[v] &= %[m]" : [v] "+r"(lin) : [m] "i"(BPF_HIST_LIN_SLOTS - 1));
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum, v);
	__sync_fetch_and_add(&h->log2[slot], 1);
	__sync_fetch_and_add(&h->lin[lin], 1);
	atomic_max(&h->min_inv, ~v);
	atomic_max(&h->max, v);
}

/*
 * Key of per-task "in flight" state. The idle tasks of all CPUs share
 * pid 0 (and cannot migrate), so they are told apart by CPU.
 */
static __always_inline u64 task_key(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (!tid)
		return (1ULL << 63) | bpf_get_smp_processor_id();
	return tid;
}

static __always_inline void count_inc(void *map, u32 idx)
{
	u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* a per-CPU hash of struct bpf_hist: find or create the entry for key */
static const struct bpf_hist zero_hist;

static __always_inline struct bpf_hist *hist_get(void *map, const void *key)
{
	struct bpf_hist *h = bpf_map_lookup_elem(map, key);

	if (h)
		return h;
	bpf_map_update_elem(map, key, &zero_hist, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/*
 * One handler, two entry points. ENTRY_PROBES(name, handler) defines
 * name_fentry and name_kprobe calling handler(ctx-independent args);
 * the collector's userspace half enables the one bpf/attach.c chooses.
 */
#define ENTRY_PROBES(name, call)      \
	SEC("fentry")                 \
	int BPF_PROG(name##_fentry)   \
	{                             \
		call;                 \
		return 0;             \
	}                             \
	SEC("kprobe")                 \
	int BPF_KPROBE(name##_kprobe) \
	{                             \
		call;                 \
		return 0;             \
	}

#define EXIT_PROBES(name, call)             \
	SEC("fexit")                        \
	int BPF_PROG(name##_fexit)          \
	{                                   \
		call;                       \
		return 0;                   \
	}                                   \
	SEC("kretprobe")                    \
	int BPF_KRETPROBE(name##_kretprobe) \
	{                                   \
		call;                       \
		return 0;                   \
	}

#endif
