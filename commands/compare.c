// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf compare BASE NEW [NEW...]: per metric, the ratio of the median
 * over runs of each run's median (and p99) between a revision and the
 * baseline, a bootstrap confidence interval of that ratio, a Mann-Whitney
 * rank test over the per-run values, and a verdict. Exit 1 when a gated
 * metric regresses, 0 otherwise, 2 on bad input or too few runs.
 *
 * Why per-run values: samples within one run share the boot, the cache
 * and TCG translation state, so they are not independent; treating 10^5
 * samples as 10^5 observations makes every difference "significant".
 * Runs are the independent replicates. results/README.md has the rest.
 *
 * The statistics and verdicts are analysis/compare.c; this file builds the
 * table (one row per metric and statistic, one column per revision) and
 * prints it in each output format.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "analysis/compare.h"
#include "analysis/explain.h"
#include "analysis/format.h"
#include "analysis/clock_check.h"
#include "analysis/power.h"
#include "result/meta.h"
#include "analysis/runs.h"
#include "analysis/stats.h"
#include "analysis/throughput.h"
#include "commands/commands.h"
#include "lib/util.h"

#define EMAIL_WIDTH 72
#define EMAIL_NAME  16
#define EMAIL_BASE  10
#define EMAIL_COL   10

/* ---- one comparison table ---- */

struct row {
	const struct metric_ref *m;
	enum run_stat st;
	struct comparison *c; /* one per new group */
};

struct table {
	const struct run_set *s;
	struct row *rows;
	int nr_rows;
	int nr_new; /* groups 1..nr_groups-1 */
	const struct compare_opts *o;
	int nr_gated[64]; /* per new group, for the legend */
};

static const char *corr_text(enum correction c)
{
	switch (c) {
	case CORRECT_BH:
		return " (B-H)";
	case CORRECT_HOLM:
		return " (Holm)";
	case CORRECT_NONE:
		break;
	}
	return "";
}

static bool gate_match(const struct compare_opts *o, const char *name)
{
	int i;

	if (!o->nr_gate)
		return metric_gated_by_default(name);
	for (i = 0; i < o->nr_gate; i++)
		if (!fnmatch(o->gate[i], name, 0))
			return true;
	return false;
}

static bool is_gated(const struct compare_opts *o, const struct metric_ref *m, enum run_stat st)
{
	if (!gate_match(o, m->name))
		return false;
	if (m->kind == METRIC_COUNT && !o->gate_counts)
		return false;
	if (st == STAT_P99 && !o->gate_p99)
		return false;
	return true;
}

static void build_table(struct table *t, const struct run_set *s, const struct metric_ref *refs,
			int nr, const struct compare_opts *o)
{
	const struct run_group *base = &s->groups[0];
	double *bv = xmalloc((base->nr_runs + 1) * sizeof(*bv));
	int i;
	int g;

	memset(t, 0, sizeof(*t));
	t->s = s;
	t->o = o;
	t->nr_new = s->nr_groups - 1;
	for (i = 0; i < nr; i++) {
		enum run_stat stats[2] = { STAT_P50, STAT_P99 };
		int nst = refs[i].is_value ? 1 : 2;
		int k;

		for (k = 0; k < nst; k++) {
			struct row *r;
			int nb;

			t->rows = xrealloc(t->rows, (t->nr_rows + 1) * sizeof(*t->rows));
			r = &t->rows[t->nr_rows++];
			r->m = &refs[i];
			r->st = stats[k];
			r->c = xcalloc(t->nr_new, sizeof(*r->c));
			nb = group_stat(base, refs[i].name, stats[k], bv);
			for (g = 1; g < s->nr_groups; g++) {
				const struct run_group *ng = &s->groups[g];
				double *nv = xmalloc((ng->nr_runs + 1) * sizeof(*nv));
				int nn = group_stat(ng, refs[i].name, stats[k], nv);
				struct comparison *c = &r->c[g - 1];

				compare_values(bv, nb, nv, nn, refs[i].kind, o,
					       compare_seed(o->seed, refs[i].name) ^ (k << 8) ^ g,
					       c);
				c->gated = is_gated(o, &refs[i], stats[k]) && nb >= o->min_runs &&
					   nn >= o->min_runs;
				if (c->gated)
					compare_welch(c, bv, nb, nv, nn, refs[i].kind);
				free(nv);
			}
		}
	}
	free(bv);
	for (g = 0; g < t->nr_new; g++) {
		struct comparison **cs = xmalloc((t->nr_rows + 1) * sizeof(*cs));
		enum metric_kind *kinds = xmalloc((t->nr_rows + 1) * sizeof(*kinds));

		for (i = 0; i < t->nr_rows; i++) {
			cs[i] = &t->rows[i].c[g];
			kinds[i] = t->rows[i].m->kind;
		}
		t->nr_gated[g < (int)ARRAY_SIZE(t->nr_gated) ? g : 0] =
			compare_family(cs, kinds, t->nr_rows, o);
		free(cs);
		free(kinds);
	}
}

static void free_table(struct table *t)
{
	int i;

	for (i = 0; i < t->nr_rows; i++)
		free(t->rows[i].c);
	free(t->rows);
}

