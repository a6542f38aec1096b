// SPDX-License-Identifier: GPL-2.0
/*
 * bench/: option parsing, expected-count derivation, the state journal,
 * the device guard on fixture trees, the guest program's encodings (against
 * binutils), distributions, and the workloads' refusal paths on this
 * (ITS-less) machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "bench/bench.h"
#include "bench/bench_priv.h"
#include "lib/util.h"

static char tmpdir[256];

static int setup_tmp(void **state __unused)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/itsperf-test-bench-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown_tmp(void **state __unused)
{
	rm_rf(tmpdir);
	return 0;
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

static void test_parse_ok(void **state __unused)
{
	struct bench_opts o;
	const char *wl;

	assert_int_equal(parse(&o, &wl, "affinity", "--ops", "200", "--rate", "50", "--cpus",
			       "0-1,3", "--irq", "24,25", "--irq", "30", "--json", "/tmp/x.json",
			       NULL),
			 EXIT_OK);
	assert_string_equal(wl, "affinity");
	assert_int_equal(o.ops, 200);
	assert_true(o.rate == 50);
	assert_int_equal(o.nr_cpus, 3);
	assert_true(o.cpus[0] & (1ull << 3));
	assert_int_equal(o.nr_irqs, 3);
	assert_int_equal(o.irqs[2], 30);
	assert_string_equal(o.json_path, "/tmp/x.json");

	assert_int_equal(parse(&o, &wl, "rebind", "--device", "00:02.0", "--device", "0000:00:04.0",
			       "-d", "500ms", "--force", NULL),
			 EXIT_OK);
	assert_int_equal(o.nr_devices, 2);
	assert_int_equal(o.duration_ns, 500000000ull);
	assert_true(o.force);

	assert_int_equal(parse(&o, &wl, "msi", "--device", "/dev/vda", "--qd", "64", "--bs", "64k",
			       "--write", NULL),
			 EXIT_OK);
	assert_int_equal(o.qd, 64);
	assert_int_equal(o.bs, 65536);
	assert_true(o.write);

	assert_int_equal(parse(&o, &wl, "vcpu", "--vcpus", "4", "-t", "20", NULL), EXIT_OK);
	assert_int_equal(o.vcpus, 4);
	assert_int_equal(o.timeout_ns, 20000000000ull);
	assert_int_equal(o.move_every, 0);
	assert_int_equal(parse(&o, &wl, "vcpu", "--move-every", "10", NULL), EXIT_OK);
	assert_int_equal(o.move_every, 10);
	assert_int_equal(parse(&o, &wl, "hvc", "--module", "/x.ko", "-n", "10", NULL), EXIT_OK);
	assert_string_equal(o.module_path, "/x.ko");
	/* reentrant: itsperf run parses several workload lines in one process */
	assert_int_equal(parse(&o, &wl, "hvc", "-n", "11", NULL), EXIT_OK);
	assert_int_equal(o.ops, 11);
}

static void test_parse_errors(void **state __unused)
{
	struct bench_opts o;
	const char *wl;

	/* every bad argument is a usage error (exit 2) */
	assert_int_equal(parse(&o, &wl, NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "nosuch", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "--ops", "1", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--ops", "0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--ops", "-5", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--ops", "12x", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--duration", "soon", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--rate", "0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--rate", "nan", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--cpus", "3-1", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--irq", "x", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--device", "00:02.0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--write", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "stray", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--ops", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--bogus", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "hvc", "--rate", "10", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "vcpu", "--vcpus", "0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "vcpu", "--vcpus", "65", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "vcpu", "--move-every", "0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "affinity", "--move-every", "5", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "msi", "--bs", "1000", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "msi", "--qd", "0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&o, &wl, "msi", "--device", "/dev/a", "--device", "/dev/b", NULL),
			 EXIT_USAGE);
}

/* ---- expected counts ---- */

