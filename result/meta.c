// SPDX-License-Identifier: GPL-2.0
/*
 * A run's metadata (result/meta.h): its JSON form, and
 * run_meta_from_host(): what the running kernel says about itself. The pKVM
 * mode comes from KVM's own "... mode initialized successfully" line in the
 * kernel log, not from the command line: `arm64_sw.hvhe=0` alone silently
 * falls back to non-protected VHE, so kvm-arm.mode=protected on the command
 * line does not prove protected mode. The command line is the fallback when
 * the log has wrapped, and detect_notes says which source was used.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/util.h"
#include "result/json.h"
#include "result/meta.h"

#define SYSLOG_ACTION_READ_ALL	  3
#define SYSLOG_ACTION_SIZE_BUFFER 10
#define DT_BASE			  "/sys/firmware/devicetree/base"

/* truncating copy (snprintf would make gcc warn about truncation, which is intended) */
static void __attribute__((noinline)) copy_str(char *dst, size_t size, const char *src)
{
	size_t len = src ? strlen(src) : 0;

	if (len >= size)
		len = size - 1;

	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

static void note(struct run_meta *m, const char *what)
{
	size_t len = strlen(m->detect_notes);

	snprintf(m->detect_notes + len, sizeof(m->detect_notes) - len, "%s%s", len ? "; " : "",
		 what);
}

/* the kernel log: syslog(2) first, /dev/kmsg when dmesg_restrict refuses it */
char *read_kernel_log(void)
{
	size_t cap = 1 << 16;
	size_t len = 0;
	char *buf;
	int size;
	int fd;

	size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size > 0) {
		buf = xmalloc(size + 1);
		size = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
		if (size >= 0) {
			buf[size] = '\0';
			return buf;
		}
		free(buf);
	}
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		char rec[8192];
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg;
		size_t l;

		if (n < 0 && errno == EPIPE) /* record overwritten while reading: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "pri,seq,ts,flags;message\n continuation lines" */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		l = strlen(msg);
		if (len + l + 2 > cap) {
			cap = (len + l + 2) * 2;
			buf = xrealloc(buf, cap);
		}
		memcpy(buf + len, msg, l);
		len += l;
		if (!l || buf[len - 1] != '\n')
			buf[len++] = '\n';
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static const char *mode_of_line(const char *line)
{
	if (strstr(line, "Protected hVHE mode initialized"))
		return "protected-hvhe";
	if (strstr(line, "Protected nVHE mode initialized"))
		return "protected-nvhe";
	/* 6.12 prints "%s%sVHE mode": "Hyp nVHE mode", "Hyp hVHE mode"; 6.1 "Hyp mode" */
	if (strstr(line, "Hyp mode (hVHE) initialized") ||
	    strstr(line, "Hyp hVHE mode initialized"))
		return "hvhe";
	if (strstr(line, "Hyp mode (nVHE) initialized") || strstr(line, "Hyp mode initialized") ||
	    strstr(line, "Hyp nVHE mode initialized"))
		return "nvhe";
	if (strstr(line, "VHE mode initialized"))
		return "vhe";
	if (strstr(line, "kvm") && strstr(line, "not available"))
		return "none";
	return NULL;
}

static void its_of_line(struct log_facts *f, const char *line)
{
	const char *p = strstr(line, "ITS@0x");
	unsigned long long base;
	int i;

	if (!p || sscanf(p, "ITS@0x%llx", &base) != 1)
		return;
	for (i = 0; i < f->nr_its; i++)
		if (f->its_base[i] == base)
			return;
	if (f->nr_its < MAX_ITS)
		f->its_base[f->nr_its++] = base;
}

void parse_kernel_log(const char *log, struct log_facts *f)
{
	const char *line = log;

	memset(f, 0, sizeof(*f));
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[512];
		const char *mode;

		copy_str(buf, sizeof(buf), "");
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		mode = mode_of_line(buf);
		if (mode)
			f->mode = mode;
		if (strstr(buf, "GICv4"))
			f->gic = 4;
		else if (strstr(buf, "GICv3") && f->gic < 3)
			f->gic = 3;
		its_of_line(f, buf);
		line = end ? end + 1 : NULL;
	}
}

