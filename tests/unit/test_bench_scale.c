// SPDX-License-Identifier: GPL-2.0
/*
 * Device-heavy scale (issue 9): the emulated host's extra device layout
 * and vector counts, their QEMU command line, the fleet options, per-CPU
 * expectations, the its->lock overlap arithmetic of its_pressure, the
 * driver_override journal record, and one-pass runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "bench/bench.h"
#include "bench/bench_priv.h"
#include "lib/util.h"
#include "vm/vm.h"

/* ---- vm --devices N --vectors M ---- */

static void test_extra_layout(void **state __unused)
{
	static const int ns[] = { 1, 24, 25, 26, 32, 33, 64, 128 };
	struct vm_extra_slot s;
	size_t k;
	int i;

	for (k = 0; k < ARRAY_SIZE(ns); k++) {
		int n = ns[k];
		bool used[32][8] = { { false } };
		int direct = 0, ports = 0, lowest_port = 32;

		for (i = 0; i < n; i++) {
			assert_int_equal(vm_extra_slot(n, i, &s), 0);
			/* never a fixed device's slot, never twice the same function */
			assert_true(s.slot >= VM_FIRST_FREE_SLOT && s.slot <= 31);
			assert_true(s.fn >= 0 && s.fn < 8);
			assert_false(used[s.slot][s.fn]);
			used[s.slot][s.fn] = true;
			if (s.behind_port) {
				ports++;
				if (s.slot < lowest_port)
					lowest_port = s.slot;
			} else {
				assert_int_equal(s.fn, 0);
				assert_int_equal(s.slot, VM_FIRST_FREE_SLOT + direct);
				direct++;
			}
		}
		/* the root bus first: ports only once its 25 free slots are not enough */
		if (n <= 25)
			assert_int_equal(ports, 0);
		else
			assert_true(VM_FIRST_FREE_SLOT + direct <= lowest_port);
	}
	/* 32: slots 7..30 direct, the 8 functions of slot 31 are root ports */
	assert_int_equal(vm_extra_slot(32, 23, &s), 0);
	assert_int_equal(s.slot, 30);
	assert_false(s.behind_port);
	assert_int_equal(vm_extra_slot(32, 24, &s), 0);
	assert_true(s.behind_port && s.slot == 31 && s.fn == 0);
	assert_int_equal(vm_extra_slot(32, 31, &s), 0);
	assert_true(s.behind_port && s.slot == 31 && s.fn == 7);
	/* out of range */
	assert_int_equal(vm_extra_slot(0, 0, &s), -1);
	assert_int_equal(vm_extra_slot(4, 4, &s), -1);
	assert_int_equal(vm_extra_slot(4, -1, &s), -1);
	assert_int_equal(vm_extra_slot(201, 0, &s), -1);
}

static void test_extra_vectors(void **state __unused)
{
	static const struct {
		int m, nvec, ports;
	} t[] = {
		{ 2, 2, 1 }, { 3, 3, 1 }, { 4, 3, 1 }, { 5, 3, 1 },    { 6, 6, 2 },
		{ 7, 6, 2 }, { 8, 8, 3 }, { 9, 8, 3 }, { 64, 64, 31 },
	};
	size_t i;
	int ports;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		ports = -1;
		assert_int_equal(vm_extra_vectors(t[i].m, &ports), t[i].nvec);
		assert_int_equal(ports, t[i].ports);
		/* virtio_console: 2 queues per port + control in (control out has no callback) + config */
		if (t[i].m >= 6)
			assert_int_equal(2 * ports + 2, t[i].nvec);
	}
	assert_int_equal(vm_extra_vectors(1, &ports), -1);
	assert_int_equal(vm_extra_vectors(0, &ports), -1);
	assert_int_equal(vm_extra_vectors(65, &ports), -1);
}

static int argv_count(char **argv, const char *s)
{
	int n = 0;

	for (; *argv; argv++)
		if (strstr(*argv, s))
			n++;
	return n;
}

