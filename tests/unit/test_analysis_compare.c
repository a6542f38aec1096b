// SPDX-License-Identifier: GPL-2.0
/*
 * analysis/: itsperf compare and report as commands on runs written here
 * through the writer: the email table fits 72 columns with several
 * revisions and long metric names, the exit statuses (0 no change,
 * 1 gated regression, 2 bad input), and every output format.
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

#include "result/result.h"
#include "commands/commands.h"
#include "lib/util.h"

static char *root;
static gsl_rng *rng;

/* long names on purpose: the email table must still fit */
static const char *const names[] = {
	"cmd_latency.completion_wait.DISCARD",
	"cmd_latency.total.VINVALL",
	"lock_hold.its_node.its0.its_send_single_command.MOVI",
	"hvc_path.its_staging_commit",
	"deprivilege.total",
};

/* nruns runs of label under root/dir, latencies scaled by 1 + shift */
static void make_runs(const char *dir, const char *label, int nruns, double shift)
{
	int r;

	for (r = 1; r <= nruns; r++) {
		struct run_meta m = { .kernel_release = "6.12.117+deb12-arm64", .emulated = true };
		char *path = xasprintf("%s/%s/run-%d", root, dir, r);
		double factor = 1 + gsl_ran_gaussian(rng, 0.01);
		struct metric_desc d = { .unit = "ns", .kind = METRIC_LATENCY, .source = "test" };
		struct result_run *run;
		uint64_t s[500];
		size_t i;
		int k;

		snprintf(m.label, sizeof(m.label), "%s", label);
		snprintf(m.pkvm_mode, sizeof(m.pkvm_mode), "protected-hvhe");
		run = result_run_begin(path, &m);
		assert_non_null(run);
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			char area[32];

			snprintf(area, sizeof(area), "%.*s", (int)strcspn(names[i], "."), names[i]);
			d.name = names[i];
			d.area = area;
			for (k = 0; k < 500; k++)
				s[k] = (uint64_t)(12345.0 * (i + 1) * factor * (1 + shift) *
						  exp(gsl_ran_gaussian(rng, 0.2)));
			assert_int_equal(result_add_metric(run, &d, NULL, s, 500), 0);
		}
		d = (struct metric_desc){ .name = "throughput.commands",
					  .area = "throughput",
					  .unit = "cmd/s",
					  .kind = METRIC_THROUGHPUT };
		assert_int_equal(result_add_value(run, &d, 40000 * factor / (1 + shift)), 0);
		assert_int_equal(result_run_end(run, false), 0);
		free(path);
	}
}

static int setup(void **state __unused)
{
	char templ[] = "/tmp/itsperf-compare-XXXXXX";

	assert_non_null(mkdtemp(templ));
	root = xstrdup(templ);
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 5);
	make_runs("base", "baseline", 6, 0);
	make_runs("same", "baseline", 6, 0);
	make_runs("v1", "v1", 6, 0.2);
	make_runs("v2", "v2", 6, 0);
	make_runs("v3", "v3", 6, -0.2);
	make_runs("v4-with-a-long-label", "v4-with-a-long-label", 6, 0.01);
	make_runs("few", "few", 2, 0);
	return 0;
}

static int teardown(void **state __unused)
{
	rm_rf(root);
	free(root);
	gsl_rng_free(rng);
	return 0;
}

/* run a command with these arguments (NULL-terminated), output to root/out.txt */
static int run_cmd(int (*fn)(int, char **), const char *first, ...)
{
	char *argv[32];
	const char *a;
	va_list ap;
	int argc = 0;
	int ret;
	int i;

	argv[argc++] = xstrdup("cmd");
	argv[argc++] = xasprintf("-o%s/out.txt", root);
	va_start(ap, first);
	for (a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = a[0] == '@' ? xasprintf("%s/%s", root, a + 1) : xstrdup(a);
	va_end(ap);
	argv[argc] = NULL;
	ret = fn(argc, argv);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	return ret;
}

static char *output(void)
{
	char *path = xasprintf("%s/out.txt", root);
	char *s = read_file(path, NULL);

	free(path);
	assert_non_null(s);
	return s;
}

static int max_width(const char *s)
{
	int max = 0;

	while (*s) {
		int len = strcspn(s, "\n");

		if (len > max)
			max = len;
		s += len + (s[len] == '\n');
	}
	return max;
}

static void test_email_width(void **state __unused)
{
	char *out;

	assert_int_equal(run_cmd(cmd_compare, "-femail", "@base", "@v1", "@v2", "@v3",
				 "@v4-with-a-long-label", "@same", NULL),
			 EXIT_FAIL);
	out = output();
	/* (the table itself: build/test-out/analysis/email.txt from the integration test) */
	assert_true(max_width(out) <= 72);
	/* four revisions side by side, the fifth in a second table */
	assert_non_null(strstr(out, "base        v1        v2        v3  ~g-label"));
	assert_non_null(strstr(out, "% R ")); /* v1 regressed */
	assert_non_null(strstr(out, "% I ")); /* v3 improved */
	/* every line free of trailing blanks (mail clients mangle them) */
	assert_null(strstr(out, " \n"));
	free(out);
}

static void test_exit_status(void **state __unused)
{
	char *out;

	assert_int_equal(run_cmd(cmd_compare, "@base", "@same", NULL), EXIT_OK);
	out = output();
	assert_null(strstr(out, "REGRESSION"));
	assert_null(strstr(out, "improvement"));
	free(out);
	assert_int_equal(run_cmd(cmd_compare, "@base", "@v1", NULL), EXIT_FAIL);
	assert_int_equal(run_cmd(cmd_compare, "@base", "@v3", NULL), EXIT_OK);
	out = output();
	assert_non_null(strstr(out, "improvement"));
	free(out);
	/* gated on p99 too: still a regression; gated on nothing that moved: not */
	assert_int_equal(run_cmd(cmd_compare, "--gate-p99", "@base", "@v1", NULL), EXIT_FAIL);
	assert_int_equal(run_cmd(cmd_compare, "--gate", "nothing.*", "@base", "@v1", NULL),
			 EXIT_OK);

	/* bad input: 2 */
	assert_int_equal(run_cmd(cmd_compare, "@base", NULL), EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_compare, "@base", "@nonexistent", NULL), EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_compare, "--threshold", "abc", "@base", "@v1", NULL),
			 EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_compare, "--alpha", "2", "@base", "@v1", NULL), EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_compare, "--format", "xml", "@base", "@v1", NULL), EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_compare, "@base", "@few", NULL), EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_compare, "--min-runs", "2", "@base", "@few", NULL), EXIT_OK);
	assert_int_equal(run_cmd(cmd_report, NULL), EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_report, "@nonexistent", NULL), EXIT_USAGE);
}

static void test_formats(void **state __unused)
{
	static const char *const fmts[] = { "-ftext", "-fjson", "-fcsv", "-fmarkdown" };
	size_t i;
	char *out;

	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		assert_int_equal(run_cmd(cmd_compare, fmts[i], "@base", "@v1", NULL), EXIT_FAIL);
		out = output();
		assert_non_null(strstr(out, "cmd_latency"));
		free(out);
		assert_int_equal(run_cmd(cmd_report, fmts[i], "@base/run-1", NULL), EXIT_OK);
		out = output();
		assert_non_null(strstr(out, "VINVALL"));
		free(out);
	}
	assert_int_equal(run_cmd(cmd_compare, "-fjson", "@base", "@v1", NULL), EXIT_FAIL);
	out = output();
	assert_non_null(strstr(out, "\"regression\": true"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_width),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
