// SPDX-License-Identifier: GPL-2.0
/*
 * The state journal: every change a workload makes to the host is written
 * here BEFORE it is made, so that a run killed with SIGKILL (no handler,
 * no atexit) can be undone by `itsperf bench restore`.
 *
 * One file per process, <dir>/bench-<pid>.journal, one record per line:
 *
 *   itsperf-bench-journal 1
 *   pid <pid> <starttime>          starttime from /proc/<pid>/stat: pid reuse check
 *   boot <boot_id>                 a journal from another boot is void
 *   workload <name>
 *   affinity <irq> <smp_affinity_list> <effective cpu>
 *   binding <bdf> <driver or ->    the original driver ("-": none)
 *   netup <bdf>                    its network interfaces were up (restored after
 *                                  the binding: written before the binding record)
 *   module <name>                  a module this run loaded
 *   mount <path>                   a filesystem this run mounted (debugfs)
 *   override <bdf> <value or ->    the device's original driver_override (written
 *                                  after its binding record: restored first)
 *
 * Only the first record per object is written: it holds the original
 * state. The directory is /run/itsperf (tmpfs: cleared by a reboot, when
 * there is nothing left to undo), else /var/tmp/itsperf;
 * $ITSPERF_JOURNAL_DIR overrides it. Writes are plain write(2)s: SIGKILL
 * does not lose page-cache data, and a power cut resets the host anyway.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/bench_priv.h"

#define JOURNAL_MAGIC "itsperf-bench-journal 1"

struct journal {
	char path[PATH_MAX];
	char workload[32];
	int fd; /* -1 until the first record */
	struct jentry *e;
	int n;
	bool open;
	pthread_mutex_t lock;
};

static struct journal J = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

const char *journal_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("ITSPERF_JOURNAL_DIR");

	if (env && *env) {
		snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}
	if (!mkdir_p("/run/itsperf", 0700) && !access("/run/itsperf", W_OK))
		return "/run/itsperf";
	return "/var/tmp/itsperf";
}

static char *boot_id(void)
{
	char *s = host_read_str("/proc/sys/kernel/random/boot_id");

	return s ? s : xstrdup("unknown");
}

/* field 22 of /proc/<pid>/stat: start time in clock ticks since boot */
static unsigned long long proc_starttime(int pid)
{
	unsigned long long st = 0;
	char *s = host_read_str("/proc/%d/stat", pid);
	char *p;
	int i;

	if (!s)
		return 0;
	p = strrchr(s, ')');
	for (i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (p)
		st = strtoull(p + 1, NULL, 10);
	free(s);
	return st;
}

static bool pid_alive(int pid, unsigned long long starttime)
{
	if (kill(pid, 0) && errno == ESRCH)
		return false;
	return proc_starttime(pid) == starttime;
}

/* ---- restoring one record (shared with `itsperf bench restore`) ---- */

static int restore_affinity(const struct jentry *e, struct journal_restore_stats *st, bool dry)
{
	char path[64];
	char *cur;
	char *before;
	char *after;
	int b, a;
	int err;

	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", e->irq);
	cur = host_read_str("%s", path);
	if (!cur && errno == ENOENT) {
		info_msg("restore: irq %d is gone (device removed): nothing to restore", e->irq);
		return 0;
	}
	/* already as found: no write (a refused or never-made change, or restored before) */
	if (cur && !strcmp(cur, e->val)) {
		free(cur);
		return 0;
	}
	free(cur);
	if (dry) {
		printf("  would write %s to %s\n", e->val, path);
		return 0;
	}
	before = host_read_str("/proc/irq/%d/effective_affinity_list", e->irq);
	err = host_write(path, e->val);
	if (err == -ENOENT) {
		info_msg("restore: irq %d is gone (device removed): nothing to restore", e->irq);
		free(before);
		return 0;
	}
	if (err) {
		err_msg("restore: irq %d: writing '%s' to %s: %s", e->irq, e->val, path,
			strerror(-err));
		free(before);
		return -1;
	}
	after = host_read_str("/proc/irq/%d/effective_affinity_list", e->irq);
	b = before ? host_cpulist_single(before) : -1;
	a = after ? host_cpulist_single(after) : -1;
	if (st && a != b)
		st->affinity_moved++;
	if (st && e->eff >= 0 && a != e->eff)
		st->effective_differs++;
	debug_msg("restore: irq %d mask %s effective %d -> %d (was %d)", e->irq, e->val, b, a,
		  e->eff);
	free(before);
	free(after);
	return 0;
}

static int restore_binding(const struct jentry *e, bool dry)
{
	const char *want = strcmp(e->val, "-") ? e->val : "";
	char path[PATH_MAX];
	char cur[64];
	int err;

	if (host_pci_driver(e->obj, cur, sizeof(cur))) {
		err_msg("restore: PCI device %s is gone: cannot rebind it to %s", e->obj,
			*want ? want : "no driver");
		return -1;
	}
	if (!strcmp(cur, want))
		return 0;
	if (dry) {
		printf("  would rebind %s from '%s' to '%s'\n", e->obj, cur, want);
		return 0;
	}
	if (*cur) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", e->obj);
		err = host_write(path, e->obj);
		if (err) {
			err_msg("restore: unbind %s from %s: %s", e->obj, cur, strerror(-err));
			return -1;
		}
	}
	if (!*want)
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", want);
	err = host_write(path, e->obj);
	if (err == -ENOENT) /* the driver is gone (module unloaded): let the bus probe */
		err = host_write("/sys/bus/pci/drivers_probe", e->obj);
	if (host_pci_driver(e->obj, cur, sizeof(cur)) || strcmp(cur, want)) {
		err_msg("restore: bind %s to %s failed (%s); now bound to '%s'", e->obj, want,
			err ? strerror(-err) : "another driver took it", cur);
		return -1;
	}
	return 0;
}

