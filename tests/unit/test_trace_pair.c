// SPDX-License-Identifier: GPL-2.0
/*
 * trace/ftrace_pair (entry/return pairing, command parts) and
 * trace/boot_trace (the deprivilege analysis), on event sequences built
 * here: the series' functions exist on no kernel this project can boot, so
 * their path is checked on what such a kernel's boot trace would hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/util.h"
#include "trace/boot_trace.h"
#include "trace/ftrace_pair.h"

enum { P_SEND, P_ALLOC, P_WAIT, P_SPAN };

static const struct fp_probe_def defs[] = {
	[P_SEND] = { NULL, FP_CMD_SEND },
	[P_ALLOC] = { NULL, FP_QUEUE_ALLOC },
	[P_WAIT] = { NULL, FP_CMD_WAIT },
	[P_SPAN] = { "hvc.share_hyp", FP_SPAN },
};

static const char *namer(uint64_t builder, char *buf, size_t len, void *ctx __unused)
{
	snprintf(buf, len, "%s", builder == 0x10 ? "MOVI" : builder == 0x20 ? "MAPD" : "OTHER");
	return buf;
}

struct seq {
	struct fp_event ev[128];
	size_t n;
};

static void ev(struct seq *s, uint64_t ts, int pid, int cpu, int probe, int ret, uint64_t arg,
	       uint8_t flags)
{
	struct fp_event *e = &s->ev[s->n];

	memset(e, 0, sizeof(*e));
	e->ts = ts;
	e->pid = pid;
	e->cpu = cpu;
	e->probe = probe;
	e->ret = ret;
	e->arg = arg;
	e->flags = flags;
	e->seq = s->n++;
}

/* one MOVI: send 0..1000, alloc 10..60 and 100..120 (SYNC), wait 400..900 */
static void one_cmd(struct seq *s, uint64_t t, int pid, int cpu, uint64_t builder)
{
	ev(s, t + 0, pid, cpu, P_SEND, 0, builder, 0);
	ev(s, t + 10, pid, cpu, P_ALLOC, 0, 0, 1);
	ev(s, t + 60, pid, cpu, P_ALLOC, 1, 0, 1);
	ev(s, t + 100, pid, cpu, P_ALLOC, 0, 0, 1);
	ev(s, t + 120, pid, cpu, P_ALLOC, 1, 0, 1);
	ev(s, t + 400, pid, cpu, P_WAIT, 0, 0, 0);
	ev(s, t + 900, pid, cpu, P_WAIT, 1, 0, 0);
	ev(s, t + 1000, pid, cpu, P_SEND, 1, 0, 0);
}

static uint64_t only(const struct fp_result *r, const char *name)
{
	const struct fp_series *s = fp_find(r, name);

	assert_non_null(s);
	assert_int_equal(s->n, 1);
	return s->v[0];
}

static void test_parts(void **state __unused)
{
	struct fp_result r;
	struct seq s = { .n = 0 };

	one_cmd(&s, 1000, 42, 0, 0x10);
	assert_int_equal(fp_pair(defs, ARRAY_SIZE(defs), s.ev, s.n, namer, NULL, &r), 0);
	assert_int_equal(only(&r, "cmd_latency.total.MOVI"), 1000);
	assert_int_equal(only(&r, "cmd_latency.queue_wait.MOVI"), 50 + 20);
	assert_int_equal(only(&r, "cmd_latency.locked.MOVI"), 400);
	assert_int_equal(only(&r, "cmd_latency.build_post.MOVI"), 400 - 70);
	assert_int_equal(only(&r, "cmd_latency.completion_wait.MOVI"), 500);
	assert_int_equal(only(&r, "cmd_latency.unaccounted.MOVI"), 100);
	/* the parts add up to the total */
	assert_int_equal(only(&r, "cmd_latency.queue_wait.MOVI") +
				 only(&r, "cmd_latency.build_post.MOVI") +
				 only(&r, "cmd_latency.completion_wait.MOVI") +
				 only(&r, "cmd_latency.unaccounted.MOVI"),
			 only(&r, "cmd_latency.total.MOVI"));
	assert_int_equal(r.paired, 4);
	assert_int_equal(r.unmatched_returns + r.lost_returns + r.open_at_end, 0);
	fp_result_free(&r);
}

