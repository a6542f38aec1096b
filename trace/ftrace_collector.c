// SPDX-License-Identifier: GPL-2.0
/*
 * Collector "ftrace": the second, independent measurement of the ITS command
 * path next to the BPF collectors, with the kernel's own tracing only.
 *
 * Probes: a kprobe + kretprobe dynamic event (group "itsperf") per logical
 * probe that resolves on this kernel (lib/probes.c), in a private tracefs
 * instance "itsperf-<pid>" (never the top-level buffer).
 *
 * Aggregation, where each number comes from:
 *   count.cmd.<CMD>                 hist trigger on cmd_send keyed by builder.sym
 *                                   (in kernel, no buffer involved)
 *   cmd_latency.<part>.<CMD>       part: total, queue_wait, locked, build_post,
 *                                   completion_wait, unaccounted (ftrace_pair.h)
 *                                   raw kprobe/kretprobe records read back from
 *                                   trace_pipe_raw + libtraceevent (kbuffer, tep),
 *                                   paired per execution context (ftrace_pair.c)
 *   hvc.<probe>, lock_hold.<probe>, irq_path.<probe>
 *                                   same, for the other probes' call durations
 *   section "ftrace" crosscheck     in-kernel latency via a synthetic event
 *                                   (cmd_send -> return, common_timestamp, hist
 *                                   count + sum per builder) against the raw
 *                                   records' count + sum; per-CPU counts
 *   section "overhead"              records read, ring-buffer overrun/drops,
 *                                   kprobe misses, reader CPU time
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <tracefs.h>

#include "result/probes.h"
#include "result/result.h"
#include "lib/collector.h"
#include "lib/ksyms.h"
#include "lib/probes.h"
#include "lib/util.h"
#include "trace/ftrace_pair.h"
#include "trace/hyp_events.h"
#include "lib/its_cmd.h"
#include "lib/tracefs_util.h"

#define FTRACE_BUF_KB	   4096		/* per CPU */
#define FTRACE_MAX_RECORDS (4u << 20)	/* ~128 MiB of reduced records */
#define FTRACE_DRAIN_NS	   200000000ull /* reader thread period */

/* a logical probe as set up by this collector */
struct fprobe {
	const struct logical_probe *lp;
	const char *symbol;
	enum fp_role role;
	char metric[96];
	char entry_ev[80];
	char ret_ev[80];
	struct tep_format_field *builder; /* cmd_send / vcmd_send entry */
	bool attached;
	char note[256];
};

/* an in-kernel latency for one command-send probe */
struct synth_lat {
	int probe;	/* index into priv->p */
	char synth[80]; /* synthetic event name */
	bool ok;
	struct tfs_hist hist; /* builder.sym -> count, sum(lat) */
};

struct trig {
	char system[32];
	char event[80];
	char *text;
};

struct ftrace_priv {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	const struct ksyms *ks;
	struct ksyms *own_ks;
	struct fprobe *p;
	int nr;
	struct fp_probe_def *defs;
	int cmd_send;  /* index of cmd_send, -1 */
	int vcmd_send; /* index of vcmd_send (GICv4 commands), -1 */
	bool hist_ok;
	bool vhist_ok;
	char hist_note[512];
	struct trig *trig;
	int nr_trig;
	struct synth_lat lat[2];
	int nr_lat;
	/* event id -> probe index * 2 + is_return, -1 */
	int *idmap;
	int nr_idmap;
	struct tep_format_field *f_flags;
	/* raw records */
	struct fp_event *ev;
	size_t nr_ev;
	size_t cap_ev;
	uint64_t records;
	uint64_t not_kept;
	uint64_t missed;  /* lost records reported by the buffer */
	uint64_t unknown; /* records of events the handle lacks */
	pthread_t reader;
	bool reader_running;
	volatile int reader_stop;
	uint64_t reader_cpu_ns;
	/* results */
	struct tfs_hist count_hist;
	struct tfs_hist vcount_hist; /* its_send_single_vcommand, keyed the same way */
	struct tfs_hist cpu_hist;
	bool count_ok;
	bool vcount_ok;
	bool cpu_ok;
	struct tfs_buffer_stats bstats;
	uint64_t t_start;
	uint64_t t_stop;
	bool stopped;
	struct fp_result pr;
	bool paired;
	bool raw_samples;
	double cost_ns; /* probe cost subtracted from cmd_latency totals (0: none) */
	/* EL2 events, where the kernel has pKVM hypervisor tracing */
	struct hyp_session *hyp;
	const char *hyp_why;
};

static enum fp_role role_of(const struct logical_probe *lp)
{
	if (!strcmp(lp->name, "cmd_send") || !strcmp(lp->name, "vcmd_send"))
		return FP_CMD_SEND;
	if (!strcmp(lp->name, "queue_alloc"))
		return FP_QUEUE_ALLOC;
	if (!strcmp(lp->name, "cmd_wait"))
		return FP_CMD_WAIT;
	return FP_SPAN;
}

