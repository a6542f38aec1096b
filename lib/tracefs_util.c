// SPDX-License-Identifier: GPL-2.0
/*
 * tracefs helpers shared by the ftrace collector, `itsperf probes`,
 * boot-collect and the hypervisor-event reader.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kbuffer.h>
#include <tracefs.h>

#include "lib/util.h"
#include "lib/tracefs_util.h"

static struct tfs_features features;
static bool features_done;

static bool readme_has(const char *readme, const char *s)
{
	return readme && strstr(readme, s);
}

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (list && (p = strstr(p, word))) {
		bool start = p == list || isspace((unsigned char)p[-1]) || p[-1] == '[';
		bool end = !p[n] || isspace((unsigned char)p[n]) || p[n] == ']';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

const struct tfs_features *tfs_features(void)
{
	char *tracers;
	char *readme;
	char *path;
	int fd;

	if (features_done)
		return &features;
	features_done = true;
	/* libtracefs mounts tracefs (or uses debugfs/tracing) when it can */
	features.dir = tracefs_tracing_dir();
	if (!features.dir)
		return &features;
	features.tracefs = true;
	features.instances = tracefs_dir_exists(NULL, "instances");
	features.kprobe_events = tracefs_file_exists(NULL, "kprobe_events");
	features.synthetic_events = tracefs_file_exists(NULL, "synthetic_events");
	readme = tracefs_instance_file_read(NULL, "README", NULL);
	features.hist_triggers = readme_has(readme, "hist:keys=");
	free(readme);
	tracers = tracefs_instance_file_read(NULL, "available_tracers", NULL);
	features.function_tracer = word_in(tracers, "function");
	features.function_graph = word_in(tracers, "function_graph");
	free(tracers);
	path = tracefs_get_tracing_file("available_filter_functions");
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		char c;

		features.filter_functions = read(fd, &c, 1) == 1;
		close(fd);
	}
	tracefs_put_tracing_file(path);
	return &features;
}

char *tfs_instance_name(pid_t pid, const char *tag)
{
	if (tag && *tag)
		return xasprintf(ITSPERF_INSTANCE_PREFIX "%d-%s", (int)pid, tag);
	return xasprintf(ITSPERF_INSTANCE_PREFIX "%d", (int)pid);
}

static pid_t parse_pid(const char *s, const char *end)
{
	long v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 0x3fffffff)
			return -1;
	}
	return v > 0 ? (pid_t)v : -1;
}

pid_t tfs_instance_pid(const char *name)
{
	const char *p;
	const char *e;

	if (!str_starts(name, ITSPERF_INSTANCE_PREFIX))
		return -1;
	p = name + strlen(ITSPERF_INSTANCE_PREFIX);
	e = strchr(p, '-');
	return parse_pid(p, e ? e : p + strlen(p));
}

/* "<name>_<pid>" for kprobe events, "itsperf_<name>_<pid>" for synthetic ones */
pid_t tfs_event_pid(const char *name)
{
	const char *us = strrchr(name, '_');

	if (!us)
		return -1;
	return parse_pid(us + 1, us + strlen(us));
}

/* ---- removal ---- */

/* a trigger line as read back, made suitable for "!<trigger>" */
static void trigger_strip(char *line)
{
	static const char *const sfx[] = { " [active]", " [paused]" };
	size_t n = strlen(line);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sfx); i++) {
		size_t k = strlen(sfx[i]);

		if (n >= k && !strcmp(line + n - k, sfx[i])) {
			line[n - k] = '\0';
			return;
		}
	}
}

/*
 * One pass over an event's trigger file: try to remove each trigger.
 * Returns the number still present after the pass, -1 if unreadable.
 */
static int clear_triggers_pass(struct tracefs_instance *inst, const char *system, const char *event,
			       int *removed)
{
	char *text = tracefs_event_file_read(inst, system, event, "trigger", NULL);
	char *save = NULL;
	int left = 0;
	char *line;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cmd;

		if (line[0] == '#' || !*strim(line))
			continue;
		trigger_strip(line);
		cmd = xasprintf("!%s", line);
		if (tracefs_event_file_append(inst, system, event, "trigger", cmd) < 0)
			left++;
		else
			(*removed)++;
		free(cmd);
	}
	free(text);
	return left;
}

