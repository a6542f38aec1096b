// SPDX-License-Identifier: GPL-2.0
/*
 * analysis/: the result format round trip and the strict reader: every
 * kind of broken file is refused with a message naming the file and the
 * field or line, and the commands exit 2 on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "result/result.h"
#include "result/result_read.h"
#include "commands/commands.h"
#include "lib/util.h"

static char *root;

static const struct metric_desc lat = {
	.name = "cmd_latency.total.MAPD",
	.area = "cmd_latency",
	.unit = "ns",
	.kind = METRIC_LATENCY,
	.source = "bpf",
	.desc = "MAPD",
	.error_bound = "+-16 ns (timer tick)",
};

static const struct metric_desc lin = {
	.name = "lock_hold.its_lock",
	.area = "lock_hold",
	.unit = "ns",
	.kind = METRIC_LATENCY,
	.source = "ftrace",
};

static const struct metric_desc thr = {
	.name = "throughput.commands",
	.area = "throughput",
	.unit = "cmd/s",
	.kind = METRIC_THROUGHPUT,
};

static const uint64_t samples[] = { 900, 100, 500, 300, 700, 18446744073709551615ull };

/* a complete run with every kind of content */
static char *write_run(const char *name)
{
	char *dir = xasprintf("%s/%s", root, name);
	struct run_meta m = { .label = "v2", .kernel_release = "6.1.0-56-arm64" };
	struct json_object *sec;
	struct result_run *r;
	struct hist h;
	struct hist l;
	size_t i;

	snprintf(m.pkvm_mode, sizeof(m.pkvm_mode), "protected-nvhe");
	snprintf(m.kernel_cmdline, sizeof(m.kernel_cmdline),
		 "console=ttyAMA0 kvm-arm.mode=protected");
	m.gic_version = 4;
	m.its_count = 2;
	m.nr_cpus = 2;
	m.emulated = true;
	m.run_index = 3;
	m.offered_rate = 5000;
	m.duration_s = 12.5;
	run_meta_set_sweep(&m, "devices", 4);
	run_meta_set_sweep(&m, "vectors", 32);
	r = result_run_begin(dir, &m);
	assert_non_null(r);
	hist_init(&h, HIST_LOG2, 0, 0);
	for (i = 0; i < ARRAY_SIZE(samples); i++)
		hist_add(&h, samples[i]);
	assert_int_equal(result_add_metric(r, &lat, &h, samples, ARRAY_SIZE(samples)), 0);
	hist_init(&l, HIST_LINEAR, 50, 1000);
	for (i = 0; i < 1000; i++)
		hist_add(&l, i * 37);
	assert_int_equal(result_add_metric(r, &lin, &l, NULL, 0), 0);
	assert_int_equal(result_add_value(r, &thr, 4999.5), 0);
	sec = json_object_new_object();
	json_object_object_add(sec, "ok", json_object_new_boolean(true));
	assert_int_equal(result_add_section(r, "health", sec), 0);
	sec = json_object_new_array();
	json_object_array_add(sec, json_object_new_string("x"));
	assert_int_equal(result_add_section(r, "env", sec), 0);
	assert_int_equal(result_add_file_data(r, "console.log", "boot\nok\n", 8), 0);
	assert_int_equal(result_run_end(r, false), 0);
	hist_free(&h);
	hist_free(&l);
	return dir;
}

static int setup(void **state __unused)
{
	char templ[] = "/tmp/itsperf-read-XXXXXX";

	assert_non_null(mkdtemp(templ));
	root = xstrdup(templ);
	return 0;
}

static int teardown(void **state __unused)
{
	rm_rf(root);
	free(root);
	return 0;
}

