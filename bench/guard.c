// SPDX-License-Identifier: GPL-2.0
/*
 * The device guard: a workload must not unbind (rebind) or overwrite (msi
 * --write) a device the host depends on. A device is in use when anything
 * below its sysfs directory
 *   - backs a mounted filesystem: the block device of a mount (mountinfo's
 *     major:minor, or its /dev source), through device-mapper/md slaves; a
 *     9p or virtiofs mount by its virtio transport's mount tag;
 *   - is an active swap partition (a swap file is covered by its mount);
 *   - holds a block device open by another (holders/: dm, md, bcache);
 *   - is the interface of an IPv4 or IPv6 default route, directly or below
 *     a bridge, bond or VLAN (lower_* links) - that also covers NFS roots;
 *   - is a network interface with addresses or routes: rebinding would
 *     drop them (an interface that is only up is brought up again by the
 *     rebind workload itself).
 * Everything is read relative to a root directory so that the unit tests
 * can run it against fixture trees of proc/ and sys/.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_priv.h"

#define GUARD_MAX_DEPTH 8

struct guard {
	const char *root;
	const char *dev; /* realpath of the device directory */
	char *why;
	size_t len;
	int hits;
};

static void reason(struct guard *g, const char *fmt, ...) __printf(2, 3);

static void reason(struct guard *g, const char *fmt, ...)
{
	size_t off = strlen(g->why);
	va_list ap;

	g->hits++;
	if (off + 3 >= g->len)
		return;
	if (off) {
		snprintf(g->why + off, g->len - off, "; ");
		off += 2;
	}
	va_start(ap, fmt);
	vsnprintf(g->why + off, g->len - off, fmt, ap);
	va_end(ap);
}

/* snprintf for paths: a truncated path is an empty one (and matches nothing) */
static void pathfmt(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);

static void pathfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
}

static bool under(const char *path, const char *dev)
{
	size_t n = strlen(dev);

	return !strncmp(path, dev, n) && (path[n] == '\0' || path[n] == '/');
}

/* realpath of root + rel; false if it does not exist */
static bool resolve(const struct guard *g, const char *rel, char *out)
{
	char path[PATH_MAX];

	pathfmt(path, sizeof(path), "%s%s", g->root, rel);
	return realpath(path, out) != NULL;
}

static char *read_rel(const struct guard *g, const char *rel)
{
	char path[PATH_MAX];
	char *s;

	pathfmt(path, sizeof(path), "%s%s", g->root, rel);
	s = read_file(path, NULL);
	return s;
}

/* a block device (realpath of its sysfs dir) or one of its slaves lies under the device */
static bool block_backed(const struct guard *g, const char *blk, int depth)
{
	char path[PATH_MAX];
	char real[PATH_MAX];
	struct dirent *de;
	bool hit = false;
	DIR *d;

	if (under(blk, g->dev))
		return true;
	if (depth >= GUARD_MAX_DEPTH)
		return false;
	pathfmt(path, sizeof(path), "%s/slaves", blk);
	d = opendir(path);
	if (!d)
		return false;
	while (!hit && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		pathfmt(path, sizeof(path), "%s/slaves/%s", blk, de->d_name);
		if (realpath(path, real))
			hit = block_backed(g, real, depth + 1);
	}
	closedir(d);
	return hit;
}

/* /dev/NAME (or /dev/mapper/NAME -> dm-N on the live system) -> its sysfs dir */
static bool block_by_name(const struct guard *g, const char *dev, char *out)
{
	char real[PATH_MAX];
	char rel[PATH_MAX];
	const char *name = dev;
	const char *p;

	if (!*g->root && realpath(dev, real))
		name = real;
	p = strrchr(name, '/');
	pathfmt(rel, sizeof(rel), "/sys/class/block/%s", p ? p + 1 : name);
	return resolve(g, rel, out);
}

