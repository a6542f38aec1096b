/* SPDX-License-Identifier: GPL-2.0 */
/* JSON helpers of the result format, shared by its writers (json-c). */
#ifndef ITSPERF_RESULT_JSON_H
#define ITSPERF_RESULT_JSON_H

struct json_object;

/* a number; NaN and inf are not JSON: NULL, which json-c writes as null */
struct json_object *json_num(double v);
/* a string, or null for NULL */
struct json_object *json_str_or_null(const char *s);
/* o[key] = s as a string ("" for NULL) */
void json_add_str(struct json_object *o, const char *key, const char *s);

#endif
