// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf calibrate: how much of a measured ITS command latency is the
 * probes' own cost, so that BPF and ftrace, which cost very different
 * amounts, report the same command time.
 *
 * A send span (its_send_single_command entry -> return) as measured by a
 * source X (bpf, ftrace) holds, besides the command's own time:
 *   nested    X's probe pairs on its_allocate_entry and
 *             its_wait_for_range_completion, entry and return, whole;
 *   outer     the part of X's own entry probe after its timestamp and of
 *             its exit probe before it;
 *   others    whatever another source attached to the same functions
 *             (ftrace's span holds BPF's fentry/fexit trampolines whole:
 *             a kprobe fires before the fentry call site, a kretprobe
 *             after fexit).
 * Each is measured by leaving it out, in sub-runs of `itsperf record` on
 * the same workload (bench affinity: one MOVI + SYNC per operation):
 *   nested_alloc = T(X) - T(X without queue_alloc)
 *   nested_wait  = T(X) - T(X without cmd_wait)
 *   outer        = T(X, cmd_send on bpf_fentry_test3, nothing else):
 *                  the same handlers around an empty function
 *                  (bench null_call), whose body is a few instructions
 *   others       = T(every collector selected) - T(X): other BPF
 *                  collectors on the same functions (bpf:lock_hold) too,
 *                  and ftrace's hist triggers: X's own sub-runs use its
 *                  bare probes (ftrace: kprobe events without triggers,
 *                  whose in-span cost around the empty function differs
 *                  from that around a send by 27 ns, 15% of a MOVI)
 * T is the median of cmd_latency.total.MOVI, from its exact samples.
 * X's own sub-runs use its bare probes, the real run's extra
 * instrumentation counting as "others": ftrace without its hist triggers
 * and without the EL2 events (their writing is EL2 time in every span),
 * BPF with the kprobe flavour of the same programs (around the empty
 * function a fentry/fexit pair costs 1.1 to 3.3 us more in the span than
 * around a send on 7.2, while a kprobe pair and ftrace's kprobe events cost
 * the same; on 6.12 all agree). The two sources' estimates of the command's
 * own time stay independent: BPF programs and kprobe events.
 * The correction subtracted from every total of X is
 *   T(all) - (T(X) - nested_alloc - nested_wait - outer)
 * It is exact under QEMU icount (instruction counts do not vary between
 * sub-runs); on the wall clock it carries the sub-runs' noise, which the
 * section states. Assumptions, stated as the bound: every send takes two
 * queue slots (MOVI + SYNC; a command without SYNC is over-corrected by
 * half of nested_alloc), the handlers cost the same around the empty
 * function as around the send (their in-span part does not depend on the
 * arguments), and bpf_fentry_test3's body (a few instructions) is counted
 * as probe cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "commands/calibrate.h"
#include "commands/commands.h"
#include "commands/session.h"
#include "lib/probes.h"
#include "lib/util.h"
#include "result/meta.h"
#include "result/result_read.h"

#define CAL_NULL_TARGET "bpf_fentry_test3"
#define CAL_DEFAULT_OPS 200
#define CAL_METRIC	"cmd_latency.total.MOVI"
#define CAL_NULL_METRIC "cmd_latency.total.OTHER"

enum cal_source { CAL_BPF, CAL_FTRACE, NR_CAL_SOURCES };

static const char *const cal_source_name[NR_CAL_SOURCES] = { "bpf", "ftrace" };
static const char *const cal_suffix[NR_CAL_SOURCES] = { "", ":ftrace" };

struct cal_ctx {
	char exe[4096];
	const char *work_dir;
	uint64_t ops;
	char events[NR_CAL_SOURCES][512]; /* "" when the source is not selected */
	char all[1024];
	bool bpf_kprobe; /* BPF's own sub-runs with the kprobe flavour */
};

struct cal_source_result {
	double only, no_alloc, no_wait, outer, full;
	double nested_alloc, nested_wait, bare, correction;
	const char *bare_mechanism;
};

