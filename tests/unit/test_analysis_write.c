// SPDX-License-Identifier: GPL-2.0
/* analysis/: the result writer (atomic run folders), histograms, host metadata */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "result/meta.h"
#include "result/result.h"
#include "lib/util.h"

static char *tmp_root(void)
{
	char templ[] = "/tmp/itsperf-test-XXXXXX";

	assert_non_null(mkdtemp(templ));
	return xstrdup(templ);
}

static const struct metric_desc movi = {
	.name = "cmd_latency.total.MOVI",
	.area = "cmd_latency",
	.unit = "ns",
	.kind = METRIC_LATENCY,
	.source = "bpf",
	.desc = "its_send_single_command entry to return, MOVI",
};

static const struct metric_desc rate = {
	.name = "throughput.commands",
	.area = "throughput",
	.unit = "cmd/s",
	.kind = METRIC_THROUGHPUT,
	.source = "bench",
	.desc = "ITS commands completed per second",
};

static struct json_object *load_meta(const char *dir)
{
	char *path = xasprintf("%s/meta.json", dir);
	struct json_object *o = json_object_from_file(path);

	free(path);
	assert_non_null(o);
	return o;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void test_hist_log2(void **state __unused)
{
	struct hist h;
	struct hist h2;

	hist_init(&h, HIST_LOG2, 0, 0);
	assert_int_equal(h.nr_buckets, 64);
	hist_add(&h, 0);
	hist_add(&h, 1);
	hist_add(&h, 2);
	hist_add(&h, 3);
	hist_add(&h, 4);
	hist_add(&h, 1000);
	assert_int_equal(h.buckets[0], 2); /* [0, 2) */
	assert_int_equal(h.buckets[1], 2); /* [2, 4) */
	assert_int_equal(h.buckets[2], 1); /* [4, 8) */
	assert_int_equal(h.buckets[9], 1); /* [512, 1024) */
	assert_int_equal(h.count, 6);
	assert_int_equal(h.min, 0);
	assert_int_equal(h.max, 1000);
	assert_int_equal((int)h.sum, 1010);
	assert_int_equal(hist_bucket_lo(&h, 9), 512);
	assert_int_equal(hist_bucket_hi(&h, 9), 1024);

	hist_init(&h2, HIST_LOG2, 0, 0);
	hist_add(&h2, 5);
	hist_add(&h2, UINT64_MAX);
	hist_merge(&h, &h2);
	assert_int_equal(h.count, 8);
	assert_int_equal(h.buckets[2], 2);
	assert_int_equal(h.buckets[63], 1);
	assert_true(h.max == UINT64_MAX);
	hist_free(&h);
	hist_free(&h2);
}

static void test_hist_linear_overflow(void **state __unused)
{
	struct hist h;

	hist_init(&h, HIST_LINEAR, 10, 100);
	hist_add(&h, 99);
	hist_add(&h, 100);
	hist_add(&h, 5000); /* beyond the last bucket: counted there, max exact */
	assert_int_equal(h.buckets[0], 1);
	assert_int_equal(h.buckets[1], 1);
	assert_int_equal(h.buckets[9], 1);
	assert_int_equal(h.max, 5000);
	hist_free(&h);
}

/* runs of one metric may come in linear and log2: pooled in log2, nothing lost */
static void test_hist_merge_layouts(void **state __unused)
{
	struct hist lin;
	struct hist l2;
	struct hist dst = { 0 };
	uint64_t total = 0;
	int i;

	hist_init(&lin, HIST_LINEAR, 100, 1000);
	hist_add(&lin, 500);
	hist_add(&lin, 1500);
	hist_init(&l2, HIST_LOG2, 64, 0);
	hist_add(&l2, 3000);
	hist_merge(&dst, &lin); /* empty dst takes the linear layout */
	assert_int_equal(dst.type, HIST_LINEAR);
	hist_merge(&dst, &l2); /* a log2 run: everything goes log2 */
	assert_int_equal(dst.type, HIST_LOG2);
	assert_int_equal(dst.count, 3);
	assert_int_equal(dst.min, 500);
	assert_int_equal(dst.max, 3000);
	for (i = 0; i < dst.nr_buckets; i++)
		total += dst.buckets[i];
	assert_int_equal(total, 3);
	/* 3000 is in [2048, 4096): bucket 11 */
	assert_int_equal(dst.buckets[11], 1);
	hist_free(&lin);
	hist_free(&l2);
	hist_free(&dst);
}

static void test_write_run(void **state __unused)
{
	char *root = tmp_root();
	char *dir = xasprintf("%s/ref/v1/run-1", root);
	struct run_meta meta = { .label = "v1", .kernel_release = "6.12.117+deb12-arm64" };
	uint64_t samples[] = { 500, 100, 300, 200, 400 };
	struct json_object *o, *ms, *m, *sec;
	struct result_run *r;
	struct hist h;
	char *path;
	char *txt;

	meta.gic_version = 3;
	meta.offered_rate = 1000;
	assert_int_equal(run_meta_set_sweep(&meta, "devices", 16), 0);
	assert_int_equal(run_meta_set_sweep(&meta, "devices", 32), 0);
	assert_int_equal(meta.nr_sweep, 1);
	assert_int_equal(run_meta_set_sweep(&meta, "bad name", 1), -1);

	r = result_run_begin(dir, &meta);
	assert_non_null(r);
	/* while writing, only the tmp folder exists, with a partial checkpoint */
	assert_false(path_exists(dir));
	assert_true(strstr(result_run_dir(r), ".tmp-") != NULL);
	o = load_meta(result_run_dir(r));
	assert_true(json_object_get_boolean(get(o, "partial")));
	json_object_put(o);

	hist_init(&h, HIST_LOG2, 0, 0);
	for (size_t i = 0; i < ARRAY_SIZE(samples); i++)
		hist_add(&h, samples[i]);
	assert_int_equal(result_add_metric(r, &movi, &h, samples, ARRAY_SIZE(samples)), 0);
	/* a duplicate name is refused */
	assert_int_equal(result_add_metric(r, &movi, &h, NULL, 0), -1);
	assert_int_equal(result_add_value(r, &rate, 12345.5), 0);
	sec = json_object_new_object();
	json_object_object_add(sec, "MOVI", json_object_new_int(5));
	assert_int_equal(result_add_section(r, "workloads", sec), 0);
	sec = json_object_new_object();
	json_object_object_add(sec, "MAPD", json_object_new_int(2));
	assert_int_equal(result_add_section(r, "workloads", sec), 0);
	assert_int_equal(result_add_section(r, "bad/name", json_object_new_object()), -1);
	assert_int_equal(result_add_file_data(r, "dmesg.txt", "hello\n", 6), 0);
	assert_int_equal(result_add_file_data(r, "dmesg.txt", "x", 1), -1);
	assert_int_equal(result_add_file_data(r, "../evil", "x", 1), -1);
	assert_int_equal(result_run_end(r, false), 0);
	hist_free(&h);

	assert_true(path_exists(dir));
	o = load_meta(dir);
	assert_int_equal(json_object_get_int(get(o, "format_version")), RESULT_FORMAT_VERSION);
	assert_false(json_object_get_boolean(get(o, "partial")));
	assert_false(json_object_object_get_ex(o, "in_progress", NULL));
	assert_string_equal(json_object_get_string(get(get(o, "meta"), "label")), "v1");
	assert_int_equal(json_object_get_int(get(get(get(o, "meta"), "sweep"), "devices")), 32);
	ms = get(o, "metrics");
	assert_int_equal(json_object_array_length(ms), 2);
	m = json_object_array_get_idx(ms, 0);
	assert_string_equal(json_object_get_string(get(m, "direction")), "lower");
	assert_int_equal(json_object_get_int(get(get(m, "summary"), "p50")), 300);
	assert_string_equal(json_object_get_string(get(get(m, "samples"), "file")),
			    "samples/cmd_latency.total.MOVI.txt");
	m = json_object_array_get_idx(ms, 1);
	assert_string_equal(json_object_get_string(get(m, "direction")), "higher");
	assert_true(json_object_get_double(get(m, "value")) == 12345.5);
	sec = get(get(o, "sections"), "workloads");
	assert_int_equal(json_object_get_int(get(sec, "MOVI")), 5);
	assert_int_equal(json_object_get_int(get(sec, "MAPD")), 2);
	json_object_put(o);

	path = xasprintf("%s/samples/cmd_latency.total.MOVI.txt", dir);
	txt = read_file(path, NULL);
	assert_non_null(txt);
	assert_string_equal(txt, "# itsperf samples 1\n# metric cmd_latency.total.MOVI\n# unit ns\n"
				 "# count 5\n500\n100\n300\n200\n400\n");
	free(txt);
	free(path);
	path = xasprintf("%s/files/dmesg.txt", dir);
	txt = read_file(path, NULL);
	assert_string_equal(txt, "hello\n");
	free(txt);
	free(path);

	/* an existing run is never overwritten */
	assert_null(result_run_begin(dir, &meta));
	rm_rf(root);
	free(dir);
	free(root);
}

static void test_partial_and_abort(void **state __unused)
{
	char *root = tmp_root();
	char *dir = xasprintf("%s/run-2", root);
	struct run_meta meta = { .label = "base" };
	struct json_object *o;
	struct result_run *r;
	char *tmp;

	r = result_run_begin(dir, &meta);
	assert_non_null(r);
	assert_int_equal(result_add_value(r, &rate, 10), 0);
	assert_int_equal(result_run_end(r, true), 0);
	o = load_meta(dir);
	assert_true(json_object_get_boolean(get(o, "partial")));
	json_object_put(o);
	rm_rf(dir);

	r = result_run_begin(dir, &meta);
	assert_non_null(r);
	tmp = xstrdup(result_run_dir(r));
	assert_true(path_exists(tmp));
	result_run_abort(r);
	assert_false(path_exists(tmp));
	assert_false(path_exists(dir));
	free(tmp);
	rm_rf(root);
	free(dir);
	free(root);
}

/* the same metric from two collectors: both kept, the second named NAME:SOURCE */
static void test_same_metric_two_sources(void **state __unused)
{
	struct metric_desc ft = movi;
	char *root = tmp_root();
	char *dir = xasprintf("%s/run-3", root);
	struct run_meta meta = { .label = "base" };
	struct json_object *o;
	struct json_object *ms;
	struct result_run *r;
	uint64_t v = 1000;

	ft.source = "ftrace";
	r = result_run_begin(dir, &meta);
	assert_non_null(r);
	assert_int_equal(result_add_metric(r, &movi, NULL, &v, 1), 0);
	assert_int_equal(result_add_metric(r, &ft, NULL, &v, 1), 0);
	/* the same source twice is a collector bug: refused */
	assert_int_equal(result_add_metric(r, &movi, NULL, &v, 1), -1);
	assert_int_equal(result_run_end(r, false), 0);
	o = load_meta(dir);
	ms = get(o, "metrics");
	assert_int_equal(json_object_array_length(ms), 2);
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(ms, 0), "name")),
			    "cmd_latency.total.MOVI");
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(ms, 1), "name")),
			    "cmd_latency.total.MOVI:ftrace");
	json_object_put(o);
	rm_rf(root);
	free(dir);
	free(root);
}

