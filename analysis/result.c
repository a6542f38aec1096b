// SPDX-License-Identifier: GPL-2.0
/*
 * Result format, writing side (analysis/result.h). Layout of a run folder,
 * documented in results/README.md:
 *
 *   meta.json              format_version, partial, meta, metrics, sections, files
 *   samples/<metric>.txt   raw samples, one decimal per line, with a header
 *   files/<name>           attached files (dmesg.txt, trace.dat, ...)
 *
 * Everything goes into "<dir>.tmp-<pid>"; result_run_end() writes meta.json
 * last and renames the folder, so a reader sees a whole run or none.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "analysis/clock.h"
#include "analysis/result.h"
#include "analysis/result_json.h"
#include "analysis/stats.h"
#include "lib/util.h"

#ifndef ITSPERF_VERSION
#define ITSPERF_VERSION "0.1-dev"
#endif

struct result_run {
	char *dir; /* final name */
	char *tmp; /* "<dir>.tmp-<pid>" while writing */
	struct run_meta meta;
	struct json_object *metrics;  /* array */
	struct json_object *names;    /* metric name -> true, duplicate check */
	struct json_object *sections; /* object */
	struct json_object *files;    /* array */
	bool samples_dir;
	bool files_dir;
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

bool result_metric_name_valid(const char *name)
{
	size_t len;
	size_t i;

	if (!name)
		return false;
	len = strlen(name);
	if (!len || len > 200 || name[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '+' || c == '-' || c == '@'))
			return false;
	}
	return true;
}

/* section and attachment names: a plain file name */
static bool plain_name_valid(const char *name)
{
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	return strlen(name) < 200;
}

int run_meta_set_sweep(struct run_meta *m, const char *name, double value)
{
	int i;

	if (!result_metric_name_valid(name) || strlen(name) >= sizeof(m->sweep[0].name))
		return -1;
	for (i = 0; i < m->nr_sweep; i++) {
		if (!strcmp(m->sweep[i].name, name)) {
			m->sweep[i].value = value;
			return 0;
		}
	}
	if (m->nr_sweep >= RUN_MAX_SWEEP)
		return -1;
	snprintf(m->sweep[m->nr_sweep].name, sizeof(m->sweep[0].name), "%s", name);
	m->sweep[m->nr_sweep].value = value;
	m->nr_sweep++;
	return 0;
}

/* ---- histograms ---- */

void hist_init(struct hist *h, enum hist_type type, int nr_buckets, uint64_t width)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	if (nr_buckets <= 0)
		nr_buckets = type == HIST_LOG2 ? 64 : 100;
	if (type == HIST_LOG2 && nr_buckets > 64)
		nr_buckets = 64;
	h->nr_buckets = nr_buckets;
	h->width = type == HIST_LINEAR ? (width ? width : 1) : 0;
	h->buckets = xcalloc(nr_buckets, sizeof(*h->buckets));
	h->min = UINT64_MAX;
}

static int hist_bucket_of(const struct hist *h, uint64_t v)
{
	uint64_t i;

	if (h->type == HIST_LOG2)
		i = v < 2 ? 0 : 63 - __builtin_clzll(v);
	else
		i = v / h->width;
	/* the last bucket also holds everything above it: max stays exact */
	return i >= (uint64_t)h->nr_buckets ? h->nr_buckets - 1 : (int)i;
}

uint64_t hist_bucket_lo(const struct hist *h, int i)
{
	if (h->type == HIST_LOG2)
		return i == 0 ? 0 : 1ull << i;
	return (uint64_t)i * h->width;
}

uint64_t hist_bucket_hi(const struct hist *h, int i)
{
	if (h->type == HIST_LOG2)
		return i >= 63 ? UINT64_MAX : 1ull << (i + 1);
	return (uint64_t)(i + 1) * h->width;
}

