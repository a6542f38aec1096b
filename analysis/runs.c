// SPDX-License-Identifier: GPL-2.0
/* Sets of runs grouped by (argument, label), shared by report, compare and plot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/health.h"
#include "analysis/runs.h"
#include "analysis/stats.h"
#include "lib/util.h"

static struct run_group *find_group(struct run_set *s, int arg, const char *label, bool merge)
{
	int i;

	for (i = 0; i < s->nr_groups; i++)
		if (!strcmp(s->groups[i].label, label) && (merge || s->groups[i].arg_index == arg))
			return &s->groups[i];
	return NULL;
}

static struct run_group *add_group(struct run_set *s, int arg, const char *origin,
				   const char *label)
{
	struct run_group *g;

	s->groups = xrealloc(s->groups, (s->nr_groups + 1) * sizeof(*s->groups));
	g = &s->groups[s->nr_groups++];
	memset(g, 0, sizeof(*g));
	g->label = xstrdup(label);
	g->origin = xstrdup(origin);
	g->arg_index = arg;
	return g;
}

/* the last n components of a path ("a/b/c", 2 -> "b/c") */
static const char *path_tail(const char *path, int n)
{
	const char *p = path + strlen(path);

	while (p > path && p[-1] == '/')
		p--;
	while (p > path) {
		p--;
		if (*p == '/' && p[1] && !--n)
			return p + 1;
	}
	return path;
}

static bool name_taken(const struct run_set *s, int upto, const char *name)
{
	int j;

	for (j = 0; j < upto; j++)
		if (s->groups[j].name && !strcmp(s->groups[j].name, name))
			return true;
	return false;
}

/*
 * Two groups with one label (A/A from two folders): name them after their
 * folder, "label@folder", or "label@parent/folder" when the folder names
 * are the same too.
 */
static void name_groups(struct run_set *s)
{
	int i;
	int j;

	for (i = 0; i < s->nr_groups; i++) {
		struct run_group *g = &s->groups[i];
		bool dup = false;
		int depth;

		for (j = 0; j < s->nr_groups; j++)
			if (i != j && !strcmp(g->label, s->groups[j].label))
				dup = true;
		if (!dup) {
			g->name = xstrdup(g->label);
			continue;
		}
		for (depth = 1; depth <= 3; depth++) {
			bool clash = false;

			for (j = 0; j < s->nr_groups; j++)
				if (i != j && !strcmp(g->label, s->groups[j].label) &&
				    !strcmp(path_tail(g->origin, depth),
					    path_tail(s->groups[j].origin, depth)))
					clash = true;
			if (!clash)
				break;
		}
		g->name = depth <= 3 ? xasprintf("%s@%s", g->label, path_tail(g->origin, depth)) :
				       xasprintf("%s#%d", g->label, i + 1);
		if (name_taken(s, i, g->name)) {
			free(g->name);
			g->name = xasprintf("%s#%d", g->label, i + 1);
		}
	}
}

/*
 * Runs that should not be set side by side: a group mixing kernels or
 * modes, or emulated runs against real ones (TCG timings are for A/B on
 * the same emulator only). Warnings: the user may mean it.
 */
static void check_groups(const struct run_set *s)
{
	const struct run_meta *first = NULL;
	int g;
	int r;

	for (g = 0; g < s->nr_groups; g++) {
		const struct run_group *grp = &s->groups[g];
		const struct run_meta *m0 = &grp->runs[0]->meta;

		for (r = 1; r < grp->nr_runs; r++) {
			const struct run_meta *m = &grp->runs[r]->meta;

			if (strcmp(m->kernel_release, m0->kernel_release) ||
			    strcmp(m->pkvm_mode, m0->pkvm_mode) || m->emulated != m0->emulated) {
				warn_msg(
					"%s: runs differ in kernel, mode or emulation (%s %s%s vs %s %s%s in %s)",
					grp->name, m0->kernel_release, m0->pkvm_mode,
					m0->emulated ? " emulated" : "", m->kernel_release,
					m->pkvm_mode, m->emulated ? " emulated" : "",
					grp->runs[r]->dir);
				break;
			}
		}
		if (!first)
			first = m0;
		else if (first->emulated != m0->emulated)
			warn_msg(
				"%s is %s, %s is not: emulated timings are valid only against the same emulator",
				first->emulated ? s->groups[0].name : grp->name, "emulated",
				first->emulated ? grp->name : s->groups[0].name);
	}
}

