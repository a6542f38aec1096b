/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one writer of the result's "probes" section entries: a collector's
 * per-probe attach outcome (struct probe_status, lib/collector.h) as
 * [{"probe", "symbol", "mechanism", "attached", "note"}], symbol and note
 * null when there is none (results/README.md, "Sections").
 */
#ifndef ITSPERF_RESULT_PROBES_H
#define ITSPERF_RESULT_PROBES_H

struct collector;
struct json_object;

struct json_object *probe_status_json(const struct collector *c);
/* {"<collector name>": probe_status_json(c)}: one "probes" section entry */
struct json_object *probe_section_json(const struct collector *c);

#endif