static const char *span_prefix(enum probe_area a)
{
	switch (a) {
	case AREA_HVC:
		return "hvc";
	case AREA_LOCK:
		return "deprivilege";
	case AREA_IRQ:
		return "irq_path";
	default:
		return probe_area_name(a);
	}
}

/*
 * The hvc.<path> names the BPF collector uses (bpf/hvc_path.c) for the
 * probes whose logical name differs, so both sources line up in a run.
 */
static const char *hvc_path_name(const char *probe)
{
	if (!strcmp(probe, "its_hyp_setup"))
		return "its_setup";
	if (!strcmp(probe, "its_staging_commit"))
		return "its_cmd";
	return probe;
}

/* probes this collector does not set up at run time, and why */
static const char *skip_reason(const struct logical_probe *lp)
{
	if (lp->flags & PROBE_BOOT_ONLY)
		return "__init code: boot-time tracing only (itsperf boot-args)";
	/* its_send_clear() calls its_send_single_command(its_build_clear_cmd) */
	if (!strcmp(lp->name, "cmd_clear"))
		return "counted through cmd_send (builder its_build_clear_cmd)";
	return NULL;
}

static void set_status(struct collector *c, int i, const char *mech, bool attached)
{
	struct ftrace_priv *priv = c->priv;
	struct probe_status *st = &c->status[i];

	st->probe = priv->p[i].lp->name;
	st->symbol = priv->p[i].symbol;
	st->mechanism = mech;
	st->note = priv->p[i].note[0] ? priv->p[i].note : NULL;
	st->attached = attached;
}

static int add_trigger(struct ftrace_priv *priv, const char *system, const char *event,
		       const char *text, char *err, size_t errlen)
{
	struct trig *t;

	/*
	 * $ITSPERF_FTRACE_NO_TRIGGERS: kprobe events only, counts and latencies
	 * from the raw records. Probe-cost calibration (commands/calibrate.c)
	 * estimates the command's own time without them: a hist trigger's
	 * in-span cost is not the same around the empty function as around a
	 * send, and is measured in context instead.
	 */
	if (getenv("ITSPERF_FTRACE_NO_TRIGGERS")) {
		snprintf(err, errlen, "off ($ITSPERF_FTRACE_NO_TRIGGERS)");
		return -1;
	}
	if (tfs_trigger_add(priv->inst, system, event, text, err, errlen))
		return -1;
	priv->trig = xrealloc(priv->trig, (priv->nr_trig + 1) * sizeof(*priv->trig));
	t = &priv->trig[priv->nr_trig++];
	snprintf(t->system, sizeof(t->system), "%s", system);
	snprintf(t->event, sizeof(t->event), "%s", event);
	t->text = xstrdup(text);
	return 0;
}

/*
 * In-kernel latency of one command-send probe: a synthetic event fed by a
 * pair of hist triggers (entry saves builder + timestamp per pid, return
 * computes the delta), with a hist on the synthetic event summing per
 * builder. clock=mono keeps the instance's clock (a hist with
 * common_timestamp would otherwise switch the instance to "global").
 */
static int setup_synth_latency(struct ftrace_priv *priv, int i, char *err, size_t errlen)
{
	struct fprobe *fp = &priv->p[i];
	struct synth_lat *sl = &priv->lat[priv->nr_lat];
	const char *n = fp->lp->name;
	char *def;
	char *t;
	int ret;

	snprintf(sl->synth, sizeof(sl->synth), ITSPERF_SYNTH_PREFIX "%s_lat_%d", n, (int)getpid());
	def = xasprintf("s:%s u64 builder; u64 lat", sl->synth);
	ret = tracefs_instance_file_append(NULL, "dynamic_events", def);
	free(def);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create synthetic event %s: %s", sl->synth,
			 strerror(errno));
		return -1;
	}
	t = xasprintf("hist:keys=common_pid:%s_b=builder,%s_t=common_timestamp:clock=mono", n, n);
	ret = add_trigger(priv, ITSPERF_EVENT_GROUP, fp->entry_ev, t, err, errlen);
	free(t);
	if (ret)
		return -1;
	t = xasprintf("hist:keys=common_pid:%s_lat=common_timestamp-$%s_t:clock=mono:"
		      "onmatch(%s.%s).trace(%s,$%s_b,$%s_lat)",
		      n, n, ITSPERF_EVENT_GROUP, fp->entry_ev, sl->synth, n, n);
	ret = add_trigger(priv, ITSPERF_EVENT_GROUP, fp->ret_ev, t, err, errlen);
	free(t);
	if (ret)
		return -1;
	if (add_trigger(priv, "synthetic", sl->synth, "hist:keys=builder.sym:vals=hitcount,lat",
			err, errlen))
		return -1;
	sl->probe = i;
	sl->ok = true;
	priv->nr_lat++;
	return 0;
}

