// SPDX-License-Identifier: GPL-2.0
/*
 * gen_runs: writes synthetic result runs through the real writer, for the
 * analysis tests and benchmarks until reference runs recorded on the
 * emulated host exist (and to inject known shifts into them).
 *
 *   gen_runs [options] DIR LABEL NRUNS
 *     -n SAMPLES   samples per latency metric and run (default 2000)
 *     -s SHIFT     relative shift of every latency (0.10 = 10% slower) and
 *                  the opposite on throughput (default 0)
 *     -c CV        between-run coefficient of variation (default 0.02)
 *     -r RATE      offered rate (meta.offered_rate); throughput saturates at -k
 *     -k CAP       capacity in cmd/s (default 50000)
 *     -w NAME=V    a swept variable (meta.sweep); latencies grow with V/16
 *     -S SEED      random seed (default 1)
 *     -H           histograms only, no raw samples
 *     -m METRIC    only this latency metric (repeatable); default: the usual set
 *     -p           mark the runs partial
 *     -E EL2_NS    also MOVI's parts (queue_wait, build_post, completion_wait)
 *                  and, if EL2_NS > 0, an EL2 commit of that median nested in
 *                  build_post (total and build_post grow by it)
 *     -u RUN       run RUN's kernel health shows an ITS queue timeout (the
 *                  others get a clean health section)
 *
 * The names are the metric table's (result/metrics.c): the per-command
 * totals and two of their parts, the its->lock hold, the null hvc round
 * trip, the deprivilege window, the affinity workload's throughput (one
 * MOVI per operation) and the MOVI count.
 *
 * Runs go to DIR/run-<i>. Latencies are lognormal (sigma 0.25) with a 2%
 * tail five times slower; each run has its own scale factor ~ N(1, CV),
 * which is what makes runs, not samples, the independent observations.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <json-c/json.h>

#include "result/result.h"
#include "lib/util.h"

struct lat {
	const char *name;
	const char *area;
	double median_ns;
};

static const struct lat lats[] = {
	{ "cmd_latency.total.MAPD", "cmd_latency", 9000 },
	{ "cmd_latency.total.MAPTI", "cmd_latency", 7000 },
	{ "cmd_latency.total.MOVI", "cmd_latency", 6000 },
	{ "cmd_latency.total.INV", "cmd_latency", 5000 },
	{ "cmd_latency.total.DISCARD", "cmd_latency", 5500 },
	{ "cmd_latency.completion_wait.DISCARD", "cmd_latency", 3000 },
	{ "cmd_latency.locked.MOVI", "cmd_latency", 2500 },
	{ "lock_hold.its_node", "lock_hold", 40000 },
	{ "hvc.hvc.hvc_roundtrip", "hvc_path", 2600 },
	{ "deprivilege.total", "deprivilege_window", 4000000 },
};

/* MOVI's parts for -E; total.MOVI (6000) = these + 500 of other */
static const struct lat movi_parts[] = {
	{ "cmd_latency.queue_wait.MOVI", "cmd_latency", 500 },
	{ "cmd_latency.build_post.MOVI", "cmd_latency", 1500 },
	{ "cmd_latency.completion_wait.MOVI", "cmd_latency", 3500 },
	{ "cmd_latency.el2.MOVI", "cmd_latency", 0 },
};

static struct json_object *health(bool timeout)
{
	struct json_object *o = json_object_new_object();
	struct json_object *w = json_object_new_array();

	json_object_object_add(o, "ok", json_object_new_boolean(!timeout));
	json_object_object_add(o, "its_queue_timeouts", json_object_new_int(timeout));
	json_object_object_add(o, "warn", json_object_new_int(0));
	if (timeout)
		json_object_array_add(w, json_object_new_string("ITS queue timeout (65 0)"));
	json_object_object_add(o, "warnings", w);
	return o;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gen_runs [-n SAMPLES] [-s SHIFT] [-c CV] [-r RATE] [-k CAP] [-w NAME=V] "
		"[-S SEED] [-H] [-m METRIC] [-p] [-E EL2_NS] [-u RUN] DIR LABEL NRUNS\n");
	exit(2);
}

static double parse_d(const char *s)
{
	double v;

	if (parse_double(s, &v))
		usage();
	return v;
}