static void test_rebind_expect(void **state __unused)
{
	struct its_cmd_counts c;
	uint64_t movi = 0;

	/* virtio-net, 1 queue pair: config + input + output = 3 vectors */
	rebind_expect(&c, false, 3, &movi);
	assert_int_equal(c.n[ITS_CMD_MAPD], 1);
	assert_int_equal(c.n[ITS_CMD_DISCARD], 3);
	assert_int_equal(c.n[ITS_CMD_INV], 3);
	assert_int_equal(c.n[ITS_CMD_MAPTI], 0);
	assert_int_equal(c.n[ITS_CMD_SYNC], 7);
	assert_int_equal(movi, 0);
	rebind_expect(&c, true, 3, &movi);
	assert_int_equal(c.n[ITS_CMD_MAPD], 1);
	assert_int_equal(c.n[ITS_CMD_MAPTI], 3);
	assert_int_equal(c.n[ITS_CMD_INV], 3);
	assert_int_equal(c.n[ITS_CMD_DISCARD], 0);
	assert_int_equal(c.n[ITS_CMD_SYNC], 7);
	assert_int_equal(movi, 3);
	/* derived from the vector count, not a constant */
	rebind_expect(&c, true, 17, &movi);
	assert_int_equal(c.n[ITS_CMD_MAPTI], 17);
	assert_int_equal(movi, 17);
}

/* ---- the guest program: hand encodings == binutils ---- */

static void test_guest_program(void **state __unused)
{
	static const char src[] = "movz x1, #0x0000\n"
				  "movk x1, #0x0a00, lsl #16\n"
				  "movk x1, #0x0000, lsl #32\n"
				  "movz x0, #0\n"
				  "1: str x0, [x1]\n"
				  "add x0, x0, #1\n"
				  "b 1b\n";
	char *s_path = xasprintf("%s/g.s", tmpdir);
	char *o_path = xasprintf("%s/g.o", tmpdir);
	char *b_path = xasprintf("%s/g.bin", tmpdir);
	uint32_t mine[16];
	char *cmd;
	char *bin;
	size_t len;
	int n;

	n = vcpu_guest_program(mine, 16, 0x0a000000ull);
	assert_int_equal(n, 7);
	if (system("command -v aarch64-linux-gnu-as >/dev/null 2>&1")) {
		skip(); /* binutils-aarch64-linux-gnu is a build dependency (make deps) */
		return;
	}
	assert_int_equal(write_file_str(s_path, src), 0);
	cmd = xasprintf("aarch64-linux-gnu-as -o %s %s && aarch64-linux-gnu-objcopy -O binary "
			"-j .text %s %s",
			o_path, s_path, o_path, b_path);
	assert_int_equal(system(cmd), 0);
	bin = read_file(b_path, &len);
	assert_non_null(bin);
	assert_int_equal(len, n * sizeof(uint32_t));
	assert_memory_equal(bin, mine, len); /* both little endian */
	free(bin);
	free(cmd);
	free(s_path);
	free(o_path);
	free(b_path);
}

/* ---- stop conditions and pacing ---- */

static void ctx_init(struct bench_ctx *c, struct bench_opts *o, struct bench_result *r)
{
	memset(c, 0, sizeof(*c));
	memset(r, 0, sizeof(*r));
	c->o = o;
	c->w = &bench_affinity;
	c->res = r;
	c->uncertain = json_object_new_object();
	pthread_mutex_init(&c->lock, NULL);
}

