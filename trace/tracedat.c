// SPDX-License-Identifier: GPL-2.0
/*
 * Raw ftrace captures and the trace.dat (v6) writer: see tracedat.h.
 *
 * The pages are the kernel's ring-buffer sub-buffers exactly as
 * trace_pipe_raw hands them out (page header: u64 timestamp, long commit
 * with the "missed events" flags in its top bits, then the records); both
 * the per-event walk (kbuffer) and trace-cmd read them unchanged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-c/json.h>
#include <traceevent/event-parse.h>
#include <traceevent/kbuffer.h>
#include <tracefs/tracefs.h>

#include "lib/util.h"
#include "trace/tracedat.h"

#define TRACEDAT_MAGIC	 "\027\010\104tracing"
#define TRACEDAT_VERSION "6"

/* trace-cmd option ids (trace-cmd.dat.v7(5) lists them; v6 uses the same) */
#define OPT_DONE       0
#define OPT_CPUSTAT    2
#define OPT_TRACECLOCK 4
#define OPT_UNAME      5
#define OPT_CPUCOUNT   8

#define NR_EVENT_IDS 65536 /* common_type is an unsigned short */

struct blob {
	char *data;
	size_t len;
};

/* one event type seen in the capture, with its format snapshotted at read */
struct cap_event {
	int id;
	char *system;
	char *name;
	struct blob format; /* NULL data: the format could not be read */
	uint64_t count;
};

struct cap_cpu {
	int cpu;
	char *pages;
	size_t nr_pages;
	size_t alloc_pages;
	size_t scanned_pages; /* pages already looked at for event ids */
	uint64_t missed;
	struct blob stats; /* per_cpu/cpuN/stats at the last drain */
};

struct raw_capture {
	struct tracefs_instance *inst;
	struct tep_handle *tep;	    /* the caller's, may be NULL */
	struct tep_handle *own_tep; /* built from the snapshot on demand */
	int page_size;
	int kernel_long_size; /* from header_page's commit field */
	int nr_cpus;
	struct cap_cpu *cpus;
	struct cap_event *events;
	int nr_events;
	uint16_t *event_index; /* id -> index in events + 1 */
	char **all_ids;	       /* tracefs scan: id -> "system/name", on demand */
	struct blob header_page;
	struct blob header_event;
	struct blob *ftrace_formats;
	int nr_ftrace_formats;
	struct blob printk_formats;
	struct blob cmdlines;
	struct blob trace_clock;
	struct raw_capture_stats stats;
};

