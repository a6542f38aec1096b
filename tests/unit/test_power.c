// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts with power (analysis/power.c) and the clock of a run
 * (analysis/clock.c, analysis/clock_check.c): Welch's t on log values by
 * hand, the degenerate-variance floor, the minimum detectable effect, the
 * headline family, simulated A/A and shift trials at 3 runs per side with
 * icount-like and wall-like dispersion, and the clock metadata (command
 * line, JSON round trip, old results, mixed clocks refused).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <json-c/json.h>

#include "analysis/clock_check.h"
#include "analysis/compare.h"
#include "analysis/power.h"
#include "result/result.h"
#include "lib/util.h"

#define TRIALS 500

/* Welch by hand: x = e^{0, .1, .2}, y = e^{.5, .6, .7}: d = .5, se = sqrt(2 * .01 / 3) */
static void test_welch_by_hand(void **state __unused)
{
	const double x[] = { exp(0), exp(0.1), exp(0.2) };
	const double y[] = { exp(0.5), exp(0.6), exp(0.7) };
	struct welch w;

	welch_test(x, 3, y, 3, 0, &w);
	assert_true(w.valid && w.log && !w.floored);
	assert_float_equal(w.d, 0.5, 1e-12);
	assert_float_equal(w.se, sqrt(0.02 / 3), 1e-12);
	assert_float_equal(w.df, 4, 1e-9);
	assert_float_equal(w.t, 0.5 / sqrt(0.02 / 3), 1e-9);
	/* t = 6.1237 with 4 df: one-sided p = 0.0018011 (numerical integration of the density) */
	assert_float_equal(w.p_greater, 0.0018011, 1e-6);
	assert_float_equal(w.p_greater + w.p_less, 1, 1e-12);
	/* fewer than 2 per side: no test */
	welch_test(x, 1, y, 3, 0, &w);
	assert_false(w.valid);
	assert_float_equal(w.p_greater, 1, 0);
}

/* identical runs (icount): the floor, not a zero variance, sets the scale */
static void test_welch_degenerate(void **state __unused)
{
	const double x[] = { 1000, 1000, 1000 };
	const double same[] = { 1000, 1000, 1000 };
	const double tiny[] = { 1002, 1002, 1002 }; /* +0.2% */
	const double big[] = { 1100, 1100, 1100 };  /* +10% */
	struct compare_opts o;
	struct comparison c;
	struct welch w;

	welch_test(x, 3, same, 3, WELCH_LOG_SD_FLOOR, &w);
	assert_true(w.valid && w.floored);
	assert_float_equal(w.p_greater, 0.5, 1e-12);
	welch_test(x, 3, big, 3, WELCH_LOG_SD_FLOOR, &w);
	assert_true(w.p_greater < 1e-4); /* t = 23 with 4 df */

	compare_opts_default(&o);
	/* +0.2%: far below the practical floor, never a verdict */
	compare_values(x, 3, tiny, 3, METRIC_LATENCY, &o, 1, &c);
	c.gated = true;
	compare_welch(&c, x, 3, tiny, 3, METRIC_LATENCY);
	compare_decide(&c, METRIC_LATENCY, &o);
	assert_int_equal(c.verdict, VERDICT_NO_CHANGE);
	/* +10% with identical runs: a regression with 3 runs per side */
	compare_values(x, 3, big, 3, METRIC_LATENCY, &o, 1, &c);
	c.gated = true;
	compare_welch(&c, x, 3, big, 3, METRIC_LATENCY);
	compare_decide(&c, METRIC_LATENCY, &o);
	assert_int_equal(c.verdict, VERDICT_REGRESSION);
	/* throughput: lower is the regression */
	compare_values(big, 3, x, 3, METRIC_THROUGHPUT, &o, 1, &c);
	c.gated = true;
	compare_welch(&c, big, 3, x, 3, METRIC_THROUGHPUT);
	compare_decide(&c, METRIC_THROUGHPUT, &o);
	assert_int_equal(c.verdict, VERDICT_REGRESSION);
}

