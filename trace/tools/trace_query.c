// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper for the trace/ integration tests: read a result run through
 * the strict reader (result/result_read.h) or any JSON file and print one
 * answer, for shell scripts without jq or python.
 *
 *   trace_query RUN names PREFIX        metric names starting with PREFIX
 *   trace_query RUN metric NAME FIELD   value | count | sum | min | max | source
 *   trace_query RUN get KEY...          sections.<KEY>.<KEY>...: a scalar, or
 *                                       "<key> <value>" lines for an object,
 *                                       one element per line for an array
 *   trace_query json FILE KEY...        the same for any JSON file
 *
 * Exit status 0, 1 when the metric or key is absent, 2 when unreadable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "result/result_read.h"

static void print_scalar(struct json_object *o)
{
	if (!o)
		printf("null");
	else if (json_object_is_type(o, json_type_string))
		printf("%s", json_object_get_string(o));
	else
		printf("%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

static int print_json(struct json_object *o)
{
	size_t i;

	if (!o) {
		printf("null\n");
		return 0;
	}
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v)
		{
			printf("%s ", k);
			print_scalar(v);
			printf("\n");
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++) {
			print_scalar(json_object_array_get_idx(o, i));
			printf("\n");
		}
	} else {
		print_scalar(o);
		printf("\n");
	}
	return 0;
}

static int walk(struct json_object *o, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		struct json_object *v;

		if (json_object_is_type(o, json_type_array)) {
			char *end;
			long idx = strtol(argv[i], &end, 10);

			if (*end || idx < 0 || (size_t)idx >= json_object_array_length(o))
				return 1;
			o = json_object_array_get_idx(o, idx);
			continue;
		}
		if (!o || !json_object_object_get_ex(o, argv[i], &v))
			return 1;
		o = v;
	}
	return print_json(o);
}

static int metric(const struct result_data *d, const char *name, const char *field)
{
	const struct result_metric *m = result_find_metric(d, name);

	if (!m)
		return 1;
	if (!strcmp(field, "value"))
		printf("%.0f\n", m->has_value ? m->value : 0);
	else if (!strcmp(field, "count"))
		printf("%llu\n", (unsigned long long)m->summary.count);
	else if (!strcmp(field, "sum"))
		printf("%.0f\n", m->has_hist ? m->hist.sum : m->summary.mean * m->summary.count);
	else if (!strcmp(field, "min"))
		printf("%.0f\n", m->summary.min);
	else if (!strcmp(field, "max"))
		printf("%.0f\n", m->summary.max);
	else if (!strcmp(field, "source"))
		printf("%s\n", m->source ? m->source : "");
	else
		return 2;
	return 0;
}

int main(int argc, char **argv)
{
	struct result_data *d;
	int ret = 2;
	int i;

	if (argc >= 3 && !strcmp(argv[1], "json")) {
		struct json_object *o = json_object_from_file(argv[2]);

		if (!o)
			return 2;
		ret = walk(o, argc - 3, argv + 3);
		json_object_put(o);
		return ret;
	}
	if (argc < 3)
		goto usage;
	d = result_read(argv[1], RESULT_READ_QUIET, NULL, 0);
	if (!d)
		return 2;
	if (!strcmp(argv[2], "names") && argc == 4) {
		for (i = 0; i < d->nr_metrics; i++)
			if (!strncmp(d->metrics[i].name, argv[3], strlen(argv[3])))
				printf("%s\n", d->metrics[i].name);
		ret = 0;
	} else if (!strcmp(argv[2], "metric") && argc == 5) {
		ret = metric(d, argv[3], argv[4]);
	} else if (!strcmp(argv[2], "get")) {
		ret = walk(d->sections, argc - 3, argv + 3);
	} else {
		result_free(d);
		goto usage;
	}
	result_free(d);
	return ret;
usage:
	fprintf(stderr, "usage: trace_query RUN names PREFIX | metric NAME FIELD | get KEY...\n"
			"       trace_query json FILE KEY...\n");
	return 2;
}
