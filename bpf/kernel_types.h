/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel structures the BPF programs read, without a vmlinux.h:
 * only the fields used, marked preserve_access_index so that libbpf
 * relocates every access against the running kernel's BTF (CO-RE). Field
 * order and sizes here do not matter; names and kinds do.
 */
#ifndef ITSPERF_KERNEL_TYPES_H
#define ITSPERF_KERNEL_TYPES_H

#include <linux/types.h>

#define __itsperf_core __attribute__((preserve_access_index))

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
} __itsperf_core;

/* drivers/irqchip/irq-gic-v3-its.c: the per-ITS node, its command queue lock first */
struct raw_spinlock {
	__u32 raw_lock;
} __itsperf_core;

struct its_node {
	struct raw_spinlock lock;
	__u64 phys_base; /* phys_addr_t: the ITS's MMIO base, names the node */
} __itsperf_core;

#endif
