// SPDX-License-Identifier: GPL-2.0
/*
 * bpf:count_selftest: hits of a bare counting probe pair on
 * bpf:cmd_latency's functions (bpf/count_selftest.h). Emits the hits in
 * the "counters" section and its probes' status; no metric.
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
#include "bpf/common.h"
#include "bpf/count_selftest.h"
#include "lib/collector.h"
#include "lib/util.h"
#include "count_selftest.skel.h"

struct cs_priv {
	struct count_selftest *skel;
	struct bpf_fn_probe fn[NR_COUNT_FNS];
};

static const struct bpf_fn_probe cs_probes[NR_COUNT_FNS] = {
	[COUNT_CMD_SEND] = { .probe = "cmd_send", .prefix = "cmd_send" },
	[COUNT_QUEUE_ALLOC] = { .probe = "queue_alloc", .prefix = "queue_alloc" },
	[COUNT_CMD_WAIT] = { .probe = "cmd_wait", .prefix = "cmd_wait" },
};

static int cs_init(struct collector *c, const struct collector_opts *o)
{
	struct cs_priv *p = xcalloc(1, sizeof(*p));
	char ebuf[48];
	int usable;

	c->priv = p;
	memcpy(p->fn, cs_probes, sizeof(cs_probes));
	bpf_libbpf_setup();
	p->skel = count_selftest__open();
	if (!p->skel) {
		err_msg("%s: open: %s", c->name, bpf_errname(-errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	usable = bpf_fn_probes_prepare(p->skel->obj, p->fn, NR_COUNT_FNS, o);
	c->status = bpf_probes_status(p->fn, NR_COUNT_FNS, NULL, 0, &c->nr_status);
	if (!usable)
		return -1;
	return bpf_collector_loaded(c, count_selftest__load(p->skel));
}

static int cs_start(struct collector *c)
{
	struct cs_priv *p = c->priv;
	int n;

	n = bpf_fn_probes_attach(p->fn, NR_COUNT_FNS);
	bpf_probes_status_update(c->status, p->fn, NR_COUNT_FNS, NULL, 0);
	return n ? 0 : -1;
}

static int cs_stop(struct collector *c)
{
	struct cs_priv *p = c->priv;

	bpf_fn_probes_detach(p->fn, NR_COUNT_FNS);
	bpf_probes_status_update(c->status, p->fn, NR_COUNT_FNS, NULL, 0);
	return 0;
}

/* the hits of one counter, summed over the CPUs; 0 if unreadable */
static uint64_t hits_of(struct cs_priv *p, uint32_t idx)
{
	uint64_t *vals = xcalloc(bpf_nr_cpus(), sizeof(*vals));
	uint64_t sum = 0;
	int i;

	if (!bpf_map__lookup_elem(p->skel->maps.hits, &idx, sizeof(idx), vals,
				  bpf_nr_cpus() * sizeof(*vals), 0))
		for (i = 0; i < bpf_nr_cpus(); i++)
			sum += vals[i];
	free(vals);
	return sum;
}

static int cs_emit(struct collector *c, struct result_run *r)
{
	struct json_object *hits = json_object_new_object();
	struct cs_priv *p = c->priv;
	struct json_object *o;
	char key[64];
	int i;

	for (i = 0; i < NR_COUNT_FNS; i++) {
		if (!p->fn[i].attached)
			continue;
		snprintf(key, sizeof(key), "%s.entry", p->fn[i].probe);
		json_object_object_add(hits, key, json_object_new_uint64(hits_of(p, i)));
		snprintf(key, sizeof(key), "%s.return", p->fn[i].probe);
		json_object_object_add(hits, key,
				       json_object_new_uint64(hits_of(p, NR_COUNT_FNS + i)));
	}
	o = json_object_new_object();
	json_object_object_add(o, c->name, hits);
	result_add_section(r, "counters", o);
	o = json_object_new_object();
	json_object_object_add(o, c->name, probe_status_json(c));
	result_add_section(r, "probes", o);
	return 0;
}

static void cs_destroy(struct collector *c)
{
	struct cs_priv *p = c->priv;

	if (!p)
		return;
	bpf_fn_probes_detach(p->fn, NR_COUNT_FNS);
	count_selftest__destroy(p->skel);
	collector_status_reset(c);
	free(p);
	c->priv = NULL;
}

static struct collector count_selftest_collector = {
	.name = "bpf:count_selftest",
	.desc = "bare counting probe pairs on bpf:cmd_latency's functions (probe-cost benchmark)",
	.init = cs_init,
	.start = cs_start,
	.stop = cs_stop,
	.emit = cs_emit,
	.destroy = cs_destroy,
};

COLLECTOR_REGISTER(count_selftest_collector)