/*
 * Two tasks interleaved, events given out of time order (as per-CPU
 * buffers deliver them), a task migrating between entry and return, and an
 * interrupt on the same pid issuing a command while the task waits.
 */
static void test_interleaved(void **state __unused)
{
	struct fp_result r;
	struct seq s = { .n = 0 };
	const struct fp_series *mapd;

	one_cmd(&s, 2000, 7, 1, 0x20);
	one_cmd(&s, 1500, 8, 0, 0x10);
	/* task 9: send on CPU 0, returns on CPU 1 */
	ev(&s, 5000, 9, 0, P_SEND, 0, 0x10, 0);
	ev(&s, 5400, 9, 0, P_WAIT, 0, 0, 0);
	/* hardirq on the same pid during the wait: its own MAPD, nested context */
	ev(&s, 5500, 9, 0, P_SEND, 0, 0x20, FP_FLAG_HARDIRQ);
	ev(&s, 5600, 9, 0, P_SEND, 1, 0, FP_FLAG_HARDIRQ);
	ev(&s, 5900, 9, 1, P_WAIT, 1, 0, 0);
	ev(&s, 6000, 9, 1, P_SEND, 1, 0, 0);
	assert_int_equal(fp_pair(defs, ARRAY_SIZE(defs), s.ev, s.n, namer, NULL, &r), 0);
	assert_int_equal(fp_find(&r, "cmd_latency.total.MOVI")->n, 2);
	mapd = fp_find(&r, "cmd_latency.total.MAPD");
	assert_int_equal(mapd->n, 2);
	assert_true(mapd->v[0] == 1000 || mapd->v[1] == 1000);
	assert_true(mapd->v[0] == 100 || mapd->v[1] == 100);
	/* the task's wait is its own, not the interrupt's */
	assert_int_equal(fp_find(&r, "cmd_latency.completion_wait.MOVI")->sum, 500 + 500);
	assert_int_equal(r.unmatched_returns + r.lost_returns + r.open_at_end, 0);
	fp_result_free(&r);
}

static void test_anomalies(void **state __unused)
{
	struct fp_result r;
	struct seq s = { .n = 0 };

	/* a return whose entry came before tracing started */
	ev(&s, 100, 5, 0, P_SPAN, 1, 0, 0);
	/* a kretprobe miss: entry, entry again, return */
	ev(&s, 200, 5, 0, P_SPAN, 0, 0, 0);
	ev(&s, 300, 5, 0, P_SPAN, 0, 0, 0);
	ev(&s, 350, 5, 0, P_SPAN, 1, 0, 0);
	/* still inside at the end; a wait outside any send */
	ev(&s, 400, 6, 0, P_SPAN, 0, 0, 0);
	ev(&s, 500, 6, 0, P_WAIT, 0, 0, 0);
	ev(&s, 600, 6, 0, P_WAIT, 1, 0, 0);
	/* an unknown probe index is bad input */
	ev(&s, 700, 6, 0, 99, 0, 0, 0);
	assert_int_equal(fp_pair(defs, ARRAY_SIZE(defs), s.ev, s.n, namer, NULL, &r), -1);
	assert_int_equal(r.unmatched_returns, 1);
	assert_int_equal(r.lost_returns, 1);
	assert_int_equal(r.open_at_end, 1);
	assert_int_equal(r.unattributed_parts, 1);
	assert_int_equal(only(&r, "hvc.share_hyp"), 50);
	fp_result_free(&r);
}

/* ---- boot ---- */

static int nrec;
static struct boot_rec recs[64];

static void br(uint64_t ts, enum boot_kind k, int cpu, int pid, bool ret, uint8_t flags)
{
	recs[nrec].ts = ts;
	recs[nrec].kind = k;
	recs[nrec].cpu = cpu;
	recs[nrec].pid = pid;
	recs[nrec].ret = ret;
	recs[nrec].flags = flags;
	nrec++;
}