/* a virtio transport whose mount tag is tag lies under the device (9p, virtiofs) */
static bool virtio_tag_backed(const struct guard *g, const char *tag)
{
	char real[PATH_MAX];
	char rel[PATH_MAX];
	struct dirent *de;
	bool hit = false;
	char *t;
	DIR *d;
	int pass;

	/* 9p: /sys/bus/virtio/devices/virtioN/mount_tag; virtiofs: /sys/fs/virtiofs/N/tag */
	for (pass = 0; pass < 2 && !hit; pass++) {
		const char *dir = pass ? "/sys/fs/virtiofs" : "/sys/bus/virtio/devices";

		pathfmt(rel, sizeof(rel), "%s%s", g->root, dir);
		d = opendir(rel);
		if (!d)
			continue;
		while (!hit && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			pathfmt(rel, sizeof(rel), "%s/%s/%s", dir, de->d_name,
				pass ? "tag" : "mount_tag");
			t = read_rel(g, rel);
			if (!t)
				continue;
			/* mount_tag may carry a trailing NUL or newline */
			if (!strcmp(strim(t), tag)) {
				pathfmt(rel, sizeof(rel), "%s/%s%s", dir, de->d_name,
					pass ? "/device" : "");
				hit = resolve(g, rel, real) && under(real, g->dev);
			}
			free(t);
		}
		closedir(d);
	}
	return hit;
}

static void check_mounts(struct guard *g)
{
	char *text = read_rel(g, "/proc/self/mountinfo");
	char real[PATH_MAX];
	char rel[64];
	char *save = NULL;
	char *line;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mnt[PATH_MAX], fstype[64], source[PATH_MAX];
		unsigned int maj, min;
		char *sep;
		bool hit = false;

		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min, mnt) != 3)
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s %4095s", fstype, source) != 2)
			continue;
		if (maj) {
			pathfmt(rel, sizeof(rel), "/sys/dev/block/%u:%u", maj, min);
			hit = resolve(g, rel, real) && block_backed(g, real, 0);
		}
		if (!hit && str_starts(source, "/dev/"))
			hit = block_by_name(g, source, real) && block_backed(g, real, 0);
		if (!hit && (!strcmp(fstype, "9p") || !strcmp(fstype, "virtiofs")))
			hit = virtio_tag_backed(g, source);
		if (hit)
			reason(g, "backs the filesystem mounted on %s (%s, %s)", mnt, fstype,
			       source);
	}
	free(text);
}

static void check_swaps(struct guard *g)
{
	char *text = read_rel(g, "/proc/swaps");
	char real[PATH_MAX];
	char *save = NULL;
	char *line;
	char file[PATH_MAX];

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%4095s", file) != 1 || !str_starts(file, "/dev/"))
			continue; /* header, or a swap file: its mount is checked */
		if (block_by_name(g, file, real) && block_backed(g, real, 0))
			reason(g, "backs active swap %s", file);
	}
	free(text);
}

static void check_holders(struct guard *g)
{
	char real[PATH_MAX];
	char rel[PATH_MAX];
	struct dirent *de;
	struct dirent *h;
	DIR *d, *hd;

	pathfmt(rel, sizeof(rel), "%s/sys/class/block", g->root);
	d = opendir(rel);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		pathfmt(rel, sizeof(rel), "/sys/class/block/%s", de->d_name);
		if (!resolve(g, rel, real) || !under(real, g->dev))
			continue;
		pathfmt(rel, sizeof(rel), "%s/holders", real);
		hd = opendir(rel);
		if (!hd)
			continue;
		while ((h = readdir(hd)))
			if (h->d_name[0] != '.')
				reason(g, "has block device %s held by %s", de->d_name, h->d_name);
		closedir(hd);
	}
	closedir(d);
}

/* a network interface, or one of its lower devices, lies under the device */
static bool netdev_backed(const struct guard *g, const char *ifname, int depth)
{
	char real[PATH_MAX];
	char rel[PATH_MAX];
	struct dirent *de;
	bool hit = false;
	DIR *d;

	pathfmt(rel, sizeof(rel), "/sys/class/net/%s/device", ifname);
	if (resolve(g, rel, real) && under(real, g->dev))
		return true;
	if (depth >= GUARD_MAX_DEPTH)
		return false;
	pathfmt(rel, sizeof(rel), "%s/sys/class/net/%s", g->root, ifname);
	d = opendir(rel);
	if (!d)
		return false;
	while (!hit && (de = readdir(d)))
		if (str_starts(de->d_name, "lower_"))
			hit = netdev_backed(g, de->d_name + strlen("lower_"), depth + 1);
	closedir(d);
	return hit;
}

#define RTF_DEFAULT_  0x00010000 /* default route learned from a router advertisement */
#define RTF_ADDRCONF_ 0x00040000 /* ... from address autoconfiguration (RA) */

/*
 * The default routes: every IPv4 one, and IPv6 ones configured by hand
 * or by a daemon. An IPv6 default route learned from router advertisements
 * (RTF_ADDRCONF) comes back by itself when the link is up again (the
 * rebind workload brings it up); it counts only on a host that has no
 * IPv4 default route, where it is the way out.
 */
