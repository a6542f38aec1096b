/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf:cmd_latency: one ITS command from its_send_single_command() or
 * its_send_single_vcommand() entry to return, split into
 *
 *   queue_wait       its_allocate_entry() calls inside the send (two when a
 *                    SYNC/VSYNC follows: the SYNC is a second allocation)
 *   build_post       the rest of the time up to its_wait_for_range_completion()
 *                    entry: lock acquire, builder, flush, SYNC, post (CWRITER),
 *                    unlock; its->lock is held for all of it but the acquire
 *   completion_wait  its_wait_for_range_completion(): CREADR polling
 *   unaccounted      from the completion wait's return to the send's return
 *
 * total = queue_wait + build_post + completion_wait + unaccounted, each from
 * its own pair of probe timestamps; unaccounted is the error bound of the
 * split. locked = queue_wait + build_post is this command's its->lock hold
 * (send entry -> completion-wait entry). Keyed by command type (the
 * builder's address, named by kallsyms).
 */
#ifndef ITSPERF_CMD_LATENCY_H
#define ITSPERF_CMD_LATENCY_H

#include <linux/types.h>

enum cmd_part {
	PART_TOTAL,
	PART_QUEUE_WAIT,
	PART_LOCKED, /* send entry -> completion-wait entry: queue_wait + build_post */
	PART_BUILD_POST,
	PART_COMPLETION_WAIT,
	PART_UNACCOUNTED,
	PART_CLEAR_PATH, /* its_send_clear() wrapper, entry to return */
	NR_CMD_PARTS,
};

enum cmd_kind {
	CMD_PHYS, /* its_send_single_command */
	CMD_VIRT, /* its_send_single_vcommand */
};

enum cmd_counter {
	CNT_SENT,	  /* sends that completed with a completion wait */
	CNT_NO_WAIT,	  /* sends that returned without waiting (queue full) */
	CNT_ALLOC_FAILED, /* its_allocate_entry() returned NULL ("not draining") */
	CNT_WAIT_TIMEOUT, /* its_wait_for_range_completion() returned an error */
	CNT_NESTED,	  /* a send started while this task had one in flight */
	CNT_ORPHAN,	  /* alloc/wait/exit event without a send in flight */
	CNT_SAMPLES,
	CNT_SAMPLES_DROPPED,
	CNT_CLEAR_CALLS, /* its_send_clear() calls */
	NR_CMD_COUNTERS,
};

struct cmd_key {
	__u64 builder; /* its_build_<x>_cmd address; 0 for PART_CLEAR_PATH */
	__u32 part;    /* enum cmd_part */
	__u32 kind;    /* enum cmd_kind */
};

struct cmd_sample {
	__u64 ts;
	__u64 builder;
	__u64 its;
	__u64 total;
	__u64 queue_wait;
	__u64 build_post;
	__u64 completion_wait;
	__u32 cpu;
	__u16 nr_alloc;
	__u8 kind;
	__u8 waited; /* 0: returned without a completion wait, parts not set */
};

/* linear histogram bucket: 1 us (hardware commands take ~1-10 us, TCG 10-500 us) */
#define CMD_LIN_WIDTH_NS 1000

#ifndef __bpf__
struct bpf_hist;
struct collector;

/*
 * for tests: merged histogram of one command type ("MOVI") and part (named
 * bpf_ so that every cmd_* function is an `itsperf <command>` in commands/)
 */
int bpf_cmd_latency_hist(struct collector *c, const char *type, enum cmd_part part,
			 struct bpf_hist *out);
#endif

#endif