int run_set_load(struct run_set *s, char **paths, int n, const struct run_set_opts *o)
{
	int ret = 0;
	int a;

	memset(s, 0, sizeof(*s));
	for (a = 0; a < n; a++) {
		int unhealthy = s->skipped_unhealthy;
		int partial = s->skipped_partial;
		int kept = s->nr_runs;
		char **dirs;
		int nr;
		int i;

		nr = result_find_runs(paths[a], &dirs);
		if (nr < 0)
			return -1;
		if (!nr) {
			err_msg("%s: no result runs there (no meta.json below it)", paths[a]);
			ret = -1;
		}
		for (i = 0; i < nr; i++) {
			struct result_data *d = result_read(dirs[i], o->read_flags, NULL, 0);
			struct run_group *g;
			char why[256];

			if (!d) {
				ret = -1;
				continue;
			}
			if (d->partial && !o->include_partial) {
				warn_msg("%s: partial run left out (--include-partial to use it)",
					 dirs[i]);
				s->skipped_partial++;
				result_free(d);
				continue;
			}
			if (o->skip_unhealthy && run_unhealthy(d, why, sizeof(why))) {
				warn_msg(
					"left out %s (unhealthy: %s; --include-unhealthy to use it)",
					dirs[i], why);
				s->skipped_unhealthy++;
				result_free(d);
				continue;
			}
			g = find_group(s, a, d->meta.label, o->merge_args);
			if (!g)
				g = add_group(s, a, paths[a], d->meta.label);
			g->runs = xrealloc(g->runs, (g->nr_runs + 1) * sizeof(*g->runs));
			g->runs[g->nr_runs++] = d;
			s->nr_runs++;
		}
		result_free_list(dirs, nr);
		unhealthy = s->skipped_unhealthy - unhealthy;
		partial = s->skipped_partial - partial;
		if (nr && s->nr_runs == kept) {
			err_msg("%s: all %d run%s left out (%d unhealthy, %d partial): nothing left to compare (--include-unhealthy, --include-partial)",
				paths[a], nr, nr == 1 ? "" : "s", unhealthy, partial);
			ret = -1;
		}
	}
	name_groups(s);
	if (ret)
		run_set_free(s);
	else
		check_groups(s);
	return ret;
}

void run_set_free(struct run_set *s)
{
	int i;
	int j;

	for (i = 0; i < s->nr_groups; i++) {
		for (j = 0; j < s->groups[i].nr_runs; j++)
			result_free(s->groups[i].runs[j]);
		free(s->groups[i].runs);
		free(s->groups[i].label);
		free(s->groups[i].name);
		free(s->groups[i].origin);
	}
	free(s->groups);
	memset(s, 0, sizeof(*s));
}

int area_rank(const char *area)
{
	static const char *const order[] = {
		"cmd_latency", "lock_hold", "hvc_path", "deprivilege_window", "throughput", "count",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(order); i++)
		if (!strcmp(area, order[i]))
			return i;
	return ARRAY_SIZE(order);
}

/*
 * The name below its area heading: without its first level when that is
 * the area itself ("cmd_latency.total.MOVI" under cmd_latency), whole
 * otherwise ("hvc.el2.x" under hvc_path stays apart from "hvc_path.x").
 */
const char *metric_short_name_in(const char *name, const char *area)
{
	const char *dot = strchr(name, '.');

	if (!dot || !dot[1] || !area || strncmp(name, area, dot - name) || area[dot - name])
		return name;
	return dot + 1;
}

const char *metric_short_name(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot && dot[1] ? dot + 1 : name;
}

static int metric_ref_cmp(const void *a, const void *b)
{
	const struct metric_ref *x = a;
	const struct metric_ref *y = b;
	int d = area_rank(x->area) - area_rank(y->area);

	if (d)
		return d;
	d = strcmp(x->area, y->area);
	if (d)
		return d;
	return strverscmp(x->name, y->name);
}

