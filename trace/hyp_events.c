// SPDX-License-Identifier: GPL-2.0
/*
 * pKVM hypervisor events: detection, format-driven parsing, attribution of
 * EL2 time. See hyp_events.h for the layouts this handles.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>
#include <json-c/json.h>
#include <kbuffer.h>
#include <tracefs.h>

#include "result/result.h"
#include "lib/util.h"
#include "trace/hyp_events.h"

#define HYP_MAX_CPUS 1024

/* what the kernel prints in events/header_page on a 64-bit host */
static const char default_header_page[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";

struct hyp_cpu_state {
	bool in_el2;
	uint64_t enter_ts;
	char key[48];
};

struct hyp_parser {
	struct tep_handle *tep;
	struct kbuffer *kbuf;
};

/* ---- detection ---- */

static void list_events(const char *events_dir, struct hyp_trace_info *info)
{
	struct dirent *de;
	DIR *d = opendir(events_dir);
	size_t off = 0;

	info->events[0] = '\0';
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *fmt;

		if (de->d_name[0] == '.')
			continue;
		fmt = xasprintf("%s/%s/format", events_dir, de->d_name);
		if (path_exists(fmt))
			off += snprintf(info->events + off,
					off < sizeof(info->events) ? sizeof(info->events) - off : 0,
					"%s%s", off ? "," : "", de->d_name);
		free(fmt);
	}
	closedir(d);
}

static bool try_dir(const char *tdir, const char *sub, const char *system, enum hyp_trace_kind kind,
		    struct hyp_trace_info *info)
{
	char *dir = xasprintf("%s/%s", tdir, sub);
	char *ev = xasprintf("%s/events/%s", dir, system);
	char *raw = xasprintf("%s/per_cpu/cpu0/trace_pipe_raw", dir);
	bool ok = path_exists(ev);

	if (ok) {
		info->kind = kind;
		snprintf(info->dir, sizeof(info->dir), "%s", dir);
		snprintf(info->system, sizeof(info->system), "%s", system);
		list_events(ev, info);
		info->raw = path_exists(raw);
	}
	free(dir);
	free(ev);
	free(raw);
	return ok;
}

int hyp_trace_detect(const char *tracing_dir, struct hyp_trace_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!tracing_dir)
		tracing_dir = tracefs_tracing_dir();
	if (!tracing_dir)
		return -1;
	if (try_dir(tracing_dir, "remotes/hypervisor", "hypervisor", HYP_TRACE_REMOTE, info) ||
	    try_dir(tracing_dir, "hyp", "hyp", HYP_TRACE_LEGACY, info))
		return 0;
	return -1;
}

const char *hyp_trace_describe(const struct hyp_trace_info *info, char *buf, size_t len)
{
	switch (info->kind) {
	case HYP_TRACE_REMOTE:
	case HYP_TRACE_LEGACY:
		snprintf(buf, len, "%s (events: %s; %s)", info->dir,
			 info->events[0] ? info->events : "none",
			 info->raw ? "binary per-CPU buffers" : "text buffer");
		break;
	default:
		snprintf(buf, len,
			 "not available on this kernel (no tracefs remotes/hypervisor/ "
			 "or hyp/: pKVM hypervisor tracing is upstream from 7.1)");
		break;
	}
	return buf;
}

/* ---- parser ---- */

struct hyp_parser *hyp_parser_new(const char *header_page, size_t header_len)
{
	struct hyp_parser *p = xcalloc(1, sizeof(*p));
	char *hp;

