// SPDX-License-Identifier: GPL-2.0
/*
 * Result format, reading side: strict parsing of meta.json and the sample
 * files. Every refusal names the file and the field (or line); nothing in
 * a malformed file may crash the reader (tests/fuzz_result.c hammers it).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "result/result.h"
#include "result/result_read.h"
#include "lib/util.h"

#ifndef ITSPERF_VERSION
#define ITSPERF_VERSION "0.1-dev"
#endif

/* a sanity bound on histogram sizes: a corrupt file must not make us allocate gigabytes */
#define MAX_BUCKETS (1 << 20)

struct rctx {
	const char *file; /* for messages */
	char *err;
	size_t errlen;
	bool failed;
};

static void __printf(2, 3) fail(struct rctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
}

static const char *type_name(struct json_object *o)
{
	return o ? json_type_to_name(json_object_get_type(o)) : "null";
}

/* 0: found with the right type; 1: absent and optional; -1: error */
static int field(struct rctx *c, struct json_object *o, const char *path, const char *key,
		 json_type type, bool required, struct json_object **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (!required)
			return 1;
		fail(c, "%s%s%s: missing", path, *path ? "." : "", key);
		return -1;
	}
	/* numbers: an integer is a valid double */
	if (json_object_get_type(v) != type &&
	    !(type == json_type_double && json_object_is_type(v, json_type_int))) {
		fail(c, "%s%s%s: expected %s, found %s", path, *path ? "." : "", key,
		     json_type_to_name(type), type_name(v));
		return -1;
	}
	*out = v;
	return 0;
}

static int get_str(struct rctx *c, struct json_object *o, const char *path, const char *key,
		   bool required, char **out)
{
	struct json_object *v;
	int r = field(c, o, path, key, json_type_string, required, &v);

	*out = r == 0 ? xstrdup(json_object_get_string(v)) : NULL;
	return r < 0 ? -1 : 0;
}

static int get_str_buf(struct rctx *c, struct json_object *o, const char *path, const char *key,
		       bool required, char *buf, size_t size)
{
	struct json_object *v;
	int r = field(c, o, path, key, json_type_string, required, &v);
	size_t len;

	if (r)
		return r < 0 ? -1 : 0;
	len = json_object_get_string_len(v);
	if (len >= size) {
		fail(c, "%s.%s: longer than %zu characters", path, key, size - 1);
		return -1;
	}
	memcpy(buf, json_object_get_string(v), len);
	buf[len] = '\0';
	return 0;
}

static int get_u64(struct rctx *c, struct json_object *o, const char *path, const char *key,
		   bool required, uint64_t *out)
{
	struct json_object *v;
	int r = field(c, o, path, key, json_type_int, required, &v);

	if (r)
		return r < 0 ? -1 : 0;
	if (json_object_get_int64(v) < 0) {
		fail(c, "%s.%s: negative", path, key);
		return -1;
	}
	*out = json_object_get_uint64(v);
	return 0;
}

static int get_int(struct rctx *c, struct json_object *o, const char *path, const char *key,
		   bool required, int lo, int hi, int *out)
{
	struct json_object *v;
	int r = field(c, o, path, key, json_type_int, required, &v);
	int64_t x;

	if (r)
		return r < 0 ? -1 : 0;
	x = json_object_get_int64(v);
	if (x < lo || x > hi) {
		fail(c, "%s.%s: %lld out of range [%d, %d]", path, key, (long long)x, lo, hi);
		return -1;
	}
	*out = (int)x;
	return 0;
}

static int get_dbl(struct rctx *c, struct json_object *o, const char *path, const char *key,
		   bool required, double *out)
{
	struct json_object *v;
	int r = field(c, o, path, key, json_type_double, required, &v);
	double x;

	if (r)
		return r < 0 ? -1 : 0;
	x = json_object_get_double(v);
	if (!isfinite(x)) {
		fail(c, "%s.%s: not a finite number", path, key);
		return -1;
	}
	*out = x;
	return 0;
}

