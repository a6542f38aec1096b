// SPDX-License-Identifier: GPL-2.0
/*
 * Collector "tracedat": the ITS command send path as raw ftrace records,
 * kept as a trace.dat that `trace-cmd report` and KernelShark open.
 *
 * A private instance (itsperf-<pid>-dat) with kprobe events on the send
 * functions, the builder argument fetched, so every command is one record
 * with its type: what a developer wants to look at by hand next to the
 * aggregated numbers. Records are read once at stop (trace/tracedat.c
 * keeps the pages and every format needed, the kprobes can go before the
 * file is written) and counted by command type: a third, independent count
 * for the cross-check ("counters" section, source "trace.dat").
 *
 * The buffer is not drained while recording: a run longer than the buffer
 * holds loses the oldest records, and the capture says how many (overrun).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <tracefs.h>

#include "result/result.h"
#include "lib/collector.h"
#include "lib/its_cmd.h"
#include "lib/ksyms.h"
#include "lib/probes.h"
#include "lib/util.h"
#include "trace/tracedat.h"
#include "lib/tracefs_util.h"

#define TD_BUFFER_KB "8192" /* per CPU: ~100 k command records */

/*
 * The builder (2nd argument) names the command type. Fetched as a symbol so
 * that trace-cmd report prints "builder=its_build_movi_cmd+0x0"; the record
 * still holds the address, which td_count() resolves through kallsyms.
 * Register names are arm64's: elsewhere the send path is not probed.
 */
#ifdef __aarch64__
#define TD_FETCHARGS "builder=%x1:symbol"
#else
#define TD_FETCHARGS NULL
#endif

/* the probes whose records go into the file */
static const char *const td_probes[] = { "cmd_send", "vcmd_send" };
#define NR_TD_PROBES ARRAY_SIZE(td_probes)

struct td_priv {
	const struct ksyms *ks;
	struct tracefs_instance *inst;
	char event[NR_TD_PROBES][64]; /* created kprobe events, "" if none */
	struct probe_status st[NR_TD_PROBES];
	struct raw_capture *cap;
	struct json_object *counts; /* command type -> records */
	uint64_t records;
};

static void td_remove_events(struct td_priv *p)
{
	struct tracefs_dynevent *ev;
	size_t i;

	for (i = 0; i < NR_TD_PROBES; i++) {
		if (!p->event[i][0])
			continue;
		ev = tracefs_dynevent_get(TRACEFS_DYNEVENT_KPROBE, ITSPERF_EVENT_GROUP,
					  p->event[i]);
		if (ev) {
			tracefs_dynevent_destroy(ev, true);
			tracefs_dynevent_free(ev);
		}
		p->event[i][0] = '\0';
	}
}

/* on SIGINT/SIGTERM or exit before destroy: nothing of ours stays in tracefs */
static void td_cleanup(void *arg)
{
	struct td_priv *p = arg;

	if (p->inst) {
		tracefs_trace_off(p->inst);
		tfs_instance_remove(p->inst);
		p->inst = NULL;
	}
	td_remove_events(p);
}

static int td_add_probe(struct td_priv *p, size_t i, const struct probe_resolution *res)
{
	const struct logical_probe *lp = res->probe;
	struct probe_status *st = &p->st[i];
	char err[256];

	st->probe = lp->name;
	st->symbol = res->symbol;
	st->mechanism = "none";
	if (!res->symbol) {
		st->note = "absent on this kernel";
		return -1;
	}
	snprintf(p->event[i], sizeof(p->event[i]), "dat_%s_%d", lp->name, (int)getpid());
	if (tfs_kprobe_create(ITSPERF_EVENT_GROUP, p->event[i], res->symbol, TD_FETCHARGS, false,
			      err, sizeof(err))) {
		p->event[i][0] = '\0';
		st->note = xstrdup(err);
		return -1;
	}
	if (tracefs_event_enable(p->inst, ITSPERF_EVENT_GROUP, p->event[i])) {
		st->note = "created, but could not be enabled in the instance";
		return -1;
	}
	st->mechanism = "kprobe_event";
	st->attached = true;
	return 0;
}