	p->tep = tep_alloc();
	if (!p->tep) {
		free(p);
		return NULL;
	}
	tep_set_long_size(p->tep, 8);
	tep_set_page_size(p->tep, getpagesize());
	tep_set_file_bigendian(p->tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(p->tep, TEP_LITTLE_ENDIAN);
	if (!header_page) {
		header_page = default_header_page;
		header_len = strlen(default_header_page);
	}
	hp = xmalloc(header_len + 1);
	memcpy(hp, header_page, header_len);
	hp[header_len] = '\0';
	tep_parse_header_page(p->tep, hp, header_len, 8);
	free(hp);
	p->kbuf = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
	if (!p->kbuf) {
		hyp_parser_free(p);
		return NULL;
	}
	return p;
}

int hyp_parser_add_format(struct hyp_parser *p, const char *system, const char *format, size_t len)
{
	enum tep_errno e = tep_parse_event(p->tep, format, len, system);

	if (e) {
		char buf[128];

		tep_strerror(p->tep, e, buf, sizeof(buf));
		warn_msg("hypervisor events: cannot parse a %s format: %s", system, buf);
		return -1;
	}
	return 0;
}

struct hyp_parser *hyp_parser_from_remote(const struct hyp_trace_info *info)
{
	struct hyp_parser *p;
	struct dirent *de;
	size_t len = 0;
	char *path;
	char *hp;
	DIR *d;

	path = xasprintf("%s/events/header_page", info->dir);
	hp = read_file(path, &len);
	free(path);
	p = hyp_parser_new(hp, len);
	free(hp);
	if (!p)
		return NULL;
	path = xasprintf("%s/events/%s", info->dir, info->system);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char *f;
		char *fmt;

		if (de->d_name[0] == '.')
			continue;
		f = xasprintf("%s/%s/format", path, de->d_name);
		fmt = read_file(f, &len);
		if (fmt)
			hyp_parser_add_format(p, info->system, fmt, len);
		free(fmt);
		free(f);
	}
	if (d)
		closedir(d);
	free(path);
	return p;
}

void hyp_parser_free(struct hyp_parser *p)
{
	if (!p)
		return;
	if (p->kbuf)
		kbuffer_free(p->kbuf);
	if (p->tep)
		tep_free(p->tep);
	free(p);
}

/* ---- attribution ---- */

void hyp_attr_init(struct hyp_attr *a)
{
	memset(a, 0, sizeof(*a));
}

void hyp_attr_free(struct hyp_attr *a)
{
	int i;

	for (i = 0; i < a->nr; i++)
		free(a->e[i].samples);
	free(a->e);
	free(a->cpu);
	memset(a, 0, sizeof(*a));
}

const struct hyp_attr_entry *hyp_attr_find(const struct hyp_attr *a, const char *key)
{
	int i;

	for (i = 0; i < a->nr; i++)
		if (!strcmp(a->e[i].key, key))
			return &a->e[i];
	return NULL;
}

static struct hyp_cpu_state *cpu_state(struct hyp_attr *a, int cpu)
{
	if (cpu < 0 || cpu >= HYP_MAX_CPUS)
		return NULL;
	if (cpu >= a->nr_cpus) {
		a->cpu = xrealloc(a->cpu, (cpu + 1) * sizeof(*a->cpu));
		memset(a->cpu + a->nr_cpus, 0, (cpu + 1 - a->nr_cpus) * sizeof(*a->cpu));
		a->nr_cpus = cpu + 1;
	}
	return &a->cpu[cpu];
}

static void attr_add(struct hyp_attr *a, const char *key, uint64_t ns)
{
	struct hyp_attr_entry *e = (struct hyp_attr_entry *)hyp_attr_find(a, key);

	if (!e) {
		a->e = xrealloc(a->e, (a->nr + 1) * sizeof(*a->e));
		e = &a->e[a->nr++];
		memset(e, 0, sizeof(*e));
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->min_ns = UINT64_MAX;
	}
	e->count++;
	e->total_ns += ns;
	if (ns < e->min_ns)
		e->min_ns = ns;
	if (ns > e->max_ns)
		e->max_ns = ns;
	if (e->nr_samples == e->cap_samples) {
		e->cap_samples = e->cap_samples ? e->cap_samples * 2 : 64;
		e->samples = xrealloc(e->samples, e->cap_samples * sizeof(*e->samples));
	}
	e->samples[e->nr_samples++] = ns;
}

