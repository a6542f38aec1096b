// SPDX-License-Identifier: GPL-2.0
/*
 * result/metrics: the metric table against results/README.md's metric list,
 * names built and looked up through it, the gating rule, and the collector
 * as part of a metric's identity (a secondary collector's copy is
 * NAME:<collector> whatever the start order).
 *
 * Every metric name the repository shows is one the table describes
 * (metric_name_check()): the reference runs' (results/ref: meta.json's
 * names with their collector and unit, the sample files' names) and those
 * in the fenced blocks of the READMEs (command output, examples; the email
 * table's heading + row names with the heading's unit). A temp copy with a
 * stale name must fail the same check.
 *
 *   build/x86_64/tests/test_metrics --print   the list results/README.md holds
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "lib/util.h"
#include "result/metrics.h"
#include "result/result.h"
#include "result/result_read.h"

#define README	   "results/README.md"
#define BEGIN_MARK "<!-- metric table: generated from result/metrics.c -->\n"
#define END_MARK   "<!-- end of metric table -->\n"

static char *table_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	metric_table_markdown(f);
	fclose(f);
	return buf;
}

/* results/README.md's list is exactly the table's */
static void test_readme_matches_table(void **state)
{
	char *doc = read_file(README, NULL);
	char *want = table_text();
	char *a;
	char *b;

	(void)state;
	assert_non_null(doc);
	a = strstr(doc, BEGIN_MARK);
	assert_non_null(a);
	a += strlen(BEGIN_MARK);
	b = strstr(a, END_MARK);
	assert_non_null(b);
	*b = '\0';
	if (strcmp(a, want))
		fprintf(stderr, "results/README.md's metric list differs from result/metrics.c: "
				"regenerate it with build/x86_64/tests/test_metrics --print\n");
	assert_string_equal(a, want);
	free(doc);
	free(want);
}

/* every family's own pattern examples map back to it */
static void test_names_round_trip(void **state)
{
	static const struct {
		const char *name;
		enum metric_id id;
	} cases[] = {
		{ "cmd_latency.total.MOVI", MF_CMD_LATENCY },
		{ "cmd_latency.queue_wait.MAPD", MF_CMD_LATENCY },
		{ "cmd_latency.total.MOVI:ftrace", MF_CMD_LATENCY },
		{ "cmd_latency.count.MOVI", MF_CMD_COUNT },
		{ "cmd_latency.clear_path", MF_CMD_CLEAR_PATH },
		{ "lock_hold.its_node", MF_LOCK_NODE },
		{ "lock_hold.its_node.its@8080000", MF_LOCK_NODE },
		{ "lock_hold.its_node.its@8080000.its_send_single_command.MOVI", MF_LOCK_NODE_CMD },
		{ "lock_hold.its_node.its0.deprivilege", MF_LOCK_NODE_DEPRIV },
		{ "lock_hold.its_lock.cpu_init.upper", MF_LOCK_ITS_LOCK },
		{ "lock_hold.deprivilege.total", MF_LOCK_DEPRIVILEGE },
		{ "lock_hold.contention.its@8080000", MF_LOCK_CONTENTION },
		{ "hvc_path.count.vcpu_run", MF_HVC_PATH_COUNT },
		{ "hvc_path.vcpu_run", MF_HVC_PATH },
		{ "hvc.el2.host_hcall", MF_HVC_EL2 },
		{ "hvc.hvc.hvc_roundtrip", MF_HVC_WORKLOAD },
		{ "hvc.its_setup", MF_HVC },
		{ "deprivilege.prot_finalize.cpu0", MF_DEPRIVILEGE },
		{ "bench.msi.io_latency", MF_BENCH },
		{ "throughput.commands.affinity", MF_THROUGHPUT_CMDS },
		{ "throughput.commands", MF_THROUGHPUT },
		{ "count.cmd.MOVI", MF_COUNT },
	};
	char name[128];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct metric_family *f = metric_family_of(cases[i].name);

		if (f != &metric_families[cases[i].id])
			fprintf(stderr, "%s: family %s\n", cases[i].name, f ? f->pattern : "none");
		assert_ptr_equal(f, &metric_families[cases[i].id]);
	}
	assert_null(metric_family_of("nothing.known"));
	assert_int_equal(metric_name(name, sizeof(name), MF_CMD_LATENCY, "total", "MOVI"), 0);
	assert_string_equal(name, "cmd_latency.total.MOVI");
	assert_int_equal(metric_name(name, sizeof(name), MF_LOCK_NODE_DEPRIV, 2), 0);
	assert_string_equal(name, "lock_hold.its_node.its2.deprivilege");
	assert_int_equal(metric_name(name, 8, MF_CMD_COUNT, "MOVI"), -1);
	assert_non_null(metric_part(MF_CMD_LATENCY, "completion_wait"));
	assert_non_null(metric_part(MF_CMD_LATENCY, "completion_wait")->error_bound);
	assert_null(metric_part(MF_CMD_LATENCY, "nonsense"));
}

