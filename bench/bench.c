// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads' shared part: the command line, the workload table and what every
 * workload shares: stop conditions (--ops, --duration, --timeout, signals),
 * pacing (--rate), the expected ITS command counts per phase, skips and
 * errors, latency distributions, and the summary (human and JSON). The
 * `itsperf bench` command itself is commands/bench.c.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "bench/bench_priv.h"
#include "result/summary.h"

/* ---- the workload table ---- */

static const struct bench_workload *const workloads[] = {
	&bench_affinity, &bench_rebind, &bench_vcpu,	  &bench_msi,
	&bench_hvc,	 &bench_inv,	&bench_null_call,
};

const char *const bench_workload_names[] = {
	"affinity", "rebind", "vcpu", "msi", "hvc", "inv", "null_call", NULL,
};

static const struct bench_workload *workload_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(workloads[i]->name, name))
			return workloads[i];
	return NULL;
}

bool bench_workload_exists(const char *name)
{
	return workload_find(name) != NULL;
}

/* ---- options ---- */

void bench_opts_init(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->vcpus = 1;
	o->qd = 32;
	o->bs = 4096;
	o->jobs = 1;
	o->pressure = -1;
}

bool bench_pressure_wanted(const struct bench_ctx *c, int jobs)
{
	if (!(c->w->opts & BOPT_PRESSURE))
		return false;
	return c->o->pressure < 0 ? jobs > 1 : c->o->pressure;
}

void bench_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: itsperf bench WORKLOAD [options]\n"
		   "       itsperf bench restore [--force] [--dry-run]\n"
		   "       itsperf bench list\n\n"
		   "Issue real ITS commands (or MSIs, or hypercalls) on this host and report how\n"
		   "many of each command type were intended, to check collectors against.\n\n"
		   "workloads:\n");
	for (i = 0; i < ARRAY_SIZE(workloads); i++)
		fprintf(f, "  %-9s %s\n            commands: %s\n", workloads[i]->name,
			workloads[i]->help, workloads[i]->cmds);
	fprintf(f,
		"\ncommon options:\n"
		"  -d, --duration S    run for S (\"10\", \"500ms\", \"2m\")\n"
		"  -n, --ops N         stop after N operations\n"
		"  -r, --rate R        operations per second (default: flat out)\n"
		"  -c, --cpus LIST     CPUs to use (\"0-3,6\"; default: all online)\n"
		"  -j, --json FILE     write the summary as JSON (\"-\": stdout)\n"
		"  -t, --timeout S     hard cap on the run (default 300s, also with --ops)\n"
		"  -q, --quiet         no human summary\n"
		"workload options:\n"
		"  affinity  --irq N[,N...]  only these interrupts\n"
		"            --jobs J        J threads, each pinned to its own CPU of --cpus,\n"
		"                            moving disjoint sets of interrupts at once\n"
		"  rebind    --device BDF    PCI device to unbind/bind (repeatable); 'all': every\n"
		"                            device with ITS vectors the guard allows\n"
		"            --jobs J        J devices at once, one thread each\n"
		"            --list          print the devices it would cycle (and why the\n"
		"                            others are left alone), change nothing\n"
		"            --force         even if it backs a mount, swap, the default route\n"
		"  inv       --device BDF    MSI-X device to take over through vfio-pci (needs an\n"
		"                            IOMMU; repeatable); --vectors K (default all)\n"
		"  affinity, rebind, inv: --pressure / --no-pressure  observe queue-full waits\n"
		"            and its->lock contention per CPU in the kernel (kprobes; default:\n"
		"            on with --jobs > 1)\n"
		"  vcpu      --vcpus N       vCPUs, one thread each (default 1)\n"
		"            --move-every N  move each vCPU thread to the next CPU of --cpus\n"
		"                            after every N of its exits (GICv4: a VMOVP each)\n"
		"  msi       --device /dev/X block device; --write (destructive, refused on a\n"
		"            mounted device unless --force); --qd N (32); --bs SIZE (4096)\n"
		"  hvc       --module PATH   itsperf_hvc.ko (default /lib/itsperf/kmod/)\n"
		"\nA killed run is undone with 'itsperf bench restore' (journal in %s).\n",
		journal_dir());
}

enum {
	OPT_IRQ = 256,
	OPT_DEVICE,
	OPT_FORCE,
	OPT_VCPUS,
	OPT_WRITE,
	OPT_QD,
	OPT_BS,
	OPT_MODULE,
	OPT_JOBS,
	OPT_VECTORS,
	OPT_PRESSURE,
	OPT_NO_PRESSURE,
	OPT_LIST,
	OPT_MOVE,
};