int tfs_clear_triggers(struct tracefs_instance *inst, const char *system, const char *event)
{
	int removed = 0;
	int pass;
	int left;

	for (pass = 0; pass < 4; pass++) {
		left = clear_triggers_pass(inst, system, event, &removed);
		if (left <= 0)
			return left < 0 ? -1 : removed;
	}
	return -1;
}

/*
 * Clear the triggers of every event of some systems in one instance,
 * repeating passes: a hist trigger whose variables another trigger (on
 * another event) references can only go once that one has gone.
 */
static int clear_systems_triggers(struct tracefs_instance *inst, const char *const *systems)
{
	const char *dir = tfs_features()->dir;
	int removed = 0;
	int pass;
	int left = 0;

	for (pass = 0; pass < 8; pass++) {
		const char *const *sys;

		left = 0;
		for (sys = systems; *sys; sys++) {
			char **events = tracefs_system_events(dir, *sys);
			int i;

			for (i = 0; events && events[i]; i++) {
				int l = clear_triggers_pass(inst, *sys, events[i], &removed);

				left += l > 0 ? l : 0;
			}
			tracefs_list_free(events);
		}
		if (!left)
			break;
	}
	return left ? -1 : removed;
}

static const char *const own_systems[] = { ITSPERF_EVENT_GROUP, "synthetic", NULL };

static int remove_instance_named(const char *name)
{
	struct tracefs_instance *inst = tracefs_instance_alloc(NULL, name);
	int ret = 0;

	if (!inst)
		return -1;
	tracefs_trace_off(inst);
	tracefs_event_disable(inst, NULL, NULL);
	if (clear_systems_triggers(inst, own_systems) < 0)
		ret = -1;
	if (tracefs_instance_destroy(inst)) {
		warn_msg("cannot remove tracefs instance %s: %s", name, strerror(errno));
		ret = -1;
	}
	tracefs_instance_free(inst);
	return ret;
}

struct dynev {
	char kind; /* 'p', 'r', 's' */
	char group[64];
	char name[128];
};

/* dynamic_events lines: "p:grp/name ...", "r10:grp/name ...", "s:synthetic/name\t..." */
static int parse_dynevents(struct dynev **out)
{
	char *text = tracefs_instance_file_read(NULL, "dynamic_events", NULL);
	char *save = NULL;
	struct dynev *v = NULL;
	char *line;
	int n = 0;

	*out = NULL;
	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		char *slash;
		char *end;

		if (!colon)
			continue;
		slash = strchr(colon, '/');
		if (!slash)
			continue;
		end = slash + strcspn(slash, " \t");
		*end = '\0';
		*slash = '\0';
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n].kind = line[0];
		snprintf(v[n].group, sizeof(v[n].group), "%s", colon + 1);
		snprintf(v[n].name, sizeof(v[n].name), "%s", slash + 1);
		n++;
	}
	free(text);
	*out = v;
	return n;
}

static int remove_dynevent(const struct dynev *d)
{
	char *cmd = xasprintf("-:%s/%s", d->group, d->name);
	int ret;

	/* not enabled or triggered anywhere we know of: top level last */
	tracefs_event_disable(NULL, d->group, d->name);
	tfs_clear_triggers(NULL, d->group, d->name);
	ret = tracefs_instance_file_append(NULL, "dynamic_events", cmd) < 0 ? -1 : 0;
	if (ret)
		warn_msg("cannot remove dynamic event %s/%s: %s", d->group, d->name,
			 strerror(errno));
	free(cmd);
	return ret;
}

static bool dynevent_of(const struct dynev *d, pid_t pid)
{
	if (d->kind == 's')
		return str_starts(d->name, ITSPERF_SYNTH_PREFIX) && tfs_event_pid(d->name) == pid;
	return !strcmp(d->group, ITSPERF_EVENT_GROUP) && tfs_event_pid(d->name) == pid;
}

static int remove_run_dynevents(pid_t pid, int *count)
{
	struct dynev *v;
	int failed = 0;
	int pass;
	int n;
	int i;

	n = parse_dynevents(&v);
	/* synthetic events first: the triggers that feed them sit on kprobe events */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if ((v[i].kind == 's') != (pass == 0) || !dynevent_of(&v[i], pid))
				continue;
			if (remove_dynevent(&v[i]))
				failed++;
			else
				(*count)++;
		}
	}
	free(v);
	return failed ? -1 : 0;
}

