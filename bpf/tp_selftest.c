// SPDX-License-Identifier: GPL-2.0
/*
 * bpf:tp_selftest: the BPF pipeline (loader, per-CPU histograms, ring
 * buffer, overhead, per-probe status) on tracepoints that every kernel has,
 * so that it is tested on the x86 CI machine where fentry and kprobes are
 * not available. Measures getpid(2) of the recording process and its
 * children, and device interrupt handler time. Not part of "-e bpf".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "result/probes.h"
#include "result/result.h"
#include "bpf/attach.h"
#include "bpf/common.h"
#include "bpf/tp_selftest.h"
#include "lib/collector.h"
#include "lib/util.h"
#include "tp_selftest.skel.h"

struct tp_priv {
	struct tp_selftest *skel;
	struct bpf_tp_probe tp[5];
	struct rb_poller *rb;
	bool raw;
	uint64_t *samples; /* latencies received through the ring buffer */
	size_t nr_samples, cap_samples;
	uint64_t received;
	uint64_t t_start, t_stop;
};

static const struct bpf_tp_probe tp_probes[] = {
	{ "raw_syscalls:sys_enter", "getpid_enter", BPF_MECH_TP_BTF },
	{ "raw_syscalls:sys_exit", "getpid_exit", BPF_MECH_TP_BTF },
	{ "syscalls:sys_enter_getpid", "getpid_tp", BPF_MECH_TRACEPOINT },
	{ "irq:irq_handler_entry", "irq_entry", BPF_MECH_RAW_TP },
	{ "irq:irq_handler_exit", "irq_exit", BPF_MECH_RAW_TP },
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct tp_priv *p = ctx;
	const struct tp_sample *s = data;

	if (size < sizeof(*s))
		return 0;
	p->received++;
	if (p->nr_samples == p->cap_samples) {
		p->cap_samples = p->cap_samples ? 2 * p->cap_samples : 4096;
		p->samples = xrealloc(p->samples, p->cap_samples * sizeof(*p->samples));
	}
	p->samples[p->nr_samples++] = s->latency;
	return 0;
}

