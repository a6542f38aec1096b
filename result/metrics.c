// SPDX-License-Identifier: GPL-2.0
/* The metric table (result/metrics.h): one entry per metric family. */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "result/metrics.h"

#define BPF_PAIR "fentry/fexit (or kprobe/kretprobe) timestamps, bpf_ktime_get_ns"

/* one ITS command's latency and its parts (bpf/cmd_latency.c, trace/ftrace_pair.c) */
static const struct metric_part cmd_parts[] = {
	{ "total",
	  "one ITS command, send entry to return (incl. its SYNC/VSYNC), the probes' own cost "
	  "taken out",
	  BPF_PAIR " minus the calibrated probe cost (calibration section; exact under icount "
		   "up to its stated bound); without a calibration (record --no-calibrate, run) as "
		   "measured, one entry and one exit probe cost included",
	  true },
	{ "total_raw",
	  "one ITS command, send entry to return, as measured: the probes' own cost included",
	  BPF_PAIR "; total is this minus the calibrated probe cost (itsperf calibrate)", false },
	{ "queue_wait",
	  "waiting for command queue space: its_allocate_entry() calls inside the send (2 with a "
	  "SYNC)",
	  "sum of its_allocate_entry() entry->return pairs; each includes one probe pair cost",
	  false },
	{ "locked", "its->lock held by this command: queue_wait + build_post",
	  "send entry -> its_wait_for_range_completion() entry: over-estimates the hold by the "
	  "raw_spin_lock_irqsave() acquisition (spinning if contended) and the unlock; assumes "
	  "its->lock is dropped right before the wait",
	  false },
	{ "build_post",
	  "holding its->lock: builder, flush, SYNC, CWRITER post, unlock (excl. queue wait)",
	  "send entry -> completion-wait entry minus queue_wait: also includes "
	  "raw_spin_lock_irqsave() acquisition (spinning if contended); assumes its->lock is "
	  "released right before its_wait_for_range_completion() (one unlock + irqrestore, not "
	  "separately visible)",
	  false },
	{ "completion_wait", "its_wait_for_range_completion(): polling CREADR, lock released",
	  "its_wait_for_range_completion() entry->return", false },
	{ "el2",
	  "the series' EL2 commit: trapped GITS_CWRITER write -> eret to the host, validating and "
	  "copying the staged commands (hyp_enter -> hyp_exit around its_commit)",
	  "hypervisor trace remote (trace/hyp_remote.c): microsecond text timestamps, +-1 us; "
	  "under QEMU icount an exception to EL2 costs about one instruction",
	  false },
	{ "unaccounted", "completion wait return to send return: the split's error",
	  "total - (queue_wait + build_post + completion_wait): one function return plus one exit "
	  "probe; parts add up to total within this",
	  false },
	{ NULL, NULL, NULL, false },
};