static int self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n < 0) {
		err_msg("calibrate: /proc/self/exe: %s", strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* `itsperf record --no-calibrate -e EVENTS -o DIR -- itsperf bench WORKLOAD --ops N` */
static int sub_record(const struct cal_ctx *c, const char *name, const char *events,
		      const char *override, const char *workload, char *dir, size_t len)
{
	char ops[32], log[4200];
	pid_t pid;
	int st;

	snprintf(dir, len, "%s/%s", c->work_dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", c->work_dir, name);
	snprintf(ops, sizeof(ops), "%llu", (unsigned long long)c->ops);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_msg("calibrate: fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		setenv(PROBE_OVERRIDE_ENV, override, 1);
		/* a source's own sub-runs: its bare probes (see the top of this file) */
		if (strcmp(name, "all")) {
			setenv("ITSPERF_FTRACE_NO_TRIGGERS", "1", 1);
			setenv("ITSPERF_FTRACE_NO_HYP", "1", 1);
			if (c->bpf_kprobe)
				setenv("ITSPERF_BPF_NO_FENTRY", "1", 1);
		}
		/* -r: raw samples, as the corrected run has them (their cost is in spans) */
		execl(c->exe, c->exe, "record", "--no-calibrate", "-r", "-e", events, "-o", dir,
		      "--", c->exe, "bench", workload, "--ops", ops, "--quiet", (char *)NULL);
		_exit(127);
	}
	/* SIGINT/SIGTERM: the sub-run is stopped too, and restores the host */
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			err_msg("calibrate: waitpid: %s", strerror(errno));
			return -1;
		}
		if (itsperf_stop)
			kill(pid, SIGTERM);
	}
	if (itsperf_stop) {
		err_msg("calibrate: interrupted in sub-run %s", name);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		err_msg("calibrate: sub-run %s failed (see %s)", name, log);
		return -1;
	}
	return 0;
}

/*
 * Median of metric in run dir, from its exact samples (the mean if it has
 * none); -1 if absent. Medians: a tail (an interrupt inside a send) moves
 * a mean by more than the command's own time.
 */
static double metric_median(const char *dir, const char *metric)
{
	const struct result_metric *m;
	struct result_data *d;
	char err[512];
	double v = -1;

	d = result_read(dir, RESULT_READ_QUIET | RESULT_READ_SAMPLES, err, sizeof(err));
	if (!d) {
		err_msg("calibrate: %s", err);
		return -1;
	}
	m = result_find_metric(d, metric);
	if (m && m->nr_samples)
		v = quantile_sorted_u64(m->samples, m->nr_samples, 0.5);
	else if (m && m->has_hist && m->hist.count)
		v = m->hist.sum / (double)m->hist.count;
	else
		err_msg("calibrate: %s has no %s", dir, metric);
	result_free(d);
	return v;
}

static double sub_median(const struct cal_ctx *c, const char *name, const char *events,
			 const char *override, const char *workload, const char *metric)
{
	char dir[4200];

	if (sub_record(c, name, events, override, workload, dir, sizeof(dir)))
		return -1;
	return metric_median(dir, metric);
}

static int calibrate_source(const struct cal_ctx *c, enum cal_source x, struct cal_source_result *r)
{
	const char *sfx = cal_suffix[x];
	const char *src = cal_source_name[x];
	const char *ev = c->events[x];
	char name[64], metric[128], null_metric[128];

	snprintf(metric, sizeof(metric), "%s%s", CAL_METRIC, sfx);
	snprintf(null_metric, sizeof(null_metric), "%s%s", CAL_NULL_METRIC, sfx);
	snprintf(name, sizeof(name), "%s-only", src);
	r->only = sub_median(c, name, ev, "", "affinity", metric);
	snprintf(name, sizeof(name), "%s-no-queue_alloc", src);
	r->no_alloc = sub_median(c, name, ev, "queue_alloc=-", "affinity", metric);
	snprintf(name, sizeof(name), "%s-no-cmd_wait", src);
	r->no_wait = sub_median(c, name, ev, "cmd_wait=-", "affinity", metric);
	snprintf(name, sizeof(name), "%s-null", src);
	r->outer = sub_median(c, name, ev, "cmd_send=" CAL_NULL_TARGET ",*=-", "null_call",
			      null_metric);
	if (r->only < 0 || r->no_alloc < 0 || r->no_wait < 0 || r->outer < 0)
		return -1;
	r->nested_alloc = r->only - r->no_alloc;
	r->nested_wait = r->only - r->no_wait;
	r->bare = r->only - r->nested_alloc - r->nested_wait - r->outer;
	if (r->bare < 0) {
		err_msg("calibrate: %s: the probes' cost (%.0f ns) exceeds the measured total "
			"(%.0f ns): noisy clock?",
			src, r->only - r->bare, r->only);
		return -1;
	}
	return 0;
}

static struct json_object *source_json(const struct cal_source_result *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "correction_ns", json_object_new_double(r->correction));
	json_object_object_add(o, "bare_mechanism", json_object_new_string(r->bare_mechanism));
	json_object_object_add(o, "total_alone_ns", json_object_new_double(r->only));
	json_object_object_add(o, "total_all_sources_ns", json_object_new_double(r->full));
	json_object_object_add(o, "others_ns", json_object_new_double(r->full - r->only));
	json_object_object_add(o, "nested_queue_alloc_ns", json_object_new_double(r->nested_alloc));
	json_object_object_add(o, "nested_cmd_wait_ns", json_object_new_double(r->nested_wait));
	json_object_object_add(o, "outer_ns", json_object_new_double(r->outer));
	json_object_object_add(o, "command_ns", json_object_new_double(r->bare));
	return o;
}

