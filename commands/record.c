// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf record: run collectors (-e bpf:..., ftrace) around a command or
 * for a duration and store one result run.
 *
 * Collectors come from the registry (lib/collector.h), so anything that
 * registers itself (bpf/, trace/) can be named with -e. A collector that
 * cannot attach a probe says so per probe and the others go on; one that
 * cannot measure anything is reported and skipped. SIGINT/SIGTERM stop the
 * recording, the command gets the signal, and what was measured is kept in
 * a run marked partial.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
#include "host/counters.h"

/* what "-e bpf" means: every bpf: collector but the self-test */
struct rec {
	struct session s; /* the collectors: commands/session.h */
	bool dry_run;	  /* --dry-run: print the collectors -e selects */
	const char *out;
	const char *label;
	uint64_t duration_ns;
	bool raw;
	char **argv;	/* command, NULL: duration or until SIGINT */
	int cmd_status; /* forwarded exit status */
	bool partial;
	uint64_t t_start, t_stop, wall_start;
	struct counters perf; /* cycles (EL2 share), switches, faults over the command */
	bool perf_on;
	/* COMMAND is itsperf bench: its JSON summary has the workload's own counts */
	const char *bench_json;
	char **argv_alloc; /* COMMAND with a temporary --json added */
	char *json_tmp;	   /* that temporary file, removed at the end */
	/* probe-cost calibration (commands/calibrate.c) */
	bool no_calibrate;	 /* --no-calibrate: totals as measured */
	const char *cal_file;	 /* --calibration FILE: reuse one */
	uint64_t cal_ops;	 /* --calibrate-ops N */
	struct json_object *cal; /* the "calibration" section */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf record -e EVENTS [-o DIR] [-l LABEL] [-r] [-d DURATION | -- COMMAND ...]\n"
		"\n"
		"  -e, --events LIST    collectors, comma separated: 'bpf' (every bpf: collector),\n"
		"                       'bpf:cmd_latency,lock_hold', 'ftrace', 'bpf,ftrace'\n"
		"  -o, --output DIR     result run directory (default itsperf-record-<time>)\n"
		"  -l, --label LABEL    run label, e.g. the patch revision (default 'record')\n"
		"  -r, --raw            keep per-event samples too (ring buffer, polled)\n"
		"  -d, --duration D     record for D (10s, 500ms, 2m) when no COMMAND is given\n"
		"      --list           list the collectors built in\n"
		"  -n, --dry-run        print the collectors -e selects and exit\n"
		"      --no-calibrate   report cmd_latency totals as measured, probe cost included\n"
		"      --calibration F  subtract the probe cost from F (itsperf calibrate -o F)\n"
		"      --calibrate-ops N  operations per calibration sub-run (default 200)\n"
		"\n"
		"With bpf:cmd_latency or ftrace selected, record first measures the probes'\n"
		"own cost in an ITS command's total (itsperf calibrate) and subtracts it:\n"
		"cmd_latency.total is the corrected time, total_raw the measured one.\n"
		"Without COMMAND or --duration, records until SIGINT. The exit status is\n"
		"COMMAND's (128+N if it died of signal N).\n");
}

static void list_collectors(void)
{
	int i;

	for (i = 0; i < collector_count(); i++) {
		struct collector *c = collector_at(i);

		printf("%-20s %s\n", c->name, c->desc ? c->desc : "");
	}
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_FAIL;
}

