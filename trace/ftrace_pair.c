// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "result/metrics.h"
#include "trace/ftrace_pair.h"

#define FP_MAX_DEPTH 16

struct frame {
	uint64_t ts;
	uint64_t arg;
	uint64_t queue_wait;
	uint64_t completion_wait;
	uint64_t wait_start; /* first completion-wait entry, 0 if none */
	int probe;
};

struct ctx_state {
	int64_t key;
	int depth;
	struct frame f[FP_MAX_DEPTH];
};

/* open-addressing map: execution context -> its call stack */
struct ctx_map {
	struct ctx_state **slot;
	size_t cap;
	size_t nr;
};

/* the builder -> series triple cache */
struct cmd_cache {
	uint64_t builder;
	int series[FP_NR_CMD_PARTS];
};

struct pairer {
	const struct fp_probe_def *defs;
	int nr_defs;
	fp_cmd_namer namer;
	void *ctx;
	struct fp_result *res;
	struct ctx_map map;
	struct cmd_cache *cache;
	int nr_cache;
	int *span_series;
};

static int64_t ctx_key(const struct fp_event *e)
{
	int64_t irqctx = 0;

	if (e->flags & FP_FLAG_NMI)
		irqctx = 3;
	else if (e->flags & FP_FLAG_HARDIRQ)
		irqctx = 2;
	else if (e->flags & FP_FLAG_SOFTIRQ)
		irqctx = 1;
	/* pid 0 is every CPU's idle task: per CPU */
	if (e->pid == 0)
		return -(((int64_t)e->cpu + 1) * 4 + irqctx);
	return (int64_t)e->pid * 4 + irqctx;
}

static size_t hash64(int64_t k)
{
	uint64_t x = (uint64_t)k * 0x9e3779b97f4a7c15ull;

	return (size_t)(x ^ (x >> 29));
}

static void map_grow(struct ctx_map *m)
{
	struct ctx_state **old = m->slot;
	size_t oldcap = m->cap;
	size_t i;

	m->cap = m->cap ? m->cap * 2 : 256;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
	for (i = 0; i < oldcap; i++) {
		size_t j;

		if (!old[i])
			continue;
		for (j = hash64(old[i]->key) & (m->cap - 1); m->slot[j]; j = (j + 1) & (m->cap - 1))
			;
		m->slot[j] = old[i];
	}
	free(old);
}

static struct ctx_state *map_get(struct ctx_map *m, int64_t key)
{
	size_t j;

	if ((m->nr + 1) * 2 > m->cap)
		map_grow(m);
	for (j = hash64(key) & (m->cap - 1); m->slot[j]; j = (j + 1) & (m->cap - 1))
		if (m->slot[j]->key == key)
			return m->slot[j];
	m->slot[j] = xcalloc(1, sizeof(**m->slot));
	m->slot[j]->key = key;
	m->nr++;
	return m->slot[j];
}

static void map_free(struct ctx_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slot[i]);
	free(m->slot);
}

static int series_get(struct fp_result *res, const char *name, const char *key, enum fp_part part)
{
	struct fp_series *s;
	int i;

	for (i = 0; i < res->nr; i++)
		if (!strcmp(res->s[i].name, name))
			return i;
	res->s = xrealloc(res->s, (res->nr + 1) * sizeof(*res->s));
	s = &res->s[res->nr];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->part = part;
	return res->nr++;
}

static void series_add(struct fp_series *s, uint64_t v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = v;
	s->sum += (double)v;
}

static const int *cmd_series(struct pairer *p, uint64_t builder)
{
	static const char *const parts[FP_NR_CMD_PARTS] = {
		[FP_PART_TOTAL] = "total",
		[FP_PART_QUEUE_WAIT] = "queue_wait",
		[FP_PART_LOCKED] = "locked",
		[FP_PART_BUILD_POST] = "build_post",
		[FP_PART_COMPLETION] = "completion_wait",
		[FP_PART_UNACCOUNTED] = "unaccounted",
	};
	struct cmd_cache *c;
	char cmd[64];
	int i;

	for (i = 0; i < p->nr_cache; i++)
		if (p->cache[i].builder == builder)
			return p->cache[i].series;
	p->cache = xrealloc(p->cache, (p->nr_cache + 1) * sizeof(*p->cache));
	c = &p->cache[p->nr_cache++];
	c->builder = builder;
	if (p->namer)
		p->namer(builder, cmd, sizeof(cmd), p->ctx);
	else
		snprintf(cmd, sizeof(cmd), "0x%llx", (unsigned long long)builder);
	for (i = 0; i < FP_NR_CMD_PARTS; i++) {
		char name[128];

		metric_name(name, sizeof(name), MF_CMD_LATENCY, parts[i], cmd);
		c->series[i] = series_get(p->res, name, cmd, (enum fp_part)i);
	}
	return c->series;
}

