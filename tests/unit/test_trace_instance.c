// SPDX-License-Identifier: GPL-2.0
/*
 * lib/tracefs_util: the private-instance code against the real tracefs of
 * the machine running the tests, with tracepoints that exist everywhere
 * (syscalls:sys_enter_getpid). Needs root and tracefs; each test skips with
 * the reason when the machine does not offer what it needs.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <tracefs.h>

#include "lib/util.h"
#include "lib/tracefs_util.h"

static bool can_trace(void)
{
	const struct tfs_features *f = tfs_features();

	return geteuid() == 0 && f->tracefs && f->instances &&
	       tracefs_event_file_exists(NULL, "syscalls", "sys_enter_getpid", "enable");
}

#define NEED_TRACING()                                                            \
	do {                                                                      \
		if (!can_trace()) {                                               \
			print_message("# SKIP needs root, tracefs instances and " \
				      "syscalls:sys_enter_getpid\n");             \
			skip();                                                   \
		}                                                                 \
	} while (0)

struct count_ctx {
	int id;
	pid_t pid;
	long n;
	long other;
};

static int count_cb(struct tep_event *ev, struct tep_record *rec, int cpu __unused, void *data)
{
	struct count_ctx *c = data;
	uint64_t pid;

	if (ev->id != c->id)
		return 0;
	if (tfs_field_u64(ev, rec, "common_pid", &pid) && (pid_t)pid == c->pid)
		c->n++;
	else
		c->other++;
	return 0;
}

static const char *const sys_syscalls[] = { "syscalls", NULL };

/* enable sys_enter_getpid for this thread only in inst */
static void enable_getpid(struct tracefs_instance *inst, pid_t pid)
{
	char filter[64];

	snprintf(filter, sizeof(filter), "common_pid == %d", (int)pid);
	assert_int_equal(
		tracefs_event_file_write(inst, "syscalls", "sys_enter_getpid", "filter", filter),
		(int)strlen(filter));
	assert_int_equal(tracefs_event_enable(inst, "syscalls", "sys_enter_getpid"), 0);
}

static void test_instance_raw_events(void **state __unused)
{
	struct count_ctx c = { 0 };
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct tep_event *ev;
	const long n = 1000;
	char *name;
	long i;

	NEED_TRACING();
	inst = tfs_instance_create_own("raw");
	assert_non_null(inst);
	name = tfs_instance_name(getpid(), "raw");
	assert_string_equal(tracefs_instance_get_name(inst), name);
	assert_true(tracefs_instance_exists(name));
	tep = tfs_tep_for(sys_syscalls);
	assert_non_null(tep);
	ev = tep_find_event_by_name(tep, "syscalls", "sys_enter_getpid");
	assert_non_null(ev);
	c.id = ev->id;
	c.pid = (pid_t)syscall(SYS_gettid);
	enable_getpid(inst, c.pid);
	tracefs_trace_on(inst);
	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	tracefs_trace_off(inst);
	assert_int_equal(tfs_read_raw(tep, inst, count_cb, &c), 0);
	/* exactly the calls made, none lost, nobody else's */
	assert_int_equal(c.n, n);
	assert_int_equal(c.other, 0);
	/* a second read finds the buffer consumed */
	c.n = 0;
	tfs_read_raw(tep, inst, count_cb, &c);
	assert_int_equal(c.n, 0);
	/* the top-level buffer saw nothing of it */
	tfs_instance_remove(inst);
	assert_false(tracefs_instance_exists(name));
	free(name);
	tep_free(tep);
}

/*
 * Both readers against the kernel's own count, over many pages: the page
 * reader (tfs_read_raw_pages) is what boot-collect and the collector use.
 */
static void check_reader(bool pages, long n)
{
	struct count_ctx c = { 0 };
	struct tfs_buffer_stats st;
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	uint64_t all = 0;
	long i;

	inst = tfs_instance_create_own(pages ? "pages" : "iter");
	assert_non_null(inst);
	tep = tfs_tep_for(sys_syscalls);
	assert_non_null(tep);
	c.id = tep_find_event_by_name(tep, "syscalls", "sys_enter_getpid")->id;
	c.pid = (pid_t)syscall(SYS_gettid);
	tracefs_instance_set_buffer_size(inst, 4096, -1);
	enable_getpid(inst, c.pid);
	tracefs_trace_on(inst);
	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	tracefs_trace_off(inst);
	assert_int_equal(tfs_buffer_stats(inst, &st), 0);
	assert_int_equal(st.entries, n);
	if (pages) {
		assert_int_equal(tfs_read_raw_pages(tep, inst, count_cb, &c, &all), 0);
		assert_int_equal(all, n);
	} else {
		assert_int_equal(tfs_read_raw(tep, inst, count_cb, &c), 0);
	}
	assert_int_equal(c.n, n);
	tfs_instance_remove(inst);
	tep_free(tep);
}

static void test_page_reader(void **state __unused)
{
	NEED_TRACING();
	check_reader(true, 1000);
	check_reader(true, 50000);
}

static void test_iter_reader_many_pages(void **state __unused)
{
	NEED_TRACING();
	check_reader(false, 50000);
}

static void test_buffer_stats(void **state __unused)
{
	struct tfs_buffer_stats st;
	struct tracefs_instance *inst;
	pid_t tid;
	int i;

	NEED_TRACING();
	inst = tfs_instance_create_own("stats");
	assert_non_null(inst);
	tid = (pid_t)syscall(SYS_gettid);
	enable_getpid(inst, tid);
	tracefs_trace_on(inst);
	for (i = 0; i < 100; i++)
		syscall(SYS_getpid);
	tracefs_trace_off(inst);
	assert_int_equal(tfs_buffer_stats(inst, &st), 0);
	assert_true(st.nr_cpus >= 1);
	assert_int_equal(st.entries, 100);
	assert_int_equal(st.overrun, 0);
	assert_int_equal(st.dropped, 0);
	tfs_instance_remove(inst);
}