static void blob_free(struct blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* a file of the instance (or of the top level); empty blob when unreadable */
static int read_instance_file(struct tracefs_instance *inst, const char *file, struct blob *b)
{
	int size = 0;

	b->data = tracefs_instance_file_read(inst, file, &size);
	b->len = b->data ? (size_t)size : 0;
	return b->data ? 0 : -1;
}

static int subbuf_size(struct tracefs_instance *inst)
{
	long long kb;

	/* kernels from 6.8 let the sub-buffer differ from the page size */
	if (!tracefs_instance_file_read_number(inst, "buffer_subbuf_size_kb", &kb) && kb > 0)
		return (int)(kb * 1024);
	return getpagesize();
}

/* the long size of the kernel: the size of header_page's "commit" field */
static int header_long_size(const struct blob *hp)
{
	const char *p;

	if (!hp->data)
		return sizeof(long);
	p = strstr(hp->data, "commit;");
	if (!p)
		return sizeof(long);
	p = strstr(p, "size:");
	if (!p)
		return sizeof(long);
	return atoi(p + 5) == 4 ? 4 : 8;
}

static int count_cpus(struct tracefs_instance *inst)
{
	struct dirent *d;
	char *path;
	DIR *dir;
	int max = -1;

	path = tracefs_instance_get_file(inst, "per_cpu");
	if (!path)
		return -1;
	dir = opendir(path);
	tracefs_put_tracing_file(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		int n;

		if (sscanf(d->d_name, "cpu%d", &n) == 1 && n > max)
			max = n;
	}
	closedir(dir);
	return max + 1;
}

static struct kbuffer *capture_kbuffer(const struct raw_capture *c)
{
	struct kbuffer *kbuf;

	kbuf = kbuffer_alloc(c->kernel_long_size == 4 ? KBUFFER_LSIZE_4 : KBUFFER_LSIZE_8,
			     KBUFFER_ENDIAN_SAME_AS_HOST);
	if (!kbuf)
		err_msg("capture: kbuffer_alloc failed");
	return kbuf;
}

static int snapshot_ftrace_formats(struct raw_capture *c)
{
	char **events;
	int n;
	int i;

	events = tracefs_system_events(NULL, "ftrace");
	if (!events)
		return 0; /* no ftrace formats: trace-cmd still reads the file */
	for (n = 0; events[n]; n++)
		;
	c->ftrace_formats = xcalloc(n, sizeof(*c->ftrace_formats));
	for (i = 0; i < n; i++) {
		struct blob *b = &c->ftrace_formats[c->nr_ftrace_formats];
		int size = 0;

		b->data = tracefs_event_file_read(NULL, "ftrace", events[i], "format", &size);
		if (!b->data)
			continue;
		b->len = size;
		c->nr_ftrace_formats++;
	}
	tracefs_list_free(events);
	return 0;
}

/*
 * Map every event id in tracefs to "system/name". Only needed for ids the
 * caller's tep does not know (or when there is no tep).
 */
static void scan_event_ids(struct raw_capture *c)
{
	char **systems;
	int i;

	c->all_ids = xcalloc(NR_EVENT_IDS, sizeof(*c->all_ids));
	systems = tracefs_event_systems(NULL);
	for (i = 0; systems && systems[i]; i++) {
		char **events = tracefs_system_events(NULL, systems[i]);
		int j;

		for (j = 0; events && events[j]; j++) {
			char *s = tracefs_event_file_read(NULL, systems[i], events[j], "id", NULL);
			int id = s ? atoi(s) : -1;

			if (id >= 0 && id < NR_EVENT_IDS && !c->all_ids[id])
				c->all_ids[id] = xasprintf("%s/%s", systems[i], events[j]);
			free(s);
		}
		tracefs_list_free(events);
	}
	tracefs_list_free(systems);
}

static int event_name_by_id(struct raw_capture *c, int id, char **system, char **name)
{
	struct tep_event *ev = c->tep ? tep_find_event(c->tep, id) : NULL;
	char *slash;

	if (ev) {
		*system = xstrdup(ev->system);
		*name = xstrdup(ev->name);
		return 0;
	}
	if (!c->all_ids)
		scan_event_ids(c);
	if (!c->all_ids[id])
		return -1;
	*system = xstrdup(c->all_ids[id]);
	slash = strchr(*system, '/');
	*slash = '\0';
	*name = xstrdup(slash + 1);
	return 0;
}

/* first sight of an event id: name it and snapshot its format now */
static struct cap_event *add_event(struct raw_capture *c, int id)
{
	struct cap_event *e;
	int size = 0;

	c->events = xrealloc(c->events, (c->nr_events + 1) * sizeof(*c->events));
	e = &c->events[c->nr_events];
	memset(e, 0, sizeof(*e));
	e->id = id;
	if (event_name_by_id(c, id, &e->system, &e->name)) {
		warn_msg("capture: event id %d is in the buffer but not in tracefs "
			 "(dynamic event removed before the capture was read?)",
			 id);
	} else {
		e->format.data =
			tracefs_event_file_read(c->inst, e->system, e->name, "format", &size);
		e->format.len = e->format.data ? (size_t)size : 0;
		if (!e->format.data)
			warn_msg("capture: cannot read the format of %s:%s", e->system, e->name);
	}
	c->event_index[id] = ++c->nr_events;
	return e;
}

/* walk the pages read since the last scan: count records per event id */
static int scan_new_pages(struct raw_capture *c, struct cap_cpu *cc, struct kbuffer *kbuf)
{
	for (; cc->scanned_pages < cc->nr_pages; cc->scanned_pages++) {
		void *page = cc->pages + cc->scanned_pages * (size_t)c->page_size;
		unsigned long long ts;
		void *data;
		int missed;

		if (kbuffer_load_subbuffer(kbuf, page) < 0)
			continue;
		missed = kbuffer_missed_events(kbuf);
		/* -1: events were lost but the kernel had no room to say how many */
		if (missed)
			cc->missed += missed > 0 ? missed : 1;
		for (data = kbuffer_read_event(kbuf, &ts); data;
		     data = kbuffer_next_event(kbuf, &ts)) {
			/* common_type: offset 0, size 2, in every event format */
			uint16_t id = *(uint16_t *)data;
			struct cap_event *e;

			e = c->event_index[id] ? &c->events[c->event_index[id] - 1] :
						 add_event(c, id);
			e->count++;
			c->stats.events++;
			if (!e->format.data)
				c->stats.unknown_events++;
		}
	}
	return 0;
}

static uint64_t stats_field(const struct blob *b, const char *key)
{
	const char *p;

	if (!b->data)
		return 0;
	p = strstr(b->data, key);
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static int drain_cpu(struct raw_capture *c, struct cap_cpu *cc, size_t max_pages)
{
	size_t read_pages = 0;
	char file[64];
	char *path;
	int fd;

	snprintf(file, sizeof(file), "per_cpu/cpu%d/trace_pipe_raw", cc->cpu);
	path = tracefs_instance_get_file(c->inst, file);
	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_NONBLOCK);
	tracefs_put_tracing_file(path);
	if (fd < 0) {
		/* an offline CPU has no buffer file: nothing to read */
		return errno == ENOENT ? 0 : -1;
	}
	while (read_pages < max_pages) {
		char *page;
		ssize_t n;

		if (cc->nr_pages == cc->alloc_pages) {
			cc->alloc_pages = cc->alloc_pages ? cc->alloc_pages * 2 : 16;
			cc->pages = xrealloc(cc->pages, cc->alloc_pages * c->page_size);
		}
		page = cc->pages + cc->nr_pages * (size_t)c->page_size;
		n = read(fd, page, c->page_size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN: the buffer is empty */
		/* a short read still carries a valid header; zero the rest */
		if (n < c->page_size)
			memset(page + n, 0, c->page_size - n);
		cc->nr_pages++;
		read_pages++;
	}
	close(fd);
	c->stats.pages += read_pages;
	return 0;
}

int raw_capture_drain(struct raw_capture *c)
{
	struct kbuffer *kbuf;
	long long buffer_kb = 0;
	size_t max_pages;
	uint64_t t0;
	int ret = 0;
	int i;

	/* a buffer that keeps filling is read for at most its size, plus slack */
	if (tracefs_instance_file_read_number(c->inst, "buffer_size_kb", &buffer_kb) ||
	    buffer_kb <= 0)
		buffer_kb = 1408;
	max_pages = buffer_kb * 1024 / c->page_size + 4;

	kbuf = capture_kbuffer(c);
	if (!kbuf)
		return -1;
	t0 = now_ns();
	for (i = 0; i < c->nr_cpus; i++) {
		if (drain_cpu(c, &c->cpus[i], max_pages)) {
			err_msg("capture: reading the CPU%d buffer: %s", i, strerror(errno));
			ret = -1;
			break;
		}
	}
	c->stats.read_ns += now_ns() - t0;

	c->stats.missed_events = 0;
	c->stats.overrun = 0;
	for (i = 0; i < c->nr_cpus; i++) {
		struct cap_cpu *cc = &c->cpus[i];
		char file[64];

		scan_new_pages(c, cc, kbuf);
		c->stats.missed_events += cc->missed;
		blob_free(&cc->stats);
		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cc->cpu);
		read_instance_file(c->inst, file, &cc->stats);
		c->stats.overrun += stats_field(&cc->stats, "overrun:");
	}
	c->stats.bytes = c->stats.pages * c->page_size;
	kbuffer_free(kbuf);

	/* these change as tasks come and go: keep the latest */
	blob_free(&c->cmdlines);
	read_instance_file(NULL, "saved_cmdlines", &c->cmdlines);
	return ret;
}

struct raw_capture *raw_capture_read(struct tracefs_instance *inst, struct tep_handle *tep)
{
	struct raw_capture *c;
	int i;

	c = xcalloc(1, sizeof(*c));
	c->inst = inst;
	c->tep = tep;
	c->page_size = subbuf_size(inst);
	c->stats.page_size = c->page_size;
	c->nr_cpus = count_cpus(inst);
	if (c->nr_cpus <= 0) {
		err_msg("capture: no per_cpu buffers in the tracefs instance %s",
			inst ? tracefs_instance_get_name(inst) : "(top)");
		free(c);
		errno = ENOENT;
		return NULL;
	}
	c->stats.nr_cpus = c->nr_cpus;
	c->cpus = xcalloc(c->nr_cpus, sizeof(*c->cpus));
	for (i = 0; i < c->nr_cpus; i++)
		c->cpus[i].cpu = i;
	c->event_index = xcalloc(NR_EVENT_IDS, sizeof(*c->event_index));

	if (read_instance_file(inst, "events/header_page", &c->header_page) ||
	    read_instance_file(inst, "events/header_event", &c->header_event)) {
		err_msg("capture: cannot read events/header_page or header_event");
		raw_capture_free(c);
		errno = ENOENT;
		return NULL;
	}
	c->kernel_long_size = header_long_size(&c->header_page);
	snapshot_ftrace_formats(c);
	read_instance_file(NULL, "printk_formats", &c->printk_formats);
	read_instance_file(inst, "trace_clock", &c->trace_clock);

	if (raw_capture_drain(c)) {
		raw_capture_free(c);
		errno = EIO;
		return NULL;
	}
	return c;
}

/* ---- the per-event walk ---- */

static struct tep_handle *build_own_tep(struct raw_capture *c)
{
	struct tep_handle *tep;
	int i;

	tep = tep_alloc();
	if (!tep)
		return NULL;
	tep_set_long_size(tep, sizeof(long));
	tep_set_page_size(tep, c->page_size);
	tep_set_file_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_parse_header_page(tep, c->header_page.data, c->header_page.len, sizeof(long));
	for (i = 0; i < c->nr_ftrace_formats; i++)
		tep_parse_event(tep, c->ftrace_formats[i].data, c->ftrace_formats[i].len, "ftrace");
	for (i = 0; i < c->nr_events; i++) {
		struct cap_event *e = &c->events[i];

		if (e->format.data &&
		    tep_parse_event(tep, e->format.data, e->format.len, e->system))
			warn_msg("capture: cannot parse the format of %s:%s", e->system, e->name);
	}
	if (c->printk_formats.data)
		tep_parse_printk_formats(tep, c->printk_formats.data);
	if (c->cmdlines.data)
		tep_parse_saved_cmdlines(tep, c->cmdlines.data);
	return tep;
}

struct tep_handle *raw_capture_tep(struct raw_capture *c)
{
	if (c->tep)
		return c->tep;
	if (!c->own_tep)
		c->own_tep = build_own_tep(c);
	return c->own_tep;
}

static struct tep_event *find_event(struct raw_capture *c, int id)
{
	struct tep_event *ev = NULL;

	if (c->tep)
		ev = tep_find_event(c->tep, id);
	if (!ev) {
		if (!c->own_tep)
			c->own_tep = build_own_tep(c);
		if (c->own_tep)
			ev = tep_find_event(c->own_tep, id);
	}
	return ev;
}

struct cpu_cursor {
	struct kbuffer *kbuf;
	size_t page;
	void *data; /* current record, NULL when done */
	unsigned long long ts;
	long long missed; /* reported with the page's first record */
};

/* move to the first record at or after the current page */
static void cursor_fill(const struct raw_capture *c, const struct cap_cpu *cc,
			struct cpu_cursor *cur)
{
	while (!cur->data && cur->page < cc->nr_pages) {
		void *page = cc->pages + cur->page * (size_t)c->page_size;

		cur->page++;
		if (kbuffer_load_subbuffer(cur->kbuf, page) < 0)
			continue;
		cur->missed = kbuffer_missed_events(cur->kbuf);
		cur->data = kbuffer_read_event(cur->kbuf, &cur->ts);
	}
}

static void cursor_next(const struct raw_capture *c, const struct cap_cpu *cc,
			struct cpu_cursor *cur)
{
	cur->missed = 0;
	cur->data = kbuffer_next_event(cur->kbuf, &cur->ts);
	if (!cur->data)
		cursor_fill(c, cc, cur);
}

long raw_capture_for_each(struct raw_capture *c, raw_capture_cb cb, void *arg)
{
	struct cpu_cursor *cur;
	long visited = 0;
	int i;

	cur = xcalloc(c->nr_cpus, sizeof(*cur));
	for (i = 0; i < c->nr_cpus; i++) {
		cur[i].kbuf = capture_kbuffer(c);
		if (!cur[i].kbuf) {
			visited = -1;
			goto out;
		}
		cursor_fill(c, &c->cpus[i], &cur[i]);
	}
	for (;;) {
		struct tep_record rec;
		struct tep_event *ev;
		int best = -1;

		for (i = 0; i < c->nr_cpus; i++)
			if (cur[i].data && (best < 0 || cur[i].ts < cur[best].ts))
				best = i;
		if (best < 0)
			break;

		memset(&rec, 0, sizeof(rec));
		rec.ts = cur[best].ts;
		rec.cpu = best;
		rec.data = cur[best].data;
		rec.size = kbuffer_event_size(cur[best].kbuf);
		rec.record_size = kbuffer_curr_size(cur[best].kbuf);
		rec.missed_events = cur[best].missed;
		rec.offset = (cur[best].page - 1) * (unsigned long long)c->page_size +
			     kbuffer_curr_offset(cur[best].kbuf);
		rec.locked = 1;
		ev = find_event(c, *(uint16_t *)rec.data);
		if (ev) {
			visited++;
			if (cb(ev, &rec, best, arg))
				break;
		}
		cursor_next(c, &c->cpus[best], &cur[best]);
	}
out:
	for (i = 0; i < c->nr_cpus; i++)
		if (cur[i].kbuf)
			kbuffer_free(cur[i].kbuf);
	free(cur);
	return visited;
}

uint64_t raw_capture_count(const struct raw_capture *c, const char *system, const char *event)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < c->nr_events; i++) {
		const struct cap_event *e = &c->events[i];

		if (!e->system || strcmp(e->system, system))
			continue;
		if (!event || !strcmp(e->name, event))
			n += e->count;
	}
	return n;
}