/*
 * The events that matter, by name; fields looked up by name through the
 * event's format (a field missing from a revision's format is just absent).
 */
struct hyp_ev {
	const char *name;
	bool has_id;
	uint64_t id;
	bool has_addr;
	uint64_t addr;
};

static void on_event(struct hyp_attr *a, int cpu, uint64_t ts, const struct hyp_ev *ev)
{
	struct hyp_cpu_state *st = cpu_state(a, cpu);

	a->records++;
	if (!st)
		return;
	if (!strcmp(ev->name, "hyp_enter")) {
		if (st->in_el2)
			a->unmatched++;
		st->in_el2 = true;
		st->enter_ts = ts;
		st->key[0] = '\0';
	} else if (!strcmp(ev->name, "hyp_exit")) {
		if (!st->in_el2) {
			a->unmatched++;
			return;
		}
		attr_add(a, st->key[0] ? st->key : "unattributed",
			 ts >= st->enter_ts ? ts - st->enter_ts : 0);
		st->in_el2 = false;
	} else if (!strcmp(ev->name, "host_hcall") && ev->has_id) {
		snprintf(st->key, sizeof(st->key), "hcall_0x%llx", (unsigned long long)ev->id);
	} else if (!strcmp(ev->name, "host_smc") && ev->has_id) {
		snprintf(st->key, sizeof(st->key), "smc_0x%llx", (unsigned long long)ev->id);
	} else if (!strcmp(ev->name, "host_mem_abort") && ev->has_addr) {
		snprintf(st->key, sizeof(st->key), "mmio_0x%llx", (unsigned long long)ev->addr);
	}
}

static bool field_u64(struct tep_event *ev, void *data, const char *name, uint64_t *v)
{
	struct tep_format_field *f = tep_find_field(ev, name);
	unsigned long long x;

	if (!f || tep_read_number_field(f, data, &x))
		return false;
	*v = x;
	return true;
}

int hyp_parse_page(struct hyp_parser *p, struct hyp_attr *a, int cpu, void *page, size_t size)
{
	unsigned long long ts;
	void *data;

	if (size < 16 || kbuffer_load_subbuffer(p->kbuf, page))
		return -1;
	if (kbuffer_subbuffer_size(p->kbuf) > (int)size)
		return -1;
	if (kbuffer_missed_events(p->kbuf) > 0)
		a->lost += kbuffer_missed_events(p->kbuf);
	for (data = kbuffer_read_event(p->kbuf, &ts); data;
	     data = kbuffer_next_event(p->kbuf, &ts)) {
		struct tep_record rec = { 0 };
		struct tep_event *ev;
		struct hyp_ev h = { 0 };

		rec.ts = ts;
		rec.data = data;
		rec.size = kbuffer_event_size(p->kbuf);
		rec.cpu = cpu;
		ev = tep_find_event(p->tep, tep_data_type(p->tep, &rec));
		if (!ev) {
			a->unknown++;
			continue;
		}
		h.name = ev->name;
		h.has_id = field_u64(ev, data, "id", &h.id);
		h.has_addr = field_u64(ev, data, "addr", &h.addr);
		on_event(a, cpu, ts, &h);
	}
	return 0;
}

/*
 * "[001]\t  123.456789: hyp_enter " (trace remote) or an ftrace-style
 * "<idle>-0 [001] d.h.. 123.456789: host_hcall: id=18 invalid=0".
 * The event is found by name in the parser's formats, and k=v pairs are
 * kept only for fields that event's format declares.
 */
/* "SECS.FRAC:" at s -> ns; the number of fraction digits gives the unit */
static bool parse_ts(const char *s, uint64_t *ns, const char **after)
{
	uint64_t sec = 0;
	uint64_t frac = 0;
	int digits = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		sec = sec * 10 + (*s++ - '0');
	if (*s++ != '.')
		return false;
	while (isdigit((unsigned char)*s) && digits < 9) {
		frac = frac * 10 + (*s++ - '0');
		digits++;
	}
	if (!digits || *s != ':')
		return false;
	while (digits++ < 9)
		frac *= 10;
	*ns = sec * 1000000000ull + frac;
	*after = s + 1;
	return true;
}

