/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside bench/: the workload interface, the run context every workload
 * shares (stop conditions, pacing, expected commands, skips and errors),
 * the state journal and the host helpers (sysfs, procfs, device guard).
 */
#ifndef ITSPERF_BENCH_PRIV_H
#define ITSPERF_BENCH_PRIV_H

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>

#include "bench/bench.h"
#include "lib/util.h"

/* options a workload accepts besides the common ones */
#define BOPT_DEVICE   (1u << 0) /* --device, repeatable */
#define BOPT_FORCE    (1u << 1)
#define BOPT_IRQ      (1u << 2)
#define BOPT_VCPUS    (1u << 3)
#define BOPT_WRITE    (1u << 4)
#define BOPT_QD	      (1u << 5)
#define BOPT_BS	      (1u << 6)
#define BOPT_MODULE   (1u << 7)
#define BOPT_RATE     (1u << 8)
#define BOPT_JOBS     (1u << 9)
#define BOPT_VECTORS  (1u << 10)
#define BOPT_PRESSURE (1u << 11)
#define BOPT_LIST     (1u << 12)
#define BOPT_MOVE     (1u << 13)

struct bench_ctx;

struct bench_workload {
	const char *name;
	const char *help;	      /* one line for the usage text */
	const char *op;		      /* what one operation is: "irq move" */
	const char *cmds;	      /* the ITS commands it drives, for the usage text */
	unsigned int opts;	      /* BOPT_* */
	uint64_t default_duration_ns; /* when neither --ops nor --duration is given */
	uint64_t default_ops;	      /* the same, for workloads counted in operations */
	int (*run)(struct bench_ctx *c);
};

extern const struct bench_workload bench_affinity;
extern const struct bench_workload bench_rebind;
extern const struct bench_workload bench_vcpu;
extern const struct bench_workload bench_msi;
extern const struct bench_workload bench_hvc;
extern const struct bench_workload bench_inv;
extern const struct bench_workload bench_null_call;

#define BENCH_DEFAULT_TIMEOUT_NS (300ull * 1000000000ull)
#define BENCH_MAX_SAMPLES	 (4u << 20) /* raw samples kept per metric */

struct bench_ctx {
	const struct bench_opts *o;
	const struct bench_workload *w;
	struct bench_result *res;

	int cpu_list[BENCH_MAX_CPUS]; /* --cpus, or every online CPU, ascending */
	int nr_cpus;
	int nr_possible; /* highest online CPU + 1, for per-CPU arrays */

	uint64_t t_start; /* now_ns() when the run phase began */
	uint64_t t_end;
	uint64_t stop_at;    /* --duration deadline, 0 = none */
	uint64_t cap_at;     /* --timeout deadline */
	uint64_t ops_target; /* --ops, 0 = none */
	uint64_t claimed;    /* operations handed out (atomic) */
	uint64_t done;	     /* operations completed (atomic) */
	int abort;	     /* a worker hit a fatal error (atomic) */
	const char *stop_reason;

	pthread_mutex_t lock; /* the JSON lists below, from worker threads */
	struct json_object *skipped;
	struct json_object *errors;
	struct json_object *notes;
	struct json_object *extra;     /* workload-specific summary fields */
	struct json_object *uncertain; /* command type -> why it may exceed the expectation */
	struct json_object *lines;
	uint64_t nr_errors;
	struct its_cmd_counts *by_cpu; /* nr_possible entries, bench_expect_on() */
	uint64_t *ops_by_cpu;	       /* operations done per worker CPU (bench_op_done_on()) */
};

/* ---- run phase: stop conditions and pacing (bench.c) ---- */
void bench_begin(struct bench_ctx *c);
/* the same, n operations when neither --ops nor --duration was given (one pass over a set) */
void bench_begin_ops(struct bench_ctx *c, uint64_t n);
/*
 * Hand out the next operation: false when the run must stop (signal,
 * --ops reached, --duration or --timeout passed, abort). With --rate it
 * sleeps until the operation's slot. Thread-safe.
 */
bool bench_next_op(struct bench_ctx *c);
void bench_op_done(struct bench_ctx *c);
/* the same, by a worker pinned to cpu (summary "ops_by_cpu") */
void bench_op_done_on(struct bench_ctx *c, int cpu);
/* the operation handed out did not happen (skipped item): give it back */
void bench_op_unclaim(struct bench_ctx *c);
void bench_end(struct bench_ctx *c);
/* stop every worker: a fatal error */
void bench_abort(struct bench_ctx *c, const char *reason);
/*
 * Run fn on each of nr workers (workers + i * size) in a thread of its
 * own and wait for all of them. A thread that cannot start aborts the
 * run: the ones started see the abort and finish.
 */
