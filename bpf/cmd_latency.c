// SPDX-License-Identifier: GPL-2.0
/*
 * bpf:cmd_latency: ITS command latency by command type, split into queue
 * wait, build+post under its->lock, and completion wait (bpf/cmd_latency.h
 * says how each part is measured). Probes: cmd_send, vcmd_send, cmd_clear,
 * queue_alloc, cmd_wait of lib/probes.c. Aggregation: per-CPU histograms
 * in the kernel, merged here per command type. Report: metrics
 * cmd_latency.<part>.<CMD>, cmd_latency.count.<CMD>, plus the probes,
 * counters and overhead sections.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "result/probes.h"
#include "result/result.h"
#include "bpf/attach.h"
#include "bpf/cmd_latency.h"
#include "bpf/common.h"
#include "lib/its_cmd.h"
#include "lib/collector.h"
#include "lib/ksyms.h"
#include "lib/util.h"
#include "cmd_latency.skel.h"

#define MAX_TYPES 64

struct sample_vec {
	uint64_t *v;
	size_t n, cap;
};

struct type_stats {
	char type[48];
	struct bpf_hist h[NR_CMD_PARTS];
	struct sample_vec s[NR_CMD_PARTS];
};

struct cl_priv {
	struct cmd_latency *skel;
	struct bpf_fn_probe fn[5];
	const struct ksyms *ks;
	struct rb_poller *rb;
	bool raw;
	double cost_ns; /* probe cost subtracted from totals (0: none); needs the samples */
	struct type_stats types[MAX_TYPES];
	int nr_types;
	uint64_t samples_received;
	uint64_t t_start, t_stop;
};

static const struct bpf_fn_probe cl_probes[] = {
	{ .probe = "cmd_send", .prefix = "cmd_send" },
	{ .probe = "vcmd_send", .prefix = "vcmd_send" },
	{ .probe = "cmd_clear", .prefix = "cmd_clear" },
	{ .probe = "queue_alloc", .prefix = "queue_alloc" },
	{ .probe = "cmd_wait", .prefix = "cmd_wait" },
};

static const char *const part_names[NR_CMD_PARTS] = {
	[PART_TOTAL] = "total",
	[PART_QUEUE_WAIT] = "queue_wait",
	[PART_LOCKED] = "locked",
	[PART_BUILD_POST] = "build_post",
	[PART_COMPLETION_WAIT] = "completion_wait",
	[PART_UNACCOUNTED] = "unaccounted",
	[PART_CLEAR_PATH] = "clear_path",
};

/* their meaning and error bound: the metric table (result/metrics.c, cmd_parts) */
static const char *const counter_names[NR_CMD_COUNTERS] = {
	[CNT_SENT] = "sent_with_wait",
	[CNT_NO_WAIT] = "returned_without_wait",
	[CNT_ALLOC_FAILED] = "queue_alloc_failed",
	[CNT_WAIT_TIMEOUT] = "completion_timeout",
	[CNT_NESTED] = "nested_sends",
	[CNT_ORPHAN] = "orphan_events",
	[CNT_SAMPLES] = "samples",
	[CNT_SAMPLES_DROPPED] = "samples_dropped",
	[CNT_CLEAR_CALLS] = "its_send_clear_calls",
};

static struct type_stats *type_get(struct cl_priv *p, const char *type)
{
	int i;

	for (i = 0; i < p->nr_types; i++)
		if (!strcmp(p->types[i].type, type))
			return &p->types[i];
	if (p->nr_types == MAX_TYPES)
		return NULL;
	snprintf(p->types[p->nr_types].type, sizeof(p->types[0].type), "%s", type);
	return &p->types[p->nr_types++];
}

static const char *type_name(struct cl_priv *p, uint64_t builder, char *buf, size_t len)
{
	if (!builder)
		return "CLEAR_PATH";
	snprintf(buf, len, "%s", its_cmd_name_at(p->ks, builder));
	return buf;
}