int tfs_remove_run(pid_t pid)
{
	char **names;
	int count = 0;
	int failed = 0;
	int i;

	if (!tfs_features()->tracefs)
		return 0;
	names = tracefs_instances(NULL);
	for (i = 0; names && names[i]; i++) {
		if (tfs_instance_pid(names[i]) != pid)
			continue;
		if (remove_instance_named(names[i]))
			failed++;
		else
			count++;
	}
	tracefs_list_free(names);
	if (remove_run_dynevents(pid, &count))
		failed++;
	return failed ? -1 : count;
}

static bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

static void add_pid(pid_t **pids, int *n, pid_t pid)
{
	int i;

	for (i = 0; i < *n; i++)
		if ((*pids)[i] == pid)
			return;
	*pids = xrealloc(*pids, (*n + 1) * sizeof(**pids));
	(*pids)[(*n)++] = pid;
}

int tfs_cleanup_leftovers(struct tfs_leftovers *out)
{
	struct tfs_leftovers lo = { 0 };
	pid_t *dead = NULL;
	struct dynev *v;
	char **names;
	int nr_dead = 0;
	int n;
	int i;

	if (!tfs_features()->tracefs)
		goto out;
	names = tracefs_instances(NULL);
	for (i = 0; names && names[i]; i++) {
		pid_t pid = tfs_instance_pid(names[i]);

		if (pid > 0 && !pid_alive(pid)) {
			add_pid(&dead, &nr_dead, pid);
			lo.instances++;
		}
	}
	tracefs_list_free(names);
	n = parse_dynevents(&v);
	for (i = 0; i < n; i++) {
		pid_t pid = -1;

		if (v[i].kind == 's' && str_starts(v[i].name, ITSPERF_SYNTH_PREFIX))
			pid = tfs_event_pid(v[i].name);
		else if (v[i].kind != 's' && !strcmp(v[i].group, ITSPERF_EVENT_GROUP))
			pid = tfs_event_pid(v[i].name);
		if (pid > 0 && !pid_alive(pid)) {
			add_pid(&dead, &nr_dead, pid);
			lo.dynevents++;
		}
	}
	free(v);
	for (i = 0; i < nr_dead; i++) {
		info_msg("removing what itsperf run %d left behind (instance, dynamic events, "
			 "triggers)",
			 (int)dead[i]);
		if (tfs_remove_run(dead[i]) < 0)
			lo.failed++;
	}
	lo.runs = nr_dead;
	free(dead);
out:
	if (out)
		*out = lo;
	return lo.failed ? -1 : 0;
}

/* ---- own instance ---- */

static pid_t own_cleanup_pid;

static void own_run_cleanup(void *arg __unused)
{
	/* a forked child inherits the cleanup stack: only the creator cleans */
	if (getpid() != own_cleanup_pid)
		return;
	tfs_remove_run(own_cleanup_pid);
}

struct tracefs_instance *tfs_instance_create_own(const char *tag)
{
	struct tracefs_instance *inst;
	char *name;

	if (!tfs_features()->tracefs) {
		err_msg("tracefs is not mounted and cannot be mounted");
		return NULL;
	}
	if (!tfs_features()->instances) {
		err_msg("this kernel's tracefs has no instances/");
		return NULL;
	}
	if (own_cleanup_pid != getpid()) {
		own_cleanup_pid = getpid();
		cleanup_push(own_run_cleanup, NULL, "tracefs instance and dynamic events");
	}
	name = tfs_instance_name(getpid(), tag);
	inst = tracefs_instance_create(name);
	if (inst && !tracefs_instance_is_new(inst)) {
		/* same pid as a crashed run: not ours to reuse */
		remove_instance_named(name);
		tracefs_instance_free(inst);
		inst = tracefs_instance_create(name);
	}
	if (!inst)
		err_msg("cannot create tracefs instance %s: %s", name, strerror(errno));
	free(name);
	return inst;
}