static int td_init(struct collector *c, const struct collector_opts *o)
{
	struct td_priv *p = xcalloc(1, sizeof(*p));
	char *name;
	int attached = 0;
	size_t i;

	c->priv = p;
	p->ks = o->ks;
	c->status = p->st;
	c->nr_status = NR_TD_PROBES;
	if (!tfs_features()->kprobe_events) {
		for (i = 0; i < NR_TD_PROBES; i++) {
			p->st[i].probe = td_probes[i];
			p->st[i].mechanism = "none";
			p->st[i].note = "no kprobe events on this kernel";
		}
		return -1;
	}
	name = tfs_instance_name(getpid(), "dat");
	p->inst = tracefs_instance_create(name);
	free(name);
	if (!p->inst) {
		err_msg("tracedat: cannot create a tracefs instance: %m");
		return -1;
	}
	cleanup_push(td_cleanup, p, "tracedat: instance and kprobe events");
	tracefs_trace_off(p->inst);
	tracefs_instance_file_write(p->inst, "buffer_size_kb", TD_BUFFER_KB);
	for (i = 0; i < NR_TD_PROBES; i++) {
		const struct logical_probe *lp = probe_find(td_probes[i]);
		struct probe_resolution res;

		if (!lp)
			continue;
		probe_resolve(lp, o->ks, &res);
		attached += td_add_probe(p, i, &res) == 0;
	}
	if (!attached) {
		/* keep p: status[] says why; nothing of ours stays in tracefs */
		cleanup_forget(td_cleanup, p);
		td_cleanup(p);
		return -1;
	}
	return 0;
}

static int td_start(struct collector *c)
{
	struct td_priv *p = c->priv;

	tracefs_instance_file_write(p->inst, "trace", "");
	return tracefs_trace_on(p->inst);
}

static int td_count(struct tep_event *ev, struct tep_record *rec, int cpu __unused, void *arg)
{
	struct td_priv *p = arg;
	unsigned long long builder;
	struct json_object *v;
	const char *cmd;
	int64_t n = 0;

	if (strcmp(ev->system, ITSPERF_EVENT_GROUP) || strncmp(ev->name, "dat_", 4))
		return 0;
	p->records++;
	if (!tep_find_field(ev, "builder") ||
	    tep_get_field_val(NULL, ev, "builder", rec, &builder, 0))
		return 0;
	cmd = its_cmd_name_at(p->ks, builder);
	if (json_object_object_get_ex(p->counts, cmd, &v))
		n = json_object_get_int64(v);
	json_object_object_add(p->counts, cmd, json_object_new_int64(n + 1));
	return 0;
}

static int td_stop(struct collector *c)
{
	struct td_priv *p = c->priv;

	tracefs_trace_off(p->inst);
	p->cap = raw_capture_read(p->inst, NULL);
	/* the capture holds every format it needs: the kprobes can go now */
	td_remove_events(p);
	if (!p->cap)
		return -1;
	p->counts = json_object_new_object();
	raw_capture_for_each(p->cap, td_count, p);
	return 0;
}

static int td_emit(struct collector *c, struct result_run *r)
{
	struct td_priv *p = c->priv;
	struct json_object *counters;
	struct json_object *section;
	char *tmp;
	int ret;

	if (!p->cap)
		return -1;
	tmp = xasprintf("%s/.trace.dat.%d", result_run_dir(r), (int)getpid());
	ret = raw_capture_write_tracedat(p->cap, tmp) || result_add_file(r, "trace.dat", tmp);
	unlink(tmp);
	free(tmp);
	if (ret) {
		warn_msg("tracedat: could not write trace.dat");
		return -1;
	}
	section = json_object_new_object();
	json_object_object_add(section, "tracedat", raw_capture_to_json(p->cap, "files/trace.dat"));
	result_add_section(r, "capture", section);
	counters = json_object_new_object();
	json_object_object_add(counters, "trace.dat", json_object_get(p->counts));
	result_add_section(r, "counters", counters);
	return 0;
}

static void td_destroy(struct collector *c)
{
	struct td_priv *p = c->priv;

	if (!p)
		return;
	cleanup_forget(td_cleanup, p);
	td_cleanup(p);
	raw_capture_free(p->cap);
	json_object_put(p->counts);
	c->status = NULL;
	c->nr_status = 0;
	free(p);
	c->priv = NULL;
}

static struct collector tracedat_collector = {
	.name = "tracedat",
	.desc = "ITS command records as trace.dat (trace-cmd report, KernelShark), counted by type",
	.init = td_init,
	.start = td_start,
	.stop = td_stop,
	.emit = td_emit,
	.destroy = td_destroy,
};

COLLECTOR_REGISTER(tracedat_collector)
