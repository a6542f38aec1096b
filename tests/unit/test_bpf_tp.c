// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/ on the x86 CI kernel (no fentry, no kprobes): the loader, per-CPU
 * histogram merge, ring buffer and overhead statistics through the
 * tracepoint self-test collector, checked against a workload whose event
 * counts are known exactly; and the missing-symbol path of the ITS
 * collectors. Needs root (BPF); skipped otherwise.
 */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "result/result.h"
#include "bpf/common.h"
#include "bpf/tp_selftest.h"
#include "lib/collector.h"
#include "lib/interrupts.h"
#include "lib/ksyms.h"
#include "lib/probes.h"
#include "lib/util.h"

static struct ksyms *ks;
static struct probe_resolution *res;

static int group_setup(void **state __unused)
{
	ks = ksyms_load(NULL);
	res = xcalloc(nr_logical_probes, sizeof(*res));
	if (ks)
		probe_resolve_all(ks, res);
	return 0;
}

static int group_teardown(void **state __unused)
{
	ksyms_free(ks);
	free(res);
	return 0;
}

static void need_root(void)
{
	if (geteuid())
		skip();
}

static struct collector *start_tp(bool raw)
{
	struct collector_opts o = { .ks = ks, .probes = res, .raw_samples = raw };
	struct collector *c = collector_find("bpf:tp_selftest");

	assert_non_null(c);
	assert_int_equal(c->init(c, &o), 0);
	assert_int_equal(c->start(c), 0);
	return c;
}

static void getpid_loop(int n)
{
	int i;

	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
}

/*
 * Until each program has counted a getpid of this process: attached and
 * seeing it. Bounded by a number of calls (a few seconds at worst), then
 * the assertions say which program never counted.
 */