/* fork/exec the command and wait for it, passing SIGINT/SIGTERM on */
static int run_command(struct rec *r)
{
	uint64_t kill_at = 0;
	bool forwarded = false;
	pid_t pid, w;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_msg("fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(r->argv[0], r->argv);
		fprintf(stderr, "itsperf record: %s: %s\n", r->argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		w = waitpid(pid, &st, itsperf_stop ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			err_msg("waitpid: %s", strerror(errno));
			return -1;
		}
		if (!itsperf_stop)
			continue;
		if (!forwarded) {
			/* a terminal's Ctrl-C reached it already; a SIGTERM to us did not */
			kill(pid, itsperf_stop_signal ? itsperf_stop_signal : SIGTERM);
			forwarded = true;
			kill_at = now_ns() + 5000000000ULL;
		} else if (now_ns() > kill_at) {
			kill(pid, SIGKILL);
			kill_at = UINT64_MAX;
		}
		usleep(10000);
	}
	r->cmd_status = status_code(st);
	r->partial = forwarded;
	return 0;
}

/* COMMAND is `itsperf bench WORKLOAD ...` */
static bool bench_command(char **argv)
{
	const char *base;

	if (!argv || !argv[0] || !argv[1] || !argv[2])
		return false;
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	return !strcmp(base, "itsperf") && !strcmp(argv[1], "bench") &&
	       bench_workload_exists(argv[2]);
}

/* the --json FILE the bench command line has already, or NULL */
static const char *bench_json_arg(char **argv)
{
	int i;

	for (i = 3; argv[i]; i++) {
		if ((!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) && argv[i + 1])
			return argv[i + 1];
		if (str_starts(argv[i], "--json="))
			return argv[i] + strlen("--json=");
		if (str_starts(argv[i], "-j") && argv[i][2])
			return argv[i] + 2;
	}
	return NULL;
}

/*
 * `itsperf record -- itsperf bench W ...`: the workload says in its JSON
 * summary how many of each command it caused; record asks for one (a
 * temporary --json) unless the command line has it, so the result gets
 * counters.workload, the third source the collectors' counts are checked
 * against, as `itsperf run` results have.
 */
static void bench_json_setup(struct rec *r)
{
	int n;

	if (!bench_command(r->argv))
		return;
	r->bench_json = bench_json_arg(r->argv);
	if (r->bench_json) {
		if (!strcmp(r->bench_json, "-"))
			r->bench_json = NULL; /* on its stdout, mixed with the rest */
		return;
	}
	for (n = 0; r->argv[n]; n++)
		;
	r->argv_alloc = xcalloc(n + 3, sizeof(char *));
	memcpy(r->argv_alloc, r->argv, n * sizeof(char *));
	r->argv_alloc[n] = "--json";
	r->json_tmp = xasprintf("/tmp/itsperf-record-%d.json", (int)getpid());
	r->argv_alloc[n + 1] = r->json_tmp;
	r->argv = r->argv_alloc;
	r->bench_json = r->json_tmp;
}

static void bench_json_cleanup(struct rec *r)
{
	if (r->json_tmp)
		unlink(r->json_tmp);
	free(r->json_tmp);
	free(r->argv_alloc);
	r->json_tmp = NULL;
	r->argv_alloc = NULL;
}

/* counters.workload[_max] and workloads.W from the bench summary */
static void add_bench_counts(struct rec *r, struct result_run *res)
{
	struct json_object *counters;
	struct json_object *summary;
	struct json_object *workloads;
	struct json_object *v;

	if (!r->bench_json)
		return;
	summary = json_object_from_file(r->bench_json);
	if (!summary || !json_object_object_get_ex(summary, "expected_commands", &v)) {
		warn_msg("%s: no workload summary (%s): no workload counts to check against",
			 r->bench_json,
			 summary ? "no expected_commands" : json_util_get_last_err());
		json_object_put(summary);
		return;
	}
	counters = json_object_new_object();
	json_object_object_add(counters, "workload", json_object_get(v));
	if (json_object_object_get_ex(summary, "expected_commands_max", &v))
		json_object_object_add(counters, "workload_max", json_object_get(v));
	result_add_section(res, "counters", counters);
	workloads = json_object_new_object();
	json_object_object_add(workloads, r->argv[2], summary);
	result_add_section(res, "workloads", workloads);
}

static struct json_object *record_section(const struct rec *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *cmd = json_object_new_array();
	int i;

	for (i = 0; r->argv && r->argv[i]; i++)
		json_object_array_add(cmd, json_object_new_string(r->argv[i]));
	json_object_object_add(o, "command", cmd);
	if (r->argv)
		json_object_object_add(o, "exit_status", json_object_new_int(r->cmd_status));
	json_object_object_add(o, "duration_s",
			       json_object_new_double((r->t_stop - r->t_start) / 1e9));
	json_object_object_add(o, "stopped_by_signal",
			       json_object_new_boolean(itsperf_stop_signal != 0));
	json_object_object_add(o, "collectors", session_states_json(&r->s));
	return o;
}

static int write_result(struct rec *r)
{
	struct result_run *res;
	struct run_meta meta;
	memset(&meta, 0, sizeof(meta));
	run_meta_from_host(&meta);
	snprintf(meta.label, sizeof(meta.label), "%s", r->label);
	snprintf(meta.suite, sizeof(meta.suite), "record");
	meta.start_ns = r->wall_start;
	meta.duration_s = (r->t_stop - r->t_start) / 1e9;
	res = result_run_begin(r->out, &meta);
	if (!res) {
		err_msg("%s: cannot write the result", r->out);
		return -1;
	}
	result_add_section(res, "record", record_section(r));
	add_bench_counts(r, res);
	if (r->perf_on) {
		struct json_object *perf = json_object_new_object();

		/* one phase: the recorded command (or duration) as a whole */
		json_object_object_add(perf, "record", counters_to_json(&r->perf));
		result_add_section(res, COUNTERS_SECTION, perf);
	}
	if (r->cal)
		result_add_section(res, "calibration", json_object_get(r->cal));
	session_write(&r->s, res);
	if (result_run_end(res, r->partial)) {
		err_msg("%s: cannot finish the result", r->out);
		return -1;
	}
	info_msg("result%s: %s", r->partial ? " (partial)" : "", r->out);
	return 0;
}

static int parse_args(struct rec *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' },
		{ "duration", required_argument, NULL, 'd' },
		{ "raw", no_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'L' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-calibrate", no_argument, NULL, 'C' },
		{ "calibration", required_argument, NULL, 'c' },
		{ "calibrate-ops", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *events = NULL;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+e:o:l:d:rnh", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			events = optarg;
			break;
		case 'o':
			r->out = optarg;
			break;
		case 'l':
			r->label = optarg;
			break;
		case 'd':
			if (parse_duration_ns(optarg, &r->duration_ns) || !r->duration_ns) {
				err_msg("--duration: bad duration '%s'", optarg);
				return -1;
			}
			break;
		case 'r':
			r->raw = true;
			break;
		case 'L':
			list_collectors();
			exit(EXIT_OK);
		case 'n':
			r->dry_run = true;
			break;
		case 'C':
			r->no_calibrate = true;
			break;
		case 'c':
			r->cal_file = optarg;
			break;
		case 'O':
			if (parse_u64(optarg, &r->cal_ops) || !r->cal_ops) {
				err_msg("--calibrate-ops: bad number '%s'", optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		r->argv = argv + optind;
	if (!events) {
		err_msg("-e is required");
		usage(stderr);
		return -1;
	}
	if (r->argv && r->duration_ns) {
		err_msg("give either --duration or a COMMAND, not both");
		return -1;
	}
	return session_select(&r->s, events, false);
}

/* the probes' own cost in cmd_latency.total, subtracted by the collectors */
static int calibrate(struct rec *r)
{
	char work[4200];

	snprintf(work, sizeof(work), "%s.calibration", r->out);
	return calibrate_before(&r->s, r->no_calibrate, r->cal_file, r->cal_ops, work, &r->cal);
}

static char *default_out(void)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "itsperf-record-%Y%m%d-%H%M%S", &tm);
	return xstrdup(buf);
}

int cmd_record(int argc, char **argv)
{
	struct rec r = { .label = "record" };
	char *out_alloc = NULL;
	int running;
	int ret = EXIT_FAIL;

	if (parse_args(&r, argc, argv))
		return EXIT_USAGE;
	if (r.dry_run) {
		session_print(&r.s, stdout);
		return EXIT_OK;
	}
	if (!r.out)
		r.out = out_alloc = default_out();
	if (path_exists(r.out)) {
		err_msg("%s exists: remove it or choose another -o", r.out);
		free(out_alloc);
		return EXIT_USAGE;
	}
	install_stop_handlers();
	if (calibrate(&r)) {
		free(out_alloc);
		return EXIT_USAGE;
	}
	if (itsperf_stop) {
		err_msg("interrupted while calibrating: nothing recorded");
		json_object_put(r.cal);
		free(out_alloc);
		return EXIT_FAIL;
	}
	if (session_open(&r.s, r.raw)) {
		free(out_alloc);
		return EXIT_FAIL;
	}
	bench_json_setup(&r);
	r.wall_start = wall_ns();
	r.t_start = now_ns();
	running = session_start(&r.s);
	/* counters_open() returns how many opened: 0 is fine, "not supported" is recorded */
	if (counters_open(&r.perf, "record", NULL, 0) >= 0) {
		r.perf_on = !counters_start(&r.perf);
		if (!r.perf_on)
			counters_close(&r.perf);
	}
	if (!running) {
		err_msg("no collector could attach anything on this kernel: nothing recorded");
		r.t_stop = now_ns();
		write_result(&r);
		goto out;
	}
	if (r.argv) {
		if (run_command(&r))
			r.partial = true;
	} else if (r.duration_ns) {
		r.partial = sleep_interruptible_ns(r.duration_ns);
	} else {
		info_msg("recording until SIGINT");
		while (!sleep_interruptible_ns(3600000000000ULL))
			;
	}
	r.t_stop = now_ns();
	if (r.perf_on)
		counters_stop(&r.perf);
	session_stop(&r.s);
	if (write_result(&r))
		goto out;
	ret = r.argv ? r.cmd_status : EXIT_OK;
	/* the workload's, the BPF and the ftrace counts of the same command */
	if (r.bench_json && crosscheck_dir(r.out, stderr) && ret == EXIT_OK)
		ret = EXIT_FAIL;
out:
	bench_json_cleanup(&r);
	if (r.perf_on)
		counters_close(&r.perf);
	session_close(&r.s);
	json_object_put(r.cal);
	free(out_alloc);
	return ret;
}