static int restore_module(const struct jentry *e, bool dry)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s", e->obj);
	if (access(path, F_OK))
		return 0;
	if (dry) {
		printf("  would unload module %s\n", e->obj);
		return 0;
	}
	if (syscall(SYS_delete_module, e->obj, O_NONBLOCK)) {
		err_msg("restore: unloading module %s: %s", e->obj, strerror(errno));
		return -1;
	}
	return 0;
}

static bool is_mounted(const char *path)
{
	char *m = read_file("/proc/self/mounts", NULL);
	char *needle = xasprintf(" %s ", path);
	bool ret = m && strstr(m, needle);

	free(m);
	free(needle);
	return ret;
}

static int restore_mount(const struct jentry *e, bool dry)
{
	if (!is_mounted(e->val))
		return 0;
	if (dry) {
		printf("  would unmount %s\n", e->val);
		return 0;
	}
	if (umount(e->val)) {
		err_msg("restore: unmounting %s: %s", e->val, strerror(errno));
		return -1;
	}
	return 0;
}

static int restore_netup(const struct jentry *e, bool dry)
{
	if (dry) {
		printf("  would set the network interfaces of %s up\n", e->obj);
		return 0;
	}
	if (host_pci_netdevs_up(e->obj)) {
		err_msg("restore: setting the interfaces of %s up failed", e->obj);
		return -1;
	}
	return 0;
}

static int restore_override(const struct jentry *e, bool dry)
{
	const char *want = strcmp(e->val, "-") ? e->val : "";
	char path[PATH_MAX];
	char *cur;
	int err;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", e->obj);
	cur = host_read_str("%s", path);
	if (!cur) {
		err_msg("restore: %s: %s", path, strerror(errno));
		return -1;
	}
	/* the kernel shows an unset override as "(null)" */
	if (!strcmp(cur, want) || (!*want && !strcmp(cur, "(null)"))) {
		free(cur);
		return 0;
	}
	free(cur);
	if (dry) {
		printf("  would set the driver_override of %s to '%s'\n", e->obj, want);
		return 0;
	}
	/* a lone newline clears it */
	err = host_write(path, *want ? want : "\n");
	if (err) {
		err_msg("restore: writing '%s' to %s: %s", want, path, strerror(-err));
		return -1;
	}
	return 0;
}

static int restore_entry(const struct jentry *e, struct journal_restore_stats *st, bool dry)
{
	switch (e->kind) {
	case J_OVERRIDE:
		return restore_override(e, dry);
	case J_NETUP:
		return restore_netup(e, dry);
	case J_AFFINITY:
		return restore_affinity(e, st, dry);
	case J_BINDING:
		return restore_binding(e, dry);
	case J_MODULE:
		return restore_module(e, dry);
	case J_MOUNT:
		return restore_mount(e, dry);
	}
	return -1;
}

