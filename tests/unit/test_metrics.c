// SPDX-License-Identifier: GPL-2.0
/*
 * result/metrics: the metric table against results/README.md's metric list,
 * names built and looked up through it, the gating rule, and the collector
 * as part of a metric's identity (a secondary collector's copy is
 * NAME:<collector> whatever the start order).
 *
 *   build/x86_64/tests/test_metrics --print   the list results/README.md holds
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/util.h"
#include "result/metrics.h"
#include "result/result.h"
#include "result/result_read.h"

#define README	   "results/README.md"
#define BEGIN_MARK "<!-- metric table: generated from result/metrics.c -->\n"
#define END_MARK   "<!-- end of metric table -->\n"

static char *table_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	metric_table_markdown(f);
	fclose(f);
	return buf;
}

/* results/README.md's list is exactly the table's */
static void test_readme_matches_table(void **state)
{
	char *doc = read_file(README, NULL);
	char *want = table_text();
	char *a;
	char *b;

	(void)state;
	assert_non_null(doc);
	a = strstr(doc, BEGIN_MARK);
	assert_non_null(a);
	a += strlen(BEGIN_MARK);
	b = strstr(a, END_MARK);
	assert_non_null(b);
	*b = '\0';
	if (strcmp(a, want))
		fprintf(stderr, "results/README.md's metric list differs from result/metrics.c: "
				"regenerate it with build/x86_64/tests/test_metrics --print\n");
	assert_string_equal(a, want);
	free(doc);
	free(want);
}

/* every family's own pattern examples map back to it */
static void test_names_round_trip(void **state)
{
	static const struct {
		const char *name;
		enum metric_id id;
	} cases[] = {
		{ "cmd_latency.total.MOVI", MF_CMD_LATENCY },
		{ "cmd_latency.queue_wait.MAPD", MF_CMD_LATENCY },
		{ "cmd_latency.total.MOVI:ftrace", MF_CMD_LATENCY },
		{ "cmd_latency.count.MOVI", MF_CMD_COUNT },
		{ "cmd_latency.clear_path", MF_CMD_CLEAR_PATH },
		{ "lock_hold.its_node", MF_LOCK_NODE },
		{ "lock_hold.its_node.its@8080000", MF_LOCK_NODE },
		{ "lock_hold.its_node.its@8080000.its_send_single_command.MOVI", MF_LOCK_NODE_CMD },
		{ "lock_hold.its_node.its0.deprivilege", MF_LOCK_NODE_DEPRIV },
		{ "lock_hold.its_lock.cpu_init.upper", MF_LOCK_ITS_LOCK },
		{ "lock_hold.deprivilege.total", MF_LOCK_DEPRIVILEGE },
		{ "lock_hold.contention.its@8080000", MF_LOCK_CONTENTION },
		{ "hvc_path.count.vcpu_run", MF_HVC_PATH_COUNT },
		{ "hvc_path.vcpu_run", MF_HVC_PATH },
		{ "hvc.el2.host_hcall", MF_HVC_EL2 },
		{ "hvc.hvc.hvc_roundtrip", MF_HVC_WORKLOAD },
		{ "hvc.its_setup", MF_HVC },
		{ "deprivilege.prot_finalize.cpu0", MF_DEPRIVILEGE },
		{ "bench.msi.io_latency", MF_BENCH },
		{ "throughput.commands.affinity", MF_THROUGHPUT_CMDS },
		{ "throughput.commands", MF_THROUGHPUT },
		{ "count.cmd.MOVI", MF_COUNT },
	};
	char name[128];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct metric_family *f = metric_family_of(cases[i].name);

		if (f != &metric_families[cases[i].id])
			fprintf(stderr, "%s: family %s\n", cases[i].name, f ? f->pattern : "none");
		assert_ptr_equal(f, &metric_families[cases[i].id]);
	}
	assert_null(metric_family_of("nothing.known"));
	assert_int_equal(metric_name(name, sizeof(name), MF_CMD_LATENCY, "total", "MOVI"), 0);
	assert_string_equal(name, "cmd_latency.total.MOVI");
	assert_int_equal(metric_name(name, sizeof(name), MF_LOCK_NODE_DEPRIV, 2), 0);
	assert_string_equal(name, "lock_hold.its_node.its2.deprivilege");
	assert_int_equal(metric_name(name, 8, MF_CMD_COUNT, "MOVI"), -1);
	assert_non_null(metric_part(MF_CMD_LATENCY, "completion_wait"));
	assert_non_null(metric_part(MF_CMD_LATENCY, "completion_wait")->error_bound);
	assert_null(metric_part(MF_CMD_LATENCY, "nonsense"));
}