static const struct option long_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "ops", required_argument, NULL, 'n' },
	{ "rate", required_argument, NULL, 'r' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "json", required_argument, NULL, 'j' },
	{ "timeout", required_argument, NULL, 't' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "irq", required_argument, NULL, OPT_IRQ },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "write", no_argument, NULL, OPT_WRITE },
	{ "qd", required_argument, NULL, OPT_QD },
	{ "bs", required_argument, NULL, OPT_BS },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "vectors", required_argument, NULL, OPT_VECTORS },
	{ "pressure", no_argument, NULL, OPT_PRESSURE },
	{ "no-pressure", no_argument, NULL, OPT_NO_PRESSURE },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "move-every", required_argument, NULL, OPT_MOVE },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	int opt;
	unsigned int flag;
} opt_flags[] = {
	{ OPT_IRQ, BOPT_IRQ },
	{ OPT_DEVICE, BOPT_DEVICE },
	{ OPT_FORCE, BOPT_FORCE },
	{ OPT_VCPUS, BOPT_VCPUS },
	{ OPT_WRITE, BOPT_WRITE },
	{ OPT_QD, BOPT_QD },
	{ OPT_BS, BOPT_BS },
	{ OPT_MODULE, BOPT_MODULE },
	{ 'r', BOPT_RATE },
	{ OPT_JOBS, BOPT_JOBS },
	{ OPT_VECTORS, BOPT_VECTORS },
	{ OPT_PRESSURE, BOPT_PRESSURE },
	{ OPT_NO_PRESSURE, BOPT_PRESSURE },
	{ OPT_LIST, BOPT_LIST },
	{ OPT_MOVE, BOPT_MOVE },
};

static const char *opt_name(int opt)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == opt)
			return lo->name;
	return "?";
}

static bool opt_allowed(const struct bench_workload *w, int opt)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opt_flags); i++)
		if (opt_flags[i].opt == opt)
			return w->opts & opt_flags[i].flag;
	return true; /* common option */
}

static int parse_irq_list(const char *s, struct bench_opts *o)
{
	char *copy = xstrdup(s);
	char *save = NULL;
	char *tok;
	uint64_t v;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_u64(tok, &v) || v > 1u << 24 || o->nr_irqs >= BENCH_MAX_IRQS) {
			free(copy);
			return -1;
		}
		o->irqs[o->nr_irqs++] = (int)v;
	}
	free(copy);
	return o->nr_irqs ? 0 : -1;
}

/* "4096", "4k", "64K", "1m" */
static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || x <= 0)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		x *= 1024;
		end++;
		break;
	case 'm':
	case 'M':
		x *= 1024 * 1024;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	*v = (uint64_t)x;
	return 0;
}

static int bad_arg(const char *opt, const char *val, const char *what)
{
	err_msg("bench: invalid --%s '%s': %s", opt, val, what);
	return EXIT_USAGE;
}