static void test_round_trip(void **state __unused)
{
	char *dir = write_run("rt");
	const struct result_metric *m;
	struct json_object *v;
	struct result_data *d;
	char err[512];

	d = result_read(dir, RESULT_READ_SAMPLES, err, sizeof(err));
	assert_non_null(d);
	assert_int_equal(d->format_version, RESULT_FORMAT_VERSION);
	assert_false(d->partial);
	assert_string_equal(d->meta.label, "v2");
	assert_string_equal(d->meta.kernel_release, "6.1.0-56-arm64");
	assert_string_equal(d->meta.pkvm_mode, "protected-nvhe");
	assert_string_equal(d->meta.kernel_cmdline, "console=ttyAMA0 kvm-arm.mode=protected");
	assert_int_equal(d->meta.gic_version, 4);
	assert_int_equal(d->meta.its_count, 2);
	assert_true(d->meta.emulated);
	assert_int_equal(d->meta.run_index, 3);
	assert_true(d->meta.offered_rate == 5000);
	assert_true(d->meta.duration_s == 12.5);
	assert_int_equal(d->meta.nr_sweep, 2);
	assert_true(d->meta.tool_version[0] != '\0'); /* the writer filled it in */
	assert_true(d->meta.start_ns > 0);
	assert_int_equal(d->nr_metrics, 3);

	m = result_find_metric(d, "cmd_latency.total.MAPD");
	assert_non_null(m);
	assert_string_equal(m->area, "cmd_latency");
	assert_string_equal(m->error_bound, "+-16 ns (timer tick)");
	assert_int_equal(m->kind, METRIC_LATENCY);
	assert_int_equal(m->nr_samples, ARRAY_SIZE(samples));
	/* sorted on reading; the largest u64 survives the text format */
	assert_int_equal(m->samples[0], 100);
	assert_true(m->samples[5] == UINT64_MAX);
	assert_true(m->has_hist);
	assert_int_equal(m->hist.count, 6);
	assert_int_equal(m->hist.buckets[6], 1); /* 100 in [64, 128) */
	assert_true(m->hist.buckets[63] == 1);
	assert_true(m->summary.exact);
	assert_float_equal(m->summary.p50, 600, 1e-9);

	m = result_find_metric(d, "lock_hold.its_lock");
	assert_non_null(m);
	assert_int_equal(m->hist.type, HIST_LINEAR);
	assert_int_equal(m->hist.width, 1000);
	assert_int_equal(m->hist.count, 1000);
	assert_int_equal(m->hist.max, 999 * 37);
	assert_null(m->samples);
	assert_false(m->summary.exact);
	/* interpolated median within one bucket of the exact 18481.5 */
	assert_float_equal(m->summary.p50, 18481.5, 1000);

	m = result_find_metric(d, "throughput.commands");
	assert_true(m->has_value);
	assert_true(m->value == 4999.5);
	assert_int_equal(m->kind, METRIC_THROUGHPUT);
	assert_null(result_find_metric(d, "nope"));

	assert_true(json_object_object_get_ex(d->sections, "health", &v));
	assert_int_equal(json_object_array_length(d->files), 1);
	result_free(d);

	/* metadata only: no sample file opened */
	d = result_read(dir, 0, err, sizeof(err));
	assert_non_null(d);
	assert_null(result_find_metric(d, "cmd_latency.total.MAPD")->samples);
	result_free(d);
	free(dir);
}

/* ---- breaking a valid run in one place ---- */

typedef void (*breaker)(struct json_object *top);

static void rewrite_meta(const char *dir, breaker fn)
{
	char *path = xasprintf("%s/meta.json", dir);
	struct json_object *top = json_object_from_file(path);
	const char *s;

	assert_non_null(top);
	fn(top);
	s = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY);
	assert_int_equal(write_file(path, s, strlen(s)), 0);
	json_object_put(top);
	free(path);
}

static void set_file(const char *dir, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", dir, rel);

	assert_int_equal(write_file(path, content, strlen(content)), 0);
	free(path);
}

/* the reader refuses dir with a message containing every one of the given strings */
static void expect_error(const char *dir, const char *what1, const char *what2)
{
	char *argv[] = { "report", (char *)dir, NULL };
	struct result_data *d;
	char err[768] = "";

	d = result_read(dir, RESULT_READ_SAMPLES | RESULT_READ_QUIET, err, sizeof(err));
	if (d)
		fail_msg("%s: read although broken", dir);
	print_message("  refused: %s\n", err);
	if (!strstr(err, what1) || (what2 && !strstr(err, what2)))
		fail_msg("message '%s' lacks '%s' / '%s'", err, what1, what2 ? what2 : "");
	/* and the commands exit 2 on it */
	assert_int_equal(cmd_report(2, argv), EXIT_USAGE);
}

static struct json_object *metric0(struct json_object *top)
{
	struct json_object *ms;

