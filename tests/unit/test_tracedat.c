// SPDX-License-Identifier: GPL-2.0
/*
 * trace/tracedat.c against the real tracefs of this machine: capture
 * syscalls:sys_enter_getpid of this process in a private instance, count
 * the records three ways (the capture's own counts, the per-event walk,
 * and the trace.dat read back by libtracecmd and by `trace-cmd report`),
 * all equal to the number of getpid() calls made.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include <event-parse.h>
#include <trace-cmd.h>
#include <tracefs.h>

#include "lib/util.h"
#include "trace/tracedat.h"

struct fixture {
	struct tracefs_instance *inst;
	char dir[128];
	char name[64];
};

static void getpid_n(long n)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	char *filter;

	snprintf(fx->name, sizeof(fx->name), "itsperf_test_tracedat_%d", getpid());
	fx->inst = tracefs_instance_create(fx->name);
	if (!fx->inst) {
		print_error("cannot create tracefs instance %s: %s\n", fx->name, strerror(errno));
		free(fx);
		return -1;
	}
	/* only this process's getpid calls */
	filter = xasprintf("common_pid == %d", getpid());
	if (tracefs_event_file_write(fx->inst, "syscalls", "sys_enter_getpid", "filter", filter) <
		    0 ||
	    tracefs_event_enable(fx->inst, "syscalls", "sys_enter_getpid")) {
		print_error("cannot enable syscalls:sys_enter_getpid\n");
		free(filter);
		tracefs_instance_destroy(fx->inst);
		tracefs_instance_free(fx->inst);
		free(fx);
		return -1;
	}
	free(filter);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/itsperf-test-tracedat.%d", getpid());
	mkdir_p(fx->dir, 0755);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	tracefs_event_disable(fx->inst, NULL, NULL);
	tracefs_instance_destroy(fx->inst);
	tracefs_instance_free(fx->inst);
	rm_rf(fx->dir);
	free(fx);
	return 0;
}

struct walk {
	uint64_t getpid;
	uint64_t other;
	unsigned long long last_ts;
	bool ordered;
	int pids[8];
	int nr_pids;
	bool pid_ok;
};

static bool pid_known(const struct walk *w, unsigned long long pid)
{
	int i;

	for (i = 0; i < w->nr_pids; i++)
		if ((unsigned long long)w->pids[i] == pid)
			return true;
	return false;
}

static int walk_cb(struct tep_event *ev, struct tep_record *rec, int cpu __unused, void *arg)
{
	struct walk *w = arg;
	unsigned long long pid;
	unsigned long long nr;

	if (rec->ts < w->last_ts)
		w->ordered = false;
	w->last_ts = rec->ts;
	if (strcmp(ev->system, "syscalls") || strcmp(ev->name, "sys_enter_getpid")) {
		w->other++;
		return 0;
	}
	w->getpid++;
	/* the fields parse through libtraceevent: the syscall number is getpid's */
	if (tep_get_common_field_val(NULL, ev, "common_pid", rec, &pid, 0) || !pid_known(w, pid))
		w->pid_ok = false;
	if (tep_get_field_val(NULL, ev, "__syscall_nr", rec, &nr, 0) || nr != SYS_getpid)
		w->pid_ok = false;
	return 0;
}

struct tc_count {
	uint64_t getpid;
	uint64_t all;
};

static int tracecmd_cb(struct tracecmd_input *h, struct tep_record *rec, int cpu __unused,
		       void *arg)
{
	struct tep_event *ev = tep_find_event_by_record(tracecmd_get_tep(h), rec);
	struct tc_count *n = arg;

	n->all++;
	if (ev && !strcmp(ev->system, "syscalls") && !strcmp(ev->name, "sys_enter_getpid"))
		n->getpid++;
	return 0;
}

/* the trace.dat read back by libtracecmd */
static struct tc_count tracecmd_count(const char *path)
{
	struct tc_count n = { 0 };
	struct tracecmd_input *h;

	h = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	assert_non_null(h);
	assert_int_equal(tracecmd_iterate_events(h, NULL, 0, tracecmd_cb, &n), 0);
	tracecmd_close(h);
	return n;
}

