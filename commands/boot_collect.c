// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf boot-collect: read the boot-time trace that `itsperf boot-args`
 * set up and write one result run of what the deprivilege step cost.
 *
 *   itsperf boot-collect -o DIR                on the booted pKVM host
 *   itsperf boot-collect --vm N -o DIR [...]   on the build machine: boot the
 *                                              emulated host N times with the
 *                                              boot-args, collect each boot,
 *                                              print the distribution
 *
 * What each number is and how it is derived (also written next to it):
 *   deprivilege.<window>            kprobe entry -> kretprobe return of the
 *                                   window function (finalize_pkvm on 6.12; on
 *                                   6.1 kvm_arch_init, which also holds the rest
 *                                   of KVM's init: an upper bound)
 *   deprivilege.prot_finalize.cpu<N> each CPU's _kvm_host_prot_finalize (the
 *                                   __pkvm_prot_finalize hvc); remote CPUs run
 *                                   it from the on_each_cpu() IPI
 *   deprivilege.prot_finalize_span  first CPU's entry -> last CPU's return:
 *                                   lower bound of the deprivilege step
 *   deprivilege.initcall.<fn>       initcall_start -> initcall_finish of the
 *                                   initcall that contains the window
 *                                   (tracepoints: an independent measure)
 *   series only (its_start/end_deprivilege present):
 *   deprivilege.total               start's entry -> end's return (upper bound
 *                                   of the locks' hold)
 *   deprivilege.locks_held,         start's return -> end's entry (lower bound:
 *   lock_hold.its_lock.deprivilege  the locks are taken inside start, dropped
 *                                   inside end)
 *   lock_hold.deprivilege.irqs_off  the same span, when every record of that
 *                                   CPU inside it has the irqs-off flag
 *   lock_hold.its_node.its<n>.deprivilege
 *                                   the n-th staging-copy call (one per ITS,
 *                                   that ITS's lock held across it)
 *   hvc.its_setup                   the hvc callback's span; its share of the
 *                                   locks' hold in section "deprivilege"
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <tracefs.h>

#include "result/meta.h"
#include "result/result.h"
#include "result/result_read.h"
#include "commands/commands.h"
#include "lib/ksyms.h"
#include "lib/probes.h"
#include "lib/util.h"
#include "trace/boot_trace.h"
#include "host/khealth.h"
#include "lib/tracefs_util.h"

struct graph_call {
	uint64_t func;
	int depth;
	uint64_t ns;
};

/* a boot kprobe event as defined in dynamic_events, with its function's address */
struct boot_event {
	char name[80];
	uint64_t addr;
};

struct collect {
	struct boot_event *bev;
	int nr_bev;
	uint64_t by_address; /* records identified by probed address (see below) */
	struct boot_rec *recs;
	int nr_recs;
	struct boot_initcall *ic;
	int nr_ic;
	struct graph_call *graph;
	int nr_graph;
	uint64_t records;
	uint64_t all_records;
	uint64_t lost;
	struct tep_format_field *f_flags;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf boot-collect -o DIR [--label L]\n"
		"       itsperf boot-collect --vm N -o DIR [--kernel 6.12|6.1|PATH] [--cpus C]\n"
		"                            [--mode M] [--graph] [--probes LIST] [--label L]\n\n"
		"Read the boot-time trace of the pKVM deprivilege step (set up by the output of\n"
		"'itsperf boot-args' on the kernel command line) and write a result run to DIR:\n"
		"the whole window, each CPU's _kvm_host_prot_finalize, and where the ITS series\n"
		"is present the span with its_lock held / IRQs off, each ITS's lock span and the\n"
		"hvc callback's share, each labelled with how it was derived. The boot trace is\n"
		"consumed (its text is kept in the run as boot_trace.txt).\n\n"
		"  -o, --out DIR   the run (with --vm: DIR/boot-<i>/run per boot)\n"
		"  --label L       the run's label (default: boot)\n"
		"  --vm N          on the build machine: boot the emulated host N times with the\n"
		"                  boot-args appended and collect each boot\n"
		"  --kernel, --cpus, --mode, --graph, --probes   passed to boot-args / itsperf vm\n");
}

/* ---- reading the trace ---- */

static uint64_t field(struct tep_event *ev, struct tep_record *rec, const char *name)
{
	uint64_t v = 0;

	tfs_field_u64(ev, rec, name, &v);
	return v;
}

static struct boot_rec *add_rec(struct collect *c, const char *event, uint64_t ts, int cpu, int pid,
				uint8_t flags)
{
	struct boot_rec *r;
	char probe[80];
	size_t n;

	snprintf(probe, sizeof(probe), "%s", event);
	n = strlen(probe);
	c->recs = xrealloc(c->recs, (c->nr_recs + 1) * sizeof(*c->recs));
	r = &c->recs[c->nr_recs++];
	r->ret = n > 4 && !strcmp(probe + n - 4, "_ret");
	if (r->ret)
		probe[n - 4] = '\0';
	r->kind = boot_kind_of(probe);
	r->ts = ts;
	r->cpu = cpu;
	r->pid = pid;
	r->flags = flags;
	return r;
}

/*
 * The p:/r:itsperf_boot/... events the kernel command line defined, from
 * dynamic_events, with the address of the function each one probes.
 */
static void load_boot_events(struct collect *c, const struct ksyms *ks)
{
	char *text = tracefs_instance_file_read(NULL, "dynamic_events", NULL);
	char *save = NULL;
	char *line;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *ev = strstr(line, ":" BOOT_GROUP "/");
		const struct ksym *s;
		char *sym;

		if (!ev)
			continue;
		ev += strlen(":" BOOT_GROUP "/");
		sym = ev + strcspn(ev, " \t");
		if (!*sym)
			continue;
		*sym++ = '\0';
		sym[strcspn(sym, " \t+")] = '\0';
		s = ks ? ksyms_by_name(ks, sym) : NULL;
		if (!s)
			continue;
		c->bev = xrealloc(c->bev, (c->nr_bev + 1) * sizeof(*c->bev));
		snprintf(c->bev[c->nr_bev].name, sizeof(c->bev[0].name), "%s", ev);
		c->bev[c->nr_bev++].addr = s->addr;
	}
	free(text);
}

