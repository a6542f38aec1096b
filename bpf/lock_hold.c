// SPDX-License-Identifier: GPL-2.0
/*
 * bpf:lock_hold: hold times of every its->lock (per ITS node and code
 * path) and of its_lock, the series' deprivilege span, and contention on
 * these locks. How each is derived and its error bound: bpf/lock_hold.h;
 * the same text goes into each metric's error_bound. Metrics:
 *   lock_hold.its_node                         its->lock, send path, every ITS
 *   lock_hold.its_node.its@<base>[.<caller>.<CMD>]  one ITS (MMIO base, hex), by path
 *   lock_hold.its_lock.cpu_init.{lower,upper}  its_lock on CPU online
 *   lock_hold.its_lock.{save_disable,restore_enable,cpu_init_collection}
 *   lock_hold.contention.{its@<base>,its_lock} waiting to acquire
 *   lock_hold.deprivilege.{total,locks_held,start_fn,end_fn,staging_copy}  the series
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
#include "lib/its_cmd.h"
#include "bpf/lock_hold.h"
#include "lib/collector.h"
#include "lib/ksyms.h"
#include "lib/util.h"
#include "lock_hold.skel.h"

enum { FN_SEND, FN_VSEND, FN_WAIT, NR_LH_PROBES = 10 };

struct named_hist {
	char name[256];
	const char *area;
	const char *desc;
	const char *bound;
	struct bpf_hist h;
};

struct lh_priv {
	struct lock_hold *skel;
	struct bpf_fn_probe fn[NR_LH_PROBES];
	struct bpf_tp_probe tp[2];
	const struct ksyms *ks;
	struct named_hist *out;
	int nr_out, cap_out;
	uint64_t t_start, t_stop;
};

static const struct bpf_fn_probe lh_probes[NR_LH_PROBES] = {
	[FN_SEND] = { .probe = "cmd_send", .prefix = "send" },
	[FN_VSEND] = { .probe = "vcmd_send", .prefix = "vsend" },
	[FN_WAIT] = { .probe = "cmd_wait", .prefix = "wait" },
	{ .probe = "its_cpu_init", .prefix = "cpu_init" },
	{ .probe = "its_cpu_init_collection", .prefix = "cpu_init_coll" },
	{ .probe = "its_save_disable", .prefix = "save_disable" },
	{ .probe = "its_restore_enable", .prefix = "restore_enable" },
	{ .probe = "its_deprivilege_start", .prefix = "depriv_start" },
	{ .probe = "its_deprivilege_end", .prefix = "depriv_end" },
	{ .probe = "its_staging_copy", .prefix = "staging_copy" },
};

static const struct bpf_tp_probe lh_tps[2] = {
	{ "lock:contention_begin", "contention_begin", BPF_MECH_TP_BTF },
	{ "lock:contention_end", "contention_end", BPF_MECH_TP_BTF },
};

static const char send_desc[] = "its->lock hold in its_send_single_{,v}command(), per ITS node";
static const char send_bound[] =
	"send entry -> its_wait_for_range_completion() entry (or -> return when the send bails "
	"out without posting): the lock is taken first thing and dropped right before the wait, "
	"so this over-estimates the hold by the lock acquisition (incl. spinning when contended, "
	"see lock_hold.contention.*) and the unlock; plus one probe's cost";

static const struct {
	const char *name;
	const char *desc;
	const char *bound;
} fn_names[NR_LH_FNS] = {
	[LH_FN_CPU_INIT] = { "lock_hold.its_lock.cpu_init.upper",
			     "its_lock on CPU online: its_cpu_init() duration",
			     "upper bound: its_cpu_init() entry->return contains the "
			     "its_lock section (its_cpu_init_collections() is inlined) and "
			     "the redistributor/LPI set-up before it" },
	[LH_FN_CPU_INIT_COLL] = { "lock_hold.its_lock.cpu_init_collection",
				  "one ITS's collection set-up (MAPC+INVALL) under its_lock",
				  "its_cpu_init_collection() entry->return" },
	[LH_FN_SAVE_DISABLE] = { "lock_hold.its_lock.save_disable",
				 "its_lock across its_save_disable() (suspend)",
				 "function entry->return: the lock is held for all of it "
				 "but the prologue/epilogue" },
	[LH_FN_RESTORE_ENABLE] = { "lock_hold.its_lock.restore_enable",
				   "its_lock across its_restore_enable() (resume)",
				   "function entry->return: the lock is held for all of it "
				   "but the prologue/epilogue" },
	[LH_FN_DEPRIV_START] = { "lock_hold.deprivilege.start_fn",
				 "series: its_start_deprivilege() duration", "entry->return" },
	[LH_FN_DEPRIV_END] = { "lock_hold.deprivilege.end_fn",
			       "series: its_end_deprivilege() duration", "entry->return" },
	[LH_FN_STAGING_COPY] = { "lock_hold.deprivilege.staging_copy",
				 "series: copy of the queue and tables into the staging buffers",
				 "entry->return" },
};

static struct named_hist *out_get(struct lh_priv *p, const char *name)
{
	int i;

	for (i = 0; i < p->nr_out; i++)
		if (!strcmp(p->out[i].name, name))
			return &p->out[i];
	if (p->nr_out == p->cap_out) {
		p->cap_out = p->cap_out ? 2 * p->cap_out : 32;
		p->out = xrealloc(p->out, p->cap_out * sizeof(*p->out));
	}
	memset(&p->out[p->nr_out], 0, sizeof(p->out[0]));
	snprintf(p->out[p->nr_out].name, sizeof(p->out[0].name), "%s", name);
	return &p->out[p->nr_out++];
}

static void out_add(struct lh_priv *p, const char *name, const char *desc, const char *bound,
		    const struct bpf_hist *h)
{
	struct named_hist *n = out_get(p, name);

	n->area = "lock_hold";
	n->desc = desc;
	n->bound = bound;
	bpf_hist_accumulate(&n->h, h);
}

static bool frame_is_noise(const struct ksym *s)
{
	if (!s || (s->module && !strcmp(s->module, "bpf")))
		return true;
	return str_starts(s->name, "its_send_single_") || str_starts(s->name, "bpf_") ||
	       strstr(s->name, "kretprobe_trampoline") || strstr(s->name, "rethook") ||
	       str_starts(s->name, "__bpf_") || str_starts(s->name, "kprobe") ||
	       str_starts(s->name, "arch_") || str_starts(s->name, "perf_") ||
	       str_starts(s->name, "ftrace_");
}

/* the first frame below the send: the code path that sent the command */
static void caller_name(const struct lh_priv *p, const struct lh_key *k, char *buf, size_t len)
{
	int i;

	for (i = 0; i < LH_STACK; i++) {
		const struct ksym *s;

		uint64_t ip = k->ips[i];

		if (!ip)
			continue;
		/* a return address signed by pointer authentication: restore the kernel's top bits */
		if (ip >> 55 & 1)
			ip |= 0xffff000000000000ULL;
		s = p->ks ? ksyms_by_addr(p->ks, ip) : NULL;
		if (frame_is_noise(s))
			continue;
		snprintf(buf, len, "%.*s", (int)strcspn(s->name, "."), s->name);
		return;
	}
	/* fentry with a vCPU loaded: perf gives no kernel callchain (stack_empty_vcpu_loaded) */
	snprintf(buf, len, "unknown");
}

