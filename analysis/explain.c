// SPDX-License-Identifier: GPL-2.0
/* compare --explain: the change of a command type's latency, part by part. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <json-c/json.h>

#include "analysis/explain.h"
#include "lib/util.h"
#include "result/metrics.h"
#include "result/summary.h"

/* the measured parts, in the metric table's part names */
enum { RAW_TOTAL, RAW_QUEUE_WAIT, RAW_BUILD_POST, RAW_EL2, RAW_COMPLETION_WAIT, NR_RAW };

static const char *const raw_part[NR_RAW] = {
	[RAW_TOTAL] = "total",
	[RAW_QUEUE_WAIT] = "queue_wait",
	[RAW_BUILD_POST] = "build_post",
	[RAW_EL2] = "el2",
	[RAW_COMPLETION_WAIT] = "completion_wait",
};

/* JSON and CSV: build+post net of the EL2 commit is not the metric table's build_post */
static const char *const part_key[NR_EXPLAIN_PARTS] = {
	[EXPLAIN_QUEUE_WAIT] = "queue_wait",
	[EXPLAIN_BUILD_POST] = "build_post_net",
	[EXPLAIN_EL2] = "el2",
	[EXPLAIN_COMPLETION_WAIT] = "completion_wait",
	[EXPLAIN_OTHER] = "other",
};

static const char *const part_text[NR_EXPLAIN_PARTS] = {
	[EXPLAIN_QUEUE_WAIT] = "queue wait", [EXPLAIN_BUILD_POST] = "build+post",
	[EXPLAIN_EL2] = "EL2 commit",	     [EXPLAIN_COMPLETION_WAIT] = "completion wait",
	[EXPLAIN_OTHER] = "other",
};

bool explain_total_cmd(const char *name, char *cmd, size_t cmdlen, char *collector, size_t collen)
{
	const char *colon = strchr(name, ':');
	const char *dot;
	int len;

	if (!metric_is(name, MF_CMD_LATENCY, "total"))
		return false;
	len = colon ? colon - name : (int)strlen(name);
	dot = memrchr(name, '.', len);
	if (!dot || dot + 1 >= name + len)
		return false;
	snprintf(cmd, cmdlen, "%.*s", (int)(name + len - dot - 1), dot + 1);
	snprintf(collector, collen, "%s", colon ? colon + 1 : "");
	return true;
}

/* one side: per run, the total and each part (NaN: not measured in that run) */
struct side {
	int n;
	double *v[NR_EXPLAIN_PARTS + 1]; /* [0] total, [1 + part] */
	bool measured[NR_EXPLAIN_PARTS];
	bool el2_seen;
	bool total_raw; /* some run's total was its total_raw */
};

/* p50 of cmd_latency.<part>.<cmd>[:<col>] in one run; NaN if not measured */
static double part_p50(const struct result_data *d, const char *part, const char *cmd,
		       const char *col)
{
	const struct result_metric *m;
	char name[128];
	size_t n;

	if (metric_name(name, sizeof(name), MF_CMD_LATENCY, part, cmd) < 0)
		return NAN;
	n = strlen(name);
	if (*col)
		snprintf(name + n, sizeof(name) - n, ":%s", col);
	m = result_find_metric(d, name);
	if (!m || !m->summary.count || !isfinite(m->summary.p50))
		return NAN;
	return m->summary.p50;
}

static double run_p50(const struct result_data *d, const char *cmd, const char *col, int raw)
{
	/* a second collector's copy: the same collector's parts (EL2: hyp, plain) */
	return part_p50(d, raw_part[raw], cmd, raw == RAW_EL2 ? "" : col);
}

static void side_load(struct side *s, const struct run_group *g, const char *cmd, const char *col)
{
	int r;
	int p;

	memset(s, 0, sizeof(*s));
	for (p = 0; p <= NR_EXPLAIN_PARTS; p++)
		s->v[p] = xcalloc(g->nr_runs + 1, sizeof(double));
	for (p = 0; p < NR_EXPLAIN_PARTS; p++)
		s->measured[p] = true;
	for (r = 0; r < g->nr_runs; r++) {
		double *row[NR_EXPLAIN_PARTS + 1];
		double raw[NR_RAW];
		double measured;
		int k;

		for (k = 0; k < NR_RAW; k++)
			raw[k] = run_p50(g->runs[r], cmd, col, k);
		/*
		 * A calibrated run's total has the probes' cost taken out, its
		 * parts do not: they add up to the measured total (total_raw).
		 */
		measured = part_p50(g->runs[r], "total_raw", cmd, col);
		if (isfinite(measured)) {
			raw[RAW_TOTAL] = measured;
			s->total_raw = true;
		}
		if (!isfinite(raw[RAW_TOTAL]))
			continue;
		if (isfinite(raw[RAW_EL2]))
			s->el2_seen = true;
		else
			raw[RAW_EL2] = 0; /* no EL2 commit on this kernel */
		for (k = 0; k <= NR_EXPLAIN_PARTS; k++)
			row[k] = &s->v[k][s->n];
		*row[0] = raw[RAW_TOTAL];
		*row[1 + EXPLAIN_QUEUE_WAIT] = raw[RAW_QUEUE_WAIT];
		*row[1 + EXPLAIN_BUILD_POST] = raw[RAW_BUILD_POST] - raw[RAW_EL2];
		*row[1 + EXPLAIN_EL2] = raw[RAW_EL2];
		*row[1 + EXPLAIN_COMPLETION_WAIT] = raw[RAW_COMPLETION_WAIT];
		*row[1 + EXPLAIN_OTHER] = raw[RAW_TOTAL] - raw[RAW_QUEUE_WAIT] -
					  raw[RAW_BUILD_POST] - raw[RAW_COMPLETION_WAIT];
		for (k = 0; k < NR_EXPLAIN_PARTS; k++)
			if (!isfinite(*row[1 + k]))
				s->measured[k] = false;
		s->n++;
	}
}

