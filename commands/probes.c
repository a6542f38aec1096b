// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf probes: every logical probe of lib/probes.c, the symbol it
 * resolves to on the running kernel, and which mechanisms can reach it:
 *
 *   fentry, kprobe   BPF (bpf/attach.h answers, by trying)
 *   kprobe_event     ftrace dynamic event (tried: created and removed)
 *   function_graph   symbol in available_filter_functions, tracer present
 *   hist             hist triggers (in-kernel aggregation) on kprobe events
 *
 * plus, once, whether the kernel exposes pKVM hypervisor tracing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bpf/attach.h"
#include "commands/commands.h"
#include "lib/ksyms.h"
#include "lib/probes.h"
#include "lib/util.h"
#include "trace/hyp_events.h"
#include "lib/tracefs_util.h"

struct row {
	const struct logical_probe *lp;
	struct probe_resolution res;
	int bpf; /* BPF_MECH_BIT_* or -1: unknown */
	char bpf_note[256];
	int kprobe_event; /* 1 yes, 0 no, -1 not tried */
	char kev_note[256];
	int fgraph;
	int hist;
	char note[256];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf probes [--json] [--kallsyms FILE]\n\n"
		"Every logical probe, the symbol it resolved to on this kernel (or \"absent on\n"
		"this kernel\"), and the mechanisms that can reach it: fentry and kprobe (BPF),\n"
		"kprobe_event, function_graph and hist (ftrace). Series probes absent on an\n"
		"unpatched kernel are normal.\n\n"
		"  --json           machine-readable output\n"
		"  --kallsyms FILE  resolve against FILE (kallsyms or System.map format)\n"
		"                   instead of the running kernel; mechanisms are not tried\n");
}

static const char *yes_no(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "-";
}

static void check_mechanisms(struct row *r, const struct tfs_features *f, bool live)
{
	const char *sym = r->res.symbol;
	char ev[64];

	r->bpf = -1;
	r->kprobe_event = -1;
	r->fgraph = -1;
	r->hist = -1;
	if (!sym) {
		snprintf(r->note, sizeof(r->note), "absent on this kernel%s",
			 r->lp->flags & PROBE_SERIES ? " (series probe: normal when unpatched)" :
						       "");
		return;
	}
	if (r->lp->flags & PROBE_BOOT_ONLY) {
		snprintf(r->note, sizeof(r->note),
			 "__init: traceable at boot only (itsperf boot-args)");
		return;
	}
	if (!live)
		return;
	r->bpf = bpf_probe_mechanisms(sym, r->bpf_note, sizeof(r->bpf_note));
	snprintf(ev, sizeof(ev), "check_%s_%d", r->lp->name, (int)getpid());
	r->kprobe_event = !tfs_kprobe_create(ITSPERF_EVENT_GROUP, ev, sym, NULL, false, r->kev_note,
					     sizeof(r->kev_note));
	r->fgraph = f->function_graph && tfs_function_traceable(sym);
	r->hist = r->kprobe_event > 0 && f->hist_triggers;
}

static void print_table(struct row *rows, int n, const struct tfs_features *f, const char *release,
			const char *hyp, bool live)
{
	int i;

	printf("logical probes on %s%s\n", release, live ? "" : " (offline: mechanisms not tried)");
	if (live)
		printf("tracefs %s: kprobe_events %s, hist triggers %s, synthetic events %s, "
		       "function_graph %s\n\n",
		       f->dir ? f->dir : "(none)", yes_no(f->kprobe_events),
		       yes_no(f->hist_triggers), yes_no(f->synthetic_events),
		       yes_no(f->function_graph));
	printf("%-22s %-18s %-30s %-6s %-6s %-9s %-6s %-5s %s\n", "PROBE", "AREA", "SYMBOL",
	       "FENTRY", "KPROBE", "KPROBE_EV", "FGRAPH", "HIST", "NOTE");
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];
		char note[600];

		note[0] = '\0';
		if (r->note[0])
			snprintf(note, sizeof(note), "%s", r->note);
		else if (r->kprobe_event == 0)
			snprintf(note, sizeof(note), "kprobe_event: %s", r->kev_note);
		if (r->bpf_note[0] && r->res.symbol && !r->note[0]) {
			size_t l = strlen(note);

			snprintf(note + l, sizeof(note) - l, "%sBPF: %s", l ? "; " : "",
				 r->bpf_note);
		}
		printf("%-22s %-18s %-30s %-6s %-6s %-9s %-6s %-5s %s\n", r->lp->name,
		       probe_area_name(r->lp->area), r->res.symbol ? r->res.symbol : "-",
		       r->bpf < 0 ? "-" : yes_no(!!(r->bpf & BPF_MECH_BIT_FENTRY)),
		       r->bpf < 0 ? "-" : yes_no(!!(r->bpf & BPF_MECH_BIT_KPROBE)),
		       yes_no(r->kprobe_event), yes_no(r->fgraph), yes_no(r->hist), note);
	}
	if (hyp)
		printf("\nhypervisor tracing: %s\n", hyp);
}

