// SPDX-License-Identifier: GPL-2.0
/*
 * perf_event_open counters per workload phase: see counters.h.
 *
 * System-wide, one fd per CPU and counter (pid -1, cpu N), as perf stat -a:
 * the ITS work a phase causes runs in kernel context on whatever CPU takes
 * the interrupt or the IPI, not only in the workload's task.
 *
 * The EL2 share. arm64's PMU driver maps exclude_hv to the event filter's
 * NSH bit (count at EL2) only when the host kernel runs at EL1 (nVHE, hVHE,
 * protected mode); with a VHE host the kernel *is* EL2 and exclude_hv is
 * ignored, so cycles and cycles:exclude_hv are the same count. Even at EL1
 * the hypervisor decides: MDCR_EL2.HPMD (event counters) and HCCD (cycle
 * counter) prohibit counting at EL2; upstream pKVM in 6.1 and 6.12 leaves
 * both clear for the host, a hardened hypervisor may set them, and then the
 * difference is zero. So the split is reported only where it can mean
 * something, with a note saying what a zero means.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/perf_event.h>
#include <tracefs/tracefs.h>

#include "lib/util.h"
#include "host/counters.h"

#define MAX_CPUS 1024

struct counter_def {
	const char *name;
	const char *kind;
	const char *unit;
	uint32_t type;
	uint64_t config;
	bool exclude_hv;
	const char *arm_event; /* arm64 PMU sysfs event name (PMCEID-filtered) */
};

/* the standard set, in perf stat's order */
static const struct counter_def standard[] = {
	{ "cpu-clock", "software", "msec", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "context-switches", "software", "events", PERF_TYPE_SOFTWARE,
	  PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", "software", "events", PERF_TYPE_SOFTWARE,
	  PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "page-faults", "software", "events", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "cycles", "hardware", "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, false,
	  "cpu_cycles" },
	{ "cycles:exclude_hv", "hardware", "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES,
	  true, "cpu_cycles" },
	{ "instructions", "hardware", "instructions", PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_INSTRUCTIONS, false, "inst_retired" },
	{ "instructions:exclude_hv", "hardware", "instructions", PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_INSTRUCTIONS, true, "inst_retired" },
};

static long sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group,
				unsigned long flags)
{
	return syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

static enum counter_status classify(int err, char *reason, size_t len)
{
	switch (err) {
	case ENOENT:
	case EOPNOTSUPP:
	case ENODEV:
		snprintf(reason, len, "%s: no PMU or event not implemented on this kernel/CPU",
			 strerrorname_np(err) ?: "error");
		return COUNTER_NOT_SUPPORTED;
	case EINVAL:
		snprintf(reason, len, "EINVAL: the PMU rejects this event or its filter");
		return COUNTER_NOT_SUPPORTED;
	case EACCES:
	case EPERM:
		snprintf(reason, len,
			 "%s: not permitted (needs root or CAP_PERFMON; see "
			 "/proc/sys/kernel/perf_event_paranoid)",
			 strerrorname_np(err) ?: "error");
		return COUNTER_NOT_PERMITTED;
	default:
		snprintf(reason, len, "%s", strerror(err));
		return COUNTER_FAILED;
	}
}

#ifdef __aarch64__
/*
 * The arm64 PMU driver only lists the events its PMCEID registers say the
 * PMU implements; a generic event it does not implement still opens and
 * counts nothing (QEMU TCG: INST_RETIRED needs -icount). Returns true when
 * an arm64 PMU exists and none of them lists the event.
 */
static bool arm_pmu_lacks(const char *event)
{
	const char *base = "/sys/bus/event_source/devices";
	bool have_pmu = false;
	bool found = false;
	struct dirent *d;
	DIR *dir;

	dir = opendir(base);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		char *path;

		if (!str_starts(d->d_name, "armv8") && !str_starts(d->d_name, "armv9"))
			continue;
		have_pmu = true;
		path = xasprintf("%s/%s/events/%s", base, d->d_name, event);
		found = path_exists(path);
		free(path);
	}
	closedir(dir);
	return have_pmu && !found;
}
#else
static bool arm_pmu_lacks(const char *event __unused)
{
	return false;
}
#endif