static void side_free(struct side *s)
{
	int p;

	for (p = 0; p <= NR_EXPLAIN_PARTS; p++)
		free(s->v[p]);
}

/* the median of v over the runs idx (all runs when idx is NULL) */
static double med(const double *v, const int *idx, int n, double *buf)
{
	int i;

	for (i = 0; i < n; i++)
		buf[i] = v[idx ? idx[i] : i];
	sort_double(buf, n);
	return quantile_sorted_double(buf, n, 0.5);
}

int explain_command(const struct run_group *base, const struct run_group *new, const char *cmd,
		    const char *collector, unsigned int nboot, unsigned long seed, double level,
		    struct explanation *e)
{
	struct side a;
	struct side b;
	double *shares[NR_EXPLAIN_PARTS];
	int nshares = 0;
	int *ia;
	int *ib;
	double *buf;
	gsl_rng *rng;
	unsigned int it;
	int p;
	int i;

	memset(e, 0, sizeof(*e));
	snprintf(e->cmd, sizeof(e->cmd), "%s", cmd);
	snprintf(e->collector, sizeof(e->collector), "%s", collector ? collector : "");
	side_load(&a, base, cmd, e->collector);
	side_load(&b, new, cmd, e->collector);
	e->n_base = a.n;
	e->n_new = b.n;
	if (!a.n || !b.n) {
		side_free(&a);
		side_free(&b);
		return -1;
	}
	buf = xmalloc((a.n + b.n + 1) * sizeof(*buf));
	ia = xmalloc((a.n + 1) * sizeof(*ia));
	ib = xmalloc((b.n + 1) * sizeof(*ib));
	e->measured = a.total_raw || b.total_raw;
	e->base = med(a.v[0], NULL, a.n, buf);
	e->new = med(b.v[0], NULL, b.n, buf);
	e->delta = e->new - e->base;
	for (p = 0; p < NR_EXPLAIN_PARTS; p++) {
		struct explain_part *ep = &e->parts[p];

		ep->key = part_key[p];
		ep->text = part_text[p];
		ep->measured = a.measured[p] && b.measured[p];
		if (p == EXPLAIN_EL2)
			ep->measured = a.el2_seen || b.el2_seen;
		ep->base = ep->new = ep->delta = ep->share = ep->lo = ep->hi = NAN;
		if (!ep->measured)
			continue;
		ep->base = med(a.v[1 + p], NULL, a.n, buf);
		ep->new = med(b.v[1 + p], NULL, b.n, buf);
		ep->delta = ep->new - ep->base;
		if (e->delta != 0)
			ep->share = ep->delta / e->delta;
		shares[p] = xmalloc((nboot + 1) * sizeof(double));
	}
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	for (it = 0; it < nboot; it++) {
		double dt;

		for (i = 0; i < a.n; i++)
			ia[i] = gsl_rng_uniform_int(rng, a.n);
		for (i = 0; i < b.n; i++)
			ib[i] = gsl_rng_uniform_int(rng, b.n);
		dt = med(b.v[0], ib, b.n, buf) - med(a.v[0], ia, a.n, buf);
		/* a share of no change, or of an improvement, means nothing here */
		if (!(dt > 0) || e->delta <= 0)
			continue;
		for (p = 0; p < NR_EXPLAIN_PARTS; p++)
			if (e->parts[p].measured)
				shares[p][nshares] = (med(b.v[1 + p], ib, b.n, buf) -
						      med(a.v[1 + p], ia, a.n, buf)) /
						     dt;
		nshares++;
	}
	for (p = 0; p < NR_EXPLAIN_PARTS; p++) {
		struct explain_part *ep = &e->parts[p];

		if (!ep->measured)
			continue;
		if (nshares >= 10 && a.n >= 2 && b.n >= 2) {
			sort_double(shares[p], nshares);
			ep->lo = quantile_sorted_double(shares[p], nshares, (1 - level) / 2);
			ep->hi = quantile_sorted_double(shares[p], nshares, 1 - (1 - level) / 2);
		}
		free(shares[p]);
	}
	gsl_rng_free(rng);
	free(buf);
	free(ia);
	free(ib);
	side_free(&a);
	side_free(&b);
	return 0;
}