static bool selected(const char *name, const char **only, int nr_only)
{
	int i;

	if (!nr_only)
		return true;
	for (i = 0; i < nr_only; i++)
		if (!strcmp(only[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *only[16];
	const char *sweep_name = NULL;
	double sweep_val = 0;
	double shift = 0;
	double cv = 0.02;
	double rate = 0;
	double cap = 50000;
	unsigned long seed = 1;
	uint64_t nsamples = 2000;
	bool hist_only = false;
	bool partial = false;
	double el2 = -1;
	int unhealthy = 0;
	int nr_only = 0;
	uint64_t nruns;
	gsl_rng *rng;
	size_t i;
	int c;
	int r;

	while ((c = getopt(argc, argv, "n:s:c:r:k:w:S:Hm:pE:u:")) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, &nsamples))
				usage();
			break;
		case 's':
			shift = parse_d(optarg);
			break;
		case 'c':
			cv = parse_d(optarg);
			break;
		case 'r':
			rate = parse_d(optarg);
			break;
		case 'k':
			cap = parse_d(optarg);
			break;
		case 'w': {
			char *eq = strchr(optarg, '=');

			if (!eq)
				usage();
			*eq = '\0';
			sweep_name = optarg;
			sweep_val = parse_d(eq + 1);
			break;
		}
		case 'S':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'H':
			hist_only = true;
			break;
		case 'm':
			if (nr_only < 16)
				only[nr_only++] = optarg;
			break;
		case 'p':
			partial = true;
			break;
		case 'E':
			el2 = parse_d(optarg);
			break;
		case 'u':
			unhealthy = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || parse_u64(argv[optind + 2], &nruns))
		usage();
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	for (r = 1; r <= (int)nruns; r++) {
		struct run_meta meta = { 0 };
		uint64_t *samples = xmalloc(nsamples * sizeof(*samples));
		double factor = 1 + gsl_ran_gaussian(rng, cv);
		/* queueing: latency grows as the offered load nears capacity */
		double rho = rate > 0 ? fmin(rate / cap, 0.95) : 0;
		double load = 1 / (1 - rho) * (sweep_name ? 1 + sweep_val / 16 : 1);
		struct result_run *run;
		struct metric_desc d;
		char *dir;

		snprintf(meta.label, sizeof(meta.label), "%s", argv[optind + 1]);
		snprintf(meta.kernel_release, sizeof(meta.kernel_release), "6.12.117+deb12-arm64");
		snprintf(meta.pkvm_mode, sizeof(meta.pkvm_mode), "protected-hvhe");
		snprintf(meta.cpu_model, sizeof(meta.cpu_model), "synthetic");
		snprintf(meta.suite, sizeof(meta.suite), "synthetic");
		meta.gic_version = 3;
		meta.its_count = 1;
		meta.nr_cpus = 2;
		meta.emulated = true;
		meta.run_index = r;
		meta.offered_rate = rate;
		meta.duration_s = 1;
		if (sweep_name)
			run_meta_set_sweep(&meta, sweep_name, sweep_val);
		dir = xasprintf("%s/run-%d", argv[optind], r);
		run = result_run_begin(dir, &meta);
		if (!run)
			return 1;
		for (i = 0; i < ARRAY_SIZE(lats) + (el2 >= 0 ? ARRAY_SIZE(movi_parts) : 0); i++) {
			const struct lat *l = i < ARRAY_SIZE(lats) ? &lats[i] :
								     &movi_parts[i - ARRAY_SIZE(lats)];
			double base = l->median_ns;
			double med;
			struct hist h;
			uint64_t k;

			if (el2 >= 0 && (!strcmp(l->name, "cmd_latency.total.MOVI") ||
					 strstr(l->name, ".build_post.") || strstr(l->name, ".el2.")))
				base += el2;
			med = base * factor * (1 + shift) * load;
			if (!selected(l->name, only, nr_only) || !(med > 0))
				continue;
			hist_init(&h, HIST_LOG2, 64, 0);
			for (k = 0; k < nsamples; k++) {
				double v = med * exp(gsl_ran_gaussian(rng, 0.25));

				if (gsl_rng_uniform(rng) < 0.02)
					v *= 5;
				samples[k] = (uint64_t)v;
				hist_add(&h, samples[k]);
			}
			d = (struct metric_desc){ .name = l->name,
						  .area = l->area,
						  .unit = "ns",
						  .kind = METRIC_LATENCY,
						  .source = "synthetic",
						  .desc = "gen_runs lognormal" };
			if (result_add_metric(run, &d, &h, hist_only ? NULL : samples,
					      hist_only ? 0 : nsamples))
				return 1;
			hist_free(&h);
		}
		if (!nr_only) {
			/* a slower run completes fewer commands: the same factor, inverted */
			double achieved =
				(rate > 0 ? fmin(rate, cap) : cap) / (factor * (1 + shift));

			d = (struct metric_desc){ .name = "throughput.affinity",
						  .area = "throughput",
						  .unit = "op/s",
						  .kind = METRIC_THROUGHPUT,
						  .source = "synthetic" };
			if (result_add_value(run, &d, achieved))
				return 1;
			d = (struct metric_desc){ .name = "cmd_latency.count.MOVI",
						  .area = "count",
						  .unit = "events",
						  .kind = METRIC_COUNT,
						  .source = "synthetic" };
			if (result_add_value(run, &d, 1000))
				return 1;
		}
		if (unhealthy && result_add_section(run, "health", health(r == unhealthy)))
			return 1;
		if (result_run_end(run, partial))
			return 1;
		free(dir);
		free(samples);
	}
	gsl_rng_free(rng);
	return 0;
}