static const char *entry_str(const struct jentry *e, char *buf, size_t len)
{
	switch (e->kind) {
	case J_AFFINITY:
		snprintf(buf, len, "irq %d affinity %s", e->irq, e->val);
		break;
	case J_BINDING:
		snprintf(buf, len, "PCI %s driver %s", e->obj, e->val);
		break;
	case J_MODULE:
		snprintf(buf, len, "module %s", e->obj);
		break;
	case J_MOUNT:
		snprintf(buf, len, "mount %s", e->val);
		break;
	case J_NETUP:
		snprintf(buf, len, "PCI %s interfaces up", e->obj);
		break;
	case J_OVERRIDE:
		snprintf(buf, len, "PCI %s driver_override %s", e->obj, e->val);
		break;
	}
	return buf;
}

/* ---- this process's journal ---- */

static void journal_cleanup_cb(void *arg __unused)
{
	journal_close();
}

static int scan_stale(const char *dir, bool *found_stale);

int journal_open(const char *workload)
{
	const char *dir = journal_dir();
	bool stale = false;

	pthread_mutex_lock(&J.lock);
	if (J.open) {
		pthread_mutex_unlock(&J.lock);
		return 0;
	}
	if (scan_stale(dir, &stale) || stale) {
		pthread_mutex_unlock(&J.lock);
		return -1;
	}
	snprintf(J.path, sizeof(J.path), "%s/bench-%d.journal", dir, (int)getpid());
	snprintf(J.workload, sizeof(J.workload), "%s", workload);
	J.fd = -1;
	J.n = 0;
	J.open = true;
	pthread_mutex_unlock(&J.lock);
	cleanup_push(journal_cleanup_cb, NULL, "bench journal: restore the host");
	return 0;
}

