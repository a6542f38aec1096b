// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side driver for the capture tests in the emulated pKVM host, until
 * `itsperf record` calls host/counters.c and trace/tracedat.c itself.
 * Statically linked with the same objects as the aarch64 itsperf.
 *
 *   capture_driver -o DIR [-p PHASE] [-k 'EVENT SYMBOL [FETCHARGS]']...
 *                  [-e SYS:EVENT]... [-c SYS:EVENT]... -- COMMAND [ARG...]
 *	Around COMMAND: kprobe events (group itsperf_cap) and tracepoints
 *	enabled in a private tracefs instance, perf counters for PHASE on all
 *	CPUs plus a perf count of every -c tracepoint (kprobe events are
 *	tracepoints to perf). Then the capture is read, the kprobes removed,
 *	and DIR/trace.dat, DIR/counters.json, DIR/capture.json written; the
 *	counters are printed like perf stat, and kprobe events with a
 *	"builder" argument are counted per builder symbol. -m N adds N more
 *	cycle counters than asked for, to make the PMU multiplex.
 *   capture_driver --work kvm N
 *	N times: create a KVM VM and a vCPU, then destroy them (each step is
 *	a hypercall in protected mode: work at EL2 for the exclude_hv split).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <tracefs/tracefs.h>

#include "lib/ksyms.h"
#include "lib/util.h"
#include "host/counters.h"
#include "trace/tracedat.h"

#define GROUP	  "itsperf_cap"
#define INSTANCE  "itsperf_capture"
#define MAX_ITEMS 16

struct driver {
	const char *out;
	const char *phase;
	const char *kprobes[MAX_ITEMS];
	int nr_kprobes;
	const char *events[MAX_ITEMS];
	int nr_events;
	const char *counts[MAX_ITEMS];
	int nr_counts;
	int extra_cycles; /* more cycle counters than the PMU has: multiplexing */
	char **cmd;
	struct tracefs_instance *inst;
	struct ksyms *ks;
};

static int work_kvm(long n)
{
	long i;
	int kvm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		err_msg("/dev/kvm: %s", strerror(errno));
		return EXIT_FAIL;
	}
	for (i = 0; i < n && !itsperf_stop; i++) {
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);
		int vcpu;

		if (vm < 0) {
			err_msg("KVM_CREATE_VM: %s", strerror(errno));
			close(kvm);
			return EXIT_FAIL;
		}
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		if (vcpu < 0)
			warn_msg("KVM_CREATE_VCPU: %s", strerror(errno));
		else
			close(vcpu);
		close(vm);
	}
	close(kvm);
	printf("kvm: %ld VM+vCPU create/destroy cycles\n", i);
	return EXIT_OK;
}

static void remove_kprobes(void *arg __unused)
{
	struct tracefs_dynevent **all;
	int i;

	all = tracefs_dynevent_get_all(TRACEFS_DYNEVENT_KPROBE | TRACEFS_DYNEVENT_KRETPROBE, GROUP);
	for (i = 0; all && all[i]; i++)
		tracefs_dynevent_destroy(all[i], true);
	tracefs_dynevent_list_free(all);
}

static void destroy_instance(void *arg)
{
	struct driver *d = arg;

	if (!d->inst)
		return;
	tracefs_event_disable(d->inst, NULL, NULL);
	tracefs_instance_destroy(d->inst);
	tracefs_instance_free(d->inst);
	d->inst = NULL;
}

/* "EVENT SYMBOL [FETCHARGS]" -> a kprobe event GROUP/EVENT, enabled in the instance */
static int add_kprobe(struct driver *d, const char *def)
{
	char *s = xstrdup(def);
	char *event = strtok(s, " ");
	char *symbol = strtok(NULL, " ");
	char *args = strtok(NULL, "");
	int ret = -1;

	if (!event || !symbol) {
		err_msg("-k '%s': expected 'EVENT SYMBOL [FETCHARGS]'", def);
	} else if (tracefs_kprobe_raw(GROUP, event, symbol, args) < 0) {
		err_msg("kprobe %s/%s on %s: %s (absent on this kernel?)", GROUP, event, symbol,
			errno ? strerror(errno) : "no kprobe events");
	} else if (tracefs_event_enable(d->inst, GROUP, event)) {
		err_msg("cannot enable %s:%s", GROUP, event);
	} else {
		ret = 0;
	}
	free(s);
	return ret;
}