/*
 * A record whose event the handle does not know. On the 6.1 and 6.12
 * guests eventfs was seen (about one boot in four) to lose the directory
 * of a boot-time kprobe event while the event itself lived on in
 * dynamic_events: its format (and id) cannot be read. A boot kprobe record
 * without fetch-args is the common header, then the probed function's
 * address (__probe_ip of an entry, __probe_func of a return, which also
 * carries __probe_ret_ip: 24 bytes instead of 16): that address names the
 * event. Counted in section "deprivilege" as records_by_address.
 */
static void unknown_record(struct collect *c, struct tep_record *rec, int cpu)
{
	const uint8_t *d = rec->data;
	uint64_t addr;
	int32_t pid;
	int i;

	if (rec->size < 16)
		return;
	memcpy(&addr, d + 8, 8);
	memcpy(&pid, d + 4, 4);
	for (i = 0; i < c->nr_bev; i++) {
		const char *name = c->bev[i].name;
		size_t n = strlen(name);
		bool is_ret = n > 4 && !strcmp(name + n - 4, "_ret");

		if (c->bev[i].addr != addr || is_ret != (rec->size >= 24))
			continue;
		add_rec(c, name, rec->ts, cpu, pid, d[2]);
		c->by_address++;
		return;
	}
}

static int record_cb(struct tep_event *ev, struct tep_record *rec, int cpu, void *data)
{
	struct collect *c = data;
	unsigned long long flags = 0;

	if (!ev) {
		unknown_record(c, rec, cpu);
		return 0;
	}
	c->records++;
	if (rec->missed_events > 0)
		c->lost += rec->missed_events;
	if (!c->f_flags)
		c->f_flags = tep_find_common_field(ev, "common_flags");
	if (c->f_flags)
		tep_read_number_field(c->f_flags, rec->data, &flags);
	if (!strcmp(ev->system, BOOT_GROUP)) {
		add_rec(c, ev->name, rec->ts, cpu, tep_data_pid(ev->tep, rec), flags);
	} else if (!strcmp(ev->system, "initcall")) {
		uint64_t func = field(ev, rec, "func");
		int i;

		if (!strcmp(ev->name, "initcall_start")) {
			c->ic = xrealloc(c->ic, (c->nr_ic + 1) * sizeof(*c->ic));
			c->ic[c->nr_ic].func = func;
			c->ic[c->nr_ic].start = rec->ts;
			c->ic[c->nr_ic].end = 0;
			c->ic[c->nr_ic++].cpu = cpu;
		} else if (!strcmp(ev->name, "initcall_finish")) {
			for (i = c->nr_ic - 1; i >= 0; i--)
				if (c->ic[i].func == func && !c->ic[i].end) {
					c->ic[i].end = rec->ts;
					break;
				}
		}
	} else if (!strcmp(ev->system, "ftrace")) {
		if (!strcmp(ev->name, "funcgraph_exit")) {
			struct graph_call *g;

			c->graph = xrealloc(c->graph, (c->nr_graph + 1) * sizeof(*c->graph));
			g = &c->graph[c->nr_graph++];
			g->func = field(ev, rec, "func");
			g->depth = (int)field(ev, rec, "depth");
			g->ns = field(ev, rec, "rettime") - field(ev, rec, "calltime");
		}
		/* graph records only feed the IRQs-off check (kind BOOT_OTHER) */
		if (!strncmp(ev->name, "funcgraph_", 10))
			add_rec(c, ev->name, rec->ts, cpu, tep_data_pid(ev->tep, rec), flags);
	}
	return 0;
}

