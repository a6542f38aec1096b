// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's initramfs, assembled per run: a newc cpio archive (the format
 * the kernel unpacks, Documentation/driver-api/early-userspace/buffer-format.rst)
 * holding busybox, /init, the static aarch64 itsperf, the kernel modules with
 * a modules.dep, the toolkit's own modules and this run's configuration.
 * It is left uncompressed: TCG would spend longer inflating it than the
 * kernel spends copying it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "vm/vm.h"

/* ---- newc writer ---- */

void cpio_init(struct cpio *c)
{
	memset(c, 0, sizeof(*c));
	c->ino = 1;
}

static void cpio_put(struct cpio *c, const void *data, size_t len)
{
	if (c->len + len > c->cap) {
		while (c->len + len > c->cap)
			c->cap = c->cap ? c->cap * 2 : 1 << 20;
		c->buf = xrealloc(c->buf, c->cap);
	}
	memcpy(c->buf + c->len, data, len);
	c->len += len;
}

static void cpio_pad4(struct cpio *c)
{
	static const char zero[4];

	cpio_put(c, zero, (4 - c->len % 4) % 4);
}

static void cpio_entry(struct cpio *c, const char *name, unsigned int mode, const void *data,
		       size_t len, unsigned int rmaj, unsigned int rmin)
{
	char hdr[111];

	/* magic, ino, mode, uid, gid, nlink, mtime, filesize, maj, min, rmaj, rmin, namesize, check */
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->ino++, mode, 0, 0, S_ISDIR(mode) ? 2 : 1, 0, (unsigned int)len, 0, 0, rmaj,
		 rmin, (unsigned int)strlen(name) + 1, 0);
	cpio_put(c, hdr, 110);
	cpio_put(c, name, strlen(name) + 1);
	cpio_pad4(c);
	if (len) {
		cpio_put(c, data, len);
		cpio_pad4(c);
	}
}

static bool have_dir(const struct cpio *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_dirs; i++)
		if (!strcmp(c->dirs[i], name))
			return true;
	return false;
}

/* the kernel does not create missing parents: add them first */
static int add_parents(struct cpio *c, const char *name)
{
	char *p = xstrdup(name);
	char *s;

	for (s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (*p && !have_dir(c, p)) {
			cpio_entry(c, p, S_IFDIR | 0755, NULL, 0, 0, 0);
			c->dirs = xrealloc(c->dirs, (c->nr_dirs + 1) * sizeof(*c->dirs));
			c->dirs[c->nr_dirs++] = xstrdup(p);
		}
		*s = '/';
	}
	free(p);
	return 0;
}

