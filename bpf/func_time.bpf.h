/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function duration, entry to return, per task: the building block of the
 * hvc_path and lock_hold collectors. The including .bpf.c defines
 *   static __always_inline void ft_record(u32 idx, u64 ns);
 * before including this header; FUNC_TIME_PROBES(prefix, idx) then defines
 * the four entry points (fentry/fexit/kprobe/kretprobe) of one logical
 * probe, of which bpf/attach.c enables one pair.
 */
#ifndef ITSPERF_FUNC_TIME_BPF_H
#define ITSPERF_FUNC_TIME_BPF_H

#include "common.bpf.h"

struct ft_key {
	u64 task;
	u32 idx;
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct ft_key);
	__type(value, u64);
} ft_start SEC(".maps");

static __always_inline void ft_enter(u32 idx)
{
	struct ft_key k = { .task = task_key(), .idx = idx };
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&ft_start, &k, &now, BPF_ANY);
}

static __always_inline void ft_exit(u32 idx)
{
	struct ft_key k = { .task = task_key(), .idx = idx };
	u64 now = bpf_ktime_get_ns();
	u64 *start;

	start = bpf_map_lookup_elem(&ft_start, &k);
	if (!start)
		return; /* entered before the probe was attached */
	ft_record(idx, now - *start);
	bpf_map_delete_elem(&ft_start, &k);
}

#define FUNC_TIME_PROBES(prefix, idx)       \
	ENTRY_PROBES(prefix, ft_enter(idx)) \
	EXIT_PROBES(prefix, ft_exit(idx))

#endif