const struct metric_family metric_families[NR_METRIC_FAMILIES] = {
	[MF_CMD_COUNT] = { "cmd_latency.count.<CMD>",
			   "cmd_latency.count.%s",
			   { "cmd_latency.count.*" },
			   "count",
			   "events",
			   METRIC_COUNT,
			   "bpf,ftrace",
			   "bpf",
			   false,
			   "ITS commands sent, by type (BPF: send probe hits; ftrace: hist trigger keyed by "
			   "builder)" },
	[MF_CMD_CLEAR_PATH] = { "cmd_latency.clear_path",
				"cmd_latency.clear_path",
				{ "cmd_latency.clear_path" },
				"cmd_latency",
				"ns",
				METRIC_LATENCY,
				"bpf",
				"bpf",
				false,
				"its_send_clear(): the vPE doorbell CLEAR path, entry to return (its CLEAR command is "
				"also counted as type CLEAR); " BPF_PAIR },
	[MF_CMD_LATENCY] = { "cmd_latency.<part>.<CMD>",
			     "cmd_latency.%s.%s",
			     { "cmd_latency.*.*" },
			     "cmd_latency",
			     "ns",
			     METRIC_LATENCY,
			     "bpf,ftrace,hyp",
			     "bpf,hyp",
			     true,
			     "one ITS command by type; <part> below",
			     cmd_parts },
	[MF_LOCK_NODE_CMD] = { "lock_hold.its_node.<its>.<caller>.<CMD>",
			       "lock_hold.its_node.%s.%s.%s",
			       { "lock_hold.*.*.*.*", "lock_hold.*.*.*.*.*" },
			       "lock_hold",
			       "ns",
			       METRIC_LATENCY,
			       "bpf",
			       "bpf",
			       false,
			       "one ITS's its->lock hold in the send path by code path (caller) and command type "
			       "(a diagnostic breakdown)" },
	[MF_LOCK_NODE] = { "lock_hold.its_node[.<its>]",
			   "lock_hold.its_node.%s",
			   { "lock_hold.its_node", "lock_hold.its_node.*" },
			   "lock_hold",
			   "ns",
			   METRIC_LATENCY,
			   "bpf",
			   "bpf",
			   true,
			   "its->lock hold in the send path, every ITS or one (<its>: its@<base>)" },
	[MF_LOCK_NODE_DEPRIV] = { "lock_hold.its_node.its<N>.deprivilege",
				  "lock_hold.its_node.its%d.deprivilege",
				  { "lock_hold.its_node.*.deprivilege" },
				  "lock_hold",
				  "ns",
				  METRIC_LATENCY,
				  "boot",
				  "boot",
				  true,
				  "one ITS's its->lock held across the deprivilege steps (boot-time trace)" },
	[MF_LOCK_CONTENTION] = { "lock_hold.contention.<its>",
				 "lock_hold.contention.%s",
				 { "lock_hold.contention.*" },
				 "lock_hold",
				 "ns",
				 METRIC_LATENCY,
				 "bpf",
				 "bpf",
				 true,
				 "waiting to acquire its->lock (lock:contention_begin -> end); uncontended "
				 "acquisitions do not appear" },
	[MF_LOCK_DEPRIVILEGE] = { "lock_hold.deprivilege.<step>",
				  "lock_hold.deprivilege.%s",
				  { "lock_hold.deprivilege.*" },
				  "lock_hold",
				  "ns",
				  METRIC_LATENCY,
				  "bpf,boot",
				  "bpf,boot",
				  true,
				  "locks held across the deprivilege steps: total, locks_held, start_fn, end_fn, "
				  "staging_copy, irqs_off; kernel_clock: the reference kernels' own "
				  "local_clock() measure" },
	[MF_LOCK_ITS_LOCK] = { "lock_hold.its_lock.<site>[.<bound>]",
			       "lock_hold.its_lock.%s",
			       { "lock_hold.its_lock.*", "lock_hold.its_lock.*.*" },
			       "lock_hold",
			       "ns",
			       METRIC_LATENCY,
			       "bpf,boot",
			       "bpf,boot",
			       true,
			       "the global its_lock by code path: cpu_init.upper/.lower, cpu_init_collection, "
			       "save_disable, restore_enable, deprivilege" },
	[MF_HVC_PATH_COUNT] = { "hvc_path.count.<probe>",
				"hvc_path.count.%s",
				{ "hvc_path.count.*" },
				"count",
				"events",
				METRIC_COUNT,
				"bpf",
				"bpf",
				true,
				"calls of a host function around an inline hvc" },
	[MF_HVC_PATH] = { "hvc_path.<probe>",
			  "hvc_path.%s",
			  { "hvc_path.*" },
			  "hvc_path",
			  "ns",
			  METRIC_LATENCY,
			  "bpf",
			  "bpf",
			  true,
			  "host function around the inline hvc, entry to return (" BPF_PAIR ")" },
	[MF_HVC_EL2] = { "hvc.el2.<event>",
			 "hvc.el2.%s",
			 { "hvc.el2.*", "hvc.el2.*.*" },
			 "hvc_path",
			 "ns",
			 METRIC_LATENCY,
			 "hyp",
			 "hyp",
			 true,
			 "time at EL2 per hyp_enter -> hyp_exit from the hypervisor trace remote, keyed by "
			 "the enter reason (hvc, host_abort, guest_exit, ...) or the series' event inside "
			 "(its_mmio.<reg>, its_commit.<CMD>)" },
	[MF_HVC_WORKLOAD] = { "hvc.<workload>.<op>",
			      "hvc.%s.%s",
			      { "hvc.*.*" },
			      "hvc_path",
			      "ns",
			      METRIC_LATENCY,
			      "bench",
			      "bench",
			      true,
			      "host-to-EL2 round trips timed by the hvc and vcpu workloads" },
	[MF_HVC] = { "hvc.<path>",
		     "hvc.%s",
		     { "hvc.*" },
		     "hvc_path",
		     "ns",
		     METRIC_LATENCY,
		     "boot,ftrace",
		     "boot,ftrace",
		     true,
		     "a host-to-EL2 path: its_setup (boot-time trace), <probe> (ftrace span)" },
	[MF_DEPRIVILEGE] = { "deprivilege.<span>",
			     "deprivilege.%s",
			     { "deprivilege.*", "deprivilege.*.*" },
			     "deprivilege_window",
			     "ns",
			     METRIC_LATENCY,
			     "boot,ftrace",
			     "boot,ftrace",
			     true,
			     "total (its_start_deprivilege to its_end_deprivilege), finalize_pkvm, "
			     "prot_finalize.cpu<N>, prot_finalize_span, initcall.<fn>, copy_queue, copy_tables, "
			     "locks_held" },
	[MF_IRQ_PATH] = { "irq_path.<probe>",
			  "irq_path.%s",
			  { "irq_path.*" },
			  "irq_path",
			  "ns",
			  METRIC_LATENCY,
			  "ftrace",
			  "ftrace",
			  true,
			  "irq domain and affinity paths feeding commands (ftrace span)" },
	[MF_BENCH] = { "bench.<workload>.<op>",
		       "bench.%s.%s",
		       { "bench.*.*" },
		       "the workload",
		       "ns",
		       METRIC_LATENCY,
		       "bench",
		       "bench",
		       true,
		       "a workload's own per-operation timing (affinity_write, unbind, bind, io_latency, "
		       "mask, unmask, ...)" },
	[MF_THROUGHPUT_CMDS] = { "throughput.commands.<workload>",
				 "throughput.commands.%s",
				 { "throughput.commands.*" },
				 "throughput",
				 "cmd/s",
				 METRIC_THROUGHPUT,
				 "bench",
				 "bench",
				 true,
				 "ITS commands per second during a workload, by the workload's own count" },
	[MF_THROUGHPUT] = { "throughput.<what>",
			    "throughput.%s",
			    { "throughput.*" },
			    "throughput",
			    "op/s",
			    METRIC_THROUGHPUT,
			    "bench",
			    "bench",
			    true,
			    "commands or a workload's operations per second, by the workload's own count" },
	[MF_COUNT] = { "count.<what>",
		       "count.%s",
		       { "count.*", "count.*.*" },
		       "count",
		       "events",
		       METRIC_COUNT,
		       "bench",
		       "bench",
		       true,
		       "an event count of no other family" },
	[MF_TP_SELFTEST] = { "tp_selftest.<event>[.<what>]",
			     "tp_selftest.%s",
			     { "tp_selftest.*", "tp_selftest.*.*" },
			     "tp_selftest",
			     "ns",
			     METRIC_LATENCY,
			     "bpf",
			     "bpf",
			     true,
			     "the BPF self-test collector (tests only)" },
};

