// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/ userspace logic that needs no kernel: builder symbol -> ITS command
 * type, per-CPU histogram merge and export into the result format (read
 * back through the strict reader), libbpf error names.
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

#include "result/result.h"
#include "result/result_read.h"
#include "bpf/attach.h"
#include "lib/its_cmd.h"
#include "bpf/common.h"
#include "lib/ksyms.h"
#include "lib/util.h"

static void test_builder_names(void **state __unused)
{
	static const struct {
		const char *sym;
		const char *type;
	} ok[] = {
		{ "its_build_mapd_cmd", "MAPD" },
		{ "its_build_mapti_cmd", "MAPTI" },
		{ "its_build_movi_cmd", "MOVI" },
		{ "its_build_inv_cmd", "INV" },
		{ "its_build_discard_cmd", "DISCARD" },
		{ "its_build_int_cmd", "INT" },
		{ "its_build_clear_cmd", "CLEAR" },
		{ "its_build_mapc_cmd", "MAPC" },
		{ "its_build_invall_cmd", "INVALL" },
		{ "its_build_invdb_cmd", "INVDB" },
		{ "its_build_vmapp_cmd", "VMAPP" },
		{ "its_build_vmovp_cmd", "VMOVP" },
		{ "its_build_vmapti_cmd", "VMAPTI" },
		{ "its_build_vmovi_cmd", "VMOVI" },
		{ "its_build_vinv_cmd", "VINV" },
		{ "its_build_vinvall_cmd", "VINVALL" },
		{ "its_build_vint_cmd", "VINT" },
		{ "its_build_vclear_cmd", "VCLEAR" },
		{ "its_build_vsgi_cmd", "VSGI" },
		{ "its_build_sync_cmd", "SYNC" },
		{ "its_build_vsync_cmd", "VSYNC" },
		/* gcc clones keep the name before the first '.' */
		{ "its_build_movi_cmd.isra.0", "MOVI" },
		{ "its_build_mapd_cmd.constprop.0", "MAPD" },
	};
	static const char *const not_builders[] = {
		"its_send_single_command",
		"its_build_",
		"its_build__cmd",
		"its_build_movi_cmdx",
		"its_build_movi",
		"its_build_mo-vi_cmd",
		"build_movi_cmd",
		"",
		NULL,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_string_equal(its_cmd_name_of_builder(ok[i].sym), ok[i].type);
		assert_true(its_cmd_parse(ok[i].type) >= 0);
	}
	for (i = 0; i < ARRAY_SIZE(not_builders) && not_builders[i]; i++)
		assert_string_equal(its_cmd_name_of_builder(not_builders[i]), "OTHER");
	assert_int_equal(its_cmd_parse("MOVE"), -1);
}

/* addresses as the BPF side reports them: the builder's start address */
static void test_builder_addresses(void **state __unused)
{
	static const char map[] = "ffff800080779e30 t its_build_movi_cmd\n"
				  "ffff800080779f00 t its_build_sync_cmd\n"
				  "ffff80008077a000 t its_build_mapd_cmd.isra.0\n"
				  "ffff80008077dd58 t its_send_single_command\n"
				  "ffff80008077e000 T _etext\n";
	char path[] = "/tmp/itsperf-test-ksyms-XXXXXX";
	struct ksyms *ks;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, map, sizeof(map) - 1), sizeof(map) - 1);
	close(fd);
	ks = ksyms_load(path);
	unlink(path);
	assert_non_null(ks);
	assert_string_equal(its_cmd_name_at(ks, 0xffff800080779e30ULL), "MOVI");
	assert_string_equal(its_cmd_name_at(ks, 0xffff80008077a000ULL), "MAPD");
	/* inside a builder is no builder pointer; nor is another function */
	assert_string_equal(its_cmd_name_at(ks, 0xffff800080779e34ULL), "OTHER");
	assert_string_equal(its_cmd_name_at(ks, 0xffff80008077dd58ULL), "OTHER");
	assert_string_equal(its_cmd_name_at(NULL, 0xffff800080779e30ULL), "OTHER");
	ksyms_free(ks);
}

static void bh_add(struct bpf_hist *h, uint64_t v, uint64_t width)
{
	uint64_t lin = v / width;
	int slot = 0;

	while (slot < 63 && v >> (slot + 1))
		slot++;
	if (lin >= BPF_HIST_LIN_SLOTS)
		lin = BPF_HIST_LIN_SLOTS - 1;
	h->count++;
	h->sum += v;
	h->log2[slot]++;
	h->lin[lin]++;
	if (~v > h->min_inv)
		h->min_inv = ~v;
	if (v > h->max)
		h->max = v;
}