static void test_qemu_argv_devices(void **state __unused)
{
	struct vm_config cfg = {
		.qemu = "qemu-system-aarch64",
		.image = "/k/Image",
		.initrd = "/t/i",
		.release = "6.12",
		.mode = VM_MODE_PROTECTED,
		.gic = 3,
		.cpus = 2,
		.mem = "2G",
		.out_dir = "/o",
		.disk = "/t/d.img",
	};
	char **argv;
	char *cl;

	/* the default host: no extra device, no IOMMU */
	argv = vm_qemu_argv(&cfg);
	assert_int_equal(argv_count(argv, "virtio-serial-pci"), 0);
	assert_int_equal(argv_count(argv, "pcie-root-port"), 0);
	assert_int_equal(argv_count(argv, "iommu"), 0);
	strv_free(argv);

	cfg.devices = 32;
	cfg.vectors = 8;
	cfg.iommu = "smmuv3";
	argv = vm_qemu_argv(&cfg);
	assert_int_equal(argv_count(argv, "virtio-serial-pci,"), 32);
	assert_int_equal(argv_count(argv, "pcie-root-port,"), 8);
	assert_int_equal(argv_count(argv, "max_ports=3,vectors=8"), 32);
	assert_int_equal(argv_count(argv, "virtio-serial-pci,id=xdev0,addr=07.0,"), 1);
	assert_int_equal(argv_count(argv, "virtio-serial-pci,id=xdev23,addr=1e.0,"), 1);
	assert_int_equal(argv_count(argv, "pcie-root-port,id=xport0,bus=pcie.0,addr=1f.0,chassis=1,"
					  "hotplug=off,multifunction=on"),
			 1);
	assert_int_equal(argv_count(argv, "pcie-root-port,id=xport7,bus=pcie.0,addr=1f.7,chassis=8,"
					  "hotplug=off"),
			 1);
	assert_int_equal(argv_count(argv, "virtio-serial-pci,id=xdev31,bus=xport7,addr=00.0,"), 1);
	assert_int_equal(
		argv_count(argv, "virt,gic-version=3,its=on,virtualization=on,iommu=smmuv3"), 1);
	strv_free(argv);
	cl = vm_kernel_cmdline(&cfg);
	assert_non_null(strstr(cl, " iommu.passthrough=1"));
	free(cl);
}

/* ---- options ---- */

static int parse(struct bench_opts *o, const char **wl, ...)
{
	char *argv[32];
	va_list ap;
	int argc = 0;

	va_start(ap, wl);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	bench_opts_init(o);
	return bench_parse_args(argc, argv, o, wl);
}