void tfs_instance_remove(struct tracefs_instance *inst)
{
	if (!inst)
		return;
	remove_instance_named(tracefs_instance_get_name(inst));
	tracefs_instance_free(inst);
}

/* ---- stats ---- */

static uint64_t stat_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

int tfs_buffer_stats(struct tracefs_instance *inst, struct tfs_buffer_stats *st)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	long cpu;

	memset(st, 0, sizeof(*st));
	for (cpu = 0; cpu < ncpu; cpu++) {
		char *file = xasprintf("per_cpu/cpu%ld/stats", cpu);
		char *text = tracefs_instance_file_read(inst, file, NULL);

		free(file);
		if (!text)
			continue;
		st->entries += stat_field(text, "entries: ");
		st->overrun += stat_field(text, "\noverrun: ");
		st->commit_overrun += stat_field(text, "commit overrun: ");
		st->dropped += stat_field(text, "dropped events: ");
		st->read += stat_field(text, "read events: ");
		st->nr_cpus++;
		free(text);
	}
	return st->nr_cpus ? 0 : -1;
}

int tfs_kprobe_profile(const char *event, uint64_t *hits, uint64_t *misses)
{
	char *text = tracefs_instance_file_read(NULL, "kprobe_profile", NULL);
	char *save = NULL;
	char *line;
	int ret = -1;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[160];
		unsigned long long h;
		unsigned long long m;

		if (sscanf(line, " %159s %llu %llu", name, &h, &m) != 3 || strcmp(name, event))
			continue;
		*hits = h;
		*misses = m;
		ret = 0;
		break;
	}
	free(text);
	return ret;
}

/* ---- available_filter_functions, loaded once ---- */

static char **filter_funcs;
static size_t nr_filter_funcs;
static bool filter_funcs_loaded;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_filter_functions(void)
{
	char *path = tracefs_get_tracing_file("available_filter_functions");
	size_t cap = 0;
	char *text;
	char *save = NULL;
	char *line;

	filter_funcs_loaded = true;
	text = path ? read_file(path, NULL) : NULL;
	tracefs_put_tracing_file(path);
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, " \t")] = '\0';
		if (nr_filter_funcs == cap) {
			cap = cap ? cap * 2 : 65536;
			filter_funcs = xrealloc(filter_funcs, cap * sizeof(*filter_funcs));
		}
		filter_funcs[nr_filter_funcs++] = line;
	}
	qsort(filter_funcs, nr_filter_funcs, sizeof(*filter_funcs), cmp_str);
	/* text stays allocated: the list points into it */
}

bool tfs_function_traceable(const char *sym)
{
	if (!filter_funcs_loaded)
		load_filter_functions();
	return nr_filter_funcs &&
	       bsearch(&sym, filter_funcs, nr_filter_funcs, sizeof(*filter_funcs), cmp_str);
}

/*
 * libtracefs 1.6.4's tracefs_local_events_system() builds the handle from a
 * readdir of events/<system>/, and on the 6.1 and 6.12 guests (eventfs) that
 * readdir was seen to leave out existing events now and then (the boot-time
 * itsperf_boot/deprivilege_window and its _ret, about one run in eight):
 * their records then read as unknown events and are silently skipped. So
 * the directory is listed once more here, and callers that know which
 * events they need ask for them by name (tfs_tep_ensure()).
 */