static void vec_push(struct sample_vec *s, uint64_t v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = v;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	const struct cmd_sample *s = data;
	struct cl_priv *p = ctx;
	struct type_stats *t;
	char buf[48];

	if (size < sizeof(*s))
		return 0;
	p->samples_received++;
	t = type_get(p, type_name(p, s->builder, buf, sizeof(buf)));
	if (!t)
		return 0;
	vec_push(&t->s[PART_TOTAL], s->total);
	if (!s->waited)
		return 0; /* a send that returned early has a total only */
	vec_push(&t->s[PART_QUEUE_WAIT], s->queue_wait);
	vec_push(&t->s[PART_BUILD_POST], s->build_post);
	vec_push(&t->s[PART_COMPLETION_WAIT], s->completion_wait);
	vec_push(&t->s[PART_LOCKED], s->queue_wait + s->build_post);
	vec_push(&t->s[PART_UNACCOUNTED],
		 s->total - s->queue_wait - s->build_post - s->completion_wait);
	return 0;
}

static int cl_init(struct collector *c, const struct collector_opts *o)
{
	struct cl_priv *p = xcalloc(1, sizeof(*p));
	char ebuf[48];
	int usable;

	c->priv = p;
	memcpy(p->fn, cl_probes, sizeof(cl_probes));
	p->ks = o->ks;
	p->raw = o->raw_samples;
	if (o->cost.valid && o->cost.bpf_ns > 0) {
		/* the correction is per sample: they come through the ring buffer */
		p->cost_ns = o->cost.bpf_ns;
		p->raw = true;
	}
	bpf_libbpf_setup();
	p->skel = cmd_latency__open();
	if (!p->skel) {
		err_msg("%s: open: %s", c->name, bpf_errname(-errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	p->skel->rodata->raw_samples = p->raw;
	usable = bpf_fn_probes_prepare(p->skel->obj, p->fn, ARRAY_SIZE(p->fn), o);
	c->status = bpf_probes_status(p->fn, ARRAY_SIZE(p->fn), NULL, 0, &c->nr_status);
	/* without a send probe there is no command to time */
	if (!usable || (p->fn[0].mech == BPF_MECH_NONE && p->fn[1].mech == BPF_MECH_NONE))
		return -1;
	return bpf_collector_loaded(c, cmd_latency__load(p->skel));
}

static int cl_start(struct collector *c)
{
	struct cl_priv *p = c->priv;

	if (p->raw) {
		p->rb = rb_poller_start(p->skel->maps.samples, on_sample, p, 10);
		if (!p->rb)
			return -1;
	}
	bpf_fn_probes_attach(p->fn, ARRAY_SIZE(p->fn));
	bpf_probes_status_update(c->status, p->fn, ARRAY_SIZE(p->fn), NULL, 0);
	p->t_start = now_ns();
	if (!p->fn[0].attached && !p->fn[1].attached) {
		err_msg("%s: neither its_send_single_command nor its_send_single_vcommand attached",
			c->name);
		return -1;
	}
	return 0;
}

static int cl_stop(struct collector *c)
{
	struct cl_priv *p = c->priv;

	p->t_stop = now_ns();
	bpf_fn_probes_detach(p->fn, ARRAY_SIZE(p->fn));
	rb_poller_stop(p->rb);
	p->rb = NULL;
	bpf_probes_status_update(c->status, p->fn, ARRAY_SIZE(p->fn), NULL, 0);
	return 0;
}

static void on_hist(const void *key, const struct bpf_hist *merged, void *ctx)
{
	const struct cmd_key *k = key;
	struct cl_priv *p = ctx;
	struct type_stats *t;
	char buf[48];

	if (k->part >= NR_CMD_PARTS)
		return;
	t = type_get(p, type_name(p, k->builder, buf, sizeof(buf)));
	if (t)
		bpf_hist_accumulate(&t->h[k->part], merged);
}

/* merge the kernel's per-CPU histograms into p->types (by command type name) */
static int collect(struct cl_priv *p)
{
	int i, j;

	for (i = 0; i < p->nr_types; i++)
		for (j = 0; j < NR_CMD_PARTS; j++)
			memset(&p->types[i].h[j], 0, sizeof(p->types[i].h[j]));
	return bpf_percpu_hist_foreach(p->skel->maps.hists, on_hist, p);
}

/* what every cmd_latency metric of this collector is */
static const struct metric_desc cmd_latency_desc = {
	.area = "cmd_latency",
	.unit = "ns",
	.kind = METRIC_LATENCY,
	.source = "bpf",
};

/*
 * The total with the calibrated probe cost taken out of every sample
 * (commands/calibrate.c), and as measured (total_raw). -1: the samples do
 * not stand for every send (ring buffer drops), the total stays as
 * measured.
 */
static int emit_corrected_total(struct cl_priv *p, struct result_run *r, struct type_stats *t)
{
	const struct sample_vec *sv = &t->s[PART_TOTAL];
	const struct metric_part *mp = metric_part(MF_CMD_LATENCY, "total");
	struct metric_desc d = cmd_latency_desc;
	char name[128];
	struct hist h;
	uint64_t *c;

	if (sv->n != t->h[PART_TOTAL].count) {
		warn_msg("bpf:cmd_latency: %s: %zu samples for %llu sends: total not corrected",
			 t->type, sv->n, (unsigned long long)t->h[PART_TOTAL].count);
		return -1;
	}
	c = xmalloc(sv->n * sizeof(*c));
	probe_cost_subtract(c, sv->v, sv->n, p->cost_ns);
	metric_name(name, sizeof(name), MF_CMD_LATENCY, "total", t->type);
	d.name = name;
	d.desc = mp ? mp->desc : NULL;
	d.error_bound = "measured total minus the calibrated probe cost (section calibration)";
	hist_from_values(&h, c, sv->n);
	result_add_metric(r, &d, &h, c, sv->n);
	hist_free(&h);
	free(c);
	mp = metric_part(MF_CMD_LATENCY, "total_raw");
	metric_name(name, sizeof(name), MF_CMD_LATENCY, "total_raw", t->type);
	d.desc = mp ? mp->desc : NULL;
	d.error_bound = mp ? mp->error_bound : NULL;
	bpf_emit_hist(r, &d, &t->h[PART_TOTAL], CMD_LIN_WIDTH_NS, sv->v, sv->n);
	return 0;
}

static void emit_type(struct cl_priv *p, struct result_run *r, struct type_stats *t)
{
	struct metric_desc d = cmd_latency_desc;
	char name[128];
	int part;

	for (part = 0; part < NR_CMD_PARTS; part++) {
		if (!t->h[part].count)
			continue;
		if (part == PART_TOTAL && p->cost_ns > 0 && emit_corrected_total(p, r, t) == 0)
			continue;
		if (part == PART_CLEAR_PATH) {
			metric_name(name, sizeof(name), MF_CMD_CLEAR_PATH);
			d.desc = metric_families[MF_CMD_CLEAR_PATH].desc;
			d.error_bound = NULL;
		} else {
			const struct metric_part *mp =
				metric_part(MF_CMD_LATENCY, part_names[part]);

			metric_name(name, sizeof(name), MF_CMD_LATENCY, part_names[part], t->type);
			d.desc = mp ? mp->desc : NULL;
			d.error_bound = mp ? mp->error_bound : NULL;
		}
		d.name = name;
		bpf_emit_hist(r, &d, &t->h[part], CMD_LIN_WIDTH_NS, t->s[part].v, t->s[part].n);
	}
	if (t->h[PART_TOTAL].count) {
		metric_name(name, sizeof(name), MF_CMD_COUNT, t->type);
		d.name = name;
		d.area = "count";
		d.unit = "events";
		d.kind = METRIC_COUNT;
		d.desc = "ITS commands sent, by type (builder argument)";
		d.error_bound = NULL;
		bpf_emit_value(r, &d, (double)t->h[PART_TOTAL].count);
	}
}

static uint64_t total_commands(struct cl_priv *p)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < p->nr_types; i++)
		if (strcmp(p->types[i].type, "CLEAR_PATH"))
			n += p->types[i].h[PART_TOTAL].count;
	return n;
}

/* results/README.md "counters": {"bpf": {"<CMD>": n}}, compared with ftrace and the workload */
static struct json_object *cmd_counts_json(struct cl_priv *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *bpf = json_object_new_object();
	int i;

	for (i = 0; i < p->nr_types; i++)
		if (strcmp(p->types[i].type, "CLEAR_PATH") && p->types[i].h[PART_TOTAL].count)
			json_object_object_add(
				bpf, p->types[i].type,
				json_object_new_uint64(p->types[i].h[PART_TOTAL].count));
	json_object_object_add(o, "bpf", bpf);
	return o;
}

/* the collector's own consistency counters, kept with its overhead */
static struct json_object *counters_json(struct cl_priv *p)
{
	struct json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < NR_CMD_COUNTERS; i++)
		json_object_object_add(
			o, counter_names[i],
			json_object_new_uint64(bpf_percpu_u64_sum(p->skel->maps.counters, i)));
	if (p->raw)
		json_object_object_add(o, "samples_received",
				       json_object_new_uint64(p->samples_received));
	return o;
}

