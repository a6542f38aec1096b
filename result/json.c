// SPDX-License-Identifier: GPL-2.0
/* JSON helpers of the result format (result/json.h). */
#include <math.h>

#include <json-c/json.h>

#include "result/json.h"

struct json_object *json_num(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

struct json_object *json_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

void json_add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s ? s : ""));
}