/*
 * A record process (the same code path as a collector: own instance, cleanup
 * stack, stop handlers) is sent SIGTERM: its instance must be gone when it
 * has exited.
 */
static void test_sigterm_cleanup(void **state __unused)
{
	int pipefd[2];
	char *name;
	pid_t child;
	char c;
	int status;

	NEED_TRACING();
	assert_int_equal(pipe(pipefd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct tracefs_instance *inst;

		close(pipefd[0]);
		install_stop_handlers();
		inst = tfs_instance_create_own(NULL);
		if (!inst)
			_exit(3);
		enable_getpid(inst, getpid());
		tracefs_trace_on(inst);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(4);
		while (!itsperf_stop)
			sleep_interruptible_ns(1000000000ull);
		exit(0); /* atexit: the cleanup stack */
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	name = tfs_instance_name(child, NULL);
	assert_true(tracefs_instance_exists(name));
	assert_int_equal(kill(child, SIGTERM), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(tracefs_instance_exists(name));
	free(name);
}

static pid_t dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

static bool dynevent_listed(const char *needle)
{
	char *text = tracefs_instance_file_read(NULL, "dynamic_events", NULL);
	bool found = text && strstr(text, needle);

	free(text);
	return found;
}

/*
 * A crashed run (SIGKILL: no cleanup) left an instance with an enabled,
 * filtered event and a trigger, and a dynamic event in group "itsperf"
 * (a uprobe here: x86 CI has no kprobes). The next run removes them and
 * leaves a live run's instance alone.
 */
static void test_leftover_cleanup(void **state __unused)
{
	struct tracefs_instance *fake;
	struct tracefs_instance *live;
	struct tfs_leftovers lo;
	char *fake_name;
	char *live_name;
	char uprobe[256];
	char evname[64];
	bool have_uprobe;
	pid_t dead;

	NEED_TRACING();
	dead = dead_pid();
	fake_name = tfs_instance_name(dead, NULL);
	fake = tracefs_instance_create(fake_name);
	assert_non_null(fake);
	enable_getpid(fake, dead);
	assert_true(tracefs_event_file_append(fake, "syscalls", "sys_enter_getpid", "trigger",
					      "traceoff") >= 0);
	tracefs_trace_on(fake);
	live = tfs_instance_create_own("live");
	assert_non_null(live);
	live_name = tfs_instance_name(getpid(), "live");
	snprintf(evname, sizeof(evname), "fake_%d", (int)dead);
	snprintf(uprobe, sizeof(uprobe), "p:%s/%s /bin/true:0x1000", ITSPERF_EVENT_GROUP, evname);
	have_uprobe = tracefs_instance_file_append(NULL, "dynamic_events", uprobe) >= 0;
	if (have_uprobe)
		assert_true(dynevent_listed(evname));

	assert_int_equal(tfs_cleanup_leftovers(&lo), 0);
	assert_true(lo.runs >= 1);
	assert_true(lo.instances >= 1);
	assert_false(tracefs_instance_exists(fake_name));
	assert_true(tracefs_instance_exists(live_name));
	if (have_uprobe) {
		assert_true(lo.dynevents >= 1);
		assert_false(dynevent_listed(evname));
	} else {
		print_message("# no uprobe events: dynamic-event leftovers not exercised\n");
	}
	tfs_instance_remove(live);
	assert_false(tracefs_instance_exists(live_name));
	tracefs_instance_free(fake);
	free(fake_name);
	free(live_name);
}

static void test_names(void **state __unused)
{
	char *n = tfs_instance_name(1234, NULL);

	assert_string_equal(n, "itsperf-1234");
	assert_int_equal(tfs_instance_pid(n), 1234);
	free(n);
	n = tfs_instance_name(77, "boot");
	assert_string_equal(n, "itsperf-77-boot");
	assert_int_equal(tfs_instance_pid(n), 77);
	free(n);
	assert_int_equal(tfs_instance_pid("itsperf-"), -1);
	assert_int_equal(tfs_instance_pid("itsperf-12x"), -1);
	assert_int_equal(tfs_instance_pid("foo-12"), -1);
	assert_int_equal(tfs_event_pid("cmd_send_ret_4321"), 4321);
	assert_int_equal(tfs_event_pid("itsperf_cmd_lat_99"), 99);
	assert_int_equal(tfs_event_pid("cmd_send"), -1);
}

/* kprobe-less kernels (x86 CI): a clear reason, not a libtracefs errno 0 */
static void test_kprobe_missing(void **state __unused)
{
	char err[256];
	int ret;

	if (tfs_features()->kprobe_events) {
		print_message("# SKIP this kernel has kprobe events\n");
		skip();
	}
	ret = tfs_kprobe_create(ITSPERF_EVENT_GROUP, "x_1", "its_send_single_command",
				"builder=%x1:x64", false, err, sizeof(err));
	assert_int_equal(ret, -1);
	assert_string_equal(err, "no kprobe events on this kernel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_instance_raw_events),
		cmocka_unit_test(test_buffer_stats),
		cmocka_unit_test(test_page_reader),
		cmocka_unit_test(test_iter_reader_many_pages),
		cmocka_unit_test(test_sigterm_cleanup),
		cmocka_unit_test(test_leftover_cleanup),
		cmocka_unit_test(test_kprobe_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