/* ---- writing ---- */

struct writer {
	struct result_run *r;
	struct json_object *derivation;
	int nr_metrics;
};

static void put(struct writer *w, const char *name, const char *area, uint64_t ns, const char *desc,
		const char *bound)
{
	struct metric_desc d = {
		.name = name,
		.area = area,
		.unit = "ns",
		.kind = METRIC_LATENCY,
		.source = "boot",
		.desc = desc,
		.error_bound = bound,
	};
	struct hist h;

	hist_init(&h, HIST_LOG2, 64, 0);
	hist_add(&h, ns);
	if (!result_add_metric(w->r, &d, &h, &ns, 1))
		w->nr_metrics++;
	hist_free(&h);
	json_object_object_add(w->derivation, name, json_object_new_string(desc));
}

static const char *sym_name(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	const struct ksym *s = ks ? ksyms_by_addr(ks, addr) : NULL;

	if (s)
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}

static const char *const kprobe_bound =
	"kprobe entry / kretprobe return timestamps of the boot trace (trace clock local); "
	"includes one kprobe + kretprobe handler";

static void emit_window(struct writer *w, const struct boot_result *res, const char *wsym,
			struct json_object *sec)
{
	char name[128];
	char desc[512];

	if (!res->window) {
		json_object_object_add(sec, "window",
				       json_object_new_string("not recorded (no deprivilege_window "
							      "entry/return pair in the trace)"));
		return;
	}
	metric_name(name, sizeof(name), MF_DEPRIVILEGE, wsym);
	if (!strcmp(wsym, "finalize_pkvm"))
		snprintf(desc, sizeof(desc),
			 "the whole deprivilege step: finalize_pkvm entry -> "
			 "return (kprobe/kretprobe at boot)");
	else
		snprintf(desc, sizeof(desc),
			 "%s entry -> return (kprobe/kretprobe at boot): the deprivilege step sits "
			 "inside it together with the rest of KVM's init: an upper bound",
			 wsym);
	put(w, name, "deprivilege_window", res->window->end - res->window->start, desc,
	    kprobe_bound);
	json_object_object_add(sec, "window", json_object_new_string(name));
}

static int cmp_span_cpu(const void *a, const void *b)
{
	return ((const struct boot_span *)a)->cpu - ((const struct boot_span *)b)->cpu;
}

static void emit_per_cpu(struct writer *w, const struct boot_result *res, struct json_object *sec)
{
	struct json_object *arr = json_object_new_array();
	struct boot_span *fin = NULL;
	int n = 0;
	int i;

	for (i = 0; i < res->nr_spans; i++) {
		if (res->spans[i].kind != BOOT_PROT_FINALIZE)
			continue;
		fin = xrealloc(fin, (n + 1) * sizeof(*fin));
		fin[n++] = res->spans[i];
	}
	qsort(fin, n, sizeof(*fin), cmp_span_cpu);
	for (i = 0; i < n; i++) {
		bool ipi = fin[i].entry_flags & 0x08;
		struct json_object *o = json_object_new_object();
		char span[48];
		char name[64];
		char desc[256];

		snprintf(span, sizeof(span), "prot_finalize.cpu%d", fin[i].cpu);
		metric_name(name, sizeof(name), MF_DEPRIVILEGE, span);
		snprintf(desc, sizeof(desc),
			 "CPU %d's _kvm_host_prot_finalize (the __pkvm_prot_finalize hvc) entry -> "
			 "return, %s",
			 fin[i].cpu, ipi ? "in IPI context (on_each_cpu)" : "in task context");
		put(w, name, "deprivilege_window", fin[i].end - fin[i].start, desc, kprobe_bound);
		json_object_object_add(o, "cpu", json_object_new_int(fin[i].cpu));
		json_object_object_add(o, "ns", json_object_new_int64(fin[i].end - fin[i].start));
		json_object_object_add(o, "context", json_object_new_string(ipi ? "ipi" : "task"));
		json_object_array_add(arr, o);
	}
	json_object_object_add(sec, "prot_finalize_per_cpu", arr);
	if (n)
		put(w, "deprivilege.prot_finalize_span", "deprivilege_window",
		    res->finalize_last - res->finalize_first,
		    "first CPU's _kvm_host_prot_finalize entry -> last CPU's return: the part of "
		    "the deprivilege step every CPU takes part in (a lower bound of it)",
		    kprobe_bound);
	free(fin);
}