/* and by the trace-cmd tool: lines of the event, -1 if it failed */
static long report_count(const char *path, const char *what)
{
	char *cmd = xasprintf("trace-cmd report %s 2>&1", path);
	char line[4096];
	long n = 0;
	FILE *p;

	p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, what))
			n++;
	if (pclose(p) != 0)
		return -1;
	return n;
}

static struct raw_capture *capture_getpid(struct fixture *fx, struct tep_handle *tep, long n)
{
	struct raw_capture *c;

	assert_int_equal(tracefs_instance_file_write(fx->inst, "trace", ""), 0);
	assert_int_equal(tracefs_trace_on(fx->inst), 0);
	getpid_n(n);
	assert_int_equal(tracefs_trace_off(fx->inst), 0);
	c = raw_capture_read(fx->inst, tep);
	assert_non_null(c);
	return c;
}

static void check_roundtrip(struct fixture *fx, struct tep_handle *tep, long n)
{
	struct walk w = { .ordered = true, .pid_ok = true };
	const struct raw_capture_stats *st;
	struct raw_capture *c;
	struct tc_count tc;
	char *path;

	c = capture_getpid(fx, tep, n);
	st = raw_capture_get_stats(c);
	assert_int_equal(raw_capture_count(c, "syscalls", "sys_enter_getpid"), n);
	assert_int_equal(st->missed_events, 0);
	assert_true(st->pages >= 1);

	w.pids[w.nr_pids++] = getpid();
	assert_int_equal(raw_capture_for_each(c, walk_cb, &w), n);
	assert_int_equal(w.getpid, n);
	assert_int_equal(w.other, 0);
	assert_true(w.ordered);
	assert_true(w.pid_ok);

	path = xasprintf("%s/getpid.dat", fx->dir);
	assert_int_equal(raw_capture_write_tracedat(c, path), 0);
	raw_capture_free(c);

	tc = tracecmd_count(path);
	assert_int_equal(tc.getpid, n);
	assert_int_equal(tc.all, n);
	assert_int_equal(report_count(path, "sys_enter_getpid"), n);
	free(path);
}

/* the capture parses with its own snapshot of the formats */
static void test_roundtrip_own_tep(void **state)
{
	check_roundtrip(*state, NULL, 1000);
}

/* the collector's tep (only the systems it loaded) */
static void test_roundtrip_caller_tep(void **state)
{
	const char *systems[] = { "syscalls", NULL };
	struct tep_handle *tep;

	tep = tracefs_local_events_system(NULL, systems);
	assert_non_null(tep);
	check_roundtrip(*state, tep, 777);
	tep_free(tep);
}

/* many pages: records across page boundaries, the file's page alignment */
static void test_roundtrip_many_pages(void **state)
{
	check_roundtrip(*state, NULL, 50000);
}

#define NR_THREADS 4
#define PER_THREAD 3000

struct thread_arg {
	pthread_barrier_t *start;
	long cpu;
	int tid;
};

