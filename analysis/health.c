// SPDX-License-Identifier: GPL-2.0
/* Kernel health of a run, as host/khealth.c wrote it (sections.health). */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "analysis/health.h"
#include "lib/util.h"

static const struct {
	const char *key;
	const char *text;
} health_counts[] = {
	{ "its_queue_timeouts", "ITS queue timeouts" },
	{ "its_queue_not_draining", "ITS queue not draining" },
	{ "el2_rejected_commands", "EL2 rejected commands" },
	{ "el2_refused_writes", "EL2 refused writes" },
	{ "warn", "WARN" },
	{ "bug", "BUG" },
	{ "lockup", "lockups" },
	{ "rcu_stall", "RCU stalls" },
	{ "hung_task", "hung tasks" },
	{ "trace_setup_errors", "trace setup errors" },
};

bool run_unhealthy(const struct result_data *d, char *buf, size_t len)
{
	struct json_object *h;
	struct json_object *v;
	bool bad = false;
	size_t n = 0;
	size_t i;

	if (len)
		buf[0] = '\0';
	if (!d->sections || !json_object_object_get_ex(d->sections, "health", &h) ||
	    !json_object_is_type(h, json_type_object))
		return false;
	for (i = 0; i < ARRAY_SIZE(health_counts); i++) {
		int64_t c;

		if (!json_object_object_get_ex(h, health_counts[i].key, &v))
			continue;
		c = json_object_get_int64(v);
		if (c <= 0)
			continue;
		bad = true;
		if (n < len)
			n += snprintf(buf + n, len - n, "%s%s %lld", n ? ", " : "",
				      health_counts[i].text, (long long)c);
	}
	if (json_object_object_get_ex(h, "ok", &v) && !json_object_get_boolean(v) && !bad) {
		struct json_object *e;

		bad = true;
		if (json_object_object_get_ex(h, "error", &e))
			snprintf(buf, len, "%s", json_object_get_string(e));
		else
			snprintf(buf, len, "kernel health not ok");
	}
	return bad;
}