static int get_bool(struct rctx *c, struct json_object *o, const char *path, const char *key,
		    bool required, bool *out)
{
	struct json_object *v;
	int r = field(c, o, path, key, json_type_boolean, required, &v);

	if (r)
		return r < 0 ? -1 : 0;
	*out = json_object_get_boolean(v);
	return 0;
}

static int parse_meta_clock(struct rctx *c, struct json_object *o, struct run_meta *m)
{
	struct json_object *clk = NULL;
	char err[128];

	json_object_object_get_ex(o, "clock", &clk);
	if (run_clock_from_json(m, clk, err, sizeof(err))) {
		fail(c, "%s", err);
		return -1;
	}
	return 0;
}

static int parse_meta_obj(struct rctx *c, struct json_object *o, struct run_meta *m)
{
	struct json_object *sw;
	uint64_t start = 0;
	const char *p = "meta";

	if (get_str_buf(c, o, p, "label", true, m->label, sizeof(m->label)) ||
	    get_str_buf(c, o, p, "kernel_release", true, m->kernel_release,
			sizeof(m->kernel_release)) ||
	    get_str_buf(c, o, p, "kernel_version", false, m->kernel_version,
			sizeof(m->kernel_version)) ||
	    get_str_buf(c, o, p, "kernel_cmdline", false, m->kernel_cmdline,
			sizeof(m->kernel_cmdline)) ||
	    get_str_buf(c, o, p, "arch", false, m->arch, sizeof(m->arch)) ||
	    get_str_buf(c, o, p, "pkvm_mode", false, m->pkvm_mode, sizeof(m->pkvm_mode)) ||
	    get_int(c, o, p, "gic_version", false, 0, 9, &m->gic_version) ||
	    get_int(c, o, p, "its_count", false, 0, 1 << 16, &m->its_count) ||
	    get_str_buf(c, o, p, "cpu_model", false, m->cpu_model, sizeof(m->cpu_model)) ||
	    get_int(c, o, p, "nr_cpus", false, 0, 1 << 20, &m->nr_cpus) ||
	    get_bool(c, o, p, "emulated", false, &m->emulated) ||
	    get_str_buf(c, o, p, "suite", false, m->suite, sizeof(m->suite)) ||
	    get_int(c, o, p, "run_index", false, -1, 1 << 30, &m->run_index) ||
	    get_u64(c, o, p, "start_ns", false, &start) ||
	    get_dbl(c, o, p, "duration_s", false, &m->duration_s) ||
	    get_str_buf(c, o, p, "hostname", false, m->hostname, sizeof(m->hostname)) ||
	    get_str_buf(c, o, p, "tool_version", false, m->tool_version, sizeof(m->tool_version)) ||
	    get_dbl(c, o, p, "offered_rate", false, &m->offered_rate) ||
	    get_str_buf(c, o, p, "detect_notes", false, m->detect_notes, sizeof(m->detect_notes)) ||
	    field(c, o, p, "sweep", json_type_object, false, &sw) < 0)
		return -1;
	m->start_ns = start;
	if (parse_meta_clock(c, o, m))
		return -1;
	if (!m->label[0]) {
		fail(c, "meta.label: empty (every run needs a label, e.g. the patch revision)");
		return -1;
	}
	if (m->offered_rate < 0) {
		fail(c, "meta.offered_rate: negative");
		return -1;
	}
	if (!sw)
		return 0;
	json_object_object_foreach(sw, key, val)
	{
		double x;

		if (!json_object_is_type(val, json_type_double) &&
		    !json_object_is_type(val, json_type_int)) {
			fail(c, "meta.sweep.%s: expected a number, found %s", key, type_name(val));
			return -1;
		}
		x = json_object_get_double(val);
		if (!isfinite(x) || run_meta_set_sweep(m, key, x)) {
			fail(c,
			     "meta.sweep.%s: invalid name or value, or more than %d swept variables",
			     key, RUN_MAX_SWEEP);
			return -1;
		}
	}
	return 0;
}