	json_object_object_get_ex(top, "metrics", &ms);
	return json_object_array_get_idx(ms, 0);
}

static void drop_label(struct json_object *top)
{
	struct json_object *m;

	json_object_object_get_ex(top, "meta", &m);
	json_object_object_del(m, "label");
}

static void newer_version(struct json_object *top)
{
	json_object_object_add(top, "format_version",
			       json_object_new_int(RESULT_FORMAT_VERSION + 1));
}

static void partial_string(struct json_object *top)
{
	json_object_object_add(top, "partial", json_object_new_string("yes"));
}

static void bad_bucket(struct json_object *top)
{
	struct json_object *h;
	struct json_object *b;

	json_object_object_get_ex(metric0(top), "hist", &h);
	json_object_object_get_ex(h, "buckets", &b);
	json_object_array_put_idx(b, 0, json_object_new_string("x"));
}

static void bucket_sum(struct json_object *top)
{
	struct json_object *h;

	json_object_object_get_ex(metric0(top), "hist", &h);
	json_object_object_add(h, "count", json_object_new_int(7));
}

static void wrong_direction(struct json_object *top)
{
	json_object_object_add(metric0(top), "direction", json_object_new_string("higher"));
}

static void escaping_path(struct json_object *top)
{
	struct json_object *s;

	json_object_object_get_ex(metric0(top), "samples", &s);
	json_object_object_add(s, "file", json_object_new_string("samples/../../etc/passwd"));
}

static void negative_count(struct json_object *top)
{
	struct json_object *s;

	json_object_object_get_ex(metric0(top), "samples", &s);
	json_object_object_add(s, "count", json_object_new_int(-1));
}

static void test_strict_errors(void **state __unused)
{
	static const struct {
		breaker fn;
		const char *what1;
		const char *what2;
	} json_cases[] = {
		{ drop_label, "meta.json", "meta.label: missing" },
		{ newer_version, "meta.json", "is newer than this itsperf" },
		{ partial_string, "meta.json", "partial: expected boolean, found string" },
		{ bad_bucket, "metrics[0].hist.buckets[0]", "expected [index, count]" },
		{ bucket_sum, "metrics[0].hist", "buckets hold 6 values but count is 7" },
		{ wrong_direction, "metrics[0].direction", "contradicts kind" },
		{ escaping_path, "metrics[0].samples.file", "not a file under samples/" },
		{ negative_count, "metrics[0].samples.count", "negative" },
	};
	char *dir;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(json_cases); i++) {
		char name[32];

		snprintf(name, sizeof(name), "json-%zu", i);
		dir = write_run(name);
		rewrite_meta(dir, json_cases[i].fn);
		expect_error(dir, json_cases[i].what1, json_cases[i].what2);
		free(dir);
	}

	dir = write_run("empty");
	set_file(dir, "meta.json", "");
	expect_error(dir, "/empty/meta.json", "empty file");
	free(dir);

	dir = write_run("garbage");
	set_file(dir, "meta.json", "{\n  \"format_version\": 1,\n  garbage\n}\n");
	expect_error(dir, "meta.json: line 3", "JSON syntax error");
	free(dir);

	dir = write_run("binary");
	set_file(dir, "meta.json",
		 "\x7f"
		 "ELF\x02\x01\x01");
	expect_error(dir, "meta.json", "JSON syntax error");
	free(dir);

	dir = write_run("truncated");
	{
		char *path = xasprintf("%s/meta.json", dir);
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(truncate(path, st.st_size / 2), 0);
		free(path);
	}
	expect_error(dir, "meta.json", "truncated");
	free(dir);

	dir = write_run("trailing");
	{
		char *path = xasprintf("%s/meta.json", dir);
		FILE *f = fopen(path, "a");

		fputs("{}\n", f);
		fclose(f);
		free(path);
	}
	expect_error(dir, "meta.json", "trailing data");
	free(dir);

	dir = write_run("notobject");
	set_file(dir, "meta.json", "[1, 2]");
	expect_error(dir, "meta.json", "top level: expected object");
	free(dir);

	/* sample files: the line is named */
	dir = write_run("samples-cut");
	set_file(
		dir, "samples/cmd_latency.total.MAPD.txt",
		"# itsperf samples 1\n# metric cmd_latency.total.MAPD\n# unit ns\n# count 6\n900\n100\n50");
	expect_error(dir, "samples/cmd_latency.total.MAPD.txt: line", "count 6 but only");
	free(dir);

	dir = write_run("samples-short");
	set_file(dir, "samples/cmd_latency.total.MAPD.txt",
		 "# itsperf samples 1\n# metric cmd_latency.total.MAPD\n# unit ns\n# count 6\n"
		 "900\n100\n500\n300\n700\n");
	expect_error(dir, "line 10: 5 samples, the header says 6", NULL);
	free(dir);

	dir = write_run("samples-garbage");
	set_file(dir, "samples/cmd_latency.total.MAPD.txt",
		 "# itsperf samples 1\n# metric cmd_latency.total.MAPD\n# unit ns\n# count 6\n"
		 "900\n100\n5x0\n300\n700\n1\n");
	expect_error(dir, "MAPD.txt: line 7", "expected a decimal number");
	free(dir);

	dir = write_run("samples-overflow");
	set_file(dir, "samples/cmd_latency.total.MAPD.txt",
		 "# itsperf samples 1\n# metric cmd_latency.total.MAPD\n# unit ns\n# count 6\n"
		 "900\n100\n18446744073709551616\n300\n700\n1\n");
	expect_error(dir, "line 7", "does not fit in 64 bits");
	free(dir);

	dir = write_run("samples-version");
	set_file(dir, "samples/cmd_latency.total.MAPD.txt",
		 "# itsperf samples 9\n# metric cmd_latency.total.MAPD\n# unit ns\n# count 6\n");
	expect_error(dir, "line 1", "newer itsperf");
	free(dir);

	dir = write_run("samples-other");
	set_file(dir, "samples/cmd_latency.total.MAPD.txt",
		 "# itsperf samples 1\n# metric cmd_latency.total.MOVI\n# unit ns\n# count 6\n");
	expect_error(dir, "line 2", "expected 'cmd_latency.total.MAPD'");
	free(dir);

	dir = write_run("samples-missing");
	{
		char *path = xasprintf("%s/samples/cmd_latency.total.MAPD.txt", dir);

		unlink(path);
		free(path);
	}
	expect_error(dir, "samples file", "No such file");
	free(dir);

	dir = write_run("file-cut");
	set_file(dir, "files/console.log", "boot\n");
	expect_error(dir, "files[0]", "has 5 bytes, meta.json says 8");
	free(dir);

	/* no meta.json at all */
	dir = xasprintf("%s/nothing", root);
	mkdir(dir, 0755);
	expect_error(dir, "nothing/meta.json", "not a result run");
	free(dir);
}