static void setup_hists(struct ftrace_priv *priv)
{
	struct fprobe *cs;
	char err[256];
	int i;

	if (!tfs_features()->hist_triggers) {
		snprintf(priv->hist_note, sizeof(priv->hist_note),
			 "no hist triggers on this kernel: counts from raw records only");
		return;
	}
	if (priv->cmd_send < 0 || !priv->p[priv->cmd_send].attached)
		return;
	cs = &priv->p[priv->cmd_send];
	if (!cs->builder) {
		snprintf(priv->hist_note, sizeof(priv->hist_note),
			 "no builder argument on this architecture: no per-command hist");
		return;
	}
	if (add_trigger(priv, ITSPERF_EVENT_GROUP, cs->entry_ev, "hist:keys=builder.sym", err,
			sizeof(err))) {
		snprintf(priv->hist_note, sizeof(priv->hist_note),
			 "hist trigger refused (%s): counts from raw records only", err);
		return;
	}
	priv->hist_ok = true;
	/* GICv4 commands (VMAPP, VMOVP, VINVALL...) go through their own send function */
	if (priv->vcmd_send >= 0 && priv->p[priv->vcmd_send].attached &&
	    priv->p[priv->vcmd_send].builder)
		priv->vhist_ok =
			!add_trigger(priv, ITSPERF_EVENT_GROUP, priv->p[priv->vcmd_send].entry_ev,
				     "hist:keys=builder.sym", err, sizeof(err));
	if (add_trigger(priv, ITSPERF_EVENT_GROUP, cs->entry_ev, "hist:keys=builder.sym,common_cpu",
			err, sizeof(err)))
		debug_msg("ftrace: per-CPU command hist refused: %s", err);
	if (!tfs_features()->synthetic_events)
		return;
	for (i = 0; i < priv->nr && priv->nr_lat < (int)ARRAY_SIZE(priv->lat); i++) {
		if (priv->p[i].role != FP_CMD_SEND || !priv->p[i].attached || !priv->p[i].builder)
			continue;
		if (setup_synth_latency(priv, i, err, sizeof(err)))
			snprintf(priv->hist_note, sizeof(priv->hist_note),
				 "in-kernel latency for %s unavailable: %s", priv->p[i].lp->name,
				 err);
	}
}

static int create_probe(struct ftrace_priv *priv, struct fprobe *fp)
{
	const char *fetch = NULL;
	char err[256];

#ifdef __aarch64__
	fetch = fp->lp->fetchargs_arm64;
#endif
	snprintf(fp->entry_ev, sizeof(fp->entry_ev), "%s_%d", fp->lp->name, (int)getpid());
	snprintf(fp->ret_ev, sizeof(fp->ret_ev), "%s_ret_%d", fp->lp->name, (int)getpid());
	if (tfs_kprobe_create(ITSPERF_EVENT_GROUP, fp->entry_ev, fp->symbol, fetch, false, err,
			      sizeof(err)) ||
	    tfs_kprobe_create(ITSPERF_EVENT_GROUP, fp->ret_ev, fp->symbol, NULL, true, err,
			      sizeof(err))) {
		snprintf(fp->note, sizeof(fp->note), "%s", err);
		return -1;
	}
	(void)priv;
	return 0;
}

static void free_priv(struct ftrace_priv *priv)
{
	int i;

	for (i = 0; i < priv->nr_trig; i++)
		free(priv->trig[i].text);
	free(priv->trig);
	for (i = 0; i < priv->nr_lat; i++)
		tfs_hist_free(&priv->lat[i].hist);
	tfs_hist_free(&priv->count_hist);
	tfs_hist_free(&priv->vcount_hist);
	tfs_hist_free(&priv->cpu_hist);
	fp_result_free(&priv->pr);
	if (priv->tep)
		tep_free(priv->tep);
	if (priv->own_ks)
		ksyms_free(priv->own_ks);
	free(priv->idmap);
	free(priv->ev);
	free(priv->defs);
	free(priv->p);
	free(priv);
}

static void map_event(struct ftrace_priv *priv, const char *name, int code)
{
	struct tep_event *ev = tfs_tep_ensure(priv->tep, ITSPERF_EVENT_GROUP, name);

	if (!ev)
		return;
	if (ev->id >= priv->nr_idmap) {
		int n = ev->id + 1;
		int j;

		priv->idmap = xrealloc(priv->idmap, n * sizeof(*priv->idmap));
		for (j = priv->nr_idmap; j < n; j++)
			priv->idmap[j] = -1;
		priv->nr_idmap = n;
	}
	priv->idmap[ev->id] = code;
	if (!priv->f_flags)
		priv->f_flags = tep_find_common_field(ev, "common_flags");
}