static bool compatible_has(const char *path, const char *what)
{
	size_t len;
	size_t off;
	char *buf;
	bool found = false;

	buf = read_file(path, &len);
	if (!buf)
		return false;
	/* a list of NUL-terminated strings */
	for (off = 0; off < len; off += strlen(buf + off) + 1)
		if (!strcmp(buf + off, what))
			found = true;
	free(buf);
	return found;
}

/* count device tree nodes compatible with "what", a few levels deep */
static int dt_count_compatible(const char *dir, const char *what, int depth)
{
	struct dirent *de;
	int count = 0;
	char *path;
	DIR *d;

	if (depth > 4)
		return 0;
	path = xasprintf("%s/compatible", dir);
	if (compatible_has(path, what))
		count++;
	free(path);
	d = opendir(dir);
	if (!d)
		return count;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		count += dt_count_compatible(path, what, depth + 1);
		free(path);
	}
	closedir(d);
	return count;
}

static const struct {
	unsigned int impl;
	unsigned int part;
	const char *name;
} arm_parts[] = {
	{ 0x41, 0xd03, "Cortex-A53" },	   { 0x41, 0xd07, "Cortex-A57" },
	{ 0x41, 0xd08, "Cortex-A72" },	   { 0x41, 0xd0b, "Cortex-A76" },
	{ 0x41, 0xd0c, "Neoverse-N1" },	   { 0x41, 0xd40, "Neoverse-V1" },
	{ 0x41, 0xd41, "Cortex-A78" },	   { 0x41, 0xd44, "Cortex-X1" },
	{ 0x41, 0xd46, "Cortex-A510" },	   { 0x41, 0xd47, "Cortex-A710" },
	{ 0x41, 0xd49, "Neoverse-N2" },	   { 0x41, 0xd4f, "Neoverse-V2" },
	{ 0x41, 0xd80, "Cortex-A520" },	   { 0x41, 0xd81, "Cortex-A720" },
	{ 0x41, 0xd8e, "Neoverse-N3" },	   { 0x41, 0xd84, "Neoverse-V3" },
	{ 0x51, 0x001, "Qualcomm Oryon" }, { 0xc0, 0xac3, "Ampere-1" },
	{ 0x61, 0x000, "Apple" },	   { 0x48, 0xd01, "HiSilicon TSV110" },
};

static void cpu_model(struct run_meta *m)
{
	unsigned int impl = 0;
	unsigned int part = 0;
	bool have_arm = false;
	char *line;
	char *save;
	char *buf;
	size_t i;

	buf = read_file("/proc/cpuinfo", NULL);
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		char *key;

		if (!colon)
			continue;
		*colon = '\0';
		key = strim(line);
		if (!strcmp(key, "model name") && !m->cpu_model[0]) {
			copy_str(m->cpu_model, sizeof(m->cpu_model), strim(colon + 1));
		} else if (!strcmp(key, "CPU implementer") && !have_arm) {
			impl = strtoul(colon + 1, NULL, 0);
		} else if (!strcmp(key, "CPU part") && !have_arm) {
			part = strtoul(colon + 1, NULL, 0);
			have_arm = true;
		}
	}
	free(buf);
	if (m->cpu_model[0] || !have_arm)
		return;
	for (i = 0; i < ARRAY_SIZE(arm_parts); i++) {
		if (arm_parts[i].impl == impl &&
		    (arm_parts[i].part == part || arm_parts[i].impl == 0x61)) {
			copy_str(m->cpu_model, sizeof(m->cpu_model), arm_parts[i].name);
			return;
		}
	}
	/* implementer 0 is reserved for software: QEMU's "max" CPU under TCG */
	snprintf(m->cpu_model, sizeof(m->cpu_model), "%simplementer 0x%02x part 0x%03x",
		 impl == 0 ? "QEMU (software) " : "", impl, part);
}

static const char *mode_from_cmdline(const char *cmdline)
{
	const char *p = strstr(cmdline, "kvm-arm.mode=");

	if (!p)
		return NULL;
	p += strlen("kvm-arm.mode=");
	if (str_starts(p, "protected"))
		return "protected";
	if (str_starts(p, "nvhe"))
		return "nvhe";
	if (str_starts(p, "none"))
		return "none";
	return NULL;
}

static bool env_emulated(bool *val)
{
	const char *e = getenv("ITSPERF_EMULATED");

	if (!e || !*e)
		return false;
	*val = strcmp(e, "0") != 0;
	return true;
}