static void test_find_runs(void **state __unused)
{
	char *base = xasprintf("%s/set", root);
	char *crashed = xasprintf("%s/set/run-3.tmp-999", root);
	struct run_meta m = { .label = "x", .kernel_release = "k" };
	struct result_run *r;
	char **dirs;
	int n;
	int i;

	for (i = 1; i <= 10; i += 9) {
		char *d = xasprintf("%s/run-%d", base, i);

		r = result_run_begin(d, &m);
		assert_int_equal(result_run_end(r, false), 0);
		free(d);
	}
	{
		char *d = xasprintf("%s/run-2", base);

		r = result_run_begin(d, &m);
		assert_int_equal(result_run_end(r, false), 0);
		free(d);
	}
	/* a writer that never finished: its checkpoint is in run-3.tmp-999 */
	{
		char *d = xasprintf("%s/run-3", base);

		r = result_run_begin(d, &m);
		assert_int_equal(rename(result_run_dir(r), crashed), 0);
		result_run_abort(r); /* frees it; the renamed folder stays */
		free(d);
	}
	n = result_find_runs(base, &dirs);
	assert_int_equal(n, 3);
	assert_true(strstr(dirs[0], "run-1") && strstr(dirs[1], "run-2") &&
		    strstr(dirs[2], "run-10"));
	result_free_list(dirs, n);
	/* read explicitly, the checkpoint is a partial run */
	{
		struct result_data *d = result_read(crashed, RESULT_READ_QUIET, NULL, 0);

		assert_non_null(d);
		assert_true(d->partial);
		assert_true(d->in_progress);
		result_free(d);
	}
	free(base);
	free(crashed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_strict_errors),
		cmocka_unit_test(test_find_runs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