static int parse_hist(struct rctx *c, struct json_object *o, const char *path, struct hist *h)
{
	struct json_object *b;
	char *type = NULL;
	uint64_t total = 0;
	uint64_t width = 0;
	int nr = 0;
	int prev = -1;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (get_str(c, o, path, "type", true, &type) ||
	    get_int(c, o, path, "nr_buckets", true, 1, MAX_BUCKETS, &nr))
		goto fail;
	if (!strcmp(type, "log2")) {
		if (nr > 64) {
			fail(c, "%s.nr_buckets: %d, a log2 histogram has at most 64", path, nr);
			goto fail;
		}
		hist_init(h, HIST_LOG2, nr, 0);
	} else if (!strcmp(type, "linear")) {
		if (get_u64(c, o, path, "width", true, &width))
			goto fail;
		if (!width) {
			fail(c, "%s.width: must be > 0", path);
			goto fail;
		}
		hist_init(h, HIST_LINEAR, nr, width);
	} else {
		fail(c, "%s.type: '%s', expected \"log2\" or \"linear\"", path, type);
		goto fail;
	}
	free(type);
	type = NULL;
	if (get_u64(c, o, path, "count", true, &h->count) ||
	    get_u64(c, o, path, "min", true, &h->min) ||
	    get_u64(c, o, path, "max", true, &h->max) ||
	    get_dbl(c, o, path, "sum", true, &h->sum) ||
	    field(c, o, path, "buckets", json_type_array, true, &b))
		goto fail;
	if (h->count && h->min > h->max) {
		fail(c, "%s: min %llu > max %llu", path, (unsigned long long)h->min,
		     (unsigned long long)h->max);
		goto fail;
	}
	for (i = 0; i < json_object_array_length(b); i++) {
		struct json_object *pair = json_object_array_get_idx(b, i);
		struct json_object *ji;
		struct json_object *jc;
		int64_t idx;
		int64_t cnt;

		if (!json_object_is_type(pair, json_type_array) ||
		    json_object_array_length(pair) != 2 ||
		    !json_object_is_type(ji = json_object_array_get_idx(pair, 0), json_type_int) ||
		    !json_object_is_type(jc = json_object_array_get_idx(pair, 1), json_type_int)) {
			fail(c, "%s.buckets[%zu]: expected [index, count]", path, i);
			goto fail;
		}
		idx = json_object_get_int64(ji);
		cnt = json_object_get_int64(jc);
		if (idx < 0 || idx >= nr || idx <= prev) {
			fail(c, "%s.buckets[%zu]: index %lld not increasing or outside [0, %d)",
			     path, i, (long long)idx, nr);
			goto fail;
		}
		if (cnt <= 0) {
			fail(c, "%s.buckets[%zu]: count must be > 0", path, i);
			goto fail;
		}
		prev = (int)idx;
		h->buckets[idx] = json_object_get_uint64(jc);
		if (total + h->buckets[idx] < total) {
			fail(c, "%s.buckets[%zu]: counts overflow", path, i);
			goto fail;
		}
		total += h->buckets[idx];
	}
	if (total != h->count) {
		fail(c, "%s: buckets hold %llu values but count is %llu", path,
		     (unsigned long long)total, (unsigned long long)h->count);
		goto fail;
	}
	if (!h->count)
		h->min = UINT64_MAX;
	return 0;
fail:
	free(type);
	hist_free(h);
	return -1;
}