void hist_add(struct hist *h, uint64_t v)
{
	h->buckets[hist_bucket_of(h, v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* re-bucket a histogram in log2 (each bucket by its lower bound): exact for log2 */
static void hist_to_log2(struct hist *h)
{
	struct hist l;
	int i;

	hist_init(&l, HIST_LOG2, 64, 0);
	for (i = 0; i < h->nr_buckets; i++)
		l.buckets[hist_bucket_of(&l, hist_bucket_lo(h, i))] += h->buckets[i];
	l.count = h->count;
	l.min = h->min;
	l.max = h->max;
	l.sum = h->sum;
	hist_free(h);
	*h = l;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	int i;

	if (!src->count)
		return;
	/*
	 * An empty destination takes the source's layout: a run that saw no
	 * event of a metric writes an empty log2 histogram whatever layout the
	 * collector uses when it has data.
	 */
	if (!dst->buckets || !dst->nr_buckets || !dst->count) {
		hist_free(dst);
		hist_init(dst, src->type, src->nr_buckets, src->width);
	}
	if (dst->type != src->type || dst->width != src->width) {
		/*
		 * A collector keeps the finer linear layout for a run whose values
		 * all fit it, log2 otherwise (bpf_emit_hist()): runs of one metric
		 * can differ. Pool them in log2, which holds any value.
		 */
		if (dst->type != HIST_LOG2)
			hist_to_log2(dst);
		for (i = 0; i < src->nr_buckets; i++)
			dst->buckets[hist_bucket_of(dst, hist_bucket_lo(src, i))] +=
				src->buckets[i];
	} else {
		if (src->nr_buckets > dst->nr_buckets) {
			dst->buckets =
				xrealloc(dst->buckets, src->nr_buckets * sizeof(*dst->buckets));
			memset(dst->buckets + dst->nr_buckets, 0,
			       (src->nr_buckets - dst->nr_buckets) * sizeof(*dst->buckets));
			dst->nr_buckets = src->nr_buckets;
		}
		for (i = 0; i < src->nr_buckets; i++)
			dst->buckets[i] += src->buckets[i];
	}
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

void hist_free(struct hist *h)
{
	free(h->buckets);
	h->buckets = NULL;
	h->nr_buckets = 0;
}

/* ---- JSON encoding shared with the reader ---- */

struct json_object *hist_to_json(const struct hist *h)
{
	struct json_object *o = json_object_new_object();
	struct json_object *b = json_object_new_array();
	int i;

	json_object_object_add(o, "type",
			       json_object_new_string(h->type == HIST_LOG2 ? "log2" : "linear"));
	if (h->type == HIST_LINEAR)
		json_object_object_add(o, "width", json_object_new_uint64(h->width));
	json_object_object_add(o, "nr_buckets", json_object_new_int(h->nr_buckets));
	json_object_object_add(o, "count", json_object_new_uint64(h->count));
	json_object_object_add(o, "min", json_object_new_uint64(h->count ? h->min : 0));
	json_object_object_add(o, "max", json_object_new_uint64(h->max));
	json_object_object_add(o, "sum", json_object_new_double(h->sum));
	/* sparse: [index, count] for non-empty buckets only */
	for (i = 0; i < h->nr_buckets; i++) {
		struct json_object *pair;

		if (!h->buckets[i])
			continue;
		pair = json_object_new_array_ext(2);
		json_object_array_add(pair, json_object_new_int(i));
		json_object_array_add(pair, json_object_new_uint64(h->buckets[i]));
		json_object_array_add(b, pair);
	}
	json_object_object_add(o, "buckets", b);
	return o;
}

/* NaN/inf are not JSON: they are written as null */
static struct json_object *json_num(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

struct json_object *summary_to_json(const struct summary *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_uint64(s->count));
	json_object_object_add(o, "min", json_num(s->min));
	json_object_object_add(o, "p50", json_num(s->p50));
	json_object_object_add(o, "p90", json_num(s->p90));
	json_object_object_add(o, "p99", json_num(s->p99));
	json_object_object_add(o, "p99_9", json_num(s->p999));
	json_object_object_add(o, "max", json_num(s->max));
	json_object_object_add(o, "mean", json_num(s->mean));
	json_object_object_add(o, "stddev", json_num(s->stddev));
	json_object_object_add(o, "exact", json_object_new_boolean(s->exact));
	return o;
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s ? s : ""));
}

struct json_object *run_meta_to_json(const struct run_meta *m)
{
	struct json_object *o = json_object_new_object();
	struct json_object *sw = json_object_new_object();
	time_t t = m->start_ns / 1000000000ull;
	char when[64] = "";
	struct tm tm;
	int i;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	add_str(o, "label", m->label);
	add_str(o, "kernel_release", m->kernel_release);
	add_str(o, "kernel_version", m->kernel_version);
	add_str(o, "kernel_cmdline", m->kernel_cmdline);
	add_str(o, "arch", m->arch);
	add_str(o, "pkvm_mode", m->pkvm_mode);
	json_object_object_add(o, "gic_version", json_object_new_int(m->gic_version));
	json_object_object_add(o, "its_count", json_object_new_int(m->its_count));
	add_str(o, "cpu_model", m->cpu_model);
	json_object_object_add(o, "nr_cpus", json_object_new_int(m->nr_cpus));
	json_object_object_add(o, "emulated", json_object_new_boolean(m->emulated));
	add_str(o, "suite", m->suite);
	json_object_object_add(o, "run_index", json_object_new_int(m->run_index));
	json_object_object_add(o, "start_ns", json_object_new_uint64(m->start_ns));
	add_str(o, "start_time", when);
	json_object_object_add(o, "duration_s", json_object_new_double(m->duration_s));
	add_str(o, "hostname", m->hostname);
	add_str(o, "tool_version", m->tool_version);
	json_object_object_add(o, "offered_rate", json_object_new_double(m->offered_rate));
	for (i = 0; i < m->nr_sweep && i < RUN_MAX_SWEEP; i++)
		json_object_object_add(sw, m->sweep[i].name,
				       json_object_new_double(m->sweep[i].value));
	json_object_object_add(o, "sweep", sw);
	add_str(o, "detect_notes", m->detect_notes);
	json_object_object_add(o, "clock", run_clock_to_json(m));
	return o;
}

/* ---- run folder ---- */

static bool dir_empty(const char *path)
{
	char *sub = xasprintf("%s/meta.json", path);
	bool empty;

	/* an existing folder without meta.json may be a mount point or a share: allow it */
	empty = !path_exists(sub);
	free(sub);
	return empty;
}

static int write_meta(struct result_run *r, const char *path, bool partial, bool in_progress)
{
	struct json_object *top = json_object_new_object();
	const char *s;
	int ret;

	json_object_object_add(top, "format_version", json_object_new_int(RESULT_FORMAT_VERSION));
	json_object_object_add(top, "tool", json_object_new_string("itsperf"));
	json_object_object_add(top, "partial", json_object_new_boolean(partial));
	if (in_progress)
		json_object_object_add(top, "in_progress", json_object_new_boolean(true));
	json_object_object_add(top, "meta", run_meta_to_json(&r->meta));
	json_object_object_add(top, "metrics", json_object_get(r->metrics));
	json_object_object_add(top, "sections", json_object_get(r->sections));
	json_object_object_add(top, "files", json_object_get(r->files));
	s = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = write_file_atomic(path, s, strlen(s));
	json_object_put(top);
	return ret;
}

static int checkpoint(struct result_run *r)
{
	char *path = xasprintf("%s/meta.json", r->tmp);
	int ret;

	ret = write_meta(r, path, true, true);
	if (ret)
		err_msg("%s: %s", path, strerror(errno));
	free(path);
	return ret;
}

struct result_run *result_run_begin(const char *dir, const struct run_meta *meta)
{
	struct result_run *r;
	char *parent;
	char *slash;

	if (!dir || !*dir || !meta) {
		err_msg("result_run_begin: no result directory");
		return NULL;
	}
	if (path_exists(dir) && !dir_empty(dir)) {
		err_msg("%s: a result run already exists there, not overwriting it", dir);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->dir = xstrdup(dir);
	/* strip trailing slashes so that the rename target is the folder itself */
	while (strlen(r->dir) > 1 && r->dir[strlen(r->dir) - 1] == '/')
		r->dir[strlen(r->dir) - 1] = '\0';
	r->tmp = xasprintf("%s.tmp-%d", r->dir, (int)getpid());
	r->meta = *meta;
	if (!r->meta.tool_version[0])
		snprintf(r->meta.tool_version, sizeof(r->meta.tool_version), "%s", ITSPERF_VERSION);
	if (!r->meta.start_ns)
		r->meta.start_ns = wall_ns();
	parent = xstrdup(r->dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir_p(parent, 0755)) {
			err_msg("%s: %s", parent, strerror(errno));
			free(parent);
			goto fail;
		}
	}
	free(parent);
	rm_rf(r->tmp);
	if (mkdir(r->tmp, 0755)) {
		err_msg("%s: %s", r->tmp, strerror(errno));
		goto fail;
	}
	r->metrics = json_object_new_array();
	r->names = json_object_new_object();
	r->sections = json_object_new_object();
	r->files = json_object_new_array();
	/* a crash leaves "<dir>.tmp-<pid>" with this: readable by hand, marked partial */
	if (checkpoint(r)) {
		result_run_abort(r);
		return NULL;
	}
	return r;
fail:
	free(r->tmp);
	free(r->dir);
	free(r);
	return NULL;
}

const char *result_run_dir(const struct result_run *r)
{
	return r->tmp;
}

static int ensure_subdir(struct result_run *r, const char *name, bool *done)
{
	char *path;
	int ret = 0;

	if (*done)
		return 0;
	path = xasprintf("%s/%s", r->tmp, name);
	if (mkdir(path, 0755) && errno != EEXIST) {
		err_msg("%s: %s", path, strerror(errno));
		ret = -1;
	}
	free(path);
	if (!ret)
		*done = true;
	return ret;
}

/* u64 to decimal, backwards; returns the length */
static int u64_dec(char *end, uint64_t v)
{
	char *p = end;

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	return end - p;
}

static int write_samples(struct result_run *r, const char *name, const char *unit,
			 const uint64_t *v, size_t n, char **relpath)
{
	const size_t bufsz = 1 << 16;
	char *path;
	char *buf;
	size_t len;
	size_t i;
	int fd;

	if (ensure_subdir(r, "samples", &r->samples_dir))
		return -1;
	*relpath = xasprintf("samples/%s.txt", name);
	path = xasprintf("%s/%s", r->tmp, *relpath);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	buf = xmalloc(bufsz);
	len = snprintf(buf, bufsz, "# itsperf samples %d\n# metric %s\n# unit %s\n# count %zu\n",
		       RESULT_FORMAT_VERSION, name, unit, n);
	for (i = 0; i < n; i++) {
		char num[24];
		int l = u64_dec(num + sizeof(num), v[i]);

		if (len + l + 1 > bufsz) {
			if (write(fd, buf, len) != (ssize_t)len)
				goto fail_write;
			len = 0;
		}
		memcpy(buf + len, num + sizeof(num) - l, l);
		len += l;
		buf[len++] = '\n';
	}
	if ((len && write(fd, buf, len) != (ssize_t)len) || fsync(fd))
		goto fail_write;
	free(buf);
	if (close(fd))
		goto fail;
	free(path);
	return 0;
fail_write:
	if (!errno)
		errno = EIO;
	free(buf);
	close(fd);
fail:
	err_msg("%s: %s", path, strerror(errno));
	free(path);
	free(*relpath);
	*relpath = NULL;
	return -1;
}

static struct json_object *metric_json(const struct metric_desc *d)
{
	struct json_object *m = json_object_new_object();

	add_str(m, "name", d->name);
	add_str(m, "area", d->area);
	add_str(m, "unit", d->unit);
	add_str(m, "kind", metric_kind_name(d->kind));
	add_str(m, "direction", metric_kind_direction(d->kind));
	add_str(m, "source", d->source);
	add_str(m, "desc", d->desc);
	if (d->error_bound)
		add_str(m, "error_bound", d->error_bound);
	return m;
}

static int check_desc(struct result_run *r, const struct metric_desc *d)
{
	if (!r || !d) {
		err_msg("result: no run or no metric description");
		return -1;
	}
	if (!result_metric_name_valid(d->name)) {
		err_msg("result: invalid metric name '%s' (allowed: [A-Za-z0-9_.:+@-], 1..200 chars)",
			d->name ? d->name : "(null)");
		return -1;
	}
	if (!d->unit || !*d->unit || !d->area || !*d->area) {
		err_msg("result: metric '%s' needs an area and a unit", d->name);
		return -1;
	}
	if (json_object_object_get_ex(r->names, d->name, NULL)) {
		err_msg("result: metric '%s' added twice", d->name);
		return -1;
	}
	return 0;
}

/*
 * Metric names are unique in a run. Two collectors measuring the same
 * thing (cmd_latency.total.MOVI from bpf and from ftrace) both keep their
 * numbers: the first writer has the plain name, a later one from another
 * source gets "NAME:SOURCE" (itsperf run and record start the bpf
 * collectors before ftrace, so the plain name is BPF's). The same source
 * writing a name twice is a bug and is refused by check_desc().
 */
static const struct metric_desc *disambiguate(struct result_run *r, const struct metric_desc *d,
					      struct metric_desc *tmp, char *buf, size_t len)
{
	struct json_object *prev;

	if (!r || !d || !d->name || !d->source || !*d->source ||
	    !json_object_object_get_ex(r->names, d->name, &prev) ||
	    !strcmp(json_object_get_string(prev), d->source))
		return d;
	snprintf(buf, len, "%s:%s", d->name, d->source);
	*tmp = *d;
	tmp->name = buf;
	return tmp;
}

int result_add_metric(struct result_run *r, const struct metric_desc *d, const struct hist *h,
		      const uint64_t *samples, size_t nr_samples)
{
	struct metric_desc tmp;
	struct json_object *m;
	struct summary s;
	char name[256];
	char *rel = NULL;

	d = disambiguate(r, d, &tmp, name, sizeof(name));
	if (check_desc(r, d))
		return -1;
	if (!h && (!samples || !nr_samples)) {
		/* an empty distribution is still a result: nothing happened */
		struct hist empty;

		hist_init(&empty, HIST_LOG2, 64, 0);
		m = metric_json(d);
		json_object_object_add(m, "hist", hist_to_json(&empty));
		summary_from_hist(&s, &empty);
		json_object_object_add(m, "summary", summary_to_json(&s));
		hist_free(&empty);
		goto add;
	}
	if (h && (h->nr_buckets <= 0 || !h->buckets ||
		  (h->type != HIST_LOG2 && h->type != HIST_LINEAR) ||
		  (h->type == HIST_LINEAR && !h->width))) {
		err_msg("result: metric '%s': histogram not initialised (hist_init)", d->name);
		return -1;
	}
	m = metric_json(d);
	if (h)
		json_object_object_add(m, "hist", hist_to_json(h));
	if (samples && nr_samples) {
		struct json_object *so = json_object_new_object();
		uint64_t *sorted;

		if (write_samples(r, d->name, d->unit, samples, nr_samples, &rel)) {
			json_object_put(so);
			json_object_put(m);
			return -1;
		}
		json_object_object_add(so, "file", json_object_new_string(rel));
		json_object_object_add(so, "count", json_object_new_uint64(nr_samples));
		json_object_object_add(m, "samples", so);
		free(rel);
		sorted = xmalloc(nr_samples * sizeof(*sorted));
		memcpy(sorted, samples, nr_samples * sizeof(*sorted));
		sort_u64(sorted, nr_samples);
		summary_from_sorted_u64(&s, sorted, nr_samples);
		free(sorted);
	} else {
		summary_from_hist(&s, h);
	}
	json_object_object_add(m, "summary", summary_to_json(&s));
add:
	json_object_array_add(r->metrics, m);
	json_object_object_add(r->names, d->name,
			       json_object_new_string(d->source ? d->source : ""));
	return 0;
}

bool result_has_metric(const struct result_run *r, const char *name)
{
	return r && name && json_object_object_get_ex(r->names, name, NULL);
}

int result_add_value(struct result_run *r, const struct metric_desc *d, double value)
{
	struct metric_desc tmp;
	struct json_object *m;
	char name[256];

	d = disambiguate(r, d, &tmp, name, sizeof(name));
	if (check_desc(r, d))
		return -1;
	if (!isfinite(value)) {
		err_msg("result: metric '%s': value is not a finite number", d->name);
		return -1;
	}
	m = metric_json(d);
	json_object_object_add(m, "value", json_object_new_double(value));
	json_object_array_add(r->metrics, m);
	json_object_object_add(r->names, d->name,
			       json_object_new_string(d->source ? d->source : ""));
	return 0;
}

/* objects merge key by key (recursively), arrays append; anything else is a conflict */
static int json_merge(struct json_object *dst, struct json_object *src, const char *where)
{
	if (json_object_is_type(dst, json_type_array) &&
	    json_object_is_type(src, json_type_array)) {
		size_t i;

		for (i = 0; i < json_object_array_length(src); i++)
			json_object_array_add(dst,
					      json_object_get(json_object_array_get_idx(src, i)));
		return 0;
	}
	if (json_object_is_type(dst, json_type_object) &&
	    json_object_is_type(src, json_type_object)) {
		json_object_object_foreach(src, key, val)
		{
			struct json_object *old;

			if (json_object_object_get_ex(dst, key, &old) && old && val &&
			    json_object_get_type(old) == json_object_get_type(val) &&
			    (json_object_is_type(old, json_type_object) ||
			     json_object_is_type(old, json_type_array))) {
				if (json_merge(old, val, where))
					return -1;
				continue;
			}
			json_object_object_add(dst, key, json_object_get(val));
		}
		return 0;
	}
	err_msg("result: section '%s': cannot merge a %s into a %s", where,
		json_type_to_name(json_object_get_type(src)),
		json_type_to_name(json_object_get_type(dst)));
	return -1;
}

int result_add_section(struct result_run *r, const char *section, struct json_object *obj)
{
	struct json_object *old;
	int ret = 0;

	if (!r || !plain_name_valid(section) || !obj) {
		err_msg("result: invalid section '%s'", section ? section : "(null)");
		json_object_put(obj);
		return -1;
	}
	if (!json_object_is_type(obj, json_type_object) &&
	    !json_object_is_type(obj, json_type_array)) {
		err_msg("result: section '%s' must be a JSON object or array", section);
		json_object_put(obj);
		return -1;
	}
	if (json_object_object_get_ex(r->sections, section, &old)) {
		ret = json_merge(old, obj, section);
		json_object_put(obj);
		return ret;
	}
	json_object_object_add(r->sections, section, obj);
	return 0;
}

static bool file_listed(struct result_run *r, const char *name)
{
	size_t i;

	for (i = 0; i < json_object_array_length(r->files); i++) {
		struct json_object *f = json_object_array_get_idx(r->files, i);
		struct json_object *n;

		if (json_object_object_get_ex(f, "name", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return true;
	}
	return false;
}

static int list_file(struct result_run *r, const char *name, size_t size)
{
	struct json_object *f = json_object_new_object();
	char *rel = xasprintf("files/%s", name);

	json_object_object_add(f, "name", json_object_new_string(name));
	json_object_object_add(f, "path", json_object_new_string(rel));
	json_object_object_add(f, "size", json_object_new_uint64(size));
	json_object_array_add(r->files, f);
	free(rel);
	return 0;
}

static int check_file_name(struct result_run *r, const char *name)
{
	if (!r || !plain_name_valid(name)) {
		err_msg("result: invalid attachment name '%s'", name ? name : "(null)");
		return -1;
	}
	if (file_listed(r, name)) {
		err_msg("result: attachment '%s' added twice", name);
		return -1;
	}
	return ensure_subdir(r, "files", &r->files_dir);
}

int result_add_file_data(struct result_run *r, const char *name, const void *buf, size_t len)
{
	char *path;

	if (check_file_name(r, name))
		return -1;
	path = xasprintf("%s/files/%s", r->tmp, name);
	if (write_file(path, buf, len)) {
		err_msg("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return list_file(r, name, len);
}

int result_add_file(struct result_run *r, const char *name, const char *src_path)
{
	char buf[65536];
	size_t total = 0;
	char *path;
	ssize_t n;
	int in;
	int out;

	if (check_file_name(r, name))
		return -1;
	in = open(src_path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err_msg("%s: %s", src_path, strerror(errno));
		return -1;
	}
	path = xasprintf("%s/files/%s", r->tmp, name);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		goto fail;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (write(out, buf, n) != n)
			goto fail;
		total += n;
	}
	close(in);
	if (close(out)) {
		in = -1;
		out = -1;
		goto fail;
	}
	free(path);
	return list_file(r, name, total);
fail:
	err_msg("copying %s to %s: %s", src_path, path, strerror(errno ? errno : EIO));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	unlink(path);
	free(path);
	return -1;
}

static void fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
}

static void free_run(struct result_run *r)
{
	json_object_put(r->metrics);
	json_object_put(r->names);
	json_object_put(r->sections);
	json_object_put(r->files);
	free(r->tmp);
	free(r->dir);
	free(r);
}

int result_run_end(struct result_run *r, bool partial)
{
	char *path;
	char *parent;
	char *slash;
	int ret;

	if (!r)
		return -1;
	if (r->meta.duration_s <= 0 && r->meta.start_ns)
		r->meta.duration_s = (wall_ns() - r->meta.start_ns) / 1e9;
	path = xasprintf("%s/meta.json", r->tmp);
	ret = write_meta(r, path, partial, false);
	if (ret) {
		err_msg("%s: %s (the run stays in %s)", path, strerror(errno), r->tmp);
		free(path);
		free_run(r);
		return -1;
	}
	free(path);
	fsync_dir(r->tmp);
	/* an empty folder prepared by the caller (or a share) is replaced */
	if (path_exists(r->dir))
		rmdir(r->dir);
	if (rename(r->tmp, r->dir)) {
		err_msg("renaming %s to %s: %s (the run stays in %s)", r->tmp, r->dir,
			strerror(errno), r->tmp);
		free_run(r);
		return -1;
	}
	parent = xstrdup(r->dir);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	fsync_dir(slash ? parent : ".");
	free(parent);
	if (partial)
		warn_msg("%s: run is partial (cut short), kept what was measured", r->dir);
	free_run(r);
	return 0;
}

void result_run_abort(struct result_run *r)
{
	if (!r)
		return;
	rm_rf(r->tmp);
	free_run(r);
}
