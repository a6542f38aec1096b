// SPDX-License-Identifier: GPL-2.0
/* The collector session of run and record (commands/session.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "commands/session.h"
#include "host/khealth.h"
#include "lib/ksyms.h"
#include "lib/util.h"
#include "result/probes.h"
#include "result/result.h"

static const char *const state_names[] = {
	[SESSION_NEW] = "new",	       [SESSION_INIT_FAILED] = "init failed",
	[SESSION_READY] = "ready",     [SESSION_START_FAILED] = "start failed",
	[SESSION_RUNNING] = "running", [SESSION_STOPPED] = "recorded",
};

static bool in_bpf_group(const struct collector *c)
{
	return str_starts(c->name, "bpf:") && !strstr(c->name, "selftest");
}

static int add(struct session *s, struct collector *c)
{
	int i;

	for (i = 0; i < s->nr; i++)
		if (s->cs[i] == c)
			return 0;
	if (s->nr == SESSION_MAX) {
		err_msg("-e: more than %d collectors", SESSION_MAX);
		return -1;
	}
	s->cs[s->nr++] = c;
	return 0;
}

/* "bpf": every bpf: collector but self-tests; returns how many, -1 on error */
static int add_group(struct session *s, const char *group)
{
	int found = 0;
	int i;

	if (strcmp(group, "bpf"))
		return 0;
	for (i = 0; i < collector_count(); i++) {
		struct collector *c = collector_at(i);

		if (!in_bpf_group(c))
			continue;
		if (add(s, c))
			return -1;
		found++;
	}
	return found;
}

static int select_default(struct session *s, bool with_tracedat)
{
	int pass;
	int i;

	/* BPF first: the cheaper, primary source (result/metrics.h) */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < collector_count(); i++) {
			struct collector *c = collector_at(i);

			/* trace.dat files are ~7 MB (kallsyms): only when asked */
			if (strstr(c->name, "selftest") ||
			    (!strcmp(c->name, "tracedat") && !with_tracedat) ||
			    str_starts(c->name, "bpf:") != (pass == 0))
				continue;
			if (add(s, c))
				return -1;
		}
	}
	return 0;
}

int session_select(struct session *s, const char *list, bool with_tracedat)
{
	char prefix[32] = "";
	char *save = NULL;
	char *copy;
	char *tok;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (!list)
		return select_default(s, with_tracedat);
	copy = xstrdup(list);
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		struct collector *c = NULL;
		char *colon;
		char name[96];

		tok = strim(tok);
		colon = strchr(tok, ':');
		if (colon) {
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(colon - tok), tok);
			c = collector_find(tok);
		} else {
			if (prefix[0]) {
				snprintf(name, sizeof(name), "%s:%s", prefix, tok);
				c = collector_find(name);
			}
			if (!c)
				c = collector_find(tok);
			if (!c) {
				int n = add_group(s, tok);

				if (n < 0)
					err = -1;
				if (n != 0)
					continue;
			}
		}
		if (!c) {
			err_msg("-e: no collector '%s' in this itsperf (itsperf record --list "
				"shows them)",
				tok);
			err = -1;
			break;
		}
		err = add(s, c);
	}
	free(copy);
	if (!err && !s->nr) {
		err_msg("-e: no collector selected");
		err = -1;
	}
	return err;
}

void session_print(const struct session *s, FILE *f)
{
	int i;

	for (i = 0; i < s->nr; i++)
		fprintf(f, "%s%s", i ? " " : "", s->cs[i]->name);
	fprintf(f, "\n");
}

int session_open(struct session *s, bool raw_samples)
{
	s->ks = ksyms_load(NULL);
	if (!s->ks) {
		err_msg("/proc/kallsyms: %s", strerror(errno));
		return -1;
	}
	if (!s->ks->have_addrs)
		warn_msg("/proc/kallsyms shows no addresses (kptr_restrict): run as root");
	s->res = xcalloc(nr_logical_probes, sizeof(*s->res));
	probe_resolve_all(s->ks, s->res);
	s->copts.ks = s->ks;
	s->copts.probes = s->res;
	s->copts.raw_samples = raw_samples;
	s->copts.work_dir = "/tmp";
	return 0;
}