static uint64_t count_lines(const char *text, size_t len)
{
	uint64_t n = 1;
	size_t i;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* one header line "# key value"; returns a pointer after the line or NULL */
static const char *header_line(struct rctx *c, const char *p, const char *end, int line,
			       const char *key, char *val, size_t vlen)
{
	const char *nl = memchr(p, '\n', end - p);
	size_t klen = strlen(key);
	size_t l;

	if (!nl) {
		fail(c, "line %d: truncated header (expected '# %s ...')", line, key);
		return NULL;
	}
	if ((size_t)(nl - p) < klen + 3 || p[0] != '#' || p[1] != ' ' || memcmp(p + 2, key, klen) ||
	    p[2 + klen] != ' ') {
		fail(c, "line %d: expected '# %s ...'", line, key);
		return NULL;
	}
	p += klen + 3;
	l = nl - p;
	if (l >= vlen || !l) {
		fail(c, "line %d: '%s' value empty or too long", line, key);
		return NULL;
	}
	memcpy(val, p, l);
	val[l] = '\0';
	return nl + 1;
}

int result_parse_samples(const char *file, const char *text, size_t len, const char *metric,
			 uint64_t expect, uint64_t **out, size_t *nr, char *err, size_t errlen)
{
	struct rctx c = { .file = file, .err = err, .errlen = errlen };
	const char *end = text + len;
	const char *p = text;
	uint64_t count = 0;
	uint64_t *v = NULL;
	char val[256];
	size_t n = 0;
	int line = 1;
	int version;

	*out = NULL;
	*nr = 0;
	if (!len) {
		fail(&c, "empty file");
		return -1;
	}
	if (!(p = header_line(&c, p, end, line++, "itsperf samples", val, sizeof(val))))
		return -1;
	version = atoi(val);
	if (version > RESULT_FORMAT_VERSION || version < 1 ||
	    strspn(val, "0123456789") != strlen(val)) {
		fail(&c, "line 1: samples format version '%s', this itsperf reads 1..%d%s", val,
		     RESULT_FORMAT_VERSION,
		     version > RESULT_FORMAT_VERSION ? " (written by a newer itsperf)" : "");
		return -1;
	}
	if (!(p = header_line(&c, p, end, line++, "metric", val, sizeof(val))))
		return -1;
	if (metric && strcmp(val, metric)) {
		fail(&c, "line 2: samples of '%s', expected '%s'", val, metric);
		return -1;
	}
	if (!(p = header_line(&c, p, end, line++, "unit", val, sizeof(val))) ||
	    !(p = header_line(&c, p, end, line++, "count", val, sizeof(val))))
		return -1;
	if (parse_u64(val, &count) || strspn(val, "0123456789") != strlen(val)) {
		fail(&c, "line 4: count '%s' is not a number", val);
		return -1;
	}
	if (expect != UINT64_MAX && count != expect) {
		fail(&c, "line 4: count %llu, meta.json says %llu", (unsigned long long)count,
		     (unsigned long long)expect);
		return -1;
	}
	/* the count must be plausible for the size before we allocate for it */
	if (count > (uint64_t)(end - p) / 2) {
		fail(&c, "line 4: count %llu but only %zu bytes of samples follow (truncated?)",
		     (unsigned long long)count, (size_t)(end - p));
		return -1;
	}
	v = xmalloc((count ? count : 1) * sizeof(*v));
	while (p < end) {
		uint64_t x = 0;
		int digits = 0;

		while (p < end && *p >= '0' && *p <= '9') {
			unsigned int d = *p - '0';

			if (x > (UINT64_MAX - d) / 10) {
				fail(&c, "line %d: number does not fit in 64 bits", line);
				goto fail;
			}
			x = x * 10 + d;
			p++;
			digits++;
		}
		if (!digits || p >= end || *p != '\n') {
			fail(&c, "line %d: expected a decimal number and a newline%s", line,
			     p >= end ? " (file truncated)" : "");
			goto fail;
		}
		p++;
		if (n >= count) {
			fail(&c, "line %d: more samples than the count %llu in the header", line,
			     (unsigned long long)count);
			goto fail;
		}
		v[n++] = x;
		line++;
	}
	if (n != count) {
		fail(&c, "line %d: %zu samples, the header says %llu (truncated?)", line, n,
		     (unsigned long long)count);
		goto fail;
	}
	*out = v;
	*nr = n;
	return 0;
fail:
	free(v);
	return -1;
}

static int load_samples(struct rctx *c, const char *dir, struct result_metric *m, uint64_t expect)
{
	char *path = xasprintf("%s/%s", dir, m->samples_file);
	char *text;
	size_t len;
	int ret;

	text = read_file(path, &len);
	if (!text) {
		fail(c, "metrics '%s': samples file %s: %s", m->name, path, strerror(errno));
		free(path);
		return -1;
	}
	ret = result_parse_samples(path, text, len, m->name, expect, &m->samples, &m->nr_samples,
				   c->err, c->errlen);
	if (ret)
		c->failed = true; /* the message names the samples file */
	free(text);
	free(path);
	if (ret)
		return -1;
	sort_u64(m->samples, m->nr_samples);
	return 0;
}

static bool rel_path_ok(const char *rel, const char *prefix)
{
	return str_starts(rel, prefix) && !strstr(rel, "..") &&
	       !strchr(rel + strlen(prefix), '/') && strlen(rel) > strlen(prefix);
}

static int parse_metric(struct rctx *c, struct json_object *o, const char *path, const char *dir,
			unsigned int flags, struct result_metric *m)
{
	struct json_object *jv;
	struct json_object *jh;
	struct json_object *js;
	struct json_object *jsum;
	char *kind = NULL;
	char *dirn = NULL;
	uint64_t scount = 0;
	int ret = -1;

	if (!json_object_is_type(o, json_type_object)) {
		fail(c, "%s: expected object, found %s", path, type_name(o));
		return -1;
	}
	if (get_str(c, o, path, "name", true, &m->name) ||
	    get_str(c, o, path, "area", true, &m->area) ||
	    get_str(c, o, path, "unit", true, &m->unit) ||
	    get_str(c, o, path, "kind", true, &kind) ||
	    get_str(c, o, path, "direction", true, &dirn) ||
	    get_str(c, o, path, "source", false, &m->source) ||
	    get_str(c, o, path, "desc", false, &m->desc) ||
	    get_str(c, o, path, "error_bound", false, &m->error_bound))
		goto out;
	if (!result_metric_name_valid(m->name)) {
		fail(c, "%s.name: '%s' is not a valid metric name", path, m->name);
		goto out;
	}
	if (!*m->area || !*m->unit) {
		fail(c, "%s (%s): area and unit must not be empty", path, m->name);
		goto out;
	}
	if (!strcmp(kind, "latency")) {
		m->kind = METRIC_LATENCY;
	} else if (!strcmp(kind, "throughput")) {
		m->kind = METRIC_THROUGHPUT;
	} else if (!strcmp(kind, "count")) {
		m->kind = METRIC_COUNT;
	} else {
		fail(c, "%s.kind: '%s', expected latency, throughput or count", path, kind);
		goto out;
	}
	if (strcmp(dirn, metric_kind_direction(m->kind))) {
		fail(c, "%s.direction: '%s' contradicts kind '%s' (expected '%s')", path, dirn,
		     kind, metric_kind_direction(m->kind));
		goto out;
	}
	if (field(c, o, path, "value", json_type_double, false, &jv) < 0 ||
	    field(c, o, path, "hist", json_type_object, false, &jh) < 0 ||
	    field(c, o, path, "samples", json_type_object, false, &js) < 0 ||
	    field(c, o, path, "summary", json_type_object, false, &jsum) < 0)
		goto out;
	if (!jv && !jh && !js) {
		fail(c, "%s (%s): needs a value, a hist or samples", path, m->name);
		goto out;
	}
	if (jv && (jh || js)) {
		fail(c, "%s (%s): a value metric cannot also have a hist or samples", path,
		     m->name);
		goto out;
	}
	if (jv) {
		m->has_value = true;
		m->value = json_object_get_double(jv);
		if (!isfinite(m->value)) {
			fail(c, "%s.value: not a finite number", path);
			goto out;
		}
	}
	if (jh) {
		char *hp = xasprintf("%s.hist", path);
		int r = parse_hist(c, jh, hp, &m->hist);

		free(hp);
		if (r)
			goto out;
		m->has_hist = true;
	}
	if (js) {
		char *sp = xasprintf("%s.samples", path);

		if (get_str(c, js, sp, "file", true, &m->samples_file) ||
		    get_u64(c, js, sp, "count", true, &scount)) {
			free(sp);
			goto out;
		}
		if (!rel_path_ok(m->samples_file, "samples/")) {
			fail(c, "%s.file: '%s' is not a file under samples/", sp, m->samples_file);
			free(sp);
			goto out;
		}
		free(sp);
		if (m->has_hist && m->hist.count != scount) {
			fail(c, "%s (%s): hist.count %llu != samples.count %llu", path, m->name,
			     (unsigned long long)m->hist.count, (unsigned long long)scount);
			goto out;
		}
		if (dir && (flags & RESULT_READ_SAMPLES) && load_samples(c, dir, m, scount))
			goto out;
	}
	if (jsum) {
		uint64_t sc = 0;
		char *sp = xasprintf("%s.summary", path);
		int r = get_u64(c, jsum, sp, "count", true, &sc);

		free(sp);
		if (r)
			goto out;
		if ((js && sc != scount) || (!js && jh && sc != m->hist.count)) {
			fail(c, "%s (%s): summary.count %llu disagrees with the data", path,
			     m->name, (unsigned long long)sc);
			goto out;
		}
	}
	if (m->samples)
		summary_from_sorted_u64(&m->summary, m->samples, m->nr_samples);
	else if (m->has_hist)
		summary_from_hist(&m->summary, &m->hist);
	else if (m->has_value)
		m->summary = (struct summary){ .count = 1,
					       .min = m->value,
					       .p50 = m->value,
					       .p90 = m->value,
					       .p99 = m->value,
					       .p999 = m->value,
					       .max = m->value,
					       .mean = m->value,
					       .stddev = 0,
					       .exact = true };
	else
		/* samples listed but not loaded, no hist: only the count is known */
		m->summary = (struct summary){ .count = scount,
					       .min = NAN,
					       .p50 = NAN,
					       .p90 = NAN,
					       .p99 = NAN,
					       .p999 = NAN,
					       .max = NAN,
					       .mean = NAN,
					       .stddev = NAN };
	ret = 0;
out:
	free(kind);
	free(dirn);
	return ret;
}

static void metric_free(struct result_metric *m)
{
	free(m->name);
	free(m->area);
	free(m->unit);
	free(m->source);
	free(m->desc);
	free(m->error_bound);
	free(m->samples_file);
	free(m->samples);
	hist_free(&m->hist);
}

void result_free(struct result_data *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < d->nr_metrics; i++)
		metric_free(&d->metrics[i]);
	free(d->metrics);
	json_object_put(d->root);
	free(d->dir);
	free(d);
}