const struct raw_capture_stats *raw_capture_get_stats(const struct raw_capture *c)
{
	return &c->stats;
}

/* ---- the trace.dat writer ---- */

struct out {
	FILE *f;
	int err;
};

static void put(struct out *o, const void *p, size_t len)
{
	if (!o->err && len && fwrite(p, 1, len, o->f) != len)
		o->err = errno ? errno : EIO;
}

/* numbers are written in the host's (the traced machine's) endianness */
static void put2(struct out *o, uint16_t v)
{
	put(o, &v, 2);
}

static void put4(struct out *o, uint32_t v)
{
	put(o, &v, 4);
}

static void put8(struct out *o, uint64_t v)
{
	put(o, &v, 8);
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s) + 1);
}

static void put_blob8(struct out *o, const struct blob *b)
{
	put8(o, b->len);
	put(o, b->data, b->len);
}

static void put_blob4(struct out *o, const struct blob *b)
{
	put4(o, b->len);
	put(o, b->data, b->len);
}

static void put_option(struct out *o, uint16_t id, const void *data, uint32_t len)
{
	put2(o, id);
	put4(o, len);
	put(o, data, len);
}

static void put_initial(struct out *o, const struct raw_capture *c)
{
	uint8_t endian = tep_is_bigendian() ? 1 : 0;
	uint8_t lsize = sizeof(long);

	put(o, TRACEDAT_MAGIC, 10);
	put_str(o, TRACEDAT_VERSION);
	put(o, &endian, 1);
	put(o, &lsize, 1);
	put4(o, c->page_size);

	put(o, "header_page", 12);
	put_blob8(o, &c->header_page);
	put(o, "header_event", 13);
	put_blob8(o, &c->header_event);
}

