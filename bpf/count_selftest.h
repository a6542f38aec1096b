/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf:count_selftest: the bare counter of probe-cost benchmarks. The same
 * functions and the same attach type (fentry/fexit, or kprobe/kretprobe)
 * as bpf:cmd_latency, and a program that only counts its hits: what any
 * BPF probe pair costs there, against which a collector's own cost per hit
 * is put (bpf/bench.sh). Not part of -e bpf.
 */
#ifndef ITSPERF_COUNT_SELFTEST_H
#define ITSPERF_COUNT_SELFTEST_H

enum count_fn {
	COUNT_CMD_SEND,
	COUNT_QUEUE_ALLOC,
	COUNT_CMD_WAIT,
	NR_COUNT_FNS,
};

#endif
