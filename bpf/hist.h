/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The histogram every BPF collector keeps per CPU, shared by the BPF
 * programs and userspace. A BPF program only adds to the copy of the CPU
 * it runs on (BPF_MAP_TYPE_PERCPU_HASH / PERCPU_ARRAY values); userspace
 * merges the per-CPU copies into one struct hist (result/result.h) with
 * bpf_hist_merge_cpus() and bpf_hist_export() (bpf/common.h).
 *
 * Layout matches struct hist: log2 bucket i holds [2^i, 2^(i+1)), bucket 0
 * holds [0, 2); linear bucket i holds [i * width, (i + 1) * width) and the
 * last linear bucket also holds everything above (the log2 histogram and
 * the exact max keep the tail). min is stored inverted (~min) so that a
 * zero-filled new entry needs no initialisation: the first value wins a
 * plain "keep the largest" update.
 */
#ifndef ITSPERF_BPF_HIST_H
#define ITSPERF_BPF_HIST_H

#include <linux/types.h>

#define BPF_HIST_LOG2_SLOTS 64
#define BPF_HIST_LIN_SLOTS  128

struct bpf_hist {
	__u64 count;
	__u64 sum;
	__u64 min_inv; /* ~min; 0 while count == 0 */
	__u64 max;
	__u64 log2[BPF_HIST_LOG2_SLOTS];
	__u64 lin[BPF_HIST_LIN_SLOTS];
};

#endif