/* the mde: floor-limited under icount, large with wall-like noise, never below the threshold */
static void test_mde(void **state __unused)
{
	const double x[] = { 1000, 1000, 1000 };
	const double y[] = { 1000, 1000, 1000 };
	const double nx[] = { 700, 1000, 1300 };
	const double ny[] = { 800, 1100, 1400 };
	struct comparison c = { 0 };
	double m;

	compare_welch(&c, x, 3, y, 3, METRIC_LATENCY);
	m = compare_mde(&c, 0.05 / 8, 0.05);
	assert_float_equal(m, 0.05, 1e-12); /* the statistical mde is ~2%: the floor wins */
	m = compare_mde(&c, 0.05 / 8, 0);
	assert_true(m > 0.005 && m < 0.05);
	compare_welch(&c, nx, 3, ny, 3, METRIC_LATENCY);
	m = compare_mde(&c, 0.05 / 8, 0.05);
	assert_true(m > 0.5); /* +-30% runs, 3 per side: only a large change is visible */
}

static void test_headline(void **state __unused)
{
	assert_true(metric_headline("cmd_latency.total.MOVI"));
	assert_false(metric_headline("cmd_latency.total.MOVI:ftrace"));
	assert_false(metric_headline("cmd_latency.queue_wait.MOVI"));
	assert_true(metric_headline("lock_hold.its_node"));
	assert_false(metric_headline("lock_hold.its_node.its0.affinity.MOVI"));
	assert_true(metric_headline("lock_hold.deprivilege.locks_held"));
	assert_false(metric_headline("lock_hold.deprivilege.start_fn"));
	assert_true(metric_headline("hvc.hvc.hvc_roundtrip"));
	assert_true(metric_headline("hvc.vcpu.kvm_run_roundtrip"));
	assert_false(metric_headline("hvc.hvc.empty_loop"));
	assert_false(metric_headline("hvc.share_hyp:ftrace"));
	assert_true(metric_headline("throughput.affinity"));
	assert_false(metric_headline("throughput.commands.affinity"));
	assert_false(metric_headline("bench.affinity.affinity_write"));
	assert_true(metric_gated_by_default("hvc.vcpu.kvm_run_roundtrip"));
	assert_false(metric_gated_by_default("irq_path.set_affinity"));
}

/*
 * Simulated families of nm gated metrics, 3 runs per side, run-to-run
 * dispersion cv (log sd) and a shift on every metric of the new side.
 */
static void trials(double cv, double shift, int nm, int *any_reg, int *found)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	struct compare_opts o;
	int t;

	gsl_rng_set(rng, 7);
	compare_opts_default(&o);
	*any_reg = *found = 0;
	for (t = 0; t < TRIALS; t++) {
		struct comparison c[16];
		struct comparison *cs[16];
		enum metric_kind kinds[16];
		int nreg = 0;
		int m;
		int i;

		for (m = 0; m < nm; m++) {
			double x[3];
			double y[3];

			for (i = 0; i < 3; i++) {
				x[i] = 1000 * exp(gsl_ran_gaussian(rng, cv));
				y[i] = 1000 * (1 + shift) * exp(gsl_ran_gaussian(rng, cv));
			}
			compare_values(x, 3, y, 3, METRIC_LATENCY, &o, t * 31 + m, &c[m]);
			c[m].gated = true;
			compare_welch(&c[m], x, 3, y, 3, METRIC_LATENCY);
			cs[m] = &c[m];
			kinds[m] = METRIC_LATENCY;
		}
		compare_family(cs, kinds, nm, &o);
		for (m = 0; m < nm; m++)
			nreg += c[m].verdict == VERDICT_REGRESSION;
		*any_reg += nreg > 0;
		*found += nreg;
	}
	gsl_rng_free(rng);
}

static void test_family_rates(void **state __unused)
{
	int any;
	int found;

	/* icount-like: 0.1% between runs. A/A: nothing; +10%: everything */
	trials(0.001, 0, 10, &any, &found);
	print_message("icount-like A/A, 10 metrics, 3 runs: false regression in %d/%d\n", any,
		      TRIALS);
	assert_int_equal(any, 0);
	trials(0.001, 0.04, 10, &any, &found);
	print_message("icount-like +4%% (below the 5%% floor): regression in %d/%d\n", any, TRIALS);
	assert_int_equal(any, 0);
	trials(0.001, 0.10, 10, &any, &found);
	print_message("icount-like +10%%, 10 metrics, 3 runs: %d/%d found\n", found, TRIALS * 10);
	assert_int_equal(found, TRIALS * 10);
	/* wall-like: 5% between runs. A/A stays at or below alpha */
	trials(0.05, 0, 10, &any, &found);
	print_message("wall-like (cv 5%%) A/A, 10 metrics, 3 runs: false regression in %d/%d\n",
		      any, TRIALS);
	assert_true(any <= TRIALS * 5 / 100);
}