void bench_run_threads(struct bench_ctx *c, void *(*fn)(void *), void *workers, size_t size,
		       int nr);
bool bench_should_stop(struct bench_ctx *c);

/* ---- what the summary says (thread-safe) ---- */
void bench_expect(struct bench_ctx *c, enum bench_phase ph, enum its_cmd_type t, uint64_t n);
/*
 * the same, sent from CPU cpu: a worker pinned to it made the kernel send
 * them there (summary "expected_commands_by_cpu"); cpu < 0: not attributed
 */
void bench_expect_on(struct bench_ctx *c, enum bench_phase ph, enum its_cmd_type t, uint64_t n,
		     int cpu);
/* the CPU of worker k of --jobs: the k-th of --cpus, cyclically */
int bench_worker_cpu(const struct bench_ctx *c, int k);
/* up to n more commands of type t may come, for the reason given once per type */
void bench_expect_extra(struct bench_ctx *c, enum bench_phase ph, enum its_cmd_type t, uint64_t n,
			const char *why);
/* a workload-specific line of the human summary (also kept in the JSON "report") */
void bench_line(struct bench_ctx *c, const char *fmt, ...) __printf(2, 3);
void bench_skip(struct bench_ctx *c, const char *item, const char *fmt, ...) __printf(3, 4);
void bench_error(struct bench_ctx *c, const char *fmt, ...) __printf(2, 3);
void bench_note(struct bench_ctx *c, const char *fmt, ...) __printf(2, 3);
void bench_set(struct bench_ctx *c, const char *key, struct json_object *v);
/* {"0": n0, "1": n1, ...} for the CPUs with a non-zero count */
struct json_object *bench_per_cpu_json(const uint64_t *counts, int nr);

/* ---- distributions ---- */
struct bench_metric *bench_metric_new(struct bench_ctx *c, const char *name, const char *unit,
				      const char *desc);
void bench_metric_init(struct bench_metric *m, const char *name, const char *unit,
		       const char *desc);
void bench_metric_add(struct bench_metric *m, uint64_t v);
/* fold a worker's local metric into the shared one (caller serialises) */
void bench_metric_merge(struct bench_metric *dst, struct bench_metric *src);
void bench_metric_free(struct bench_metric *m);
/* percentiles from the raw samples (sorted in place) */
struct json_object *bench_metric_json(struct bench_metric *m);

/* run the calling thread on the --cpus CPUs; saved gets the old mask for bench_unpin_self() */
int bench_pin_self(const struct bench_ctx *c, cpu_set_t *saved);
void bench_unpin_self(const cpu_set_t *saved);
int bench_pin_to_cpu(int cpu);

/* the CPU list as "0-3" */
void bench_cpus_string(const struct bench_ctx *c, char *buf, size_t len);

/* ---- its_pressure (pressure.c): queue-full waits and its->lock contention, per CPU ---- */
struct bench_pressure;
/* observe the send path from now on; NULL (and a note saying why) if it cannot */
struct bench_pressure *pressure_start(struct bench_ctx *c);
/* stop, and put "its_pressure" and its lines in the summary; frees p */
void pressure_stop(struct bench_ctx *c, struct bench_pressure *p);
/* one its->lock hold, or one acquire wait (send entry -> lock taken) */
struct lock_span {
	uint64_t its;  /* the ITS (one lock each) */
	uint64_t a, b; /* [a, b] on one clock */
	int cpu;
};
/*
 * out[i]: how long wait i overlapped holds of its lock by other sends (the
 * time it waited); holds are sorted in place. Returns how many waited.
 */
uint64_t lock_span_overlap(struct lock_span *holds, size_t nr_holds, const struct lock_span *waits,
			   size_t nr_waits, uint64_t *out);
/* --pressure, --no-pressure, or by default when jobs threads send at once */
bool bench_pressure_wanted(const struct bench_ctx *c, int jobs);

/* ---- the state journal (journal.c) ---- */
/*
 * Open this process's journal; refuses (-1, message printed) while a
 * journal left by a killed run on this boot is pending: the host is not
 * as found and `itsperf bench restore` must run first.
 */
int journal_open(const char *workload);
/* record the original state BEFORE the first change of an object (once per object) */
int journal_note_affinity(int irq, const char *mask, int effective_cpu);
int journal_note_binding(const char *bdf, const char *driver);
int journal_note_module(const char *name);
/* the device's network interfaces were up: bring them up after the binding is restored */
int journal_note_netup(const char *bdf);
int journal_note_mount(const char *path);
/* the PCI device's driver_override before this run set it ("" none): restored before its binding */
int journal_note_override(const char *bdf, const char *value);
/* the workload undid it itself (module unloaded): nothing left to restore */
void journal_forget_module(const char *name);

