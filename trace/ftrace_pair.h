/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry/return pairing of kprobe + kretprobe records into durations, and
 * the split of one ITS command's time into its parts.
 *
 * Records are matched per execution context: a task (pid), and within it
 * hardirq / softirq / NMI context separately (an interrupt arriving while a
 * task waits for command completion runs with the task's pid), and per CPU
 * for pid 0. Within one context, calls nest like a stack:
 *
 *   cmd_send (its_send_single_command, builder = command type)
 *     queue_alloc (its_allocate_entry)      command slot, then SYNC slot
 *     cmd_wait (its_wait_for_range_completion)
 *
 * so a queue_alloc or cmd_wait is attributed to the innermost enclosing
 * command send. Any other probe is a plain span (function duration).
 */
#ifndef ITSPERF_FTRACE_PAIR_H
#define ITSPERF_FTRACE_PAIR_H

#include <stddef.h>
#include <stdint.h>

enum fp_role {
	FP_SPAN,	/* duration of one function call */
	FP_CMD_SEND,	/* one ITS command; arg = builder address */
	FP_QUEUE_ALLOC, /* waiting for a queue slot, inside a command send */
	FP_CMD_WAIT,	/* waiting for completion, inside a command send */
};

struct fp_probe_def {
	const char *metric; /* FP_SPAN: metric name of the durations */
	enum fp_role role;
};

/* one kprobe or kretprobe record, reduced */
struct fp_event {
	uint64_t ts;  /* ns, trace clock */
	uint64_t arg; /* builder address on FP_CMD_SEND entries */
	uint32_t seq; /* read order: tie-break for equal timestamps */
	int32_t pid;
	uint16_t probe; /* index into the fp_probe_def table */
	uint8_t ret;	/* 1: return record */
	uint8_t flags;	/* common_flags (hardirq/softirq/NMI context) */
	uint16_t cpu;
};

/* common_flags bits (include/linux/trace_events.h, stable since 5.x) */
#define FP_FLAG_IRQS_OFF 0x01
#define FP_FLAG_HARDIRQ	 0x08
#define FP_FLAG_SOFTIRQ	 0x10
#define FP_FLAG_NMI	 0x40

/*
 * The parts of one command, named and defined as the BPF collector's
 * (bpf/cmd_latency.h) so that both land side by side in a run:
 *   total            send entry -> send return
 *   queue_wait       time in its_allocate_entry (command slot + SYNC slot)
 *   locked           send entry -> completion-wait entry (its->lock held:
 *                    queue_wait + build_post)
 *   build_post       locked - queue_wait: command and SYNC built, CWRITER posted
 *   completion_wait  time in its_wait_for_range_completion
 *   unaccounted      total - locked - completion_wait (completion-wait return
 *                    -> send return, plus the probes' own cost)
 * so total = queue_wait + build_post + completion_wait + unaccounted.
 */
enum fp_part {
	FP_PART_TOTAL,
	FP_PART_QUEUE_WAIT,
	FP_PART_LOCKED,
	FP_PART_BUILD_POST,
	FP_PART_COMPLETION,
	FP_PART_UNACCOUNTED,
	FP_NR_CMD_PARTS,
	FP_PART_SPAN = FP_NR_CMD_PARTS, /* a probe's own metric */
};

struct fp_series {
	char name[128]; /* metric name */
	char key[64];	/* command name, or the probe's metric */
	enum fp_part part;
	uint64_t *v;
	size_t n;
	size_t cap;
	double sum;
};

struct fp_result {
	struct fp_series *s;
	int nr;
	uint64_t paired;	     /* entry/return pairs */
	uint64_t unmatched_returns;  /* return with no entry (call began before tracing) */
	uint64_t lost_returns;	     /* entry never returned (kretprobe miss) */
	uint64_t open_at_end;	     /* still inside at the end of tracing */
	uint64_t unattributed_parts; /* queue_alloc / cmd_wait outside any command send */
	uint64_t depth_overflow;
};

/* builder address -> command name (e.g. "MOVI") */
typedef const char *(*fp_cmd_namer)(uint64_t builder, char *buf, size_t len, void *ctx);

/*
 * Sort ev (in place) by time and pair. defs has nr_defs entries indexed by
 * fp_event.probe. Returns 0, or -1 for bad input (unknown probe index).
 */
int fp_pair(const struct fp_probe_def *defs, int nr_defs, struct fp_event *ev, size_t nr_ev,
	    fp_cmd_namer namer, void *ctx, struct fp_result *res);
const struct fp_series *fp_find(const struct fp_result *res, const char *name);
void fp_result_free(struct fp_result *res);

#endif
