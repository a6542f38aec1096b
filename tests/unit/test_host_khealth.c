// SPDX-License-Identifier: GPL-2.0
/*
 * host/khealth: the classification of kernel log lines, and the real log
 * delta of a run on this machine (/dev/kmsg): lines written during the run
 * are saved in dmesg.txt and flagged in "health", lines from before are not.
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

#include <json-c/json.h>

#include "result/result.h"
#include "result/result_read.h"
#include "lib/util.h"
#include "host/khealth.h"

static void test_scan(void **state __unused)
{
	static const char *const lines[] = {
		"[   12.000000] ITS queue timeout (1234 1235)",
		"[   12.100000] ITS queue not draining",
		"[   13.000000] WARNING: CPU: 1 PID: 77 at drivers/irqchip/irq-gic-v3-its.c:1234 x+0x1/0x2",
		"[   14.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [sh:1]",
		"[   15.000000] rcu: INFO: rcu_sched self-detected stall on CPU",
		"[   16.000000] Unable to handle kernel NULL pointer dereference",
		"[   16.000001] Internal error: Oops: 0000000096000004 [#1] SMP",
		"[   17.000000] Failed to add event(-22)",
		"[   18.000000] virtio_net virtio0 eth0: renamed from something",
		"[   19.000000] INFO: task kworker/0:1:12 blocked for more than 120 seconds.",
	};
	struct khealth_findings f = { 0 };
	struct json_object *o;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lines); i++)
		khealth_scan_line(&f, lines[i]);
	assert_int_equal(f.its_queue_timeout, 1);
	assert_int_equal(f.its_queue_not_draining, 1);
	assert_int_equal(f.warn, 1);
	assert_int_equal(f.lockup, 1);
	assert_int_equal(f.bug, 1);
	assert_int_equal(f.rcu_stall, 1);
	assert_int_equal(f.trace_setup, 1);
	assert_int_equal(f.hung_task, 1);
	assert_int_equal(f.nr_lines, 8);
	assert_int_equal(khealth_problems(&f), 8);
	o = khealth_json(&f);
	assert_false(json_object_get_boolean(json_object_object_get(o, "ok")));
	json_object_put(o);
	khealth_findings_free(&f);
}

/* with a newline: a record without one stays open for continuation */
static void kmsg(const char *s)
{
	char *line = xasprintf("%s\n", s);

	assert_int_equal(write_file_str("/dev/kmsg", line), 0);
	free(line);
}

/* the reference kernels' cumulative EL2 counters: only the run's growth counts */
static void test_itsref_el2_stats(void **state __unused)
{
	struct khealth_findings f = { 0 };

	khealth_scan_line(&f, "[    3.100000] itsref: EL2 rejected 2 ITS commands, refused 1 "
			      "register writes, committed 5000");
	assert_true(f.el2_stats_seen);
	assert_int_equal(f.el2_rejected, 0);
	assert_int_equal(khealth_problems(&f), 0);
	khealth_scan_line(&f, "itsref: EL2 rejected 2 ITS commands, refused 1 register writes, "
			      "committed 5400");
	assert_int_equal(khealth_problems(&f), 0);
	khealth_scan_line(&f, "itsref: EL2 rejected 3 ITS commands, refused 1 register writes, "
			      "committed 5410");
	assert_int_equal(f.el2_rejected, 1);
	assert_int_equal(f.el2_refused, 0);
	assert_int_equal(khealth_problems(&f), 1);
	assert_int_equal(f.nr_lines, 1);
	khealth_findings_free(&f);
}

static void test_run_delta(void **state __unused)
{
	char tmpl[] = "/tmp/itsperf-khealth-XXXXXX";
	struct run_meta meta = { 0 };
	struct json_object *health;
	struct json_object *v;
	struct result_data *d;
	struct result_run *r;
	struct khealth *h;
	char marker[128];
	char *dir;
	char *run;
	char *dmesg;
	char *path;

	if (geteuid() != 0 || access("/dev/kmsg", W_OK)) {
		print_message("# SKIP needs root and a writable /dev/kmsg\n");
		skip();
	}
	dir = mkdtemp(tmpl);
	assert_non_null(dir);
	snprintf(marker, sizeof(marker), "itsperf-test-%d", (int)getpid());
	{
		char before[200];

		snprintf(before, sizeof(before), "%s before: ITS queue timeout (not in the run)",
			 marker);
		kmsg(before);
	}
	h = khealth_begin();
	{
		char during[200];

		snprintf(during, sizeof(during), "%s during: ITS queue timeout", marker);
		kmsg(during);
	}
	run = xasprintf("%s/run", dir);
	snprintf(meta.label, sizeof(meta.label), "test");
	snprintf(meta.kernel_release, sizeof(meta.kernel_release), "test");
	r = result_run_begin(run, &meta);
	assert_non_null(r);
	assert_int_equal(khealth_end(h, r), 1);
	khealth_free(h);
	assert_int_equal(result_run_end(r, false), 0);

	d = result_read(run, 0, NULL, 0);
	assert_non_null(d);
	assert_true(json_object_object_get_ex(d->sections, "health", &health));
	assert_true(json_object_object_get_ex(health, "its_queue_timeouts", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(health, "ok", &v));
	assert_false(json_object_get_boolean(v));
	path = xasprintf("%s/files/dmesg.txt", run);
	dmesg = read_file(path, NULL);
	assert_non_null(dmesg);
	assert_non_null(strstr(dmesg, "during: ITS queue timeout"));
	assert_null(strstr(dmesg, "before: ITS queue timeout"));
	free(dmesg);
	free(path);
	result_free(d);
	free(run);
	rm_rf(dir);
}

static void test_healthy_run(void **state __unused)
{
	struct khealth *h;

	if (geteuid() != 0 || access("/dev/kmsg", W_OK)) {
		print_message("# SKIP needs root and a writable /dev/kmsg\n");
		skip();
	}
	h = khealth_begin();
	kmsg("itsperf-test: an ordinary line");
	assert_int_equal(khealth_end(h, NULL), 0);
	khealth_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_itsref_el2_stats),
		cmocka_unit_test(test_run_delta),
		cmocka_unit_test(test_healthy_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