static struct json_object *jbool(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v > 0);
}

static void print_json(struct row *rows, int n, const struct tfs_features *f, const char *release,
		       const struct hyp_trace_info *hi, const char *hyp, bool live)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	struct json_object *feat = json_object_new_object();
	int i;

	json_object_object_add(root, "kernel", json_object_new_string(release));
	json_object_object_add(root, "live", json_object_new_boolean(live));
	if (live) {
		json_object_object_add(feat, "tracefs", json_object_new_boolean(f->tracefs));
		json_object_object_add(feat, "kprobe_events",
				       json_object_new_boolean(f->kprobe_events));
		json_object_object_add(feat, "hist_triggers",
				       json_object_new_boolean(f->hist_triggers));
		json_object_object_add(feat, "synthetic_events",
				       json_object_new_boolean(f->synthetic_events));
		json_object_object_add(feat, "function_graph",
				       json_object_new_boolean(f->function_graph));
	}
	json_object_object_add(root, "features", feat);
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];
		struct json_object *o = json_object_new_object();
		struct json_object *m = json_object_new_object();

		json_object_object_add(o, "probe", json_object_new_string(r->lp->name));
		json_object_object_add(o, "area",
				       json_object_new_string(probe_area_name(r->lp->area)));
		json_object_object_add(o, "series",
				       json_object_new_boolean(r->lp->flags & PROBE_SERIES));
		json_object_object_add(o, "boot_only",
				       json_object_new_boolean(r->lp->flags & PROBE_BOOT_ONLY));
		json_object_object_add(
			o, "symbol", r->res.symbol ? json_object_new_string(r->res.symbol) : NULL);
		json_object_object_add(o, "candidate", json_object_new_int(r->res.candidate));
		json_object_object_add(m, "fentry",
				       r->bpf < 0 ? NULL : jbool(!!(r->bpf & BPF_MECH_BIT_FENTRY)));
		json_object_object_add(m, "kprobe",
				       r->bpf < 0 ? NULL : jbool(!!(r->bpf & BPF_MECH_BIT_KPROBE)));
		json_object_object_add(m, "kprobe_event", jbool(r->kprobe_event));
		json_object_object_add(m, "function_graph", jbool(r->fgraph));
		json_object_object_add(m, "hist", jbool(r->hist));
		json_object_object_add(o, "mechanisms", m);
		if (r->bpf_note[0])
			json_object_object_add(o, "bpf_note", json_object_new_string(r->bpf_note));
		if (r->kprobe_event == 0)
			json_object_object_add(o, "kprobe_event_note",
					       json_object_new_string(r->kev_note));
		if (r->note[0])
			json_object_object_add(o, "note", json_object_new_string(r->note));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "probes", arr);
	if (hyp) {
		struct json_object *h = json_object_new_object();

		json_object_object_add(h, "available",
				       json_object_new_boolean(hi->kind != HYP_TRACE_NONE));
		json_object_object_add(h, "description", json_object_new_string(hyp));
		json_object_object_add(root, "hypervisor_tracing", h);
	}
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_SPACED));
	json_object_put(root);
}

int cmd_probes(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "kallsyms", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tfs_features *f = NULL;
	const char *kallsyms = NULL;
	struct hyp_trace_info hi = { 0 };
	char hyp[640] = "";
	struct utsname u;
	struct ksyms *ks;
	struct row *rows;
	bool json = false;
	bool live;
	int c;
	int i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jk:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'k':
			kallsyms = optarg;
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
		err_msg("probes: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	live = !kallsyms;
	ks = ksyms_load(kallsyms);
	if (!ks) {
		err_msg("probes: cannot read %s: %m", kallsyms ? kallsyms : "/proc/kallsyms");
		return kallsyms ? EXIT_USAGE : EXIT_FAIL;
	}
	if (live) {
		f = tfs_features();
		tfs_cleanup_leftovers(NULL);
		install_stop_handlers();
		hyp_trace_detect(NULL, &hi);
		hyp_trace_describe(&hi, hyp, sizeof(hyp));
	}
	rows = xcalloc(nr_logical_probes, sizeof(*rows));
	for (i = 0; i < nr_logical_probes && !itsperf_stop; i++) {
		rows[i].lp = &logical_probes[i];
		probe_resolve(rows[i].lp, ks, &rows[i].res);
		check_mechanisms(&rows[i], f, live);
	}
	/* the kprobe events made to try: gone before anything is printed */
	if (live)
		tfs_remove_run(getpid());
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	if (json)
		print_json(rows, nr_logical_probes, f, live ? u.release : kallsyms, &hi,
			   live ? hyp : NULL, live);
	else
		print_table(rows, nr_logical_probes, f, live ? u.release : kallsyms,
			    live ? hyp : NULL, live);
	free(rows);
	ksyms_free(ks);
	return itsperf_stop ? EXIT_FAIL : EXIT_OK;
}
