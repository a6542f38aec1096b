// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include <json-c/json.h>

#include "result/crosscheck.h"
#include "result/result_read.h"
#include "lib/util.h"

#define MAX_ROWS 64

/*
 * SYNC and VSYNC are built inline in the send path of every command:
 * neither collector sees them as a command of their own, so the workload's
 * SYNC count has nothing to be compared with.
 */
static bool inline_cmd(const char *cmd)
{
	return !strcmp(cmd, "SYNC") || !strcmp(cmd, "VSYNC");
}

static long long count_of(struct json_object *src, const char *cmd)
{
	struct json_object *v;

	if (!src)
		return -1;
	if (!json_object_object_get_ex(src, cmd, &v))
		return 0;
	return json_object_get_int64(v);
}

static int row_index(struct crosscheck_row *rows, int *n, int max, const char *cmd)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(rows[i].cmd, cmd))
			return i;
	if (*n == max)
		return -1;
	memset(&rows[*n], 0, sizeof(rows[*n]));
	snprintf(rows[*n].cmd, sizeof(rows[*n].cmd), "%s", cmd);
	return (*n)++;
}

static void collect_names(struct json_object *src, struct crosscheck_row *rows, int *n, int max)
{
	if (!src || !json_object_is_type(src, json_type_object))
		return;
	json_object_object_foreach(src, key, val)
	{
		(void)val;
		row_index(rows, n, max, key);
	}
}

static const char *judge(struct crosscheck_row *r)
{
	long long seen = r->bpf >= 0 ? r->bpf : r->ftrace;

	if (inline_cmd(r->cmd))
		return "not comparable";
	if (r->bpf >= 0 && r->ftrace >= 0 && r->bpf != r->ftrace)
		return "MISMATCH";
	if (r->tracedat >= 0 && seen >= 0 && r->tracedat != seen)
		return "MISMATCH";
	if (seen < 0)
		seen = r->tracedat;
	if (seen < 0)
		return "not comparable";
	if (r->workload <= 0 && r->workload_max <= 0)
		return seen ? "unexpected" : "ok";
	if (seen == r->workload)
		return "ok";
	/* the workload said "this many, up to that many" (vCPU switches, CPU picks) */
	if (seen > r->workload && seen <= r->workload_max)
		return "ok (in range)";
	return "MISMATCH";
}

int crosscheck_counters(struct json_object *counters, struct crosscheck_row *rows, int max,
			int *mismatches)
{
	struct json_object *wl_max = NULL;
	struct json_object *wl = NULL;
	struct json_object *bpf = NULL;
	struct json_object *ft = NULL;
	struct json_object *td = NULL;
	int n = 0;
	int i;

	*mismatches = 0;
	if (!counters)
		return 0;
	json_object_object_get_ex(counters, "workload", &wl);
	json_object_object_get_ex(counters, "workload_max", &wl_max);
	json_object_object_get_ex(counters, "bpf", &bpf);
	json_object_object_get_ex(counters, "ftrace", &ft);
	json_object_object_get_ex(counters, "trace.dat", &td);
	collect_names(wl, rows, &n, max);
	collect_names(bpf, rows, &n, max);
	collect_names(ft, rows, &n, max);
	collect_names(td, rows, &n, max);
	for (i = 0; i < n; i++) {
		rows[i].workload = wl ? count_of(wl, rows[i].cmd) : -1;
		rows[i].workload_max = wl_max ? count_of(wl_max, rows[i].cmd) : rows[i].workload;
		rows[i].bpf = count_of(bpf, rows[i].cmd);
		rows[i].ftrace = count_of(ft, rows[i].cmd);
		rows[i].tracedat = count_of(td, rows[i].cmd);
		rows[i].verdict = judge(&rows[i]);
		if (!strcmp(rows[i].verdict, "MISMATCH"))
			(*mismatches)++;
	}
	return n;
}

static void print_count(FILE *out, long long v)
{
	if (v < 0)
		fprintf(out, " %10s", "-");
	else
		fprintf(out, " %10lld", v);
}

static void print_range(FILE *out, long long lo, long long hi)
{
	char buf[48];

	if (lo < 0)
		snprintf(buf, sizeof(buf), "-");
	else if (hi > lo)
		snprintf(buf, sizeof(buf), "%lld..%lld", lo, hi);
	else
		snprintf(buf, sizeof(buf), "%lld", lo);
	fprintf(out, " %15s", buf);
}

int crosscheck_print(const struct result_data *d, FILE *out)
{
	struct crosscheck_row rows[MAX_ROWS];
	struct json_object *counters = NULL;
	bool has_td = false;
	int mismatches;
	int n;
	int i;

	if (d->sections)
		json_object_object_get_ex(d->sections, "counters", &counters);
	n = crosscheck_counters(counters, rows, MAX_ROWS, &mismatches);
	if (!n) {
		fprintf(out, "cross-check: no ITS command counts in %s\n", d->dir);
		return 0;
	}
	fprintf(out, "cross-check of ITS command counts (%s):\n", d->dir);
	for (i = 0; i < n && !has_td; i++)
		has_td = rows[i].tracedat >= 0;
	fprintf(out, "  %-8s %15s %10s %10s", "command", "workload", "bpf", "ftrace");
	if (has_td)
		fprintf(out, " %10s", "trace.dat");
	fprintf(out, "\n");
	for (i = 0; i < n; i++) {
		fprintf(out, "  %-8s", rows[i].cmd);
		print_range(out, rows[i].workload, rows[i].workload_max);
		print_count(out, rows[i].bpf);
		print_count(out, rows[i].ftrace);
		if (has_td)
			print_count(out, rows[i].tracedat);
		fprintf(out, "  %s\n", rows[i].verdict);
	}
	if (mismatches)
		fprintf(out, "cross-check: %d command type%s disagree between sources\n",
			mismatches, mismatches == 1 ? "" : "s");
	return mismatches;
}

int crosscheck_dir(const char *dir, FILE *out)
{
	struct result_data *d;
	char err[512];
	int bad;

	d = result_read(dir, RESULT_READ_QUIET, err, sizeof(err));
	if (!d) {
		err_msg("the result just written does not read back: %s", err);
		return -1;
	}
	bad = crosscheck_print(d, out);
	result_free(d);
	return bad;
}