static struct counter *add_counter(struct counters *cs, const char *name, const char *kind,
				   const char *unit, uint32_t type, uint64_t config,
				   bool exclude_hv)
{
	struct counter *c;
	int i;

	cs->c = xrealloc(cs->c, (cs->nr + 1) * sizeof(*cs->c));
	c = &cs->c[cs->nr++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->kind = kind;
	c->unit = unit;
	c->type = type;
	c->config = config;
	c->exclude_hv = exclude_hv;
	c->per_cpu = xcalloc(cs->nr_cpus, sizeof(*c->per_cpu));
	for (i = 0; i < cs->nr_cpus; i++) {
		c->per_cpu[i].cpu = cs->cpus[i];
		c->per_cpu[i].fd = -1;
	}
	return c;
}

/* open c on every CPU; a CPU that refuses decides the status if none opens */
static int open_counter(struct counters *cs, struct counter *c)
{
	struct perf_event_attr attr;
	int first_err = 0;
	int opened = 0;
	int i;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = c->type;
	attr.config = c->config;
	attr.disabled = 1;
	attr.exclude_hv = c->exclude_hv;
	attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;

	for (i = 0; i < cs->nr_cpus; i++) {
		struct counter_cpu *pc = &c->per_cpu[i];

		pc->fd = sys_perf_event_open(&attr, -1, pc->cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (pc->fd < 0) {
			if (!first_err)
				first_err = errno;
			continue;
		}
		if (c->filter && ioctl(pc->fd, PERF_EVENT_IOC_SET_FILTER, c->filter)) {
			first_err = errno;
			snprintf(c->reason, sizeof(c->reason), "filter '%s' rejected: %s",
				 c->filter, strerror(errno));
			close(pc->fd);
			pc->fd = -1;
			c->status = COUNTER_FAILED;
			return -1;
		}
		opened++;
	}
	if (!opened) {
		c->status = classify(first_err, c->reason, sizeof(c->reason));
		return -1;
	}
	if (first_err)
		snprintf(c->reason, sizeof(c->reason), "not counted on some CPUs: %s",
			 strerror(first_err));
	c->status = COUNTER_OK;
	return 0;
}

static void detect_host_el(struct counters *cs)
{
#ifdef __aarch64__
	static const struct {
		const char *log;
		const char *el;
	} modes[] = {
		{ "Protected hVHE mode initialized", "EL1 (pKVM, protected hVHE)" },
		{ "Protected nVHE mode initialized", "EL1 (pKVM, protected nVHE)" },
		{ "Hyp mode (hVHE) initialized", "EL1 (hVHE)" },
		{ "Hyp mode (nVHE) initialized", "EL1 (nVHE)" },
		{ "Hyp mode initialized", "EL1 (nVHE)" },
		{ "VHE mode initialized", "EL2 (VHE)" },
	};
	char *cmdline;
	char *log;
	size_t i;
	int len;

	snprintf(cs->host_el, sizeof(cs->host_el), "unknown (no KVM mode line in the kernel log)");
	len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (len > 0) {
		log = xmalloc(len + 1);
		len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, len);
		log[len > 0 ? len : 0] = '\0';
		for (i = 0; i < ARRAY_SIZE(modes); i++) {
			if (strstr(log, modes[i].log)) {
				snprintf(cs->host_el, sizeof(cs->host_el), "%s", modes[i].el);
				break;
			}
		}
		free(log);
		if (i < ARRAY_SIZE(modes))
			return;
	}
	/*
	 * The log wrapped. The command line says what was asked, not what came
	 * up (protected mode can silently fall back to VHE): only a hint.
	 */
	cmdline = read_file("/proc/cmdline", NULL);
	if (cmdline &&
	    (strstr(cmdline, "kvm-arm.mode=protected") || strstr(cmdline, "kvm-arm.mode=nvhe")))
		snprintf(cs->host_el, sizeof(cs->host_el),
			 "unknown (log wrapped; the command line asks for EL1)");
	free(cmdline);
#else
	snprintf(cs->host_el, sizeof(cs->host_el), "not arm64 (no EL2)");
#endif
}

static void parse_cpus(struct counters *cs, const uint64_t *cpumask, int nbits)
{
	long online = sysconf(_SC_NPROCESSORS_CONF);
	int i;

	cs->cpus = xcalloc(MAX_CPUS, sizeof(*cs->cpus));
	for (i = 0; i < MAX_CPUS && i < (cpumask ? nbits : online); i++) {
		char path[64];
		char *s;
		bool on = true;

		if (cpumask && !(cpumask[i / 64] & (1ULL << (i % 64))))
			continue;
		/* offline CPUs cannot be counted */
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", i);
		s = read_file(path, NULL);
		if (s)
			on = atoi(s) == 1;
		free(s);
		if (on)
			cs->cpus[cs->nr_cpus++] = i;
	}
}

int counters_open(struct counters *cs, const char *phase, const uint64_t *cpumask, int nbits)
{
	int opened = 0;
	size_t i;

	memset(cs, 0, sizeof(*cs));
	if (!phase || !*phase || (cpumask && nbits <= 0)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(cs->phase, sizeof(cs->phase), "%s", phase);
	parse_cpus(cs, cpumask, nbits);
	if (!cs->nr_cpus) {
		err_msg("counters: no online CPU in the mask for phase '%s'", phase);
		free(cs->cpus);
		cs->cpus = NULL;
		errno = EINVAL;
		return -1;
	}
	detect_host_el(cs);
	for (i = 0; i < ARRAY_SIZE(standard); i++) {
		const struct counter_def *d = &standard[i];
		struct counter *c;

		c = add_counter(cs, d->name, d->kind, d->unit, d->type, d->config, d->exclude_hv);
		if (d->arm_event && arm_pmu_lacks(d->arm_event)) {
			c->status = COUNTER_NOT_SUPPORTED;
			snprintf(c->reason, sizeof(c->reason),
				 "not implemented by this PMU (%s is not in its PMCEID event list; "
				 "QEMU TCG implements INST_RETIRED only with -icount)",
				 d->arm_event);
			continue;
		}
		if (!open_counter(cs, c))
			opened++;
	}
	return opened;
}

int counters_add_event(struct counters *cs, const char *name, uint32_t type, uint64_t config,
		       bool exclude_hv)
{
	const char *kind = type == PERF_TYPE_SOFTWARE ? "software" : "hardware";
	struct counter *c;

	if (cs->running || counters_find(cs, name)) {
		err_msg("counters: cannot add '%s' (duplicate, or after counters_start)", name);
		return -1;
	}
	c = add_counter(cs, name, kind, "events", type, config, exclude_hv);
	if (type == PERF_TYPE_HARDWARE && config == PERF_COUNT_HW_CPU_CYCLES)
		c->unit = "cycles";
	else if (type == PERF_TYPE_HARDWARE && config == PERF_COUNT_HW_INSTRUCTIONS)
		c->unit = "instructions";
	return open_counter(cs, c);
}

int counters_add_tracepoint(struct counters *cs, const char *sys_event, const char *filter)
{
	struct counter *c;
	char *system;
	char *event;
	char *id;

	system = xstrdup(sys_event);
	event = strchr(system, ':');
	if (!event || cs->running) {
		err_msg("counters: '%s': expected system:event, before counters_start", sys_event);
		free(system);
		return -1;
	}
	*event++ = '\0';
	c = add_counter(cs, sys_event, "tracepoint", "events", PERF_TYPE_TRACEPOINT, 0, false);
	if (filter)
		c->filter = xstrdup(filter);
	id = tracefs_event_file_read(NULL, system, event, "id", NULL);
	free(system);
	if (!id) {
		c->status = COUNTER_NOT_SUPPORTED;
		snprintf(c->reason, sizeof(c->reason), "no such tracepoint in tracefs");
		return -1;
	}
	c->config = strtoull(id, NULL, 10);
	free(id);
	return open_counter(cs, c);
}

int counters_start(struct counters *cs)
{
	int i;
	int j;

	for (i = 0; i < cs->nr; i++)
		for (j = 0; j < cs->nr_cpus; j++)
			if (cs->c[i].per_cpu[j].fd >= 0)
				ioctl(cs->c[i].per_cpu[j].fd, PERF_EVENT_IOC_RESET, 0);
	cs->start_ns = now_ns();
	for (i = 0; i < cs->nr; i++)
		for (j = 0; j < cs->nr_cpus; j++)
			if (cs->c[i].per_cpu[j].fd >= 0)
				ioctl(cs->c[i].per_cpu[j].fd, PERF_EVENT_IOC_ENABLE, 0);
	cs->running = true;
	return 0;
}

/* multiplexed: extrapolate to the whole enabled time, as perf does */
double counter_scale(uint64_t raw, uint64_t enabled, uint64_t running)
{
	if (!running)
		return 0;
	if (running >= enabled)
		return raw;
	return (double)raw * enabled / running;
}

static void read_counter(struct counter *c, int nr_cpus)
{
	bool counted = false;
	int j;

	c->total = 0;
	for (j = 0; j < nr_cpus; j++) {
		struct counter_cpu *pc = &c->per_cpu[j];
		uint64_t v[3];

		if (pc->fd < 0)
			continue;
		if (read(pc->fd, v, sizeof(v)) != sizeof(v)) {
			snprintf(c->reason, sizeof(c->reason), "read on CPU%d: %s", pc->cpu,
				 strerror(errno));
			c->status = COUNTER_FAILED;
			return;
		}
		pc->raw = v[0];
		pc->enabled = v[1];
		pc->running = v[2];
		if (pc->running)
			counted = true;
		pc->value = counter_scale(pc->raw, pc->enabled, pc->running);
		if (pc->running && pc->running < pc->enabled)
			c->scaled = true;
		c->total += pc->value;
	}
	c->not_counted = !counted;
}

static void derive_el2_split(struct counters *cs)
{
	const struct counter *all = counters_find(cs, "cycles");
	const struct counter *nohv = counters_find(cs, "cycles:exclude_hv");
	double diff;

	cs->el2_split = false;
	/* the split needs both counts, and a host kernel below EL2 */
	if (!all || !nohv || all->status != COUNTER_OK || nohv->status != COUNTER_OK ||
	    all->not_counted || nohv->not_counted) {
		snprintf(cs->el2_note, sizeof(cs->el2_note),
			 "not available: cycles%s not counted (%s)",
			 all && all->status == COUNTER_OK ? ":exclude_hv" : "",
			 all && all->status != COUNTER_OK   ? all->reason :
			 nohv && nohv->status != COUNTER_OK ? nohv->reason :
							      "never scheduled");
		return;
	}
	if (strstr(cs->host_el, "VHE)") && !strstr(cs->host_el, "nVHE") &&
	    !strstr(cs->host_el, "hVHE")) {
		snprintf(cs->el2_note, sizeof(cs->el2_note),
			 "not available: the host kernel runs at EL2 (VHE), the PMU driver "
			 "ignores exclude_hv");
		return;
	}
	diff = all->total - nohv->total;
	if (!str_starts(cs->host_el, "EL1")) {
		/*
		 * Not known from the log: a difference proves that the PMU
		 * filtered EL2, i.e. the host runs at EL1; no difference
		 * proves nothing.
		 */
		if (!str_starts(cs->host_el, "unknown") || diff <= 0) {
			snprintf(cs->el2_note, sizeof(cs->el2_note),
				 "not available: cannot tell whether the host kernel runs at EL1");
			return;
		}
	}
	cs->el2_split = true;
	if (diff <= 0)
		snprintf(cs->el2_note, sizeof(cs->el2_note),
			 "EL2 counted nothing: either no EL2 time in this phase or the "
			 "hypervisor prohibits counting at EL2 (MDCR_EL2.HPMD/HCCD)");
	else if (all->scaled || nohv->scaled)
		snprintf(cs->el2_note, sizeof(cs->el2_note),
			 "cycles - cycles:exclude_hv, both multiplexed: an estimate");
	else
		snprintf(cs->el2_note, sizeof(cs->el2_note), "cycles - cycles:exclude_hv");
}

int counters_stop(struct counters *cs)
{
	int i;
	int j;

	if (!cs->running)
		return -1;
	for (i = 0; i < cs->nr; i++)
		for (j = 0; j < cs->nr_cpus; j++)
			if (cs->c[i].per_cpu[j].fd >= 0)
				ioctl(cs->c[i].per_cpu[j].fd, PERF_EVENT_IOC_DISABLE, 0);
	cs->duration_ns = now_ns() - cs->start_ns;
	cs->running = false;
	for (i = 0; i < cs->nr; i++)
		if (cs->c[i].status == COUNTER_OK)
			read_counter(&cs->c[i], cs->nr_cpus);
	derive_el2_split(cs);
	return 0;
}

void counters_close(struct counters *cs)
{
	int i;
	int j;

	for (i = 0; i < cs->nr; i++) {
		for (j = 0; j < cs->nr_cpus; j++)
			if (cs->c[i].per_cpu[j].fd >= 0)
				close(cs->c[i].per_cpu[j].fd);
		free(cs->c[i].per_cpu);
		free(cs->c[i].filter);
	}
	free(cs->c);
	free(cs->cpus);
	memset(cs, 0, sizeof(*cs));
}

const struct counter *counters_find(const struct counters *cs, const char *name)
{
	int i;

	for (i = 0; i < cs->nr; i++)
		if (!strcmp(cs->c[i].name, name))
			return &cs->c[i];
	return NULL;
}

double counters_total(const struct counters *cs, const char *name)
{
	const struct counter *c = counters_find(cs, name);

	if (!c || c->status != COUNTER_OK || c->not_counted)
		return -1;
	return c->total;
}

/* ---- JSON ---- */

static const char *status_str(enum counter_status s)
{
	switch (s) {
	case COUNTER_OK:
		return "ok";
	case COUNTER_NOT_SUPPORTED:
		return "not supported";
	case COUNTER_NOT_PERMITTED:
		return "not permitted";
	default:
		return "failed";
	}
}

static struct json_object *counter_to_json(const struct counters *cs, const struct counter *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *per_cpu;
	uint64_t enabled = 0;
	uint64_t running = 0;
	int j;

	json_object_object_add(o, "kind", json_object_new_string(c->kind));
	json_object_object_add(o, "unit", json_object_new_string(c->unit));
	json_object_object_add(o, "status", json_object_new_string(status_str(c->status)));
	if (c->reason[0])
		json_object_object_add(o, "reason", json_object_new_string(c->reason));
	if (c->exclude_hv)
		json_object_object_add(o, "exclude_hv", json_object_new_boolean(true));
	if (c->filter)
		json_object_object_add(o, "filter", json_object_new_string(c->filter));
	if (c->status != COUNTER_OK)
		return o;
	json_object_object_add(o, "counted", json_object_new_boolean(!c->not_counted));
	json_object_object_add(o, "total", json_object_new_double(c->total));
	json_object_object_add(o, "scaled", json_object_new_boolean(c->scaled));
	per_cpu = json_object_new_array();
	for (j = 0; j < cs->nr_cpus; j++) {
		const struct counter_cpu *pc = &c->per_cpu[j];
		struct json_object *p;

		if (pc->fd < 0)
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "cpu", json_object_new_int(pc->cpu));
		json_object_object_add(p, "value", json_object_new_double(pc->value));
		json_object_object_add(p, "raw", json_object_new_int64(pc->raw));
		json_object_object_add(p, "time_enabled", json_object_new_int64(pc->enabled));
		json_object_object_add(p, "time_running", json_object_new_int64(pc->running));
		json_object_array_add(per_cpu, p);
		enabled += pc->enabled;
		running += pc->running;
	}
	json_object_object_add(o, "running_pct",
			       json_object_new_double(enabled ? 100.0 * running / enabled : 0));
	json_object_object_add(o, "per_cpu", per_cpu);
	return o;
}

struct json_object *counters_to_json(const struct counters *cs)
{
	struct json_object *o = json_object_new_object();
	struct json_object *events = json_object_new_object();
	struct json_object *el2 = json_object_new_object();
	uint64_t mask[MAX_CPUS / 64] = { 0 };
	char cpus[256];
	int i;

	for (i = 0; i < cs->nr_cpus; i++)
		mask[cs->cpus[i] / 64] |= 1ULL << (cs->cpus[i] % 64);
	format_cpulist(mask, MAX_CPUS, cpus, sizeof(cpus));
	json_object_object_add(o, "phase", json_object_new_string(cs->phase));
	json_object_object_add(o, "cpus", json_object_new_string(cpus));
	json_object_object_add(o, "nr_cpus", json_object_new_int(cs->nr_cpus));
	json_object_object_add(o, "duration_ns", json_object_new_int64(cs->duration_ns));

	json_object_object_add(el2, "host_el", json_object_new_string(cs->host_el));
	json_object_object_add(el2, "available", json_object_new_boolean(cs->el2_split));
	json_object_object_add(el2, "note", json_object_new_string(cs->el2_note));
	if (cs->el2_split) {
		double all = counters_total(cs, "cycles");
		double el2c = all - counters_total(cs, "cycles:exclude_hv");

		json_object_object_add(el2, "cycles", json_object_new_double(el2c));
		json_object_object_add(el2, "share_pct",
				       json_object_new_double(all > 0 ? 100.0 * el2c / all : 0));
	}
	json_object_object_add(o, "el2", el2);

	for (i = 0; i < cs->nr; i++)
		json_object_object_add(events, cs->c[i].name, counter_to_json(cs, &cs->c[i]));
	json_object_object_add(o, "events", events);
	return o;
}

/* ---- perf-stat-like printing, from the JSON only (itsperf report) ---- */

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool jnum(struct json_object *o, const char *key, double *d)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*d = json_object_get_double(v);
	return true;
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* one counter over the runs: mean and the standard error of the mean, in % */
struct run_stat {
	int n;
	double mean;
	double noise_pct;
	bool scaled;
	double running_pct;
};

static bool event_total(struct json_object *phase, const char *name, double *v,
			struct json_object **ev_out)
{
	struct json_object *events;
	struct json_object *ev;
	const char *st;

	if (!json_object_object_get_ex(phase, "events", &events) ||
	    !json_object_object_get_ex(events, name, &ev))
		return false;
	if (ev_out)
		*ev_out = ev;
	st = jstr(ev, "status");
	if (!st || strcmp(st, "ok") || !jbool(ev, "counted"))
		return false;
	return jnum(ev, "total", v);
}

static struct run_stat stat_over_runs(struct json_object *phase, struct json_object *runs,
				      const char *name)
{
	struct run_stat s = { 0 };
	double sum = 0;
	double sq = 0;
	size_t i;

	if (runs && json_object_is_type(runs, json_type_array) &&
	    json_object_array_length(runs) >= 2) {
		for (i = 0; i < json_object_array_length(runs); i++) {
			struct json_object *ev = NULL;
			double v;

			if (!event_total(json_object_array_get_idx(runs, i), name, &v, &ev))
				continue;
			s.n++;
			sum += v;
			sq += v * v;
			s.scaled |= jbool(ev, "scaled");
		}
	}
	if (s.n >= 2) {
		double var = (sq - sum * sum / s.n) / (s.n - 1);

		s.mean = sum / s.n;
		s.noise_pct = s.mean ? 100.0 * sqrt(var > 0 ? var : 0) / sqrt(s.n) / s.mean : 0;
		return s;
	}
	/* this run only */
	s.n = 0;
	if (event_total(phase, name, &s.mean, NULL))
		s.n = 1;
	return s;
}

static void print_rate(FILE *f, double v, const char *what)
{
	fprintf(f, "  #  %10.3f %-26s", v, what);
}

static void print_per_sec(FILE *f, double v, double clock_ns)
{
	double rate = v / (clock_ns / 1e9);

	if (rate >= 1e6)
		print_rate(f, rate / 1e6, "M/sec");
	else if (rate >= 1e3)
		print_rate(f, rate / 1e3, "K/sec");
	else
		print_rate(f, rate, "/sec");
}

/* instructions per cycle, the exclude_hv variant against its own cycles */
static void print_ipc(FILE *f, struct json_object *phase, struct json_object *runs,
		      const char *name, double insns)
{
	const char *cyc = strstr(name, ":exclude_hv") ? "cycles:exclude_hv" : "cycles";
	struct run_stat c = stat_over_runs(phase, runs, cyc);

	if (c.n && c.mean > 0)
		print_rate(f, insns / c.mean, "insn per cycle");
}

static void print_count(FILE *f, double v, const char *unit)
{
	char buf[64];
	char out[96];
	int len;
	int i;
	int o = 0;

	if (!strcmp(unit, "msec")) {
		fprintf(f, "%18.2f msec ", v / 1e6);
		return;
	}
	/* thousands separators, as perf stat prints counts */
	len = snprintf(buf, sizeof(buf), "%.0f", v);
	for (i = 0; i < len; i++) {
		out[o++] = buf[i];
		if ((len - i - 1) % 3 == 0 && i != len - 1 && buf[i] != '-')
			out[o++] = ',';
	}
	out[o] = '\0';
	fprintf(f, "%18s      ", out);
}

int counters_print(FILE *f, struct json_object *phase, struct json_object *across_runs)
{
	struct run_stat clock;
	struct json_object *events;
	struct json_object *el2;
	const char *cpus = jstr(phase, "cpus");
	const char *name = jstr(phase, "phase");
	double dur = 0;
	int runs;

	if (!json_object_is_type(phase, json_type_object) ||
	    !json_object_object_get_ex(phase, "events", &events))
		return -1;
	jnum(phase, "duration_ns", &dur);
	clock = stat_over_runs(phase, across_runs, "cpu-clock");
	runs = clock.n;

	fprintf(f, " Performance counter stats for phase '%s' (CPUs %s", name ?: "?", cpus ?: "?");
	if (runs >= 2)
		fprintf(f, ", %d runs", runs);
	fprintf(f, "):\n\n");

	json_object_object_foreach(events, ename, ev)
	{
		const char *st = jstr(ev, "status");
		const char *unit = jstr(ev, "unit") ?: "";
		struct run_stat s;

		if (st && strcmp(st, "ok")) {
			fprintf(f, "%24s      %-26s (%s)\n",
				st[0] == 'n' && st[4] == 's' ? "<not supported>" :
				st[0] == 'n'		     ? "<not permitted>" :
							       "<failed>",
				ename, jstr(ev, "reason") ?: "");
			continue;
		}
		if (!jbool(ev, "counted")) {
			fprintf(f, "%24s      %s\n", "<not counted>", ename);
			continue;
		}
		s = stat_over_runs(phase, across_runs, ename);
		print_count(f, s.mean, unit);
		fprintf(f, "%-26s", ename);
		if (!strcmp(ename, "cpu-clock"))
			print_rate(f, dur ? s.mean / dur : 0, "CPUs utilized");
		else if (!strcmp(unit, "cycles") && clock.n)
			print_rate(f, s.mean / clock.mean, "GHz");
		else if (!strcmp(unit, "instructions"))
			print_ipc(f, phase, across_runs, ename, s.mean);
		else if (clock.n && clock.mean > 0)
			print_per_sec(f, s.mean, clock.mean);
		if (s.n >= 2)
			fprintf(f, "  ( +- %5.2f%% )", s.noise_pct);
		if (s.scaled || jbool(ev, "scaled")) {
			double pct = 0;

			jnum(ev, "running_pct", &pct);
			fprintf(f, "  (%.2f%%)", pct);
		}
		fprintf(f, "\n");
	}
	if (json_object_object_get_ex(phase, "el2", &el2)) {
		double share;

		if (jbool(el2, "available") && jnum(el2, "share_pct", &share))
			fprintf(f, "\n  EL2 share of cycles: %.2f%% (%s; host kernel: %s)\n", share,
				jstr(el2, "note") ?: "", jstr(el2, "host_el") ?: "?");
		else
			fprintf(f, "\n  EL2 share of cycles: %s (host kernel: %s)\n",
				jstr(el2, "note") ?: "not available", jstr(el2, "host_el") ?: "?");
	}
	fprintf(f, "\n %14.9f seconds time elapsed\n\n", dur / 1e9);
	return 0;
}

int counters_print_section(FILE *f, struct json_object *section, struct json_object *const *runs,
			   int nr_runs)
{
	int printed = 0;
	int i;

	if (!json_object_is_type(section, json_type_object))
		return -1;
	json_object_object_foreach(section, phase_name, phase)
	{
		struct json_object *across = NULL;

		if (nr_runs >= 2) {
			across = json_object_new_array();
			for (i = 0; i < nr_runs; i++) {
				struct json_object *p;

				if (runs[i] && json_object_object_get_ex(runs[i], phase_name, &p))
					json_object_array_add(across, json_object_get(p));
			}
		}
		if (!counters_print(f, phase, across))
			printed++;
		json_object_put(across);
	}
	return printed;
}