static int check_files(struct rctx *c, struct result_data *d, const char *dir)
{
	size_t i;

	for (i = 0; i < json_object_array_length(d->files); i++) {
		struct json_object *f = json_object_array_get_idx(d->files, i);
		char p[32];
		char *name = NULL;
		char *rel = NULL;
		uint64_t size = 0;
		struct stat st;
		char *path;
		int ret = 0;

		snprintf(p, sizeof(p), "files[%zu]", i);
		if (!json_object_is_type(f, json_type_object)) {
			fail(c, "%s: expected object, found %s", p, type_name(f));
			return -1;
		}
		if (get_str(c, f, p, "name", true, &name) || get_str(c, f, p, "path", true, &rel) ||
		    get_u64(c, f, p, "size", true, &size)) {
			free(name);
			free(rel);
			return -1;
		}
		if (!rel_path_ok(rel, "files/")) {
			fail(c, "%s.path: '%s' is not a file under files/", p, rel);
			ret = -1;
		} else if (dir) {
			path = xasprintf("%s/%s", dir, rel);
			if (stat(path, &st)) {
				fail(c, "%s: attached file %s: %s", p, path, strerror(errno));
				ret = -1;
			} else if ((uint64_t)st.st_size != size) {
				fail(c,
				     "%s: attached file %s has %lld bytes, meta.json says %llu (truncated?)",
				     p, path, (long long)st.st_size, (unsigned long long)size);
				ret = -1;
			}
			free(path);
		}
		free(name);
		free(rel);
		if (ret)
			return -1;
	}
	return 0;
}