static void put_ftrace_formats(struct out *o, const struct raw_capture *c)
{
	int i;

	put4(o, c->nr_ftrace_formats);
	for (i = 0; i < c->nr_ftrace_formats; i++)
		put_blob8(o, &c->ftrace_formats[i]);
}

static bool writable_event(const struct cap_event *e)
{
	/* ftrace's own events are in the previous section already */
	return e->format.data && strcmp(e->system, "ftrace");
}

/* the formats of the events present, grouped by system */
static void put_event_formats(struct out *o, const struct raw_capture *c)
{
	uint32_t nr_systems = 0;
	int i;
	int j;

	for (i = 0; i < c->nr_events; i++) {
		bool first = writable_event(&c->events[i]);

		for (j = 0; first && j < i; j++)
			if (writable_event(&c->events[j]) &&
			    !strcmp(c->events[j].system, c->events[i].system))
				first = false;
		nr_systems += first;
	}
	put4(o, nr_systems);
	for (i = 0; i < c->nr_events; i++) {
		const struct cap_event *e = &c->events[i];
		bool first = writable_event(e);
		uint32_t n = 0;

		for (j = 0; first && j < i; j++)
			if (writable_event(&c->events[j]) &&
			    !strcmp(c->events[j].system, e->system))
				first = false;
		if (!first)
			continue;
		for (j = i; j < c->nr_events; j++)
			n += writable_event(&c->events[j]) &&
			     !strcmp(c->events[j].system, e->system);
		put_str(o, e->system);
		put4(o, n);
		for (j = i; j < c->nr_events; j++)
			if (writable_event(&c->events[j]) &&
			    !strcmp(c->events[j].system, e->system))
				put_blob8(o, &c->events[j].format);
	}
}