/* the initcall whose span holds the window: an independent measure from tracepoints */
static void emit_initcall(struct writer *w, const struct collect *c, const struct boot_result *res,
			  const struct ksyms *ks, struct json_object *sec)
{
	const struct boot_initcall *best = NULL;
	char span[160];
	char fn[128];
	char name[192];
	char desc[384];
	int i;

	if (!res->window)
		return;
	for (i = 0; i < c->nr_ic; i++) {
		const struct boot_initcall *ic = &c->ic[i];

		if (ic->end && ic->start <= res->window->start && ic->end >= res->window->end &&
		    (!best || ic->end - ic->start < best->end - best->start))
			best = ic;
	}
	if (!best) {
		json_object_object_add(
			sec, "initcall",
			json_object_new_string("no initcall event holds the window"));
		return;
	}
	sym_name(ks, best->func, fn, sizeof(fn));
	fn[strcspn(fn, ".")] = '\0';
	snprintf(span, sizeof(span), "initcall.%s", fn);
	metric_name(name, sizeof(name), MF_DEPRIVILEGE, span);
	snprintf(desc, sizeof(desc),
		 "initcall %s: initcall_start -> initcall_finish tracepoints (no kprobe): an "
		 "independent measure of the span holding the window",
		 fn);
	put(w, name, "deprivilege_window", best->end - best->start, desc,
	    "tracepoint timestamps of the boot trace (trace clock local)");
	json_object_object_add(sec, "initcall", json_object_new_string(name));
}

/*
 * The reference kernels (kernel/patches) time their own deprivilege with
 * local_clock() and log "itsref: ITS deprivilege done: <n> ITS, lock hold
 * <ns> ns, hvc <ns> ns (variant v1|v2)": a second source for the span the
 * kprobes bound, and the only one that knows whether the hvc ran under the
 * locks (v1) or after them (v2).
 */
struct kernel_depriv {
	bool found;
	int nr_its;
	uint64_t hold_ns;
	uint64_t hvc_ns;
	char variant[8];
};

static void kernel_depriv_read(struct kernel_depriv *k)
{
	char *log = read_kernel_log();
	unsigned long long hold;
	unsigned long long hvc;
	const char *p;

	memset(k, 0, sizeof(*k));
	p = log ? strstr(log, "itsref: ITS deprivilege done: ") : NULL;
	if (p && sscanf(p,
			"itsref: ITS deprivilege done: %d ITS, lock hold %llu ns, hvc %llu ns "
			"(variant %7[a-z0-9])",
			&k->nr_its, &hold, &hvc, k->variant) == 4) {
		k->found = true;
		k->hold_ns = hold;
		k->hvc_ns = hvc;
	}
	free(log);
}

static void emit_kernel_depriv(struct writer *w, const struct boot_result *res,
			       struct json_object *s)
{
	struct kernel_depriv k;
	bool inside;
	char name[64];

	kernel_depriv_read(&k);
	if (!k.found)
		return;
	metric_name(name, sizeof(name), MF_LOCK_DEPRIVILEGE, "kernel_clock");
	put(w, name, "lock_hold", k.hold_ns,
	    "the reference kernel's own local_clock() span from the last its->lock taken to the "
	    "last unlock (its log line 'itsref: ITS deprivilege done')",
	    "local_clock() in the kernel, no probe in the span");
	inside = !strcmp(k.variant, "v1");
	json_object_object_add(s, "kernel_variant", json_object_new_string(k.variant));
	json_object_object_add(s, "kernel_lock_hold_ns", json_object_new_int64(k.hold_ns));
	json_object_object_add(s, "kernel_hvc_ns", json_object_new_int64(k.hvc_ns));
	json_object_object_add(s, "hvc_under_locks", json_object_new_boolean(inside));
	json_object_object_add(
		s, "kernel_hvc_share_of_lock_hold",
		json_object_new_double(inside && k.hold_ns ? (double)k.hvc_ns / k.hold_ns : 0));
	if (!inside && json_object_object_get_ex(s, "hvc_share_of_locks_held", NULL)) {
		/* the probes bound the span from outside: v2's hvc is in it, not under the locks */
		json_object_object_add(s, "hvc_share_of_locks_held", json_object_new_double(0));
		json_object_object_add(s, "hvc_share_method",
				       json_object_new_string("0: the kernel runs the hvc after "
							      "dropping the locks (variant v2)"));
	}
	/* the kernel's span must lie within the kprobes' bounds */
	if (res->locks_bounds)
		json_object_object_add(s, "kernel_lock_hold_within_probe_bounds",
				       json_object_new_boolean(k.hold_ns >= res->locks_lower &&
							       k.hold_ns <= res->locks_upper));
}

static void emit_series(struct writer *w, const struct boot_result *res, struct json_object *sec,
			struct json_object *absent)
{
	struct json_object *s = json_object_new_object();
	int nits = 0;
	int i;