static int tp_init(struct collector *c, const struct collector_opts *o)
{
	struct tp_priv *p = xcalloc(1, sizeof(*p));
	char ebuf[48];

	c->priv = p;
	memcpy(p->tp, tp_probes, sizeof(tp_probes));
	p->raw = o->raw_samples;
	bpf_libbpf_setup();
	p->skel = tp_selftest__open();
	if (!p->skel) {
		err_msg("%s: open: %s", c->name, bpf_errname(-errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	p->skel->rodata->self_tgid = getpid();
	p->skel->rodata->getpid_nr = SYS_getpid;
	p->skel->rodata->raw_samples = o->raw_samples;
	bpf_tp_probes_prepare(p->skel->obj, p->tp, ARRAY_SIZE(p->tp));
	c->status = bpf_probes_status(NULL, 0, p->tp, ARRAY_SIZE(p->tp), &c->nr_status);
	return bpf_collector_loaded(c, tp_selftest__load(p->skel));
}

static int tp_start(struct collector *c)
{
	struct tp_priv *p = c->priv;
	int n;

	if (p->raw) {
		p->rb = rb_poller_start(p->skel->maps.samples, on_sample, p, 5);
		if (!p->rb)
			return -1;
	}
	n = bpf_tp_probes_attach(p->tp, ARRAY_SIZE(p->tp));
	bpf_probes_status_update(c->status, NULL, 0, p->tp, ARRAY_SIZE(p->tp));
	p->t_start = now_ns();
	if (!n) {
		err_msg("%s: no tracepoint could be attached", c->name);
		return -1;
	}
	return 0;
}

static int tp_stop(struct collector *c)
{
	struct tp_priv *p = c->priv;

	p->t_stop = now_ns();
	bpf_tp_probes_detach(p->tp, ARRAY_SIZE(p->tp));
	rb_poller_stop(p->rb);
	p->rb = NULL;
	bpf_probes_status_update(c->status, NULL, 0, p->tp, ARRAY_SIZE(p->tp));
	return 0;
}

uint64_t tp_selftest_counter(struct collector *c, enum tp_counter which)
{
	struct tp_priv *p = c->priv;

	return bpf_percpu_u64_sum(p->skel->maps.counters, which);
}

uint64_t tp_selftest_samples_received(struct collector *c)
{
	return ((struct tp_priv *)c->priv)->received;
}

const uint64_t *tp_selftest_samples(struct collector *c, size_t *nr)
{
	struct tp_priv *p = c->priv;

	*nr = p->nr_samples;
	return p->samples;
}

static int hist_percpu(struct collector *c, uint32_t idx, struct bpf_hist *vals)
{
	struct tp_priv *p = c->priv;

	return bpf_map__lookup_elem(p->skel->maps.hists, &idx, sizeof(idx), vals,
				    bpf_nr_cpus() * sizeof(*vals), 0);
}

int tp_selftest_getpid_percpu(struct collector *c, uint64_t *counts, uint64_t *mins, uint64_t *maxs,
			      int nr_cpus)
{
	struct bpf_hist *vals = xcalloc(bpf_nr_cpus(), sizeof(*vals));
	int cpu, err;

	err = hist_percpu(c, 0, vals);
	for (cpu = 0; !err && cpu < nr_cpus && cpu < bpf_nr_cpus(); cpu++) {
		counts[cpu] = vals[cpu].count;
		mins[cpu] = bpf_hist_min(&vals[cpu]);
		maxs[cpu] = vals[cpu].max;
	}
	free(vals);
	return err;
}

int tp_selftest_getpid_bpf_hist(struct collector *c, struct bpf_hist *out)
{
	struct bpf_hist *vals = xcalloc(bpf_nr_cpus(), sizeof(*vals));
	int err;

	err = hist_percpu(c, 0, vals);
	if (!err)
		bpf_hist_merge_cpus(out, vals, bpf_nr_cpus());
	free(vals);
	return err;
}

int tp_selftest_getpid_hist(struct collector *c, uint64_t *count, uint64_t *min, uint64_t *max,
			    uint64_t *sum)
{
	struct bpf_hist *vals = xcalloc(bpf_nr_cpus(), sizeof(*vals));
	struct bpf_hist m;
	int err;

	err = hist_percpu(c, 0, vals);
	if (!err) {
		bpf_hist_merge_cpus(&m, vals, bpf_nr_cpus());
		*count = m.count;
		*min = bpf_hist_min(&m);
		*max = m.max;
		*sum = m.sum;
	}
	free(vals);
	return err;
}

uint64_t tp_selftest_irq_count(struct collector *c, int irq)
{
	struct tp_priv *p = c->priv;
	uint64_t *v = xcalloc(bpf_nr_cpus(), sizeof(*v));
	uint32_t key = irq;
	uint64_t sum = 0;
	int cpu;

	if (!bpf_map__lookup_elem(p->skel->maps.irq_counts, &key, sizeof(key), v,
				  bpf_nr_cpus() * sizeof(*v), 0))
		for (cpu = 0; cpu < bpf_nr_cpus(); cpu++)
			sum += v[cpu];
	free(v);
	return sum;
}

static const struct metric_desc getpid_desc = {
	.name = "tp_selftest.getpid",
	.area = "selftest",
	.unit = "ns",
	.kind = METRIC_LATENCY,
	.source = "bpf",
	.desc = "getpid(2) of the recording process and its children, raw_syscalls:sys_enter -> "
		"sys_exit (tp_btf)",
	.error_bound = "two bpf_ktime_get_ns() reads in tracepoint programs; includes the "
		       "syscall entry/exit path between the tracepoints and one program's cost",
};

static const struct metric_desc irq_desc = {
	.name = "tp_selftest.irq_handler",
	.area = "selftest",
	.unit = "ns",
	.kind = METRIC_LATENCY,
	.source = "bpf",
	.desc = "device interrupt handler time, irq:irq_handler_entry -> exit (raw_tp)",
	.error_bound = "per-CPU entry timestamp; hard IRQ handlers do not nest",
};

static void emit_count(struct result_run *r, const char *name, const char *desc, uint64_t v)
{
	struct metric_desc d = {
		.name = name,
		.area = "selftest",
		.unit = "events",
		.kind = METRIC_COUNT,
		.source = "bpf",
		.desc = desc,
	};

	bpf_emit_value(r, &d, (double)v);
}

static int tp_emit(struct collector *c, struct result_run *r)
{
	struct tp_priv *p = c->priv;
	struct bpf_hist *vals = xcalloc(bpf_nr_cpus(), sizeof(*vals));
	struct json_object *o;
	struct bpf_hist m;
	uint64_t calls;

	if (!hist_percpu(c, 0, vals)) {
		bpf_hist_merge_cpus(&m, vals, bpf_nr_cpus());
		bpf_emit_hist(r, &getpid_desc, &m, TP_LIN_WIDTH_NS, p->samples, p->nr_samples);
	}
	if (!hist_percpu(c, 1, vals)) {
		bpf_hist_merge_cpus(&m, vals, bpf_nr_cpus());
		bpf_emit_hist(r, &irq_desc, &m, TP_IRQ_LIN_WIDTH_NS, NULL, 0);
	}
	free(vals);
	calls = tp_selftest_counter(c, TP_GETPID_BTF);
	emit_count(r, "tp_selftest.getpid.count", "getpid(2) entries seen by tp_btf/sys_enter",
		   calls);
	emit_count(r, "tp_selftest.getpid.count_tracepoint",
		   "getpid(2) entries seen by tracepoint/syscalls/sys_enter_getpid",
		   tp_selftest_counter(c, TP_GETPID_TP));
	emit_count(r, "tp_selftest.irq.count", "irq_handler_entry events",
		   tp_selftest_counter(c, TP_IRQ_ENTRY));
	if (p->raw) {
		emit_count(r, "tp_selftest.samples.received",
			   "ring-buffer samples received by the polling consumer", p->received);
		emit_count(r, "tp_selftest.samples.dropped", "ring-buffer reservations that failed",
			   tp_selftest_counter(c, TP_SAMPLES_DROPPED));
	}
	o = json_object_new_object();
	json_object_object_add(o, c->name, probe_status_json(c));
	result_add_section(r, "probes", o);
	o = json_object_new_object();
	json_object_object_add(
		o, c->name,
		bpf_overhead_json(p->skel->obj, "getpid", calls, (p->t_stop - p->t_start) / 1e9));
	result_add_section(r, "overhead", o);
	return 0;
}

static void tp_destroy(struct collector *c)
{
	struct tp_priv *p = c->priv;

	if (!p)
		return;
	bpf_tp_probes_detach(p->tp, ARRAY_SIZE(p->tp));
	rb_poller_stop(p->rb);
	tp_selftest__destroy(p->skel);
	free(p->samples);
	collector_status_reset(c);
	free(p);
	c->priv = NULL;
}

static struct collector tp_selftest_collector = {
	.name = "bpf:tp_selftest",
	.desc = "tracepoint self-test: getpid(2) and irq handler latency (tp_btf, tracepoint, raw_tp)",
	.init = tp_init,
	.start = tp_start,
	.stop = tp_stop,
	.emit = tp_emit,
	.destroy = tp_destroy,
};

COLLECTOR_REGISTER(tp_selftest_collector)
