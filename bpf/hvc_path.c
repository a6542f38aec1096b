// SPDX-License-Identifier: GPL-2.0
/*
 * bpf:hvc_path: how long the host functions that issue hypercalls take,
 * entry to return (lib/probes.c AREA_HVC probes: kvm_share_hyp,
 * kvm_unshare_hyp, pkvm_create_hyp_vm, __pkvm_destroy_hyp_vm, the series'
 * ITS setup callback and staging commit by candidate names) and KVM_RUN
 * (kvm_arch_vcpu_ioctl_run: host time from the ioctl to the exit to
 * userspace). Metrics hvc_path.<probe> (latency) and hvc_path.count.<probe>
 * (calls), <probe> the logical probe name.
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
#include "bpf/hvc_path.h"
#include "lib/collector.h"
#include "lib/probes.h"
#include "lib/util.h"
#include "hvc_path.skel.h"

struct hp_priv {
	struct hvc_path *skel;
	struct bpf_fn_probe fn[NR_HVC_FNS];
	uint64_t t_start, t_stop;
};

static const struct bpf_fn_probe hp_probes[NR_HVC_FNS] = {
	[HVC_SHARE_HYP] = { .probe = "share_hyp", .prefix = "share_hyp" },
	[HVC_UNSHARE_HYP] = { .probe = "unshare_hyp", .prefix = "unshare_hyp" },
	[HVC_CREATE_VM] = { .probe = "create_hyp_vm", .prefix = "create_hyp_vm" },
	[HVC_DESTROY_VM] = { .probe = "destroy_hyp_vm", .prefix = "destroy_hyp_vm" },
	[HVC_VCPU_RUN] = { .probe = "vcpu_run", .prefix = "vcpu_run" },
	[HVC_ITS_SETUP] = { .probe = "its_hyp_setup", .prefix = "its_hyp_setup" },
	[HVC_ITS_COMMIT] = { .probe = "its_staging_commit", .prefix = "its_staging_commit" },
};

static int hp_init(struct collector *c, const struct collector_opts *o)
{
	struct hp_priv *p = xcalloc(1, sizeof(*p));
	char ebuf[48];
	int usable;

	c->priv = p;
	memcpy(p->fn, hp_probes, sizeof(hp_probes));
	bpf_libbpf_setup();
	p->skel = hvc_path__open();
	if (!p->skel) {
		err_msg("%s: open: %s", c->name, bpf_errname(-errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	usable = bpf_fn_probes_prepare(p->skel->obj, p->fn, NR_HVC_FNS, o);
	c->status = bpf_probes_status(p->fn, NR_HVC_FNS, NULL, 0, &c->nr_status);
	if (!usable)
		return -1;
	return bpf_collector_loaded(c, hvc_path__load(p->skel));
}

static int hp_start(struct collector *c)
{
	struct hp_priv *p = c->priv;
	int n;

	n = bpf_fn_probes_attach(p->fn, NR_HVC_FNS);
	bpf_probes_status_update(c->status, p->fn, NR_HVC_FNS, NULL, 0);
	p->t_start = now_ns();
	return n ? 0 : -1;
}

static int hp_stop(struct collector *c)
{
	struct hp_priv *p = c->priv;

	p->t_stop = now_ns();
	bpf_fn_probes_detach(p->fn, NR_HVC_FNS);
	bpf_probes_status_update(c->status, p->fn, NR_HVC_FNS, NULL, 0);
	return 0;
}

int hvc_path_hist(struct collector *c, enum hvc_fn fn, struct bpf_hist *out)
{
	struct hp_priv *p = c->priv;
	struct bpf_hist *vals = xcalloc(bpf_nr_cpus(), sizeof(*vals));
	uint32_t key = fn;
	int err;

	err = bpf_map__lookup_elem(p->skel->maps.hists, &key, sizeof(key), vals,
				   bpf_nr_cpus() * sizeof(*vals), 0);
	if (!err)
		bpf_hist_merge_cpus(out, vals, bpf_nr_cpus());
	free(vals);
	return err;
}

static int hp_emit(struct collector *c, struct result_run *r)
{
	struct hp_priv *p = c->priv;
	struct metric_desc d = {
		.area = "hvc_path",
		.source = "bpf",
	};
	const struct logical_probe *lp;
	uint64_t calls = 0;
	struct json_object *o;
	struct bpf_hist h;
	char name[128];
	int i;

	for (i = 0; i < NR_HVC_FNS; i++) {
		if (!p->fn[i].attached || hvc_path_hist(c, i, &h))
			continue;
		lp = probe_find(p->fn[i].probe);
		calls += h.count;
		metric_name(name, sizeof(name), MF_HVC_PATH_COUNT, p->fn[i].probe);
		d.name = name;
		d.area = "count";
		d.unit = "events";
		d.kind = METRIC_COUNT;
		d.desc = lp ? lp->desc : NULL;
		d.error_bound = NULL;
		bpf_emit_value(r, &d, (double)h.count);
		if (!h.count)
			continue;
		metric_name(name, sizeof(name), MF_HVC_PATH, p->fn[i].probe);
		d.area = "hvc_path";
		d.unit = "ns";
		d.kind = METRIC_LATENCY;
		d.error_bound = i == HVC_VCPU_RUN ?
					"kvm_arch_vcpu_ioctl_run entry->return (fentry/fexit or "
					"kprobe/kretprobe): host time of one KVM_RUN incl. guest "
					"execution; sleeps in the vCPU thread count" :
					"entry->return of the host function around the inline hvc: "
					"includes the host-side work before and after the hvc, "
					"plus one probe pair";
		bpf_emit_hist(r, &d, &h, HVC_LIN_WIDTH_NS, NULL, 0);
	}
	o = json_object_new_object();
	json_object_object_add(o, c->name, probe_status_json(c));
	result_add_section(r, "probes", o);
	o = json_object_new_object();
	json_object_object_add(o, c->name,
			       bpf_overhead_json(p->skel->obj, "hvc_path_call", calls,
						 (p->t_stop - p->t_start) / 1e9));
	result_add_section(r, "overhead", o);
	return 0;
}

static void hp_destroy(struct collector *c)
{
	struct hp_priv *p = c->priv;

	if (!p)
		return;
	bpf_fn_probes_detach(p->fn, NR_HVC_FNS);
	hvc_path__destroy(p->skel);
	collector_status_reset(c);
	free(p);
	c->priv = NULL;
}

static struct collector hvc_path_collector = {
	.name = "bpf:hvc_path",
	.desc = "latency of the host functions issuing hypercalls to pKVM, and of KVM_RUN",
	.init = hp_init,
	.start = hp_start,
	.stop = hp_stop,
	.emit = hp_emit,
	.destroy = hp_destroy,
};

COLLECTOR_REGISTER(hvc_path_collector)