struct journal_restore_stats {
	int restored;
	int failed;
	int affinity_moved;    /* restores that changed an effective CPU: one MOVI each */
	int effective_differs; /* mask restored, kernel chose another CPU than before */
};
/* undo every change recorded by this process, newest first; removes the journal when all succeeded */
int journal_restore(struct journal_restore_stats *st);
/* restore (if anything is left) and remove the journal */
void journal_close(void);
const char *journal_dir(void);

/* a journal file as read back (restore, tests) */
enum jkind { J_AFFINITY, J_BINDING, J_MODULE, J_MOUNT, J_NETUP, J_OVERRIDE };

struct jentry {
	enum jkind kind;
	int irq;
	int eff;
	char obj[64];  /* bdf, module name */
	char val[256]; /* mask, driver, mount path */
	bool done;
};

struct jfile {
	int pid;
	unsigned long long starttime;
	char boot[64];
	char workload[32];
	struct jentry *e;
	int n;
	int bad_lines;
};

/* parse one journal; malformed lines are reported by file:line and skipped */
int journal_parse(const char *path, const char *text, struct jfile *f);
void jfile_free(struct jfile *f);

/* ---- workload internals the unit tests check ---- */
/* rebind.c: commands for one unbind (bind = false) or bind of a device with nvec ITS vectors */
void rebind_expect(struct its_cmd_counts *cnt, bool bind, int nvec, uint64_t *movi_max);
/* vcpu.c: the guest loop (arm64 instructions), returns the number of words */
int vcpu_guest_program(uint32_t *insn, int max, uint64_t mmio_addr);

/* ---- host helpers (host.c) ---- */
/* read a sysfs/procfs file, trimmed; NULL + errno on failure */
char *host_read_str(const char *fmt, ...) __printf(1, 2);
int host_read_int(long long *v, const char *fmt, ...) __printf(2, 3);
/* write s to path in one write(); returns 0 or -errno */
int host_write(const char *path, const char *s);
/* parse a cpulist ("0-1,3") into a bitmap; returns the number of CPUs or -1 */
int host_cpulist(const char *s, uint64_t *mask, int nbits);
/* the single CPU in a cpulist, -1 if it names zero or several */
int host_cpulist_single(const char *s);
/* "00:02.0" or "0000:00:02.0" -> "0000:00:02.0"; -1 if not a BDF */
int host_pci_bdf_normalize(const char *in, char *out, size_t len);
/* driver bound to the PCI device ("" if none); -1 if the device does not exist */
int host_pci_driver(const char *bdf, char *drv, size_t len);
/* the device's MSI/MSI-X irq numbers from sysfs msi_irqs/, sorted; returns the count */
int host_pci_msi_irqs(const char *bdf, int *irqs, int max);
/* sysfs directory of the PCI function above a block device ("vda", "/dev/vda") */
int host_blockdev_pci(const char *dev, char *bdf, size_t len);
const char *host_kvm_mode(void); /* from the kernel command line */
/* network interfaces below a PCI function; returns how many (names: at most max) */
int host_pci_netdevs(const char *bdf, char (*names)[16], int max);
bool host_netdev_is_up(const char *ifname);
int host_netdev_set_up(const char *ifname);
/* set every interface of the PCI function up; 0, -1 if one failed */
int host_pci_netdevs_up(const char *bdf);
/* MSI-X table size from the config space capability list: 0 none, -1 unreadable */
int host_pci_msix_table_size(const char *bdf);
/* the device's IOMMU group number, -1 if it has none (no IOMMU) */
int host_pci_iommu_group(const char *bdf);
bool host_module_loaded(const char *name);
/*
 * name and the modules it depends on (modules.dep) that are not loaded,
 * dependencies first; returns how many (names: at most max)
 */
int host_module_missing(const char *name, char (*out)[64], int max);
/* run modprobe NAME: 0, -ENOENT (no modprobe), -EIO (it failed) */
int host_modprobe(const char *name);

/* ---- the device guard (guard.c): what a device must not be taken from ---- */
/*
 * Does the device at sysfs path devpath (a PCI function, or a block device)
 * back a mounted filesystem, swap, the default route's interface, or an
 * interface that is up? root is "" for the live system, or a fixture
 * directory holding proc/ and sys/ for the tests. Returns 1 (why says what)
 * if it is in use, 0 if not, -1 on error.
 */
int guard_device_in_use(const char *root, const char *devpath, char *why, size_t len);
/* realpath of root + "/sys/bus/pci/devices/<bdf>" without root; -1 if absent */
int guard_pci_devpath(const char *root, const char *bdf, char *out, size_t len);

#endif