static void put_options(struct out *o, const struct raw_capture *c)
{
	struct utsname u;
	uint32_t ncpus = c->nr_cpus;
	int i;

	put(o, "options  ", 10);
	if (c->trace_clock.data)
		put_option(o, OPT_TRACECLOCK, c->trace_clock.data, c->trace_clock.len + 1);
	if (!uname(&u)) {
		char *s = xasprintf("%s %s %s %s %s", u.sysname, u.nodename, u.release, u.version,
				    u.machine);

		put_option(o, OPT_UNAME, s, strlen(s) + 1);
		free(s);
	}
	put_option(o, OPT_CPUCOUNT, &ncpus, 4);
	for (i = 0; i < c->nr_cpus; i++) {
		const struct blob *st = &c->cpus[i].stats;
		char *s = xasprintf("CPU: %d\n%.*s", c->cpus[i].cpu, (int)st->len,
				    st->data ? st->data : "");

		put_option(o, OPT_CPUSTAT, s, strlen(s) + 1);
		free(s);
	}
	put2(o, OPT_DONE);
}

static int write_tracedat(struct raw_capture *c, FILE *f)
{
	struct blob kallsyms = { 0 };
	struct out o = { .f = f };
	off_t table;
	off_t pos;
	int i;

	put_initial(&o, c);
	put_ftrace_formats(&o, c);
	put_event_formats(&o, c);

	/* kallsyms of the running kernel: lets readers print %pS and symbol fetchargs */
	kallsyms.data = read_file("/proc/kallsyms", &kallsyms.len);
	if (!kallsyms.data)
		warn_msg("capture: /proc/kallsyms unreadable: trace.dat without symbols");
	put_blob4(&o, &kallsyms);
	blob_free(&kallsyms);
	put_blob4(&o, &c->printk_formats);
	put_blob8(&o, &c->cmdlines);

	put4(&o, c->nr_cpus);
	put_options(&o, c);
	put(&o, "flyrecord", 10);
	if (o.err)
		goto fail;

	/* per-CPU offset/size table, filled in once the data is placed */
	table = ftello(f);
	for (i = 0; i < c->nr_cpus; i++) {
		put8(&o, 0);
		put8(&o, 0);
	}
	if (o.err)
		goto fail;
	pos = ftello(f);
	for (i = 0; i < c->nr_cpus; i++) {
		const struct cap_cpu *cc = &c->cpus[i];
		uint64_t size = cc->nr_pages * (uint64_t)c->page_size;
		static const char zero[64];

		/* CPU data starts on a page boundary: readers mmap it page by page */
		while (pos % c->page_size) {
			size_t pad = c->page_size - pos % c->page_size;

			pad = pad > sizeof(zero) ? sizeof(zero) : pad;
			put(&o, zero, pad);
			pos += pad;
		}
		put(&o, cc->pages, size);
		if (o.err || fseeko(f, table + 16 * i, SEEK_SET))
			goto fail;
		put8(&o, pos);
		put8(&o, size);
		pos += size;
		if (o.err || fseeko(f, pos, SEEK_SET))
			goto fail;
	}
	if (fflush(f) || fsync(fileno(f)))
		goto fail;
	return 0;
fail:
	errno = o.err ? o.err : errno;
	return -1;
}