/* per-CPU copies as libbpf hands them over: empty CPUs must not pull min to 0 */
static void test_percpu_merge(void **state __unused)
{
	struct bpf_hist cpus[4], m;
	struct hist log2, lin;

	memset(cpus, 0, sizeof(cpus));
	bh_add(&cpus[1], 700, 100);
	bh_add(&cpus[1], 3, 100);
	bh_add(&cpus[3], 250000, 100);
	bh_add(&cpus[3], 12800, 100); /* lin bucket 128: clamped into the last */
	bpf_hist_merge_cpus(&m, cpus, 4);
	assert_int_equal(m.count, 4);
	assert_int_equal(m.sum, 700 + 3 + 250000 + 12800);
	assert_int_equal(bpf_hist_min(&m), 3);
	assert_int_equal(m.max, 250000);
	assert_int_equal(m.log2[1], 1);
	assert_int_equal(m.log2[9], 1);
	assert_int_equal(m.log2[13], 1);
	assert_int_equal(m.log2[17], 1);
	assert_int_equal(m.lin[0], 1);
	assert_int_equal(m.lin[7], 1);
	assert_int_equal(m.lin[BPF_HIST_LIN_SLOTS - 1], 2);

	bpf_hist_export(&m, 100, &log2, &lin);
	assert_int_equal(log2.type, HIST_LOG2);
	assert_int_equal(lin.type, HIST_LINEAR);
	assert_int_equal(lin.width, 100);
	assert_int_equal(log2.count, 4);
	assert_int_equal(lin.count, 4);
	assert_int_equal(log2.min, 3);
	assert_int_equal(lin.max, 250000);
	assert_int_equal(log2.buckets[17], 1);
	assert_int_equal(lin.buckets[BPF_HIST_LIN_SLOTS - 1], 2);
	hist_free(&log2);
	hist_free(&lin);

	/* nothing recorded anywhere */
	memset(cpus, 0, sizeof(cpus));
	bpf_hist_merge_cpus(&m, cpus, 4);
	assert_int_equal(m.count, 0);
	assert_int_equal(bpf_hist_min(&m), 0);
}

/* one histogram per metric: linear when it holds everything, else log2; read back strictly */
static void test_emit_choice(void **state __unused)
{
	struct metric_desc d = { .area = "cmd_latency",
				 .unit = "ns",
				 .kind = METRIC_LATENCY,
				 .source = "bpf",
				 .error_bound = "test" };
	char dir[] = "/tmp/itsperf-test-emit-XXXXXX";
	const struct result_metric *m;
	struct bpf_hist narrow = { 0 }, wide = { 0 };
	struct run_meta meta = { 0 };
	struct result_data *rd;
	struct result_run *r;
	char run[128], err[256];

	assert_non_null(mkdtemp(dir));
	snprintf(run, sizeof(run), "%s/run", dir);
	bh_add(&narrow, 1500, 1000);
	bh_add(&narrow, 127999, 1000);
	bh_add(&wide, 1500, 1000);
	bh_add(&wide, 128000, 1000);
	snprintf(meta.label, sizeof(meta.label), "test");
	snprintf(meta.kernel_release, sizeof(meta.kernel_release), "test");
	r = result_run_begin(run, &meta);
	assert_non_null(r);
	d.name = "cmd_latency.total.MOVI";
	assert_int_equal(bpf_emit_hist(r, &d, &narrow, 1000, NULL, 0), 0);
	d.name = "cmd_latency.total.MAPD";
	assert_int_equal(bpf_emit_hist(r, &d, &wide, 1000, NULL, 0), 0);
	assert_int_equal(result_run_end(r, false), 0);
	rd = result_read(run, 0, err, sizeof(err));
	if (!rd)
		fail_msg("%s", err);
	m = result_find_metric(rd, "cmd_latency.total.MOVI");
	assert_non_null(m);
	assert_int_equal(m->hist.type, HIST_LINEAR);
	assert_int_equal(m->hist.width, 1000);
	assert_int_equal(m->hist.count, 2);
	assert_int_equal(m->hist.max, 127999);
	assert_int_equal(m->hist.buckets[127], 1);
	m = result_find_metric(rd, "cmd_latency.total.MAPD");
	assert_non_null(m);
	assert_int_equal(m->hist.type, HIST_LOG2);
	assert_int_equal(m->hist.min, 1500);
	assert_int_equal(m->hist.max, 128000);
	result_free(rd);
	rm_rf(dir);
}

static void test_errnames(void **state __unused)
{
	char buf[48];

	/* static glibc prints -524 as "strerror_r(-524)=22": we name it */
	assert_string_equal(bpf_errname(-524, buf, sizeof(buf)), "ENOTSUPP (524)");
	assert_string_equal(bpf_errname(-1, buf, sizeof(buf)), "EPERM (1)");
	assert_string_equal(bpf_errname(22, buf, sizeof(buf)), "EINVAL (22)");
	assert_string_equal(bpf_errname(-4007, buf, sizeof(buf)), "LIBBPF_ERRNO__VERIFY (4007)");
	assert_string_equal(bpf_errname(-9999, buf, sizeof(buf)), "error 9999");
	assert_string_equal(bpf_mech_name(BPF_MECH_KPROBE), "kprobe");
	assert_string_equal(bpf_mech_name(BPF_MECH_NONE), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builder_names), cmocka_unit_test(test_builder_addresses),
		cmocka_unit_test(test_percpu_merge),  cmocka_unit_test(test_emit_choice),
		cmocka_unit_test(test_errnames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
