// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf run: the per-revision regression check on one pKVM host.
 *
 *   itsperf run --label REV [--suite quick|full] [--runs N] [--rate R,...] -o DIR
 *
 * Checks the environment, resolves probes and says what will be measured,
 * then for every run (and every offered rate) starts the collectors, runs
 * the suite's workloads, stops the collectors and writes one result folder
 * (<DIR>/<label>/run-<N>[-rate-<R>]). The workloads' own command counts,
 * the BPF and the ftrace counts of the same run are cross-checked at the
 * end. Ctrl-C stops cleanly: the workloads restore the host, the
 * collectors detach, and the run is kept, marked partial.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-c/json.h>

#include "result/crosscheck.h"
#include "result/result.h"
#include "bench/bench.h"
#include "lib/collector.h"
#include "commands/calibrate.h"
#include "commands/commands.h"
#include "commands/session.h"
#include "lib/probes.h"
#include "lib/util.h"
#include "commands/run_sweep.h"
#include "host/counters.h"

#define MAX_RATES 16

/* one workload of a suite, with the options it runs with */
struct suite_phase {
	const char *workload;
	uint64_t ops;
	uint64_t duration_ms;
	bool paced;	     /* takes --rate */
	bool needs_device;   /* rebind: --device, else skipped */
	bool needs_blockdev; /* msi: --blockdev, else skipped */
};

static const struct suite_phase quick_suite[] = {
	{ "affinity", .ops = 200, .paced = true },
	{ "rebind", .ops = 3, .needs_device = true },
	{ "vcpu", .ops = 300 },
	{ "hvc", .ops = 2000 },
	{ "msi", .duration_ms = 2000, .needs_blockdev = true },
};

static const struct suite_phase full_suite[] = {
	{ "affinity", .ops = 2000, .paced = true },
	{ "rebind", .ops = 20, .needs_device = true },
	{ "vcpu", .ops = 5000 },
	{ "hvc", .ops = 100000 },
	{ "msi", .duration_ms = 10000, .needs_blockdev = true },
};

struct run_opts {
	const char *label;
	const char *suite_name;
	const struct suite_phase *suite;
	int nr_phases;
	int runs;
	double rates[MAX_RATES];
	int nr_rates;
	const char *out;
	const char *collectors; /* -e list */
	const char *devices[BENCH_MAX_DEVICES];
	int nr_devices;
	const char *blockdev;
	const char *only; /* --workloads a,b */
	bool raw_samples;
	bool trace_dat; /* --trace-dat: keep the command records as trace.dat */
	bool dry_run;	/* --dry-run: print the collectors -e selects */
	struct run_sweep points[RUN_MAX_SWEEP]; /* --point: recorded only */
	int nr_points;
	struct sweep_plan sweep; /* --sweep: one run per value */
	int senders;		 /* --senders J: threads of the paced workloads */
	bool no_calibrate;	 /* --no-calibrate: cmd_latency totals as measured */
	const char *cal_file;	 /* --calibration FILE */
};

/* the progress line: phase and elapsed time, refreshed on a terminal */
struct progress {
	pthread_t thread;
	pthread_mutex_t lock;
	char phase[96];
	uint64_t phase_start;
	bool active;
	bool tty;
	volatile bool quit;
};

static struct progress progress = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *progress_fn(void *arg __unused)
{
	while (!progress.quit) {
		pthread_mutex_lock(&progress.lock);
		if (progress.active)
			fprintf(stderr, "\r\033[K  %-40s %6.1fs", progress.phase,
				(now_ns() - progress.phase_start) / 1e9);
		pthread_mutex_unlock(&progress.lock);
		usleep(250000);
	}
	return NULL;
}

static void progress_begin(const char *fmt, ...) __printf(1, 2);

static void progress_begin(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&progress.lock);
	va_start(ap, fmt);
	vsnprintf(progress.phase, sizeof(progress.phase), fmt, ap);
	va_end(ap);
	progress.phase_start = now_ns();
	progress.active = progress.tty;
	if (!progress.tty)
		fprintf(stderr, "  %s ...\n", progress.phase);
	pthread_mutex_unlock(&progress.lock);
}

