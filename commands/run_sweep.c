// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf run --sweep NAME=V1,V2,...: the variables a run can change on
 * the host it runs on (run_sweep.h says what each one means).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bench/bench.h"
#include "lib/interrupts.h"
#include "lib/util.h"
#include "commands/run_sweep.h"

static const struct {
	const char *name;
	enum sweep_var var;
} sweep_vars[] = {
	{ "devices", SWEEP_DEVICES },
	{ "vectors", SWEEP_VECTORS },
	{ "cpus", SWEEP_CPUS },
	{ "rate", SWEEP_RATE },
};

static int parse_values(struct sweep_plan *p, const char *list, char *err, size_t len)
{
	char *copy = xstrdup(list);
	char *save = NULL;
	char *tok;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double v;

		if (p->nr_values == SWEEP_MAX_POINTS) {
			snprintf(err, len, "at most %d values", SWEEP_MAX_POINTS);
			ret = -1;
			break;
		}
		/* a count of devices, vectors or CPUs is a whole number from 1 */
		if (parse_double(tok, &v) || !isfinite(v) || v < 0 ||
		    (p->var != SWEEP_RATE && (v < 1 || v > 4096 || v != floor(v)))) {
			snprintf(err, len, "'%s' is not %s", tok,
				 p->var == SWEEP_RATE ? "a rate >= 0" : "a whole number from 1");
			ret = -1;
			break;
		}
		p->values[p->nr_values++] = v;
	}
	if (!ret && !p->nr_values) {
		snprintf(err, len, "no values");
		ret = -1;
	}
	free(copy);
	return ret;
}

int sweep_parse(struct sweep_plan *p, const char *arg, char *err, size_t len)
{
	const char *eq = strchr(arg, '=');
	size_t i;

	if (p->var != SWEEP_NONE) {
		snprintf(err, len, "one swept variable per run (already %s)", p->name);
		return -1;
	}
	if (!eq) {
		snprintf(err, len, "expected NAME=V1,V2,...");
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(sweep_vars); i++) {
		if (strlen(sweep_vars[i].name) == (size_t)(eq - arg) &&
		    !strncmp(arg, sweep_vars[i].name, eq - arg)) {
			p->var = sweep_vars[i].var;
			p->name = sweep_vars[i].name;
		}
	}
	if (p->var == SWEEP_NONE) {
		snprintf(err, len,
			 "'%.*s' is not devices, vectors, cpus or rate (--point NAME=V only "
			 "records a variable)",
			 (int)(eq - arg), arg);
		return -1;
	}
	if (parse_values(p, eq + 1, err, len)) {
		p->var = SWEEP_NONE;
		return -1;
	}
	return 0;
}

static double max_value(const struct sweep_plan *p)
{
	double m = 0;
	int i;

	for (i = 0; i < p->nr_values; i++)
		if (p->values[i] > m)
			m = p->values[i];
	return m;
}

