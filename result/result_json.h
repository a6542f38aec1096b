/* SPDX-License-Identifier: GPL-2.0 */
/* JSON encoding of result pieces, shared by the writer, the reader and report --format json. */
#ifndef ITSPERF_RESULT_JSON_H
#define ITSPERF_RESULT_JSON_H

#include "result/result.h"

struct json_object;
struct summary;

struct json_object *hist_to_json(const struct hist *h);
struct json_object *summary_to_json(const struct summary *s);
struct json_object *run_meta_to_json(const struct run_meta *m);
const char *metric_kind_direction(enum metric_kind k); /* "lower", "higher", "none" */

#endif
