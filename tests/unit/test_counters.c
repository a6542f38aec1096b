// SPDX-License-Identifier: GPL-2.0
/*
 * host/counters.c on this machine's real perf_event_open, checked against
 * the workload's own counts and against the perf tool:
 *   - a tracepoint count (syscalls:sys_enter_getpid, filtered on the
 *     workload's pid) equals the N getpid calls, and `perf stat -x, -e
 *     syscalls:sys_enter_getpid` over the same workload says N too;
 *   - software counters are at least what the workload provably caused
 *     (explicit sleeps, CPU moves, fresh pages): lower bounds, not timing;
 *   - hardware counters are "not supported" exactly when perf says so.
 * The test binary is its own workload: `test_counters --work KIND N`.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "lib/util.h"
#include "host/counters.h"

static char self[4096];

/* ---- the workload (runs in a child, or under perf stat) ---- */

static int work(const char *kind, long n)
{
	long i;

	if (!strcmp(kind, "getpid")) {
		for (i = 0; i < n; i++)
			syscall(SYS_getpid);
	} else if (!strcmp(kind, "sleep")) {
		struct timespec ts = { 0, 1000000 };

		/* each sleep blocks: one voluntary context switch at least */
		for (i = 0; i < n; i++)
			nanosleep(&ts, NULL);
	} else if (!strcmp(kind, "migrate")) {
		int ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cpu_set_t set;

		/* each move to the other CPU is a migration */
		for (i = 0; i < n; i++) {
			CPU_ZERO(&set);
			CPU_SET(i % ncpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				return 1;
		}
	} else if (!strcmp(kind, "touch")) {
		long page = sysconf(_SC_PAGESIZE);
		char *p = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		/* each first write to a fresh anonymous page faults */
		if (p == MAP_FAILED)
			return 1;
		for (i = 0; i < n; i++)
			p[i * page] = 1;
		munmap(p, n * page);
	} else {
		return 2;
	}
	return 0;
}

/* fork the workload stopped on a pipe: counters can be set up for its pid first */
struct child {
	pid_t pid;
	int go;
};

static struct child spawn(const char *kind, long n)
{
	struct child c;
	int fds[2];
	char b;

	assert_int_equal(pipe(fds), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (!c.pid) {
		close(fds[1]);
		if (read(fds[0], &b, 1) != 1)
			_exit(3);
		_exit(work(kind, n));
	}
	close(fds[0]);
	c.go = fds[1];
	return c;
}

static void run_child(struct child *c)
{
	int status;

	assert_int_equal(write(c->go, "g", 1), 1);
	close(c->go);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* perf stat -x, over `self --work kind n`: the first CSV field of event's line */
static long perf_stat(const char *event, const char *kind, long n, char *raw, size_t rawlen)
{
	char *cmd = xasprintf("perf stat -x, -e %s -- %s --work %s %ld 2>&1 >/dev/null", event,
			      self, kind, n);
	char line[1024];
	long v = -1;
	FILE *p;

	p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	raw[0] = '\0';
	while (fgets(line, sizeof(line), p)) {
		char *field2 = strchr(line, ',');

		if (!strstr(line, event) || !field2)
			continue;
		snprintf(raw, rawlen, "%s", line);
		if (isdigit((unsigned char)line[0]))
			v = strtol(line, NULL, 10);
	}
	pclose(p);
	return v;
}

static bool have_perf(void)
{
	return !system("perf --version >/dev/null 2>&1");
}

/* ---- tests ---- */

/* itsperf's tracepoint count == the workload's N == perf stat's count */
static void test_tracepoint_vs_perf(void **state __unused)
{
	const long n = 12345;
	struct counters cs;
	struct child c;
	char *filter;
	char raw[1024];

	assert_true(counters_open(&cs, "getpid", NULL, 0) >= 0);
	c = spawn("getpid", n);
	filter = xasprintf("common_pid == %d", c.pid);
	assert_int_equal(counters_add_tracepoint(&cs, "syscalls:sys_enter_getpid", filter), 0);
	free(filter);
	counters_start(&cs);
	run_child(&c);
	assert_int_equal(counters_stop(&cs), 0);
	assert_true(counters_total(&cs, "syscalls:sys_enter_getpid") == n);
	counters_close(&cs);

	if (!have_perf()) {
		skip();
		return;
	}
	assert_int_equal(perf_stat("syscalls:sys_enter_getpid", "getpid", n, raw, sizeof(raw)), n);
}

/* an unknown tracepoint or a bad filter: reported, the rest still counts */
static void test_tracepoint_errors(void **state __unused)
{
	const struct counter *c;
	struct counters cs;

	assert_true(counters_open(&cs, "errors", NULL, 0) >= 0);
	assert_int_equal(counters_add_tracepoint(&cs, "nosuch:event", NULL), -1);
	c = counters_find(&cs, "nosuch:event");
	assert_non_null(c);
	assert_int_equal(c->status, COUNTER_NOT_SUPPORTED);
	assert_int_equal(counters_add_tracepoint(&cs, "syscalls:sys_enter_getpid", "no_field == 1"),
			 -1);
	assert_int_equal(counters_find(&cs, "syscalls:sys_enter_getpid")->status, COUNTER_FAILED);
	assert_int_equal(counters_add_tracepoint(&cs, "missing-colon", NULL), -1);
	counters_start(&cs);
	work("getpid", 10);
	counters_stop(&cs);
	assert_true(counters_total(&cs, "cpu-clock") > 0);
	assert_true(counters_total(&cs, "nosuch:event") < 0);
	counters_close(&cs);
}

static double phase_total(const char *kind, long n, const char *counter, struct counters *keep)
{
	struct counters cs;
	struct child c;
	double v;

	assert_true(counters_open(&cs, kind, NULL, 0) >= 4);
	c = spawn(kind, n);
	counters_start(&cs);
	run_child(&c);
	counters_stop(&cs);
	v = counters_total(&cs, counter);
	if (keep)
		*keep = cs;
	else
		counters_close(&cs);
	return v;
}

/* software counters: at least what the workload caused, and perf agrees on that bound */
static void test_software_lower_bounds(void **state __unused)
{
	char raw[1024];

	assert_true(phase_total("sleep", 50, "context-switches", NULL) >= 50);
	assert_true(phase_total("touch", 2000, "page-faults", NULL) >= 2000);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2)
		assert_true(phase_total("migrate", 40, "cpu-migrations", NULL) >= 39);
	if (!have_perf())
		return;
	assert_true(perf_stat("context-switches", "sleep", 50, raw, sizeof(raw)) >= 50);
	assert_true(perf_stat("page-faults", "touch", 2000, raw, sizeof(raw)) >= 2000);
}

/* per CPU and total: cpu-clock counts every CPU of the mask for the whole phase */
static void test_per_cpu_and_mask(void **state __unused)
{
	const struct counter *clk;
	struct counters cs;
	uint64_t mask[1] = { 1 }; /* CPU0 only */
	double dur;
	int i;

	phase_total("sleep", 20, "cpu-clock", &cs);
	clk = counters_find(&cs, "cpu-clock");
	assert_int_equal(clk->status, COUNTER_OK);
	assert_int_equal(cs.nr_cpus, sysconf(_SC_NPROCESSORS_ONLN));
	dur = cs.duration_ns;
	for (i = 0; i < cs.nr_cpus; i++) {
		assert_true(clk->per_cpu[i].value > 0.5 * dur);
		assert_true(clk->per_cpu[i].value <= 1.01 * dur);
		assert_true(clk->per_cpu[i].enabled == clk->per_cpu[i].running);
	}
	assert_false(clk->scaled);
	counters_close(&cs);

	assert_true(counters_open(&cs, "cpu0", mask, 64) >= 1);
	assert_int_equal(cs.nr_cpus, 1);
	assert_int_equal(cs.cpus[0], 0);
	counters_close(&cs);
	assert_int_equal(counters_open(&cs, "", NULL, 0), -1);
}

/* cycles/instructions: "not supported" exactly when perf says so; nothing else breaks */
static void test_hardware_like_perf(void **state __unused)
{
	struct json_object *j;
	struct json_object *ev;
	struct counters cs;
	char raw[1024];
	bool perf_unsupported;
	char *text;
	size_t len;
	FILE *f;

	phase_total("getpid", 1000, "cycles", &cs);
	if (!have_perf()) {
		counters_close(&cs);
		skip();
		return;
	}
	perf_stat("cycles", "getpid", 10, raw, sizeof(raw));
	perf_unsupported = strstr(raw, "<not supported>") != NULL;
	if (perf_unsupported) {
		assert_int_equal(counters_find(&cs, "cycles")->status, COUNTER_NOT_SUPPORTED);
		assert_int_equal(counters_find(&cs, "instructions")->status, COUNTER_NOT_SUPPORTED);
		assert_false(cs.el2_split);
		assert_non_null(strstr(cs.el2_note, "not available"));
	} else {
		assert_true(counters_total(&cs, "cycles") > 0);
	}
	assert_true(counters_total(&cs, "cpu-clock") > 0);

	j = counters_to_json(&cs);
	assert_true(json_object_object_get_ex(j, "events", &ev));
	assert_true(json_object_object_get_ex(ev, "cycles", &ev));
	if (perf_unsupported)
		assert_string_equal(json_object_get_string(json_object_object_get(ev, "status")),
				    "not supported");
	text = NULL;
	f = open_memstream(&text, &len);
	assert_int_equal(counters_print(f, j, NULL), 0);
	fclose(f);
	fputs(text, stderr);
	assert_non_null(strstr(text, "cpu-clock"));
	assert_non_null(strstr(text, "context-switches"));
	if (perf_unsupported)
		assert_non_null(strstr(text, "<not supported>      cycles"));
	free(text);
	json_object_put(j);
	counters_close(&cs);
}

/* the JSON round trip feeds the printer; variance across runs as perf stat -r */
static void test_print_across_runs(void **state __unused)
{
	struct json_object *runs = json_object_new_array();
	static const double cs_vals[] = { 100, 110, 90 };
	struct counters cs;
	char *text = NULL;
	size_t len;
	FILE *f;
	int i;

	for (i = 0; i < 3; i++) {
		struct json_object *j;
		struct json_object *ev;

		phase_total("sleep", 2, "cpu-clock", &cs);
		j = counters_to_json(&cs);
		counters_close(&cs);
		/* known values: mean 100, sample sd 10, sd of the mean 5.77 -> 5.77% */
		ev = json_object_object_get(json_object_object_get(j, "events"),
					    "context-switches");
		json_object_object_add(ev, "total", json_object_new_double(cs_vals[i]));
		json_object_array_add(runs, j);
	}
	f = open_memstream(&text, &len);
	assert_int_equal(counters_print(f, json_object_array_get_idx(runs, 0), runs), 0);
	fclose(f);
	fputs(text, stderr);
	assert_non_null(strstr(text, "3 runs"));
	assert_non_null(strstr(text, "100      context-switches"));
	assert_non_null(strstr(text, "( +-  5.77% )"));
	free(text);
	/* not a counters object */
	assert_int_equal(counters_print(stderr, runs, NULL), -1);

	/* the same through whole sections, as itsperf report calls it */
	{
		struct json_object *sec[3];

		for (i = 0; i < 3; i++) {
			sec[i] = json_object_new_object();
			json_object_object_add(sec[i], "sleep",
					       json_object_get(json_object_array_get_idx(runs, i)));
		}
		text = NULL;
		f = open_memstream(&text, &len);
		assert_int_equal(counters_print_section(f, sec[0], sec, 3), 1);
		fclose(f);
		assert_non_null(strstr(text, "( +-  5.77% )"));
		free(text);
		assert_int_equal(counters_print_section(stderr, runs, NULL, 0), -1);
		for (i = 0; i < 3; i++)
			json_object_put(sec[i]);
	}
	json_object_put(runs);
}

static void test_scaling(void **state __unused)
{
	assert_true(counter_scale(1000, 100, 100) == 1000);
	assert_true(counter_scale(1000, 100, 50) == 2000);
	assert_true(counter_scale(1000, 100, 0) == 0);
	assert_true(counter_scale(3, 300, 100) == 9);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tracepoint_vs_perf),
		cmocka_unit_test(test_tracepoint_errors),
		cmocka_unit_test(test_software_lower_bounds),
		cmocka_unit_test(test_per_cpu_and_mask),
		cmocka_unit_test(test_hardware_like_perf),
		cmocka_unit_test(test_print_across_runs),
		cmocka_unit_test(test_scaling),
	};

	if (argc == 4 && !strcmp(argv[1], "--work"))
		return work(argv[2], atol(argv[3]));
	if (!realpath("/proc/self/exe", self))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
