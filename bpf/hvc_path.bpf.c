// SPDX-License-Identifier: GPL-2.0
/* bpf:hvc_path, BPF side: one duration histogram per host hypercall path. */
#include "common.bpf.h"
#include "hvc_path.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_HVC_FNS);
	__type(key, u32);
	__type(value, struct bpf_hist);
} hists SEC(".maps");

static __always_inline void ft_record(u32 idx, u64 ns)
{
	struct bpf_hist *h = bpf_map_lookup_elem(&hists, &idx);

	if (h)
		hist_add(h, ns, HVC_LIN_WIDTH_NS);
}

#include "func_time.bpf.h"

FUNC_TIME_PROBES(share_hyp, HVC_SHARE_HYP)
FUNC_TIME_PROBES(unshare_hyp, HVC_UNSHARE_HYP)
FUNC_TIME_PROBES(create_hyp_vm, HVC_CREATE_VM)
FUNC_TIME_PROBES(destroy_hyp_vm, HVC_DESTROY_VM)
FUNC_TIME_PROBES(vcpu_run, HVC_VCPU_RUN)
FUNC_TIME_PROBES(its_hyp_setup, HVC_ITS_SETUP)
FUNC_TIME_PROBES(its_staging_commit, HVC_ITS_COMMIT)