int run_set_metrics(const struct run_set *s, struct metric_ref **out)
{
	struct metric_ref *refs = NULL;
	int nr = 0;
	int g;
	int r;
	int m;
	int k;

	for (g = 0; g < s->nr_groups; g++) {
		for (r = 0; r < s->groups[g].nr_runs; r++) {
			const struct result_data *d = s->groups[g].runs[r];

			for (m = 0; m < d->nr_metrics; m++) {
				const struct result_metric *rm = &d->metrics[m];

				for (k = 0; k < nr; k++)
					if (!strcmp(refs[k].name, rm->name))
						break;
				if (k < nr) {
					if (refs[k].kind != rm->kind ||
					    strcmp(refs[k].unit, rm->unit))
						warn_msg(
							"%s: metric '%s' has kind/unit %s/%s, other runs %s/%s",
							d->dir, rm->name,
							metric_kind_name(rm->kind), rm->unit,
							metric_kind_name(refs[k].kind),
							refs[k].unit);
					continue;
				}
				refs = xrealloc(refs, (nr + 1) * sizeof(*refs));
				refs[nr++] = (struct metric_ref){
					.name = rm->name,
					.area = rm->area,
					.unit = rm->unit,
					.kind = rm->kind,
					.is_value = rm->has_value,
				};
			}
		}
	}
	if (nr > 1)
		qsort(refs, nr, sizeof(*refs), metric_ref_cmp);
	*out = refs;
	return nr;
}

const char *run_stat_name(enum run_stat st)
{
	switch (st) {
	case STAT_P50:
		return "p50";
	case STAT_P99:
		return "p99";
	case STAT_MEAN:
		return "mean";
	case STAT_MAX:
		return "max";
	}
	return "?";
}

static double stat_of(const struct summary *s, enum run_stat st)
{
	switch (st) {
	case STAT_P50:
		return s->p50;
	case STAT_P99:
		return s->p99;
	case STAT_MEAN:
		return s->mean;
	case STAT_MAX:
		return s->max;
	}
	return NAN;
}

int group_stat(const struct run_group *g, const char *metric, enum run_stat st, double *out)
{
	int n = 0;
	int r;

	for (r = 0; r < g->nr_runs; r++) {
		const struct result_metric *m = result_find_metric(g->runs[r], metric);
		double v;

		if (!m || !m->summary.count)
			continue;
		v = stat_of(&m->summary, st);
		if (isfinite(v))
			out[n++] = v;
	}
	return n;
}

void fmt_value(char *buf, size_t len, double v, const char *unit)
{
	static const struct {
		double div;
		const char *name;
	} ns_units[] = { { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" }, { 1, "ns" } };
	const char *u = unit ? unit : "";
	double a = fabs(v);
	size_t i;

	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (!strcmp(u, "ns")) {
		for (i = 0; i < ARRAY_SIZE(ns_units); i++) {
			if (a >= ns_units[i].div * 0.9999 || i == ARRAY_SIZE(ns_units) - 1) {
				double x = v / ns_units[i].div;

				snprintf(buf, len, "%.*f%s",
					 fabs(x) >= 100 || ns_units[i].div == 1 ? 0 :
					 fabs(x) >= 10				? 1 :
										  2,
					 x, ns_units[i].name);
				return;
			}
		}
	}
	if (a >= 1e9)
		snprintf(buf, len, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (a == floor(a))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f", a >= 100 ? 1 : 2, v);
}

double run_x(const struct result_data *d, const char *sweep, bool unpaced_is_zero)
{
	int i;

	if (!sweep)
		return d->meta.offered_rate > 0 || unpaced_is_zero ? d->meta.offered_rate : NAN;
	for (i = 0; i < d->meta.nr_sweep; i++)
		if (!strcmp(d->meta.sweep[i].name, sweep))
			return d->meta.sweep[i].value;
	return NAN;
}

int run_set_x_values(const struct run_set *s, const char *sweep, bool unpaced_is_zero, double **out)
{
	double *v = NULL;
	int n = 0;
	int g;
	int r;
	int k;

	for (g = 0; g < s->nr_groups; g++) {
		for (r = 0; r < s->groups[g].nr_runs; r++) {
			double x = run_x(s->groups[g].runs[r], sweep, unpaced_is_zero);

			if (!isfinite(x))
				continue;
			for (k = 0; k < n && v[k] != x; k++)
				;
			if (k < n)
				continue;
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = x;
		}
	}
	sort_double(v, n);
	*out = v;
	return n;
}
