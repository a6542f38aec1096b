// SPDX-License-Identifier: GPL-2.0
/*
 * analysis/explain.c and analysis/health.c on runs written through the
 * writer: the share of each part of a command type's change (the EL2
 * commit new in the revision, absent on the base), the cover-letter line,
 * and compare leaving out runs whose kernel health shows problems.
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

#include <json-c/json.h>

#include "analysis/explain.h"
#include "analysis/health.h"
#include "analysis/runs.h"
#include "commands/commands.h"
#include "lib/util.h"
#include "result/metrics.h"
#include "result/result.h"

static char *root;

static void add_lat(struct result_run *run, const char *part, double ns)
{
	struct metric_desc d = {
		.area = "cmd_latency", .unit = "ns", .kind = METRIC_LATENCY, .source = "test"
	};
	uint64_t s[101];
	char name[64];
	int k;

	assert_int_equal(metric_name(name, sizeof(name), MF_CMD_LATENCY, part, "MOVI"), 0);
	d.name = name;
	/* p50 exactly ns, some spread around it */
	for (k = 0; k < 101; k++)
		s[k] = (uint64_t)(ns * (0.9 + 0.2 * k / 100.0));
	assert_int_equal(result_add_metric(run, &d, NULL, s, 101), 0);
}

/*
 * nruns runs of label under root/dir: MOVI's parts (queue wait 500, build
 * and post 1500 plus the EL2 commit, completion wait 3500, 500 else); the
 * EL2 commit only if el2 > 0; run sick (if not 0) had an ITS queue timeout
 */
static void make_runs(const char *dir, const char *label, int nruns, double el2, int sick)
{
	int r;

	for (r = 1; r <= nruns; r++) {
		struct run_meta m = { .kernel_release = "6.12.117+deb12-arm64", .emulated = true };
		char *path = xasprintf("%s/%s/run-%d", root, dir, r);
		double f = 1 + 0.01 * ((r * 7) % 5 - 2);
		struct json_object *h = json_object_new_object();
		struct result_run *run;

		snprintf(m.label, sizeof(m.label), "%s", label);
		snprintf(m.pkvm_mode, sizeof(m.pkvm_mode), "protected-hvhe");
		run = result_run_begin(path, &m);
		assert_non_null(run);
		add_lat(run, "total", (6000 + el2) * f);
		add_lat(run, "queue_wait", 500 * f);
		add_lat(run, "build_post", (1500 + el2) * f);
		add_lat(run, "completion_wait", 3500 * f);
		if (el2 > 0)
			add_lat(run, "el2", el2 * f);
		json_object_object_add(h, "ok", json_object_new_boolean(r != sick));
		json_object_object_add(h, "its_queue_timeouts", json_object_new_int(r == sick));
		json_object_object_add(h, "warn", json_object_new_int(0));
		assert_int_equal(result_add_section(run, "health", h), 0);
		assert_int_equal(result_run_end(run, false), 0);
		free(path);
	}
}

static int setup(void **state __unused)
{
	char templ[] = "/tmp/itsperf-explain-XXXXXX";

	assert_non_null(mkdtemp(templ));
	root = xstrdup(templ);
	make_runs("base", "base", 6, 0, 0);
	make_runs("v1", "v1", 6, 3000, 0);
	make_runs("sick", "sick", 6, 0, 3);
	return 0;
}

static int teardown(void **state __unused)
{
	rm_rf(root);
	free(root);
	return 0;
}

static void load(struct run_set *s, const char *a, const char *b, bool skip)
{
	struct run_set_opts o = { .read_flags = RESULT_READ_SAMPLES, .skip_unhealthy = skip };
	char *paths[2] = { xasprintf("%s/%s", root, a), xasprintf("%s/%s", root, b) };

	assert_int_equal(run_set_load(s, paths, 2, &o), 0);
	free(paths[0]);
	free(paths[1]);
}

static void test_total_cmd(void **state __unused)
{
	char cmd[32];
	char col[16];

	assert_true(
		explain_total_cmd("cmd_latency.total.MOVI", cmd, sizeof(cmd), col, sizeof(col)));
	assert_string_equal(cmd, "MOVI");
	assert_string_equal(col, "");
	assert_true(explain_total_cmd("cmd_latency.total.MOVI:ftrace", cmd, sizeof(cmd), col,
				      sizeof(col)));
	assert_string_equal(cmd, "MOVI");
	assert_string_equal(col, "ftrace");
	assert_false(explain_total_cmd("cmd_latency.el2.MOVI", cmd, sizeof(cmd), col, sizeof(col)));
	assert_false(explain_total_cmd("lock_hold.its_lock", cmd, sizeof(cmd), col, sizeof(col)));
}