static bool gated_failure(const struct comparison *c)
{
	return c->gated && (c->verdict == VERDICT_REGRESSION || c->verdict == VERDICT_CHANGED);
}

static void fmt_change(char *buf, size_t len, double ratio)
{
	/* no "-0.0%" */
	if (isfinite(ratio))
		snprintf(buf, len, "%+.1f%%", fabs(ratio - 1) < 0.0005 ? 0.0 : (ratio - 1) * 100);
	else
		snprintf(buf, len, "n/a");
}

static const char *verdict_text(const struct comparison *c)
{
	static char buf[64];

	if (c->gated && isfinite(c->mde)) {
		/* a gated verdict says how small a change it could have seen */
		snprintf(buf, sizeof(buf), "%s, mde %s%.1f%%",
			 c->verdict == VERDICT_REGRESSION ? "REGRESSION" :
			 c->verdict == VERDICT_CHANGED	  ? "CHANGED" :
							    verdict_name(c->verdict),
			 c->mde > 9.99 ? ">" : "", fmin(c->mde, 9.99) * 100);
		return buf;
	}

	if (c->gated || c->verdict == VERDICT_NO_CHANGE || c->verdict == VERDICT_FEW_RUNS ||
	    c->verdict == VERDICT_MISSING) {
		if (c->gated && c->verdict == VERDICT_REGRESSION)
			return "REGRESSION";
		if (c->gated && c->verdict == VERDICT_CHANGED)
			return "CHANGED";
		return verdict_name(c->verdict);
	}
	snprintf(buf, sizeof(buf), "%s (not gated)", verdict_name(c->verdict));
	return buf;
}

static void print_method(FILE *f, const struct table *t, const char *pfx)
{
	const struct compare_opts *o = t->o;

	fprintf(f, "%sobservations: one per run (its median p50, its p99, or its value);\n", pfx);
	fprintf(f, "%sgated (headline family): one-sided Welch t on log values, sd floor %g%%;\n",
		pfx, WELCH_LOG_SD_FLOOR * 100);
	fprintf(f, "%smde: smallest change found with %.0f%% power (alpha / gated), >= %g%%;\n",
		pfx, MDE_POWER * 100, o->threshold * 100);
	fprintf(f,
		"%sungated: Mann-Whitney U (exact up to 60 runs), %.0f%% bootstrap CI of the ratio\n",
		pfx, o->level * 100);
	fprintf(f, "%sof medians (%u resamples); verdict when p < %g%s, CI excludes 1 and\n", pfx,
		o->nboot, o->alpha, corr_text(o->correction));
	fprintf(f, "%s|change| > %g%%; at least %d runs per side\n", pfx, o->threshold * 100,
		o->min_runs);
}

static void print_groups(FILE *f, const struct run_set *s, const char *pfx)
{
	int g;

	for (g = 0; g < s->nr_groups; g++) {
		const struct run_group *grp = &s->groups[g];
		const struct run_meta *m = &grp->runs[0]->meta;
		char clk[64];

		fprintf(f, "%s%-5s %s: %d run%s, %s %s%s, clock %s (%s)\n", pfx, g ? "new" : "base",
			grp->name, grp->nr_runs, grp->nr_runs == 1 ? "" : "s", m->kernel_release,
			m->pkvm_mode[0] ? m->pkvm_mode : "?", m->emulated ? " emulated" : "",
			run_clock_str(m, clk, sizeof(clk)), grp->origin);
	}
}

static void out_text(FILE *f, const struct table *t)
{
	const char *area = NULL;
	int i;
	int g;

	fprintf(f, "itsperf compare\n");
	print_groups(f, t->s, "  ");
	print_method(f, t, "  ");
	for (i = 0; i < t->nr_rows; i++) {
		const struct row *r = &t->rows[i];

		if (!area || strcmp(area, r->m->area)) {
			area = r->m->area;
			fprintf(f, "\n%-28s %-4s %-12s %10s %10s %8s %17s %8s  %s\n", area, "stat",
				"vs", "base", "new", "change", "95% CI", "p", "verdict");
		}
		for (g = 0; g < t->nr_new; g++) {
			const struct comparison *c = &r->c[g];
			char b[24];
			char n[24];
			char ch[24];
			char ci[40];
			char lo[16];
			char hi[16];
			char p[16];

			fmt_value(b, sizeof(b), c->base, r->m->unit);
			fmt_value(n, sizeof(n), c->new, r->m->unit);
			fmt_change(ch, sizeof(ch), c->ratio);
			fmt_change(lo, sizeof(lo), c->ci_lo);
			fmt_change(hi, sizeof(hi), c->ci_hi);
			snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
			snprintf(p, sizeof(p), "%.3g", c->p_shown);
			fprintf(f, "  %-26s %-4s %-12.12s %10s %10s %8s %17s %8s  %s\n",
				g ? "" : metric_short_name_in(r->m->name, r->m->area),
				r->m->is_value ? "val" : run_stat_name(r->st),
				t->s->groups[g + 1].name, b, n, ch, ci, p, verdict_text(c));
		}
	}
	fprintf(f, "\n");
}