static void check_default_routes(struct guard *g)
{
	char *text = read_rel(g, "/proc/net/route");
	char *save = NULL;
	char *line;
	char ifname[64], dest[64], mask[64];
	char dst6[64], pfx[8];
	unsigned int flags;
	bool v4_default = false;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
		if (sscanf(line, "%63s %63s %*s %x %*s %*s %*s %63s", ifname, dest, &flags, mask) !=
		    4)
			continue;
		if (strcmp(dest, "00000000") || strcmp(mask, "00000000") || !(flags & 1))
			continue;
		v4_default = true;
		if (netdev_backed(g, ifname, 0))
			reason(g, "carries the IPv4 default route (interface %s)", ifname);
	}
	free(text);
	text = read_rel(g, "/proc/net/ipv6_route");
	save = NULL;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* dest prefix src prefix nexthop metric refcnt use flags iface */
		if (sscanf(line, "%63s %7s %*s %*s %*s %*s %*s %*s %x %63s", dst6, pfx, &flags,
			   ifname) != 4)
			continue;
		if (strspn(dst6, "0") != strlen(dst6) || strcmp(pfx, "00") ||
		    !strcmp(ifname, "lo") || !(flags & 1))
			continue;
		if ((flags & (RTF_ADDRCONF_ | RTF_DEFAULT_)) && v4_default)
			continue;
		if (netdev_backed(g, ifname, 0))
			reason(g, "carries the IPv6 default route (interface %s%s)", ifname,
			       flags & (RTF_ADDRCONF_ | RTF_DEFAULT_) ?
				       ", from router advertisements" :
				       "");
	}
	free(text);
}

#define IFA_F_PERMANENT_ 0x80

/*
 * Addresses and routes of an interface: an IPv4 address always brings a
 * route (/proc/net/route); an IPv6 address set by hand or by a daemon is
 * permanent in if_inet6. Link-local and autoconfigured (SLAAC) addresses
 * come back by themselves when the link is up again.
 */
static bool iface_configured(const struct guard *g, const char *ifname, char *what, size_t len)
{
	char name[64], addr[64];
	unsigned int scope, flags;
	char *save = NULL;
	char *line;
	char *text;
	bool hit = false;

	text = read_rel(g, "/proc/net/route");
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && !hit;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s", name) == 1 && !strcmp(name, ifname)) {
			snprintf(what, len, "IPv4 routes");
			hit = true;
		}
	free(text);
	text = read_rel(g, "/proc/net/if_inet6");
	save = NULL;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && !hit;
	     line = strtok_r(NULL, "\n", &save)) {
		/* address ifindex prefixlen scope flags name */
		if (sscanf(line, "%63s %*x %*x %x %x %63s", addr, &scope, &flags, name) != 4)
			continue;
		if (!strcmp(name, ifname) && scope != 0x20 && scope != 0x10 &&
		    (flags & IFA_F_PERMANENT_)) {
			snprintf(what, len, "IPv6 address %.32s", addr);
			hit = true;
		}
	}
	free(text);
	return hit;
}

static void check_configured_interfaces(struct guard *g)
{
	char real[PATH_MAX];
	char rel[PATH_MAX];
	char what[64];
	struct dirent *de;
	DIR *d;

	pathfmt(rel, sizeof(rel), "%s/sys/class/net", g->root);
	d = opendir(rel);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		pathfmt(rel, sizeof(rel), "/sys/class/net/%s/device", de->d_name);
		if (!resolve(g, rel, real) || !under(real, g->dev))
			continue;
		if (iface_configured(g, de->d_name, what, sizeof(what)))
			reason(g, "has interface %s configured (%s): a rebind drops them",
			       de->d_name, what);
	}
	closedir(d);
}

int guard_pci_devpath(const char *root, const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX];
	char real[PATH_MAX];

	pathfmt(path, sizeof(path), "%s/sys/bus/pci/devices/%s", root, bdf);
	if (!realpath(path, real))
		return -1;
	snprintf(out, len, "%s", real);
	return 0;
}

int guard_device_in_use(const char *root, const char *devpath, char *why, size_t len)
{
	struct guard g = { .root = root, .dev = devpath, .why = why, .len = len };

	if (!len)
		return -1;
	why[0] = '\0';
	check_mounts(&g);
	check_swaps(&g);
	check_holders(&g);
	check_default_routes(&g);
	check_configured_interfaces(&g);
	return g.hits ? 1 : 0;
}