	if (!res->locks_bounds) {
		char why[512];

		snprintf(why, sizeof(why),
			 "not derivable on this kernel: %s (its_lock / its->lock hold and IRQs-off "
			 "span need its_start_deprivilege and its_end_deprivilege)",
			 json_object_array_length(absent) ? "the ITS series' probes are absent" :
							    "no start/end pair in the trace");
		json_object_object_add(s, "locks_held", json_object_new_string(why));
		json_object_object_add(sec, "series", s);
		return;
	}
	put(w, "deprivilege.total", "deprivilege_window", res->locks_upper,
	    "its_start_deprivilege entry -> its_end_deprivilege return: upper bound of the span "
	    "with its_lock and every its->lock held",
	    kprobe_bound);
	put(w, "deprivilege.locks_held", "deprivilege_window", res->locks_lower,
	    "its_start_deprivilege return -> its_end_deprivilege entry: lower bound of the span "
	    "with its_lock and every its->lock held (taken inside start, dropped inside end)",
	    kprobe_bound);
	put(w, "lock_hold.its_lock.deprivilege", "lock_hold", res->locks_lower,
	    "its_lock held during deprivilege, lower bound: its_start_deprivilege return -> "
	    "its_end_deprivilege entry",
	    kprobe_bound);
	if (res->irqs_off_known == 1)
		put(w, "lock_hold.deprivilege.irqs_off", "lock_hold", res->locks_lower,
		    "IRQs off during deprivilege, lower bound: start's return -> end's entry, "
		    "every record of that CPU in between carries the irqs-off flag",
		    kprobe_bound);
	json_object_object_add(
		s, "irqs_off",
		json_object_new_string(
			res->irqs_off_known == 1 ? "all records off" :
			res->irqs_off_known == 0 ? "a record with IRQs on inside the span" :
						   "unknown"));
	for (i = 0; i < res->nr_spans; i++) {
		const struct boot_span *sp = &res->spans[i];
		char name[64];

		if (sp->kind != BOOT_STAGING_COPY || sp->start < res->start->start ||
		    sp->end > res->end->end)
			continue;
		metric_name(name, sizeof(name), MF_LOCK_NODE_DEPRIV, nits++);
		put(w, name, "lock_hold", sp->end - sp->start,
		    "one ITS's staging copy (n-th call, one per ITS) entry -> return: that ITS's "
		    "lock is held across it (lower bound of its lock span)",
		    kprobe_bound);
	}
	if (res->nr_hyp_setup) {
		put(w, "hvc.its_setup", "hvc_path", res->hyp_setup_ns,
		    "the series' hvc-issuing callback, entry -> return, inside the locked span",
		    kprobe_bound);
		json_object_object_add(s, "hvc_share_of_locks_held",
				       json_object_new_double(res->locks_upper ?
								      (double)res->hyp_setup_ns /
									      res->locks_upper :
								      0));
		json_object_object_add(s, "hvc_share_method",
				       json_object_new_string("hvc.its_setup / deprivilege.total "
							      "(share of the upper bound)"));
	}
	emit_kernel_depriv(w, res, s);
	json_object_object_add(sec, "series", s);
}

/* the function_graph breakdown: the window's direct children, summed by function */
static void emit_graph(const struct collect *c, const struct ksyms *ks, struct json_object *sec)
{
	struct json_object *o = json_object_new_object();
	int i;

	if (!c->nr_graph)
		return;
	for (i = 0; i < c->nr_graph; i++) {
		const struct graph_call *g = &c->graph[i];
		struct json_object *e;
		char fn[160];
		char key[200];
		int64_t prev = 0;

		if (g->depth > 1)
			continue;
		sym_name(ks, g->func, fn, sizeof(fn));
		snprintf(key, sizeof(key), "%d:%s", g->depth, fn);
		if (json_object_object_get_ex(o, key, &e))
			prev = json_object_get_int64(e);
		json_object_object_add(o, key, json_object_new_int64(prev + (int64_t)g->ns));
	}
	json_object_object_add(sec, "graph_ns_by_depth_function", o);
}

static bool boot_event_defined(const struct collect *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_bev; i++)
		if (!strcmp(c->bev[i].name, name))
			return true;
	return false;
}

static struct json_object *probes_json(const struct collect *c, const struct ksyms *ks,
				       struct json_object *absent)
{
	struct json_object *arr = json_object_new_array();
	int i;

	for (i = 0; boot_default_probes[i]; i++) {
		const struct logical_probe *lp = probe_find(boot_default_probes[i]);
		struct json_object *o = json_object_new_object();
		struct probe_resolution res;
		bool defined;
		char *ev;

		if (!lp)
			continue;
		probe_resolve(lp, ks, &res);
		ev = xasprintf("%s", lp->name);
		defined = boot_event_defined(c, ev);
		json_object_object_add(o, "probe", json_object_new_string(lp->name));
		json_object_object_add(o, "symbol",
				       res.symbol ? json_object_new_string(res.symbol) : NULL);
		json_object_object_add(
			o, "mechanism",
			json_object_new_string(defined ? "kprobe_event (boot)" : "none"));
		json_object_object_add(o, "attached", json_object_new_boolean(defined));
		if (!res.symbol) {
			json_object_object_add(
				o, "note",
				json_object_new_string(
					lp->flags & PROBE_SERIES ?
						"absent on this kernel (series probe: "
						"normal when unpatched)" :
						"absent on this kernel"));
			json_object_array_add(absent, json_object_new_string(lp->name));
		} else if (!defined) {
			json_object_object_add(o, "note",
					       json_object_new_string("not requested on the kernel "
								      "command line"));
		}
		json_object_array_add(arr, o);
		free(ev);
	}
	return arr;
}

