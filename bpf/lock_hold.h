/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf:lock_hold: how long the ITS driver's locks are held, per ITS node
 * and code path. Neither kernel has lock statistics (LOCK_STAT=n), so
 * holds are derived from probes around the code that holds them:
 *
 *   its->lock, send path  its_send_single_{,v}command() takes it first
 *                         thing and drops it right before
 *                         its_wait_for_range_completion(): hold = send
 *                         entry -> completion-wait entry (or -> return when
 *                         it bails out without posting). Over-estimates by
 *                         the lock acquisition (incl. spinning) and the
 *                         unlock; keyed by ITS (phys_base), caller, command.
 *   its_lock              its_cpu_init(): its_cpu_init_collections() is
 *                         inlined, so the hold lies between the first
 *                         its_cpu_init_collection() entry -> last return
 *                         (lower bound) and its_cpu_init() (upper bound);
 *                         its_save_disable()/its_restore_enable() hold it
 *                         throughout (upper bound = function time).
 *   series deprivilege    its_start_deprivilege() entry -> its_end_
 *                         deprivilege() return (upper) and start return
 *                         -> end entry (lower): every lock is held inside.
 *   contention            lock:contention_begin -> end on an its->lock or
 *                         on its_lock (wait to acquire, not hold).
 */
#ifndef ITSPERF_LOCK_HOLD_H
#define ITSPERF_LOCK_HOLD_H

#include <linux/types.h>

#define LH_STACK 6

enum lh_kind {
	LH_SEND,	  /* its->lock in the send path; builder = command */
	LH_CONTENTION,	  /* contention on an its->lock (id) or its_lock (id 0) */
	LH_FUNC,	  /* function time; builder = enum lh_fn */
	LH_CPU_INIT_SPAN, /* first its_cpu_init_collection entry -> last return */
	LH_DEPRIV_UPPER,  /* its_start_deprivilege entry -> its_end_deprivilege return */
	LH_DEPRIV_LOWER,  /* its_start_deprivilege return -> its_end_deprivilege entry */
	NR_LH_KINDS,
};

enum lh_fn {
	LH_FN_CPU_INIT,
	LH_FN_CPU_INIT_COLL,
	LH_FN_SAVE_DISABLE,
	LH_FN_RESTORE_ENABLE,
	LH_FN_DEPRIV_START,
	LH_FN_DEPRIV_END,
	LH_FN_STAGING_COPY,
	NR_LH_FNS,
};

enum lh_counter {
	LHC_SENDS,
	LHC_SEND_NO_WAIT,
	LHC_CONTENTION_ITS,    /* contention_begin on an its->lock */
	LHC_CONTENTION_GLOBAL, /* contention_begin on its_lock */
	LHC_STACK_FAILED,
	LHC_STACK_EMPTY, /* no kernel callchain: a vCPU is loaded (perf_guest_state()) */
	LHC_CALLER_LOST, /* kprobe: LR already replaced by a kretprobe, original not found */
	NR_LH_COUNTERS,
};

struct lh_key {
	__u64 id;	     /* ITS phys_base (its_node pointer if unreadable); 0: its_lock */
	__u64 ips[LH_STACK]; /* LH_SEND: call stack at the send (kprobe: ips[0] = caller) */
	__u64 builder;	     /* LH_SEND: builder address; LH_FUNC: enum lh_fn */
	__u32 kind;	     /* enum lh_kind */
	__u32 pad;
};

#define LH_LIN_WIDTH_NS 1000

#ifndef __bpf__
struct bpf_hist;
struct collector;

/* for tests: every send-path hold merged over ITS nodes and paths */
int lock_hold_send_total(struct collector *c, struct bpf_hist *out);
#endif

#endif