/* the gate: headline numbers, not their breakdowns nor a second collector's copy */
static void test_gating(void **state)
{
	(void)state;
	assert_true(metric_gated_by_default("cmd_latency.total.MOVI"));
	assert_false(metric_gated_by_default("cmd_latency.queue_wait.MOVI"));
	assert_false(metric_gated_by_default("cmd_latency.total.MOVI:ftrace"));
	assert_false(metric_gated_by_default("cmd_latency.clear_path"));
	/* the headline family only: not the its_lock diagnostics */
	assert_false(metric_gated_by_default("lock_hold.its_lock.cpu_init.upper"));
	assert_true(metric_gated_by_default("lock_hold.deprivilege.locks_held"));
	assert_true(metric_gated_by_default("lock_hold.deprivilege.kernel_clock"));
	assert_false(metric_gated_by_default("lock_hold.deprivilege.start_fn"));
	assert_true(metric_gated_by_default("hvc.vcpu.kvm_run_roundtrip"));
	assert_false(metric_gated_by_default("hvc.el2.hvc"));
	assert_true(metric_gated_by_default("lock_hold.its_node.its@8080000"));
	assert_false(metric_gated_by_default("lock_hold.its_node.its@8080000.caller.MOVI"));
	assert_true(metric_gated_by_default("hvc.hvc.hvc_roundtrip"));
	assert_true(metric_gated_by_default("throughput.commands"));
	assert_false(metric_gated_by_default("an.unknown.metric"));
}

static int add(struct result_run *r, const char *name, const char *source, double v)
{
	struct metric_desc d = {
		.name = name,
		.area = "cmd_latency",
		.unit = "ns",
		.kind = METRIC_LATENCY,
		.source = source,
	};
	struct hist h;
	int ret;

	hist_init(&h, HIST_LOG2, 64, 0);
	hist_add(&h, (uint64_t)v);
	ret = result_add_metric(r, &d, &h, NULL, 0);
	hist_free(&h);
	return ret;
}

/* ftrace first or second, alone or not: its copy is NAME:ftrace, BPF's the plain name */
static void test_collector_identity(void **state)
{
	static const char *const orders[][2] = {
		{ "bpf", "ftrace" },
		{ "ftrace", "bpf" },
		{ "ftrace", NULL },
	};
	char tmpl[] = "/tmp/itsperf-metrics-XXXXXX";
	struct run_meta meta = { .label = "t", .kernel_release = "test" };
	size_t i;
	int k;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		char *dir = xasprintf("%s/run-%zu", tmpl, i);
		struct result_run *r = result_run_begin(dir, &meta);
		struct result_data *d;

		assert_non_null(r);
		for (k = 0; k < 2 && orders[i][k]; k++)
			assert_int_equal(add(r, "cmd_latency.total.MOVI", orders[i][k],
					     !strcmp(orders[i][k], "bpf") ? 100 : 200),
					 0);
		assert_int_equal(result_run_end(r, false), 0);
		d = result_read(dir, 0, NULL, 0);
		assert_non_null(d);
		assert_non_null(result_find_metric(d, "cmd_latency.total.MOVI:ftrace"));
		assert_true(result_find_metric(d, "cmd_latency.total.MOVI:ftrace")->hist.max ==
			    200);
		if (orders[i][1]) {
			assert_non_null(result_find_metric(d, "cmd_latency.total.MOVI"));
			assert_true(result_find_metric(d, "cmd_latency.total.MOVI")->hist.max ==
				    100);
		} else {
			assert_null(result_find_metric(d, "cmd_latency.total.MOVI"));
		}
		result_free(d);
		free(dir);
	}
	rm_rf(tmpl);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_matches_table),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_gating),
		cmocka_unit_test(test_collector_identity),
	};

	if (argc > 1 && !strcmp(argv[1], "--print")) {
		metric_table_markdown(stdout);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