static const char *window_symbol(const struct ksyms *ks)
{
	const struct logical_probe *lp = probe_find("deprivilege_window");
	static struct probe_resolution res;

	if (lp && !probe_resolve(lp, ks, &res))
		return res.symbol;
	return "window";
}

static void print_summary(const struct boot_result *res, const char *wsym, int nr_metrics,
			  struct json_object *absent)
{
	int i;

	if (res->window)
		printf("deprivilege window (%s, kprobe entry -> return): %.3f ms\n", wsym,
		       (res->window->end - res->window->start) / 1e6);
	else
		printf("deprivilege window: not recorded\n");
	for (i = 0; i < res->nr_spans; i++) {
		const struct boot_span *s = &res->spans[i];

		if (s->kind == BOOT_PROT_FINALIZE)
			printf("  cpu%-3d _kvm_host_prot_finalize %.3f ms (%s)\n", s->cpu,
			       (s->end - s->start) / 1e6,
			       s->entry_flags & 0x08 ? "IPI context" : "task context");
	}
	if (res->locks_bounds)
		printf("locks held (its_lock, every its->lock): %.3f .. %.3f ms\n",
		       res->locks_lower / 1e6, res->locks_upper / 1e6);
	else
		printf("locks held / IRQs off: not derivable on this kernel\n");
	for (i = 0; i < (int)json_object_array_length(absent); i++)
		printf("  %s: absent on this kernel\n",
		       json_object_get_string(json_object_array_get_idx(absent, i)));
	printf("%d metrics written\n", nr_metrics);
}

static int collect_here(const char *out, const char *label, int run_index)
{
	static const char *const systems[] = { BOOT_GROUP, "initcall", "ftrace", NULL };
	struct collect c = { 0 };
	struct boot_result res = { 0 };
	struct run_meta meta = { 0 };
	struct json_object *sec;
	struct json_object *absent;
	struct json_object *w;
	struct writer wr = { 0 };
	struct tep_handle *tep;
	struct khealth *kh;
	struct ksyms *ks;
	const char *wsym;
	char *text;
	int ret = EXIT_FAIL;

	if (!tfs_features()->tracefs) {
		err_msg("boot-collect: tracefs is not available");
		return EXIT_FAIL;
	}
	/*
	 * dynamic_events is the authority on what the command line defined:
	 * eventfs was seen to lose even the group's directory for a while
	 */
	ks = ksyms_load(NULL);
	load_boot_events(&c, ks);
	if (!c.nr_bev) {
		err_msg("boot-collect: no boot-time trace: boot with the output of 'itsperf "
			"boot-args' appended to the kernel command line");
		ksyms_free(ks);
		free(c.bev);
		return EXIT_FAIL;
	}
	kh = khealth_begin_boot();
	run_meta_from_host(&meta);
	snprintf(meta.label, sizeof(meta.label), "%s", label);
	snprintf(meta.suite, sizeof(meta.suite), "boot");
	meta.run_index = run_index;
	wr.r = result_run_begin(out, &meta);
	if (!wr.r)
		goto out;
	/* the trace's text first: reading the raw buffers consumes them */
	text = tracefs_instance_file_read(NULL, "trace", NULL);
	if (text) {
		result_add_file_data(wr.r, "boot_trace.txt", text, strlen(text));
		free(text);
	}
	tep = tfs_tep_for(systems);
	if (!tep) {
		err_msg("boot-collect: cannot read the event formats");
		result_run_abort(wr.r);
		goto out;
	}
	/* by name: a readdir of events/ may leave some out (tfs_tep_ensure) */
	for (int i = 0; i < nr_logical_probes; i++) {
		char *ret = xasprintf("%s_ret", logical_probes[i].name);

		tfs_tep_ensure(tep, BOOT_GROUP, logical_probes[i].name);
		tfs_tep_ensure(tep, BOOT_GROUP, ret);
		free(ret);
	}
	tfs_tep_ensure(tep, "initcall", "initcall_start");
	tfs_tep_ensure(tep, "initcall", "initcall_finish");
	tfs_tep_ensure(tep, "ftrace", "funcgraph_entry");
	tfs_tep_ensure(tep, "ftrace", "funcgraph_exit");
	tfs_read_raw_pages(tep, NULL, record_cb, &c, &c.all_records);
	tep_free(tep);
	boot_analyze(c.recs, c.nr_recs, &res);
	for (int i = 0; itsperf_verbose && i < c.nr_recs; i++)
		if (c.recs[i].kind != BOOT_OTHER)
			debug_msg("boot-collect: kind %d%s cpu %d pid %d ts %llu flags %#x",
				  c.recs[i].kind, c.recs[i].ret ? " ret" : "", c.recs[i].cpu,
				  c.recs[i].pid, (unsigned long long)c.recs[i].ts, c.recs[i].flags);

	wr.derivation = json_object_new_object();
	sec = json_object_new_object();
	absent = json_object_new_array();
	w = json_object_new_object();
	json_object_object_add(w, "boot", probes_json(&c, ks, absent));
	result_add_section(wr.r, "probes", w);
	wsym = window_symbol(ks);
	emit_window(&wr, &res, wsym, sec);
	emit_per_cpu(&wr, &res, sec);
	emit_initcall(&wr, &c, &res, ks, sec);
	emit_series(&wr, &res, sec, absent);
	emit_graph(&c, ks, sec);
	json_object_object_add(sec, "absent_probes", json_object_get(absent));
	json_object_object_add(sec, "derivation", wr.derivation);
	json_object_object_add(sec, "records", json_object_new_int64(c.records));
	json_object_object_add(sec, "records_all_events", json_object_new_int64(c.all_records));
	json_object_object_add(sec, "records_by_address", json_object_new_int64(c.by_address));
	json_object_object_add(sec, "records_lost", json_object_new_int64(c.lost));
	json_object_object_add(sec, "unmatched", json_object_new_int(res.unmatched));
	json_object_object_add(sec, "trace_clock", json_object_new_string("local (boot default)"));
	result_add_section(wr.r, "deprivilege", sec);
	khealth_end(kh, wr.r);
	print_summary(&res, wsym, wr.nr_metrics, absent);
	json_object_put(absent);
	if (result_run_end(wr.r, false))
		goto out;
	ret = res.window || res.nr_finalize ? EXIT_OK : EXIT_FAIL;
	if (ret)
		err_msg("boot-collect: the trace holds neither the window nor a per-CPU finalize");
out:
	khealth_free(kh);
	boot_result_free(&res);
	free(c.recs);
	free(c.bev);
	free(c.ic);
	free(c.graph);
	ksyms_free(ks);
	return ret;
}

