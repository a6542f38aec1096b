// SPDX-License-Identifier: GPL-2.0
/*
 * bench null_call: one call of a kernel function that does nothing, the
 * target of probe-cost calibration (commands/calibrate.c).
 *
 * The kernel's own BPF self-test hooks are such functions:
 * BPF_PROG_TEST_RUN of a fentry program makes the kernel call
 * bpf_fentry_test1() .. bpf_fentry_test8() once each (net/bpf/test_run.c,
 * every kernel since 5.5). They are noinline, traceable, in BTF, and
 * bpf_fentry_test3(char, int, u64) has the three arguments of
 * its_send_single_command(), so a collector's cmd_send handlers attach to
 * it unchanged. A span measured around it holds the probes' own cost and
 * a body of a few instructions. The program test-run here is "return 0"
 * and is never attached.
 *
 * Each operation is one syscall, timed in userspace (CLOCK_MONOTONIC): the
 * difference between runs with and without probes is their cost per call.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench/bench_priv.h"

#define NULL_CALL_TARGET "bpf_fentry_test1" /* any test function: the load needs one */

static int load_null_prog(struct bench_ctx *c)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *btf;
	int id;
	int fd;

	btf = btf__load_vmlinux_btf();
	if (!btf) {
		bench_error(c, "no kernel BTF (/sys/kernel/btf/vmlinux): %s", strerror(errno));
		return -1;
	}
	id = btf__find_by_name_kind(btf, NULL_CALL_TARGET, BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0) {
		bench_error(c, "%s is not in the kernel's BTF (CONFIG_NET off?)", NULL_CALL_TARGET);
		return -1;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "itsperf_null", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &opts);
	if (fd < 0)
		bench_error(c, "loading a fentry program: %s", strerror(-fd));
	return fd;
}

static int null_call_run(struct bench_ctx *c)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct bench_metric *m;
	cpu_set_t saved;
	int err = 0;
	int fd;

	fd = load_null_prog(c);
	if (fd < 0)
		return EXIT_FAIL;
	m = bench_metric_new(c, "null_call", "ns",
			     "one BPF_PROG_TEST_RUN syscall: calls bpf_fentry_test1..8 once each");
	/* one CPU: each call's path the same */
	sched_getaffinity(0, sizeof(saved), &saved);
	if (bench_pin_to_cpu(c->cpu_list[0]))
		bench_note(c, "cannot pin to CPU %d: %s", c->cpu_list[0], strerror(errno));
	bench_begin(c);
	while (bench_next_op(c)) {
		uint64_t t0 = now_ns();

		err = bpf_prog_test_run_opts(fd, &topts);
		if (err) {
			bench_error(c, "BPF_PROG_TEST_RUN: %s", strerror(-err));
			bench_op_unclaim(c);
			break;
		}
		bench_metric_add(m, now_ns() - t0);
		bench_op_done(c);
	}
	bench_end(c);
	bench_unpin_self(&saved);
	close(fd);
	bench_line(
		c,
		"target of the calibration: bpf_fentry_test3 (and test1..8), called once per op");
	return err || !c->done ? EXIT_FAIL : EXIT_OK;
}

const struct bench_workload bench_null_call = {
	.name = "null_call",
	.help = "calls of an empty kernel function (bpf_fentry_test3): probe-cost calibration",
	.op = "call",
	.cmds = "none",
	.opts = 0,
	.default_ops = 10000,
	.run = null_call_run,
};