/* the gate: headline numbers, not their breakdowns nor a second collector's copy */
static void test_gating(void **state)
{
	(void)state;
	assert_true(metric_gated_by_default("cmd_latency.total.MOVI"));
	assert_false(metric_gated_by_default("cmd_latency.queue_wait.MOVI"));
	assert_false(metric_gated_by_default("cmd_latency.total.MOVI:ftrace"));
	assert_false(metric_gated_by_default("cmd_latency.clear_path"));
	/* the headline family only: not the its_lock diagnostics */
	assert_false(metric_gated_by_default("lock_hold.its_lock.cpu_init.upper"));
	assert_true(metric_gated_by_default("lock_hold.deprivilege.locks_held"));
	assert_true(metric_gated_by_default("lock_hold.deprivilege.kernel_clock"));
	assert_false(metric_gated_by_default("lock_hold.deprivilege.start_fn"));
	assert_true(metric_gated_by_default("hvc.vcpu.kvm_run_roundtrip"));
	assert_false(metric_gated_by_default("hvc.el2.hvc"));
	assert_true(metric_gated_by_default("lock_hold.its_node.its@8080000"));
	assert_false(metric_gated_by_default("lock_hold.its_node.its@8080000.caller.MOVI"));
	assert_true(metric_gated_by_default("hvc.hvc.hvc_roundtrip"));
	assert_true(metric_gated_by_default("throughput.commands"));
	assert_false(metric_gated_by_default("an.unknown.metric"));
}

static int add(struct result_run *r, const char *name, const char *source, double v)
{
	struct metric_desc d = {
		.name = name,
		.area = "cmd_latency",
		.unit = "ns",
		.kind = METRIC_LATENCY,
		.source = source,
	};
	struct hist h;
	int ret;

	hist_init(&h, HIST_LOG2, 64, 0);
	hist_add(&h, (uint64_t)v);
	ret = result_add_metric(r, &d, &h, NULL, 0);
	hist_free(&h);
	return ret;
}

/* ftrace first or second, alone or not: its copy is NAME:ftrace, BPF's the plain name */
static void test_collector_identity(void **state)
{
	static const char *const orders[][2] = {
		{ "bpf", "ftrace" },
		{ "ftrace", "bpf" },
		{ "ftrace", NULL },
	};
	char tmpl[] = "/tmp/itsperf-metrics-XXXXXX";
	struct run_meta meta = { .label = "t", .kernel_release = "test" };
	size_t i;
	int k;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		char *dir = xasprintf("%s/run-%zu", tmpl, i);
		struct result_run *r = result_run_begin(dir, &meta);
		struct result_data *d;

		assert_non_null(r);
		for (k = 0; k < 2 && orders[i][k]; k++)
			assert_int_equal(add(r, "cmd_latency.total.MOVI", orders[i][k],
					     !strcmp(orders[i][k], "bpf") ? 100 : 200),
					 0);
		assert_int_equal(result_run_end(r, false), 0);
		d = result_read(dir, 0, NULL, 0);
		assert_non_null(d);
		assert_non_null(result_find_metric(d, "cmd_latency.total.MOVI:ftrace"));
		assert_true(result_find_metric(d, "cmd_latency.total.MOVI:ftrace")->hist.max ==
			    200);
		if (orders[i][1]) {
			assert_non_null(result_find_metric(d, "cmd_latency.total.MOVI"));
			assert_true(result_find_metric(d, "cmd_latency.total.MOVI")->hist.max ==
				    100);
		} else {
			assert_null(result_find_metric(d, "cmd_latency.total.MOVI"));
		}
		result_free(d);
		free(dir);
	}
	rm_rf(tmpl);
}

