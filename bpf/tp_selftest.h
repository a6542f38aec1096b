/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf:tp_selftest: tracepoint programs (tp_btf, tracepoint, raw_tp) that
 * exist on the x86 CI kernel as on the pKVM host, measuring something a
 * test can count exactly: getpid(2) calls of the recording process and its
 * direct children, and device interrupt handlers. It exercises the loader, the
 * per-CPU histogram merge and the ring buffer where fentry and kprobes are
 * not available.
 */
#ifndef ITSPERF_TP_SELFTEST_H
#define ITSPERF_TP_SELFTEST_H

#include <linux/types.h>

enum tp_counter {
	TP_GETPID_BTF,	    /* tp_btf/sys_enter with id == getpid */
	TP_GETPID_TP,	    /* tracepoint/syscalls/sys_enter_getpid */
	TP_GETPID_EXIT,	    /* tp_btf/sys_exit matched to an entry */
	TP_SAMPLES,	    /* samples submitted to the ring buffer */
	TP_SAMPLES_DROPPED, /* bpf_ringbuf_reserve failed: ring full */
	TP_IRQ_ENTRY,	    /* raw_tp/irq_handler_entry, any irq */
	TP_IRQ_EXIT,
	NR_TP_COUNTERS,
};

struct tp_sample {
	__u64 ts;
	__u64 latency;
	__u32 cpu;
	__u32 tid;
};

#define TP_LIN_WIDTH_NS	    100 /* getpid round trips are 0.1-10 us */
#define TP_IRQ_LIN_WIDTH_NS 1000

#ifndef __bpf__
#include <stddef.h>
#include <stdint.h>

struct collector;

/* for tests: per-CPU view of the getpid latency histogram and counters */
int tp_selftest_getpid_percpu(struct collector *c, uint64_t *counts, uint64_t *mins, uint64_t *maxs,
			      int nr_cpus);
uint64_t tp_selftest_counter(struct collector *c, enum tp_counter which);
/* merged getpid histogram: count, min, max, sum */
int tp_selftest_getpid_hist(struct collector *c, uint64_t *count, uint64_t *min, uint64_t *max,
			    uint64_t *sum);
/* samples the ring-buffer consumer received, and their latencies (in arrival order) */
uint64_t tp_selftest_samples_received(struct collector *c);
const uint64_t *tp_selftest_samples(struct collector *c, size_t *nr);
/* the merged getpid histogram as the BPF side keeps it */
struct bpf_hist;
int tp_selftest_getpid_bpf_hist(struct collector *c, struct bpf_hist *out);
/* irq_handler_entry count of one irq (all CPUs) */
uint64_t tp_selftest_irq_count(struct collector *c, int irq);
#endif

#endif