static int enable_event(struct driver *d, const char *sys_event)
{
	char *s = xstrdup(sys_event);
	char *ev = strchr(s, ':');
	int ret = -1;

	if (!ev)
		err_msg("-e '%s': expected SYS:EVENT", sys_event);
	else if (*ev++ = '\0', tracefs_event_enable(d->inst, s, ev))
		err_msg("cannot enable %s", sys_event);
	else
		ret = 0;
	free(s);
	return ret;
}

static int run_command(char **cmd)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "capture_driver: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct builder_count {
	struct driver *d;
	char names[64][64];
	uint64_t n[64];
	int nr;
	uint64_t events;
};

/* per-event walk: kprobe events carrying "builder" are counted by its symbol */
static int count_builders(struct tep_event *ev, struct tep_record *rec, int cpu __unused, void *arg)
{
	struct builder_count *bc = arg;
	unsigned long long addr;
	const struct ksym *sym;
	const char *name;
	int i;

	if (strcmp(ev->system, GROUP) || !tep_find_field(ev, "builder"))
		return 0;
	bc->events++;
	if (tep_get_field_val(NULL, ev, "builder", rec, &addr, 0))
		return 0;
	sym = bc->d->ks ? ksyms_by_addr(bc->d->ks, addr) : NULL;
	name = sym ? sym->name : "?";
	for (i = 0; i < bc->nr && strcmp(bc->names[i], name); i++)
		;
	if (i == bc->nr) {
		if (bc->nr == 64)
			return 0;
		snprintf(bc->names[bc->nr++], sizeof(bc->names[0]), "%s", name);
	}
	bc->n[i]++;
	return 0;
}

static int write_json(const char *dir, const char *file, struct json_object *o)
{
	char *path = xasprintf("%s/%s", dir, file);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int ret = write_file_atomic(path, s, strlen(s));

	if (ret)
		err_msg("writing %s: %s", path, strerror(errno));
	free(path);
	return ret;
}

static int report(struct driver *d, struct counters *cs, struct raw_capture *cap)
{
	struct builder_count bc = { .d = d };
	struct json_object *phases;
	struct json_object *one;
	char *path;
	int ret = 0;
	int i;

	d->ks = ksyms_load(NULL);
	if (raw_capture_for_each(cap, count_builders, &bc) < 0)
		ret = -1;
	for (i = 0; i < bc.nr; i++)
		printf("builder %s: %llu\n", bc.names[i], (unsigned long long)bc.n[i]);
	printf("capture: %llu events, %llu pages, %llu missed, %llu overrun\n",
	       (unsigned long long)raw_capture_get_stats(cap)->events,
	       (unsigned long long)raw_capture_get_stats(cap)->pages,
	       (unsigned long long)raw_capture_get_stats(cap)->missed_events,
	       (unsigned long long)raw_capture_get_stats(cap)->overrun);
	for (i = 0; i < d->nr_counts; i++)
		printf("perf count %s: %.0f\n", d->counts[i], counters_total(cs, d->counts[i]));

	path = xasprintf("%s/trace.dat", d->out);
	if (raw_capture_write_tracedat(cap, path))
		ret = -1;
	free(path);
	if (write_json(d->out, "capture.json", raw_capture_to_json(cap, "trace.dat")))
		ret = -1;

	one = counters_to_json(cs);
	counters_print(stdout, one, NULL);
	phases = json_object_new_object();
	json_object_object_add(phases, cs->phase, one);
	if (write_json(d->out, "counters.json", phases))
		ret = -1;
	json_object_put(phases);
	if (d->ks)
		ksyms_free(d->ks);
	return ret;
}