void run_meta_from_host(struct run_meta *m)
{
	struct log_facts f;
	struct utsname u;
	char *model;
	char *buf;
	long n;

	if (!uname(&u)) {
		copy_str(m->kernel_release, sizeof(m->kernel_release), u.release);
		copy_str(m->kernel_version, sizeof(m->kernel_version), u.version);
		copy_str(m->arch, sizeof(m->arch), u.machine);
		if (!m->hostname[0])
			copy_str(m->hostname, sizeof(m->hostname), u.nodename);
	}
	buf = read_file("/proc/cmdline", NULL);
	if (buf) {
		copy_str(m->kernel_cmdline, sizeof(m->kernel_cmdline), strim(buf));
		free(buf);
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	m->nr_cpus = n > 0 ? (int)n : 0;
	cpu_model(m);

	m->detect_notes[0] = '\0';
	buf = read_kernel_log();
	parse_kernel_log(buf ? buf : "", &f);
	free(buf);
	if (f.mode) {
		copy_str(m->pkvm_mode, sizeof(m->pkvm_mode), f.mode);
		note(m, "mode: kernel log");
	} else if (mode_from_cmdline(m->kernel_cmdline)) {
		copy_str(m->pkvm_mode, sizeof(m->pkvm_mode), mode_from_cmdline(m->kernel_cmdline));
		note(m, "mode: command line only (no KVM line in the kernel log)");
	} else if (strcmp(m->arch, "aarch64")) {
		copy_str(m->pkvm_mode, sizeof(m->pkvm_mode), "none");
		note(m, "mode: not arm64");
	} else {
		copy_str(m->pkvm_mode, sizeof(m->pkvm_mode), "unknown");
		note(m, "mode: unknown (no KVM line in the kernel log)");
	}
	m->gic_version = f.gic;
	if (f.gic) {
		note(m, "gic: kernel log");
	} else if (dt_count_compatible(DT_BASE, "arm,gic-v3", 0) > 0) {
		m->gic_version = 3;
		note(m, "gic: devicetree (v3 or v4)");
	}
	m->its_count = f.nr_its;
	if (f.nr_its) {
		note(m, "its: kernel log");
	} else {
		m->its_count = dt_count_compatible(DT_BASE, "arm,gic-v3-its", 0);
		if (m->its_count)
			note(m, "its: devicetree");
	}

	/* QEMU's virt machine: compatible "linux,dummy-virt", no real firmware model */
	model = read_file(DT_BASE "/model", NULL);
	if (!env_emulated(&m->emulated))
		m->emulated =
			(model && (strstr(model, "linux,dummy-virt") || strstr(model, "QEMU"))) ||
			compatible_has(DT_BASE "/compatible", "linux,dummy-virt");
	free(model);
	run_clock_from_meta(m);
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
	json_add_str(o, "label", m->label);
	json_add_str(o, "kernel_release", m->kernel_release);
	json_add_str(o, "kernel_version", m->kernel_version);
	json_add_str(o, "kernel_cmdline", m->kernel_cmdline);
	json_add_str(o, "arch", m->arch);
	json_add_str(o, "pkvm_mode", m->pkvm_mode);
	json_object_object_add(o, "gic_version", json_object_new_int(m->gic_version));
	json_object_object_add(o, "its_count", json_object_new_int(m->its_count));
	json_add_str(o, "cpu_model", m->cpu_model);
	json_object_object_add(o, "nr_cpus", json_object_new_int(m->nr_cpus));
	json_object_object_add(o, "emulated", json_object_new_boolean(m->emulated));
	json_add_str(o, "suite", m->suite);
	json_object_object_add(o, "run_index", json_object_new_int(m->run_index));
	json_object_object_add(o, "start_ns", json_object_new_uint64(m->start_ns));
	json_add_str(o, "start_time", when);
	json_object_object_add(o, "duration_s", json_object_new_double(m->duration_s));
	json_add_str(o, "hostname", m->hostname);
	json_add_str(o, "tool_version", m->tool_version);
	json_object_object_add(o, "offered_rate", json_object_new_double(m->offered_rate));
	for (i = 0; i < m->nr_sweep && i < RUN_MAX_SWEEP; i++)
		json_object_object_add(sw, m->sweep[i].name,
				       json_object_new_double(m->sweep[i].value));
	json_object_object_add(o, "sweep", sw);
	json_add_str(o, "detect_notes", m->detect_notes);
	json_object_object_add(o, "clock", run_clock_to_json(m));
	return o;
}

/* ---- the clock of the timings ---- */

#define CLOCK_ARG "itsperf.clock="

static void set_wall(struct run_meta *m)
{
	snprintf(m->clock.kind, sizeof(m->clock.kind), "wall");
	m->clock.shift = -1;
	m->clock.emulated = m->emulated;
}

void run_clock_from_meta(struct run_meta *m)
{
	const char *p = m->kernel_cmdline;
	const char *arg = NULL;
	char *end;
	long v;

	/* the last itsperf.clock= wins, as for any kernel argument; whole words only */
	while ((p = strstr(p, CLOCK_ARG))) {
		if (p == m->kernel_cmdline || p[-1] == ' ')
			arg = p + strlen(CLOCK_ARG);
		p += strlen(CLOCK_ARG);
	}
	set_wall(m);
	if (!arg || strncmp(arg, "icount:", 7))
		return;
	v = strtol(arg + 7, &end, 10);
	if (end == arg + 7 || (*end && *end != ' ') || v < 0 || v > 30)
		return;
	snprintf(m->clock.kind, sizeof(m->clock.kind), "icount");
	m->clock.shift = (int)v;
	/* icount only exists in QEMU */
	m->clock.emulated = true;
}

struct json_object *run_clock_to_json(const struct run_meta *m)
{
	struct json_object *o = json_object_new_object();
	struct run_meta tmp;

	if (!m->clock.kind[0]) {
		/* a producer that did not fill it: what the command line says */
		tmp = *m;
		run_clock_from_meta(&tmp);
		m = &tmp;
	}
	json_object_object_add(o, "kind", json_object_new_string(m->clock.kind));
	if (!strcmp(m->clock.kind, "icount"))
		json_object_object_add(o, "shift", json_object_new_int(m->clock.shift));
	json_object_object_add(o, "emulated", json_object_new_boolean(m->clock.emulated));
	return o;
}

int run_clock_from_json(struct run_meta *m, struct json_object *o, char *err, size_t len)
{
	struct json_object *kind;
	struct json_object *v;

	set_wall(m);
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, len, "meta.clock: expected an object");
		return -1;
	}
	if (!json_object_object_get_ex(o, "kind", &kind) ||
	    !json_object_is_type(kind, json_type_string)) {
		snprintf(err, len, "meta.clock.kind: missing or not a string");
		return -1;
	}
	if (json_object_object_get_ex(o, "emulated", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, len, "meta.clock.emulated: expected a boolean");
			return -1;
		}
		m->clock.emulated = json_object_get_boolean(v);
	}
	if (!strcmp(json_object_get_string(kind), "wall"))
		return 0;
	if (strcmp(json_object_get_string(kind), "icount")) {
		snprintf(err, len, "meta.clock.kind: '%.32s' is not icount or wall",
			 json_object_get_string(kind));
		return -1;
	}
	if (!json_object_object_get_ex(o, "shift", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0 || json_object_get_int64(v) > 30) {
		snprintf(err, len, "meta.clock.shift: missing or not in [0, 30]");
		return -1;
	}
	snprintf(m->clock.kind, sizeof(m->clock.kind), "icount");
	m->clock.shift = (int)json_object_get_int64(v);
	m->clock.emulated = true;
	return 0;
}

const char *run_clock_str(const struct run_meta *m, char *buf, size_t len)
{
	const char *where = m->clock.emulated ? "emulated" : "hardware";

	if (!strcmp(m->clock.kind, "icount"))
		snprintf(buf, len, "icount shift=%d, %s", m->clock.shift, where);
	else
		snprintf(buf, len, "%s, %s", m->clock.kind[0] ? m->clock.kind : "wall", where);
	return buf;
}

bool run_clock_same(const struct run_meta *a, const struct run_meta *b)
{
	const char *ka = a->clock.kind[0] ? a->clock.kind : "wall";
	const char *kb = b->clock.kind[0] ? b->clock.kind : "wall";

	if (strcmp(ka, kb) || a->clock.emulated != b->clock.emulated)
		return false;
	return strcmp(ka, "icount") || a->clock.shift == b->clock.shift;
}
