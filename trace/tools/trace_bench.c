// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, trace/ part on this machine: what recording one event through
 * the collector's tracefs path costs, with a tracepoint that exists
 * everywhere (syscalls:sys_enter_getpid) in a private instance made by
 * tfs_instance_create_own(), exactly like the ftrace collector's:
 *
 *   base      ns per getpid(2), nothing enabled
 *   recorded  ns per getpid(2) with the event enabled (filtered to this
 *             thread) in the instance: the kernel's cost per recorded event
 *   read      ns per record to read it back (trace_pipe_raw pages, kbuffer,
 *             libtraceevent: tfs_read_raw_pages) and check its pid
 *
 *   trace_bench N REPS      prints "base X", "recorded Y", "read Z" (medians)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <tracefs.h>

#include "lib/util.h"
#include "lib/tracefs_util.h"

struct ctx {
	int id;
	long pid;
	long n;
};

static int cb(struct tep_event *ev, struct tep_record *rec, int cpu __unused, void *data)
{
	struct ctx *c = data;
	uint64_t pid;

	if (ev && ev->id == c->id && tfs_field_u64(ev, rec, "common_pid", &pid) &&
	    (long)pid == c->pid)
		c->n++;
	return 0;
}

static double loop_ns(long n)
{
	uint64_t t0 = now_ns();
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	return (double)(now_ns() - t0) / n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static const char *const systems[] = { "syscalls", NULL };
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct ctx c = { 0 };
	char filter[64];
	double *base;
	double *rec;
	double *rd;
	long n;
	int reps;
	int r;

	if (argc != 3 || (n = atol(argv[1])) <= 0 || (reps = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: trace_bench N REPS\n");
		return 2;
	}
	if (!tfs_features()->tracefs ||
	    !tracefs_event_file_exists(NULL, "syscalls", "sys_enter_getpid", "enable")) {
		fprintf(stderr, "trace_bench: needs tracefs and syscalls:sys_enter_getpid\n");
		return 1;
	}
	install_stop_handlers();
	inst = tfs_instance_create_own("bench");
	tep = tfs_tep_for(systems);
	if (!inst || !tep)
		return 1;
	c.id = tfs_tep_ensure(tep, "syscalls", "sys_enter_getpid")->id;
	c.pid = syscall(SYS_gettid);
	snprintf(filter, sizeof(filter), "common_pid == %ld", c.pid);
	tracefs_event_file_write(inst, "syscalls", "sys_enter_getpid", "filter", filter);
	/* room for every event of one repetition: nothing may be lost */
	tracefs_instance_set_buffer_size(inst, (n * 40) / 1024 + 1024, -1);
	base = xcalloc(reps, sizeof(double));
	rec = xcalloc(reps, sizeof(double));
	rd = xcalloc(reps, sizeof(double));
	for (r = 0; r < reps && !itsperf_stop; r++) {
		uint64_t t0;

		base[r] = loop_ns(n);
		tracefs_event_enable(inst, "syscalls", "sys_enter_getpid");
		tracefs_trace_on(inst);
		rec[r] = loop_ns(n);
		tracefs_trace_off(inst);
		tracefs_event_disable(inst, "syscalls", "sys_enter_getpid");
		c.n = 0;
		t0 = now_ns();
		tfs_read_raw_pages(tep, inst, cb, &c, NULL);
		rd[r] = (double)(now_ns() - t0) / (c.n ? c.n : 1);
		if (c.n != n) {
			fprintf(stderr, "trace_bench: read back %ld of %ld events\n", c.n, n);
			return 1;
		}
	}
	printf("base %.1f\nrecorded %.1f\nread %.1f\n", median(base, reps), median(rec, reps),
	       median(rd, reps));
	tfs_instance_remove(inst);
	tep_free(tep);
	return 0;
}