/* ---- --format email: a 72-column table for a cover letter ---- */

static char verdict_mark(const struct comparison *c)
{
	switch (c->verdict) {
	case VERDICT_REGRESSION:
		return c->gated ? 'R' : 'r';
	case VERDICT_IMPROVEMENT:
		return c->gated ? 'I' : 'i';
	case VERDICT_CHANGED:
		return c->gated ? 'C' : 'c';
	case VERDICT_FEW_RUNS:
		return '?';
	default:
		return ' ';
	}
}

/* the heading of a row: the metric name without its last level, and the statistic */
static void row_heading(char *buf, size_t len, const struct row *r)
{
	const char *last = strrchr(r->m->name, '.');
	int plen = last ? (int)(last - r->m->name) : (int)strlen(r->m->name);

	snprintf(buf, len, "%.*s%s%s", plen, r->m->name, r->m->is_value ? "" : " ",
		 r->m->is_value ? "" : run_stat_name(r->st));
}

static void fit(char *dst, size_t width, const char *src)
{
	size_t len = strlen(src);

	if (len <= width) {
		snprintf(dst, width + 1, "%s", src);
		return;
	}
	/* keep the end (the command name) visible: "~ait.DISCARD" */
	snprintf(dst, width + 1, "~%s", src + len - (width - 1));
}

/* every line of the email table goes through here: never wider than 72 */
static void __printf(2, 3) email_line(FILE *f, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(f, "%.*s\n", EMAIL_WIDTH, buf);
}

static size_t prefix_len(const char *name)
{
	const char *last = strrchr(name, '.');

	return last ? (size_t)(last - name) : strlen(name);
}

/* email rows: by area, then by heading (name prefix + statistic), then by name */
static int email_row_cmp(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a;
	const struct row *y = *(const struct row *const *)b;
	size_t lx = prefix_len(x->m->name);
	size_t ly = prefix_len(y->m->name);
	int d = area_rank(x->m->area) - area_rank(y->m->area);

	if (d)
		return d;
	d = strcmp(x->m->area, y->m->area);
	if (d)
		return d;
	d = strncmp(x->m->name, y->m->name, lx < ly ? lx : ly);
	if (d || lx != ly)
		return d ? d : (lx < ly ? -1 : 1);
	if (x->st != y->st)
		return x->st - y->st;
	return strverscmp(x->m->name, y->m->name);
}

/*
 * A cover letter gets the headline numbers: what gates by default
 * (command totals, lock holds, hypercall paths, throughput, workload
 * latencies). The breakdowns that explain them, second-source copies and
 * event counts stay in the full tables unless --all.
 */
static bool email_row_wanted(const struct compare_opts *o, const struct row *r)
{
	const struct metric_family *f = metric_family_of(r->m->name);

	if (o->email_all)
		return true;
	if (r->m->kind == METRIC_COUNT || (f && f->kind == METRIC_COUNT))
		return false;
	return metric_gated_by_default(r->m->name);
}

/* the clock of the figures, and what an icount figure is not */
static void email_clock_lines(FILE *f, const struct run_meta *m)
{
	char clk[64];

	email_line(f, "Clock: %s.", run_clock_str(m, clk, sizeof(clk)));
	if (!strcmp(m->clock.kind, "icount")) {
		email_line(f, "icount: guest time = executed instructions: path length");
		email_line(f, "only, no cache/TLB cost; an exception to EL2 costs about");
		email_line(f, "one instruction.");
	}
}