static int cl_emit(struct collector *c, struct result_run *r)
{
	struct cl_priv *p = c->priv;
	struct json_object *o, *ov;
	int i;

	if (collect(p) < 0)
		warn_msg("%s: reading the histograms failed", c->name);
	for (i = 0; i < p->nr_types; i++)
		emit_type(p, r, &p->types[i]);
	o = json_object_new_object();
	json_object_object_add(o, c->name, probe_status_json(c));
	result_add_section(r, "probes", o);
	result_add_section(r, "counters", cmd_counts_json(p));
	ov = bpf_overhead_json(p->skel->obj, "its_command", total_commands(p),
			       (p->t_stop - p->t_start) / 1e9);
	json_object_object_add(ov, "dropped",
			       json_object_new_uint64(bpf_percpu_u64_sum(p->skel->maps.counters,
									 CNT_SAMPLES_DROPPED)));
	json_object_object_add(ov, "counters", counters_json(p));
	o = json_object_new_object();
	json_object_object_add(o, c->name, ov);
	result_add_section(r, "overhead", o);
	return 0;
}

static void cl_destroy(struct collector *c)
{
	struct cl_priv *p = c->priv;
	int i, j;

	if (!p)
		return;
	bpf_fn_probes_detach(p->fn, ARRAY_SIZE(p->fn));
	rb_poller_stop(p->rb);
	cmd_latency__destroy(p->skel);
	for (i = 0; i < p->nr_types; i++)
		for (j = 0; j < NR_CMD_PARTS; j++)
			free(p->types[i].s[j].v);
	collector_status_reset(c);
	free(p);
	c->priv = NULL;
}

/* for tests: merged histogram of one command type and part */
int bpf_cmd_latency_hist(struct collector *c, const char *type, enum cmd_part part,
			 struct bpf_hist *out)
{
	struct cl_priv *p = c->priv;
	int i;

	if (collect(p) < 0)
		return -1;
	for (i = 0; i < p->nr_types; i++) {
		if (!strcmp(p->types[i].type, type)) {
			*out = p->types[i].h[part];
			return 0;
		}
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

static struct collector cmd_latency_collector = {
	.name = "bpf:cmd_latency",
	.desc = "ITS command latency by type: queue wait, build+post under its->lock, completion "
		"wait",
	.init = cl_init,
	.start = cl_start,
	.stop = cl_stop,
	.emit = cl_emit,
	.destroy = cl_destroy,
};

COLLECTOR_REGISTER(cmd_latency_collector)