/* end of a phase: a permanent line with the achieved operation rate */
static void progress_end(uint64_t ops, double secs, const char *note)
{
	pthread_mutex_lock(&progress.lock);
	if (progress.tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "  %-40s %6.1fs %8llu ops %10.1f ops/s%s%s\n", progress.phase, secs,
		(unsigned long long)ops, secs > 0 ? ops / secs : 0.0, note ? "  " : "",
		note ? note : "");
	progress.active = false;
	pthread_mutex_unlock(&progress.lock);
}

static void progress_start(void)
{
	progress.tty = isatty(STDERR_FILENO);
	if (progress.tty)
		pthread_create(&progress.thread, NULL, progress_fn, NULL);
}

static void progress_stop(void)
{
	if (!progress.tty)
		return;
	progress.quit = true;
	pthread_join(progress.thread, NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf run --label REV [options]\n\n"
		"Run a suite of ITS workloads with the collectors attached and write one\n"
		"result folder per run, for `itsperf compare` between patch revisions.\n\n"
		"  -l, --label REV        patch revision or \"baseline\" (required)\n"
		"  -s, --suite NAME       quick (default) or full\n"
		"  -n, --runs N           runs per rate (default 3)\n"
		"  -r, --rate R[,R...]    offered MOVI rates (cmd/s) for the paced workloads;\n"
		"                         one run folder per rate (default: flat out)\n"
		"  -o, --output DIR       results go to DIR/<label>/ (default ./itsperf-results)\n"
		"  -e, --events LIST      collectors, as record's -e: 'bpf', 'bpf:cmd_latency,lock_hold',\n"
		"                         'ftrace', 'bpf,ftrace' (default: every one registered)\n"
		"      --dry-run          print the collectors -e selects and exit\n"
		"  -d, --device BDF       PCI device for the rebind workload (repeatable); 'all':\n"
		"                         one pass over every device the guard allows\n"
		"  -b, --blockdev DEV     block device for the msi workload (read-only)\n"
		"  -w, --workloads LIST   only these workloads of the suite\n"
		"      --senders J        J threads send the paced workloads' commands (one\n"
		"                         shared schedule: several commands in flight)\n"
		"      --samples          keep raw per-event samples\n"
		"      --no-calibrate     cmd_latency totals as measured, probe cost included\n"
		"                         (default: calibrated once, before the first run; see\n"
		"                         itsperf calibrate)\n"
		"      --calibration F    subtract the probe cost measured in F (itsperf calibrate -o)\n"
		"      --trace-dat        keep every ITS command as a raw ftrace record in\n"
		"                         files/trace.dat (trace-cmd report, KernelShark)\n"
		"      --sweep NAME=V,... one run per value of a variable this run changes\n"
		"                         (meta.sweep.NAME, the x axis of plot and compare):\n"
		"                         devices  the first V devices of --device (all):\n"
		"                                  rebind cycles them, affinity moves their vectors\n"
		"                         vectors  affinity moves vectors 0..V-1 of each device\n"
		"                         cpus     affinity and rebind in V threads, a CPU each\n"
		"                         rate     the paced workloads' offered rate (as --rate)\n"
		"      --point NAME=V     record a variable set outside the run, e.g. devices\n"
		"                         present at boot (scripts/sweep.sh; repeatable)\n");
}

static int parse_rates(const char *s, struct run_opts *o)
{
	char *copy = xstrdup(s);
	char *save = NULL;
	char *tok;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nr_rates == MAX_RATES || parse_double(tok, &o->rates[o->nr_rates]) ||
		    o->rates[o->nr_rates] < 0) {
			ret = -1;
			break;
		}
		o->nr_rates++;
	}
	free(copy);
	return ret;
}

static int parse_point(const char *s, struct run_opts *o)
{
	const char *eq = strchr(s, '=');
	struct run_sweep *w;

	if (!eq || eq == s || o->nr_points == RUN_MAX_SWEEP || (size_t)(eq - s) >= sizeof(w->name))
		return -1;
	w = &o->points[o->nr_points];
	snprintf(w->name, sizeof(w->name), "%.*s", (int)(eq - s), s);
	if (parse_double(eq + 1, &w->value))
		return -1;
	o->nr_points++;
	return 0;
}