static int load_tep(struct ftrace_priv *priv)
{
	static const char *const systems[] = { ITSPERF_EVENT_GROUP, NULL };
	int i;

	priv->tep = tfs_tep_for(systems);
	if (!priv->tep)
		return -1;
	for (i = 0; i < priv->nr; i++) {
		struct fprobe *fp = &priv->p[i];
		struct tep_event *ev;

		if (!fp->attached)
			continue;
		map_event(priv, fp->entry_ev, i * 2);
		map_event(priv, fp->ret_ev, i * 2 + 1);
		ev = tep_find_event_by_name(priv->tep, ITSPERF_EVENT_GROUP, fp->entry_ev);
		if (fp->role == FP_CMD_SEND && ev)
			fp->builder = tep_find_field(ev, "builder");
	}
	return 0;
}

static int ftrace_init(struct collector *c, const struct collector_opts *o)
{
	const struct tfs_features *f = tfs_features();
	struct ftrace_priv *priv;
	int attached = 0;
	int i;

	priv = xcalloc(1, sizeof(*priv));
	c->priv = priv;
	priv->cmd_send = -1;
	priv->vcmd_send = -1;
	priv->ks = o ? o->ks : NULL;
	priv->raw_samples = o && o->raw_samples;
	priv->cost_ns = o && o->cost.valid ? o->cost.ftrace_ns : 0;
	if (!priv->ks) {
		priv->own_ks = ksyms_load(NULL);
		priv->ks = priv->own_ks;
	}
	priv->p = xcalloc(nr_logical_probes, sizeof(*priv->p));
	priv->defs = xcalloc(nr_logical_probes, sizeof(*priv->defs));
	c->status = xcalloc(nr_logical_probes, sizeof(*c->status));
	c->nr_status = nr_logical_probes;
	priv->nr = nr_logical_probes;

	if (f->tracefs && f->kprobe_events) {
		struct tfs_leftovers lo;

		tfs_cleanup_leftovers(&lo);
		priv->inst = tfs_instance_create_own(NULL);
	}
	for (i = 0; i < priv->nr; i++) {
		struct fprobe *fp = &priv->p[i];
		struct probe_resolution res;
		const char *skip;

		fp->lp = &logical_probes[i];
		fp->role = role_of(fp->lp);
		snprintf(fp->metric, sizeof(fp->metric), "%s.%s", span_prefix(fp->lp->area),
			 fp->lp->area == AREA_HVC ? hvc_path_name(fp->lp->name) : fp->lp->name);
		priv->defs[i].metric = fp->metric;
		priv->defs[i].role = fp->role;
		if (o && o->probes)
			res = o->probes[i];
		else if (!priv->ks || probe_resolve(fp->lp, priv->ks, &res))
			res.symbol = NULL;
		fp->symbol = res.symbol;
		if (!strcmp(fp->lp->name, "cmd_send"))
			priv->cmd_send = i;
		else if (!strcmp(fp->lp->name, "vcmd_send"))
			priv->vcmd_send = i;
		skip = skip_reason(fp->lp);
		if (!fp->symbol) {
			snprintf(fp->note, sizeof(fp->note), "absent on this kernel%s",
				 fp->lp->flags & PROBE_SERIES ? " (series probe: normal when "
								"unpatched)" :
								"");
		} else if (skip) {
			snprintf(fp->note, sizeof(fp->note), "%s", skip);
		} else if (!f->tracefs) {
			snprintf(fp->note, sizeof(fp->note), "tracefs not available");
		} else if (!f->kprobe_events) {
			snprintf(fp->note, sizeof(fp->note), "no kprobe events on this kernel");
		} else if (!priv->inst) {
			snprintf(fp->note, sizeof(fp->note), "no tracefs instance");
		} else if (!create_probe(priv, fp)) {
			fp->attached = true;
			attached++;
		}
		set_status(c, i, fp->attached ? "kprobe_event" : "none", fp->attached);
	}
	if (!attached) {
		if (f->tracefs && !f->kprobe_events)
			err_msg("ftrace: nothing can be measured: this kernel has no kprobe events "
				"(CONFIG_KPROBE_EVENTS), so no ITS probe can be placed");
		else
			err_msg("ftrace: nothing can be measured: no logical probe could be "
				"placed on this kernel (see the per-probe status)");
		return -1;
	}
	if (load_tep(priv)) {
		err_msg("ftrace: cannot read the event formats of group %s", ITSPERF_EVENT_GROUP);
		return -1;
	}
	tracefs_instance_file_write(priv->inst, "trace_clock", "mono");
	tracefs_instance_set_buffer_size(priv->inst, FTRACE_BUF_KB, -1);
	tracefs_trace_off(priv->inst);
	for (i = 0; i < priv->nr; i++)
		if (priv->p[i].attached)
			set_status(c, i, "kprobe_event", true);
	return 0;
}

