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

struct llist_node {
	struct llist_node *next;
} __itsperf_core;

struct llist_head {
	struct llist_node *first;
} __itsperf_core;

/* CONFIG_KRETPROBES without rethook (6.1 arm64): the return addresses a kretprobe took */
struct kretprobe_instance {
	struct llist_node llist;
	void *ret_addr;
	void *fp;
} __itsperf_core;

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct llist_head kretprobe_instances;
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