static void test_stop_conditions(void **state __unused)
{
	struct bench_result r;
	struct bench_opts o;
	struct bench_ctx c;
	uint64_t n = 0;
	uint64_t t0;

	/* --ops: exactly N handed out, an unclaimed one is handed out again */
	bench_opts_init(&o);
	o.ops = 10;
	ctx_init(&c, &o, &r);
	bench_begin(&c);
	while (bench_next_op(&c)) {
		if (++n == 3) {
			bench_op_unclaim(&c); /* a skipped item: not an operation */
			continue;
		}
		bench_op_done(&c);
	}
	bench_end(&c);
	assert_int_equal(c.done, 10);
	assert_int_equal(n, 11);
	assert_string_equal(c.stop_reason, "ops");

	/* --timeout caps a run whose --ops would never be reached */
	bench_opts_init(&o);
	o.ops = UINT64_MAX;
	o.timeout_ns = 50000000ull;
	ctx_init(&c, &o, &r);
	t0 = now_ns();
	bench_begin(&c);
	while (bench_next_op(&c))
		bench_op_done(&c);
	assert_string_equal(c.stop_reason, "timeout");
	assert_true(now_ns() - t0 < 5000000000ull);

	/* --rate: operation i is not handed out before t0 + i / rate */
	bench_opts_init(&o);
	o.ops = 6;
	o.rate = 50;
	ctx_init(&c, &o, &r);
	bench_begin(&c);
	while (bench_next_op(&c))
		bench_op_done(&c);
	assert_true(now_ns() - c.t_start >= 100000000ull); /* op 5 at 5/50 s */
	assert_int_equal(c.done, 6);

	/* a stop request (SIGINT/SIGTERM) ends the run at once */
	bench_opts_init(&o);
	o.duration_ns = 60000000000ull;
	ctx_init(&c, &o, &r);
	bench_begin(&c);
	itsperf_stop = 1;
	assert_false(bench_next_op(&c));
	itsperf_stop = 0;
	assert_string_equal(c.stop_reason, "signal");

	/* expectations add up per phase, extras apart */
	bench_expect(&c, BENCH_PHASE_RUN, ITS_CMD_MOVI, 3);
	bench_expect_extra(&c, BENCH_PHASE_RUN, ITS_CMD_MOVI, 2, "why");
	assert_int_equal(r.expected[BENCH_PHASE_RUN].n[ITS_CMD_MOVI], 3);
	assert_int_equal(r.extra[BENCH_PHASE_RUN].n[ITS_CMD_MOVI], 2);
	assert_string_equal(json_object_get_string(json_object_object_get(c.uncertain, "MOVI")),
			    "why");
	json_object_put(c.uncertain);
}

/* ---- distributions ---- */

static void test_metric(void **state __unused)
{
	struct bench_metric m;
	struct json_object *j;
	uint64_t v;

	bench_metric_init(&m, "x", "ns", NULL);
	for (v = 100; v >= 1; v--)
		bench_metric_add(&m, v);
	assert_int_equal(m.hist.count, 100);
	assert_int_equal(m.hist.min, 1);
	assert_int_equal(m.hist.max, 100);
	assert_int_equal(m.hist.buckets[0], 1);	 /* [0, 2) */
	assert_int_equal(m.hist.buckets[6], 37); /* [64, 128): 64..100 */
	j = bench_metric_json(&m);
	assert_true(json_object_get_double(json_object_object_get(j, "p50")) == 50.5);
	assert_true(json_object_get_double(json_object_object_get(j, "p90")) > 90.0);
	assert_int_equal(json_object_get_int(json_object_object_get(j, "max")), 100);
	json_object_put(j);
	bench_metric_free(&m);
}

/* ---- the journal ---- */

static void set_journal_dir(const char *sub)
{
	char *d = xasprintf("%s/%s", tmpdir, sub);

	mkdir_p(d, 0700);
	setenv("ITSPERF_JOURNAL_DIR", d, 1);
	free(d);
}