static int select_sources(struct cal_ctx *c, const struct session *s)
{
	int i;

	for (i = 0; i < s->nr; i++) {
		const char *n = s->cs[i]->name;
		char *dst = NULL;

		/* other BPF collectors on the send are "others", measured in context */
		if (!strcmp(n, "bpf:cmd_latency"))
			dst = c->events[CAL_BPF];
		else if (!strcmp(n, "ftrace"))
			dst = c->events[CAL_FTRACE];
		if (dst)
			snprintf(dst + strlen(dst), sizeof(c->events[0]) - strlen(dst), "%s%s",
				 *dst ? "," : "", n);
		snprintf(c->all + strlen(c->all), sizeof(c->all) - strlen(c->all), "%s%s",
			 i ? "," : "", n);
	}
	return c->events[CAL_BPF][0] || c->events[CAL_FTRACE][0] ? 0 : -1;
}

/*
 * X's estimate of the command's own time, with its bare probes. BPF's
 * with the kprobe flavour: around the empty function, a fentry/fexit pair
 * costs 1.1 to 3.3 us more in the span than around a send on 7.2 (not on
 * 6.12), a kprobe pair and ftrace's kprobe events do not; fentry if there
 * are no kprobes.
 */
static int calibrate_bare(struct cal_ctx *c, enum cal_source x, struct cal_source_result *r)
{
	int err;

	c->bpf_kprobe = x == CAL_BPF;
	r->bare_mechanism = c->bpf_kprobe ? "kprobe" : "kprobe_event";
	err = calibrate_source(c, x, r);
	if (err && c->bpf_kprobe) {
		warn_msg("calibrate: bpf with kprobes failed: with fentry");
		c->bpf_kprobe = false;
		r->bare_mechanism = "fentry";
		err = calibrate_source(c, x, r);
	}
	c->bpf_kprobe = false;
	return err;
}

/*
 * Every collector side by side, as the real run has them (the sources'
 * own sub-runs use their bare probes): each source's total there.
 */