static int journal_append(const char *line)
{
	size_t len = strlen(line);
	char *hdr;
	char *bid;

	if (J.fd < 0) {
		if (mkdir_p(journal_dir(), 0700)) {
			err_msg("bench: journal directory %s: %s", journal_dir(), strerror(errno));
			return -1;
		}
		J.fd = open(J.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
		if (J.fd < 0) {
			err_msg("bench: journal %s: %s", J.path, strerror(errno));
			return -1;
		}
		bid = boot_id();
		hdr = xasprintf(JOURNAL_MAGIC "\npid %d %llu\nboot %s\nworkload %s\n",
				(int)getpid(), proc_starttime(getpid()), bid, J.workload);
		free(bid);
		if (write(J.fd, hdr, strlen(hdr)) != (ssize_t)strlen(hdr)) {
			err_msg("bench: journal %s: %s", J.path, strerror(errno));
			free(hdr);
			return -1;
		}
		free(hdr);
	}
	if (write(J.fd, line, len) != (ssize_t)len) {
		err_msg("bench: journal %s: %s", J.path, strerror(errno));
		return -1;
	}
	return 0;
}

static int journal_add(const struct jentry *e, const char *line)
{
	int i;
	int ret = 0;

	pthread_mutex_lock(&J.lock);
	if (!J.open) {
		pthread_mutex_unlock(&J.lock);
		err_msg("bench: internal error: change before journal_open()");
		return -1;
	}
	for (i = 0; i < J.n; i++) {
		if (J.e[i].kind == e->kind && J.e[i].irq == e->irq && !strcmp(J.e[i].obj, e->obj) &&
		    (e->kind != J_MOUNT || !strcmp(J.e[i].val, e->val)) && !J.e[i].done)
			goto out; /* the original is already recorded */
	}
	ret = journal_append(line);
	if (ret)
		goto out;
	J.e = xrealloc(J.e, (J.n + 1) * sizeof(*J.e));
	J.e[J.n++] = *e;
out:
	pthread_mutex_unlock(&J.lock);
	return ret;
}

int journal_note_affinity(int irq, const char *mask, int effective_cpu)
{
	struct jentry e = { .kind = J_AFFINITY, .irq = irq, .eff = effective_cpu };
	char *line;
	int ret;

	if (strlen(mask) >= sizeof(e.val) || strchr(mask, ' ') || !*mask) {
		err_msg("bench: irq %d: unexpected affinity '%s'", irq, mask);
		return -1;
	}
	snprintf(e.val, sizeof(e.val), "%s", mask);
	line = xasprintf("affinity %d %s %d\n", irq, mask, effective_cpu);
	ret = journal_add(&e, line);
	free(line);
	return ret;
}

int journal_note_binding(const char *bdf, const char *driver)
{
	struct jentry e = { .kind = J_BINDING, .irq = -1 };
	char *line;
	int ret;

	snprintf(e.obj, sizeof(e.obj), "%s", bdf);
	snprintf(e.val, sizeof(e.val), "%s", *driver ? driver : "-");
	line = xasprintf("binding %s %s\n", e.obj, e.val);
	ret = journal_add(&e, line);
	free(line);
	return ret;
}

int journal_note_module(const char *name)
{
	struct jentry e = { .kind = J_MODULE, .irq = -1 };
	char *line;
	int ret;

	snprintf(e.obj, sizeof(e.obj), "%s", name);
	line = xasprintf("module %s\n", name);
	ret = journal_add(&e, line);
	free(line);
	return ret;
}

int journal_note_netup(const char *bdf)
{
	struct jentry e = { .kind = J_NETUP, .irq = -1 };
	char *line;
	int ret;

	snprintf(e.obj, sizeof(e.obj), "%s", bdf);
	line = xasprintf("netup %s\n", e.obj);
	ret = journal_add(&e, line);
	free(line);
	return ret;
}

int journal_note_override(const char *bdf, const char *value)
{
	struct jentry e = { .kind = J_OVERRIDE, .irq = -1 };
	char *line;
	int ret;

	if (strchr(value, ' ') || strlen(value) >= sizeof(e.val)) {
		err_msg("bench: %s: unexpected driver_override '%s'", bdf, value);
		return -1;
	}
	snprintf(e.obj, sizeof(e.obj), "%s", bdf);
	snprintf(e.val, sizeof(e.val), "%s", *value ? value : "-");
	line = xasprintf("override %s %s\n", e.obj, e.val);
	ret = journal_add(&e, line);
	free(line);
	return ret;
}

int journal_note_mount(const char *path)
{
	struct jentry e = { .kind = J_MOUNT, .irq = -1 };
	char *line;
	int ret;

	snprintf(e.val, sizeof(e.val), "%s", path);
	line = xasprintf("mount %s\n", path);
	ret = journal_add(&e, line);
	free(line);
	return ret;
}

/* the change was undone by the workload itself (module unloaded): nothing left to restore */
void journal_forget_module(const char *name)
{
	int i;

	pthread_mutex_lock(&J.lock);
	for (i = 0; i < J.n; i++)
		if (J.e[i].kind == J_MODULE && !strcmp(J.e[i].obj, name))
			J.e[i].done = true;
	pthread_mutex_unlock(&J.lock);
}

int journal_restore(struct journal_restore_stats *st)
{
	char what[400];
	int failed = 0;
	int i;

	if (st)
		memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&J.lock);
	for (i = J.n - 1; i >= 0; i--) {
		if (J.e[i].done)
			continue;
		if (restore_entry(&J.e[i], st, false)) {
			failed++;
			continue;
		}
		J.e[i].done = true;
		if (st)
			st->restored++;
		debug_msg("restored %s", entry_str(&J.e[i], what, sizeof(what)));
	}
	if (st)
		st->failed = failed;
	if (!failed && J.fd >= 0) {
		close(J.fd);
		J.fd = -1;
		unlink(J.path);
	} else if (failed) {
		err_msg("bench: %d change(s) could not be undone; they stay in %s for "
			"'itsperf bench restore'",
			failed, J.path);
	}
	pthread_mutex_unlock(&J.lock);
	return failed ? -1 : 0;
}

void journal_close(void)
{
	if (!J.open)
		return;
	journal_restore(NULL);
	pthread_mutex_lock(&J.lock);
	if (J.fd >= 0)
		close(J.fd); /* failures stay on disk for `itsperf bench restore` */
	J.fd = -1;
	free(J.e);
	J.e = NULL;
	J.n = 0;
	J.open = false;
	pthread_mutex_unlock(&J.lock);
	cleanup_forget(journal_cleanup_cb, NULL);
}

/* ---- journals on disk ---- */