static void wait_counting(struct collector *c)
{
	int i;

	for (i = 0; i < 10000000; i++) {
		if (tp_selftest_counter(c, TP_GETPID_BTF) && tp_selftest_counter(c, TP_GETPID_TP) &&
		    tp_selftest_counter(c, TP_GETPID_EXIT))
			return;
		syscall(SYS_getpid);
	}
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static void unpin(void)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* every getpid of this process is counted, by two program types, exactly once */
static void test_loader_counts(void **state __unused)
{
	struct collector *c;
	uint64_t count, min, max, sum;
	const int n = 5000;
	int i;

	uint64_t base[3];

	need_root();
	c = start_tp(false);
	/*
	 * Readiness, not time: count only from when every program has seen
	 * one of our getpids (a loaded machine once read 0 of 5000 here).
	 */
	wait_counting(c);
	base[0] = tp_selftest_counter(c, TP_GETPID_BTF);
	base[1] = tp_selftest_counter(c, TP_GETPID_TP);
	base[2] = tp_selftest_counter(c, TP_GETPID_EXIT);
	assert_int_equal(tp_selftest_getpid_hist(c, &count, &min, &max, &sum), 0);
	assert_int_equal(count, base[2]);
	getpid_loop(n);
	assert_int_equal(c->stop(c), 0);
	assert_int_equal(tp_selftest_counter(c, TP_GETPID_BTF) - base[0], n);
	assert_int_equal(tp_selftest_counter(c, TP_GETPID_TP) - base[1], n);
	assert_int_equal(tp_selftest_counter(c, TP_GETPID_EXIT) - base[2], n);
	assert_int_equal(tp_selftest_getpid_hist(c, &count, &min, &max, &sum), 0);
	assert_int_equal(count - base[2], n);
	assert_true(min > 0 && min <= max);
	assert_true(sum >= min * count && sum <= max * count);
	for (i = 0; i < c->nr_status; i++) {
		assert_true(c->status[i].attached);
		assert_non_null(c->status[i].mechanism);
	}
	c->destroy(c);
}

/* the per-CPU copies hold exactly what ran there; the merge keeps exact min/max */
static void test_percpu_merge(void **state __unused)
{
	int ncpu = bpf_nr_cpus();
	uint64_t *counts, *mins, *maxs;
	uint64_t count, min, max, sum, want_min = UINT64_MAX, want_max = 0, total = 0;
	struct collector *c;
	int cpu;

	need_root();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	counts = xcalloc(ncpu, sizeof(*counts));
	mins = xcalloc(ncpu, sizeof(*mins));
	maxs = xcalloc(ncpu, sizeof(*maxs));
	c = start_tp(false);
	for (cpu = 0; cpu < 2; cpu++) {
		pin(cpu);
		getpid_loop(1000 * (cpu + 1));
	}
	unpin();
	assert_int_equal(c->stop(c), 0);
	assert_int_equal(tp_selftest_getpid_percpu(c, counts, mins, maxs, ncpu), 0);
	assert_int_equal(counts[0], 1000);
	assert_int_equal(counts[1], 2000);
	for (cpu = 0; cpu < ncpu; cpu++) {
		if (!counts[cpu])
			continue;
		total += counts[cpu];
		if (mins[cpu] < want_min)
			want_min = mins[cpu];
		if (maxs[cpu] > want_max)
			want_max = maxs[cpu];
	}
	assert_int_equal(total, 3000);
	assert_int_equal(tp_selftest_getpid_hist(c, &count, &min, &max, &sum), 0);
	assert_int_equal(count, 3000);
	assert_int_equal(min, want_min);
	assert_int_equal(max, want_max);
	c->destroy(c);
	free(counts);
	free(mins);
	free(maxs);
}

/*
 * The same latencies arrive twice: aggregated in the kernel (per-CPU
 * histograms, merged here) and one by one through the ring buffer. Binning
 * the samples in userspace (result/result.c hist_add) must give exactly
 * the kernel's buckets, sum, min and max: checks the BPF-side log2 and
 * linear bucketing and the merge.
 */
static void check_hist_against_samples(struct collector *c)
{
	struct hist log2, lin;
	struct bpf_hist bh;
	const uint64_t *s;
	size_t n, i;
	int b;

	s = tp_selftest_samples(c, &n);
	assert_int_equal(tp_selftest_getpid_bpf_hist(c, &bh), 0);
	assert_int_equal(bh.count, n);
	hist_init(&log2, HIST_LOG2, BPF_HIST_LOG2_SLOTS, 0);
	hist_init(&lin, HIST_LINEAR, BPF_HIST_LIN_SLOTS, TP_LIN_WIDTH_NS);
	for (i = 0; i < n; i++) {
		hist_add(&log2, s[i]);
		hist_add(&lin, s[i]);
	}
	for (b = 0; b < BPF_HIST_LOG2_SLOTS; b++)
		assert_int_equal(log2.buckets[b], bh.log2[b]);
	for (b = 0; b < BPF_HIST_LIN_SLOTS; b++)
		assert_int_equal(lin.buckets[b], bh.lin[b]);
	assert_int_equal((uint64_t)log2.sum, bh.sum);
	assert_int_equal(log2.min, bpf_hist_min(&bh));
	assert_int_equal(log2.max, bh.max);
	hist_free(&log2);
	hist_free(&lin);
}

/* N samples through the ring buffer, no wakeups, none lost, same values as the histogram */
static void test_ringbuf(void **state __unused)
{
	uint64_t count, min, max, sum;
	struct collector *c;
	const int n = 50000;

	need_root();
	c = start_tp(true);
	getpid_loop(n);
	assert_int_equal(c->stop(c), 0);
	assert_int_equal(tp_selftest_counter(c, TP_SAMPLES_DROPPED), 0);
	assert_int_equal(tp_selftest_counter(c, TP_SAMPLES), n);
	assert_int_equal(tp_selftest_samples_received(c), n);
	assert_int_equal(tp_selftest_getpid_hist(c, &count, &min, &max, &sum), 0);
	assert_int_equal(count, n);
	check_hist_against_samples(c);
	c->destroy(c);
}

static uint64_t irq_total(const struct irq_table *t, int irq)
{
	const struct irq_line *l = irq_table_find(t, irq);

	return l ? l->total : 0;
}

/*
 * irq_handler_entry counts against /proc/interrupts for single-handler
 * (MSI) lines. The two sources are read one after the other, so each end of the
 * window is bracketed: BPF before, /proc, BPF after. The BPF delta must
 * lie within [delta(/proc) - slack, delta(/proc) + slack] where slack is
 * what arrived while /proc/interrupts was being read.
 */
static void test_irq_counts(void **state __unused)
{
	struct irq_table a0, a1;
	struct collector *c;
	char path[256];
	char buf[65536];
	int checked = 0;
	int i, fd;

	need_root();
	c = start_tp(false);
	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/bpf-irq-test.%d",
		 getenv("ITSPERF_TEST_OUT") ? getenv("ITSPERF_TEST_OUT") : ".", getpid());
	/* disk interrupts: write and fsync a few times */
	{
		int n = 0;
		uint64_t before[1024] = { 0 }, mid[1024] = { 0 };
		uint64_t end_bpf[1024] = { 0 }, after_proc1[1024] = { 0 };
		uint64_t last[1024] = { 0 };
		int irqs[1024];

		assert_int_equal(irq_table_read(NULL, &a0), 0);
		for (i = 0; i < a0.nr_lines && n < 1024; i++) {
			struct irq_line *l = &a0.lines[i];

			/* MSIs are never shared: one irq_handler_entry per interrupt */
			if (l->irq < 0 || !strstr(l->chip, "MSI"))
				continue;
			irqs[n++] = l->irq;
		}
		irq_table_free(&a0);
		for (i = 0; i < n; i++)
			before[i] = tp_selftest_irq_count(c, irqs[i]);
		assert_int_equal(irq_table_read(NULL, &a0), 0);
		for (i = 0; i < n; i++)
			mid[i] = tp_selftest_irq_count(c, irqs[i]);
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		assert_true(fd >= 0);
		for (i = 0; i < 8; i++) {
			assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
			fsync(fd);
		}
		close(fd);
		unlink(path);
		for (i = 0; i < n; i++)
			end_bpf[i] = tp_selftest_irq_count(c, irqs[i]);
		assert_int_equal(irq_table_read(NULL, &a1), 0);
		for (i = 0; i < n; i++) {
			uint64_t want;
			int k;

			after_proc1[i] = irq_total(&a1, irqs[i]);
			want = before[i] + after_proc1[i] - irq_total(&a0, irqs[i]);
			/*
			 * /proc/interrupts counts in the flow handler, before
			 * irq_handler_entry fires: an interrupt in flight on
			 * another CPU (long, on a loaded machine) is counted
			 * there first. Wait for it to reach the handler, bounded.
			 */
			for (k = 0; k < 100000; k++) {
				last[i] = tp_selftest_irq_count(c, irqs[i]);
				if (last[i] >= want)
					break;
				sched_yield();
			}
		}
		for (i = 0; i < n; i++) {
			uint64_t proc = after_proc1[i] - irq_total(&a0, irqs[i]);
			uint64_t lo = end_bpf[i] - mid[i];
			uint64_t hi = last[i] - before[i];

			if (!proc && hi == 0)
				continue;
			/* BPF counted over a window inside [before, last] and around [mid, end_bpf] */
			if (proc < lo || proc > hi)
				fail_msg(
					"irq %d: /proc/interrupts delta %llu outside BPF [%llu, %llu]",
					irqs[i], (unsigned long long)proc, (unsigned long long)lo,
					(unsigned long long)hi);
			checked++;
		}
		irq_table_free(&a0);
		irq_table_free(&a1);
	}
	assert_int_equal(c->stop(c), 0);
	assert_true(checked > 0);
	assert_true(tp_selftest_counter(c, TP_IRQ_ENTRY) >= (uint64_t)checked);
	c->destroy(c);
}