static int measure_all(const struct cal_ctx *c, struct cal_source_result *res)
{
	char metric[128];
	char dir[4200];
	int x;

	if (sub_record(c, "all", c->all, "", "affinity", dir, sizeof(dir)))
		return -1;
	for (x = 0; x < NR_CAL_SOURCES; x++) {
		if (!c->events[x][0])
			continue;
		snprintf(metric, sizeof(metric), "%s%s", CAL_METRIC, cal_suffix[x]);
		res[x].full = metric_median(dir, metric);
		if (res[x].full < 0)
			return -1;
	}
	return 0;
}

struct json_object *calibrate_session(const struct session *s, uint64_t ops, const char *work_dir,
				      struct probe_cost_correction *corr)
{
	struct cal_source_result res[NR_CAL_SOURCES] = { 0 };
	struct json_object *o, *srcs;
	struct cal_ctx c = { 0 };
	int x;

	memset(corr, 0, sizeof(*corr));
	c.work_dir = work_dir;
	c.ops = ops ? ops : CAL_DEFAULT_OPS;
	if (select_sources(&c, s)) {
		err_msg("calibrate: neither bpf:cmd_latency nor ftrace selected: nothing to correct");
		return NULL;
	}
	if (self_exe(c.exe, sizeof(c.exe)) || mkdir_p(work_dir, 0755))
		return NULL;
	for (x = 0; x < NR_CAL_SOURCES; x++)
		if (c.events[x][0] && calibrate_bare(&c, x, &res[x]))
			return NULL;
	if (measure_all(&c, res))
		return NULL;
	o = json_object_new_object();
	srcs = json_object_new_object();
	for (x = 0; x < NR_CAL_SOURCES; x++) {
		if (!c.events[x][0])
			continue;
		res[x].correction = res[x].full - res[x].bare;
		json_object_object_add(srcs, cal_source_name[x], source_json(&res[x]));
	}
	corr->valid = true;
	corr->bpf_ns = res[CAL_BPF].correction;
	corr->ftrace_ns = res[CAL_FTRACE].correction;
	json_object_object_add(o, "sources", srcs);
	json_object_object_add(
		o, "workload",
		json_object_new_string("itsperf bench affinity (MOVI + SYNC per op)"));
	json_object_object_add(o, "ops", json_object_new_uint64(c.ops));
	json_object_object_add(o, "null_function", json_object_new_string(CAL_NULL_TARGET));
	json_object_object_add(o, "events", json_object_new_string(c.all));
	json_object_object_add(o, "work_dir", json_object_new_string(work_dir));
	json_object_object_add(
		o, "bound",
		json_object_new_string(
			"exact under QEMU icount up to: the empty function's body (a few "
			"instructions) counted as probe cost; sends with one queue slot (no SYNC) "
			"over-corrected by half of nested_queue_alloc_ns; on the wall clock, "
			"the sub-runs' noise"));
	return o;
}

int calibrate_load(const char *path, struct probe_cost_correction *corr,
		   struct json_object **section)
{
	struct json_object *o = json_object_from_file(path);
	struct json_object *srcs, *src, *v;
	int x;

	memset(corr, 0, sizeof(*corr));
	if (!o || !json_object_object_get_ex(o, "sources", &srcs)) {
		err_msg("%s: not a calibration (itsperf calibrate -o FILE)", path);
		json_object_put(o);
		return -1;
	}
	for (x = 0; x < NR_CAL_SOURCES; x++) {
		double *dst = x == CAL_BPF ? &corr->bpf_ns : &corr->ftrace_ns;

		if (!json_object_object_get_ex(srcs, cal_source_name[x], &src))
			continue;
		if (!json_object_object_get_ex(src, "correction_ns", &v)) {
			err_msg("%s: sources.%s has no correction_ns", path, cal_source_name[x]);
			json_object_put(o);
			return -1;
		}
		*dst = json_object_get_double(v);
	}
	corr->valid = true;
	*section = o;
	return 0;
}