static void out_email(FILE *f, const struct table *t)
{
	int nr_rows;
	int per_table = (EMAIL_WIDTH - EMAIL_NAME - EMAIL_BASE) / EMAIL_COL;
	const struct run_set *s = t->s;
	const struct run_meta *bm = &s->groups[0].runs[0]->meta;
	const struct row **rows;
	char line[256];
	int first;
	int i;

	rows = xmalloc((t->nr_rows + 1) * sizeof(*rows));
	nr_rows = 0;
	for (i = 0; i < t->nr_rows; i++)
		if (email_row_wanted(t->o, &t->rows[i]))
			rows[nr_rows++] = &t->rows[i];
	qsort(rows, nr_rows, sizeof(*rows), email_row_cmp);
	email_line(f, "Change of the median over runs against %s", s->groups[0].name);
	email_line(f, "(%s, %s%s).", bm->kernel_release, bm->pkvm_mode,
		   bm->emulated ? ", emulated host: A/B only" : "");
	email_clock_lines(f, bm);
	email_line(f, "R regression, I improvement: one-sided Welch t (log) p < %g%s,", t->o->alpha,
		   corr_text(t->o->correction));
	email_line(f, "95%% CI excludes 0, |change| > %g%%; lower case: not gated;",
		   t->o->threshold * 100);
	email_line(f, "? too few runs for a verdict; - not measured; n = runs.");
	for (first = 0; first < t->nr_new; first += per_table) {
		int last = first + per_table < t->nr_new ? first + per_table : t->nr_new;
		char heading[128] = "";
		size_t len;
		int g;

		fprintf(f, "\n");
		len = snprintf(line, sizeof(line), "%-*s%*s", EMAIL_NAME, "", EMAIL_BASE, "base");
		for (g = first; g < last; g++) {
			char name[EMAIL_COL + 1];

			fit(name, EMAIL_COL - 2, s->groups[g + 1].name);
			len += snprintf(line + len, sizeof(line) - len, "%*s", EMAIL_COL, name);
		}
		email_line(f, "%s", line);
		len = snprintf(line, sizeof(line), "%-*s%*s", EMAIL_NAME, "", EMAIL_BASE, "");
		for (g = first; g < last; g++) {
			char n[EMAIL_COL + 1];

			snprintf(n, sizeof(n), "n=%d", s->groups[g + 1].nr_runs);
			len += snprintf(line + len, sizeof(line) - len, "%*s", EMAIL_COL, n);
		}
		email_line(f, "%s", line);
		for (i = 0; i < nr_rows; i++) {
			const struct row *r = rows[i];
			const char *last_lvl = strrchr(r->m->name, '.');
			char name[EMAIL_NAME + 1];
			char h[128];
			char b[32];

			row_heading(h, sizeof(h), r);
			if (strcmp(h, heading)) {
				snprintf(heading, sizeof(heading), "%s", h);
				email_line(f, "%s (%s)", h, r->m->unit);
			}
			fit(name, EMAIL_NAME - 2, last_lvl ? last_lvl + 1 : r->m->name);
			fmt_value(b, sizeof(b), r->c[0].base, r->m->unit);
			if (strlen(b) > EMAIL_BASE - 1)
				snprintf(b, sizeof(b), "%.3g", r->c[0].base);
			len = snprintf(line, sizeof(line), "  %-*s%*s", EMAIL_NAME - 2, name,
				       EMAIL_BASE, b);
			for (g = first; g < last; g++) {
				const struct comparison *c = &r->c[g];
				char cell[32];
				char ch[24];

				if (c->verdict == VERDICT_MISSING) {
					snprintf(cell, sizeof(cell), "-  ");
				} else {
					fmt_change(ch, sizeof(ch), c->ratio);
					if (strlen(ch) > EMAIL_COL - 3)
						snprintf(ch, sizeof(ch), "x%.0f", c->ratio);
					snprintf(cell, sizeof(cell), "%s %c", ch, verdict_mark(c));
				}
				len += snprintf(line + len, sizeof(line) - len, "%*s", EMAIL_COL,
						cell);
			}
			/* no trailing blanks in a mail */
			while (len && line[len - 1] == ' ')
				line[--len] = '\0';
			email_line(f, "%s", line);
		}
	}
	free(rows);
}

/* ---- --explain: where the time of each regressed command type went ---- */

struct explained {
	const struct row *r;
	int g;	  /* new group index - 1 */
	bool few; /* too few runs for a verdict, the change above the threshold */
	struct explanation e;
};

/*
 * Every regressed command type's total (p50), per revision: and the ones
 * with too few runs for a verdict whose change is above the threshold
 */
static int explain_all(const struct table *t, struct explained **out)
{
	struct explained *x = NULL;
	int n = 0;
	int i;
	int g;

	for (g = 0; g < t->nr_new; g++) {
		for (i = 0; i < t->nr_rows; i++) {
			const struct row *r = &t->rows[i];
			const struct comparison *c = &r->c[g];
			bool few = c->verdict == VERDICT_FEW_RUNS && c->ratio > 1 + t->o->threshold;
			struct explanation e;
			char cmd[32];
			char col[16];

			if (r->st != STAT_P50 ||
			    !explain_total_cmd(r->m->name, cmd, sizeof(cmd), col, sizeof(col)))
				continue;
			if (c->verdict != VERDICT_REGRESSION && !few)
				continue;
			if (explain_command(&t->s->groups[0], &t->s->groups[g + 1], cmd, col,
					    t->o->nboot, compare_seed(t->o->seed, r->m->name) ^ g,
					    t->o->level, &e))
				continue;
			x = xrealloc(x, (n + 1) * sizeof(*x));
			x[n].r = r;
			x[n].g = g;
			x[n].few = few;
			x[n].e = e;
			n++;
		}
	}
	*out = x;
	return n;
}

/* the text and email forms, under the verdict table */
static void out_explain(FILE *f, const struct table *t, const struct explained *x, int nx,
			bool email)
{
	int i;

	for (i = 0; i < nx; i++) {
		const struct comparison *c = &x[i].r->c[x[i].g];
		const char *name = x[i].r->m->name;

		if (!i)
			fprintf(f, email ? "\nWhere the added time went (p50):\n" :
					   "where the added time went (compare --explain)\n");
		if ((x[i].few || !c->gated) && email)
			email_line(f, "%s: %s, %d against %d runs", name,
				   x[i].few ? "too few runs for a verdict" : "not gated", c->n_base,
				   c->n_new);
		else if (x[i].few || !c->gated)
			fprintf(f, "  %s: %s, %d against %d runs\n", name,
				x[i].few ? "too few runs for a verdict" : "not gated", c->n_base,
				c->n_new);
		if (email) {
			if (t->nr_new > 1)
				email_line(f, "%s:", t->s->groups[x[i].g + 1].name);
			explain_print_wrapped(f, &x[i].e, EMAIL_WIDTH);
		} else {
			explain_print(f, &x[i].e, t->s->groups[x[i].g + 1].name, t->o->level);
		}
	}
	if (!nx && !email)
		fprintf(f, "--explain: no regression of a command type's latency\n");
	if (!email)
		fprintf(f, "\n");
}