/* metric_name_check on names of each kind of mistake */
static void test_name_check(void **state)
{
	static const struct {
		const char *name;
		const char *source;
		const char *unit;
		bool ok;
	} cases[] = {
		{ "cmd_latency.total.MOVI", "bpf", "ns", true },
		{ "cmd_latency.total.MOVI:ftrace", "ftrace", "ns", true },
		{ "cmd_latency.el2.MAPD", "hyp", NULL, true },
		{ "cmd_latency.count.MOVI:ftrace", NULL, "events", true },
		{ "cmd_latency.clear_path", "bpf", NULL, true },
		{ "lock_hold.its_node", "bpf", NULL, true },
		{ "lock_hold.its_node.its@8080000", NULL, NULL, true },
		{ "lock_hold.its_node.its@8080000.its_set_affinity.MOVI", "bpf", NULL, true },
		{ "lock_hold.its_node.its0.deprivilege", "boot", NULL, true },
		{ "lock_hold.its_lock.cpu_init.upper", "bpf", NULL, true },
		{ "lock_hold.its_lock.deprivilege", "boot", NULL, true },
		{ "lock_hold.contention.its@8080000", NULL, NULL, true },
		{ "hvc_path.count.vcpu_run", "bpf", "events", true },
		{ "hvc.el2.its_commit.MOVI", "hyp", NULL, true },
		{ "hvc.hvc.hvc_roundtrip", "bench", NULL, true },
		{ "hvc.share_hyp", "ftrace", NULL, true },
		{ "deprivilege.initcall.finalize_pkvm", "boot", NULL, true },
		{ "throughput.commands.affinity", "bench", "cmd/s", true },
		{ "throughput.affinity", "bench", "op/s", true },
		{ "tp_selftest.sched_switch", "bpf", NULL, true },
		/* names an older itsperf wrote */
		{ "lock_hold.its.lock", NULL, NULL, false },
		{ "lock_hold.its.lock.8080000", NULL, NULL, false },
		{ "lock_hold.its.lock.8080000.its_set_affinity.MOVI", NULL, NULL, false },
		{ "lock_hold.its_lock", NULL, NULL, false },
		{ "hvc.null", "bench", NULL, false },
		{ "hvc.share_hyp", "bpf", NULL, false },
		{ "hvc.share_hyp:ftrace", "ftrace", NULL, false },
		{ "count.cmd.MOVI", "bpf", NULL, false },
		{ "throughput.commands", "bench", "cmd/s", false },
		/* a level the pattern does not allow */
		{ "cmd_latency.bogus.MOVI", NULL, NULL, false },
		{ "cmd_latency.total.movi", NULL, NULL, false },
		{ "lock_hold.its_node.8080000", NULL, NULL, false },
		{ "lock_hold.its_node.itsX.deprivilege", NULL, NULL, false },
		/* the collector's suffix */
		{ "cmd_latency.total.MOVI", "ftrace", NULL, false },
		{ "cmd_latency.total.MOVI:ftrace", "bpf", NULL, false },
		{ "cmd_latency.total.MOVI:bpf", NULL, NULL, false },
		{ "cmd_latency.total.MOVI:perf", NULL, NULL, false },
		{ "nothing.known", NULL, NULL, false },
		{ "cmd_latency.total.MOVI CLEAR", NULL, NULL, false },
		{ "cmd_latency..MOVI", NULL, NULL, false },
	};
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool ok = metric_name_check(cases[i].name, cases[i].source, cases[i].unit, why,
					    sizeof(why));

		if (ok != cases[i].ok)
			fprintf(stderr, "%s (%s, %s): %s\n", cases[i].name,
				cases[i].source ? cases[i].source : "-",
				cases[i].unit ? cases[i].unit : "-", ok ? "accepted" : why);
		assert_int_equal(ok, cases[i].ok);
	}
}