static void test_el2_share(void **state __unused)
{
	struct explanation e;
	struct run_set s;
	char line[512];

	load(&s, "base", "v1", true);
	assert_int_equal(s.nr_groups, 2);
	assert_int_equal(explain_command(&s.groups[0], &s.groups[1], "MOVI", "", 1000, 1, 0.95, &e),
			 0);
	assert_int_equal(e.n_base, 6);
	assert_int_equal(e.n_new, 6);
	assert_true(fabs(e.delta - 3000) < 100);
	/* the EL2 commit is all of the change, 0 on the base */
	assert_true(e.parts[EXPLAIN_EL2].measured);
	assert_true(fabs(e.parts[EXPLAIN_EL2].base) < 1e-9);
	assert_true(fabs(e.parts[EXPLAIN_EL2].share - 1) < 0.05);
	assert_true(e.parts[EXPLAIN_EL2].lo <= e.parts[EXPLAIN_EL2].share);
	assert_true(e.parts[EXPLAIN_EL2].hi >= e.parts[EXPLAIN_EL2].share);
	assert_true(e.parts[EXPLAIN_EL2].lo > 0.8 && e.parts[EXPLAIN_EL2].hi < 1.2);
	/* build+post is net of it: no change; the others neither */
	assert_true(fabs(e.parts[EXPLAIN_BUILD_POST].share) < 0.05);
	assert_true(fabs(e.parts[EXPLAIN_QUEUE_WAIT].share) < 0.05);
	assert_true(fabs(e.parts[EXPLAIN_COMPLETION_WAIT].share) < 0.05);
	explain_line(line, sizeof(line), &e);
	assert_non_null(strstr(line, "MOVI +3.0 us (+50%): EL2 commit 100% ["));
	assert_non_null(strstr(line, "completion wait 0%"));
	/* a command type no run has */
	assert_int_equal(explain_command(&s.groups[0], &s.groups[1], "MAPD", "", 1000, 1, 0.95, &e),
			 -1);
	run_set_free(&s);
}

static char *output(void)
{
	char *path = xasprintf("%s/out.txt", root);
	char *s = read_file(path, NULL);

	free(path);
	assert_non_null(s);
	return s;
}

static int compare(const char *a, const char *b, const char *opt1, const char *opt2)
{
	char *argv[8];
	int argc = 0;
	int ret;
	int i;

	argv[argc++] = xstrdup("compare");
	argv[argc++] = xasprintf("-o%s/out.txt", root);
	if (opt1)
		argv[argc++] = xstrdup(opt1);
	if (opt2)
		argv[argc++] = xstrdup(opt2);
	argv[argc++] = xasprintf("%s/%s", root, a);
	argv[argc++] = xasprintf("%s/%s", root, b);
	argv[argc] = NULL;
	ret = cmd_compare(argc, argv);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	return ret;
}

static void test_compare_explain(void **state __unused)
{
	char *out;

	assert_int_equal(compare("base", "v1", "--explain", NULL), EXIT_FAIL);
	out = output();
	assert_non_null(strstr(out, "where the added time went"));
	assert_non_null(strstr(out, "EL2 commit"));
	free(out);
	assert_int_equal(compare("base", "v1", "--explain", "-femail"), EXIT_FAIL);
	out = output();
	assert_non_null(strstr(out, "\nMOVI +3.0 us (+50%): EL2 commit 100% ["));
	free(out);
	/* no regression: nothing to explain */
	assert_int_equal(compare("base", "base", "--explain", NULL), EXIT_OK);
	out = output();
	assert_non_null(strstr(out, "no regression"));
	free(out);
}

static void test_health(void **state __unused)
{
	struct run_set s;
	char why[128];
	int r;

	load(&s, "base", "sick", false);
	assert_int_equal(s.groups[1].nr_runs, 6);
	for (r = 0; r < 6; r++) {
		bool bad = run_unhealthy(s.groups[1].runs[r], why, sizeof(why));

		assert_int_equal(bad, !!strstr(s.groups[1].runs[r]->dir, "run-3"));
		if (bad)
			assert_string_equal(why, "ITS queue timeouts 1");
	}
	run_set_free(&s);
	/* left out by default, like a partial run */
	load(&s, "base", "sick", true);
	assert_int_equal(s.skipped_unhealthy, 1);
	assert_int_equal(s.groups[1].nr_runs, 5);
	run_set_free(&s);
	/* 5 runs left: enough at --min-runs 5, not at 6 */
	assert_int_equal(compare("base", "sick", NULL, NULL), EXIT_OK);
	assert_int_equal(compare("base", "sick", "--min-runs", "6"), EXIT_USAGE);
	assert_int_equal(compare("base", "sick", "--include-unhealthy", "--min-runs=6"), EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_total_cmd),
		cmocka_unit_test(test_el2_share),
		cmocka_unit_test(test_compare_explain),
		cmocka_unit_test(test_health),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