/* ---- the clock ---- */

static void meta_with(struct run_meta *m, const char *cmdline, bool emulated)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->label, sizeof(m->label), "x");
	snprintf(m->kernel_cmdline, sizeof(m->kernel_cmdline), "%s", cmdline);
	m->emulated = emulated;
	run_clock_from_meta(m);
}

static void test_clock_meta(void **state __unused)
{
	struct run_meta a;
	struct run_meta b;
	struct json_object *o;
	char buf[64];
	char err[128];

	meta_with(&a, "console=ttyAMA0 itsperf.clock=icount:0 foo=1", true);
	assert_string_equal(a.clock.kind, "icount");
	assert_int_equal(a.clock.shift, 0);
	assert_true(a.clock.emulated);
	assert_string_equal(run_clock_str(&a, buf, sizeof(buf)), "icount shift=0, emulated");
	meta_with(&b, "console=ttyAMA0 itsperf.clock=wall", true);
	assert_string_equal(b.clock.kind, "wall");
	assert_false(run_clock_same(&a, &b));
	meta_with(&b, "console=ttyAMA0 xitsperf.clock=icount:0", false); /* not the argument */
	assert_string_equal(run_clock_str(&b, buf, sizeof(buf)), "wall, hardware");
	meta_with(&b, "itsperf.clock=icount:4", true);
	assert_false(run_clock_same(&a, &b)); /* another shift */
	meta_with(&b, "itsperf.clock=icount:0", true);
	assert_true(run_clock_same(&a, &b));

	/* JSON round trip */
	o = run_clock_to_json(&a);
	memset(&b, 0, sizeof(b));
	assert_int_equal(run_clock_from_json(&b, o, err, sizeof(err)), 0);
	assert_true(run_clock_same(&a, &b));
	json_object_put(o);
	/* an old result has no clock: wall, emulated as meta.emulated */
	memset(&b, 0, sizeof(b));
	b.emulated = true;
	assert_int_equal(run_clock_from_json(&b, NULL, err, sizeof(err)), 0);
	assert_string_equal(run_clock_str(&b, buf, sizeof(buf)), "wall, emulated");
	/* invalid ones are refused */
	o = json_tokener_parse("{\"kind\": \"tsc\"}");
	assert_int_equal(run_clock_from_json(&b, o, err, sizeof(err)), -1);
	json_object_put(o);
	o = json_tokener_parse("{\"kind\": \"icount\"}");
	assert_int_equal(run_clock_from_json(&b, o, err, sizeof(err)), -1);
	json_object_put(o);
}

static void test_clock_check(void **state __unused)
{
	struct result_data d[3];
	struct result_data *ra[2] = { &d[0], &d[1] };
	struct result_data *rb[1] = { &d[2] };
	struct run_group g[2] = {
		{ .label = "a", .name = "a", .origin = "A", .runs = ra, .nr_runs = 2 },
		{ .label = "b", .name = "b", .origin = "B", .runs = rb, .nr_runs = 1 },
	};
	struct run_set s = { .groups = g, .nr_groups = 2, .nr_runs = 3 };

	memset(d, 0, sizeof(d));
	meta_with(&d[0].meta, "itsperf.clock=icount:0", true);
	meta_with(&d[1].meta, "itsperf.clock=icount:0", true);
	meta_with(&d[2].meta, "itsperf.clock=icount:0", true);
	assert_int_equal(run_set_clock_check(&s, false), 0);
	meta_with(&d[2].meta, "itsperf.clock=wall", true);
	assert_int_equal(run_set_clock_check(&s, false), -1);
	assert_int_equal(run_set_clock_check(&s, true), 0);
	/* emulated wall against hardware wall */
	meta_with(&d[0].meta, "", true);
	meta_with(&d[1].meta, "", true);
	meta_with(&d[2].meta, "", false);
	assert_int_equal(run_set_clock_check(&s, false), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_welch_by_hand), cmocka_unit_test(test_welch_degenerate),
		cmocka_unit_test(test_mde),	      cmocka_unit_test(test_headline),
		cmocka_unit_test(test_family_rates),  cmocka_unit_test(test_clock_meta),
		cmocka_unit_test(test_clock_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