/* the first levels of the table's families: a word starting so is a metric name */
static bool family_head(const char *s, size_t len)
{
	int i;

	for (i = 0; i < NR_METRIC_FAMILIES; i++) {
		const char *p = metric_families[i].pattern;

		if (strcspn(p, ".") == len && !strncmp(p, s, len))
			return true;
	}
	return false;
}

/* 1 and the reason on stderr if name is not one of the table's */
static int bad_name(const char *where, const char *name, const char *source, const char *unit,
		    int *checked)
{
	char why[512];

	(*checked)++;
	if (metric_name_check(name, source, unit, why, sizeof(why)))
		return 0;
	fprintf(stderr, "%s: %s\n", where, why);
	return 1;
}

/* one run: meta.json's metrics (name, collector, unit) and samples/<name>.txt */
static int scan_run(const char *dir, int *checked)
{
	char *path = xasprintf("%s/meta.json", dir);
	struct json_object *o = json_object_from_file(path);
	struct json_object *ms;
	struct dirent *de;
	DIR *d;
	int bad = 0;
	size_t i;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "metrics", &ms));
	for (i = 0; i < json_object_array_length(ms); i++) {
		struct json_object *m = json_object_array_get_idx(ms, i);
		struct json_object *name;
		struct json_object *source = NULL;
		struct json_object *unit = NULL;

		assert_true(json_object_object_get_ex(m, "name", &name));
		json_object_object_get_ex(m, "source", &source);
		json_object_object_get_ex(m, "unit", &unit);
		bad += bad_name(path, json_object_get_string(name),
				source ? json_object_get_string(source) : NULL,
				unit ? json_object_get_string(unit) : NULL, checked);
	}
	json_object_put(o);
	free(path);
	path = xasprintf("%s/samples", dir);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char *name;

		if (de->d_name[0] == '.')
			continue;
		assert_true(n > 4 && !strcmp(de->d_name + n - 4, ".txt"));
		name = xasprintf("%.*s", (int)n - 4, de->d_name);
		bad += bad_name(path, name, NULL, NULL, checked);
		free(name);
	}
	if (d)
		closedir(d);
	free(path);
	return bad;
}

static int scan_runs(const char *root, int *checked)
{
	char **dirs = NULL;
	int bad = 0;
	int nr;
	int i;

	nr = result_find_runs(root, &dirs);
	assert_true(nr > 0);
	for (i = 0; i < nr; i++)
		bad += scan_run(dirs[i], checked);
	result_free_list(dirs, nr);
	return bad;
}

#define WORD_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:+@-*~"

static const char *const file_ext[] = { ".txt", ".png", ".svg", ".csv", ".json", ".dat" };
static const char *const source_ext[] = { ".c", ".h", ".sh", ".md", ".o", ".py" };

static bool ends_with(const char *s, size_t len, const char *ext)
{
	size_t n = strlen(ext);

	return len > n && !strncmp(s + len - n, ext, n);
}

/* every word of line that starts with a family's first level and has a level more */
static int scan_words(const char *where, const char *line, int *checked)
{
	const char *p = line;
	int bad = 0;

	while (*p) {
		size_t len = strspn(p, WORD_CHARS);
		char word[256];
		size_t i;

		if (!len) {
			p++;
			continue;
		}
		/* sentence punctuation, then a metric's file: samples/<metric>.txt */
		while (len && strchr(".:", p[len - 1]))
			len--;
		for (i = 0; i < ARRAY_SIZE(file_ext); i++)
			if (ends_with(p, len, file_ext[i]))
				len -= strlen(file_ext[i]);
		snprintf(word, sizeof(word), "%.*s", (int)len, p);
		p += strspn(p, WORD_CHARS);
		/* globs and source files (bench.c) are not metric names */
		if (strchr(word, '*') || !strchr(word, '.') ||
		    !family_head(word, strcspn(word, ".")))
			continue;
		for (i = 0; i < ARRAY_SIZE(source_ext); i++)
			if (ends_with(word, strlen(word), source_ext[i]))
				break;
		if (i == ARRAY_SIZE(source_ext))
			bad += bad_name(where, word, NULL, NULL, checked);
	}
	return bad;
}