/* JSON: "explain": one object per explained metric and revision */
static struct json_object *explain_json_all(const struct table *t, const struct explained *x,
					    int nx)
{
	struct json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < nx; i++) {
		const struct comparison *c = &x[i].r->c[x[i].g];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "metric", json_object_new_string(x[i].r->m->name));
		json_object_object_add(j, "group",
				       json_object_new_string(t->s->groups[x[i].g + 1].name));
		json_object_object_add(j, "verdict",
				       json_object_new_string(verdict_name(c->verdict)));
		json_object_object_add(j, "gated", json_object_new_boolean(c->gated));
		json_object_array_add(a, explain_json(&x[i].e, t->o->level, j));
	}
	return a;
}

/* CSV: a second table after an empty line, one line per part */
static void out_explain_csv(FILE *f, const struct table *t, const struct explained *x, int nx)
{
	int i;

	fprintf(f, "\nmetric,base_group,group,verdict,gated," EXPLAIN_CSV_HEADER "\n");
	for (i = 0; i < nx; i++) {
		const struct comparison *c = &x[i].r->c[x[i].g];
		char *pfx = xasprintf("%s,%s,%s,%s,%d,", x[i].r->m->name, t->s->groups[0].name,
				      t->s->groups[x[i].g + 1].name, verdict_name(c->verdict),
				      c->gated);

		explain_csv(f, &x[i].e, pfx);
		free(pfx);
	}
}

static void out_explain_markdown(FILE *f, const struct table *t, const struct explained *x, int nx)
{
	int i;

	fprintf(f, "\n### Where the added time went (compare --explain)\n\n");
	for (i = 0; i < nx; i++) {
		const struct comparison *c = &x[i].r->c[x[i].g];

		if (x[i].few || !c->gated)
			fprintf(f, "`%s`: %s, %d against %d runs\n\n", x[i].r->m->name,
				x[i].few ? "too few runs for a verdict" : "not gated", c->n_base,
				c->n_new);
		explain_markdown(f, &x[i].e, t->s->groups[x[i].g + 1].name, t->o->level);
	}
	if (!nx)
		fprintf(f, "No regression of a command type's latency.\n");
	else
		fprintf(f,
			"Share: part change / total change, %.0f%% bootstrap CI over runs; "
			"build+post is net of the EL2 commit nested in its CWRITER post.\n",
			t->o->level * 100);
}

/* ---- machine-readable ---- */

static struct json_object *jnum(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

/* explain: add "explain", the explanations x (an empty array when there are none) */
static void out_json(FILE *f, const struct table *t, bool regression, bool explain,
		     const struct explained *x, int nx)
{
	struct json_object *o = json_object_new_object();
	struct json_object *groups = json_object_new_array();
	struct json_object *res = json_object_new_array();
	struct json_object *opt = json_object_new_object();
	int i;
	int g;

	for (g = 0; g < t->s->nr_groups; g++) {
		struct json_object *jg = json_object_new_object();

		json_object_object_add(jg, "name", json_object_new_string(t->s->groups[g].name));
		json_object_object_add(jg, "label", json_object_new_string(t->s->groups[g].label));
		json_object_object_add(jg, "origin",
				       json_object_new_string(t->s->groups[g].origin));
		json_object_object_add(jg, "runs", json_object_new_int(t->s->groups[g].nr_runs));
		json_object_array_add(groups, jg);
	}
	json_object_object_add(opt, "threshold", json_object_new_double(t->o->threshold));
	json_object_object_add(opt, "alpha", json_object_new_double(t->o->alpha));
	json_object_object_add(opt, "min_runs", json_object_new_int(t->o->min_runs));
	json_object_object_add(opt, "bootstrap", json_object_new_int(t->o->nboot));
	json_object_object_add(opt, "level", json_object_new_double(t->o->level));
	json_object_object_add(opt, "correction",
			       json_object_new_string(correction_name(t->o->correction)));
	for (i = 0; i < t->nr_rows; i++) {
		const struct row *r = &t->rows[i];

		for (g = 0; g < t->nr_new; g++) {
			const struct comparison *c = &r->c[g];
			struct json_object *j = json_object_new_object();

			json_object_object_add(j, "metric", json_object_new_string(r->m->name));
			json_object_object_add(j, "area", json_object_new_string(r->m->area));
			json_object_object_add(j, "unit", json_object_new_string(r->m->unit));
			json_object_object_add(
				j, "kind", json_object_new_string(metric_kind_name(r->m->kind)));
			json_object_object_add(
				j, "stat",
				json_object_new_string(r->m->is_value ? "value" :
									run_stat_name(r->st)));
			json_object_object_add(j, "group",
					       json_object_new_string(t->s->groups[g + 1].name));
			json_object_object_add(j, "n_base", json_object_new_int(c->n_base));
			json_object_object_add(j, "n_new", json_object_new_int(c->n_new));
			json_object_object_add(j, "base", jnum(c->base));
			json_object_object_add(j, "new", jnum(c->new));
			json_object_object_add(j, "ratio", jnum(c->ratio));
			json_object_object_add(j, "ci_lo", jnum(c->ci_lo));
			json_object_object_add(j, "ci_hi", jnum(c->ci_hi));
			json_object_object_add(j, "u", jnum(c->u));
			json_object_object_add(j, "p", jnum(c->p));
			json_object_object_add(j, "p_worse", jnum(c->p_worse));
			json_object_object_add(j, "p_better", jnum(c->p_better));
			json_object_object_add(j, "p_worse_adj", jnum(c->p_worse_adj));
			json_object_object_add(j, "p_better_adj", jnum(c->p_better_adj));
			json_object_object_add(j, "gated", json_object_new_boolean(c->gated));
			if (c->welch) {
				json_object_object_add(j, "test",
						       json_object_new_string("welch-log"));
				json_object_object_add(j, "mde", jnum(c->mde));
			}
			json_object_object_add(j, "verdict",
					       json_object_new_string(verdict_name(c->verdict)));
			json_object_array_add(res, j);
		}
	}
	json_object_object_add(o, "format_version", json_object_new_int(RESULT_FORMAT_VERSION));
	json_object_object_add(o, "groups", groups);
	json_object_object_add(o, "options", opt);
	json_object_object_add(o, "results", res);
	json_object_object_add(o, "regression", json_object_new_boolean(regression));
	if (explain)
		json_object_object_add(o, "explain", explain_json_all(t, x, nx));
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, ",%.10g", v);
	else
		fprintf(f, ",");
}

