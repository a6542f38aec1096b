// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: read one result run through the strict reader
 * (result/result_read.h) and print what the bpf integration tests
 * compare, one answer per call, for shell scripts without jq or python.
 *
 *   bpf_query RUN partial                  0 or 1
 *   bpf_query RUN names PREFIX             names of the metrics starting with PREFIX
 *   bpf_query RUN value NAME               a value metric (count.cmd.MOVI)
 *   bpf_query RUN stat NAME FIELD          count sum min max mean p50 p90 samples
 *   bpf_query RUN counts SOURCE            "<CMD> <n>" lines of counters.<SOURCE>
 *   bpf_query RUN probes COLLECTOR         "<probe> <mechanism> <attached> <note>"
 *   bpf_query RUN overhead COLLECTOR KEY   overhead.<COLLECTOR>.<KEY>
 *   bpf_query RUN record KEY               record.<KEY> (exit_status, duration_s)
 *   bpf_query json FILE KEY...             any JSON file (a bench summary): the value,
 *                                          "<key> <value>" lines for an object
 *
 * Exit status 0, 1 when the metric or key is absent, 2 when the run is unreadable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "result/result_read.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: bpf_query RUN partial|value|stat|counts|probes|overhead|record ...\n");
	return 2;
}

static int print_json(struct json_object *o)
{
	if (!o)
		return 1;
	if (json_object_is_type(o, json_type_string))
		printf("%s\n", json_object_get_string(o));
	else
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	return 0;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static int stat_field(const struct result_metric *m, const char *f)
{
	const struct summary *s = &m->summary;

	if (!strcmp(f, "count"))
		printf("%llu\n", (unsigned long long)s->count);
	else if (!strcmp(f, "sum"))
		printf("%.0f\n", m->has_hist ? m->hist.sum : s->mean * s->count);
	else if (!strcmp(f, "min"))
		printf("%.0f\n", s->min);
	else if (!strcmp(f, "max"))
		printf("%.0f\n", s->max);
	else if (!strcmp(f, "mean"))
		printf("%.0f\n", s->mean);
	else if (!strcmp(f, "p50"))
		printf("%.0f\n", s->p50);
	else if (!strcmp(f, "p90"))
		printf("%.0f\n", s->p90);
	else if (!strcmp(f, "samples"))
		printf("%zu\n", m->nr_samples);
	else
		return 2;
	return 0;
}

static int probes(struct json_object *arr)
{
	size_t i;

	if (!arr || !json_object_is_type(arr, json_type_array))
		return 1;
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);
		struct json_object *note = get(p, "note");

		printf("%s %s %d %s\n", json_object_get_string(get(p, "probe")),
		       json_object_get_string(get(p, "mechanism")),
		       json_object_get_boolean(get(p, "attached")),
		       note ? json_object_get_string(note) : "");
	}
	return 0;
}

static int json_file(int argc, char **argv)
{
	struct json_object *root = json_object_from_file(argv[2]);
	struct json_object *o = root;
	int i, ret = 1;

	if (!root) {
		fprintf(stderr, "bpf_query: %s: not JSON\n", argv[2]);
		return 2;
	}
	for (i = 3; i < argc && o; i++)
		o = get(o, argv[i]);
	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) printf("%s %s\n", k, json_object_get_string(v));
		ret = 0;
	} else if (o) {
		ret = print_json(o);
	}
	json_object_put(root);
	return ret;
}

int main(int argc, char **argv)
{
	const struct result_metric *m;
	struct result_data *d;
	const char *what;
	char err[512];
	int ret = 2;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "json"))
		return json_file(argc, argv);
	what = argv[2];
	d = result_read(argv[1], RESULT_READ_SAMPLES, err, sizeof(err));
	if (!d)
		return 2;
	if (!strcmp(what, "partial")) {
		printf("%d\n", d->partial);
		ret = 0;
	} else if (!strcmp(what, "names") && argc == 4) {
		int i;

		for (i = 0; i < d->nr_metrics; i++)
			if (!strncmp(d->metrics[i].name, argv[3], strlen(argv[3])))
				printf("%s\n", d->metrics[i].name);
		ret = 0;
	} else if (!strcmp(what, "value") && argc == 4) {
		m = result_find_metric(d, argv[3]);
		ret = 1;
		if (m && m->has_value) {
			printf("%.0f\n", m->value);
			ret = 0;
		}
	} else if (!strcmp(what, "stat") && argc == 5) {
		m = result_find_metric(d, argv[3]);
		ret = m ? stat_field(m, argv[4]) : 1;
	} else if (!strcmp(what, "counts") && argc == 4) {
		struct json_object *c = get(get(d->sections, "counters"), argv[3]);

		ret = 1;
		if (c) {
			json_object_object_foreach(c, k, v)
				printf("%s %lld\n", k, (long long)json_object_get_int64(v));
			ret = 0;
		}
	} else if (!strcmp(what, "probes") && argc == 4) {
		ret = probes(get(get(d->sections, "probes"), argv[3]));
	} else if (!strcmp(what, "overhead") && argc == 5) {
		ret = print_json(get(get(get(d->sections, "overhead"), argv[3]), argv[4]));
	} else if (!strcmp(what, "record") && argc == 4) {
		ret = print_json(get(get(d->sections, "record"), argv[3]));
	} else {
		ret = usage();
	}
	result_free(d);
	return ret;
}