static void fmt_us(char *buf, size_t len, double ns)
{
	snprintf(buf, len, "%+.1f us", fabs(ns) < 50 ? 0.0 : ns / 1000);
}

static void fmt_pct(char *buf, size_t len, double share)
{
	if (isfinite(share))
		snprintf(buf, len, "%.0f%%", fabs(share) < 0.005 ? 0.0 : share * 100);
	else
		snprintf(buf, len, "-");
}

void explain_print(FILE *f, const struct explanation *e, const char *vs, double level)
{
	char d[32];
	int p;

	fmt_us(d, sizeof(d), e->delta);
	fprintf(f, "  %s%s%s%s vs base: %s %s (%+.0f%%%s), %d against %d runs\n", e->cmd,
		*e->collector ? " (" : "", e->collector, *e->collector ? ")" : "", vs, d,
		e->base > 0 ? e->delta / e->base * 100 : NAN,
		e->measured ? " of the measured span, probe cost included: its parts" : "",
		e->n_base, e->n_new);
	fprintf(f, "    %-16s %10s %10s %10s %7s %17s\n", "part", "base", "new", "change", "share",
		"CI");
	for (p = 0; p < NR_EXPLAIN_PARTS; p++) {
		const struct explain_part *ep = &e->parts[p];
		char b[24];
		char n[24];
		char s[16];
		char lo[16];
		char hi[16];
		char ci[40];

		if (!ep->measured) {
			fprintf(f, "    %-16s %10s\n", ep->text, "not measured");
			continue;
		}
		snprintf(b, sizeof(b), "%.1f us", ep->base / 1000);
		snprintf(n, sizeof(n), "%.1f us", ep->new / 1000);
		fmt_us(d, sizeof(d), ep->delta);
		fmt_pct(s, sizeof(s), ep->share);
		fmt_pct(lo, sizeof(lo), ep->lo);
		fmt_pct(hi, sizeof(hi), ep->hi);
		if (isfinite(ep->lo))
			snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
		else
			snprintf(ci, sizeof(ci), "-");
		fprintf(f, "    %-16s %10s %10s %10s %7s %17s\n", ep->text, b, n, d, s, ci);
	}
	fprintf(f, "    (share: part change / total change, %.0f%% bootstrap CI over runs;\n",
		level * 100);
	fprintf(f, "     build+post is net of the EL2 commit nested in its CWRITER post)\n");
}

void explain_line(char *buf, size_t len, const struct explanation *e)
{
	size_t n;
	int p;
	bool first = true;

	n = snprintf(buf, len, "%s%s%s%s %+.1f us (%+.0f%%%s):", e->cmd, *e->collector ? " (" : "",
		     e->collector, *e->collector ? ")" : "", e->delta / 1000,
		     e->base > 0 ? e->delta / e->base * 100 : NAN,
		     e->measured ? " of the measured span" : "");
	/* the EL2 commit first: what the series adds */
	for (p = -1; p < NR_EXPLAIN_PARTS && n < len; p++) {
		int k = p < 0 ? EXPLAIN_EL2 : p;
		const struct explain_part *ep = &e->parts[k];
		char s[16];
		char lo[16];
		char hi[16];

		if ((p >= 0 && k == EXPLAIN_EL2) || !ep->measured || !isfinite(ep->share))
			continue;
		fmt_pct(s, sizeof(s), ep->share);
		n += snprintf(buf + n, len - n, "%s %s %s", first ? "" : ",", ep->text, s);
		if (isfinite(ep->lo) && n < len) {
			fmt_pct(lo, sizeof(lo), ep->lo);
			fmt_pct(hi, sizeof(hi), ep->hi);
			n += snprintf(buf + n, len - n, " [%s, %s]", lo, hi);
		}
		first = false;
	}
}

void explain_print_wrapped(FILE *f, const struct explanation *e, int width)
{
	char line[512];
	const char *s = line;
	int indent = 0;

	explain_line(line, sizeof(line), e);
	while (*s) {
		int room = width - indent;
		int cut = strlen(s);

		/* break between parts only: ", EL2 commit", not inside "[-1%, 1%]" */
		if (cut > room) {
			for (cut = room; cut > 1 && !(s[cut] == ' ' && s[cut - 1] == ',' &&
						      isalpha((unsigned char)s[cut + 1]));
			     cut--)
				;
			if (cut <= 1)
				for (cut = room; cut > 0 && s[cut] != ' '; cut--)
					;
			if (!cut)
				cut = room;
		}
		fprintf(f, "%*s%.*s\n", indent, "", cut, s);
		s += cut;
		while (*s == ' ')
			s++;
		indent = 4;
	}
}

