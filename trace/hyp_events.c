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
#include "lib/its_cmd.h"
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
	bool commit; /* an its_commit named this EL2 visit */
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
 *
 *   hyp_enter reason=   what brought the CPU to EL2 (7.2: hvc, smc, sys,
 *                       psci, host_abort, guest_exit): the default key
 *   its_mmio offset=    a host access to the ITS control frame, trapped
 *                       and emulated at EL2 (the series): "its_mmio.<reg>"
 *   its_commit first_op=  EL2 validated and committed staged commands on a
 *                       trapped GITS_CWRITER write: "its_commit.<CMD>", CMD
 *                       the first command of the commit (the driver posts
 *                       one command and its SYNC per write)
 *   its_cmd opcode= rejected=   one committed command: counted per type
 *   host_hcall id=, host_smc id=, host_mem_abort addr=   older layouts
 */
struct hyp_ev {
	const char *name;
	bool has_id;
	uint64_t id;
	bool has_addr;
	uint64_t addr;
	bool has_offset;
	uint64_t offset;
	bool has_op;
	uint64_t op; /* its_commit first_op, its_cmd opcode */
	uint64_t rejected;
	char reason[24];
};

/* 7.2's enum hyp_enter_exit_reason, for binary records (text has the name) */
static const char *const hyp_reasons[] = {
	"smc", "hvc", "sys", "psci", "host_abort", "guest_exit", "eret_host", "eret_guest",
};

const char *hyp_reason_name(unsigned int reason)
{
	return reason < ARRAY_SIZE(hyp_reasons) ? hyp_reasons[reason] : "unknown";
}

/* GITS_* register at an offset of the ITS control frame */
const char *hyp_its_reg_name(uint64_t off)
{
	if (off >= 0x100 && off < 0x140)
		return "baser";
	switch (off & ~7ull) {
	case 0x00:
		return "ctlr";
	case 0x08:
		return "typer";
	case 0x80:
		return "cbaser";
	case 0x88:
		return "cwriter";
	case 0x90:
		return "creadr";
	}
	return (off & ~3ull) == 0x04 ? "iidr" : "other";
}

static void key_its(struct hyp_cpu_state *st, const struct hyp_ev *ev)
{
	int t;

	if (!strcmp(ev->name, "its_commit")) {
		t = ev->has_op ? its_cmd_from_opcode(ev->op) : -1;
		snprintf(st->key, sizeof(st->key), "its_commit.%s",
			 t >= 0 ? its_cmd_name(t) : "OTHER");
		st->commit = true;
	} else if (!strcmp(ev->name, "its_mmio") && !st->commit) {
		snprintf(st->key, sizeof(st->key), "its_mmio.%s",
			 ev->has_offset ? hyp_its_reg_name(ev->offset) : "other");
	}
}

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
		st->commit = false;
		snprintf(st->key, sizeof(st->key), "%s", ev->reason);
	} else if (!strcmp(ev->name, "hyp_exit")) {
		if (!st->in_el2) {
			a->unmatched++;
			return;
		}
		attr_add(a, st->key[0] ? st->key : "unattributed",
			 ts >= st->enter_ts ? ts - st->enter_ts : 0);
		st->in_el2 = false;
	} else if (!strcmp(ev->name, "its_cmd")) {
		int t = ev->has_op ? its_cmd_from_opcode(ev->op) : -1;

		a->its_cmds[t >= 0 ? t : NR_ITS_CMDS]++;
		a->its_rejected += ev->rejected != 0;
	} else if (!strncmp(ev->name, "its_", 4)) {
		key_its(st, ev);
		if (!strcmp(ev->name, "its_commit"))
			a->its_commits++;
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
		uint64_t reason;

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
		h.has_offset = field_u64(ev, data, "offset", &h.offset);
		h.has_op = field_u64(ev, data, "first_op", &h.op) ||
			   field_u64(ev, data, "opcode", &h.op);
		field_u64(ev, data, "rejected", &h.rejected);
		if (field_u64(ev, data, "reason", &reason))
			snprintf(h.reason, sizeof(h.reason), "%s", hyp_reason_name(reason));
		on_event(a, cpu, ts, &h);
	}
	return 0;
}

static void text_field(struct hyp_ev *h, const char *key, const char *val)
{
	if (!strcmp(key, "id")) {
		h->has_id = true;
		h->id = strtoull(val, NULL, 0);
	} else if (!strcmp(key, "addr")) {
		h->has_addr = true;
		h->addr = strtoull(val, NULL, 0);
	} else if (!strcmp(key, "offset")) {
		h->has_offset = true;
		h->offset = strtoull(val, NULL, 0);
	} else if (!strcmp(key, "first_op") || !strcmp(key, "opcode")) {
		h->has_op = true;
		h->op = strtoull(val, NULL, 0);
	} else if (!strcmp(key, "rejected")) {
		h->rejected = strtoull(val, NULL, 0);
	} else if (!strcmp(key, "reason")) {
		/* a name in the text ("hvc"), a number in older formats */
		if (isdigit((unsigned char)*val))
			snprintf(h->reason, sizeof(h->reason), "%s",
				 hyp_reason_name(strtoul(val, NULL, 0)));
		else
			sscanf(val, "%23[a-z_]", h->reason);
	}
}

/* "CPU:1 [LOST 42 EVENTS]": the remote's ring buffer overflowed */
static bool lost_line(struct hyp_attr *a, const char *line)
{
	unsigned long long n;
	int cpu;

	if (sscanf(line, "CPU:%d [LOST %llu EVENTS]", &cpu, &n) != 2)
		return false;
	a->lost += n;
	return true;
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

	if (lost_line(a, line))
		return 0;
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
		text_field(&h, key, q + 1);
	}
	on_event(a, cpu, ts, &h);
	return 0;
}