/*
 * compare --format email: "<name prefix>[ p50| p99] (<unit>)" and under it
 * "  <last level>  <numbers>" rows; a row name cut to fit starts with '~'
 */
static bool email_heading(const char *line, const char *next, char *name, size_t nlen, char *unit,
			  size_t ulen)
{
	size_t n = strspn(line, WORD_CHARS);
	const char *u = line + n;

	if (!n || !next || strncmp(next, "  ", 2) || next[2] == ' ' || !next[2])
		return false;
	if (!strncmp(u, " p50", 4) || !strncmp(u, " p99", 4))
		u += 4;
	if (strncmp(u, " (", 2) || !strchr(u, ')') || strchr(u, ')')[1])
		return false;
	snprintf(name, nlen, "%.*s", (int)n, line);
	snprintf(unit, ulen, "%.*s", (int)(strchr(u, ')') - u - 2), u + 2);
	return true;
}

/* "name": "<metric>" ... "source": "<collector>" ... "unit": "<unit>" in one JSON object */
static void json_field(const char *obj, const char *end, const char *key, char *val, size_t len)
{
	char *k = xasprintf("\"%s\": \"", key);
	const char *p = strstr(obj, k);

	*val = '\0';
	if (p && p < end)
		snprintf(val, len, "%.*s", (int)strcspn(p + strlen(k), "\""), p + strlen(k));
	free(k);
}

static int scan_json_names(const char *where, const char *block, int *checked)
{
	const char *p = block;
	int bad = 0;

	while ((p = strstr(p, "\"name\": \""))) {
		const char *end = strstr(p + 1, "\"name\": \"");
		char name[256];
		char source[64];
		char unit[64];

		if (!end)
			end = p + strlen(p);
		json_field(p, end, "name", name, sizeof(name));
		json_field(p, end, "source", source, sizeof(source));
		json_field(p, end, "unit", unit, sizeof(unit));
		if (family_head(name, strcspn(name, ".")))
			bad += bad_name(where, name, *source ? source : NULL, *unit ? unit : NULL,
					checked);
		p = end;
	}
	return bad;
}

/* the metric names in the fenced blocks of a markdown file */
static int scan_doc(const char *path, int *checked)
{
	char *doc = read_file(path, NULL);
	char **lines = NULL;
	char *l;
	int nr = 0;
	int bad = 0;
	int start = -1;
	int i;

	assert_non_null(doc);
	/* every line, the empty ones too: line numbers, and an empty line ends an email table */
	for (l = doc; *l; nr++) {
		char *nl = strchr(l, '\n');

		lines = xrealloc(lines, (nr + 1) * sizeof(*lines));
		lines[nr] = l;
		if (!nl)
			break;
		*nl = '\0';
		l = nl + 1;
	}
	for (i = 0; i < nr; i++) {
		char name[256];
		char unit[64];
		char where[512];
		char *block;
		size_t blen = 0;
		int k;

		if (strncmp(lines[i], "```", 3))
			continue;
		if (start < 0) {
			start = i + 1;
			continue;
		}
		snprintf(where, sizeof(where), "%s:%d", path, start + 1);
		/* the block again, for the JSON objects spanning lines */
		for (k = start; k < i; k++)
			blen += strlen(lines[k]) + 1;
		block = xmalloc(blen + 1);
		*block = '\0';
		for (k = start; k < i; k++)
			strcat(strcat(block, lines[k]), "\n");
		bad += scan_json_names(where, block, checked);
		free(block);
		for (k = start; k < i; k++) {
			snprintf(where, sizeof(where), "%s:%d", path, k + 1);
			if (!email_heading(lines[k], k + 1 < i ? lines[k + 1] : NULL, name,
					   sizeof(name), unit, sizeof(unit))) {
				bad += scan_words(where, lines[k], checked);
				continue;
			}
			/* the rows under an email heading */
			while (k + 1 < i && !strncmp(lines[k + 1], "  ", 2) &&
			       lines[k + 1][2] != ' ') {
				const char *row = lines[++k] + 2;
				char *full;

				if (*row == '~')
					row++;
				full = xasprintf("%s.%.*s", name, (int)strcspn(row, " "), row);
				snprintf(where, sizeof(where), "%s:%d", path, k + 1);
				bad += bad_name(where, full, NULL, unit, checked);
				free(full);
			}
		}
		start = -1;
	}
	free(lines);
	free(doc);
	return bad;
}