static void tep_complete(struct tep_handle *tep, const char *system)
{
	char *dir = xasprintf("%s/events/%s", tfs_features()->dir, system);
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		char *path;
		char *fmt;
		size_t len = 0;

		if (de->d_name[0] == '.' || tep_find_event_by_name(tep, system, de->d_name))
			continue;
		path = xasprintf("%s/%s/format", dir, de->d_name);
		fmt = read_file(path, &len);
		if (fmt && len && !tep_parse_event(tep, fmt, len, system))
			debug_msg("tracefs: %s/%s was missing from libtracefs' handle: added",
				  system, de->d_name);
		free(fmt);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

struct tep_event *tfs_tep_ensure(struct tep_handle *tep, const char *system, const char *event)
{
	struct tep_event *ev = tep_find_event_by_name(tep, system, event);
	char *path;
	char *fmt;
	size_t len = 0;

	if (ev)
		return ev;
	path = xasprintf("%s/events/%s/%s/format", tfs_features()->dir, system, event);
	fmt = read_file(path, &len);
	if (!fmt && errno == ENOENT) {
		/* a fresh eventfs lookup can fail: walk the directory, then retry */
		char *dir = xasprintf("%s/events/%s", tfs_features()->dir, system);
		struct dirent *de;
		DIR *d = opendir(dir);
		struct stat st;

		while (d && (de = readdir(d))) {
			char *sub = xasprintf("%s/%s", dir, de->d_name);

			stat(sub, &st);
			free(sub);
		}
		if (d)
			closedir(d);
		free(dir);
		fmt = read_file(path, &len);
	}
	if (fmt && len && !tep_parse_event(tep, fmt, len, system)) {
		debug_msg("tracefs: %s/%s was missing from the event handle: added", system, event);
		ev = tep_find_event_by_name(tep, system, event);
	}
	free(fmt);
	free(path);
	return ev;
}

struct tep_handle *tfs_tep_for(const char *const *systems)
{
	struct tep_handle *tep = tracefs_local_events_system(NULL, systems);
	const char *const *s;

	for (s = systems; tep && *s; s++)
		tep_complete(tep, *s);
	return tep;
}

/* ---- dynamic events and triggers ---- */

static void last_error(struct tracefs_instance *inst, char *err, size_t errlen)
{
	char *log = tracefs_error_last(inst);

	if (log && *log)
		snprintf(err, errlen, "%s", strim(log));
	free(log);
}

int tfs_kprobe_create(const char *group, const char *event, const char *addr, const char *fetchargs,
		      bool ret, char *err, size_t errlen)
{
	struct tracefs_dynevent *ev;
	int r;

	err[0] = '\0';
	if (!tfs_features()->kprobe_events) {
		snprintf(err, errlen, "no kprobe events on this kernel");
		return -1;
	}
	ev = ret ? tracefs_kretprobe_alloc(group, event, addr, fetchargs, 0) :
		   tracefs_kprobe_alloc(group, event, addr, fetchargs);
	if (!ev) {
		snprintf(err, errlen, "cannot describe %s probe on %s", ret ? "return" : "entry",
			 addr);
		return -1;
	}
	tracefs_error_clear(NULL);
	errno = 0;
	r = tracefs_dynevent_create(ev);
	/* 1.6.4: -1 with errno 0 or EINVAL when the kernel refuses: look at the result */
	if (r) {
		int e = errno;

		last_error(NULL, err, errlen);
		if (!err[0])
			snprintf(err, errlen, "kernel refused %s probe on %s (%s)",
				 ret ? "return" : "entry", addr,
				 e ? strerror(e) : "no reason given");
	}
	tracefs_dynevent_free(ev);
	return r ? -1 : 0;
}

int tfs_trigger_add(struct tracefs_instance *inst, const char *system, const char *event,
		    const char *trigger, char *err, size_t errlen)
{
	int e;

	err[0] = '\0';
	tracefs_error_clear(inst);
	if (tracefs_event_file_append(inst, system, event, "trigger", trigger) >= 0)
		return 0;
	e = errno;
	last_error(inst, err, errlen);
	if (!err[0])
		snprintf(err, errlen, "%s", strerror(e));
	return -1;
}

/* ---- hist output ---- */

void tfs_hist_free(struct tfs_hist *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/*
 * One key as printed inside "{ ... }":
 *   "builder: [ffff800080123456] its_build_movi_cmd"   (.sym)
 *   "common_pid:        143"                            (number)
 *   "lat: ~ 2^14"                                       (.log2: (2^13, 2^14])
 *   "lat: ~ 40000-49999"                                (.buckets)
 */
static void parse_key(char *s, struct tfs_hist_entry *e, int k)
{
	char *colon = strchr(s, ':');
	char *v;

	e->key[k][0] = '\0';
	e->key_num[k] = 0;
	e->key_hi[k] = 0;
	if (!colon)
		return;
	v = strim(colon + 1);
	if (*v == '[') {
		char *end = strchr(v, ']');

		e->key_num[k] = strtoull(v + 1, NULL, 16);
		e->key_hi[k] = e->key_num[k];
		v = end ? strim(end + 1) : v;
		snprintf(e->key[k], sizeof(e->key[k]), "%s", v);
		return;
	}
	if (v[0] == '~') {
		v = strim(v + 1);
		if (str_starts(v, "2^")) {
			unsigned int p = strtoul(v + 2, NULL, 10);

			e->key_hi[k] = p < 64 ? (1ull << p) + 1 : UINT64_MAX;
			e->key_num[k] = p ? (1ull << (p - 1)) + 1 : 0;
		} else {
			char *dash;

			e->key_num[k] = strtoull(v, &dash, 10);
			e->key_hi[k] =
				*dash == '-' ? strtoull(dash + 1, NULL, 10) + 1 : e->key_num[k];
		}
		snprintf(e->key[k], sizeof(e->key[k]), "%s", v);
		return;
	}
	snprintf(e->key[k], sizeof(e->key[k]), "%s", v);
	e->key_num[k] = strtoull(v, NULL, 0);
	e->key_hi[k] = e->key_num[k];
}

static int parse_entry(char *line, struct tfs_hist_entry *e)
{
	char *close = strrchr(line, '}');
	char *keys = strchr(line, '{');
	char *save = NULL;
	char *tok;

	memset(e, 0, sizeof(*e));
	if (!keys || !close)
		return -1;
	*close = '\0';
	/* keys are separated by ", " (a .sym value never contains one) */
	for (tok = strtok_r(keys + 1, ",", &save); tok && e->nr_keys < TFS_HIST_MAX_KEYS;
	     tok = strtok_r(NULL, ",", &save))
		parse_key(tok, e, e->nr_keys++);
	/* values: "hitcount:         47  lat:    2594256" */
	save = NULL;
	for (tok = strtok_r(close + 1, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		size_t n = strlen(tok);
		char *num;

		if (n < 2 || tok[n - 1] != ':')
			continue;
		tok[n - 1] = '\0';
		num = strtok_r(NULL, " \t", &save);
		if (!num)
			break;
		if (!strcmp(tok, "hitcount")) {
			e->hitcount = strtoull(num, NULL, 10);
		} else if (e->nr_vals < TFS_HIST_MAX_VALS) {
			snprintf(e->val_name[e->nr_vals], sizeof(e->val_name[0]), "%s", tok);
			e->val[e->nr_vals++] = strtoull(num, NULL, 10);
		}
	}
	return 0;
}

int tfs_hist_parse(const char *text, const char *match, struct tfs_hist *h)
{
	char *copy = xstrdup(text);
	char *save = NULL;
	bool in = false;
	bool done = false;
	char *line;

	memset(h, 0, sizeof(*h));
	for (line = strtok_r(copy, "\n", &save); line && !done;
	     line = strtok_r(NULL, "\n", &save)) {
		if (str_starts(line, "# trigger info:")) {
			if (in)
				break;
			in = !match || strstr(line, match);
			continue;
		}
		if (!in)
			continue;
		if (line[0] == '{') {
			h->e = xrealloc(h->e, (h->nr + 1) * sizeof(*h->e));
			if (!parse_entry(line, &h->e[h->nr]))
				h->nr++;
		} else if (strstr(line, "Hits:")) {
			h->hits = strtoull(strstr(line, "Hits:") + 5, NULL, 10);
			h->totals_seen = true;
		} else if (strstr(line, "Entries:")) {
			h->entries = strtoull(strstr(line, "Entries:") + 8, NULL, 10);
		} else if (strstr(line, "Dropped:")) {
			h->dropped = strtoull(strstr(line, "Dropped:") + 8, NULL, 10);
			done = true;
		}
	}
	free(copy);
	return h->totals_seen ? 0 : -1;
}

int tfs_hist_read(struct tracefs_instance *inst, const char *system, const char *event,
		  const char *match, struct tfs_hist *h)
{
	char *text = tracefs_event_file_read(inst, system, event, "hist", NULL);
	int ret;

	if (!text) {
		memset(h, 0, sizeof(*h));
		return -1;
	}
	ret = tfs_hist_parse(text, match, h);
	free(text);
	return ret;
}

/* ---- raw records ---- */

int tfs_read_raw(struct tep_handle *tep, struct tracefs_instance *inst,
		 int (*cb)(struct tep_event *, struct tep_record *, int, void *), void *ctx)
{
	return tracefs_iterate_raw_events(tep, inst, NULL, 0, cb, ctx);
}

struct cpu_pages {
	char *buf; /* every page read, back to back */
	size_t nr_pages;
	size_t page; /* the page being parsed */
	struct kbuffer *kbuf;
	void *data; /* current record, NULL: exhausted */
	unsigned long long ts;
	int cpu;
};

static void cpu_pages_read(struct cpu_pages *c, struct tracefs_instance *inst, long psize)
{
	char *file = xasprintf("per_cpu/cpu%d/trace_pipe_raw", c->cpu);
	char *path = tracefs_instance_get_file(inst, file);
	int fd;

	fd = path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;

	free(file);
	tracefs_put_tracing_file(path);
	if (fd < 0)
		return;
	for (;;) {
		ssize_t r;

		c->buf = xrealloc(c->buf, (c->nr_pages + 1) * psize);
		r = read(fd, c->buf + c->nr_pages * psize, psize);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (r < psize)
			memset(c->buf + c->nr_pages * psize + r, 0, psize - r);
		c->nr_pages++;
	}
	close(fd);
}

/* position on the next record of this CPU, loading pages as needed */
static void cpu_pages_next(struct cpu_pages *c, long psize, bool first)
{
	c->data = first ? NULL : kbuffer_next_event(c->kbuf, &c->ts);
	while (!c->data && c->page < c->nr_pages) {
		if (kbuffer_load_subbuffer(c->kbuf, c->buf + c->page++ * psize))
			continue;
		c->data = kbuffer_read_event(c->kbuf, &c->ts);
	}
}

int tfs_read_raw_pages(struct tep_handle *tep, struct tracefs_instance *inst,
		       int (*cb)(struct tep_event *, struct tep_record *, int, void *), void *ctx,
		       uint64_t *nr_records)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	long psize = getpagesize();
	struct cpu_pages *cp;
	int stop = 0;
	long i;

	if (nr_records)
		*nr_records = 0;
	cp = xcalloc(ncpu, sizeof(*cp));
	for (i = 0; i < ncpu; i++) {
		cp[i].cpu = i;
		cp[i].kbuf = kbuffer_alloc(
			tep_get_header_page_size(tep) == 4 ? KBUFFER_LSIZE_4 : KBUFFER_LSIZE_8,
			tep_is_file_bigendian(tep) ? KBUFFER_ENDIAN_BIG : KBUFFER_ENDIAN_LITTLE);
		if (!cp[i].kbuf)
			goto out;
		cpu_pages_read(&cp[i], inst, psize);
		cpu_pages_next(&cp[i], psize, true);
	}
	while (!stop) {
		struct tep_record rec = { 0 };
		struct cpu_pages *c = NULL;
		struct tep_event *ev;

		for (i = 0; i < ncpu; i++)
			if (cp[i].data && (!c || cp[i].ts < c->ts))
				c = &cp[i];
		if (!c)
			break;
		rec.ts = c->ts;
		rec.data = c->data;
		rec.size = kbuffer_event_size(c->kbuf);
		rec.cpu = c->cpu;
		rec.missed_events = kbuffer_missed_events(c->kbuf);
		if (nr_records)
			(*nr_records)++;
		ev = tep_find_event(tep, tep_data_type(tep, &rec));
		if (!ev)
			debug_msg("tracefs: record of unknown event type %d on cpu %d",
				  tep_data_type(tep, &rec), c->cpu);
		/* unknown events reach the callback too, with ev NULL */
		if (cb(ev, &rec, c->cpu, ctx))
			stop = 1;
		cpu_pages_next(c, psize, false);
	}
out:
	for (i = 0; i < ncpu; i++) {
		if (cp[i].kbuf)
			kbuffer_free(cp[i].kbuf);
		free(cp[i].buf);
	}
	free(cp);
	return 0;
}

bool tfs_field_u64(struct tep_event *ev, struct tep_record *rec, const char *name, uint64_t *val)
{
	struct tep_format_field *f = tep_find_any_field(ev, name);
	unsigned long long v;

	if (!f || tep_read_number_field(f, rec->data, &v))
		return false;
	*val = v;
	return true;
}