static struct json_object *jnum(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

struct json_object *explain_json(const struct explanation *e, double level, struct json_object *o)
{
	struct json_object *parts = json_object_new_array();
	int p;

	if (!o)
		o = json_object_new_object();
	json_object_object_add(o, "command", json_object_new_string(e->cmd));
	json_object_object_add(o, "collector",
			       *e->collector ? json_object_new_string(e->collector) : NULL);
	json_object_object_add(o, "n_base", json_object_new_int(e->n_base));
	json_object_object_add(o, "n_new", json_object_new_int(e->n_new));
	json_object_object_add(o, "base", jnum(e->base));
	json_object_object_add(o, "new", jnum(e->new));
	json_object_object_add(o, "delta", jnum(e->delta));
	/* calibrated runs: the parts split the measured span (total_raw), probe cost included */
	json_object_object_add(o, "measured_span", json_object_new_boolean(e->measured));
	json_object_object_add(o, "change", jnum(e->base > 0 ? e->delta / e->base : NAN));
	json_object_object_add(o, "level", jnum(level));
	for (p = 0; p < NR_EXPLAIN_PARTS; p++) {
		const struct explain_part *ep = &e->parts[p];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "part", json_object_new_string(part_key[p]));
		json_object_object_add(j, "text", json_object_new_string(part_text[p]));
		json_object_object_add(j, "measured", json_object_new_boolean(ep->measured));
		json_object_object_add(j, "base", jnum(ep->base));
		json_object_object_add(j, "new", jnum(ep->new));
		json_object_object_add(j, "delta", jnum(ep->delta));
		json_object_object_add(j, "share", jnum(ep->share));
		json_object_object_add(j, "ci_lo", jnum(ep->lo));
		json_object_object_add(j, "ci_hi", jnum(ep->hi));
		json_object_array_add(parts, j);
	}
	json_object_object_add(o, "parts", parts);
	return o;
}

static void csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, ",%.10g", v);
	else
		fprintf(f, ",");
}

void explain_csv(FILE *f, const struct explanation *e, const char *pfx)
{
	int p;

	for (p = 0; p < NR_EXPLAIN_PARTS; p++) {
		const struct explain_part *ep = &e->parts[p];

		fprintf(f, "%s%s,%s,%d,%d", pfx, e->cmd, e->collector, e->n_base, e->n_new);
		csv_num(f, e->base);
		csv_num(f, e->new);
		csv_num(f, e->delta);
		fprintf(f, ",%s,%d", part_key[p], ep->measured);
		csv_num(f, ep->base);
		csv_num(f, ep->new);
		csv_num(f, ep->delta);
		csv_num(f, ep->share);
		csv_num(f, ep->lo);
		csv_num(f, ep->hi);
		fprintf(f, "\n");
	}
}

void explain_markdown(FILE *f, const struct explanation *e, const char *vs, double level)
{
	char d[32];
	int p;

	fmt_us(d, sizeof(d), e->delta);
	fprintf(f, "**%s%s%s%s** vs base: %s %s (%+.0f%%%s), %d against %d runs\n\n", e->cmd,
		*e->collector ? " (" : "", e->collector, *e->collector ? ")" : "", vs, d,
		e->base > 0 ? e->delta / e->base * 100 : NAN,
		e->measured ? " of the measured span, probe cost included" : "", e->n_base,
		e->n_new);
	fprintf(f, "| part | base | new | change | share | %.0f%% CI |\n", level * 100);
	fprintf(f, "|---|---:|---:|---:|---:|---|\n");
	for (p = 0; p < NR_EXPLAIN_PARTS; p++) {
		const struct explain_part *ep = &e->parts[p];
		char s[16];
		char lo[16];
		char hi[16];

		if (!ep->measured) {
			fprintf(f, "| %s | not measured | | | | |\n", ep->text);
			continue;
		}
		fmt_us(d, sizeof(d), ep->delta);
		fmt_pct(s, sizeof(s), ep->share);
		fmt_pct(lo, sizeof(lo), ep->lo);
		fmt_pct(hi, sizeof(hi), ep->hi);
		fprintf(f, "| %s | %.1f us | %.1f us | %s | %s |", ep->text, ep->base / 1000,
			ep->new / 1000, d, s);
		if (isfinite(ep->lo))
			fprintf(f, " [%s, %s] |\n", lo, hi);
		else
			fprintf(f, " - |\n");
	}
	fprintf(f, "\n");
}