/* the devices `itsperf bench rebind --list` would cycle, in its order */
static int resolve_devices(struct sweep_plan *p, const char *const *devices, int nr_devices)
{
	struct json_object *list;
	struct bench_result br;
	struct bench_opts bo;
	size_t i;
	int ret;

	if (!nr_devices) {
		err_msg("--sweep devices: give the devices to draw from: --device all, or a "
			"--device list");
		return EXIT_USAGE;
	}
	bench_opts_init(&bo);
	bo.quiet = true;
	bo.list_only = true;
	for (i = 0; i < (size_t)nr_devices; i++)
		bo.devices[bo.nr_devices++] = devices[i];
	ret = bench_workload_run_ex("rebind", &bo, &br);
	if (ret != EXIT_OK || !br.summary ||
	    !json_object_object_get_ex(br.summary, "devices", &list)) {
		err_msg("--sweep devices: cannot list the devices to rebind (itsperf bench rebind "
			"--device ... --list says why)");
		bench_result_free(&br);
		return EXIT_USAGE;
	}
	p->nr_bdfs = json_object_array_length(list);
	p->bdfs = xcalloc(p->nr_bdfs + 1, sizeof(*p->bdfs));
	for (i = 0; i < (size_t)p->nr_bdfs; i++) {
		struct json_object *d = json_object_array_get_idx(list, i);
		struct json_object *bdf;

		if (json_object_object_get_ex(d, "bdf", &bdf))
			snprintf(p->bdfs[i], sizeof(p->bdfs[i]), "%s", json_object_get_string(bdf));
	}
	bench_result_free(&br);
	if (max_value(p) > p->nr_bdfs) {
		err_msg("--sweep devices=%g: the rebind workload may cycle %d device(s) here "
			"(itsperf bench rebind --device all --list says which, and why not the "
			"others); boot the emulated host with more (itsperf vm --devices N)",
			max_value(p), p->nr_bdfs);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int resolve_cpus(struct sweep_plan *p)
{
	uint64_t online[BENCH_MAX_CPUS / 64];
	int i;

	if (host_online_cpus(online, BENCH_MAX_CPUS) <= 0) {
		err_msg("--sweep cpus: cannot read the online CPUs: %m");
		return EXIT_USAGE;
	}
	for (i = 0; i < BENCH_MAX_CPUS; i++)
		if (online[i / 64] & (1ull << (i % 64)))
			p->nr_cpus++;
	if (max_value(p) > p->nr_cpus) {
		err_msg("--sweep cpus=%g: only %d CPU(s) online", max_value(p), p->nr_cpus);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int sweep_resolve(struct sweep_plan *p, const char *const *devices, int nr_devices)
{
	switch (p->var) {
	case SWEEP_DEVICES:
		return resolve_devices(p, devices, nr_devices);
	case SWEEP_CPUS:
		return resolve_cpus(p);
	default:
		return EXIT_OK;
	}
}

static bool bdf_in(const struct sweep_plan *p, int n, const char *bdf)
{
	int i;

	for (i = 0; i < n && i < p->nr_bdfs; i++)
		if (!strcmp(p->bdfs[i], bdf))
			return true;
	return false;
}

/*
 * affinity under a devices or vectors point: the ITS interrupts of the
 * chosen devices, or vectors 0..V-1 of each. Read now, not at resolve
 * time: a rebind in the previous run re-allocated the interrupt numbers.
 */
static void pick_irqs(const struct sweep_plan *p, int v, struct bench_opts *bo)
{
	struct irq_table t;
	int i;

	if (irq_table_read(NULL, &t))
		return; /* affinity reads it again and reports the error */
	for (i = 0; i < t.nr_lines && bo->nr_irqs < BENCH_MAX_IRQS; i++) {
		const struct irq_line *l = &t.lines[i];

		if (l->its == ITS_LABEL_NONE)
			continue;
		if (p->var == SWEEP_DEVICES && !bdf_in(p, v, l->bdf))
			continue;
		if (p->var == SWEEP_VECTORS && (l->msi_index < 0 || l->msi_index >= v))
			continue;
		bo->irqs[bo->nr_irqs++] = l->irq;
	}
	irq_table_free(&t);
	/* none: an --irq that matches nothing, so affinity says so rather than move others */
	if (!bo->nr_irqs)
		bo->irqs[bo->nr_irqs++] = -1;
}

void sweep_apply(const struct sweep_plan *p, int point, const char *workload, struct bench_opts *bo)
{
	bool affinity = !strcmp(workload, "affinity");
	bool rebind = !strcmp(workload, "rebind");
	int v;
	int i;

	if (p->var == SWEEP_NONE || point >= p->nr_values)
		return;
	v = (int)p->values[point];
	switch (p->var) {
	case SWEEP_DEVICES:
		if (rebind) {
			/* each of the first v once: one MAPD pair per device */
			bo->nr_devices = 0;
			for (i = 0; i < v; i++)
				bo->devices[bo->nr_devices++] = p->bdfs[i];
			bo->ops = v;
			bo->all_devices = false;
		} else if (affinity) {
			pick_irqs(p, v, bo);
		}
		break;
	case SWEEP_VECTORS:
		if (affinity)
			pick_irqs(p, v, bo);
		break;
	case SWEEP_CPUS:
		/*
		 * --jobs v: v sending threads, each pinned to its own CPU; the
		 * interrupts still move between every online CPU (one CPU
		 * would leave affinity nothing to move them to).
		 */
		if (affinity || rebind)
			bo->jobs = v;
		break;
	case SWEEP_RATE:
	case SWEEP_NONE:
		break;
	}
}

void sweep_free(struct sweep_plan *p)
{
	free(p->bdfs);
	p->bdfs = NULL;
}