static const char *const docs[] = { "README.md",     "results/README.md", "bench/README.md",
				    "bpf/README.md", "trace/README.md",	  "kernel/README.md" };

/* the reference runs name only what the table describes */
static void test_ref_names(void **state)
{
	int checked = 0;

	(void)state;
	if (!path_exists("results/ref"))
		skip();
	assert_int_equal(scan_runs("results/ref", &checked), 0);
	assert_true(checked > 100);
}

/* and so do the command outputs and examples the READMEs quote */
static void test_doc_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(docs); i++) {
		int checked = 0;

		assert_int_equal(scan_doc(docs[i], &checked), 0);
		/* the two with command output: something was found to check */
		if (i < 2)
			assert_true(checked > 5);
	}
}

/* the checks above can fail: a stale name in a temp copy of each is found */
static void test_names_stale_copy(void **state)
{
	static const char stale_doc[] = "\n```\n"
					"lock_hold p50 (ns)\n"
					"  its_lock          39.5us  +15.1% R\n"
					"throughput (cmd/s)\n"
					"  commands           51.1k  -12.4% R\n"
					"cmd_latency.total p50 (ns)\n"
					"  ~CARD             5.39us  +13.9% R\n"
					"```\n"
					"```json\n"
					"{ \"name\": \"hvc.vcpu_run\", \"unit\": \"ns\",\n"
					"  \"source\": \"bpf\" }\n"
					"```\n"
					"```\n"
					"$ itsperf plot -m lock_hold.its.lock.8080000 runs/\n"
					"```\n";
	char tmpl[] = "/tmp/itsperf-names-XXXXXX";
	char *doc;
	char *copy;
	char *meta;
	char *run;
	char *s;
	size_t len;
	int before = 0;
	int after = 0;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	/* results/README.md with five names added: four stale, one good (~CARD: DISCARD) */
	doc = read_file("results/README.md", &len);
	assert_non_null(doc);
	copy = xasprintf("%s/README.md", tmpl);
	s = xasprintf("%s%s", doc, stale_doc);
	assert_int_equal(write_file_str(copy, s), 0);
	assert_int_equal(scan_doc("results/README.md", &before), 0);
	assert_int_equal(scan_doc(copy, &after), 4);
	/* three email rows, the JSON name (twice: with its collector, as a word), the plot's */
	assert_int_equal(after, before + 6);
	free(s);
	free(doc);
	free(copy);

	/* a reference run with a metric renamed as an older itsperf named it */
	if (path_exists("results/ref/6.12-protected/run-1/meta.json")) {
		char *at;

		doc = read_file("results/ref/6.12-protected/run-1/meta.json", &len);
		assert_non_null(doc);
		at = strstr(doc, "\"hvc_path.vcpu_run\"");
		assert_non_null(at);
		s = xasprintf("%.*s\"hvc.vcpu_run\"%s", (int)(at - doc), doc,
			      at + strlen("\"hvc_path.vcpu_run\""));
		run = xasprintf("%s/run-1", tmpl);
		assert_int_equal(mkdir_p(run, 0755), 0);
		meta = xasprintf("%s/meta.json", run);
		assert_int_equal(write_file_str(meta, s), 0);
		before = 0;
		assert_int_equal(scan_run(run, &before), 1);
		free(meta);
		free(run);
		free(s);
		free(doc);
	}
	rm_rf(tmpl);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_matches_table),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_gating),
		cmocka_unit_test(test_collector_identity),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_ref_names),
		cmocka_unit_test(test_doc_names),
		cmocka_unit_test(test_names_stale_copy),
	};

	if (argc > 1 && !strcmp(argv[1], "--print")) {
		metric_table_markdown(stdout);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