const char *metric_kind_name(enum metric_kind k)
{
	switch (k) {
	case METRIC_LATENCY:
		return "latency";
	case METRIC_THROUGHPUT:
		return "throughput";
	case METRIC_COUNT:
		return "count";
	}
	return "?";
}

const char *metric_kind_direction(enum metric_kind k)
{
	switch (k) {
	case METRIC_LATENCY:
		return "lower";
	case METRIC_THROUGHPUT:
		return "higher";
	case METRIC_COUNT:
		return "none";
	}
	return "none";
}

int metric_name(char *buf, size_t len, enum metric_id id, ...)
{
	va_list ap;
	int n;

	va_start(ap, id);
	n = vsnprintf(buf, len, metric_families[id].fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* name's levels as path components: fnmatch's '*' then stays inside one level */
static bool level_match(const char *glob, const char *name)
{
	char g[256];
	char n[256];
	size_t i;

	snprintf(g, sizeof(g), "%s", glob);
	snprintf(n, sizeof(n), "%s", name);
	for (i = 0; g[i]; i++)
		g[i] = g[i] == '.' ? '/' : g[i];
	for (i = 0; n[i]; i++)
		n[i] = n[i] == '.' ? '/' : n[i];
	return !fnmatch(g, n, FNM_PATHNAME);
}

const struct metric_family *metric_family_of(const char *name)
{
	char plain[256];
	char *colon;
	int i;
	int j;

	snprintf(plain, sizeof(plain), "%s", name);
	colon = strchr(plain, ':');
	if (colon)
		*colon = '\0';
	for (i = 0; i < NR_METRIC_FAMILIES; i++)
		for (j = 0; j < 3 && metric_families[i].match[j]; j++)
			if (level_match(metric_families[i].match[j], plain))
				return &metric_families[i];
	return NULL;
}

static const struct metric_part *find_part(const struct metric_part *p, const char *name,
					   size_t len)
{
	for (; p && p->name; p++)
		if (strlen(p->name) == len && !strncmp(p->name, name, len))
			return p;
	return NULL;
}

const struct metric_part *metric_part_of(const struct metric_family *f, const char *name)
{
	const char *a = strchr(name, '.');
	const char *b;

	if (!f || !f->parts || !a)
		return NULL;
	b = strchr(a + 1, '.');
	return find_part(f->parts, a + 1, b ? (size_t)(b - a - 1) : strlen(a + 1));
}

const struct metric_part *metric_part(enum metric_id id, const char *part)
{
	return find_part(metric_families[id].parts, part, strlen(part));
}

bool metric_is(const char *name, enum metric_id id, const char *part)
{
	const struct metric_family *f = metric_family_of(name);
	const struct metric_part *p;

	if (f != &metric_families[id])
		return false;
	if (!part)
		return true;
	p = metric_part_of(f, name);
	return p && !strcmp(p->name, part);
}

bool metric_is_throughput(const char *name)
{
	const struct metric_family *f = metric_family_of(name);

	return f && !strcmp(f->area, "throughput");
}

bool metric_gated_by_default(const char *name)
{
	const char *rest;

	/* a second collector's copy never gates */
	if (strchr(name, ':'))
		return false;
	if (str_starts(name, "cmd_latency.total.")) {
		rest = name + strlen("cmd_latency.total.");
		return *rest && !strchr(rest, '.');
	}
	if (str_starts(name, "throughput.")) {
		rest = name + strlen("throughput.");
		return *rest && !strchr(rest, '.');
	}
	if (str_starts(name, "lock_hold.its_node.")) {
		/* per ITS (its@<base>), not the breakdowns by caller and command */
		rest = name + strlen("lock_hold.its_node.");
		return *rest && !strchr(rest, '.');
	}
	return !strcmp(name, "lock_hold.its_node") ||
	       !strcmp(name, "lock_hold.deprivilege.locks_held") ||
	       !strcmp(name, "lock_hold.deprivilege.kernel_clock") ||
	       !strcmp(name, "hvc.hvc.hvc_roundtrip") ||
	       !strcmp(name, "hvc.vcpu.kvm_run_roundtrip");
}

static bool listed(const char *list, const char *s)
{
	size_t n = strlen(s);
	const char *p = list;

	while (p && *p) {
		if (!strncmp(p, s, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

const char *metric_stored_name(const struct metric_desc *d, char *buf, size_t len)
{
	const struct metric_family *f;

	if (!d->name || !d->source || !*d->source || strchr(d->name, ':'))
		return d->name;
	f = metric_family_of(d->name);
	if (!f || !listed(f->collectors, d->source) || listed(f->plain, d->source))
		return d->name;
	snprintf(buf, len, "%s:%s", d->name, d->source);
	return buf;
}

#define MAX_LEVELS 16

/* s split at '.' (in place): the number of levels, -1 if too many or one is empty */
static int split_levels(char *s, char **lv)
{
	int n = 0;

	for (;;) {
		char *dot = strchr(s, '.');

		if (n == MAX_LEVELS || (dot ? dot == s : !*s))
			return -1;
		lv[n++] = s;
		if (!dot)
			return n;
		*dot = '\0';
		s = dot + 1;
	}
}

static bool all_of(const char *s, const char *set)
{
	return *s && s[strspn(s, set)] == '\0';
}

#define UPPER	  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS	  "0123456789"
#define XDIGITS	  DIGITS "abcdefABCDEF"
#define NAMECHARS UPPER DIGITS "abcdefghijklmnopqrstuvwxyz_+@-"

/* value v fills placeholder ph (without its <>); *multi: ph may take several levels */
static bool ph_ok(const char *ph, const char *v, const struct metric_family *f, bool *multi)
{
	*multi = false;
	if (!strcmp(ph, "CMD"))
		return strchr(UPPER, *v) && all_of(v, UPPER DIGITS);
	if (!strcmp(ph, "part"))
		return find_part(f->parts, v, strlen(v));
	if (!strcmp(ph, "its"))
		return !strcmp(v, "its_lock") || (str_starts(v, "its@") && all_of(v + 4, XDIGITS));
	if (!strcmp(ph, "N"))
		return all_of(v, DIGITS);
	*multi = true;
	return all_of(v, NAMECHARS);
}

/* one level: a literal, or [prefix]<ph>[suffix] */
static bool level_ok(const char *pat, const char *v, const struct metric_family *f, bool *multi)
{
	const char *a = strchr(pat, '<');
	const char *b = a ? strchr(a, '>') : NULL;
	size_t pre;
	size_t suf;
	size_t vl = strlen(v);
	char ph[32];
	char val[256];

	*multi = false;
	if (!a || !b)
		return !strcmp(pat, v);
	pre = a - pat;
	suf = strlen(b + 1);
	if (vl <= pre + suf || strncmp(v, pat, pre) || strcmp(v + vl - suf, b + 1) ||
	    (size_t)(b - a - 1) >= sizeof(ph) || vl - pre - suf >= sizeof(val))
		return false;
	snprintf(ph, sizeof(ph), "%.*s", (int)(b - a - 1), a + 1);
	snprintf(val, sizeof(val), "%.*s", (int)(vl - pre - suf), v + pre);
	if (!ph_ok(ph, val, f, multi))
		return false;
	/* only a level that is all placeholder spans levels */
	*multi = *multi && !pre && !suf;
	return true;
}

/* name levels nv[ni..] against pattern levels pv[pi..] (the optional ones from opt on) */
static bool levels_match(char **pv, int np, int opt, int pi, char **nv, int nn, int ni,
			 const struct metric_family *f)
{
	bool multi;
	int k;

	if (pi == np)
		return ni == nn;
	if (ni == nn)
		return pi >= opt;
	if (!level_ok(pv[pi], nv[ni], f, &multi))
		return false;
	if (levels_match(pv, np, opt, pi + 1, nv, nn, ni + 1, f))
		return true;
	for (k = ni + 1; multi && k < nn; k++) {
		if (!level_ok(pv[pi], nv[k], f, &multi))
			return false;
		if (levels_match(pv, np, opt, pi + 1, nv, nn, k + 1, f))
			return true;
	}
	return false;
}

bool metric_name_check(const char *name, const char *source, const char *unit, char *why,
		       size_t len)
{
	const struct metric_family *f;
	char plain[256];
	char pat[256];
	char *pv[MAX_LEVELS];
	char *nv[MAX_LEVELS];
	const char *suffix;
	char *o;
	int opt;
	int np;
	int nn;

	if (!*name || strlen(name) > 200 || name[strspn(name, NAMECHARS ".:")]) {
		snprintf(why, len, "%s: not a metric name ([A-Za-z0-9_.:+@-], 1-200)", name);
		return false;
	}
	f = metric_family_of(name);
	if (!f) {
		snprintf(why, len, "%s: no family of the metric table", name);
		return false;
	}
	suffix = strchr(name, ':');
	snprintf(plain, sizeof(plain), "%.*s", suffix ? (int)(suffix - name) : (int)strlen(name),
		 name);
	/* "lock_hold.its_node[.<its>]": the levels after '[' are optional */
	snprintf(pat, sizeof(pat), "%s", f->pattern);
	o = strchr(pat, '[');
	if (o) {
		memmove(o, o + 1, strlen(o));
		o[strcspn(o, "]")] = '\0';
	}
	np = split_levels(pat, pv);
	nn = split_levels(plain, nv);
	/* the first optional level starts after the '[' */
	for (opt = 0; opt < np && (!o || pv[opt] < o); opt++)
		;
	if (np < 0 || nn < 0 || !levels_match(pv, np, opt, 0, nv, nn, 0, f)) {
		snprintf(why, len, "%s: of family %s by its levels, but does not fit its pattern",
			 name, f->pattern);
		return false;
	}
	if (suffix && (!listed(f->collectors, suffix + 1) || listed(f->plain, suffix + 1))) {
		snprintf(why, len,
			 "%s: ':%s' is not a collector of %s that needs a suffix (%s, %s "
			 "plain)",
			 name, suffix + 1, f->pattern, f->collectors, f->plain);
		return false;
	}
	if (source && !listed(f->collectors, source)) {
		snprintf(why, len, "%s: written by '%s', not a collector of %s (%s)", name, source,
			 f->pattern, f->collectors);
		return false;
	}
	if (source && (suffix ? strcmp(suffix + 1, source) : !listed(f->plain, source))) {
		snprintf(why, len, "%s: written by '%s': named %s:%s by the table", name, source,
			 plain, source);
		return false;
	}
	if (unit && strcmp(unit, f->unit)) {
		snprintf(why, len, "%s: unit %s, %s's is %s", name, unit, f->pattern, f->unit);
		return false;
	}
	return true;
}

void metric_table_markdown(FILE *f)
{
	const struct metric_part *p;
	int i;

	fprintf(f, "| name | area | unit | kind | gated | collectors | what |\n"
		   "|---|---|---|---|---|---|---|\n");
	for (i = 0; i < NR_METRIC_FAMILIES; i++) {
		const struct metric_family *m = &metric_families[i];

		fprintf(f, "| `%s` | `%s` | %s | %s | %s | %s | %s |\n", m->pattern, m->area,
			m->unit, metric_kind_name(m->kind),
			!m->gated ? "no" :
			m->parts  ? "by part" :
				    "yes",
			m->collectors, m->desc);
		for (p = m->parts; p && p->name; p++)
			fprintf(f, "| ... `<part>` = `%s` | | | | %s | | %s (error bound: %s) |\n",
				p->name, p->gated ? "yes" : "no", p->desc, p->error_bound);
	}
}