static int check_name(const char *name)
{
	if (!*name || *name == '/' || strstr(name, "..") || name[strlen(name) - 1] == '/') {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int cpio_add_dir(struct cpio *c, const char *name, unsigned int mode)
{
	if (check_name(name))
		return -1;
	if (have_dir(c, name))
		return 0;
	add_parents(c, name);
	cpio_entry(c, name, S_IFDIR | (mode & 07777), NULL, 0, 0, 0);
	c->dirs = xrealloc(c->dirs, (c->nr_dirs + 1) * sizeof(*c->dirs));
	c->dirs[c->nr_dirs++] = xstrdup(name);
	return 0;
}

int cpio_add_file(struct cpio *c, const char *name, unsigned int mode, const void *data, size_t len)
{
	if (check_name(name) || len > 0xffffffffu) {
		errno = EINVAL;
		return -1;
	}
	add_parents(c, name);
	cpio_entry(c, name, S_IFREG | (mode & 07777), data, len, 0, 0);
	return 0;
}

int cpio_add_symlink(struct cpio *c, const char *name, const char *target)
{
	if (check_name(name) || !*target)
		return -1;
	add_parents(c, name);
	cpio_entry(c, name, S_IFLNK | 0777, target, strlen(target), 0, 0);
	return 0;
}

int cpio_add_chardev(struct cpio *c, const char *name, unsigned int mode, unsigned int major,
		     unsigned int minor)
{
	if (check_name(name))
		return -1;
	add_parents(c, name);
	cpio_entry(c, name, S_IFCHR | (mode & 07777), NULL, 0, major, minor);
	return 0;
}

void cpio_finish(struct cpio *c)
{
	static const char zero[512];

	cpio_entry(c, "TRAILER!!!", 0, NULL, 0, 0, 0);
	cpio_put(c, zero, (512 - c->len % 512) % 512);
}

void cpio_free(struct cpio *c)
{
	int i;

	for (i = 0; i < c->nr_dirs; i++)
		free(c->dirs[i]);
	free(c->dirs);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* ---- shell quoting ---- */

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9'))
			continue;
		if (!strchr("_@%+=:,./-", *s))
			return false;
	}
	return true;
}

char *shell_quote(const char *s)
{
	size_t n = 2;
	const char *p;
	char *r, *q;

	if (shell_safe(s))
		return xstrdup(s);
	for (p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	r = xmalloc(n + 1);
	q = r;
	*q++ = '\'';
	for (p = s; *p; p++) {
		if (*p == '\'') {
			/* close, escaped quote, reopen */
			memcpy(q, "'\\''", 4);
			q += 4;
		} else {
			*q++ = *p;
		}
	}
	*q++ = '\'';
	*q = '\0';
	return r;
}

char *shell_quote_argv(int argc, char *const *argv)
{
	size_t len = 0, cap = 64;
	char *r = xmalloc(cap);
	char *w;
	int i;

	r[0] = '\0';
	for (i = 0; i < argc; i++) {
		w = shell_quote(argv[i]);
		while (len + strlen(w) + 2 > cap) {
			cap *= 2;
			r = xrealloc(r, cap);
		}
		len += sprintf(r + len, "%s%s", i ? " " : "", w);
		free(w);
	}
	return r;
}

/* ---- assembly ---- */

static int add_host_file(struct cpio *c, const char *name, unsigned int mode, const char *path)
{
	size_t len;
	char *data;
	int ret;

	data = read_file(path, &len);
	if (!data) {
		err_msg("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	ret = cpio_add_file(c, name, mode, data, len);
	free(data);
	return ret;
}

static int add_module(struct cpio *c, const char *release, const struct kmod *m)
{
	char *name = xasprintf("lib/modules/%s/%s.ko", release, m->name);
	size_t len;
	char *data;
	int ret;

	data = module_read(m->path, &len);
	if (!data) {
		err_msg("cannot read module %s: %s", m->path, strerror(errno));
		free(name);
		return -1;
	}
	ret = cpio_add_file(c, name, 0644, data, len);
	free(data);
	free(name);
	return ret;
}

static void buf_appendf(char **buf, size_t *len, const char *fmt, ...) __printf(3, 4);

static void buf_appendf(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	free(s);
}

/*
 * modules.dep in depmod's format (busybox modprobe reads it): every module
 * with all its dependencies, the one to load first last.
 */
static char *modules_dep(struct kmod **mods, int nr, struct kmod_index *ix, size_t *len)
{
	struct kmod **order = NULL;
	char *dep = NULL;
	int n = 0;
	int i, j;

	*len = 0;
	buf_appendf(&dep, len, "%s", "");
	for (i = 0; i < nr; i++) {
		n = 0;
		if (kmod_resolve(ix, mods[i]->name, &order, &n))
			continue;
		buf_appendf(&dep, len, "%s.ko:", mods[i]->name);
		for (j = n - 2; j >= 0; j--)
			buf_appendf(&dep, len, " %s.ko", order[j]->name);
		buf_appendf(&dep, len, "\n");
	}
	free(order);
	return dep;
}

static char *run_conf(const struct initramfs_spec *spec, size_t *len)
{
	char *rel = shell_quote(spec->release);
	char *conf = NULL;
	int i;

	*len = 0;
	buf_appendf(&conf, len,
		    "# written by itsperf vm for this run\n"
		    "ITSPERF_NONCE=%s\nITSPERF_MODE_REQ=%s\nITSPERF_INTERACTIVE=%d\n"
		    "ITSPERF_SHARE=%d\nITSPERF_KREL=%s\nITSPERF_BOOT_MODULES=\"",
		    spec->nonce, vm_mode_req_name(spec->mode), spec->interactive, spec->share, rel);
	for (i = 0; i < spec->nr_boot_mods; i++)
		buf_appendf(&conf, len, "%s%s", i ? " " : "", spec->boot_mods[i]->name);
	buf_appendf(&conf, len, "\"\n");
	free(rel);
	return conf;
}

static int add_modules_dep(struct cpio *c, const struct initramfs_spec *spec)
{
	int nr = spec->nr_boot_mods + spec->nr_extra_mods;
	struct kmod **all;
	size_t len;
	char *name;
	char *dep;
	int ret;

	all = xcalloc(nr, sizeof(*all));
	memcpy(all, spec->boot_mods, spec->nr_boot_mods * sizeof(*all));
	memcpy(all + spec->nr_boot_mods, spec->extra_mods, spec->nr_extra_mods * sizeof(*all));
	dep = modules_dep(all, nr, spec->ix, &len);
	name = xasprintf("lib/modules/%s/modules.dep", spec->release);
	ret = cpio_add_file(c, name, 0644, dep, len);
	free(name);
	free(dep);
	free(all);
	return ret;
}

static int add_config(struct cpio *c, const struct initramfs_spec *spec)
{
	size_t len;
	char *s;
	int ret;

	s = run_conf(spec, &len);
	ret = cpio_add_file(c, "etc/itsperf/run.conf", 0644, s, len);
	free(s);
	if (!spec->interactive) {
		char *cmd = shell_quote_argv(spec->argc, spec->argv);

		s = xasprintf("%s\n", cmd);
		ret |= cpio_add_file(c, "etc/itsperf/cmd", 0644, s, strlen(s));
		free(cmd);
		free(s);
	}
	if (spec->ix)
		ret |= add_modules_dep(c, spec);
	return ret;
}

static int add_skeleton(struct cpio *c)
{
	static const char *const dirs[] = { "bin",	   "sbin",
					    "usr/bin",	   "usr/sbin",
					    "proc",	   "sys",
					    "dev",	   "root",
					    "out",	   "mnt/share",
					    "run",	   "var/log",
					    "etc/itsperf", "lib/itsperf/kmod" };
	size_t i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(dirs); i++)
		ret |= cpio_add_dir(c, dirs[i], 0755);
	ret |= cpio_add_dir(c, "tmp", 01777);
	/* the kernel opens /dev/console for init before devtmpfs is mounted */
	ret |= cpio_add_chardev(c, "dev/console", 0600, 5, 1);
	ret |= cpio_add_chardev(c, "dev/null", 0666, 1, 3);
	ret |= cpio_add_symlink(c, "bin/sh", "busybox");
	ret |= cpio_add_file(c, "init", 0755, vm_init_script, strlen(vm_init_script));
	ret |= cpio_add_file(c, "etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\n", 30);
	ret |= cpio_add_file(c, "etc/group", 0644, "root:x:0:\n", 9);
	return ret;
}

int initramfs_build(const struct initramfs_spec *spec, const char *path)
{
	struct cpio c;
	int ret = -1;
	int i;

	cpio_init(&c);
	if (add_skeleton(&c))
		goto out;
	if (add_host_file(&c, "bin/busybox", 0755, spec->busybox) ||
	    add_host_file(&c, "bin/itsperf", 0755, spec->itsperf))
		goto out;
	for (i = 0; i < spec->nr_boot_mods; i++)
		if (add_module(&c, spec->release, spec->boot_mods[i]))
			goto out;
	for (i = 0; i < spec->nr_extra_mods; i++)
		if (add_module(&c, spec->release, spec->extra_mods[i]))
			goto out;
	for (i = 0; i < spec->nr_kmods; i++) {
		const char *base = strrchr(spec->kmods[i], '/');
		char *name = xasprintf("lib/itsperf/kmod/%s", base ? base + 1 : spec->kmods[i]);

		ret = add_host_file(&c, name, 0644, spec->kmods[i]);
		free(name);
		if (ret)
			goto out;
		ret = -1;
	}
	if (add_config(&c, spec)) {
		err_msg("cannot assemble the initramfs configuration");
		goto out;
	}
	cpio_finish(&c);
	if (write_file(path, c.buf, c.len)) {
		err_msg("cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	debug_msg("initramfs %s: %zu KiB", path, c.len >> 10);
	ret = 0;
out:
	cpio_free(&c);
	return ret;
}