static void print_status(const struct collector *c)
{
	int i;

	for (i = 0; i < c->nr_status; i++) {
		const struct probe_status *st = &c->status[i];

		info_msg("%s: %-22s %-28s %-10s%s%s", c->name, st->probe,
			 st->symbol ? st->symbol : "-", st->attached ? st->mechanism : "-",
			 st->note ? " " : "", st->note ? st->note : "");
	}
}

int session_start(struct session *s)
{
	int running = 0;
	int i;

	s->health = khealth_begin();
	for (i = 0; i < s->nr; i++) {
		struct collector *c = s->cs[i];

		json_object_put(s->failed_probes[i]);
		s->failed_probes[i] = NULL;
		if (c->init(c, &s->copts)) {
			s->state[i] = SESSION_INIT_FAILED;
			warn_msg("collector %s: nothing to measure on this kernel (see itsperf "
				 "probes)",
				 c->name);
			/* what it could not attach, and why: kept for the result */
			print_status(c);
			s->failed_probes[i] = probe_status_json(c);
			if (c->destroy)
				c->destroy(c);
			continue;
		}
		s->state[i] = SESSION_READY;
	}
	for (i = 0; i < s->nr; i++) {
		struct collector *c = s->cs[i];

		if (s->state[i] != SESSION_READY)
			continue;
		if (c->start && c->start(c)) {
			s->state[i] = SESSION_START_FAILED;
			warn_msg("collector %s: failed to start", c->name);
			continue;
		}
		s->state[i] = SESSION_RUNNING;
		print_status(c);
		running++;
	}
	if (itsperf_verbose || running < s->nr) {
		char line[512] = "";
		size_t n = 0;

		for (i = 0; i < s->nr; i++)
			if (s->state[i] == SESSION_RUNNING && n < sizeof(line))
				n += snprintf(line + n, sizeof(line) - n, " %s", s->cs[i]->name);
		info_msg("collectors started:%s", n ? line : " none");
	}
	return running;
}

/*
 * All collectors stop before any writes or tears down: they measured the
 * same interval, and one collector's teardown (ftrace removes every
 * tracefs object of this pid) cannot pull the buffer from under another.
 */
void session_stop(struct session *s)
{
	int i;

	for (i = 0; i < s->nr; i++) {
		if (s->state[i] != SESSION_RUNNING)
			continue;
		if (s->cs[i]->stop && s->cs[i]->stop(s->cs[i]))
			warn_msg("collector %s: stop failed, its numbers may be incomplete",
				 s->cs[i]->name);
		s->state[i] = SESSION_STOPPED;
	}
}

void session_write(struct session *s, struct result_run *r)
{
	int i;

	for (i = 0; i < s->nr; i++) {
		struct collector *c = s->cs[i];
		struct json_object *probes;

		if (s->state[i] == SESSION_STOPPED) {
			if (c->emit && c->emit(c, r))
				warn_msg("collector %s: could not write its results", c->name);
			continue;
		}
		/* could not measure: its per-probe status still says why */
		probes = json_object_new_object();
		if (s->failed_probes[i]) {
			json_object_object_add(probes, c->name, s->failed_probes[i]);
			s->failed_probes[i] = NULL;
		} else {
			json_object_object_add(probes, c->name, probe_status_json(c));
		}
		result_add_section(r, "probes", probes);
	}
	if (s->health) {
		khealth_end(s->health, r);
		khealth_free(s->health);
		s->health = NULL;
	}
}

struct json_object *session_states_json(const struct session *s)
{
	struct json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < s->nr; i++)
		json_object_object_add(o, s->cs[i]->name,
				       json_object_new_string(state_names[s->state[i]]));
	return o;
}

void session_end(struct session *s)
{
	int i;

	for (i = 0; i < s->nr; i++) {
		struct collector *c = s->cs[i];

		if (s->state[i] >= SESSION_READY && c->destroy)
			c->destroy(c);
		s->state[i] = SESSION_NEW;
		json_object_put(s->failed_probes[i]);
		s->failed_probes[i] = NULL;
	}
	if (s->health) {
		khealth_free(s->health);
		s->health = NULL;
	}
}

void session_close(struct session *s)
{
	session_end(s);
	free(s->res);
	s->res = NULL;
	ksyms_free(s->ks);
	s->ks = NULL;
}

bool session_has_cmd_latency(const struct session *s)
{
	int i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->cs[i]->name, "bpf:cmd_latency") || !strcmp(s->cs[i]->name, "ftrace"))
			return true;
	return false;
}
