// SPDX-License-Identifier: GPL-2.0
/*
 * TEMPORARY: weak definitions of the analysis/result.h writing API so that
 * the bpf branch links and its tests can read what a collector wrote
 * before analysis/ lands on main. Every symbol is weak: the real
 * implementation (analysis/result.c) replaces it at link time. Delete this
 * file when merging main with analysis/ in it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <json-c/json.h>

#include "analysis/result.h"
#include "lib/util.h"

#define __weak __attribute__((weak))

struct result_run {
	char *dir;
	char *tmp;
	struct json_object *root;
	struct json_object *metrics;
	struct json_object *sections;
};

__weak void hist_init(struct hist *h, enum hist_type type, int nr_buckets, uint64_t width)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->width = width;
	h->nr_buckets = nr_buckets;
	h->buckets = xcalloc(nr_buckets, sizeof(*h->buckets));
}

__weak void hist_add(struct hist *h, uint64_t v)
{
	uint64_t i = 0;

	if (h->type == HIST_LOG2)
		while (i + 1 < (uint64_t)h->nr_buckets && v >> (i + 1))
			i++;
	else
		i = h->width ? v / h->width : 0;
	if (i >= (uint64_t)h->nr_buckets)
		i = h->nr_buckets - 1;
	h->buckets[i]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
}

__weak void hist_merge(struct hist *dst, const struct hist *src)
{
	int i;

	for (i = 0; i < dst->nr_buckets && i < src->nr_buckets; i++)
		dst->buckets[i] += src->buckets[i];
	if (src->count && (!dst->count || src->min < dst->min))
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
}

__weak void hist_free(struct hist *h)
{
	free(h->buckets);
	h->buckets = NULL;
}

__weak void run_meta_from_host(struct run_meta *m)
{
	struct utsname u;
	char *cmd;

	if (!uname(&u))
		snprintf(m->kernel_release, sizeof(m->kernel_release), "%s", u.release);
	cmd = read_file("/proc/cmdline", NULL);
	if (cmd)
		snprintf(m->kernel_cmdline, sizeof(m->kernel_cmdline), "%s", strim(cmd));
	free(cmd);
	m->nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	gethostname(m->hostname, sizeof(m->hostname) - 1);
}

__weak struct result_run *result_run_begin(const char *dir, const struct run_meta *meta)
{
	struct result_run *r = xcalloc(1, sizeof(*r));
	struct json_object *m = json_object_new_object();

	r->dir = xstrdup(dir);
	r->tmp = xasprintf("%s.tmp-%d", dir, getpid());
	if (mkdir_p(r->tmp, 0755)) {
		err_msg("%s: %s", r->tmp, strerror(errno));
		free(r->dir);
		free(r->tmp);
		free(r);
		return NULL;
	}
	r->root = json_object_new_object();
	r->metrics = json_object_new_array();
	r->sections = json_object_new_object();
	json_object_object_add(m, "label", json_object_new_string(meta->label));
	json_object_object_add(m, "kernel_release", json_object_new_string(meta->kernel_release));
	json_object_object_add(m, "suite", json_object_new_string(meta->suite));
	json_object_object_add(m, "nr_cpus", json_object_new_int(meta->nr_cpus));
	json_object_object_add(m, "duration_s", json_object_new_double(meta->duration_s));
	json_object_object_add(r->root, "format_version",
			       json_object_new_int(RESULT_FORMAT_VERSION));
	json_object_object_add(r->root, "meta", m);
	return r;
}

static struct json_object *desc_json(const struct metric_desc *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "area", json_object_new_string(d->area ? d->area : ""));
	json_object_object_add(o, "unit", json_object_new_string(d->unit ? d->unit : ""));
	json_object_object_add(o, "kind", json_object_new_int(d->kind));
	json_object_object_add(o, "source", json_object_new_string(d->source ? d->source : ""));
	if (d->desc)
		json_object_object_add(o, "desc", json_object_new_string(d->desc));
	if (d->error_bound)
		json_object_object_add(o, "error_bound", json_object_new_string(d->error_bound));
	return o;
}

__weak int result_add_metric(struct result_run *r, const struct metric_desc *d,
			     const struct hist *h, const uint64_t *samples, size_t nr_samples)
{
	struct json_object *o = desc_json(d);
	size_t i;

	if (h) {
		struct json_object *ho = json_object_new_object();
		struct json_object *b = json_object_new_array();
		int j;

		json_object_object_add(
			ho, "type",
			json_object_new_string(h->type == HIST_LOG2 ? "log2" : "linear"));
		json_object_object_add(ho, "width", json_object_new_uint64(h->width));
		json_object_object_add(ho, "count", json_object_new_uint64(h->count));
		json_object_object_add(ho, "min", json_object_new_uint64(h->min));
		json_object_object_add(ho, "max", json_object_new_uint64(h->max));
		json_object_object_add(ho, "sum", json_object_new_double(h->sum));
		for (j = 0; j < h->nr_buckets; j++)
			json_object_array_add(b, json_object_new_uint64(h->buckets[j]));
		json_object_object_add(ho, "buckets", b);
		json_object_object_add(o, "hist", ho);
	}
	if (nr_samples) {
		struct json_object *s = json_object_new_array();

		for (i = 0; i < nr_samples; i++)
			json_object_array_add(s, json_object_new_uint64(samples[i]));
		json_object_object_add(o, "samples", s);
	}
	json_object_array_add(r->metrics, o);
	return 0;
}

__weak int result_add_value(struct result_run *r, const struct metric_desc *d, double value)
{
	struct json_object *o = desc_json(d);

	json_object_object_add(o, "value", json_object_new_double(value));
	json_object_array_add(r->metrics, o);
	return 0;
}

__weak int result_add_section(struct result_run *r, const char *section, struct json_object *obj)
{
	struct json_object *old;

	if (json_object_object_get_ex(r->sections, section, &old)) {
		if (json_object_is_type(old, json_type_object) &&
		    json_object_is_type(obj, json_type_object)) {
			json_object_object_foreach(obj, k, v)
				json_object_object_add(old, k, json_object_get(v));
			json_object_put(obj);
			return 0;
		}
		if (json_object_is_type(old, json_type_array) &&
		    json_object_is_type(obj, json_type_array)) {
			size_t i;

			for (i = 0; i < json_object_array_length(obj); i++)
				json_object_array_add(
					old, json_object_get(json_object_array_get_idx(obj, i)));
			json_object_put(obj);
			return 0;
		}
	}
	json_object_object_add(r->sections, section, obj);
	return 0;
}

__weak int result_add_file(struct result_run *r, const char *name, const char *src_path)
{
	size_t len;
	char *buf = read_file(src_path, &len);
	int err;

	if (!buf)
		return -1;
	err = result_add_file_data(r, name, buf, len);
	free(buf);
	return err;
}

__weak int result_add_file_data(struct result_run *r, const char *name, const void *buf, size_t len)
{
	char *path = xasprintf("%s/%s", r->tmp, name);
	int err = write_file(path, buf, len);

	free(path);
	return err;
}

__weak const char *result_run_dir(const struct result_run *r)
{
	return r->tmp;
}

__weak int result_run_end(struct result_run *r, bool partial)
{
	const char *s;
	char *path;
	int err;

	json_object_object_add(r->root, "partial", json_object_new_boolean(partial));
	json_object_object_add(r->root, "metrics", r->metrics);
	json_object_object_add(r->root, "sections", r->sections);
	s = json_object_to_json_string_ext(r->root, JSON_C_TO_STRING_PLAIN);
	path = xasprintf("%s/run.json", r->tmp);
	err = write_file(path, s, strlen(s));
	free(path);
	if (!err) {
		rm_rf(r->dir);
		err = rename(r->tmp, r->dir);
	}
	json_object_put(r->root);
	free(r->dir);
	free(r->tmp);
	free(r);
	return err;
}

__weak void result_run_abort(struct result_run *r)
{
	rm_rf(r->tmp);
	json_object_put(r->root);
	json_object_put(r->metrics);
	json_object_put(r->sections);
	free(r->dir);
	free(r->tmp);
	free(r);
}