/* the innermost command send below depth d */
static struct frame *enclosing_cmd(struct pairer *p, struct ctx_state *st, int d)
{
	while (--d >= 0)
		if (p->defs[st->f[d].probe].role == FP_CMD_SEND)
			return &st->f[d];
	return NULL;
}

static void on_return(struct pairer *p, struct ctx_state *st, const struct fp_event *e)
{
	const struct fp_probe_def *def = &p->defs[e->probe];
	struct frame *fr;
	struct frame *cmd;
	uint64_t dur;
	int d;

	for (d = st->depth - 1; d >= 0; d--)
		if (st->f[d].probe == e->probe)
			break;
	if (d < 0) {
		p->res->unmatched_returns++;
		return;
	}
	/* frames above it lost their return (kretprobe maxactive exhausted) */
	p->res->lost_returns += st->depth - 1 - d;
	fr = &st->f[d];
	dur = e->ts >= fr->ts ? e->ts - fr->ts : 0;
	p->res->paired++;
	switch (def->role) {
	case FP_QUEUE_ALLOC:
	case FP_CMD_WAIT:
		cmd = enclosing_cmd(p, st, d);
		if (!cmd)
			p->res->unattributed_parts++;
		else if (def->role == FP_QUEUE_ALLOC)
			cmd->queue_wait += dur;
		else {
			cmd->completion_wait += dur;
			if (!cmd->wait_start)
				cmd->wait_start = fr->ts;
		}
		break;
	case FP_CMD_SEND: {
		const int *s = cmd_series(p, fr->arg);
		uint64_t locked = fr->wait_start > fr->ts ? fr->wait_start - fr->ts : dur;
		uint64_t qw = fr->queue_wait;
		uint64_t cw = fr->completion_wait;

		if (locked > dur)
			locked = dur;
		series_add(&p->res->s[s[FP_PART_TOTAL]], dur);
		series_add(&p->res->s[s[FP_PART_QUEUE_WAIT]], qw);
		series_add(&p->res->s[s[FP_PART_LOCKED]], locked);
		series_add(&p->res->s[s[FP_PART_BUILD_POST]], locked > qw ? locked - qw : 0);
		series_add(&p->res->s[s[FP_PART_COMPLETION]], cw);
		series_add(&p->res->s[s[FP_PART_UNACCOUNTED]],
			   dur > locked + cw ? dur - locked - cw : 0);
		break;
	}
	case FP_SPAN:
		series_add(&p->res->s[p->span_series[e->probe]], dur);
		break;
	}
	st->depth = d;
}

static void on_entry(struct pairer *p, struct ctx_state *st, const struct fp_event *e)
{
	struct frame *fr;

	/*
	 * Same function again on top of the stack in the same context: these
	 * functions do not recurse, so the earlier call's return was lost.
	 */
	if (st->depth && st->f[st->depth - 1].probe == e->probe) {
		p->res->lost_returns++;
		st->depth--;
	}
	if (st->depth == FP_MAX_DEPTH) {
		p->res->depth_overflow++;
		return;
	}
	fr = &st->f[st->depth++];
	memset(fr, 0, sizeof(*fr));
	fr->ts = e->ts;
	fr->arg = e->arg;
	fr->probe = e->probe;
}

static int cmp_ev(const void *a, const void *b)
{
	const struct fp_event *x = a;
	const struct fp_event *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int fp_pair(const struct fp_probe_def *defs, int nr_defs, struct fp_event *ev, size_t nr_ev,
	    fp_cmd_namer namer, void *ctx, struct fp_result *res)
{
	struct pairer p = { defs, nr_defs, namer, ctx, res };
	size_t i;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	p.span_series = xcalloc(nr_defs, sizeof(*p.span_series));
	for (i = 0; i < (size_t)nr_defs; i++)
		if (defs[i].role == FP_SPAN)
			p.span_series[i] =
				series_get(res, defs[i].metric, defs[i].metric, FP_PART_SPAN);
	qsort(ev, nr_ev, sizeof(*ev), cmp_ev);
	for (i = 0; i < nr_ev; i++) {
		struct ctx_state *st;

		if (ev[i].probe >= nr_defs) {
			ret = -1;
			continue;
		}
		st = map_get(&p.map, ctx_key(&ev[i]));
		if (ev[i].ret)
			on_return(&p, st, &ev[i]);
		else
			on_entry(&p, st, &ev[i]);
	}
	for (i = 0; i < p.map.cap; i++)
		if (p.map.slot[i])
			res->open_at_end += p.map.slot[i]->depth;
	map_free(&p.map);
	free(p.cache);
	free(p.span_series);
	return ret;
}

const struct fp_series *fp_find(const struct fp_result *res, const char *name)
{
	int i;

	for (i = 0; i < res->nr; i++)
		if (!strcmp(res->s[i].name, name))
			return &res->s[i];
	return NULL;
}

void fp_result_free(struct fp_result *res)
{
	int i;

	for (i = 0; i < res->nr; i++)
		free(res->s[i].v);
	free(res->s);
	memset(res, 0, sizeof(*res));
}