/* --sweep rate=... is --rate with the rate in meta.sweep too */
static int sweep_rates(struct run_opts *o)
{
	int i;

	if (o->sweep.var != SWEEP_RATE)
		return EXIT_OK;
	if (o->nr_rates) {
		err_msg("--sweep rate and --rate: give the rates once");
		return EXIT_USAGE;
	}
	if (o->sweep.nr_values > MAX_RATES) {
		err_msg("--sweep rate: at most %d rates", MAX_RATES);
		return EXIT_USAGE;
	}
	for (i = 0; i < o->sweep.nr_values; i++)
		o->rates[o->nr_rates++] = o->sweep.values[i];
	return EXIT_OK;
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "suite", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "collectors", required_argument, NULL, 'e' },
		{ "device", required_argument, NULL, 'd' },
		{ "blockdev", required_argument, NULL, 'b' },
		{ "workloads", required_argument, NULL, 'w' },
		{ "samples", no_argument, NULL, 'S' },
		{ "trace-dat", no_argument, NULL, 'D' },
		{ "no-calibrate", no_argument, NULL, 'C' },
		{ "calibration", required_argument, NULL, 'c' },
		{ "events", required_argument, NULL, 'e' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "sweep", required_argument, NULL, 'W' },
		{ "point", required_argument, NULL, 'P' },
		{ "senders", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[160];
	uint64_t v;
	int c;

	o->suite_name = "quick";
	o->runs = 3;
	o->senders = 1;
	o->out = "itsperf-results";
	while ((c = getopt_long(argc, argv, "l:s:n:r:o:e:d:b:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->label = optarg;
			break;
		case 's':
			o->suite_name = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, &v) || !v || v > 1000) {
				err_msg("--runs: '%s' is not a number from 1 to 1000", optarg);
				return EXIT_USAGE;
			}
			o->runs = v;
			break;
		case 'r':
			if (parse_rates(optarg, o)) {
				err_msg("--rate: '%s' is not a list of at most %d rates >= 0",
					optarg, MAX_RATES);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'J':
			if (parse_u64(optarg, &v) || !v || v > 64) {
				err_msg("--senders: '%s' is not a number from 1 to 64", optarg);
				return EXIT_USAGE;
			}
			o->senders = v;
			break;
		case 'e':
			o->collectors = optarg;
			break;
		case 'N':
			o->dry_run = true;
			break;
		case 'd':
			if (o->nr_devices == BENCH_MAX_DEVICES) {
				err_msg("--device: at most %d devices", BENCH_MAX_DEVICES);
				return EXIT_USAGE;
			}
			o->devices[o->nr_devices++] = optarg;
			break;
		case 'b':
			o->blockdev = optarg;
			break;
		case 'w':
			o->only = optarg;
			break;
		case 'S':
			o->raw_samples = true;
			break;
		case 'D':
			o->trace_dat = true;
			break;
		case 'C':
			o->no_calibrate = true;
			break;
		case 'c':
			o->cal_file = optarg;
			break;
		case 'W':
			if (sweep_parse(&o->sweep, optarg, err, sizeof(err))) {
				err_msg("--sweep %s: %s", optarg, err);
				return EXIT_USAGE;
			}
			break;
		case 'P':
			if (parse_point(optarg, o)) {
				err_msg("--point: '%s' is not NAME=NUMBER (at most %d)", optarg,
					RUN_MAX_SWEEP);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err_msg("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!o->label || !*o->label || strchr(o->label, '/')) {
		err_msg("--label REV is required (a patch revision such as v2, no '/')");
		return EXIT_USAGE;
	}
	if (!strcmp(o->suite_name, "quick")) {
		o->suite = quick_suite;
		o->nr_phases = ARRAY_SIZE(quick_suite);
	} else if (!strcmp(o->suite_name, "full")) {
		o->suite = full_suite;
		o->nr_phases = ARRAY_SIZE(full_suite);
	} else {
		err_msg("--suite: '%s' is not quick or full", o->suite_name);
		return EXIT_USAGE;
	}
	if (sweep_rates(o))
		return EXIT_USAGE;
	for (c = 0; c < o->nr_points && o->sweep.name; c++) {
		if (!strcmp(o->points[c].name, o->sweep.name)) {
			err_msg("--point %s and --sweep %s: the sweep sets it", o->sweep.name,
				o->sweep.name);
			return EXIT_USAGE;
		}
	}
	if (!o->nr_rates)
		o->rates[o->nr_rates++] = 0;
	return EXIT_OK;
}

static bool phase_selected(const struct run_opts *o, const char *workload)
{
	const char *p;
	size_t len = strlen(workload);

	if (!o->only)
		return true;
	for (p = o->only; (p = strstr(p, workload)); p += len)
		if ((p == o->only || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

/* What will be measured on this kernel, and what is absent: said up front. */
static void print_probe_plan(const struct probe_resolution *res)
{
	int i;

	fprintf(stderr, "probes on this kernel:\n");
	for (i = 0; i < nr_logical_probes; i++) {
		const struct logical_probe *p = res[i].probe;

		if (p->flags & PROBE_BOOT_ONLY)
			continue; /* itsperf boot-args / boot-collect */
		fprintf(stderr, "  %-22s %-14s %s\n", p->name, probe_area_name(p->area),
			res[i].symbol ? res[i].symbol :
			(p->flags & PROBE_SERIES) ?
					"absent on this kernel (ITS series not applied)" :
					"absent on this kernel");
	}
}

static void print_env(const struct run_meta *m)
{
	fprintf(stderr, "host: %s, pKVM mode %s, GICv%d, %d ITS, %d CPUs%s\n", m->kernel_release,
		m->pkvm_mode[0] ? m->pkvm_mode : "unknown", m->gic_version, m->its_count,
		m->nr_cpus, m->emulated ? ", emulated (timings valid for A/B only)" : "");
	if (strncmp(m->pkvm_mode, "protected", 9))
		warn_msg("pKVM is not in protected mode here (%s): this is an unmediated baseline",
			 m->pkvm_mode[0] ? m->pkvm_mode : "unknown");
	if (!m->its_count)
		warn_msg("no GICv3 ITS found: the ITS command workloads will find nothing to do");
	if (!path_exists("/sys/kernel/tracing/trace") &&
	    !path_exists("/sys/kernel/debug/tracing/trace"))
		warn_msg("tracefs is not mounted: the ftrace collector will be unavailable");
}

struct run_ctx {
	const struct run_opts *o;
	struct session s;		  /* the collectors: commands/session.h */
	struct json_object *expected;	  /* counters.workload: summed over workloads */
	struct json_object *expected_max; /* counters.workload_max: the same, upper bounds */
	bool partial;
	int failures;
	int point;		 /* index into o->sweep.values */
	struct json_object *cal; /* the probe-cost calibration, stored with every run */
};

static void add_counts(struct json_object *o, const struct its_cmd_counts *c)
{
	int t;

	for (t = 0; t < NR_ITS_CMDS; t++) {
		struct json_object *v;
		int64_t cur = 0;

		if (!c->n[t])
			continue;
		if (json_object_object_get_ex(o, its_cmd_name(t), &v))
			cur = json_object_get_int64(v);
		json_object_object_add(o, its_cmd_name(t), json_object_new_int64(cur + c->n[t]));
	}
}

/*
 * Some counts are the kernel's choice (a CLEAR per vCPU context switch, a
 * MOVI when bind picks another CPU): the workload states them as a range,
 * [total, total_max], and the cross-check accepts anything inside it.
 */
static void add_expected(struct run_ctx *ctx, const struct bench_result *br)
{
	add_counts(ctx->expected, &br->total);
	add_counts(ctx->expected_max, &br->total_max);
}

/* commands of the run phase, SYNC aside (no collector sees it as a command of its own) */
static uint64_t run_commands(const struct bench_result *br)
{
	uint64_t n = 0;
	int t;

	for (t = 0; t < NR_ITS_CMDS; t++)
		if (t != ITS_CMD_SYNC)
			n += br->expected[BENCH_PHASE_RUN].n[t];
	return n;
}

/* a workload's distributions become metrics; hvc and vcpu are hypercall paths */
static void add_bench_metrics(struct result_run *r, const char *workload,
			      const struct bench_result *br)
{
	bool hvc = !strcmp(workload, "hvc") || !strcmp(workload, "vcpu");
	int i;

	for (i = 0; i < br->nr_metrics; i++) {
		const struct bench_metric *m = &br->metrics[i];
		char name[256];
		struct metric_desc d = {
			.name = name,
			.area = hvc ? "hvc_path" : workload,
			.unit = m->unit,
			.kind = METRIC_LATENCY,
			.source = "bench",
			.desc = m->desc,
			.error_bound = "userspace CNTVCT_EL0/CLOCK_MONOTONIC around each operation",
		};

		metric_name(name, sizeof(name), hvc ? MF_HVC_WORKLOAD : MF_BENCH, workload,
			    m->name);
		result_add_metric(r, &d, &m->hist, m->samples, m->nr_samples);
	}
	if (br->duration_s > 0 && br->ops) {
		char name[256];
		struct metric_desc d = {
			.name = name,
			.area = "throughput",
			.unit = "op/s",
			.kind = METRIC_THROUGHPUT,
			.source = "bench",
			.desc = "operations completed per second, by the workload's own count",
		};

		metric_name(name, sizeof(name), MF_THROUGHPUT, workload);
		result_add_value(r, &d, br->ops / br->duration_s);
	}
	if (br->duration_s > 0 && run_commands(br)) {
		char name[256];
		struct metric_desc d = {
			.name = name,
			.area = "throughput",
			.unit = "cmd/s",
			.kind = METRIC_THROUGHPUT,
			.source = "bench",
			.desc = "ITS commands (SYNC aside) the run phase caused per second, by the "
				"workload's own count",
		};

		metric_name(name, sizeof(name), MF_THROUGHPUT_CMDS, workload);
		result_add_value(r, &d, run_commands(br) / br->duration_s);
	}
}

static int run_phase(struct run_ctx *ctx, struct result_run *r, const struct suite_phase *ph,
		     double rate, struct json_object *workloads, struct json_object *perf)
{
	const struct run_opts *o = ctx->o;
	struct bench_result br;
	struct bench_opts bo;
	struct counters cs;
	bool counting;
	int ret;
	int i;

	bench_opts_init(&bo);
	bo.quiet = true;
	bo.ops = ph->ops;
	bo.duration_ns = ph->duration_ms * 1000000ull;
	if (ph->paced) {
		bo.rate = rate;
		/* several senders share one open-loop schedule: more than one command in flight */
		bo.jobs = o->senders;
		bo.pressure = 0; /* the collectors measure; no second kprobe set */
	}
	if (ph->needs_device) {
		for (i = 0; i < o->nr_devices; i++)
			bo.devices[bo.nr_devices++] = o->devices[i];
		/* -d all: one pass over every device the guard allows (bench/rebind.c) */
		if (o->nr_devices == 1 && !strcmp(o->devices[0], "all"))
			bo.ops = 0;
	} else if (ph->needs_blockdev) {
		bo.devices[bo.nr_devices++] = o->blockdev;
	}
	sweep_apply(&o->sweep, ctx->point, ph->workload, &bo);
	progress_begin("%s%s", ph->workload, ph->paced && rate > 0 ? " (paced)" : "");
	memset(&br, 0, sizeof(br));
	/* cycles (and the EL2 share where the PMU shows it), switches, faults per phase */
	/* counters_open() returns how many opened: 0 is fine, "not supported" is recorded */
	counting = counters_open(&cs, ph->workload, NULL, 0) >= 0;
	if (counting)
		counters_start(&cs);
	ret = bench_workload_run_ex(ph->workload, &bo, &br);
	if (counting) {
		counters_stop(&cs);
		json_object_object_add(perf, ph->workload, counters_to_json(&cs));
		counters_close(&cs);
	}
	progress_end(br.ops, br.duration_s, ret == EXIT_OK ? NULL : "FAILED");
	if (br.summary)
		json_object_object_add(workloads, ph->workload, json_object_get(br.summary));
	if (ret != EXIT_OK)
		ctx->failures++;
	if (br.partial || itsperf_stop)
		ctx->partial = true;
	add_expected(ctx, &br);
	add_bench_metrics(r, ph->workload, &br);
	bench_result_free(&br);
	return ret;
}

/* <out>/<label>/run-N[-rate-R][-NAME-V]: one folder per run, rate and sweep point */
static char *run_dir(const struct run_ctx *ctx, int index, double rate)
{
	const struct run_opts *o = ctx->o;
	const struct sweep_plan *p = &o->sweep;
	char point[48] = "";
	char r[48] = "";

	if (o->nr_rates > 1 || rate > 0)
		snprintf(r, sizeof(r), "-rate-%g", rate);
	if (p->var != SWEEP_NONE && p->var != SWEEP_RATE)
		snprintf(point, sizeof(point), "-%s-%g", p->name, p->values[ctx->point]);
	return xasprintf("%s/%s/run-%d%s%s", o->out, o->label, index, r, point);
}

/* " (devices=4)" for the progress lines, "" without a sweep */
static const char *point_desc(const struct run_ctx *ctx)
{
	const struct sweep_plan *p = &ctx->o->sweep;
	static char buf[64];

	buf[0] = '\0';
	if (p->var != SWEEP_NONE && p->var != SWEEP_RATE)
		snprintf(buf, sizeof(buf), " (%s=%g)", p->name, p->values[ctx->point]);
	return buf;
}

static void run_meta_sweep(const struct run_ctx *ctx, struct run_meta *m, double rate)
{
	const struct sweep_plan *p = &ctx->o->sweep;

	memcpy(m->sweep, ctx->o->points, sizeof(m->sweep));
	m->nr_sweep = ctx->o->nr_points;
	if (p->var == SWEEP_RATE)
		run_meta_set_sweep(m, p->name, rate);
	else if (p->var != SWEEP_NONE)
		run_meta_set_sweep(m, p->name, p->values[ctx->point]);
}

static int one_run(struct run_ctx *ctx, int index, double rate, char **dir_out)
{
	const struct run_opts *o = ctx->o;
	struct json_object *workloads;
	struct json_object *counters;
	struct json_object *perf;
	struct result_run *r;
	struct run_meta m;
	char *dir;
	int i;

	memset(&m, 0, sizeof(m));
	run_meta_from_host(&m);
	snprintf(m.label, sizeof(m.label), "%s", o->label);
	snprintf(m.suite, sizeof(m.suite), "%s", o->suite_name);
	m.run_index = index;
	m.offered_rate = rate;
	m.start_ns = wall_ns();
	run_meta_sweep(ctx, &m, rate);
	dir = run_dir(ctx, index, rate);
	r = result_run_begin(dir, &m);
	if (!r) {
		err_msg("cannot create the result folder %s", dir);
		free(dir);
		return EXIT_FAIL;
	}
	fprintf(stderr, "run %d%s%s -> %s\n", index, rate > 0 ? " (paced)" : "", point_desc(ctx),
		dir);
	ctx->expected = json_object_new_object();
	ctx->expected_max = json_object_new_object();
	ctx->partial = false;
	workloads = json_object_new_object();
	perf = json_object_new_object();
	session_start(&ctx->s);
	for (i = 0; i < o->nr_phases && !itsperf_stop; i++) {
		const struct suite_phase *ph = &o->suite[i];

		if (!phase_selected(o, ph->workload))
			continue;
		if ((ph->needs_device && !o->nr_devices) || (ph->needs_blockdev && !o->blockdev)) {
			fprintf(stderr, "  %-40s skipped: no --%s given\n", ph->workload,
				ph->needs_device ? "device" : "blockdev");
			continue;
		}
		run_phase(ctx, r, ph, rate, workloads, perf);
	}
	if (itsperf_stop)
		ctx->partial = true;
	session_stop(&ctx->s);
	if (ctx->cal)
		result_add_section(r, "calibration", json_object_get(ctx->cal));
	session_write(&ctx->s, r);
	session_end(&ctx->s);
	result_add_section(r, "workloads", workloads);
	result_add_section(r, COUNTERS_SECTION, perf);
	counters = json_object_new_object();
	json_object_object_add(counters, "workload", ctx->expected);
	json_object_object_add(counters, "workload_max", ctx->expected_max);
	result_add_section(r, "counters", counters);
	if (result_run_end(r, ctx->partial)) {
		err_msg("could not finish writing %s", dir);
		free(dir);
		return EXIT_FAIL;
	}
	*dir_out = dir;
	return EXIT_OK;
}

/*
 * Once, before the first run: the probes' own cost in cmd_latency.total
 * (commands/calibrate.c), subtracted by the collectors in every run and
 * stored with each. A failed calibration leaves the totals as measured.
 */
static int calibrate(struct run_ctx *ctx)
{
	const struct run_opts *o = ctx->o;
	char work[4200];

	snprintf(work, sizeof(work), "%s/.calibration-%s", o->out, o->label);
	return calibrate_before(&ctx->s, o->no_calibrate, o->cal_file, 0, work, &ctx->cal);
}

/* sweep points per run and rate: rate points are the rates themselves */
static int nr_points(const struct run_opts *o)
{
	if (o->sweep.var == SWEEP_NONE || o->sweep.var == SWEEP_RATE)
		return 1;
	return o->sweep.nr_values;
}

static int one_run_checked(struct run_ctx *ctx, int index, double rate)
{
	char *dir = NULL;
	int ret;

	if (one_run(ctx, index, rate, &dir))
		return -1;
	/* read back as compare will; the counts of every source must agree */
	ret = crosscheck_dir(dir, stderr) ? -1 : 0;
	free(dir);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	struct run_ctx ctx = { 0 };
	struct run_meta m;
	int status = EXIT_OK;
	int run;
	int ri;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	ctx.o = &o;
	if (session_select(&ctx.s, o.collectors, o.trace_dat))
		return EXIT_USAGE;
	if (o.dry_run) {
		session_print(&ctx.s, stdout);
		return EXIT_OK;
	}
	install_stop_handlers();

	memset(&m, 0, sizeof(m));
	run_meta_from_host(&m);
	print_env(&m);
	if (session_open(&ctx.s, o.raw_samples)) {
		err_msg("no probe can be resolved");
		return EXIT_FAIL;
	}
	print_probe_plan(ctx.s.res);
	if (calibrate(&ctx)) {
		status = EXIT_USAGE;
		goto out;
	}
	ctx.s.copts.work_dir = o.out;
	if (mkdir_p(o.out, 0755)) {
		err_msg("cannot create %s: %m", o.out);
		status = EXIT_FAIL;
		goto out;
	}
	/* before anything runs: every sweep point can run on this host */
	if (sweep_resolve(&o.sweep, o.devices, o.nr_devices)) {
		status = EXIT_USAGE;
		goto out;
	}
	progress_start();
	for (run = 1; run <= o.runs && !itsperf_stop; run++)
		for (ri = 0; ri < o.nr_rates && !itsperf_stop; ri++)
			for (ctx.point = 0; ctx.point < nr_points(&o) && !itsperf_stop; ctx.point++)
				if (one_run_checked(&ctx, run, o.rates[ri]))
					status = EXIT_FAIL;
	progress_stop();
	if (itsperf_stop) {
		warn_msg(
			"interrupted: the host was restored, the last run is kept, marked partial");
		status = EXIT_FAIL;
	}
	if (ctx.failures)
		status = EXIT_FAIL;
	fprintf(stderr, "results: %s/%s\n", o.out, o.label);
out:
	sweep_free(&o.sweep);
	session_close(&ctx.s);
	json_object_put(ctx.cal);
	return status;
}