/* upstream 6.12: the window, the local CPU's finalize, two remote ones in IPI context */
static void test_boot_upstream(void **state __unused)
{
	struct boot_result res;

	nrec = 0;
	br(1000, BOOT_WINDOW, 0, 1, false, 0x01);
	br(1500, BOOT_PROT_FINALIZE, 1, 0, false, 0x09);
	br(1700, BOOT_PROT_FINALIZE, 2, 0, false, 0x09);
	br(2100, BOOT_PROT_FINALIZE, 1, 0, true, 0x09);
	br(2300, BOOT_PROT_FINALIZE, 0, 1, false, 0x01);
	br(2400, BOOT_PROT_FINALIZE, 2, 0, true, 0x09);
	br(2500, BOOT_PROT_FINALIZE, 0, 1, true, 0x01);
	/* the task migrated to CPU 3 before returning */
	br(4000, BOOT_WINDOW, 3, 1, true, 0x00);
	assert_int_equal(boot_analyze(recs, nrec, &res), 0);
	assert_non_null(res.window);
	assert_int_equal(res.window->end - res.window->start, 3000);
	assert_int_equal(res.nr_finalize, 3);
	assert_int_equal(res.finalize_first, 1500);
	assert_int_equal(res.finalize_last, 2500);
	assert_false(res.locks_bounds);
	assert_int_equal(res.irqs_off_known, -1);
	assert_int_equal(res.unmatched, 0);
	boot_result_free(&res);
}

/* a series kernel: start takes the locks, two ITSes copied, the hvc callback, end drops them */
static void test_boot_series(void **state __unused)
{
	struct boot_result res;

	nrec = 0;
	br(1000, BOOT_WINDOW, 0, 1, false, 0x00);
	br(1100, BOOT_DEPRIV_START, 0, 1, false, 0x00);
	br(1200, BOOT_DEPRIV_START, 0, 1, true, 0x01);
	br(1300, BOOT_STAGING_COPY, 0, 1, false, 0x01);
	br(1500, BOOT_STAGING_COPY, 0, 1, true, 0x01);
	br(1600, BOOT_STAGING_COPY, 0, 1, false, 0x01);
	br(1650, BOOT_STAGING_COPY, 0, 1, true, 0x01);
	br(1700, BOOT_HYP_SETUP, 0, 1, false, 0x01);
	br(2700, BOOT_HYP_SETUP, 0, 1, true, 0x01);
	br(2800, BOOT_OTHER, 0, 1, false, 0x01);
	br(3000, BOOT_DEPRIV_END, 0, 1, false, 0x01);
	br(3200, BOOT_DEPRIV_END, 0, 1, true, 0x00);
	br(3300, BOOT_WINDOW, 0, 1, true, 0x00);
	assert_int_equal(boot_analyze(recs, nrec, &res), 0);
	assert_true(res.locks_bounds);
	assert_int_equal(res.locks_lower, 3000 - 1200);
	assert_int_equal(res.locks_upper, 3200 - 1100);
	assert_int_equal(res.irqs_off_known, 1);
	assert_int_equal(res.nr_hyp_setup, 1);
	assert_int_equal(res.hyp_setup_ns, 1000);
	boot_result_free(&res);

	/* one record inside the span with IRQs on: not all off */
	recs[9].flags = 0x00;
	assert_int_equal(boot_analyze(recs, nrec, &res), 0);
	assert_int_equal(res.irqs_off_known, 0);
	boot_result_free(&res);
}

static void test_boot_unmatched(void **state __unused)
{
	struct boot_result res;

	nrec = 0;
	br(1000, BOOT_PROT_FINALIZE, 0, 1, true, 0x01); /* return only */
	br(2000, BOOT_WINDOW, 0, 1, false, 0x01);	/* entry only */
	assert_int_equal(boot_analyze(recs, nrec, &res), 0);
	assert_null(res.window);
	assert_int_equal(res.nr_finalize, 0);
	assert_int_equal(res.unmatched, 2);
	boot_result_free(&res);
	assert_int_equal(boot_kind_of("its_deprivilege_start"), BOOT_DEPRIV_START);
	assert_int_equal(boot_kind_of("nonsense"), BOOT_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts),	    cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_anomalies),   cmocka_unit_test(test_boot_upstream),
		cmocka_unit_test(test_boot_series), cmocka_unit_test(test_boot_unmatched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