static void *pinned_getpid(void *arg)
{
	struct thread_arg *ta = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(ta->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	ta->tid = gettid();
	pthread_barrier_wait(ta->start); /* tids known */
	pthread_barrier_wait(ta->start); /* filter set, tracing on */
	getpid_n(PER_THREAD);
	return NULL;
}

/* records on every CPU come back merged in time order */
static void test_all_cpus(void **state)
{
	struct walk w = { .ordered = true, .pid_ok = true };
	struct thread_arg ta[NR_THREADS];
	struct fixture *fx = *state;
	pthread_t th[NR_THREADS];
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_barrier_t start;
	struct raw_capture *c;
	char filter[256] = "";
	char *path;
	long i;

	pthread_barrier_init(&start, NULL, NR_THREADS + 1);
	for (i = 0; i < NR_THREADS; i++) {
		ta[i].start = &start;
		ta[i].cpu = i % ncpu;
		assert_int_equal(pthread_create(&th[i], NULL, pinned_getpid, &ta[i]), 0);
	}
	pthread_barrier_wait(&start);
	for (i = 0; i < NR_THREADS; i++) {
		snprintf(filter + strlen(filter), sizeof(filter) - strlen(filter),
			 "%scommon_pid == %d", i ? " || " : "", ta[i].tid);
		w.pids[w.nr_pids++] = ta[i].tid;
	}
	assert_true(tracefs_event_file_write(fx->inst, "syscalls", "sys_enter_getpid", "filter",
					     filter) > 0);
	assert_int_equal(tracefs_instance_file_write(fx->inst, "trace", ""), 0);
	assert_int_equal(tracefs_trace_on(fx->inst), 0);
	pthread_barrier_wait(&start);
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(tracefs_trace_off(fx->inst), 0);
	pthread_barrier_destroy(&start);
	c = raw_capture_read(fx->inst, NULL);
	assert_non_null(c);
	assert_int_equal(raw_capture_count(c, "syscalls", NULL), NR_THREADS * PER_THREAD);

	assert_int_equal(raw_capture_for_each(c, walk_cb, &w), NR_THREADS * PER_THREAD);
	assert_true(w.ordered);
	assert_true(w.pid_ok);

	path = xasprintf("%s/cpus.dat", fx->dir);
	assert_int_equal(raw_capture_write_tracedat(c, path), 0);
	raw_capture_free(c);
	assert_int_equal(tracecmd_count(path).getpid, NR_THREADS * PER_THREAD);
	assert_int_equal(report_count(path, "sys_enter_getpid"), NR_THREADS * PER_THREAD);
	free(path);
}

/* an empty capture is still a valid file */
static void test_empty(void **state)
{
	struct fixture *fx = *state;
	struct raw_capture *c;
	char *path;

	c = capture_getpid(fx, NULL, 0);
	assert_int_equal(raw_capture_get_stats(c)->events, 0);
	path = xasprintf("%s/empty.dat", fx->dir);
	assert_int_equal(raw_capture_write_tracedat(c, path), 0);
	raw_capture_free(c);
	assert_int_equal(tracecmd_count(path).all, 0);
	assert_int_equal(report_count(path, "sys_enter_getpid"), 0);
	free(path);
}

/* a full ring buffer overwrote events: the loss is reported, the file still reads */
static void test_overrun_reported(void **state)
{
	struct fixture *fx = *state;
	const struct raw_capture_stats *st;
	struct raw_capture *c;
	cpu_set_t set;
	cpu_set_t old;
	char *path;
	long n;

	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	assert_int_equal(tracefs_instance_file_write(fx->inst, "buffer_size_kb", "16"), 2);
	c = capture_getpid(fx, NULL, 100000);
	sched_setaffinity(0, sizeof(old), &old);
	st = raw_capture_get_stats(c);
	n = raw_capture_count(c, "syscalls", "sys_enter_getpid");
	print_message("kept %ld, overrun %llu, missed %llu\n", n, (unsigned long long)st->overrun,
		      (unsigned long long)st->missed_events);
	assert_true(n > 0 && n < 100000);
	assert_true(st->overrun > 0);
	assert_true(st->overrun + n == 100000);

	path = xasprintf("%s/overrun.dat", fx->dir);
	assert_int_equal(raw_capture_write_tracedat(c, path), 0);
	raw_capture_free(c);
	assert_int_equal(tracecmd_count(path).getpid, n);
	free(path);
	tracefs_instance_file_write(fx->inst, "buffer_size_kb", "1408");
}

/* a path that cannot be written: an error, not a crash, nothing left behind */
static void test_write_error(void **state)
{
	struct fixture *fx = *state;
	struct raw_capture *c;
	struct dirent *d;
	char *path;
	DIR *dir;
	int files = 0;

	c = capture_getpid(fx, NULL, 10);
	assert_int_equal(raw_capture_write_tracedat(c, "/nonexistent-dir/x.dat"), -1);
	assert_int_equal(errno, ENOENT);
	/* the file is complete but cannot replace a directory: its temporary goes */
	path = xasprintf("%s/isdir.dat", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(raw_capture_write_tracedat(c, path), -1);
	assert_int_equal(errno, EISDIR);
	raw_capture_free(c);
	dir = opendir(fx->dir);
	assert_non_null(dir);
	while ((d = readdir(dir)))
		files += d->d_name[0] != '.';
	closedir(dir);
	assert_int_equal(files, 1);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_own_tep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_caller_tep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_many_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrun_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