static void test_kernel_log(void **state __unused)
{
	static const char log_612[] =
		"[    0.000000] GICv3: 256 SPIs implemented\n"
		"[    0.000000] ITS [mem 0x08080000-0x0809ffff]\n"
		"[    0.000000] ITS@0x0000000008080000: allocated 8192 Devices @40120000 (indirect)\n"
		"[    0.000000] ITS@0x0000000008080000: allocated 8192 Interrupt Collections\n"
		"[    0.912345] kvm [1]: Protected hVHE mode initialized successfully\n";
	static const char log_61_v4[] = "GICv3: GICv4 features: \n"
					"ITS@0x0000000008080000: allocated 8192 Devices\n"
					"ITS@0x00000000080a0000: allocated 8192 Devices\n"
					"kvm [1]: GICv4 support disabled\n"
					"kvm [1]: Protected nVHE mode initialized successfully\n";
	/* 6.12 under QEMU gic-version=4, as printed (console of the bench tests) */
	static const char log_v4[] =
		"[    0.000000] GICv3: GICv3 features: 16 PPIs\n"
		"[    0.000000] GICv3: GICv4 features: \n"
		"[    0.000000] ITS [mem 0x08080000-0x0809ffff]\n"
		"[    0.000000] ITS@0x0000000008080000: Single VMOVP capable\n"
		"[    0.000000] ITS: Enabling GICv4 support\n"
		"[    1.769903] kvm [1]: GICv4 support enabled\n"
		"[    1.9] kvm [1]: Protected nVHE mode initialized successfully\n";
	static const char log_nvhe[] = "kvm [1]: Hyp mode (nVHE) initialized successfully\n";
	static const char log_vhe[] = "kvm [1]: VHE mode initialized successfully\n";
	struct log_facts f;

	parse_kernel_log(log_612, &f);
	assert_string_equal(f.mode, "protected-hvhe");
	assert_int_equal(f.gic, 3);
	assert_int_equal(f.nr_its, 1);
	parse_kernel_log(log_61_v4, &f);
	assert_string_equal(f.mode, "protected-nvhe");
	assert_int_equal(f.gic, 4);
	assert_int_equal(f.nr_its, 2);
	parse_kernel_log(log_v4, &f);
	assert_int_equal(f.gic, 4);
	assert_int_equal(f.nr_its, 1);
	assert_string_equal(f.mode, "protected-nvhe");
	parse_kernel_log(log_nvhe, &f);
	assert_string_equal(f.mode, "nvhe");
	parse_kernel_log(log_vhe, &f);
	assert_string_equal(f.mode, "vhe");
	/* 6.12 spells the unprotected modes "%s%sVHE mode": not to be read as VHE */
	parse_kernel_log("[    0.1] kvm [1]: Hyp nVHE mode initialized successfully\n", &f);
	assert_string_equal(f.mode, "nvhe");
	parse_kernel_log("[    0.1] kvm [1]: Hyp hVHE mode initialized successfully\n", &f);
	assert_string_equal(f.mode, "hvhe");
	parse_kernel_log("", &f);
	assert_null(f.mode);
	assert_int_equal(f.gic, 0);
}

static void test_meta_from_host(void **state __unused)
{
	struct run_meta m = { 0 };

	setenv("ITSPERF_EMULATED", "1", 1);
	run_meta_from_host(&m);
	assert_true(m.kernel_release[0] != '\0');
	assert_true(m.arch[0] != '\0');
	assert_true(m.nr_cpus >= 1);
	assert_true(m.pkvm_mode[0] != '\0');
	assert_true(m.emulated);
	setenv("ITSPERF_EMULATED", "0", 1);
	run_meta_from_host(&m);
	assert_false(m.emulated);
	unsetenv("ITSPERF_EMULATED");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_log2),
		cmocka_unit_test(test_hist_linear_overflow),
		cmocka_unit_test(test_hist_merge_layouts),
		cmocka_unit_test(test_write_run),
		cmocka_unit_test(test_partial_and_abort),
		cmocka_unit_test(test_same_metric_two_sources),
		cmocka_unit_test(test_kernel_log),
		cmocka_unit_test(test_meta_from_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
