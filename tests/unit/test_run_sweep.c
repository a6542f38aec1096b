// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf run --sweep NAME=V1,V2,...: parsing, the per-point options each
 * workload gets, and the refusals before anything runs. The end to end
 * sweep (devices touched, counts cross-checked per point) runs in the
 * emulated host: tests/guest/scale_lib.sh t_run_sweep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/bench.h"
#include "lib/util.h"
#include "commands/run_sweep.h"

static void test_parse(void **state __unused)
{
	struct sweep_plan p = { 0 };
	char err[160];

	assert_int_equal(sweep_parse(&p, "devices=1,4,16,32", err, sizeof(err)), 0);
	assert_int_equal(p.var, SWEEP_DEVICES);
	assert_string_equal(p.name, "devices");
	assert_int_equal(p.nr_values, 4);
	assert_true(p.values[0] == 1 && p.values[3] == 32);
	/* one variable per run */
	assert_int_equal(sweep_parse(&p, "cpus=2", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already devices"));

	memset(&p, 0, sizeof(p));
	assert_int_equal(sweep_parse(&p, "rate=0,1000,2500.5", err, sizeof(err)), 0);
	assert_int_equal(p.var, SWEEP_RATE);
	assert_true(p.values[0] == 0 && p.values[2] == 2500.5);
}

static void test_parse_refusals(void **state __unused)
{
	static const char *const bad[] = {
		"devices",     "devices=", "devices=0", "devices=1.5", "devices=1,x", "cpus=-1",
		"vectors=1e9", "rate=-5",  "rate=nan",	"bogus=1",     "=1",	      "Devices=1",
	};
	struct sweep_plan p;
	char err[160];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&p, 0, sizeof(p));
		err[0] = '\0';
		assert_int_equal(sweep_parse(&p, bad[i], err, sizeof(err)), -1);
		/* a refusal says why, and leaves no half-parsed variable behind */
		assert_true(err[0] != '\0');
		assert_int_equal(p.var, SWEEP_NONE);
	}
	memset(&p, 0, sizeof(p));
	assert_int_equal(sweep_parse(&p, "bogus=1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--point"));
}

static void test_too_many_points(void **state __unused)
{
	struct sweep_plan p = { 0 };
	char list[512] = "cpus=1";
	char err[160];
	int i;

	for (i = 2; i <= SWEEP_MAX_POINTS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), ",%d", i);
	assert_int_equal(sweep_parse(&p, list, err, sizeof(err)), 0);
	assert_int_equal(p.nr_values, SWEEP_MAX_POINTS);
	memset(&p, 0, sizeof(p));
	strcat(list, ",99");
	assert_int_equal(sweep_parse(&p, list, err, sizeof(err)), -1);
}

static struct sweep_plan devices_plan(void)
{
	static char bdfs[3][16] = { "0000:00:02.0", "0000:00:03.0", "0000:00:07.0" };
	struct sweep_plan p = { 0 };
	char err[160];

	assert_int_equal(sweep_parse(&p, "devices=1,3", err, sizeof(err)), 0);
	p.bdfs = bdfs;
	p.nr_bdfs = 3;
	return p;
}

/* rebind gets the first V devices, once each, whatever -d all said */
static void test_apply_devices_rebind(void **state __unused)
{
	struct sweep_plan p = devices_plan();
	struct bench_opts bo;

	bench_opts_init(&bo);
	bo.devices[bo.nr_devices++] = "all";
	bo.ops = 0;
	sweep_apply(&p, 0, "rebind", &bo);
	assert_int_equal(bo.nr_devices, 1);
	assert_string_equal(bo.devices[0], "0000:00:02.0");
	assert_int_equal(bo.ops, 1);
	assert_false(bo.all_devices);

	bench_opts_init(&bo);
	sweep_apply(&p, 1, "rebind", &bo);
	assert_int_equal(bo.nr_devices, 3);
	assert_string_equal(bo.devices[2], "0000:00:07.0");
	assert_int_equal(bo.ops, 3);
}

/* the other workloads are left as the suite set them */
static void test_apply_leaves_others(void **state __unused)
{
	struct sweep_plan p = devices_plan();
	struct sweep_plan c = { 0 };
	struct bench_opts bo;
	char err[160];

	bench_opts_init(&bo);
	bo.ops = 2000;
	sweep_apply(&p, 1, "hvc", &bo);
	sweep_apply(&p, 1, "vcpu", &bo);
	assert_int_equal(bo.nr_devices, 0);
	assert_int_equal(bo.nr_irqs, 0);
	assert_int_equal(bo.ops, 2000);

	assert_int_equal(sweep_parse(&c, "cpus=1,2", err, sizeof(err)), 0);
	bench_opts_init(&bo);
	sweep_apply(&c, 1, "affinity", &bo);
	assert_int_equal(bo.jobs, 2);
	/* the interrupts still move between every online CPU */
	assert_int_equal(bo.nr_cpus, 0);
	bench_opts_init(&bo);
	sweep_apply(&c, 1, "rebind", &bo);
	assert_int_equal(bo.jobs, 2);
	bench_opts_init(&bo);
	sweep_apply(&c, 1, "msi", &bo);
	assert_int_equal(bo.jobs, 1);
	/* past the last point, or no sweep: nothing */
	bench_opts_init(&bo);
	sweep_apply(&c, 2, "affinity", &bo);
	assert_int_equal(bo.jobs, 1);
}

/*
 * affinity under a devices point restricts --irq to the chosen devices'
 * ITS interrupts; a host where none is an ITS interrupt (this build
 * machine) gets an --irq that matches nothing, so affinity fails saying
 * so instead of moving every interrupt.
 */
static void test_apply_devices_affinity(void **state __unused)
{
	struct sweep_plan p = devices_plan();
	struct bench_opts bo;
	int i;

	bench_opts_init(&bo);
	sweep_apply(&p, 0, "affinity", &bo);
	assert_true(bo.nr_irqs >= 1);
	if (bo.nr_irqs == 1 && bo.irqs[0] == -1)
		return;
	/* a host with an ITS: only interrupt numbers, each once */
	for (i = 0; i < bo.nr_irqs; i++)
		assert_true(bo.irqs[i] >= 0);
}

static void test_resolve_refusals(void **state __unused)
{
	struct sweep_plan p = { 0 };
	char err[160];

	/* devices needs a --device list or all to draw from */
	assert_int_equal(sweep_parse(&p, "devices=1", err, sizeof(err)), 0);
	assert_int_equal(sweep_resolve(&p, NULL, 0), EXIT_USAGE);
	sweep_free(&p);

	memset(&p, 0, sizeof(p));
	assert_int_equal(sweep_parse(&p, "cpus=1,4096", err, sizeof(err)), 0);
	assert_int_equal(sweep_resolve(&p, NULL, 0), EXIT_USAGE);
	memset(&p, 0, sizeof(p));
	assert_int_equal(sweep_parse(&p, "cpus=1", err, sizeof(err)), 0);
	assert_int_equal(sweep_resolve(&p, NULL, 0), EXIT_OK);
	assert_true(p.nr_cpus >= 1);
	/* rate and vectors need nothing of the host */
	memset(&p, 0, sizeof(p));
	assert_int_equal(sweep_parse(&p, "vectors=1,2", err, sizeof(err)), 0);
	assert_int_equal(sweep_resolve(&p, NULL, 0), EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_too_many_points),
		cmocka_unit_test(test_apply_devices_rebind),
		cmocka_unit_test(test_apply_leaves_others),
		cmocka_unit_test(test_apply_devices_affinity),
		cmocka_unit_test(test_resolve_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