int raw_capture_write_tracedat(struct raw_capture *c, const char *path)
{
	char *tmp = xasprintf("%s.tmp.%d", path, getpid());
	FILE *f;
	int ret;

	f = fopen(tmp, "w");
	if (!f) {
		err_msg("capture: cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	ret = write_tracedat(c, f);
	if (fclose(f) && !ret)
		ret = -1;
	if (!ret && rename(tmp, path))
		ret = -1;
	if (ret) {
		int e = errno;

		err_msg("capture: writing %s: %s", path, strerror(e));
		unlink(tmp);
		errno = e;
	}
	free(tmp);
	return ret;
}

struct json_object *raw_capture_to_json(const struct raw_capture *c, const char *file)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ev = json_object_new_object();
	int i;

	if (file)
		json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "format", json_object_new_string("trace-cmd v6"));
	json_object_object_add(o, "nr_cpus", json_object_new_int(c->stats.nr_cpus));
	json_object_object_add(o, "page_size", json_object_new_int(c->stats.page_size));
	json_object_object_add(o, "pages", json_object_new_int64(c->stats.pages));
	json_object_object_add(o, "bytes", json_object_new_int64(c->stats.bytes));
	json_object_object_add(o, "events", json_object_new_int64(c->stats.events));
	json_object_object_add(o, "unknown_events", json_object_new_int64(c->stats.unknown_events));
	json_object_object_add(o, "missed_events", json_object_new_int64(c->stats.missed_events));
	json_object_object_add(o, "overrun", json_object_new_int64(c->stats.overrun));
	json_object_object_add(o, "read_ns", json_object_new_int64(c->stats.read_ns));
	for (i = 0; i < c->nr_events; i++) {
		const struct cap_event *e = &c->events[i];
		char *key = e->system ? xasprintf("%s:%s", e->system, e->name) :
					xasprintf("id:%d", e->id);

		json_object_object_add(ev, key, json_object_new_int64(e->count));
		free(key);
	}
	json_object_object_add(o, "by_event", ev);
	return o;
}

void raw_capture_free(struct raw_capture *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->nr_cpus; i++) {
		free(c->cpus[i].pages);
		blob_free(&c->cpus[i].stats);
	}
	free(c->cpus);
	for (i = 0; i < c->nr_events; i++) {
		free(c->events[i].system);
		free(c->events[i].name);
		blob_free(&c->events[i].format);
	}
	free(c->events);
	free(c->event_index);
	if (c->all_ids) {
		for (i = 0; i < NR_EVENT_IDS; i++)
			free(c->all_ids[i]);
		free(c->all_ids);
	}
	for (i = 0; i < c->nr_ftrace_formats; i++)
		blob_free(&c->ftrace_formats[i]);
	free(c->ftrace_formats);
	blob_free(&c->header_page);
	blob_free(&c->header_event);
	blob_free(&c->printk_formats);
	blob_free(&c->cmdlines);
	blob_free(&c->trace_clock);
	if (c->own_tep)
		tep_free(c->own_tep);
	free(c);
}
