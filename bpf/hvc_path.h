/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf:hvc_path: latency of the host functions that issue hypercalls to
 * pKVM's EL2 (the hvc itself is inline, kvm_call_hyp_nvhe(): no function
 * wraps exactly one), and of KVM_RUN. One logical probe of lib/probes.c per
 * function, entry to return.
 */
#ifndef ITSPERF_HVC_PATH_H
#define ITSPERF_HVC_PATH_H

enum hvc_fn {
	HVC_SHARE_HYP,	 /* share_hyp: kvm_share_hyp */
	HVC_UNSHARE_HYP, /* unshare_hyp: kvm_unshare_hyp */
	HVC_CREATE_VM,	 /* create_hyp_vm: pkvm_create_hyp_vm (6.12) */
	HVC_DESTROY_VM,	 /* destroy_hyp_vm: __pkvm_destroy_hyp_vm */
	HVC_VCPU_RUN,	 /* vcpu_run: kvm_arch_vcpu_ioctl_run (KVM_RUN) */
	HVC_ITS_SETUP,	 /* its_hyp_setup: the series' ITS-emulation setup callback */
	HVC_ITS_COMMIT,	 /* its_staging_commit: the series' staging commit */
	NR_HVC_FNS,
};

/* linear bucket: 1 us (hvc round trip ~1-3 us on hardware, TCG more) */
#define HVC_LIN_WIDTH_NS 1000

#ifndef __bpf__
struct bpf_hist;
struct collector;

/* for tests: merged duration histogram of one function */
int hvc_path_hist(struct collector *c, enum hvc_fn fn, struct bpf_hist *out);
#endif

#endif
