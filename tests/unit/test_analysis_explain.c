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

/* the explain part of name in a compare -f json output's "explain" entry */
static struct json_object *json_part(struct json_object *x, const char *name)
{
	struct json_object *parts;
	struct json_object *key;
	size_t i;

	assert_true(json_object_object_get_ex(x, "parts", &parts));
	assert_int_equal(json_object_array_length(parts), NR_EXPLAIN_PARTS);
	for (i = 0; i < NR_EXPLAIN_PARTS; i++) {
		struct json_object *p = json_object_array_get_idx(parts, i);

		assert_true(json_object_object_get_ex(p, "part", &key));
		if (!strcmp(json_object_get_string(key), name))
			return p;
	}
	fail_msg("no part %s", name);
	return NULL;
}

static double json_num(struct json_object *o, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_true(json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int));
	return json_object_get_double(v);
}

/* --explain in json: per regressed metric the parts, each with its share and CI */
static void test_explain_json(void **state __unused)
{
	static const char *const others[] = { "queue_wait", "build_post_net", "completion_wait" };
	struct json_object *o;
	struct json_object *a;
	struct json_object *x;
	struct json_object *v;
	struct json_object *el2;
	char *out;
	int p;

	assert_int_equal(compare("base", "v1", "--explain", "-fjson"), EXIT_FAIL);
	out = output();
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "explain", &a));
	assert_int_equal(json_object_array_length(a), 1);
	x = json_object_array_get_idx(a, 0);
	assert_true(json_object_object_get_ex(x, "metric", &v));
	assert_string_equal(json_object_get_string(v), "cmd_latency.total.MOVI");
	assert_true(json_object_object_get_ex(x, "group", &v));
	assert_string_equal(json_object_get_string(v), "v1");
	assert_true(json_object_object_get_ex(x, "verdict", &v));
	assert_string_equal(json_object_get_string(v), "regression");
	assert_true(json_object_object_get_ex(x, "command", &v));
	assert_string_equal(json_object_get_string(v), "MOVI");
	assert_true(json_object_object_get_ex(x, "collector", &v));
	assert_null(v);
	assert_true(fabs(json_num(x, "delta") - 3000) < 100);
	assert_true(fabs(json_num(x, "change") - 0.5) < 0.02);
	assert_true(fabs(json_num(x, "level") - 0.95) < 1e-9);
	/* the EL2 commit is all of it, with its interval around the share */
	el2 = json_part(x, "el2");
	assert_true(fabs(json_num(el2, "share") - 1) < 0.05);
	assert_true(json_num(el2, "ci_lo") <= json_num(el2, "share"));
	assert_true(json_num(el2, "ci_hi") >= json_num(el2, "share"));
	assert_true(json_num(el2, "ci_lo") > 0.8 && json_num(el2, "ci_hi") < 1.2);
	assert_true(fabs(json_num(el2, "base")) < 1e-9);
	/* the other parts did not change */
	for (p = 0; p < (int)ARRAY_SIZE(others); p++) {
		struct json_object *q = json_part(x, others[p]);

		assert_true(fabs(json_num(q, "share")) < 0.05);
		assert_true(json_num(q, "ci_lo") <= json_num(q, "ci_hi"));
	}
	json_object_put(o);
	free(out);

	/* without --explain: no "explain"; with it and nothing regressed: an empty one */
	assert_int_equal(compare("base", "v1", "-fjson", NULL), EXIT_FAIL);
	out = output();
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_false(json_object_object_get_ex(o, "explain", &a));
	json_object_put(o);
	free(out);
	assert_int_equal(compare("base", "base", "--explain", "-fjson"), EXIT_OK);
	out = output();
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "explain", &a));
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(o);
	free(out);
}

/* --explain in csv: a second table after an empty line, a line per part */
static void test_explain_csv(void **state __unused)
{
	static const char *const parts[] = { "queue_wait", "build_post_net", "el2",
					     "completion_wait", "other" };
	char *out;
	char *block;
	char *line;
	char *save = NULL;
	int n = 0;

	assert_int_equal(compare("base", "v1", "-fcsv", NULL), EXIT_FAIL);
	out = output();
	assert_null(strstr(out, "\n\n"));
	free(out);
	assert_int_equal(compare("base", "v1", "--explain", "-fcsv"), EXIT_FAIL);
	out = output();
	block = strstr(out, "\n\n");
	assert_non_null(block);
	/* one empty line only: the comparison table above, the explanation below */
	assert_null(strstr(block + 2, "\n\n"));
	for (line = strtok_r(block + 2, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[32];
		char *s = line;
		int nf = 0;

		while (nf < 32 && (f[nf] = strsep(&s, ",")))
			nf++;
		assert_int_equal(nf, 20);
		if (!n++) {
			assert_string_equal(f[0], "metric");
			assert_string_equal(f[12], "part");
			assert_string_equal(f[17], "share");
			assert_string_equal(f[18], "ci_lo");
			assert_string_equal(f[19], "ci_hi");
			continue;
		}
		assert_true(n - 2 < (int)ARRAY_SIZE(parts));
		assert_string_equal(f[0], "cmd_latency.total.MOVI");
		assert_string_equal(f[2], "v1");
		assert_string_equal(f[3], "regression");
		assert_string_equal(f[5], "MOVI");
		assert_string_equal(f[12], parts[n - 2]);
		assert_string_equal(f[13], "1");
		if (!strcmp(f[12], "el2")) {
			assert_true(fabs(atof(f[17]) - 1) < 0.05);
			assert_true(atof(f[18]) > 0.8 && atof(f[19]) < 1.2);
		} else if (strcmp(f[12], "other")) {
			assert_true(fabs(atof(f[17])) < 0.05);
		}
	}
	assert_int_equal(n, 1 + NR_EXPLAIN_PARTS);
	free(out);
}

/* --explain in markdown: a table of the parts under the comparison table */
static void test_explain_markdown(void **state __unused)
{
	char *out;
	char *x;

	assert_int_equal(compare("base", "v1", "--explain", "-fmarkdown"), EXIT_FAIL);
	out = output();
	x = strstr(out, "### Where the added time went (compare --explain)\n");
	assert_non_null(x);
	assert_non_null(strstr(x, "**MOVI** vs base: v1 +3.0 us (+50%), 6 against 6 runs\n"));
	assert_non_null(strstr(x, "| part | base | new | change | share | 95% CI |\n"));
	assert_non_null(strstr(x, "\n| EL2 commit | 0.0 us | 3.0 us | +3.0 us | 100% | ["));
	assert_non_null(strstr(x, "\n| queue wait | 0.5 us | 0.5 us | +0.0 us | 0% | ["));
	free(out);
	assert_int_equal(compare("base", "v1", "-fmarkdown", NULL), EXIT_FAIL);
	out = output();
	assert_null(strstr(out, "Where the added time went"));
	free(out);
	assert_int_equal(compare("base", "base", "--explain", "-fmarkdown"), EXIT_OK);
	out = output();
	assert_non_null(strstr(out, "No regression of a command type's latency."));
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
		cmocka_unit_test(test_total_cmd),	cmocka_unit_test(test_el2_share),
		cmocka_unit_test(test_compare_explain), cmocka_unit_test(test_explain_json),
		cmocka_unit_test(test_explain_csv),	cmocka_unit_test(test_explain_markdown),
		cmocka_unit_test(test_health),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