static int record_cb(struct tep_event *ev, struct tep_record *rec, int cpu, void *data)
{
	struct ftrace_priv *priv = data;
	unsigned long long v;
	struct fp_event *e;
	struct fprobe *fp;
	int code;

	if (!ev) {
		priv->unknown++;
		return 0;
	}
	if (ev->id < 0 || ev->id >= priv->nr_idmap || (code = priv->idmap[ev->id]) < 0)
		return 0;
	priv->records++;
	if (rec->missed_events > 0)
		priv->missed += rec->missed_events;
	if (priv->nr_ev == FTRACE_MAX_RECORDS) {
		priv->not_kept++;
		return 0;
	}
	if (priv->nr_ev == priv->cap_ev) {
		priv->cap_ev = priv->cap_ev ? priv->cap_ev * 2 : 65536;
		priv->ev = xrealloc(priv->ev, priv->cap_ev * sizeof(*priv->ev));
	}
	fp = &priv->p[code / 2];
	e = &priv->ev[priv->nr_ev];
	memset(e, 0, sizeof(*e));
	e->ts = rec->ts;
	e->seq = (uint32_t)priv->nr_ev;
	e->pid = tep_data_pid(priv->tep, rec);
	e->probe = code / 2;
	e->ret = code & 1;
	e->cpu = cpu;
	if (priv->f_flags && !tep_read_number_field(priv->f_flags, rec->data, &v))
		e->flags = v;
	if (!e->ret && fp->builder && !tep_read_number_field(fp->builder, rec->data, &v))
		e->arg = v;
	priv->nr_ev++;
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* drain the per-CPU buffers while the workload runs: no event is lost to a full buffer */
static void *reader_main(void *arg)
{
	struct ftrace_priv *priv = arg;
	uint64_t t0 = thread_cpu_ns();

	while (!priv->reader_stop) {
		struct timespec ts = { 0, FTRACE_DRAIN_NS };

		tfs_read_raw_pages(priv->tep, priv->inst, record_cb, priv, NULL);
		nanosleep(&ts, NULL);
	}
	priv->reader_cpu_ns += thread_cpu_ns() - t0;
	return NULL;
}

static int ftrace_start(struct collector *c)
{
	struct ftrace_priv *priv = c->priv;
	int i;

	setup_hists(priv);
	for (i = 0; i < priv->nr; i++) {
		struct fprobe *fp = &priv->p[i];

		if (!fp->attached)
			continue;
		if (tracefs_event_enable(priv->inst, ITSPERF_EVENT_GROUP, fp->entry_ev) ||
		    tracefs_event_enable(priv->inst, ITSPERF_EVENT_GROUP, fp->ret_ev)) {
			snprintf(fp->note, sizeof(fp->note), "cannot enable in the instance: %s",
				 strerror(errno));
			fp->attached = false;
			set_status(c, i, "none", false);
		}
	}
	priv->hyp = hyp_session_start(&priv->hyp_why);
	priv->t_start = now_ns();
	tracefs_trace_on(priv->inst);
	if (!pthread_create(&priv->reader, NULL, reader_main, priv))
		priv->reader_running = true;
	else
		warn_msg("ftrace: no reader thread: records are read at stop only");
	return 0;
}

/* freeze the in-kernel aggregates before reading them */
static void pause_hists(struct ftrace_priv *priv)
{
	int i;

	for (i = 0; i < priv->nr_trig; i++) {
		char *t;

		if (strstr(priv->trig[i].text, "onmatch("))
			continue;
		t = xasprintf("%s:pause", priv->trig[i].text);
		tracefs_event_file_append(priv->inst, priv->trig[i].system, priv->trig[i].event,
					  "trigger", t);
		free(t);
	}
}

static int ftrace_stop(struct collector *c)
{
	struct ftrace_priv *priv = c->priv;
	uint64_t t0;
	int i;

	if (priv->stopped)
		return 0;
	priv->stopped = true;
	priv->t_stop = now_ns();
	tracefs_trace_off(priv->inst);
	pause_hists(priv);
	/* no more hits: kprobe_profile's counts then match what was recorded */
	for (i = 0; i < priv->nr; i++) {
		if (!priv->p[i].attached)
			continue;
		tracefs_event_disable(priv->inst, ITSPERF_EVENT_GROUP, priv->p[i].entry_ev);
		tracefs_event_disable(priv->inst, ITSPERF_EVENT_GROUP, priv->p[i].ret_ev);
	}
	if (priv->hist_ok && priv->cmd_send >= 0) {
		const char *ev = priv->p[priv->cmd_send].entry_ev;

		priv->count_ok = !tfs_hist_read(priv->inst, ITSPERF_EVENT_GROUP, ev,
						"keys=builder.sym:", &priv->count_hist);
		priv->cpu_ok = !tfs_hist_read(priv->inst, ITSPERF_EVENT_GROUP, ev,
					      "keys=builder.sym,common_cpu", &priv->cpu_hist);
	}
	if (priv->vhist_ok)
		priv->vcount_ok = !tfs_hist_read(priv->inst, ITSPERF_EVENT_GROUP,
						 priv->p[priv->vcmd_send].entry_ev,
						 "keys=builder.sym:", &priv->vcount_hist);
	for (i = 0; i < priv->nr_lat; i++)
		priv->lat[i].ok = !tfs_hist_read(priv->inst, "synthetic", priv->lat[i].synth, NULL,
						 &priv->lat[i].hist);
	if (priv->reader_running) {
		priv->reader_stop = 1;
		pthread_join(priv->reader, NULL);
		priv->reader_running = false;
	}
	t0 = thread_cpu_ns();
	tfs_read_raw_pages(priv->tep, priv->inst, record_cb, priv, NULL);
	priv->reader_cpu_ns += thread_cpu_ns() - t0;
	tfs_buffer_stats(priv->inst, &priv->bstats);
	return 0;
}

static const char *namer(uint64_t builder, char *buf, size_t len, void *ctx)
{
	snprintf(buf, len, "%s", its_cmd_name_at(ctx, builder));
	return buf;
}

static const char *part_desc(enum fp_part p)
{
	switch (p) {
	case FP_PART_TOTAL:
		return "its_send_single_command entry to return (incl. SYNC and completion wait)";
	case FP_PART_QUEUE_WAIT:
		return "time in its_allocate_entry (command slot + SYNC slot) within one send";
	case FP_PART_LOCKED:
		return "send entry to completion-wait entry: its->lock held (queue_wait + build_post)";
	case FP_PART_BUILD_POST:
		return "locked minus queue_wait: command and SYNC built, GITS_CWRITER posted";
	case FP_PART_COMPLETION:
		return "time in its_wait_for_range_completion within one send";
	case FP_PART_UNACCOUNTED:
		return "completion-wait return to send return, plus the nested probes' own cost";
	default:
		return "function entry to return";
	}
}

static const char *area_of_metric(const char *name)
{
	const struct metric_family *f = metric_family_of(name);

	return f ? f->area : "irq_path";
}

/*
 * Metric names are shared with the BPF collector where both measure the same
 * thing; when both ran in one run, result_add_metric() keeps the first
 * writer's plain name and stores ftrace's as <name>:ftrace.
 */
static int add_metric(struct result_run *r, struct metric_desc *d, const struct hist *h,
		      const uint64_t *v, size_t n, double value)
{
	return h ? result_add_metric(r, d, h, v, n) : result_add_value(r, d, value);
}

/*
 * A command's total with the calibrated probe cost taken out (commands/
 * calibrate.c), and as measured (total_raw).
 */
/*
 * (Both with their samples: the correction is exact per send, and so are
 * the quantiles of both.)
 */
static void emit_corrected_total(struct ftrace_priv *priv, struct result_run *r,
				 struct metric_desc *d, const struct fp_series *s)
{
	uint64_t *c = xmalloc(s->n * sizeof(*c));
	struct metric_desc raw = *d;
	char name[128];
	struct hist h;

	probe_cost_subtract(c, s->v, s->n, priv->cost_ns);
	d->error_bound = "measured total minus the calibrated probe cost (section calibration)";
	hist_from_values(&h, c, s->n);
	add_metric(r, d, &h, c, s->n, 0);
	hist_free(&h);
	free(c);
	metric_name(name, sizeof(name), MF_CMD_LATENCY, "total_raw", s->key);
	raw.name = name;
	raw.desc = "ITS command send entry to return as measured: the probes' own cost included";
	hist_from_values(&h, s->v, s->n);
	add_metric(r, &raw, &h, s->v, s->n, 0);
	hist_free(&h);
}

static void emit_latencies(struct ftrace_priv *priv, struct result_run *r, bool samples)
{
	int i;

	for (i = 0; i < priv->pr.nr; i++) {
		const struct fp_series *s = &priv->pr.s[i];
		struct metric_desc d = {
			.name = s->name,
			.area = area_of_metric(s->name),
			.unit = "ns",
			.kind = METRIC_LATENCY,
			.source = "ftrace",
			.desc = part_desc(s->part),
			.error_bound =
				"kprobe entry / kretprobe return timestamps (trace clock mono, "
				"one ring buffer); includes one kprobe and one kretprobe "
				"handler per call (ns/event: make bench)",
		};
		struct hist h;

		if (!s->n)
			continue;
		if (s->part == FP_PART_TOTAL && priv->cost_ns > 0 &&
		    str_starts(s->name, "cmd_latency.total.")) {
			emit_corrected_total(priv, r, &d, s);
			continue;
		}
		hist_from_values(&h, s->v, s->n);
		add_metric(r, &d, &h, samples ? s->v : NULL, samples ? s->n : 0, 0);
		hist_free(&h);
	}
}

/* one hist's hitcounts by command type into o ("two builders can map to OTHER") */
static void count_hist_add(struct json_object *o, const struct tfs_hist *h)
{
	int i;

	for (i = 0; i < h->nr; i++) {
		const struct tfs_hist_entry *e = &h->e[i];
		const char *cmd = its_cmd_name_of_builder(e->key[0]);
		struct json_object *old;
		int64_t prev = 0;

		if (json_object_object_get_ex(o, cmd, &old))
			prev = json_object_get_int64(old);
		json_object_object_add(o, cmd, json_object_new_int64(prev + e->hitcount));
	}
}

/* command counts: the in-kernel hist, else the paired raw records */
static struct json_object *counts_json(struct ftrace_priv *priv)
{
	struct json_object *o = json_object_new_object();
	int i;

	if (priv->count_ok) {
		count_hist_add(o, &priv->count_hist);
		if (priv->vcount_ok)
			count_hist_add(o, &priv->vcount_hist);
		return o;
	}
	for (i = 0; i < priv->pr.nr; i++) {
		const struct fp_series *s = &priv->pr.s[i];

		if (s->part == FP_PART_TOTAL)
			json_object_object_add(o, s->key, json_object_new_int64(s->n));
	}
	return o;
}

static void emit_counts(struct ftrace_priv *priv, struct result_run *r, struct json_object *counts)
{
	json_object_object_foreach(counts, cmd, val)
	{
		char name[128];
		struct metric_desc d = {
			.name = name,
			.area = "count",
			.unit = "events",
			.kind = METRIC_COUNT,
			.source = "ftrace",
			.desc = priv->count_ok ? "ITS commands sent, by type: hist trigger on "
						 "its_send_single_command keyed by builder.sym" :
						 "ITS commands sent, by type: raw kprobe records "
						 "(no hist triggers)",
		};

		metric_name(name, sizeof(name), MF_CMD_COUNT, cmd);
		add_metric(r, &d, NULL, NULL, 0, (double)json_object_get_int64(val));
	}
}

/* in-kernel (hist) against userspace (raw records), per command type */
static struct json_object *crosscheck_json(struct ftrace_priv *priv)
{
	struct json_object *o = json_object_new_object();
	struct json_object *cmds = json_object_new_object();
	int i;
	int j;

	for (i = 0; i < priv->nr_lat; i++) {
		const struct synth_lat *sl = &priv->lat[i];

		if (!sl->ok)
			continue;
		for (j = 0; j < sl->hist.nr; j++) {
			const struct tfs_hist_entry *e = &sl->hist.e[j];
			struct json_object *c = json_object_new_object();
			const struct fp_series *s;
			char cmd[64];
			char name[128];

			snprintf(cmd, sizeof(cmd), "%s", its_cmd_name_of_builder(e->key[0]));
			metric_name(name, sizeof(name), MF_CMD_LATENCY, "total", cmd);
			s = fp_find(&priv->pr, name);
			json_object_object_add(c, "hist_count", json_object_new_int64(e->hitcount));
			json_object_object_add(c, "hist_lat_sum_ns",
					       json_object_new_int64(e->nr_vals ? e->val[0] : 0));
			json_object_object_add(c, "raw_count",
					       json_object_new_int64(s ? (int64_t)s->n : 0));
			json_object_object_add(c, "raw_lat_sum_ns",
					       json_object_new_double(s ? s->sum : 0));
			json_object_object_add(c, "counts_match",
					       json_object_new_boolean(s && s->n == e->hitcount));
			json_object_object_add(cmds, cmd, c);
		}
	}
	json_object_object_add(o, "synthetic_vs_raw", cmds);
	json_object_object_add(o, "method",
			       json_object_new_string("synthetic event cmd_send -> return keyed by "
						      "pid (hist count + sum of common_timestamp "
						      "deltas) vs raw records paired per context"));
	if (priv->cpu_ok) {
		struct json_object *pc = json_object_new_object();

		for (i = 0; i < priv->cpu_hist.nr; i++) {
			const struct tfs_hist_entry *e = &priv->cpu_hist.e[i];
			struct json_object *m;
			char cmd[64];
			char cpu[16];

			snprintf(cmd, sizeof(cmd), "%s", its_cmd_name_of_builder(e->key[0]));
			if (!json_object_object_get_ex(pc, cmd, &m)) {
				m = json_object_new_object();
				json_object_object_add(pc, cmd, m);
			}
			snprintf(cpu, sizeof(cpu), "%llu", (unsigned long long)e->key_num[1]);
			json_object_object_add(m, cpu, json_object_new_int64(e->hitcount));
		}
		json_object_object_add(o, "per_cpu_counts", pc);
	}
	if (priv->hist_note[0])
		json_object_object_add(o, "note", json_object_new_string(priv->hist_note));
	json_object_object_add(o, "hypervisor_events",
			       json_object_new_string(priv->hyp ? "recorded (counters.hypervisor)" :
						      priv->hyp_why ? priv->hyp_why :
								      "-"));
	return o;
}

static struct json_object *overhead_json(struct ftrace_priv *priv)
{
	struct json_object *o = json_object_new_object();
	struct json_object *kp = json_object_new_object();
	double secs = (priv->t_stop - priv->t_start) / 1e9;
	uint64_t hits = 0;
	int i;

	json_object_object_add(o, "events", json_object_new_int64(priv->records));
	json_object_object_add(o, "cpu_ns", json_object_new_int64(priv->reader_cpu_ns));
	json_object_object_add(o, "dropped",
			       json_object_new_int64(priv->missed + priv->bstats.overrun +
						     priv->bstats.dropped + priv->not_kept));
	json_object_object_add(o, "records_not_kept", json_object_new_int64(priv->not_kept));
	json_object_object_add(o, "records_unknown_event", json_object_new_int64(priv->unknown));
	json_object_object_add(o, "records_lost_reported", json_object_new_int64(priv->missed));
	json_object_object_add(o, "buffer_overrun", json_object_new_int64(priv->bstats.overrun));
	json_object_object_add(o, "buffer_dropped", json_object_new_int64(priv->bstats.dropped));
	json_object_object_add(o, "buffer_kb_per_cpu", json_object_new_int(FTRACE_BUF_KB));
	json_object_object_add(o, "duration_s", json_object_new_double(secs));
	json_object_object_add(
		o, "hist_dropped",
		json_object_new_int64(priv->count_ok ? priv->count_hist.dropped : 0));
	for (i = 0; i < priv->nr; i++) {
		struct fprobe *fp = &priv->p[i];
		uint64_t h[2] = { 0 };
		uint64_t m[2] = { 0 };
		struct json_object *e;

		if (!fp->attached)
			continue;
		tfs_kprobe_profile(fp->entry_ev, &h[0], &m[0]);
		tfs_kprobe_profile(fp->ret_ev, &h[1], &m[1]);
		e = json_object_new_object();
		json_object_object_add(e, "hits", json_object_new_int64(h[0]));
		json_object_object_add(e, "misses", json_object_new_int64(m[0]));
		json_object_object_add(e, "ret_hits", json_object_new_int64(h[1]));
		json_object_object_add(e, "ret_misses", json_object_new_int64(m[1]));
		json_object_object_add(kp, fp->lp->name, e);
		hits += h[0] + h[1];
	}
	json_object_object_add(o, "kprobes", kp);
	/* every probe hit must have become a record read back */
	json_object_object_add(o, "kprobe_hits", json_object_new_int64(hits));
	json_object_object_add(o, "records_match_hits",
			       json_object_new_boolean(hits == priv->records));
	json_object_object_add(o, "pairing_unmatched_returns",
			       json_object_new_int64(priv->pr.unmatched_returns));
	json_object_object_add(o, "pairing_lost_returns",
			       json_object_new_int64(priv->pr.lost_returns));
	json_object_object_add(o, "pairing_open_at_end",
			       json_object_new_int64(priv->pr.open_at_end));
	json_object_object_add(o, "pairing_unattributed_parts",
			       json_object_new_int64(priv->pr.unattributed_parts));
	return o;
}

static struct json_object *wrap(struct json_object *o)
{
	struct json_object *w = json_object_new_object();

	json_object_object_add(w, "ftrace", o);
	return w;
}

static int ftrace_emit(struct collector *c, struct result_run *r)
{
	struct ftrace_priv *priv = c->priv;
	struct json_object *counts;

	ftrace_stop(c);
	if (!priv->paired) {
		fp_pair(priv->defs, priv->nr, priv->ev, priv->nr_ev, namer, (void *)priv->ks,
			&priv->pr);
		priv->paired = true;
	}
	if (priv->not_kept || priv->missed || priv->bstats.overrun || priv->bstats.dropped)
		warn_msg("ftrace: %llu records not kept, %llu lost in the buffer: latencies are "
			 "partial (counts come from the in-kernel hist)",
			 (unsigned long long)priv->not_kept,
			 (unsigned long long)(priv->missed + priv->bstats.overrun +
					      priv->bstats.dropped));
	counts = counts_json(priv);
	emit_counts(priv, r, counts);
	emit_latencies(priv, r, priv->raw_samples);
	result_add_section(r, "counters", wrap(counts));
	result_add_section(r, "probes", wrap(probe_status_json(c)));
	result_add_section(r, "overhead", wrap(overhead_json(priv)));
	result_add_section(r, "crosscheck", wrap(crosscheck_json(priv)));
	if (priv->hyp)
		hyp_session_stop(priv->hyp, r);
	return 0;
}

static void ftrace_destroy(struct collector *c)
{
	struct ftrace_priv *priv = c->priv;

	if (!priv)
		return;
	if (priv->reader_running) {
		priv->reader_stop = 1;
		pthread_join(priv->reader, NULL);
	}
	hyp_session_free(priv->hyp);
	/* triggers first, then the instance, then the dynamic events */
	tfs_remove_run(getpid());
	if (priv->inst)
		tracefs_instance_free(priv->inst);
	free_priv(priv);
	c->priv = NULL;
	collector_status_reset(c);
}

static struct collector ftrace_collector = {
	.name = "ftrace",
	.desc = "kprobe events + hist triggers in a private tracefs instance: ITS command "
		"counts and latency parts, hvc paths (independent of the BPF collectors)",
	.init = ftrace_init,
	.start = ftrace_start,
	.stop = ftrace_stop,
	.emit = ftrace_emit,
	.destroy = ftrace_destroy,
};

COLLECTOR_REGISTER(ftrace_collector)