void jfile_free(struct jfile *f)
{
	free(f->e);
	memset(f, 0, sizeof(*f));
}

int journal_parse(const char *path, const char *text, struct jfile *f)
{
	char *copy = xstrdup(text);
	char *save = NULL;
	char *line;
	int lineno = 0;
	struct jentry e;
	char a[256], b[256];
	int x, y;

	memset(f, 0, sizeof(*f));
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		memset(&e, 0, sizeof(e));
		e.irq = -1;
		e.eff = -1;
		if (lineno == 1) {
			if (strcmp(line, JOURNAL_MAGIC)) {
				err_msg("%s:1: not an itsperf bench journal", path);
				free(copy);
				return -1;
			}
			continue;
		}
		if (sscanf(line, "pid %d %llu", &f->pid, &f->starttime) == 2)
			continue;
		if (sscanf(line, "boot %63s", f->boot) == 1)
			continue;
		if (sscanf(line, "workload %31s", f->workload) == 1)
			continue;
		if (sscanf(line, "affinity %d %255s %d", &x, a, &y) == 3 && x >= 0) {
			e.kind = J_AFFINITY;
			e.irq = x;
			e.eff = y;
			snprintf(e.val, sizeof(e.val), "%s", a);
		} else if (sscanf(line, "binding %255s %255s", a, b) == 2 &&
			   !host_pci_bdf_normalize(a, e.obj, sizeof(e.obj))) {
			e.kind = J_BINDING;
			snprintf(e.val, sizeof(e.val), "%s", b);
		} else if (sscanf(line, "override %255s %255s", a, b) == 2 &&
			   !host_pci_bdf_normalize(a, e.obj, sizeof(e.obj))) {
			e.kind = J_OVERRIDE;
			snprintf(e.val, sizeof(e.val), "%s", b);
		} else if (sscanf(line, "netup %255s", a) == 1 &&
			   !host_pci_bdf_normalize(a, e.obj, sizeof(e.obj))) {
			e.kind = J_NETUP;
		} else if (sscanf(line, "module %63s", a) == 1) {
			e.kind = J_MODULE;
			snprintf(e.obj, sizeof(e.obj), "%.63s", a);
		} else if (sscanf(line, "mount %255s", a) == 1 && a[0] == '/') {
			e.kind = J_MOUNT;
			snprintf(e.val, sizeof(e.val), "%s", a);
		} else {
			err_msg("%s:%d: malformed record '%s' (skipped)", path, lineno, line);
			f->bad_lines++;
			continue;
		}
		f->e = xrealloc(f->e, (f->n + 1) * sizeof(*f->e));
		f->e[f->n++] = e;
	}
	free(copy);
	if (!f->pid) {
		err_msg("%s: no 'pid' record", path);
		jfile_free(f);
		return -1;
	}
	return 0;
}

static bool is_journal_name(const char *name)
{
	size_t n = strlen(name);

	return str_starts(name, "bench-") && n > 14 && !strcmp(name + n - 8, ".journal");
}

/*
 * A journal of a dead process on this boot means a killed run: the host is
 * not as found. Journals from another boot are removed.
 */