static void out_csv(FILE *f, const struct table *t)
{
	int i;
	int g;

	fprintf(f,
		"metric,area,unit,kind,stat,base_group,group,n_base,n_new,base,new,ratio,ci_lo,ci_hi,"
		"p,p_worse_adj,p_better_adj,gated,verdict\n");
	for (i = 0; i < t->nr_rows; i++) {
		const struct row *r = &t->rows[i];

		for (g = 0; g < t->nr_new; g++) {
			const struct comparison *c = &r->c[g];

			fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%d,%d", r->m->name, r->m->area, r->m->unit,
				metric_kind_name(r->m->kind),
				r->m->is_value ? "value" : run_stat_name(r->st),
				t->s->groups[0].name, t->s->groups[g + 1].name, c->n_base,
				c->n_new);
			csv_num(f, c->base);
			csv_num(f, c->new);
			csv_num(f, c->ratio);
			csv_num(f, c->ci_lo);
			csv_num(f, c->ci_hi);
			csv_num(f, c->p);
			csv_num(f, c->p_worse_adj);
			csv_num(f, c->p_better_adj);
			fprintf(f, ",%d,%s\n", c->gated, verdict_name(c->verdict));
		}
	}
}

static void out_markdown(FILE *f, const struct table *t)
{
	int i;
	int g;

	fprintf(f, "| metric | stat | base (%s) |", t->s->groups[0].name);
	for (g = 0; g < t->nr_new; g++)
		fprintf(f, " %s |", t->s->groups[g + 1].name);
	fprintf(f, "\n|---|---|---:|");
	for (g = 0; g < t->nr_new; g++)
		fprintf(f, "---:|");
	fprintf(f, "\n");
	for (i = 0; i < t->nr_rows; i++) {
		const struct row *r = &t->rows[i];
		char b[32];

		fmt_value(b, sizeof(b), r->c[0].base, r->m->unit);
		fprintf(f, "| %s | %s | %s |", r->m->name,
			r->m->is_value ? "value" : run_stat_name(r->st), b);
		for (g = 0; g < t->nr_new; g++) {
			const struct comparison *c = &r->c[g];
			char ch[24];
			char lo[16];
			char hi[16];

			fmt_change(ch, sizeof(ch), c->ratio);
			fmt_change(lo, sizeof(lo), c->ci_lo);
			fmt_change(hi, sizeof(hi), c->ci_hi);
			fprintf(f, " %s [%s, %s] p=%.2g %s%s%s |", ch, lo, hi, c->p_shown,
				c->verdict == VERDICT_REGRESSION && c->gated ? "**" : "",
				verdict_name(c->verdict),
				c->verdict == VERDICT_REGRESSION && c->gated ? "**" : "");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
	print_method(f, t, "");
}

/* ---- the command ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf compare [options] BASE NEW [NEW...]\n"
		"  each argument is a run folder or a folder of runs; runs are grouped by label;\n"
		"  the first group is the baseline, every other group is compared with it\n"
		"  -f, --format FMT       text (default), email (72 columns), json, csv, markdown\n"
		"  -T, --threshold PCT    smallest change that can be a verdict (default 5)\n"
		"  -a, --alpha A          significance level (default 0.05)\n"
		"  -n, --min-runs N       runs needed per group for a verdict (default 5)\n"
		"  -B, --bootstrap N      bootstrap resamples (default 2000)\n"
		"      --seed N           bootstrap seed (default 1: same input, same output)\n"
		"      --correction C     over the gated metrics: bh (default, Benjamini-Hochberg),\n"
		"                         holm (Holm-Bonferroni) or none (--no-correction)\n"
		"  -g, --gate GLOB        only metrics matching GLOB gate the exit status (repeatable;\n"
		"                         default: all but diagnostic breakdowns, results/README.md)\n"
		"      --gate-p99         gate on the per-run p99 too (default: p50 only)\n"
		"      --gate-counts      gate count metrics (any significant change fails)\n"
		"  -t, --throughput       commands/s and per-command latency vs offered --rate\n"
		"      --sweep NAME       the same against a swept variable (meta.sweep.NAME)\n"
		"      --include-partial  use runs marked partial\n"
		"      --force            compare runs of different clocks (icount/wall, emulated/\n"
		"                         hardware) instead of refusing (exit 2)\n"
		"      --include-unhealthy  use runs whose kernel health shows problems\n"
		"                         (ITS timeouts, EL2 rejections, WARN, BUG, lockups)\n"
		"  -x, --explain          per regressed command type: each part's share of the\n"
		"                         added time (queue wait, build+post, EL2, completion);\n"
		"                         json: an \"explain\" array; csv: a second table after\n"
		"                         an empty line; markdown: a table per command type\n"
		"      --all              email: also the diagnostic breakdowns and event counts\n"
		"                         (by default a cover letter gets the headline metrics)\n"
		"  -o, --output FILE      write there instead of stdout\n"
		"exit status: 1 if a gated metric regressed, 0 if not, 2 on bad input, too few runs\n"
		"or mixed clocks\n");
}

static int parse_pct(const char *s, double *v)
{
	char *buf = xstrdup(s);
	size_t len = strlen(buf);
	int ret;

	if (len && buf[len - 1] == '%')
		buf[len - 1] = '\0';
	ret = parse_double(buf, v);
	free(buf);
	if (ret || *v < 0 || *v >= 1000)
		return -1;
	*v /= 100;
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "min-runs", required_argument, NULL, 'n' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "seed", required_argument, NULL, 's' },
		{ "no-correction", no_argument, NULL, 'N' },
		{ "correction", required_argument, NULL, 'c' },
		{ "gate", required_argument, NULL, 'g' },
		{ "gate-p99", no_argument, NULL, '9' },
		{ "gate-counts", no_argument, NULL, 'C' },
		{ "throughput", no_argument, NULL, 't' },
		{ "sweep", required_argument, NULL, 'S' },
		{ "include-partial", no_argument, NULL, 'P' },
		{ "include-unhealthy", no_argument, NULL, 'U' },
		{ "explain", no_argument, NULL, 'x' },
		{ "all", no_argument, NULL, 'A' },
		{ "force", no_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_set_opts so = { .read_flags = RESULT_READ_SAMPLES, .skip_unhealthy = true };
	bool force = false;
	const char **gate = NULL;
	enum out_format fmt = FMT_TEXT;
	const char *output = NULL;
	const char *sweep = NULL;
	bool throughput = false;
	bool regression = false;
	bool explain = false;
	struct explained *x = NULL;
	int nx = 0;
	struct compare_opts o;
	struct metric_ref *refs;
	struct run_set s;
	struct table t;
	FILE *f = stdout;
	uint64_t u;
	int ret = EXIT_OK;
	int nr;
	int c;
	int g;
	int i;

	compare_opts_default(&o);
	optind = 0;
	while ((c = getopt_long(argc, argv, "f:T:a:n:B:g:txo:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_format(optarg, &fmt, true))
				goto usage_err;
			break;
		case 'T':
			if (parse_pct(optarg, &o.threshold)) {
				err_msg("--threshold: '%s' is not a percentage", optarg);
				goto usage_err;
			}
			break;
		case 'a':
			if (parse_double(optarg, &o.alpha) || o.alpha <= 0 || o.alpha >= 1) {
				err_msg("--alpha: '%s' is not in (0, 1)", optarg);
				goto usage_err;
			}
			break;
		case 'n':
			if (parse_u64(optarg, &u) || u < 1 || u > 100000) {
				err_msg("--min-runs: '%s' is not a positive number", optarg);
				goto usage_err;
			}
			o.min_runs = u;
			break;
		case 'B':
			if (parse_u64(optarg, &u) || u < 100 || u > 1000000) {
				err_msg("--bootstrap: '%s' is not in [100, 1000000]", optarg);
				goto usage_err;
			}
			o.nboot = u;
			break;
		case 's':
			if (parse_u64(optarg, &u)) {
				err_msg("--seed: '%s' is not a number", optarg);
				goto usage_err;
			}
			o.seed = u;
			break;
		case 'N':
			o.correction = CORRECT_NONE;
			break;
		case 'A':
			o.email_all = true;
			break;
		case 'c':
			if (!strcmp(optarg, "bh")) {
				o.correction = CORRECT_BH;
			} else if (!strcmp(optarg, "holm")) {
				o.correction = CORRECT_HOLM;
			} else if (!strcmp(optarg, "none")) {
				o.correction = CORRECT_NONE;
			} else {
				err_msg("--correction: '%s' is not bh, holm or none", optarg);
				goto usage_err;
			}
			break;
		case 'g':
			gate = xrealloc(gate, (o.nr_gate + 1) * sizeof(*gate));
			gate[o.nr_gate++] = optarg;
			o.gate = gate;
			break;
		case '9':
			o.gate_p99 = true;
			break;
		case 'C':
			o.gate_counts = true;
			break;
		case 't':
			throughput = true;
			break;
		case 'S':
			sweep = optarg;
			throughput = true;
			break;
		case 'P':
			so.include_partial = true;
			break;
		case 'F':
			force = true;
			break;
		case 'U':
			so.skip_unhealthy = false;
			break;
		case 'x':
			explain = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage(stdout);
			free(gate);
			return EXIT_OK;
		default:
			goto usage_err;
		}
	}
	if (argc - optind < 2 && !(throughput && argc - optind >= 1)) {
		err_msg("compare needs a baseline and at least one revision");
		goto usage_err;
	}
	if (run_set_load(&s, argv + optind, argc - optind, &so)) {
		free(gate);
		return EXIT_USAGE;
	}
	if (run_set_clock_check(&s, force) || run_set_correction_check(&s, force)) {
		ret = EXIT_USAGE;
		goto out_set;
	}
	if (s.nr_groups < 2 && !throughput) {
		err_msg("only one group of runs (label '%s'): nothing to compare with",
			s.nr_groups ? s.groups[0].label : "?");
		ret = EXIT_USAGE;
		goto out_set;
	}
	if (output) {
		f = fopen(output, "w");
		if (!f) {
			err_msg("%s: %m", output);
			ret = EXIT_USAGE;
			goto out_set;
		}
	}
	if (throughput) {
		ret = throughput_view(f, &s, sweep, fmt, &o);
		goto out_file;
	}
	for (g = 1; g < s.nr_groups; g++)
		if (s.groups[g].arg_index == s.groups[0].arg_index)
			warn_msg("%s holds several labels: '%s' is the baseline, '%s' a revision",
				 s.groups[0].origin, s.groups[0].name, s.groups[g].name);
	nr = run_set_metrics(&s, &refs);
	build_table(&t, &s, refs, nr, &o);
	for (i = 0; i < t.nr_rows; i++)
		for (g = 0; g < t.nr_new; g++)
			regression |= gated_failure(&t.rows[i].c[g]);
	if (explain)
		nx = explain_all(&t, &x);
	switch (fmt) {
	case FMT_TEXT:
		out_text(f, &t);
		if (explain)
			out_explain(f, &t, x, nx, false);
		break;
	case FMT_EMAIL:
		out_email(f, &t);
		if (explain)
			out_explain(f, &t, x, nx, true);
		break;
	case FMT_JSON:
		out_json(f, &t, regression, explain, x, nx);
		break;
	case FMT_CSV:
		out_csv(f, &t);
		if (explain)
			out_explain_csv(f, &t, x, nx);
		break;
	case FMT_MARKDOWN:
		out_markdown(f, &t);
		if (explain)
			out_explain_markdown(f, &t, x, nx);
		break;
	}
	free(x);
	ret = regression ? EXIT_FAIL : EXIT_OK;
	/* a gate must not pass for want of data: too few runs is bad input */
	for (g = 0; g < s.nr_groups; g++) {
		if (s.groups[g].nr_runs < o.min_runs) {
			err_msg("%s: %d run%s, at least %d needed for a verdict (--min-runs)%s",
				s.groups[g].name, s.groups[g].nr_runs,
				s.groups[g].nr_runs == 1 ? "" : "s", o.min_runs,
				s.skipped_unhealthy ?
					" after leaving out the unhealthy runs (--include-unhealthy)" :
					"");
			ret = EXIT_USAGE;
		}
	}
	for (i = 0; i < t.nr_rows && ret != EXIT_USAGE; i++) {
		for (g = 0; g < t.nr_new; g++) {
			const struct comparison *c = &t.rows[i].c[g];

			if (!c->gated || c->verdict != VERDICT_FEW_RUNS)
				continue;
			err_msg("%s: %d against %d runs cannot give p < %g (smallest possible %.3g): "
				"record more runs",
				t.rows[i].m->name, c->n_base, c->n_new, o.alpha, c->p_floor);
			ret = EXIT_USAGE;
			break;
		}
	}
	if (ret == EXIT_FAIL)
		info_msg("regression in a gated metric: exit status 1");
	free_table(&t);
	free(refs);
out_file:
	if (f != stdout && fclose(f)) {
		err_msg("%s: %m", output);
		ret = EXIT_USAGE;
	}
out_set:
	run_set_free(&s);
	free(gate);
	return ret;
usage_err:
	usage(stderr);
	free(gate);
	return EXIT_USAGE;
}
