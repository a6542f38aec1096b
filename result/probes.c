// SPDX-License-Identifier: GPL-2.0
/* The "probes" section entries of a collector (result/probes.h). */
#include <json-c/json.h>

#include "lib/collector.h"
#include "result/json.h"
#include "result/probes.h"

struct json_object *probe_status_json(const struct collector *c)
{
	struct json_object *arr = json_object_new_array();
	int i;

	for (i = 0; i < c->nr_status; i++) {
		const struct probe_status *st = &c->status[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "probe", json_str_or_null(st->probe));
		json_object_object_add(o, "symbol", json_str_or_null(st->symbol));
		json_object_object_add(o, "mechanism", json_str_or_null(st->mechanism));
		json_object_object_add(o, "attached", json_object_new_boolean(st->attached));
		json_object_object_add(o, "note", json_str_or_null(st->note));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *probe_section_json(const struct collector *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, c->name, probe_status_json(c));
	return o;
}