static int scan_stale(const char *dir, bool *found_stale)
{
	char *bid = boot_id();
	struct dirent *de;
	struct jfile f;
	DIR *d;

	*found_stale = false;
	d = opendir(dir);
	if (!d) {
		free(bid);
		return 0;
	}
	while ((de = readdir(d))) {
		char *path;
		char *text;

		if (!is_journal_name(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		text = read_file(path, NULL);
		if (text && !journal_parse(path, text, &f)) {
			if (strcmp(f.boot, bid)) {
				info_msg("bench: removing %s: written before the last reboot",
					 path);
				unlink(path);
			} else if (f.pid != getpid() && !pid_alive(f.pid, f.starttime)) {
				err_msg("bench: run %d (%s) was killed and left %d change(s) in %s: "
					"run 'itsperf bench restore' first",
					f.pid, f.workload, f.n, path);
				*found_stale = true;
			}
			jfile_free(&f);
		} else if (text) {
			*found_stale = true; /* unreadable journal: never ignore it */
		}
		free(text);
		free(path);
	}
	closedir(d);
	free(bid);
	return 0;
}

struct restore_opts {
	bool force;
	bool dry;
	bool forget;
};

static int restore_file(const char *path, const struct restore_opts *ro, int *failed)
{
	bool force = ro->force;
	bool dry = ro->dry;
	char *bid = boot_id();
	struct journal_restore_stats st = { 0 };
	char what[400];
	struct jfile f;
	char *text;
	int bad = 0;
	int i, j;

	text = read_file(path, NULL);
	if (!text || journal_parse(path, text, &f)) {
		if (ro->forget && !dry) {
			printf("%s: unreadable, removed (--forget)\n", path);
			unlink(path);
		} else {
			(*failed)++;
		}
		free(text);
		free(bid);
		return -1;
	}
	free(text);
	if (strcmp(f.boot, bid)) {
		printf("%s: from another boot (%s): nothing to undo, removed\n", path, f.boot);
		if (!dry)
			unlink(path);
		goto out;
	}
	if (f.pid != getpid() && pid_alive(f.pid, f.starttime) && !force) {
		printf("%s: run %d (%s) is still running: it restores the host when it ends "
		       "(stop it, or --force)\n",
		       path, f.pid, f.workload);
		goto out;
	}
	if (ro->forget) {
		printf("%s: %s %d change(s) of run %d (%s) without undoing them:\n", path,
		       dry ? "would forget" : "forgetting", f.n, f.pid, f.workload);
		for (i = 0; i < f.n; i++)
			printf("  %s\n", entry_str(&f.e[i], what, sizeof(what)));
		if (!dry)
			unlink(path);
		goto out;
	}
	printf("%s: undoing %d change(s) of run %d (%s)\n", path, f.n, f.pid, f.workload);
	for (i = f.n - 1; i >= 0; i--) {
		/* only the first (original) record per object counts */
		for (j = 0; j < i; j++)
			if (f.e[j].kind == f.e[i].kind && f.e[j].irq == f.e[i].irq &&
			    !strcmp(f.e[j].obj, f.e[i].obj) &&
			    (f.e[i].kind != J_MOUNT || !strcmp(f.e[j].val, f.e[i].val)))
				break;
		if (j < i)
			continue;
		if (restore_entry(&f.e[i], &st, dry)) {
			bad++;
			continue;
		}
		if (!dry)
			printf("  restored %s\n", entry_str(&f.e[i], what, sizeof(what)));
	}
	if (bad || f.bad_lines) {
		printf("%s: %d change(s) not undone%s: journal kept\n", path, bad,
		       f.bad_lines ? ", malformed lines" : "");
		*failed += bad + f.bad_lines;
	} else if (!dry) {
		unlink(path);
	}
out:
	jfile_free(&f);
	free(bid);
	return 0;
}

int bench_restore_main(int argc, char **argv)
{
	struct restore_opts ro = { 0 };
	const char *dirs[2];
	int nr_dirs = 0;
	int found = 0;
	int failed = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force")) {
			ro.force = true;
		} else if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			ro.dry = true;
		} else if (!strcmp(argv[i], "--forget")) {
			ro.forget = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: itsperf bench restore [--force] [--dry-run] [--forget]\n"
			       "Undo the changes of bench runs that were killed (journal in %s).\n"
			       "  --force    also journals of runs that are still running\n"
			       "  --dry-run  only say what would be done\n"
			       "  --forget   list the changes and remove the journals without\n"
			       "             undoing anything (after fixing the host by hand)\n",
			       journal_dir());
			return EXIT_OK;
		} else {
			err_msg("bench restore: unknown argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	dirs[nr_dirs++] = journal_dir();
	if (!getenv("ITSPERF_JOURNAL_DIR") && strcmp(dirs[0], "/var/tmp/itsperf"))
		dirs[nr_dirs++] = "/var/tmp/itsperf";
	for (i = 0; i < nr_dirs; i++) {
		struct dirent *de;
		DIR *d = opendir(dirs[i]);

		if (!d)
			continue;
		while ((de = readdir(d))) {
			char *path;

			if (!is_journal_name(de->d_name))
				continue;
			path = xasprintf("%s/%s", dirs[i], de->d_name);
			found++;
			restore_file(path, &ro, &failed);
			free(path);
		}
		closedir(d);
	}
	if (!found)
		printf("nothing to restore (no journal in %s)\n", dirs[0]);
	return failed ? EXIT_FAIL : EXIT_OK;
}