/*
 * "[001]\t  123.456789: hyp_enter " (trace remote) or an ftrace-style
 * "<idle>-0 [001] d.h.. 123.456789: host_hcall: id=18 invalid=0".
 * The event is found by name in the parser's formats, and k=v pairs are
 * kept only for fields that event's format declares.
 */
int hyp_parse_line(struct hyp_parser *p, struct hyp_attr *a, const char *line)
{
	const char *br = strchr(line, '[');
	const char *rest = NULL;
	struct hyp_ev h = { 0 };
	struct tep_event *ev;
	char name[64] = "";
	const char *q;
	uint64_t ts = 0;
	size_t n;
	int cpu;

	if (!br || sscanf(br, "[%d]", &cpu) != 1)
		return -1;
	/* the timestamp is the first "N.N:" after the CPU */
	for (q = strchr(br, ']'); q && *q && !rest; q++)
		if ((q[-1] == ' ' || q[-1] == '\t') && parse_ts(q, &ts, &rest))
			break;
	if (!rest || sscanf(rest, " %63s", name) != 1)
		return -1;
	n = strlen(name);
	if (n && name[n - 1] == ':')
		name[n - 1] = '\0';
	ev = tep_find_event_by_name(p->tep, NULL, name);
	if (!ev) {
		a->unknown++;
		return 0;
	}
	h.name = ev->name;
	for (q = rest; (q = strchr(q, '=')); q++) {
		const char *k = q;
		char key[32];
		size_t kl;

		while (k > rest && !isspace((unsigned char)k[-1]))
			k--;
		kl = q - k;
		if (!kl || kl >= sizeof(key))
			continue;
		memcpy(key, k, kl);
		key[kl] = '\0';
		if (!tep_find_field(ev, key))
			continue;
		if (!strcmp(key, "id")) {
			h.has_id = true;
			h.id = strtoull(q + 1, NULL, 0);
		} else if (!strcmp(key, "addr")) {
			h.has_addr = true;
			h.addr = strtoull(q + 1, NULL, 0);
		}
	}
	on_event(a, cpu, ts, &h);
	return 0;
}

/* ---- runtime session ---- */

struct hyp_session {
	struct hyp_trace_info info;
	struct hyp_parser *parser;
	char **enabled; /* enable files we turned on */
	int nr_enabled;
	bool tracing_was_on;
};

static int write_str(const char *path, const char *s)
{
	return write_file_str(path, s);
}

static char *read_trimmed(const char *path)
{
	char *s = read_file(path, NULL);

	if (s)
		strim(s);
	return s;
}

struct hyp_session *hyp_session_start(const char **why)
{
	static const char *const wanted[] = { "hyp_enter", "hyp_exit", "host_hcall", "host_smc",
					      "host_mem_abort" };
	struct hyp_session *s = xcalloc(1, sizeof(*s));
	char *on;
	size_t i;

	if (hyp_trace_detect(NULL, &s->info)) {
		*why = "no pKVM hypervisor tracing on this kernel";
		free(s);
		return NULL;
	}
	s->parser = hyp_parser_from_remote(&s->info);
	if (!s->parser) {
		*why = "cannot read the hypervisor events' formats";
		free(s);
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(wanted); i++) {
		char *en =
			xasprintf("%s/events/%s/%s/enable", s->info.dir, s->info.system, wanted[i]);
		char *cur = read_trimmed(en);

		if (cur && strcmp(cur, "1") && !write_str(en, "1")) {
			s->enabled = xrealloc(s->enabled, (s->nr_enabled + 1) * sizeof(char *));
			s->enabled[s->nr_enabled++] = en;
			en = NULL;
		}
		free(cur);
		free(en);
	}
	on = xasprintf("%s/tracing_on", s->info.dir);
	{
		char *cur = read_trimmed(on);

		s->tracing_was_on = cur && !strcmp(cur, "1");
		free(cur);
	}
	if (write_str(on, "1")) {
		*why = "cannot turn the hypervisor's tracing on";
		free(on);
		hyp_session_free(s);
		return NULL;
	}
	free(on);
	return s;
}

