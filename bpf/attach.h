/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How a BPF collector gets onto a kernel function or tracepoint.
 *
 * A function probe is one logical probe of lib/probes.c with up to four
 * programs in the BPF object, named <prefix>_fentry, <prefix>_fexit,
 * <prefix>_kprobe and <prefix>_kretprobe (bpf/common.bpf.h defines them
 * from one handler). Before load, bpf_fn_probes_prepare() resolves the
 * symbol on the running kernel and picks, per probe:
 *   fentry/fexit   if a trial fentry program loads AND attaches there
 *                  (6.1 arm64 loads but refuses the attach with -524),
 *   kprobe/kretprobe otherwise, if the kernel has kprobes,
 *   nothing        with the reason ("absent on this kernel", "no kprobes
 *                  on this kernel", ...), without failing the others.
 * The kprobe flavour stays loaded next to a chosen fentry so that a late
 * fentry attach failure still falls back.
 *
 * Tracepoint programs (tp_btf, raw_tp, tracepoint) are struct bpf_tp_probe:
 * enabled when the kernel has the event, else reported absent.
 */
#ifndef ITSPERF_BPF_ATTACH_H
#define ITSPERF_BPF_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct bpf_program;
struct bpf_link;
struct collector_opts;
struct probe_resolution;
struct probe_status;

enum bpf_mech {
	BPF_MECH_NONE,
	BPF_MECH_FENTRY, /* fentry + fexit */
	BPF_MECH_KPROBE, /* kprobe + kretprobe */
	BPF_MECH_TP_BTF,
	BPF_MECH_RAW_TP,
	BPF_MECH_TRACEPOINT,
};

/* once per process: libbpf messages through debug_msg (-v shows them) */
void bpf_libbpf_setup(void);

/* bits returned by bpf_probe_mechanisms() */
#define BPF_MECH_BIT_FENTRY (1 << 0)
#define BPF_MECH_BIT_KPROBE (1 << 1)

/*
 * For `itsperf probes`: which BPF mechanisms can reach kernel function
 * symbol on the running kernel. Writes e.g. "fentry,kprobe", or
 * "kprobe (fentry: attach ENOTSUPP (524))", or
 * "none (fentry: load EPERM (1); kprobe: no kprobes on this kernel)" into
 * buf and returns the BPF_MECH_BIT_* mask of usable mechanisms (0: none).
 * A fentry answer comes from loading and attaching a trivial program.
 */
int bpf_probe_mechanisms(const char *symbol, char *buf, size_t len);

/* "ENOTSUPP (524)", "EPERM (1)": libbpf returns -errno, also kernel-internal ones */
const char *bpf_errname(int err, char *buf, size_t len);
const char *bpf_mech_name(enum bpf_mech m);

struct bpf_fn_probe {
	const char *probe;  /* logical probe name in lib/probes.c */
	const char *prefix; /* program name prefix in the BPF object */
	/* filled by bpf_fn_probes_prepare() / _attach() */
	const struct probe_resolution *res;
	struct bpf_program *fentry, *fexit, *kprobe, *kretprobe;
	enum bpf_mech mech;
	bool kprobe_loaded; /* kprobe flavour loaded as fallback */
	bool attached;	    /* was attached (stays true after detach) */
	struct bpf_link *entry_link, *exit_link;
	char note[256];
};

struct bpf_tp_probe {
	const char *name;   /* "lock:contention_begin" (system:event) */
	const char *prog;   /* program name in the BPF object */
	enum bpf_mech mech; /* BPF_MECH_TP_BTF, _RAW_TP or _TRACEPOINT */
	/* filled */
	struct bpf_program *p;
	bool enabled;
	bool attached; /* was attached (stays true after detach) */
	struct bpf_link *link;
	char note[160];
};

/* before bpf_object__load(); returns the number of probes that may attach */
int bpf_fn_probes_prepare(struct bpf_object *obj, struct bpf_fn_probe *p, int n,
			  const struct collector_opts *o);
int bpf_tp_probes_prepare(struct bpf_object *obj, struct bpf_tp_probe *t, int n);
/* after load; returns the number attached, never fails the rest on one */
int bpf_fn_probes_attach(struct bpf_fn_probe *p, int n);
int bpf_tp_probes_attach(struct bpf_tp_probe *t, int n);
void bpf_fn_probes_detach(struct bpf_fn_probe *p, int n);
void bpf_tp_probes_detach(struct bpf_tp_probe *t, int n);

/*
 * struct probe_status array for struct collector: one entry per function
 * probe then per tracepoint probe. Strings point into p/t (keep them alive).
 */
struct probe_status *bpf_probes_status(const struct bpf_fn_probe *p, int n,
				       const struct bpf_tp_probe *t, int nt, int *nr);
void bpf_probes_status_update(struct probe_status *st, const struct bpf_fn_probe *p, int n,
			      const struct bpf_tp_probe *t, int nt);

/* the running kernel has kprobes usable by BPF (PMU or tracefs kprobe_events) */
bool bpf_kernel_has_kprobes(void);
/* tracefs/debugfs event directory exists: "lock:contention_begin" */
bool bpf_kernel_has_event(const char *sys_event);

#endif