static int count_journals(void)
{
	char *cmd = xasprintf("ls %s/bench-*.journal 2>/dev/null | wc -l", journal_dir());
	FILE *p = popen(cmd, "r");
	int n = -1;

	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

static void test_journal_round_trip(void **state __unused)
{
	struct journal_restore_stats st;
	struct jfile f;
	char *path;
	char *text;

	set_journal_dir("j1");
	assert_int_equal(journal_open("affinity"), 0);
	/* nothing written before the first change */
	assert_int_equal(count_journals(), 0);
	/* irqs and a device that do not exist: restoring them is "gone", not a crash */
	assert_int_equal(journal_note_affinity(1000001, "0-1", 1), 0);
	assert_int_equal(journal_note_affinity(1000001, "3", 3), 0); /* not the original: ignored */
	assert_int_equal(journal_note_affinity(1000002, "2", 2), 0);
	assert_int_equal(journal_note_netup("0000:7f:1f.7"), 0);
	assert_int_equal(journal_note_binding("0000:7f:1f.7", "virtio-pci"), 0);
	assert_int_equal(journal_note_module("itsperf_nosuch"), 0);
	assert_int_equal(journal_note_affinity(5, "bad mask", 0), -1);
	assert_int_equal(count_journals(), 1);

	path = xasprintf("%s/bench-%d.journal", journal_dir(), (int)getpid());
	text = read_file(path, NULL);
	assert_non_null(text);
	assert_int_equal(journal_parse(path, text, &f), 0);
	assert_int_equal(f.pid, getpid());
	assert_string_equal(f.workload, "affinity");
	assert_int_equal(f.n, 5);
	assert_int_equal(f.e[0].kind, J_AFFINITY);
	assert_int_equal(f.e[0].irq, 1000001);
	assert_string_equal(f.e[0].val, "0-1");
	assert_int_equal(f.e[0].eff, 1);
	assert_int_equal(f.e[2].kind, J_NETUP);
	assert_int_equal(f.e[3].kind, J_BINDING);
	assert_string_equal(f.e[3].obj, "0000:7f:1f.7");
	assert_string_equal(f.e[3].val, "virtio-pci");
	assert_int_equal(f.e[4].kind, J_MODULE);
	jfile_free(&f);
	free(text);

	/* the missing PCI device cannot be rebound: the journal stays for `bench restore` */
	assert_int_equal(journal_restore(&st), -1);
	assert_int_equal(st.failed, 2); /* binding, netup */
	assert_int_equal(st.restored, 3);
	assert_true(path_exists(path));
	journal_close();
	assert_true(path_exists(path));
	unlink(path);
	free(path);
}

static void test_journal_parse_errors(void **state __unused)
{
	struct jfile f;

	assert_int_equal(journal_parse("x", "not a journal\n", &f), -1);
	assert_int_equal(journal_parse("x", "itsperf-bench-journal 1\nworkload a\n", &f), -1);
	assert_int_equal(journal_parse("x",
				       "itsperf-bench-journal 1\npid 12 34\nboot b\nworkload w\n"
				       "affinity 5 0-1 0\nbinding zz virtio\nfrobnicate\n"
				       "mount relative\nbinding 00:02.0 virtio-pci\n",
				       &f),
			 0);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.bad_lines, 3);
	assert_string_equal(f.e[1].obj, "0000:00:02.0");
	jfile_free(&f);
}