static void read_raw(struct hyp_session *s, struct hyp_attr *a)
{
	long page = getpagesize();
	void *buf = xmalloc(page);
	int cpu;

	for (cpu = 0; cpu < HYP_MAX_CPUS; cpu++) {
		char *path = xasprintf("%s/per_cpu/cpu%d/trace_pipe_raw", s->info.dir, cpu);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		ssize_t r;

		free(path);
		if (fd < 0)
			break;
		while ((r = read(fd, buf, page)) > 0)
			hyp_parse_page(s->parser, a, cpu, buf, r);
		close(fd);
	}
	free(buf);
}

static void read_text(struct hyp_session *s, struct hyp_attr *a)
{
	char *path = xasprintf("%s/trace", s->info.dir);
	char *text = read_file(path, NULL);
	char *save = NULL;
	char *line;

	free(path);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			hyp_parse_line(s->parser, a, line);
	free(text);
}

int hyp_session_stop(struct hyp_session *s, struct result_run *r)
{
	struct json_object *sec = json_object_new_object();
	struct json_object *keys = json_object_new_object();
	struct json_object *w;
	struct hyp_attr a;
	char *on;
	int i;

	on = xasprintf("%s/tracing_on", s->info.dir);
	if (!s->tracing_was_on)
		write_str(on, "0");
	free(on);
	hyp_attr_init(&a);
	if (s->info.raw)
		read_raw(s, &a);
	else
		read_text(s, &a);
	for (i = 0; i < a.nr; i++) {
		const struct hyp_attr_entry *e = &a.e[i];
		char name[96];
		struct metric_desc d = {
			.name = name,
			.area = "hvc_path",
			.unit = "ns",
			.kind = METRIC_LATENCY,
			.source = "ftrace",
			.desc = "time at EL2 per hyp_enter -> hyp_exit, attributed to the "
				"hypercall / trapped access seen in between",
			.error_bound = "hypervisor ring-buffer timestamps (boot clock); "
				       "text buffers have 1 us resolution",
		};
		struct json_object *o = json_object_new_object();
		struct hist h;
		size_t k;

		metric_name(name, sizeof(name), MF_HVC_EL2, e->key);
		hist_init(&h, HIST_LOG2, 64, 0);
		for (k = 0; k < e->nr_samples; k++)
			hist_add(&h, e->samples[k]);
		if (r)
			result_add_metric(r, &d, &h, NULL, 0);
		hist_free(&h);
		json_object_object_add(o, "count", json_object_new_int64(e->count));
		json_object_object_add(o, "total_ns", json_object_new_int64(e->total_ns));
		json_object_object_add(keys, e->key, o);
	}
	json_object_object_add(sec, "source", json_object_new_string(s->info.dir));
	json_object_object_add(sec, "records", json_object_new_int64(a.records));
	json_object_object_add(sec, "unmatched", json_object_new_int64(a.unmatched));
	json_object_object_add(sec, "lost", json_object_new_int64(a.lost));
	json_object_object_add(sec, "unknown_events", json_object_new_int64(a.unknown));
	json_object_object_add(sec, "el2_time", keys);
	w = json_object_new_object();
	json_object_object_add(w, "hypervisor", sec);
	if (r)
		result_add_section(r, "counters", w);
	else
		json_object_put(w);
	hyp_attr_free(&a);
	return 0;
}

void hyp_session_free(struct hyp_session *s)
{
	int i;

	if (!s)
		return;
	/* leave the hypervisor's events as we found them */
	for (i = 0; i < s->nr_enabled; i++) {
		write_str(s->enabled[i], "0");
		free(s->enabled[i]);
	}
	free(s->enabled);
	hyp_parser_free(s->parser);
	free(s);
}