static struct json_object *parse_json(struct rctx *c, const char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	if (!len) {
		fail(c, "empty file");
		return NULL;
	}
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || e != json_tokener_success) {
		json_object_put(o);
		if (e == json_tokener_continue)
			fail(c, "line %llu: unexpected end of file (truncated?)",
			     (unsigned long long)count_lines(text, len));
		else
			fail(c, "line %llu: JSON syntax error: %s",
			     (unsigned long long)count_lines(text, end < len ? end : len),
			     json_tokener_error_desc(e));
		return NULL;
	}
	for (; end < len; end++) {
		if (text[end] != ' ' && text[end] != '\n' && text[end] != '\t' &&
		    text[end] != '\r') {
			fail(c, "line %llu: trailing data after the JSON object",
			     (unsigned long long)count_lines(text, end));
			json_object_put(o);
			return NULL;
		}
	}
	if (!json_object_is_type(o, json_type_object)) {
		fail(c, "top level: expected object, found %s", type_name(o));
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct result_data *result_parse_meta(const char *dir, const char *text, size_t len,
				      unsigned int flags, char *err, size_t errlen)
{
	char *file = xasprintf("%s/meta.json", dir ? dir : ".");
	struct rctx c = { .file = file, .err = err, .errlen = errlen };
	struct json_object *metrics;
	struct json_object *jm;
	struct result_data *d;
	char *tool = NULL;
	int i;

	d = xcalloc(1, sizeof(*d));
	d->dir = xstrdup(dir ? dir : ".");
	d->root = parse_json(&c, text, len);
	if (!d->root)
		goto fail;
	if (get_int(&c, d->root, "", "format_version", true, INT32_MIN, INT32_MAX,
		    &d->format_version))
		goto fail;
	if (d->format_version > RESULT_FORMAT_VERSION) {
		fail(&c,
		     "format_version %d is newer than this itsperf (%s) reads (up to %d): update itsperf",
		     d->format_version, ITSPERF_VERSION, RESULT_FORMAT_VERSION);
		goto fail;
	}
	if (d->format_version < 1) {
		fail(&c, "format_version %d: invalid (the first version is 1)", d->format_version);
		goto fail;
	}
	if (get_str(&c, d->root, "", "tool", true, &tool))
		goto fail;
	if (strcmp(tool, "itsperf")) {
		fail(&c, "tool: '%s', expected \"itsperf\"", tool);
		goto fail;
	}
	if (get_bool(&c, d->root, "", "partial", true, &d->partial) ||
	    get_bool(&c, d->root, "", "in_progress", false, &d->in_progress) ||
	    field(&c, d->root, "", "meta", json_type_object, true, &jm) ||
	    parse_meta_obj(&c, jm, &d->meta) ||
	    field(&c, d->root, "", "metrics", json_type_array, true, &metrics) ||
	    field(&c, d->root, "", "sections", json_type_object, true, &d->sections) ||
	    field(&c, d->root, "", "files", json_type_array, true, &d->files))
		goto fail;
	if (d->in_progress)
		d->partial = true;
	d->nr_metrics = json_object_array_length(metrics);
	d->metrics = xcalloc(d->nr_metrics, sizeof(*d->metrics));
	for (i = 0; i < d->nr_metrics; i++) {
		char path[32];
		int j;

		snprintf(path, sizeof(path), "metrics[%d]", i);
		if (parse_metric(&c, json_object_array_get_idx(metrics, i), path, dir, flags,
				 &d->metrics[i])) {
			d->nr_metrics = i + 1; /* free what was parsed */
			goto fail;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(d->metrics[j].name, d->metrics[i].name)) {
				fail(&c, "%s.name: '%s' appears twice", path, d->metrics[i].name);
				d->nr_metrics = i + 1;
				goto fail;
			}
		}
	}
	if (check_files(&c, d, dir))
		goto fail;
	free(tool);
	free(file);
	return d;
fail:
	if (!c.failed)
		fail(&c, "invalid");
	free(tool);
	free(file);
	result_free(d);
	return NULL;
}