static void test_parse_fleet(void **state __unused)
{
	struct bench_opts o;
	const char *wl;

	assert_int_equal(parse(&o, &wl, "rebind", "--device", "all", "--jobs", "4", NULL), 0);
	assert_true(o.all_devices);
	assert_int_equal(o.nr_devices, 0);
	assert_int_equal(o.jobs, 4);
	assert_int_equal(o.pressure, -1);
	assert_int_equal(parse(&o, &wl, "affinity", "--jobs", "2", "--no-pressure", NULL), 0);
	assert_int_equal(o.jobs, 2);
	assert_int_equal(o.pressure, 0);
	assert_int_equal(parse(&o, &wl, "inv", "--device", "00:07.0", "--vectors", "4",
			       "--pressure", "--rate", "100", NULL),
			 0);
	assert_string_equal(wl, "inv");
	assert_int_equal(o.vectors, 4);
	assert_int_equal(o.pressure, 1);
	assert_int_equal(o.nr_devices, 1);

	/* 'all' is rebind's, and names every device: nothing else with it */
	assert_int_equal(parse(&o, &wl, "inv", "--device", "all", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "rebind", "--device", "all", "--device", "00:02.0", NULL),
			 EXIT_USAGE);
	/* --list: rebind's dry run, what --sweep devices draws from */
	assert_int_equal(parse(&o, &wl, "rebind", "--device", "all", "--list", NULL), 0);
	assert_true(o.list_only);
	assert_true(o.all_devices);
	assert_int_equal(parse(&o, &wl, "rebind", "--device", "00:02.0", NULL), 0);
	assert_false(o.list_only);
	/* options the workload does not take */
	assert_int_equal(parse(&o, &wl, "affinity", "--list", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--vectors", "2", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "vcpu", "--pressure", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "msi", "--jobs", "2", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "inv", "--jobs", "2", NULL), EXIT_USAGE);
	/* bad values */
	assert_int_equal(parse(&o, &wl, "inv", "--vectors", "0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "inv", "--vectors", "2049", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "rebind", "--jobs", "257", NULL), EXIT_USAGE);
	assert_true(bench_workload_exists("inv"));
}

/* ---- per-CPU expectations, one pass ---- */

static void ctx_init(struct bench_ctx *c, struct bench_opts *o, struct bench_result *r, int ncpu)
{
	memset(c, 0, sizeof(*c));
	memset(r, 0, sizeof(*r));
	c->o = o;
	c->w = &bench_rebind;
	c->res = r;
	c->nr_possible = ncpu;
	c->nr_cpus = ncpu;
	for (int i = 0; i < ncpu; i++)
		c->cpu_list[i] = i;
	c->by_cpu = xcalloc(ncpu + 1, sizeof(*c->by_cpu));
	c->ops_by_cpu = xcalloc(ncpu + 1, sizeof(uint64_t));
	c->uncertain = json_object_new_object();
	pthread_mutex_init(&c->lock, NULL);
}

static void ctx_free(struct bench_ctx *c)
{
	free(c->by_cpu);
	free(c->ops_by_cpu);
	json_object_put(c->uncertain);
}

static void test_per_cpu_and_one_pass(void **state __unused)
{
	struct bench_result r;
	struct bench_opts o;
	struct bench_ctx c;
	uint64_t n = 0;

	bench_opts_init(&o);
	ctx_init(&c, &o, &r, 3);
	/* worker k runs on the k-th CPU of the list, cyclically */
	assert_int_equal(bench_worker_cpu(&c, 0), 0);
	assert_int_equal(bench_worker_cpu(&c, 4), 1);
	bench_expect_on(&c, BENCH_PHASE_RUN, ITS_CMD_MAPTI, 8, 2);
	bench_expect_on(&c, BENCH_PHASE_RUN, ITS_CMD_MAPTI, 3, -1); /* not attributed */
	bench_expect_on(&c, BENCH_PHASE_RUN, ITS_CMD_MAPTI, 5, 99); /* no such CPU */
	assert_int_equal(r.expected[BENCH_PHASE_RUN].n[ITS_CMD_MAPTI], 16);
	assert_int_equal(c.by_cpu[2].n[ITS_CMD_MAPTI], 8);
	assert_int_equal(c.by_cpu[0].n[ITS_CMD_MAPTI] + c.by_cpu[1].n[ITS_CMD_MAPTI], 0);
	bench_op_done_on(&c, 1);
	assert_int_equal(c.ops_by_cpu[1], 1);
	assert_int_equal(c.done, 1);
	ctx_free(&c);

	/* no --ops or --duration: the workload's pass, not its default duration */
	bench_opts_init(&o);
	ctx_init(&c, &o, &r, 1);
	bench_begin_ops(&c, 7);
	while (bench_next_op(&c)) {
		bench_op_done(&c);
		n++;
	}
	assert_int_equal(n, 7);
	assert_string_equal(c.stop_reason, "ops");
	ctx_free(&c);

	/* given ones win */
	bench_opts_init(&o);
	o.ops = 2;
	ctx_init(&c, &o, &r, 1);
	bench_begin_ops(&c, 7);
	n = 0;
	while (bench_next_op(&c)) {
		bench_op_done(&c);
		n++;
	}
	assert_int_equal(n, 2);
	ctx_free(&c);
}

/* ---- its_pressure: waiting for its->lock from event order ---- */

static void test_lock_overlap(void **state __unused)
{
	/* its 1: holds [10,20], [30,40]; its 2: [12,18] (another lock) */
	struct lock_span holds[] = {
		{ .its = 1, .a = 30, .b = 40 },
		{ .its = 2, .a = 12, .b = 18 },
		{ .its = 1, .a = 10, .b = 20 },
	};
	const struct lock_span waits[] = {
		{ .its = 1, .a = 5, .b = 10 },	/* acquired when [10,20] began: its own hold */
		{ .its = 1, .a = 15, .b = 30 }, /* waited for [10,20] from 15 */
		{ .its = 1, .a = 0, .b = 50 },	/* waited through both */
		{ .its = 2, .a = 11, .b = 12 }, /* free */
		{ .its = 2, .a = 13, .b = 25 }, /* waited 13..18 */
		{ .its = 1, .a = 20, .b = 30 }, /* in the gap: free */
		{ .its = 3, .a = 0, .b = 99 },	/* a lock nobody held */
	};
	uint64_t out[ARRAY_SIZE(waits)];

	assert_int_equal(lock_span_overlap(holds, ARRAY_SIZE(holds), waits, ARRAY_SIZE(waits), out),
			 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 5);
	assert_int_equal(out[2], 20);
	assert_int_equal(out[3], 0);
	assert_int_equal(out[4], 5);
	assert_int_equal(out[5], 0);
	assert_int_equal(out[6], 0);
	/* none */
	assert_int_equal(lock_span_overlap(holds, 0, waits, ARRAY_SIZE(waits), out), 0);
}

/* ---- the driver_override record ---- */

static void test_journal_override(void **state __unused)
{
	const char *text = "itsperf-bench-journal 1\n"
			   "pid 123 456\n"
			   "boot b\n"
			   "workload inv\n"
			   "module vfio\n"
			   "binding 0000:00:07.0 virtio-pci\n"
			   "override 00:07.0 -\n"
			   "override 0000:00:08.0 vfio-pci\n"
			   "override nobdf x\n";
	struct jfile f;

	assert_int_equal(journal_parse("j", text, &f), 0);
	assert_int_equal(f.n, 4);
	assert_int_equal(f.bad_lines, 1);
	assert_string_equal(f.workload, "inv");
	assert_int_equal(f.e[0].kind, J_MODULE);
	assert_int_equal(f.e[1].kind, J_BINDING);
	assert_int_equal(f.e[2].kind, J_OVERRIDE);
	assert_string_equal(f.e[2].obj, "0000:00:07.0");
	assert_string_equal(f.e[2].val, "-");
	assert_int_equal(f.e[3].kind, J_OVERRIDE);
	assert_string_equal(f.e[3].val, "vfio-pci");
	jfile_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extra_layout),	     cmocka_unit_test(test_extra_vectors),
		cmocka_unit_test(test_qemu_argv_devices),    cmocka_unit_test(test_parse_fleet),
		cmocka_unit_test(test_per_cpu_and_one_pass), cmocka_unit_test(test_lock_overlap),
		cmocka_unit_test(test_journal_override),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