static int capture(struct driver *d)
{
	struct raw_capture *cap;
	struct counters cs;
	int rc;
	int i;

	/* a crashed earlier run's leftovers first */
	remove_kprobes(NULL);
	d->inst = tracefs_instance_alloc(NULL, INSTANCE);
	if (d->inst && tracefs_instance_exists(INSTANCE))
		tracefs_instance_destroy(d->inst);
	if (d->inst)
		tracefs_instance_free(d->inst);
	d->inst = tracefs_instance_create(INSTANCE);
	if (!d->inst) {
		err_msg("cannot create tracefs instance %s", INSTANCE);
		return EXIT_FAIL;
	}
	cleanup_push(destroy_instance, d, "tracefs instance " INSTANCE);
	cleanup_push(remove_kprobes, NULL, "kprobe events " GROUP);
	tracefs_trace_off(d->inst);
	for (i = 0; i < d->nr_kprobes; i++)
		if (add_kprobe(d, d->kprobes[i]))
			return EXIT_FAIL;
	for (i = 0; i < d->nr_events; i++)
		if (enable_event(d, d->events[i]))
			return EXIT_FAIL;

	if (counters_open(&cs, d->phase, NULL, 0) < 0)
		return EXIT_FAIL;
	for (i = 0; i < d->nr_counts; i++)
		counters_add_tracepoint(&cs, d->counts[i], NULL);
	for (i = 0; i < d->extra_cycles; i++) {
		char name[32];

		snprintf(name, sizeof(name), "cycles#%d", i);
		counters_add_event(&cs, name, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, false);
	}

	tracefs_instance_file_write(d->inst, "trace", "");
	tracefs_trace_on(d->inst);
	counters_start(&cs);
	rc = run_command(d->cmd);
	counters_stop(&cs);
	tracefs_trace_off(d->inst);

	cap = raw_capture_read(d->inst, NULL);
	/* formats are snapshotted: the kprobes can go before the file is written */
	remove_kprobes(NULL);
	if (!cap || report(d, &cs, cap))
		rc = rc ? rc : EXIT_FAIL;
	raw_capture_free(cap);
	counters_close(&cs);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: capture_driver -o DIR [-p PHASE] [-k 'EVENT SYMBOL ARGS'] "
			"[-e SYS:EVENT] [-c SYS:EVENT] [-m N] -- COMMAND...\n"
			"       capture_driver --work kvm N\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "phase", required_argument, NULL, 'p' },
		{ "kprobe", required_argument, NULL, 'k' },
		{ "event", required_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'c' },
		{ "multiplex", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	/* static: the cleanup stack runs at exit, after main's frame is gone */
	static struct driver d = { .phase = "workload" };
	int rc;
	int o;

	install_stop_handlers();
	if (argc == 4 && !strcmp(argv[1], "--work") && !strcmp(argv[2], "kvm"))
		return work_kvm(atol(argv[3]));
	while ((o = getopt_long(argc, argv, "o:p:k:e:c:m:", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			d.out = optarg;
			break;
		case 'p':
			d.phase = optarg;
			break;
		case 'k':
			if (d.nr_kprobes < MAX_ITEMS)
				d.kprobes[d.nr_kprobes++] = optarg;
			break;
		case 'e':
			if (d.nr_events < MAX_ITEMS)
				d.events[d.nr_events++] = optarg;
			break;
		case 'c':
			if (d.nr_counts < MAX_ITEMS)
				d.counts[d.nr_counts++] = optarg;
			break;
		case 'm':
			d.extra_cycles = atoi(optarg);
			break;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	if (!d.out || optind >= argc) {
		usage();
		return EXIT_USAGE;
	}
	d.cmd = argv + optind;
	if (mkdir_p(d.out, 0755)) {
		err_msg("%s: %s", d.out, strerror(errno));
		return EXIT_FAIL;
	}
	rc = capture(&d);
	cleanup_run_all();
	return rc;
}