struct result_data *result_read(const char *dir, unsigned int flags, char *err, size_t errlen)
{
	char ebuf[768];
	struct result_data *d;
	char *path;
	char *text;
	size_t len;

	path = xasprintf("%s/meta.json", dir);
	text = read_file(path, &len);
	if (!text) {
		snprintf(ebuf, sizeof(ebuf), "%s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (not a result run)" : "");
		d = NULL;
		goto out;
	}
	ebuf[0] = '\0';
	d = result_parse_meta(dir, text, len, flags, ebuf, sizeof(ebuf));
	free(text);
	if (d && d->in_progress && !(flags & RESULT_READ_QUIET))
		warn_msg("%s: the writer never finished this run (crashed?): read as partial", dir);
out:
	if (!d) {
		if (!(flags & RESULT_READ_QUIET))
			err_msg("%s", ebuf);
		if (err && errlen)
			snprintf(err, errlen, "%s", ebuf);
	}
	free(path);
	return d;
}

const struct result_metric *result_find_metric(const struct result_data *d, const char *name)
{
	int i;

	for (i = 0; i < d->nr_metrics; i++)
		if (!strcmp(d->metrics[i].name, name))
			return &d->metrics[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(char ***dirs, int *n, const char *path)
{
	*dirs = xrealloc(*dirs, (*n + 1) * sizeof(**dirs));
	(*dirs)[(*n)++] = xstrdup(path);
}

static int find_runs(const char *path, char ***dirs, int *n, int depth)
{
	struct dirent **list;
	char *meta;
	int nr;
	int i;

	meta = xasprintf("%s/meta.json", path);
	if (path_exists(meta)) {
		free(meta);
		add_dir(dirs, n, path);
		return 0;
	}
	free(meta);
	if (depth > 6)
		return 0;
	nr = scandir(path, &list, NULL, versionsort);
	if (nr < 0)
		return depth ? 0 : -1;
	for (i = 0; i < nr; i++) {
		const char *name = list[i]->d_name;
		struct stat st;
		char *sub;

		if (name[0] == '.') {
			free(list[i]);
			continue;
		}
		sub = xasprintf("%s/%s", path, name);
		if (!stat(sub, &st) && S_ISDIR(st.st_mode)) {
			if (strstr(name, ".tmp-"))
				warn_msg(
					"%s: an unfinished run (writer crashed or still running), skipped",
					sub);
			else
				find_runs(sub, dirs, n, depth + 1);
		}
		free(sub);
		free(list[i]);
	}
	free(list);
	return 0;
}

int result_find_runs(const char *path, char ***dirs)
{
	char *p = xstrdup(path);
	int n = 0;

	while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	*dirs = NULL;
	if (find_runs(p, dirs, &n, 0)) {
		err_msg("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	/* scandir sorted each level; keep the overall order stable too */
	if (n > 1)
		qsort(*dirs, n, sizeof(**dirs), cmp_str);
	return n;
}

void result_free_list(char **dirs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
}