/* ---- --vm N: boot the emulated host N times ---- */

static char *self_exe(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return NULL;
	exe[n] = '\0';
	return xstrdup(exe);
}

/* run argv, return its stdout (trimmed), NULL on failure */
static char *capture(char *const argv[])
{
	int pfd[2];
	char *out = NULL;
	size_t len = 0;
	pid_t pid;
	int status;

	if (pipe(pfd))
		return NULL;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char buf[4096];
		ssize_t r = read(pfd[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		out = xrealloc(out, len + r + 1);
		memcpy(out + len, buf, r);
		len += r;
		out[len] = '\0';
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!out || !WIFEXITED(status) || WEXITSTATUS(status)) {
		free(out);
		return NULL;
	}
	strim(out);
	return out;
}

static int run_wait(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* per metric over the boots: n, min, median, max */
static void print_distribution(const char *dir)
{
	struct metric_vals {
		char *name;
		double *v;
		int n;
	} *m = NULL;
	char **runs = NULL;
	int nr_m = 0;
	int n;
	int i;
	int j;

	n = result_find_runs(dir, &runs);
	for (i = 0; i < n; i++) {
		struct result_data *d = result_read(runs[i], RESULT_READ_SAMPLES, NULL, 0);

		if (!d)
			continue;
		for (j = 0; j < d->nr_metrics; j++) {
			const struct result_metric *rm = &d->metrics[j];
			int k;

			for (k = 0; k < nr_m; k++)
				if (!strcmp(m[k].name, rm->name))
					break;
			if (k == nr_m) {
				m = xrealloc(m, (nr_m + 1) * sizeof(*m));
				m[nr_m].name = xstrdup(rm->name);
				m[nr_m].v = NULL;
				m[nr_m++].n = 0;
			}
			m[k].v = xrealloc(m[k].v, (m[k].n + 1) * sizeof(double));
			m[k].v[m[k].n++] = rm->summary.max;
		}
		result_free(d);
	}
	printf("\n%d boot(s) collected under %s\n", n, dir);
	printf("%-40s %5s %12s %12s %12s\n", "metric (ms)", "n", "min", "median", "max");
	for (i = 0; i < nr_m; i++) {
		double med;

		qsort(m[i].v, m[i].n, sizeof(double), cmp_double);
		med = m[i].n % 2 ? m[i].v[m[i].n / 2] :
				   (m[i].v[m[i].n / 2 - 1] + m[i].v[m[i].n / 2]) / 2;
		printf("%-40s %5d %12.3f %12.3f %12.3f\n", m[i].name, m[i].n, m[i].v[0] / 1e6,
		       med / 1e6, m[i].v[m[i].n - 1] / 1e6);
		free(m[i].name);
		free(m[i].v);
	}
	free(m);
	result_free_list(runs, n);
}

struct vm_opts {
	int boots;
	const char *kernel;
	const char *cpus;
	const char *mode;
	const char *probes;
	bool graph;
};

static int collect_vm(const struct vm_opts *o, const char *out, const char *label)
{
	char *exe = self_exe();
	char *args_argv[10];
	char *fragment;
	int failed = 0;
	int a = 0;
	int i;

	if (!exe)
		return EXIT_FAIL;
	args_argv[a++] = exe;
	args_argv[a++] = "boot-args";
	args_argv[a++] = "--kernel";
	args_argv[a++] = (char *)o->kernel;
	if (o->graph)
		args_argv[a++] = "--graph";
	if (o->probes) {
		args_argv[a++] = "--probes";
		args_argv[a++] = (char *)o->probes;
	}
	args_argv[a] = NULL;
	fragment = capture(args_argv);
	if (!fragment) {
		err_msg("boot-collect: itsperf boot-args --kernel %s failed", o->kernel);
		free(exe);
		return EXIT_FAIL;
	}
	info_msg("boot-collect: appending: %s", fragment);
	if (mkdir_p(out, 0755)) {
		err_msg("boot-collect: cannot create %s: %s", out, strerror(errno));
		free(exe);
		free(fragment);
		return EXIT_FAIL;
	}
	install_stop_handlers();
	for (i = 1; i <= o->boots && !itsperf_stop; i++) {
		char *bootdir = xasprintf("%s/boot-%d", out, i);
		char *idx = xasprintf("%d", i);
		char *vm_argv[32];
		int v = 0;
		int st;

		vm_argv[v++] = exe;
		vm_argv[v++] = "vm";
		vm_argv[v++] = "--kernel";
		vm_argv[v++] = (char *)o->kernel;
		vm_argv[v++] = "--cpus";
		vm_argv[v++] = (char *)o->cpus;
		if (o->mode) {
			vm_argv[v++] = "--mode";
			vm_argv[v++] = (char *)o->mode;
		}
		vm_argv[v++] = "--append";
		vm_argv[v++] = fragment;
		vm_argv[v++] = "--out";
		vm_argv[v++] = bootdir;
		vm_argv[v++] = "--timeout";
		vm_argv[v++] = "300";
		vm_argv[v++] = "--";
		vm_argv[v++] = "itsperf";
		vm_argv[v++] = "boot-collect";
		vm_argv[v++] = "-o";
		vm_argv[v++] = "/out/run";
		vm_argv[v++] = "--label";
		vm_argv[v++] = (char *)label;
		vm_argv[v++] = "--run-index";
		vm_argv[v++] = idx;
		vm_argv[v] = NULL;
		info_msg("boot-collect: boot %d/%d (%s, %s vCPUs)", i, o->boots, o->kernel,
			 o->cpus);
		st = run_wait(vm_argv);
		if (st) {
			err_msg("boot-collect: boot %d failed (status %d, console log in %s)", i,
				st, bootdir);
			failed++;
		}
		free(bootdir);
		free(idx);
	}
	print_distribution(out);
	free(exe);
	free(fragment);
	return failed || itsperf_stop ? EXIT_FAIL : EXIT_OK;
}

int cmd_boot_collect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' },
		{ "run-index", required_argument, NULL, 'i' },
		{ "vm", required_argument, NULL, 'n' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "probes", required_argument, NULL, 'p' },
		{ "graph", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_opts vo = { 0, "6.12", "2", NULL, NULL, false };
	const char *label = "boot";
	const char *out = NULL;
	uint64_t v;
	int run_index = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:l:i:n:k:c:m:p:gh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'i':
			if (parse_u64(optarg, &v) || v > 1000000) {
				err_msg("boot-collect: --run-index %s: expected a number", optarg);
				return EXIT_USAGE;
			}
			run_index = (int)v;
			break;
		case 'n':
			if (parse_u64(optarg, &v) || !v || v > 1000) {
				err_msg("boot-collect: --vm %s: expected 1..1000 boots", optarg);
				return EXIT_USAGE;
			}
			vo.boots = (int)v;
			break;
		case 'k':
			vo.kernel = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, &v) || !v || v > 64) {
				err_msg("boot-collect: --cpus %s: expected 1..64", optarg);
				return EXIT_USAGE;
			}
			vo.cpus = optarg;
			break;
		case 'm':
			vo.mode = optarg;
			break;
		case 'p':
			vo.probes = optarg;
			break;
		case 'g':
			vo.graph = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err_msg("boot-collect: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!out) {
		err_msg("boot-collect: -o DIR is required");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (vo.boots)
		return collect_vm(&vo, out, label);
	return collect_here(out, label, run_index);
}
