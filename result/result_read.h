/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Result format, reading side. Strict: anything that does not follow
 * results/README.md is refused with a message naming the file and the
 * field (and the line, for text files); a run written by a newer format
 * version is refused rather than misread. Used by report, compare, plot
 * and by tests that check what a collector wrote.
 */
#ifndef ITSPERF_RESULT_READ_H
#define ITSPERF_RESULT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result/result.h"
#include "result/summary.h"

struct json_object;

struct result_metric {
	char *name;
	char *area;
	char *unit;
	char *source;
	char *desc;
	char *error_bound; /* NULL if not given */
	enum metric_kind kind;
	bool has_value; /* a single value (result_add_value) */
	double value;
	bool has_hist;
	struct hist hist;
	uint64_t *samples; /* sorted ascending; NULL unless loaded */
	size_t nr_samples;
	char *samples_file; /* relative to the run, NULL if none */
	/*
	 * What report prints: from the raw samples when loaded (exact), else
	 * from the histogram; a value metric has count 1 and every quantile
	 * equal to the value.
	 */
	struct summary summary;
};

struct result_data {
	char *dir;
	int format_version;
	bool partial;
	bool in_progress; /* a "<dir>.tmp-<pid>" checkpoint: the writer never finished */
	struct run_meta meta;
	struct result_metric *metrics;
	int nr_metrics;
	struct json_object *sections; /* object, owned by root */
	struct json_object *files;    /* array, owned by root */
	struct json_object *root;
};

enum {
	RESULT_READ_SAMPLES = 1 << 0, /* load and sort raw samples (exact quantiles) */
	RESULT_READ_QUIET = 1 << 1,   /* no err_msg(): the message is only in err */
};

/*
 * Read one run folder. On error returns NULL and, if err is given, the
 * message ("FILE: FIELD: what is wrong" or "FILE:LINE: ...").
 */
struct result_data *result_read(const char *dir, unsigned int flags, char *err, size_t errlen);
void result_free(struct result_data *d);
const struct result_metric *result_find_metric(const struct result_data *d, const char *name);

/*
 * Parse meta.json text (the reader's core, exposed for the fuzz target):
 * dir is used for messages and for sample files (NULL: do not open any).
 */
struct result_data *result_parse_meta(const char *dir, const char *text, size_t len,
				      unsigned int flags, char *err, size_t errlen);
/* parse a samples file's text; returns 0 or -1 with err set */
int result_parse_samples(const char *file, const char *text, size_t len, const char *metric,
			 uint64_t expect, uint64_t **out, size_t *nr, char *err, size_t errlen);

/*
 * The runs under path: path itself if it holds meta.json, else every
 * folder below it that does (sorted by name, unfinished "*.tmp-*" folders
 * skipped with a warning). Returns the number found, -1 on error.
 */
int result_find_runs(const char *path, char ***dirs);
void result_free_list(char **dirs, int n);

#endif