static int parse_one(const struct bench_workload *w, int c, const char *arg, struct bench_opts *o)
{
	uint64_t v;
	double d;

	if (!opt_allowed(w, c)) {
		err_msg("bench: option --%s is not used by workload '%s'", opt_name(c), w->name);
		return EXIT_USAGE;
	}
	switch (c) {
	case 'd':
		if (parse_duration_ns(arg, &o->duration_ns) || !o->duration_ns)
			return bad_arg("duration", arg,
				       "expected a positive duration (10, 500ms, 2m)");
		break;
	case 'n':
		if (parse_u64(arg, &o->ops) || !o->ops)
			return bad_arg("ops", arg, "expected a positive integer");
		break;
	case 'r':
		if (parse_double(arg, &d) || !(d > 0) || !isfinite(d) || d > 1e9)
			return bad_arg("rate", arg, "expected operations per second > 0");
		o->rate = d;
		break;
	case 'c':
		o->nr_cpus = parse_cpulist(arg, o->cpus, BENCH_MAX_CPUS);
		if (o->nr_cpus <= 0)
			return bad_arg("cpus", arg, "expected a CPU list such as 0-3,6");
		break;
	case 'j':
		if (!*arg)
			return bad_arg("json", arg, "expected a file name");
		o->json_path = arg;
		break;
	case 't':
		if (parse_duration_ns(arg, &o->timeout_ns) || !o->timeout_ns)
			return bad_arg("timeout", arg, "expected a positive duration");
		break;
	case 'q':
		o->quiet = true;
		break;
	case OPT_IRQ:
		if (parse_irq_list(arg, o))
			return bad_arg("irq", arg, "expected interrupt numbers (24 or 24,25)");
		break;
	case OPT_DEVICE:
		if (o->nr_devices >= BENCH_MAX_DEVICES)
			return bad_arg("device", arg, "too many devices");
		if (!*arg)
			return bad_arg("device", arg, "empty");
		if (!strcmp(arg, "all")) {
			if (strcmp(w->name, "rebind"))
				return bad_arg("device", arg, "'all' is for rebind only");
			o->all_devices = true;
			break;
		}
		o->devices[o->nr_devices++] = arg;
		break;
	case OPT_FORCE:
		o->force = true;
		break;
	case OPT_VCPUS:
		if (parse_u64(arg, &v) || !v || v > 64)
			return bad_arg("vcpus", arg, "expected 1..64");
		o->vcpus = (int)v;
		break;
	case OPT_MOVE:
		if (parse_u64(arg, &v) || !v)
			return bad_arg("move-every", arg, "expected a positive number of exits");
		o->move_every = v;
		break;
	case OPT_WRITE:
		o->write = true;
		break;
	case OPT_QD:
		if (parse_u64(arg, &v) || !v || v > 4096)
			return bad_arg("qd", arg, "expected 1..4096");
		o->qd = (unsigned int)v;
		break;
	case OPT_BS:
		if (parse_size(arg, &v) || v < 512 || v > (16u << 20) || (v & (v - 1)))
			return bad_arg("bs", arg, "expected a power of two from 512 to 16M");
		o->bs = (unsigned int)v;
		break;
	case OPT_MODULE:
		o->module_path = arg;
		break;
	case OPT_JOBS:
		if (parse_u64(arg, &v) || !v || v > 256)
			return bad_arg("jobs", arg, "expected 1..256");
		o->jobs = (int)v;
		break;
	case OPT_LIST:
		o->list_only = true;
		break;
	case OPT_PRESSURE:
	case OPT_NO_PRESSURE:
		o->pressure = c == OPT_PRESSURE;
		break;
	case OPT_VECTORS:
		if (parse_u64(arg, &v) || !v || v > 2048)
			return bad_arg("vectors", arg, "expected 1..2048");
		o->vectors = (int)v;
		break;
	default:
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int bench_parse_args(int argc, char **argv, struct bench_opts *o, const char **workload)
{
	const struct bench_workload *w;
	int ret;
	int c;

	if (argc < 1 || !argv[0] || argv[0][0] == '-') {
		err_msg("bench: no workload given (one of affinity, rebind, vcpu, msi, hvc, inv, null_call)");
		return EXIT_USAGE;
	}
	w = workload_find(argv[0]);
	if (!w) {
		err_msg("bench: unknown workload '%s' (one of affinity, rebind, vcpu, msi, hvc, inv, null_call)",
			argv[0]);
		return EXIT_USAGE;
	}
	*workload = w->name;
	optind = 0; /* reentrant: `itsperf run` parses several workload lines */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:n:r:c:j:t:qh", long_opts, NULL)) != -1) {
		if (c == 'h') {
			bench_usage(stdout);
			return -1;
		}
		if (c == ':') {
			err_msg("bench: option %s needs an argument", argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (c == '?') {
			if (optopt)
				err_msg("bench: option -%c is unknown", optopt);
			else
				err_msg("bench: option '%s' is unknown", argv[optind - 1]);
			return EXIT_USAGE;
		}
		ret = parse_one(w, c, optarg, o);
		if (ret)
			return ret;
	}
	if (optind < argc) {
		err_msg("bench: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->nr_devices > 1 && !strcmp(w->name, "msi")) {
		err_msg("bench: msi takes one --device");
		return EXIT_USAGE;
	}
	if (o->all_devices && o->nr_devices) {
		err_msg("bench: --device all names every device already: no other --device");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* ---- the run context ---- */

static void ctx_resolve_cpus(struct bench_ctx *c, int *ret)
{
	uint64_t online[BENCH_MAX_CPUS / 64];
	int i;

	*ret = EXIT_OK;
	if (host_online_cpus(online, BENCH_MAX_CPUS) <= 0) {
		err_msg("bench: cannot read the online CPUs: %s", strerror(errno));
		*ret = EXIT_FAIL;
		return;
	}
	c->nr_cpus = 0;
	for (i = 0; i < BENCH_MAX_CPUS; i++) {
		bool on = online[i / 64] & (1ull << (i % 64));
		bool want = c->o->nr_cpus ? c->o->cpus[i / 64] & (1ull << (i % 64)) : on;

		if (on)
			c->nr_possible = i + 1;
		if (!want)
			continue;
		if (!on) {
			err_msg("bench: --cpus: CPU %d is not online", i);
			*ret = EXIT_USAGE;
			return;
		}
		c->cpu_list[c->nr_cpus++] = i;
	}
}

void bench_cpus_string(const struct bench_ctx *c, char *buf, size_t len)
{
	uint64_t mask[BENCH_MAX_CPUS / 64] = { 0 };
	int i;

	for (i = 0; i < c->nr_cpus; i++)
		mask[c->cpu_list[i] / 64] |= 1ull << (c->cpu_list[i] % 64);
	if (format_cpulist(mask, BENCH_MAX_CPUS, buf, len))
		snprintf(buf, len, "?");
}

int bench_pin_self(const struct bench_ctx *c, cpu_set_t *saved)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(*saved), saved))
		return -1;
	CPU_ZERO(&set);
	for (i = 0; i < c->nr_cpus; i++)
		CPU_SET(c->cpu_list[i], &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

void bench_unpin_self(const cpu_set_t *saved)
{
	sched_setaffinity(0, sizeof(*saved), saved);
}

int bench_pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

void bench_begin(struct bench_ctx *c)
{
	uint64_t timeout = c->o->timeout_ns ? c->o->timeout_ns : BENCH_DEFAULT_TIMEOUT_NS;
	uint64_t dur = c->o->duration_ns;

	c->t_start = now_ns();
	c->ops_target = c->o->ops;
	if (!dur && !c->ops_target) {
		dur = c->w->default_duration_ns;
		c->ops_target = c->w->default_ops;
	}
	c->stop_at = dur ? c->t_start + dur : 0;
	c->cap_at = c->t_start + timeout;
}

void bench_begin_ops(struct bench_ctx *c, uint64_t n)
{
	bench_begin(c);
	if (!c->o->ops && !c->o->duration_ns) {
		c->ops_target = n;
		c->stop_at = 0;
	}
}

static void set_stop(struct bench_ctx *c, const char *why)
{
	const char *none = NULL;

	/* the first reason wins */
	__atomic_compare_exchange_n(&c->stop_reason, &none, why, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
}

bool bench_should_stop(struct bench_ctx *c)
{
	uint64_t now;

	if (itsperf_stop) {
		set_stop(c, "signal");
		return true;
	}
	if (__atomic_load_n(&c->abort, __ATOMIC_RELAXED))
		return true;
	now = now_ns();
	if (c->stop_at && now >= c->stop_at) {
		set_stop(c, "duration");
		return true;
	}
	if (now >= c->cap_at) {
		set_stop(c, "timeout");
		return true;
	}
	return false;
}

bool bench_next_op(struct bench_ctx *c)
{
	uint64_t idx;
	uint64_t at;
	uint64_t now;

	if (bench_should_stop(c))
		return false;
	idx = __atomic_fetch_add(&c->claimed, 1, __ATOMIC_SEQ_CST);
	if (c->ops_target && idx >= c->ops_target) {
		__atomic_fetch_sub(&c->claimed, 1, __ATOMIC_SEQ_CST);
		set_stop(c, "ops");
		return false;
	}
	if (c->o->rate > 0) {
		at = c->t_start + (uint64_t)((double)idx * 1e9 / c->o->rate);
		now = now_ns();
		if (at > now && sleep_interruptible_ns(at - now)) {
			bench_op_unclaim(c);
			set_stop(c, "signal");
			return false;
		}
		if (bench_should_stop(c)) {
			bench_op_unclaim(c);
			return false;
		}
	}
	return true;
}

void bench_op_done(struct bench_ctx *c)
{
	__atomic_fetch_add(&c->done, 1, __ATOMIC_SEQ_CST);
}

void bench_op_done_on(struct bench_ctx *c, int cpu)
{
	bench_op_done(c);
	if (cpu >= 0 && cpu < c->nr_possible)
		__atomic_fetch_add(&c->ops_by_cpu[cpu], 1, __ATOMIC_RELAXED);
}

int bench_worker_cpu(const struct bench_ctx *c, int k)
{
	return c->cpu_list[k % c->nr_cpus];
}

void bench_op_unclaim(struct bench_ctx *c)
{
	__atomic_fetch_sub(&c->claimed, 1, __ATOMIC_SEQ_CST);
}

void bench_end(struct bench_ctx *c)
{
	c->t_end = now_ns();
	if (!c->stop_reason)
		set_stop(c, c->ops_target && c->done >= c->ops_target ? "ops" : "finished");
}

void bench_abort(struct bench_ctx *c, const char *reason)
{
	set_stop(c, reason);
	__atomic_store_n(&c->abort, 1, __ATOMIC_SEQ_CST);
}

void bench_expect(struct bench_ctx *c, enum bench_phase ph, enum its_cmd_type t, uint64_t n)
{
	__atomic_fetch_add(&c->res->expected[ph].n[t], n, __ATOMIC_RELAXED);
}

void bench_expect_on(struct bench_ctx *c, enum bench_phase ph, enum its_cmd_type t, uint64_t n,
		     int cpu)
{
	bench_expect(c, ph, t, n);
	if (cpu >= 0 && cpu < c->nr_possible)
		__atomic_fetch_add(&c->by_cpu[cpu].n[t], n, __ATOMIC_RELAXED);
}

void bench_expect_extra(struct bench_ctx *c, enum bench_phase ph, enum its_cmd_type t, uint64_t n,
			const char *why)
{
	__atomic_fetch_add(&c->res->extra[ph].n[t], n, __ATOMIC_RELAXED);
	pthread_mutex_lock(&c->lock);
	if (why && !json_object_object_get_ex(c->uncertain, its_cmd_name(t), NULL))
		json_object_object_add(c->uncertain, its_cmd_name(t), json_object_new_string(why));
	pthread_mutex_unlock(&c->lock);
}

static void add_msg(struct bench_ctx *c, struct json_object *list, const char *item,
		    const char *fmt, va_list ap)
{
	struct json_object *o;
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	pthread_mutex_lock(&c->lock);
	if (item) {
		o = json_object_new_object();
		json_object_object_add(o, "item", json_object_new_string(item));
		json_object_object_add(o, "reason", json_object_new_string(msg));
		json_object_array_add(list, o);
	} else {
		json_object_array_add(list, json_object_new_string(msg));
	}
	if (list == c->errors)
		c->nr_errors++;
	pthread_mutex_unlock(&c->lock);
	free(msg);
}

void bench_skip(struct bench_ctx *c, const char *item, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_msg(c, c->skipped, item, fmt, ap);
	va_end(ap);
}

void bench_error(struct bench_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_msg(c, c->errors, NULL, fmt, ap);
	va_end(ap);
	if (!c->o->quiet) {
		va_start(ap, fmt);
		fprintf(stderr, "itsperf: bench %s: ", c->w->name);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

void bench_note(struct bench_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_msg(c, c->notes, NULL, fmt, ap);
	va_end(ap);
}

void bench_line(struct bench_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_msg(c, c->lines, NULL, fmt, ap);
	va_end(ap);
}

void bench_set(struct bench_ctx *c, const char *key, struct json_object *v)
{
	pthread_mutex_lock(&c->lock);
	json_object_object_add(c->extra, key, v);
	pthread_mutex_unlock(&c->lock);
}

struct json_object *bench_per_cpu_json(const uint64_t *counts, int nr)
{
	struct json_object *o = json_object_new_object();
	char key[16];
	int i;

	for (i = 0; i < nr; i++) {
		if (!counts[i])
			continue;
		snprintf(key, sizeof(key), "%d", i);
		json_object_object_add(o, key, json_object_new_uint64(counts[i]));
	}
	return o;
}

/* ---- distributions ---- */

void bench_metric_init(struct bench_metric *m, const char *name, const char *unit, const char *desc)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->unit = unit;
	m->desc = desc;
	/* log2, 64 buckets: result_add_metric() takes it as is */
	hist_init(&m->hist, HIST_LOG2, 64, 0);
}

struct bench_metric *bench_metric_new(struct bench_ctx *c, const char *name, const char *unit,
				      const char *desc)
{
	struct bench_metric *m;

	if (c->res->nr_metrics >= BENCH_MAX_METRICS)
		return NULL;
	m = &c->res->metrics[c->res->nr_metrics++];
	bench_metric_init(m, name, unit, desc);
	return m;
}

void bench_metric_add(struct bench_metric *m, uint64_t v)
{
	hist_add(&m->hist, v);
	if (m->nr_samples == m->cap_samples) {
		if (m->cap_samples >= BENCH_MAX_SAMPLES) {
			m->dropped++;
			return;
		}
		m->cap_samples = m->cap_samples ? m->cap_samples * 2 : 4096;
		m->samples = xrealloc(m->samples, m->cap_samples * sizeof(uint64_t));
	}
	m->samples[m->nr_samples++] = v;
}

void bench_metric_merge(struct bench_metric *dst, struct bench_metric *src)
{
	size_t i;

	hist_merge(&dst->hist, &src->hist);
	for (i = 0; i < src->nr_samples; i++) {
		if (dst->nr_samples == dst->cap_samples) {
			if (dst->cap_samples >= BENCH_MAX_SAMPLES) {
				dst->dropped += src->nr_samples - i;
				break;
			}
			dst->cap_samples = dst->cap_samples ? dst->cap_samples * 2 : 4096;
			dst->samples = xrealloc(dst->samples, dst->cap_samples * sizeof(uint64_t));
		}
		dst->samples[dst->nr_samples++] = src->samples[i];
	}
	dst->dropped += src->dropped;
}

void bench_metric_free(struct bench_metric *m)
{
	hist_free(&m->hist);
	free(m->samples);
	m->samples = NULL;
	m->nr_samples = m->cap_samples = 0;
}

/* the tool's one quantile (result/summary.h) over sorted samples; 0 when there are none */
static double quantile(const uint64_t *v, size_t n, double p)
{
	return n ? quantile_sorted_u64(v, n, p) : 0;
}

struct json_object *bench_metric_json(struct bench_metric *m)
{
	static const struct {
		const char *key;
		double p;
	} qs[] = { { "p50", 0.5 }, { "p90", 0.9 }, { "p99", 0.99 }, { "p999", 0.999 } };
	struct json_object *o = json_object_new_object();
	struct json_object *b = json_object_new_array();
	struct hist *h = &m->hist;
	size_t i;

	sort_u64(m->samples, m->nr_samples);
	json_object_object_add(o, "unit", json_object_new_string(m->unit));
	if (m->desc)
		json_object_object_add(o, "desc", json_object_new_string(m->desc));
	json_object_object_add(o, "count", json_object_new_uint64(h->count));
	json_object_object_add(o, "min", json_object_new_uint64(h->count ? h->min : 0));
	for (i = 0; i < ARRAY_SIZE(qs); i++)
		json_object_object_add(
			o, qs[i].key,
			json_object_new_double(quantile(m->samples, m->nr_samples, qs[i].p)));
	json_object_object_add(o, "max", json_object_new_uint64(h->max));
	json_object_object_add(o, "mean",
			       json_object_new_double(h->count ? h->sum / (double)h->count : 0));
	json_object_object_add(o, "samples_dropped", json_object_new_uint64(m->dropped));
	/* the histogram, log2 buckets, sparse [index, count] like the result format */
	for (i = 0; i < 64; i++) {
		struct json_object *pair;

		if (!h->buckets[i])
			continue;
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_int((int)i));
		json_object_array_add(pair, json_object_new_uint64(h->buckets[i]));
		json_object_array_add(b, pair);
	}
	json_object_object_add(o, "hist_log2", b);
	return o;
}

/* ---- the summary ---- */

static struct json_object *counts_json(const struct its_cmd_counts *cnt)
{
	struct json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < NR_ITS_CMDS; i++)
		if (cnt->n[i])
			json_object_object_add(o, its_cmd_name(i),
					       json_object_new_uint64(cnt->n[i]));
	return o;
}

static const char *const phase_names[NR_BENCH_PHASES] = { "setup", "run", "restore" };

/* per worker CPU: operations and the commands the kernel sent from there, if attributed */
static void by_cpu_json(struct bench_ctx *c, struct json_object *s)
{
	struct json_object *cmds = json_object_new_object();
	bool any = false;
	char key[16];
	int i;

	for (i = 0; i < c->nr_possible; i++) {
		struct its_cmd_counts zero = { 0 };

		if (!memcmp(&c->by_cpu[i], &zero, sizeof(zero)))
			continue;
		snprintf(key, sizeof(key), "%d", i);
		json_object_object_add(cmds, key, counts_json(&c->by_cpu[i]));
		any = true;
	}
	if (any)
		json_object_object_add(s, "expected_commands_by_cpu", cmds);
	else
		json_object_put(cmds);
	for (i = 0; i < c->nr_possible && !c->ops_by_cpu[i]; i++)
		;
	if (i < c->nr_possible)
		json_object_object_add(s, "ops_by_cpu",
				       bench_per_cpu_json(c->ops_by_cpu, c->nr_possible));
}

static struct json_object *params_json(const struct bench_ctx *c)
{
	const struct bench_opts *o = c->o;
	struct json_object *p = json_object_new_object();
	struct json_object *a;
	char cpus[256];
	int i;

	if (o->ops)
		json_object_object_add(p, "ops", json_object_new_uint64(o->ops));
	if (o->duration_ns || !o->ops)
		json_object_object_add(
			p, "duration_s",
			json_object_new_double(
				c->stop_at ? (double)(c->stop_at - c->t_start) / 1e9 : 0));
	json_object_object_add(p, "timeout_s",
			       json_object_new_double((double)(c->cap_at - c->t_start) / 1e9));
	json_object_object_add(p, "rate", json_object_new_double(o->rate));
	bench_cpus_string(c, cpus, sizeof(cpus));
	json_object_object_add(p, "cpus", json_object_new_string(cpus));
	if (o->nr_devices) {
		a = json_object_new_array();
		for (i = 0; i < o->nr_devices; i++)
			json_object_array_add(a, json_object_new_string(o->devices[i]));
		json_object_object_add(p, "devices", a);
	}
	if (o->all_devices)
		json_object_object_add(p, "devices", json_object_new_string("all"));
	if (o->force)
		json_object_object_add(p, "force", json_object_new_boolean(true));
	if (c->w->opts & BOPT_JOBS)
		json_object_object_add(p, "jobs", json_object_new_int(o->jobs));
	if (o->vectors)
		json_object_object_add(p, "vectors", json_object_new_int(o->vectors));
	return p;
}

static void build_summary(struct bench_ctx *c, int ret)
{
	struct bench_result *r = c->res;
	struct json_object *s = json_object_new_object();
	struct json_object *ph = json_object_new_object();
	struct json_object *lat = json_object_new_object();
	struct json_object *unc;
	uint64_t end = c->t_end ? c->t_end : now_ns();
	int i, t;

	r->ops = c->done;
	r->duration_s = c->t_start ? (double)(end - c->t_start) / 1e9 : 0;
	r->partial = ret != EXIT_OK || !c->stop_reason || !strcmp(c->stop_reason, "signal") ||
		     !strcmp(c->stop_reason, "timeout") || c->abort;
	memset(&r->total, 0, sizeof(r->total));
	memset(&r->total_max, 0, sizeof(r->total_max));
	for (i = 0; i < NR_BENCH_PHASES; i++) {
		for (t = 0; t < NR_ITS_CMDS; t++) {
			r->total.n[t] += r->expected[i].n[t];
			r->total_max.n[t] += r->expected[i].n[t] + r->extra[i].n[t];
		}
	}

	json_object_object_add(s, "workload", json_object_new_string(c->w->name));
	json_object_object_add(s, "version", json_object_new_string(ITSPERF_VERSION));
	json_object_object_add(s, "ok", json_object_new_boolean(ret == EXIT_OK));
	json_object_object_add(s, "partial", json_object_new_boolean(r->partial));
	json_object_object_add(s, "stop_reason",
			       json_object_new_string(c->stop_reason ? c->stop_reason : "error"));
	json_object_object_add(s, "params", params_json(c));
	json_object_object_add(s, "op", json_object_new_string(c->w->op));
	json_object_object_add(s, "ops", json_object_new_uint64(r->ops));
	json_object_object_add(s, "duration_s", json_object_new_double(r->duration_s));
	json_object_object_add(
		s, "rate_achieved",
		json_object_new_double(r->duration_s > 0 ? (double)r->ops / r->duration_s : 0));
	json_object_object_add(s, "expected_commands", counts_json(&r->total));
	json_object_object_add(s, "expected_commands_max", counts_json(&r->total_max));
	for (i = 0; i < NR_BENCH_PHASES; i++)
		json_object_object_add(ph, phase_names[i], counts_json(&r->expected[i]));
	json_object_object_add(s, "expected_commands_by_phase", ph);
	unc = json_object_new_object();
	json_object_object_foreach(c->uncertain, k0, v0)
	{
		struct json_object *u = json_object_new_object();
		int ct = its_cmd_parse(k0);

		json_object_object_add(
			u, "max_extra",
			json_object_new_uint64(ct >= 0 ? r->total_max.n[ct] - r->total.n[ct] : 0));
		json_object_object_add(u, "why", json_object_get(v0));
		json_object_object_add(unc, k0, u);
	}
	json_object_object_add(s, "uncertain_commands", unc);
	by_cpu_json(c, s);
	json_object_object_add(s, "report", json_object_get(c->lines));
	for (i = 0; i < r->nr_metrics; i++)
		json_object_object_add(lat, r->metrics[i].name, bench_metric_json(&r->metrics[i]));
	json_object_object_add(s, "latency", lat);
	json_object_object_add(s, "nr_errors", json_object_new_uint64(c->nr_errors));
	json_object_object_add(s, "errors", json_object_get(c->errors));
	json_object_object_add(s, "skipped", json_object_get(c->skipped));
	json_object_object_add(s, "notes", json_object_get(c->notes));
	json_object_object_foreach(c->extra, k, v) json_object_object_add(s, k, json_object_get(v));
	r->summary = s;
}

static void print_counts(FILE *f, const char *title, const struct its_cmd_counts *cnt)
{
	bool any = false;
	int i;

	fprintf(f, "%s", title);
	for (i = 0; i < NR_ITS_CMDS; i++) {
		if (!cnt->n[i])
			continue;
		fprintf(f, " %s=%llu", its_cmd_name(i), (unsigned long long)cnt->n[i]);
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : " none");
}

static void print_summary(FILE *f, struct bench_ctx *c)
{
	struct bench_result *r = c->res;
	struct json_object *v;
	size_t i, n;

	fprintf(f, "bench %s: %llu %s%s in %.3f s, %.1f/s, stop: %s%s\n", c->w->name,
		(unsigned long long)r->ops, c->w->op, r->ops == 1 ? "" : "s", r->duration_s,
		r->duration_s > 0 ? (double)r->ops / r->duration_s : 0.0,
		c->stop_reason ? c->stop_reason : "error", r->partial ? " (partial)" : "");
	n = json_object_array_length(c->lines);
	for (i = 0; i < n; i++)
		fprintf(f, "  %s\n",
			json_object_get_string(json_object_array_get_idx(c->lines, i)));
	print_counts(f, "  expected ITS commands:", &r->total);
	for (i = 0; i < NR_BENCH_PHASES; i++) {
		char title[32];

		snprintf(title, sizeof(title), "    %s:", phase_names[i]);
		print_counts(f, title, &r->expected[i]);
	}
	for (i = 0; i < (size_t)c->nr_possible; i++) {
		struct its_cmd_counts zero = { 0 };
		char title[64];

		if (!c->ops_by_cpu[i] && !memcmp(&c->by_cpu[i], &zero, sizeof(zero)))
			continue;
		snprintf(title, sizeof(title), "  CPU %zu: %llu ops, commands sent there:", i,
			 (unsigned long long)c->ops_by_cpu[i]);
		print_counts(f, title, &c->by_cpu[i]);
	}
	if (memcmp(&r->total, &r->total_max, sizeof(r->total))) {
		print_counts(f, "  at most:", &r->total_max);
		json_object_object_foreach(c->uncertain, k0, v0)
			fprintf(f, "    %s may exceed: %s\n", k0, json_object_get_string(v0));
	}
	for (i = 0; i < (size_t)r->nr_metrics; i++) {
		struct bench_metric *m = &r->metrics[i];

		if (!m->hist.count)
			continue;
		/* bench_metric_json() sorted the samples */
		fprintf(f, "  %s (%s): n=%llu min=%llu p50=%.0f p90=%.0f p99=%.0f max=%llu\n",
			m->name, m->unit, (unsigned long long)m->hist.count,
			(unsigned long long)m->hist.min, quantile(m->samples, m->nr_samples, 0.5),
			quantile(m->samples, m->nr_samples, 0.9),
			quantile(m->samples, m->nr_samples, 0.99), (unsigned long long)m->hist.max);
	}
	n = json_object_array_length(c->skipped);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(c->skipped, i);
		fprintf(f, "  skipped %s: %s\n",
			json_object_get_string(json_object_object_get(v, "item")),
			json_object_get_string(json_object_object_get(v, "reason")));
	}
	n = json_object_array_length(c->notes);
	for (i = 0; i < n; i++)
		fprintf(f, "  note: %s\n",
			json_object_get_string(json_object_array_get_idx(c->notes, i)));
	fprintf(f, "  errors: %llu\n", (unsigned long long)c->nr_errors);
	n = json_object_array_length(c->errors);
	for (i = 0; i < n && i < 10; i++)
		fprintf(f, "    %s\n",
			json_object_get_string(json_object_array_get_idx(c->errors, i)));
}

static int write_json(const char *path, struct json_object *s)
{
	const char *text = json_object_to_json_string_ext(
		s, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *buf = xasprintf("%s\n", text);
	int ret;

	if (!strcmp(path, "-")) {
		fputs(buf, stdout);
		ret = 0;
	} else {
		ret = write_file_atomic(path, buf, strlen(buf));
		if (ret)
			err_msg("bench: cannot write %s: %s", path, strerror(errno));
	}
	free(buf);
	return ret;
}

void bench_result_free(struct bench_result *res)
{
	int i;

	for (i = 0; i < res->nr_metrics; i++)
		bench_metric_free(&res->metrics[i]);
	json_object_put(res->summary);
	memset(res, 0, sizeof(*res));
}

int bench_workload_run_ex(const char *name, const struct bench_opts *o, struct bench_result *res)
{
	const struct bench_workload *w = workload_find(name);
	struct bench_ctx c;
	int ret;

	memset(res, 0, sizeof(*res));
	if (!w) {
		err_msg("bench: unknown workload '%s'", name);
		return EXIT_USAGE;
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.w = w;
	c.res = res;
	ctx_resolve_cpus(&c, &ret);
	if (ret)
		return ret;
	pthread_mutex_init(&c.lock, NULL);
	c.by_cpu = xcalloc(c.nr_possible + 1, sizeof(*c.by_cpu));
	c.ops_by_cpu = xcalloc(c.nr_possible + 1, sizeof(uint64_t));
	c.skipped = json_object_new_array();
	c.errors = json_object_new_array();
	c.notes = json_object_new_array();
	c.extra = json_object_new_object();
	c.uncertain = json_object_new_object();
	c.lines = json_object_new_array();
	install_stop_handlers();

	ret = w->run(&c);

	if (!c.t_end && c.t_start)
		bench_end(&c);
	build_summary(&c, ret);
	/* a usage error before anything ran: the error message says it all */
	if (!o->quiet && !o->list_only && !(ret == EXIT_USAGE && !c.t_start))
		print_summary(stdout, &c);
	if (o->json_path && write_json(o->json_path, res->summary) && ret == EXIT_OK)
		ret = EXIT_FAIL;
	json_object_put(c.skipped);
	json_object_put(c.errors);
	json_object_put(c.notes);
	json_object_put(c.extra);
	json_object_put(c.uncertain);
	json_object_put(c.lines);
	free(c.by_cpu);
	free(c.ops_by_cpu);
	pthread_mutex_destroy(&c.lock);
	return ret;
}

int bench_workload_run(const char *name, const struct bench_opts *o, struct json_object **summary)
{
	struct bench_result res;
	int ret;

	ret = bench_workload_run_ex(name, o, &res);
	if (summary) {
		*summary = res.summary;
		res.summary = NULL;
	}
	bench_result_free(&res);
	return ret;
}

void bench_list(FILE *f)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(workloads); i++)
		fprintf(f, "%-9s %s (%s)\n", workloads[i]->name, workloads[i]->help,
			workloads[i]->cmds);
}

void bench_run_threads(struct bench_ctx *c, void *(*fn)(void *), void *workers, size_t size, int nr)
{
	pthread_t *tid = xcalloc(nr, sizeof(*tid));
	int started;

	for (started = 0; started < nr; started++) {
		if (pthread_create(&tid[started], NULL, fn, (char *)workers + started * size)) {
			bench_error(c, "starting thread %d: %s", started, strerror(errno));
			bench_abort(c, "error");
			break;
		}
	}
	while (started--)
		pthread_join(tid[started], NULL);
	free(tid);
}
