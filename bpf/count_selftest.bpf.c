// SPDX-License-Identifier: GPL-2.0
/* bpf:count_selftest, BPF side: one per-CPU counter per probe, nothing else. */
#include "common.bpf.h"
#include "count_selftest.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * NR_COUNT_FNS); /* entry hits, then return hits */
	__type(key, u32);
	__type(value, u64);
} hits SEC(".maps");

static __always_inline void hit(u32 idx)
{
	u64 *v = bpf_map_lookup_elem(&hits, &idx);

	if (v)
		(*v)++;
}

ENTRY_PROBES(cmd_send, hit(COUNT_CMD_SEND))
EXIT_PROBES(cmd_send, hit(NR_COUNT_FNS + COUNT_CMD_SEND))
ENTRY_PROBES(queue_alloc, hit(COUNT_QUEUE_ALLOC))
EXIT_PROBES(queue_alloc, hit(NR_COUNT_FNS + COUNT_QUEUE_ALLOC))
ENTRY_PROBES(cmd_wait, hit(COUNT_CMD_WAIT))
EXIT_PROBES(cmd_wait, hit(NR_COUNT_FNS + COUNT_CMD_WAIT))