int calibrate_before(struct session *s, bool off, const char *file, uint64_t ops,
		     const char *work_dir, struct json_object **section)
{
	struct probe_cost_correction *cost = &s->copts.cost;

	*section = NULL;
	if (file)
		return calibrate_load(file, cost, section);
	if (off || !session_has_cmd_latency(s))
		return 0;
	info_msg("calibrating the probes' cost (sub-runs in %s)", work_dir);
	*section = calibrate_session(s, ops, work_dir, cost);
	if (!*section) {
		warn_msg(
			"probe-cost calibration failed: cmd_latency totals include the probes' cost");
		return 0;
	}
	calibrate_print(stderr, *section);
	rm_rf(work_dir);
	return 0;
}

static void print_source(FILE *f, const char *name, struct json_object *src)
{
	static const char *const keys[] = {
		"total_all_sources_ns", "total_alone_ns", "others_ns",	"nested_queue_alloc_ns",
		"nested_cmd_wait_ns",	"outer_ns",	  "command_ns", "correction_ns",
	};
	struct json_object *v;
	size_t i;

	fprintf(f, "  %s:\n", name);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (json_object_object_get_ex(src, keys[i], &v))
			fprintf(f, "    %-24s %10.1f\n", keys[i], json_object_get_double(v));
}

void calibrate_print(FILE *f, struct json_object *cal)
{
	struct json_object *srcs;

	if (!json_object_object_get_ex(cal, "sources", &srcs))
		return;
	struct run_meta m = { 0 };
	char clk[64];

	run_meta_from_host(&m);
	fprintf(f, "probe-cost calibration of %s (medians, ns, clock: %s):\n", CAL_METRIC,
		run_clock_str(&m, clk, sizeof(clk)));
	json_object_object_foreach(srcs, name, src) print_source(f, name, src);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf calibrate -e EVENTS [--ops N] [-o FILE] [--work-dir DIR]\n"
		"\n"
		"How much of cmd_latency.total is the probes' own cost, per source (bpf,\n"
		"ftrace), for the collectors EVENTS selects: sub-runs of itsperf record on\n"
		"bench affinity and bench null_call, each leaving one probe group out.\n"
		"itsperf record does this itself before it records (--calibration FILE\n"
		"reuses a file written here, --no-calibrate skips it).\n"
		"\n"
		"  -e, --events LIST    as for itsperf record\n"
		"      --ops N          operations per sub-run (default %d)\n"
		"  -o, --output FILE    write the calibration as JSON\n"
		"      --work-dir DIR   the sub-runs (default itsperf-calibrate-<pid>)\n",
		CAL_DEFAULT_OPS);
}

int cmd_calibrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "ops", required_argument, NULL, 'N' },
		{ "output", required_argument, NULL, 'o' },
		{ "work-dir", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_cost_correction corr;
	const char *events = NULL;
	const char *out = NULL;
	struct session s = { 0 };
	char wd[64], *work = NULL;
	struct json_object *cal;
	uint64_t ops = 0;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "e:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			events = optarg;
			break;
		case 'N':
			if (parse_u64(optarg, &ops) || !ops) {
				err_msg("--ops: bad number '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'w':
			work = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!events || optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (session_select(&s, events, false))
		return EXIT_USAGE;
	install_stop_handlers();
	if (!work) {
		snprintf(wd, sizeof(wd), "itsperf-calibrate-%d", (int)getpid());
		work = wd;
	}
	cal = calibrate_session(&s, ops, work, &corr);
	if (!cal)
		return EXIT_FAIL;
	calibrate_print(stdout, cal);
	if (out && json_object_to_file_ext(out, cal, JSON_C_TO_STRING_PRETTY)) {
		err_msg("%s: %s", out, strerror(errno));
		json_object_put(cal);
		return EXIT_FAIL;
	}
	json_object_put(cal);
	return EXIT_OK;
}