/* an ITS is named by its MMIO base (stable across runs), its_lock by itself */
static void its_name(uint64_t id, char *buf, size_t len)
{
	if (!id)
		snprintf(buf, len, "its_lock");
	else
		snprintf(buf, len, "its@%llx", (unsigned long long)id);
}

static void on_hist(const void *key, const struct bpf_hist *h, void *ctx)
{
	const struct lh_key *k = key;
	struct lh_priv *p = ctx;
	char its[40], caller[96], type[48], name[256];

	switch (k->kind) {
	case LH_SEND:
		its_name(k->id, its, sizeof(its));
		caller_name(p, k, caller, sizeof(caller));
		snprintf(type, sizeof(type), "%s", its_cmd_name_at(p->ks, k->builder));
		out_add(p, "lock_hold.its_node", "its->lock hold in the send path, every ITS",
			send_bound, h);
		metric_name(name, sizeof(name), MF_LOCK_NODE, its);
		out_add(p, name, send_desc, send_bound, h);
		metric_name(name, sizeof(name), MF_LOCK_NODE_CMD, its, caller, type);
		out_add(p, name, "its->lock hold by code path (caller) and command type",
			send_bound, h);
		break;
	case LH_CONTENTION:
		its_name(k->id, its, sizeof(its));
		metric_name(name, sizeof(name), MF_LOCK_CONTENTION, its);
		out_add(p, name, "waiting to acquire the lock (lock:contention_begin -> end)",
			"tracepoint timestamps around the slow path; uncontended acquisitions "
			"do not appear",
			h);
		break;
	case LH_FUNC:
		if (k->builder < NR_LH_FNS)
			out_add(p, fn_names[k->builder].name, fn_names[k->builder].desc,
				fn_names[k->builder].bound, h);
		break;
	case LH_CPU_INIT_SPAN:
		out_add(p, "lock_hold.its_lock.cpu_init.lower",
			"its_lock on CPU online: first its_cpu_init_collection() entry -> last return",
			"lower bound: misses the lock/unlock and list walk around the calls; "
			"lock_hold.its_lock.cpu_init.upper is the upper bound",
			h);
		break;
	case LH_DEPRIV_UPPER:
		out_add(p, "lock_hold.deprivilege.total",
			"series: deprivilege window, its_lock and every its->lock held inside",
			"upper bound: its_start_deprivilege() entry -> its_end_deprivilege() return",
			h);
		break;
	case LH_DEPRIV_LOWER:
		out_add(p, "lock_hold.deprivilege.locks_held",
			"series: its_lock and every its->lock held across deprivilege",
			"lower bound: its_start_deprivilege() return -> its_end_deprivilege() entry",
			h);
		break;
	}
}