static int dead_pid(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void write_stale(int pid, const char *boot, const char *body)
{
	char *path = xasprintf("%s/bench-%d.journal", journal_dir(), pid);
	char *text = xasprintf("itsperf-bench-journal 1\npid %d 1\nboot %s\nworkload affinity\n%s",
			       pid, boot, body);

	assert_int_equal(write_file_str(path, text), 0);
	free(text);
	free(path);
}

static char *this_boot(void)
{
	char *b = read_file("/proc/sys/kernel/random/boot_id", NULL);

	assert_non_null(b);
	b[strcspn(b, "\n")] = '\0';
	return b;
}

static void test_journal_stale_and_restore(void **state __unused)
{
	char *argv_restore[] = { "restore", NULL };
	char *argv_forget[] = { "restore", "--forget", NULL };
	char *boot = this_boot();
	int pid = dead_pid();

	set_journal_dir("j2");
	/* a killed run on this boot: a new run must refuse */
	write_stale(pid, boot, "affinity 1000003 0-1 0\nmodule itsperf_nosuch\n");
	assert_int_equal(journal_open("affinity"), -1);
	/* bench restore undoes it (the irq is gone: nothing to write) and removes it */
	assert_int_equal(bench_restore_main(1, argv_restore), EXIT_OK);
	assert_int_equal(count_journals(), 0);
	assert_int_equal(journal_open("affinity"), 0);
	journal_close();

	/* from another boot: removed, no refusal */
	write_stale(pid, "00000000-0000-0000-0000-000000000000", "affinity 1000003 0-1 0\n");
	assert_int_equal(journal_open("affinity"), 0);
	journal_close();
	assert_int_equal(count_journals(), 0);

	/* one that cannot be undone stays until --forget */
	write_stale(pid, boot, "binding 0000:7f:1f.6 virtio-pci\n");
	assert_int_equal(bench_restore_main(1, argv_restore), EXIT_FAIL);
	assert_int_equal(count_journals(), 1);
	assert_int_equal(journal_open("affinity"), -1);
	assert_int_equal(bench_restore_main(2, argv_forget), EXIT_OK);
	assert_int_equal(count_journals(), 0);

	/* a live run's journal (this process) is left alone */
	write_stale(getpid(), boot, "affinity 1000003 0-1 0\n");
	free(boot);
}

/* ---- the device guard, on fixture trees ---- */

static char root[512];

static void mk(const char *rel)
{
	char *p = xasprintf("%s%s", root, rel);

	assert_int_equal(mkdir_p(p, 0755), 0);
	free(p);
}

static void put(const char *rel, const char *text)
{
	char *p = xasprintf("%s%s", root, rel);
	char *d = xstrdup(p);

	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(write_file_str(p, text), 0);
	free(d);
	free(p);
}

/* a relative symlink, as sysfs has them */
static void ln(const char *target, const char *rel)
{
	char *p = xasprintf("%s%s", root, rel);
	char *d = xstrdup(p);

	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(symlink(target, p), 0);
	free(d);
	free(p);
}

#define PCI "/sys/devices/pci0000:00"

static void build_fixture(void)
{
	int i;

	snprintf(root, sizeof(root), "%s/root", tmpdir);
	for (i = 1; i <= 9; i++) {
		char *dev = xasprintf(PCI "/0000:00:%02x.0", i);
		char *link = xasprintf("../../../devices/pci0000:00/0000:00:%02x.0", i);
		char *at = xasprintf("/sys/bus/pci/devices/0000:00:%02x.0", i);

		mk(dev);
		ln(link, at);
		free(dev);
		free(link);
		free(at);
	}
	/* 01.0 eth0: default route; 02.0 eth1: up, nothing configured; 09.0 eth3: static IPv6 */
	put(PCI "/0000:00:01.0/virtio0/net/eth0/flags", "0x1003\n");
	ln("../../devices/pci0000:00/0000:00:01.0/virtio0/net/eth0", "/sys/class/net/eth0");
	ln("../../../virtio0", PCI "/0000:00:01.0/virtio0/net/eth0/device");
	put(PCI "/0000:00:02.0/virtio1/net/eth1/flags", "0x1003\n");
	ln("../../devices/pci0000:00/0000:00:02.0/virtio1/net/eth1", "/sys/class/net/eth1");
	ln("../../../virtio1", PCI "/0000:00:02.0/virtio1/net/eth1/device");
	put(PCI "/0000:00:09.0/virtio8/net/eth3/flags", "0x1003\n");
	ln("../../devices/pci0000:00/0000:00:09.0/virtio8/net/eth3", "/sys/class/net/eth3");
	ln("../../../virtio8", PCI "/0000:00:09.0/virtio8/net/eth3/device");
	/* 03.0 vda, vda1 mounted on / */
	mk(PCI "/0000:00:03.0/virtio2/block/vda/vda1");
	ln("../../devices/pci0000:00/0000:00:03.0/virtio2/block/vda", "/sys/class/block/vda");
	ln("../../devices/pci0000:00/0000:00:03.0/virtio2/block/vda/vda1", "/sys/class/block/vda1");
	ln("../../devices/pci0000:00/0000:00:03.0/virtio2/block/vda/vda1", "/sys/dev/block/254:1");
	/* 04.0 virtio-9p, tag "out" mounted on /out */
	put(PCI "/0000:00:04.0/virtio3/mount_tag", "out");
	ln("../../../devices/pci0000:00/0000:00:04.0/virtio3", "/sys/bus/virtio/devices/virtio3");
	/* 05.0 vdb unused (free) */
	mk(PCI "/0000:00:05.0/virtio4/block/vdb");
	ln("../../devices/pci0000:00/0000:00:05.0/virtio4/block/vdb", "/sys/class/block/vdb");
	/* 06.0 vdc under dm-0, mounted on /data by major:minor 253:0 */
	mk(PCI "/0000:00:06.0/virtio5/block/vdc/holders");
	ln("../../devices/pci0000:00/0000:00:06.0/virtio5/block/vdc", "/sys/class/block/vdc");
	mk("/sys/devices/virtual/block/dm-0/slaves");
	ln("../../devices/virtual/block/dm-0", "/sys/class/block/dm-0");
	ln("../../devices/virtual/block/dm-0", "/sys/dev/block/253:0");
	ln("../../../../pci0000:00/0000:00:06.0/virtio5/block/vdc",
	   "/sys/devices/virtual/block/dm-0/slaves/vdc");
	/* 07.0 vdd: swap partition */
	mk(PCI "/0000:00:07.0/virtio6/block/vdd");
	ln("../../devices/pci0000:00/0000:00:07.0/virtio6/block/vdd", "/sys/class/block/vdd");
	/* 08.0 eth2 under bridge br0, which carries the IPv4 default route */
	put(PCI "/0000:00:08.0/virtio7/net/eth2/flags", "0x1003\n");
	ln("../../devices/pci0000:00/0000:00:08.0/virtio7/net/eth2", "/sys/class/net/eth2");
	ln("../../../virtio7", PCI "/0000:00:08.0/virtio7/net/eth2/device");
	put("/sys/devices/virtual/net/br0/flags", "0x1003\n");
	ln("../../devices/virtual/net/br0", "/sys/class/net/br0");
	ln("../../../pci0000:00/0000:00:08.0/virtio7/net/eth2",
	   "/sys/devices/virtual/net/br0/lower_eth2");

	put("/proc/self/mountinfo",
	    "20 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n"
	    "21 20 0:5 / /proc rw - proc proc rw\n"
	    "22 20 0:40 / /out rw,relatime - 9p out rw,trans=virtio\n"
	    "23 20 253:0 / /data rw,relatime shared:5 - xfs /dev/mapper/data rw\n");
	put("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n"
			   "/dev/vdd   partition\t1048572\t0\t-2\n"
			   "/swapfile  file\t1048572\t0\t-3\n");
	put("/proc/net/route",
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	    "br0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
	    "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
	/* eth1: a default route from router advertisements (slirp), ignored with IPv4 around */
	put("/proc/net/ipv6_route",
	    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	    "fe800000000000000000000000000002 00000400 00000001 00000000 00450003     eth1\n"
	    "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1\n");
	put("/proc/net/if_inet6", "fec0000000000000505400fffe123457 03 40 00 00     eth1\n"
				  "fe80000000000000505400fffe123457 03 40 20 80     eth1\n"
				  "20010db8000000000000000000000009 05 40 00 80     eth3\n");
}

static int guard(const char *bdf, char *why, size_t len)
{
	char dev[1024];

	assert_int_equal(guard_pci_devpath(root, bdf, dev, sizeof(dev)), 0);
	return guard_device_in_use(root, dev, why, len);
}

static void test_guard(void **state __unused)
{
	char why[1024];
	char dev[1024];

	build_fixture();
	assert_int_equal(guard("0000:00:01.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "IPv4 default route (interface eth0)"));
	assert_non_null(strstr(why, "has interface eth0 configured (IPv4 routes)"));
	/* up, SLAAC address and an RA default route only: allowed (it all comes back) */
	assert_int_equal(guard("0000:00:02.0", why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(guard("0000:00:03.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "filesystem mounted on / (ext4, /dev/vda1)"));
	assert_int_equal(guard("0000:00:04.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "filesystem mounted on /out (9p, out)"));
	assert_int_equal(guard("0000:00:05.0", why, sizeof(why)), 0);
	assert_int_equal(guard("0000:00:06.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "mounted on /data (xfs"));
	assert_int_equal(guard("0000:00:07.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "active swap /dev/vdd"));
	assert_int_equal(guard("0000:00:08.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "IPv4 default route (interface br0)"));
	assert_int_equal(guard("0000:00:09.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "IPv6 address 20010db8"));
	assert_int_equal(guard_pci_devpath(root, "0000:00:1f.0", dev, sizeof(dev)), -1);

	/* a held block device; and an IPv6-only host: the RA default route counts */
	put(PCI "/0000:00:05.0/virtio4/block/vdb/holders/md0", "");
	assert_int_equal(guard("0000:00:05.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "block device vdb held by md0"));
	put("/proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n");
	assert_int_equal(guard("0000:00:02.0", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "IPv6 default route (interface eth1, from router"));
}

/* ---- the workloads' refusal paths on this machine (no ITS, no pKVM) ---- */

static void test_workload_refusals(void **state __unused)
{
	struct json_object *sum = NULL;
	struct json_object *v;
	struct bench_opts o;

	set_journal_dir("j3");
	bench_opts_init(&o);
	o.quiet = true;
	o.ops = 5;
	/* this machine's /proc/interrupts has no ITS line: a clear failure, a summary */
	if (!system("grep -q ITS- /proc/interrupts")) {
		skip();
		return;
	}
	assert_int_equal(bench_workload_run("affinity", &o, &sum), EXIT_FAIL);
	assert_non_null(sum);
	assert_false(json_object_get_boolean(json_object_object_get(sum, "ok")));
	assert_int_equal(json_object_get_int(json_object_object_get(sum, "ops")), 0);
	v = json_object_object_get(sum, "errors");
	assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(v, 0)),
			       "no movable ITS-backed interrupt"));
	json_object_put(sum);
	assert_int_equal(count_journals(), 0);

	/* rebind needs --device; msi needs a block device */
	assert_int_equal(bench_workload_run("rebind", &o, NULL), EXIT_USAGE);
	o.devices[o.nr_devices++] = "/dev/null";
	assert_int_equal(bench_workload_run("msi", &o, NULL), EXIT_USAGE);
	o.devices[0] = "0000:7f:1f.7";
	assert_int_equal(bench_workload_run("rebind", &o, NULL), EXIT_USAGE);
	o.devices[0] = "zz";
	assert_int_equal(bench_workload_run("rebind", &o, NULL), EXIT_USAGE);
	assert_int_equal(bench_workload_run("nosuch", &o, NULL), EXIT_USAGE);
	o.nr_devices = 0;
	o.module_path = "/nonexistent/itsperf_hvc.ko";
	assert_int_equal(bench_workload_run("hvc", &o, NULL), EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_rebind_expect),
		cmocka_unit_test(test_guest_program),
		cmocka_unit_test(test_stop_conditions),
		cmocka_unit_test(test_metric),
		cmocka_unit_test(test_journal_round_trip),
		cmocka_unit_test(test_journal_parse_errors),
		cmocka_unit_test(test_journal_stale_and_restore),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_workload_refusals),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
