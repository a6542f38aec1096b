// SPDX-License-Identifier: GPL-2.0
/*
 * The clock of a run (analysis/clock.h): parsed from the kernel command
 * line, written to and read from meta.json, printed, compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "result/clock.h"
#include "result/meta.h"
#include "lib/util.h"

#define CLOCK_ARG "itsperf.clock="

static void set_wall(struct run_meta *m)
{
	snprintf(m->clock.kind, sizeof(m->clock.kind), "wall");
	m->clock.shift = -1;
	m->clock.emulated = m->emulated;
}

void run_clock_from_meta(struct run_meta *m)
{
	const char *p = m->kernel_cmdline;
	const char *arg = NULL;
	char *end;
	long v;

	/* the last itsperf.clock= wins, as for any kernel argument; whole words only */
	while ((p = strstr(p, CLOCK_ARG))) {
		if (p == m->kernel_cmdline || p[-1] == ' ')
			arg = p + strlen(CLOCK_ARG);
		p += strlen(CLOCK_ARG);
	}
	set_wall(m);
	if (!arg || strncmp(arg, "icount:", 7))
		return;
	v = strtol(arg + 7, &end, 10);
	if (end == arg + 7 || (*end && *end != ' ') || v < 0 || v > 30)
		return;
	snprintf(m->clock.kind, sizeof(m->clock.kind), "icount");
	m->clock.shift = (int)v;
	/* icount only exists in QEMU */
	m->clock.emulated = true;
}

struct json_object *run_clock_to_json(const struct run_meta *m)
{
	struct json_object *o = json_object_new_object();
	struct run_meta tmp;

	if (!m->clock.kind[0]) {
		/* a producer that did not fill it: what the command line says */
		tmp = *m;
		run_clock_from_meta(&tmp);
		m = &tmp;
	}
	json_object_object_add(o, "kind", json_object_new_string(m->clock.kind));
	if (!strcmp(m->clock.kind, "icount"))
		json_object_object_add(o, "shift", json_object_new_int(m->clock.shift));
	json_object_object_add(o, "emulated", json_object_new_boolean(m->clock.emulated));
	return o;
}

int run_clock_from_json(struct run_meta *m, struct json_object *o, char *err, size_t len)
{
	struct json_object *kind;
	struct json_object *v;

	set_wall(m);
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, len, "meta.clock: expected an object");
		return -1;
	}
	if (!json_object_object_get_ex(o, "kind", &kind) ||
	    !json_object_is_type(kind, json_type_string)) {
		snprintf(err, len, "meta.clock.kind: missing or not a string");
		return -1;
	}
	if (json_object_object_get_ex(o, "emulated", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, len, "meta.clock.emulated: expected a boolean");
			return -1;
		}
		m->clock.emulated = json_object_get_boolean(v);
	}
	if (!strcmp(json_object_get_string(kind), "wall"))
		return 0;
	if (strcmp(json_object_get_string(kind), "icount")) {
		snprintf(err, len, "meta.clock.kind: '%.32s' is not icount or wall",
			 json_object_get_string(kind));
		return -1;
	}
	if (!json_object_object_get_ex(o, "shift", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0 || json_object_get_int64(v) > 30) {
		snprintf(err, len, "meta.clock.shift: missing or not in [0, 30]");
		return -1;
	}
	snprintf(m->clock.kind, sizeof(m->clock.kind), "icount");
	m->clock.shift = (int)json_object_get_int64(v);
	m->clock.emulated = true;
	return 0;
}

const char *run_clock_str(const struct run_meta *m, char *buf, size_t len)
{
	const char *where = m->clock.emulated ? "emulated" : "hardware";

	if (!strcmp(m->clock.kind, "icount"))
		snprintf(buf, len, "icount shift=%d, %s", m->clock.shift, where);
	else
		snprintf(buf, len, "%s, %s", m->clock.kind[0] ? m->clock.kind : "wall", where);
	return buf;
}

bool run_clock_same(const struct run_meta *a, const struct run_meta *b)
{
	const char *ka = a->clock.kind[0] ? a->clock.kind : "wall";
	const char *kb = b->clock.kind[0] ? b->clock.kind : "wall";

	if (strcmp(ka, kb) || a->clock.emulated != b->clock.emulated)
		return false;
	return strcmp(ka, "icount") || a->clock.shift == b->clock.shift;
}
