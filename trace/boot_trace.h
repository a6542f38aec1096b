/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Boot-time capture of the pKVM deprivilege step, shared by
 * `itsperf boot-args` (what to put on the kernel command line) and
 * `itsperf boot-collect` (what to make of the trace after boot).
 *
 * The deprivilege step is __init code: no BPF program or runtime kprobe
 * can see it. The Debian kernels have no bootconfig, so the command-line
 * parameters kprobe_event=, trace_event=, ftrace=, ftrace_graph_filter=,
 * trace_options= and trace_buf_size= record it into the top-level buffer,
 * read after boot.
 *
 * Events: kprobe_event=p:itsperf_boot/<probe>,<symbol>;r:itsperf_boot/<probe>_ret,<symbol>
 * for each logical probe that resolves on the target kernel (an unresolved
 * symbol would make the boot log "Failed to add event"), plus the initcall
 * tracepoints (an independent measure of finalize_pkvm, an initcall).
 */
#ifndef ITSPERF_BOOT_TRACE_H
#define ITSPERF_BOOT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksyms;

#define BOOT_GROUP "itsperf_boot"

/* logical probes recorded at boot unless --probes says otherwise */
extern const char *const boot_default_probes[];

/*
 * Whether a kprobe on sym will be accepted at boot: a text symbol of
 * vmlinux (not a module), unique (6.6+ refuses ambiguous names with
 * -EADDRNOTAVAIL; older kernels would silently take the first).
 */
bool boot_symbol_probeable(const struct ksyms *ks, const char *sym, char *why, size_t len);

/* ---- analysis of the recorded events (pure: unit-tested) ---- */

enum boot_kind {
	BOOT_WINDOW,	    /* deprivilege_window */
	BOOT_PROT_FINALIZE, /* host_prot_finalize, once per CPU */
	BOOT_DEPRIV_START,  /* its_deprivilege_start */
	BOOT_DEPRIV_END,    /* its_deprivilege_end */
	BOOT_STAGING_COPY,  /* its_staging_copy, once per ITS */
	BOOT_HYP_SETUP,	    /* its_hyp_setup: the hvc callback */
	BOOT_OTHER,
	NR_BOOT_KINDS,
};

enum boot_kind boot_kind_of(const char *probe);

/* one kprobe record of the boot trace */
struct boot_rec {
	uint64_t ts; /* ns, trace clock */
	enum boot_kind kind;
	int cpu;
	int pid; /* the task; 0: idle */
	bool ret;
	uint8_t flags; /* common_flags: irqs-off 0x01, hardirq 0x08 */
};

/* one entry -> return */
struct boot_span {
	enum boot_kind kind;
	int cpu;
	uint64_t start;
	uint64_t end;
	uint8_t entry_flags;
	uint8_t ret_flags;
};

/* an initcall's duration (initcall_start -> initcall_finish) */
struct boot_initcall {
	uint64_t func; /* address */
	uint64_t start;
	uint64_t end;
	int cpu;
};

struct boot_result {
	struct boot_span *spans;
	int nr_spans;
	int unmatched; /* entry without return or return without entry */
	/* derived */
	const struct boot_span *window;
	uint64_t finalize_first; /* first per-CPU entry */
	uint64_t finalize_last;	 /* last per-CPU return */
	int nr_finalize;
	const struct boot_span *start; /* its_deprivilege_start */
	const struct boot_span *end;   /* its_deprivilege_end */
	bool locks_bounds;	       /* both series probes seen, in order */
	uint64_t locks_lower;	       /* start's return -> end's entry */
	uint64_t locks_upper;	       /* start's entry -> end's return */
	int irqs_off_known;	       /* -1 unknown, 0 some record had IRQs on, 1 all off */
	uint64_t hyp_setup_ns;	       /* sum of the hvc callback's spans inside the lock span */
	int nr_hyp_setup;
};

/* pair records (sorted here by time) and derive the spans above */
int boot_analyze(struct boot_rec *recs, int nr, struct boot_result *res);
void boot_result_free(struct boot_result *res);

#endif