static int collect(struct lh_priv *p)
{
	p->nr_out = 0;
	return bpf_percpu_hist_foreach(p->skel->maps.hists, on_hist, p);
}

int lock_hold_send_total(struct collector *c, struct bpf_hist *out)
{
	struct lh_priv *p = c->priv;
	int i;

	memset(out, 0, sizeof(*out));
	if (collect(p) < 0)
		return -1;
	for (i = 0; i < p->nr_out; i++)
		if (!strcmp(p->out[i].name, "lock_hold.its_node"))
			*out = p->out[i].h;
	return 0;
}

static int lh_init(struct collector *c, const struct collector_opts *o)
{
	struct lh_priv *p = xcalloc(1, sizeof(*p));
	const struct ksym *lk;
	char ebuf[48];
	int usable;

	c->priv = p;
	memcpy(p->fn, lh_probes, sizeof(lh_probes));
	memcpy(p->tp, lh_tps, sizeof(lh_tps));
	p->ks = o->ks;
	bpf_libbpf_setup();
	p->skel = lock_hold__open();
	if (!p->skel) {
		err_msg("%s: open: %s", c->name, bpf_errname(-errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	lk = o->ks ? ksyms_by_name(o->ks, "its_lock") : NULL;
	if (lk && !lk->module && lk->addr)
		p->skel->rodata->its_lock_addr = lk->addr;
	lk = o->ks ? ksyms_by_name(o->ks, "__kretprobe_trampoline") : NULL;
	if (lk && !lk->module && lk->addr)
		p->skel->rodata->kretprobe_tramp = lk->addr;
	usable = bpf_fn_probes_prepare(p->skel->obj, p->fn, NR_LH_PROBES, o);
	/* contention is only told apart for the ITS locks: pointless without the send path */
	if (p->fn[FN_SEND].mech == BPF_MECH_NONE && p->fn[FN_VSEND].mech == BPF_MECH_NONE &&
	    !p->skel->rodata->its_lock_addr) {
		bpf_tp_probes_prepare(p->skel->obj, p->tp, 0);
		bpf_program__set_autoload(p->skel->progs.contention_begin, false);
		bpf_program__set_autoload(p->skel->progs.contention_end, false);
		snprintf(p->tp[0].note, sizeof(p->tp[0].note),
			 "disabled: no ITS lock to match (send path and its_lock absent)");
		snprintf(p->tp[1].note, sizeof(p->tp[1].note), "%s", p->tp[0].note);
	} else {
		usable += bpf_tp_probes_prepare(p->skel->obj, p->tp, 2) > 0;
		if (!p->skel->rodata->its_lock_addr && p->tp[0].enabled)
			snprintf(p->tp[0].note, sizeof(p->tp[0].note),
				 "its_lock address unknown (no data symbols in kallsyms): "
				 "contention on its->lock only");
	}
	c->status = bpf_probes_status(p->fn, NR_LH_PROBES, p->tp, 2, &c->nr_status);
	if (!usable)
		return -1;
	return bpf_collector_loaded(c, lock_hold__load(p->skel));
}

static int lh_start(struct collector *c)
{
	struct lh_priv *p = c->priv;
	int n;

	n = bpf_fn_probes_attach(p->fn, NR_LH_PROBES);
	n += bpf_tp_probes_attach(p->tp, 2);
	bpf_probes_status_update(c->status, p->fn, NR_LH_PROBES, p->tp, 2);
	p->t_start = now_ns();
	return n ? 0 : -1;
}

static int lh_stop(struct collector *c)
{
	struct lh_priv *p = c->priv;

	p->t_stop = now_ns();
	bpf_fn_probes_detach(p->fn, NR_LH_PROBES);
	bpf_tp_probes_detach(p->tp, 2);
	bpf_probes_status_update(c->status, p->fn, NR_LH_PROBES, p->tp, 2);
	return 0;
}

static const char *const counter_names[NR_LH_COUNTERS] = {
	[LHC_SENDS] = "sends",
	[LHC_SEND_NO_WAIT] = "sends_without_wait",
	[LHC_CONTENTION_ITS] = "contention_its_node",
	[LHC_CONTENTION_GLOBAL] = "contention_its_lock",
	[LHC_STACK_FAILED] = "stack_unwind_failed",
	[LHC_STACK_EMPTY] = "stack_empty_vcpu_loaded",
	[LHC_CALLER_LOST] = "caller_lost_to_kretprobe",
};

static int lh_emit(struct collector *c, struct result_run *r)
{
	struct lh_priv *p = c->priv;
	struct metric_desc d = {
		.area = "lock_hold",
		.unit = "ns",
		.kind = METRIC_LATENCY,
		.source = "bpf",
	};
	struct json_object *o, *ov, *cnt;
	int i;

	if (collect(p) < 0)
		warn_msg("%s: reading the histograms failed", c->name);
	for (i = 0; i < p->nr_out; i++) {
		d.name = p->out[i].name;
		d.area = p->out[i].area;
		d.desc = p->out[i].desc;
		d.error_bound = p->out[i].bound;
		bpf_emit_hist(r, &d, &p->out[i].h, LH_LIN_WIDTH_NS, NULL, 0);
	}
	o = json_object_new_object();
	json_object_object_add(o, c->name, probe_status_json(c));
	result_add_section(r, "probes", o);
	cnt = json_object_new_object();
	for (i = 0; i < NR_LH_COUNTERS; i++)
		json_object_object_add(
			cnt, counter_names[i],
			json_object_new_uint64(bpf_percpu_u64_sum(p->skel->maps.counters, i)));
	ov = bpf_overhead_json(p->skel->obj, "its_command",
			       bpf_percpu_u64_sum(p->skel->maps.counters, LHC_SENDS),
			       (p->t_stop - p->t_start) / 1e9);
	json_object_object_add(ov, "counters", cnt);
	o = json_object_new_object();
	json_object_object_add(o, c->name, ov);
	result_add_section(r, "overhead", o);
	return 0;
}

static void lh_destroy(struct collector *c)
{
	struct lh_priv *p = c->priv;

	if (!p)
		return;
	bpf_fn_probes_detach(p->fn, NR_LH_PROBES);
	bpf_tp_probes_detach(p->tp, 2);
	lock_hold__destroy(p->skel);
	free(p->out);
	collector_status_reset(c);
	free(p);
	c->priv = NULL;
}

static struct collector lock_hold_collector = {
	.name = "bpf:lock_hold",
	.desc = "its->lock (per ITS node and path) and its_lock hold, deprivilege span, contention",
	.init = lh_init,
	.start = lh_start,
	.stop = lh_stop,
	.emit = lh_emit,
	.destroy = lh_destroy,
};

COLLECTOR_REGISTER(lock_hold_collector)