/* no ITS on this kernel: every ITS probe is reported absent, init says so and fails */
static void test_missing_symbols(void **state __unused)
{
	static const char *const names[] = { "bpf:cmd_latency", "bpf:lock_hold", "bpf:hvc_path" };
	struct collector_opts o = { .ks = ks, .probes = res };
	size_t n;
	int i;

	need_root();
	if (ksyms_by_name(ks, "its_send_single_command"))
		skip(); /* an arm64 host with an ITS: covered by the guest tests */
	for (n = 0; n < ARRAY_SIZE(names); n++) {
		struct collector *c = collector_find(names[n]);
		int absent = 0;

		assert_non_null(c);
		assert_int_not_equal(c->init(c, &o), 0);
		assert_true(c->nr_status > 0);
		for (i = 0; i < c->nr_status; i++) {
			const struct probe_status *s = &c->status[i];

			assert_false(s->attached);
			assert_non_null(s->note);
			/* tracepoints (lock:contention_*) say why they are off in their own words */
			if (s->symbol || !probe_find(s->probe))
				continue;
			assert_non_null(strstr(s->note, "absent on this kernel"));
			absent++;
		}
		assert_true(absent > 0);
		c->destroy(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loader_counts),	cmocka_unit_test(test_percpu_merge),
		cmocka_unit_test(test_ringbuf),		cmocka_unit_test(test_irq_counts),
		cmocka_unit_test(test_missing_symbols),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
