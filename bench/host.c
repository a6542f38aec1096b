// SPDX-License-Identifier: GPL-2.0
/* Small sysfs/procfs helpers the workloads share. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_priv.h"

static char *vpath(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		return NULL;
	return p;
}

char *host_read_str(const char *fmt, ...)
{
	va_list ap;
	char *path;
	char *buf;
	char *s;
	int saved;

	va_start(ap, fmt);
	path = vpath(fmt, ap);
	va_end(ap);
	if (!path)
		return NULL;
	buf = read_file(path, NULL);
	saved = errno;
	free(path);
	if (!buf) {
		errno = saved;
		return NULL;
	}
	s = strim(buf);
	memmove(buf, s, strlen(s) + 1);
	return buf;
}

int host_read_int(long long *v, const char *fmt, ...)
{
	va_list ap;
	char *path;
	char *buf;
	char *end;

	va_start(ap, fmt);
	path = vpath(fmt, ap);
	va_end(ap);
	if (!path)
		return -1;
	buf = read_file(path, NULL);
	free(path);
	if (!buf)
		return -1;
	errno = 0;
	*v = strtoll(buf, &end, 0);
	if (errno || end == buf || (*end && *end != '\n' && *end != ' ')) {
		free(buf);
		errno = EINVAL;
		return -1;
	}
	free(buf);
	return 0;
}

int host_write(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t r;
	int fd;
	int err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs and procfs stores act on one write(): never split it */
	r = write(fd, s, len);
	err = r < 0 ? -errno : (size_t)r != len ? -EIO : 0;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

int host_cpulist(const char *s, uint64_t *mask, int nbits)
{
	char *copy = xstrdup(s);
	int n = parse_cpulist(strim(copy), mask, nbits);

	free(copy);
	return n;
}

int host_cpulist_single(const char *s)
{
	uint64_t mask[BENCH_MAX_CPUS / 64];
	int i;

	if (host_cpulist(s, mask, BENCH_MAX_CPUS) != 1)
		return -1;
	for (i = 0; i < BENCH_MAX_CPUS; i++)
		if (mask[i / 64] & (1ull << (i % 64)))
			return i;
	return -1;
}

int host_online_cpus(uint64_t *mask, int nbits)
{
	char *s = host_read_str("/sys/devices/system/cpu/online");
	long n;
	int ret;

	if (s) {
		ret = host_cpulist(s, mask, nbits);
		free(s);
		if (ret > 0)
			return ret;
	}
	/* no sysfs: CPUs 0..n-1 */
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0 || n > nbits)
		return -1;
	memset(mask, 0, ((nbits + 63) / 64) * sizeof(*mask));
	for (ret = 0; ret < n; ret++)
		mask[ret / 64] |= 1ull << (ret % 64);
	return (int)n;
}

int host_pci_bdf_normalize(const char *in, char *out, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	if (sscanf(in, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) == 4) {
		/* domain:bus:dev.fn */
	} else if (sscanf(in, "%x:%x.%x%c", &bus, &dev, &fn, &tail) == 3) {
		dom = 0;
	} else {
		return -1;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -1;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int host_pci_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX];
	char link[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (access(path, F_OK))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		drv[0] = '\0';
		return 0;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	snprintf(drv, len, "%s", base ? base + 1 : link);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int host_pci_msi_irqs(const char *bdf, int *irqs, int max)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", bdf);
	d = opendir(path);
	if (!d)
		return 0; /* no MSI enabled: the directory only exists while vectors are allocated */
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name)
			continue;
		if (n < max)
			irqs[n] = (int)v;
		n++;
	}
	closedir(d);
	qsort(irqs, n < max ? n : max, sizeof(int), cmp_int);
	return n;
}

int host_blockdev_pci(const char *dev, char *bdf, size_t len)
{
	char path[PATH_MAX];
	char real[PATH_MAX];
	struct stat st;
	char *p;

	if (dev[0] == '/') {
		if (stat(dev, &st))
			return -1;
		if (!S_ISBLK(st.st_mode)) {
			errno = ENOTBLK;
			return -1;
		}
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(st.st_rdev),
			 minor(st.st_rdev));
	} else {
		snprintf(path, sizeof(path), "/sys/class/block/%s", dev);
	}
	if (!realpath(path, real))
		return -1;
	/* walk up to the PCI function: the first directory with a "config" and a BDF name */
	for (;;) {
		p = strrchr(real, '/');
		if (!p || p == real)
			break;
		if (!host_pci_bdf_normalize(p + 1, bdf, len) && !strcmp(p + 1, bdf)) {
			if (snprintf(path, sizeof(path), "%s/config", real) < (int)sizeof(path) &&
			    !access(path, F_OK))
				return 0;
		}
		*p = '\0';
	}
	errno = ENODEV;
	return -1;
}

const char *host_kvm_mode(void)
{
	static char mode[32];
	char *cmd = host_read_str("/proc/cmdline");
	char *p;

	snprintf(mode, sizeof(mode), "default");
	if (!cmd)
		return mode;
	p = strstr(cmd, "kvm-arm.mode=");
	if (p) {
		p += strlen("kvm-arm.mode=");
		snprintf(mode, sizeof(mode), "%.*s", (int)strcspn(p, " \n"), p);
	}
	free(cmd);
	return mode;
}

int host_pci_netdevs(const char *bdf, char (*names)[IFNAMSIZ], int max)
{
	char path[PATH_MAX];
	char dev[PATH_MAX];
	char real[PATH_MAX];
	struct dirent *de;
	size_t n;
	int nr = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (!realpath(path, dev))
		return -1;
	n = strlen(dev);
	d = opendir("/sys/class/net");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= IFNAMSIZ)
			continue;
		if (snprintf(path, sizeof(path), "/sys/class/net/%s/device", de->d_name) >=
			    (int)sizeof(path) ||
		    !realpath(path, real))
			continue;
		if (strncmp(real, dev, n) || (real[n] && real[n] != '/'))
			continue;
		if (nr < max)
			snprintf(names[nr], IFNAMSIZ, "%s", de->d_name);
		nr++;
	}
	closedir(d);
	return nr;
}

static int ifflags(const char *ifname, short set, short *flags)
{
	struct ifreq ifr;
	int fd;
	int ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!ret && set && !(ifr.ifr_flags & set)) {
		ifr.ifr_flags |= set;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (ret)
		ret = -errno;
	else if (flags)
		*flags = ifr.ifr_flags;
	close(fd);
	return ret;
}

bool host_netdev_is_up(const char *ifname)
{
	short flags = 0;

	return !ifflags(ifname, 0, &flags) && (flags & IFF_UP);
}

int host_netdev_set_up(const char *ifname)
{
	return ifflags(ifname, IFF_UP, NULL);
}

int host_pci_netdevs_up(const char *bdf)
{
	char names[16][IFNAMSIZ];
	int n = host_pci_netdevs(bdf, names, 16);
	int ret = 0;
	int i;

	for (i = 0; i < n && i < 16; i++)
		if (host_netdev_set_up(names[i]))
			ret = -1;
	return n < 0 ? -1 : ret;
}

int host_pci_msix_table_size(const char *bdf)
{
	unsigned char cfg[256];
	char path[PATH_MAX];
	unsigned int pos;
	int guard = 48;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the first 64 bytes are readable by anyone, the capabilities by root */
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n < 64) {
		errno = n < 0 ? errno : EIO;
		return -1;
	}
	if (!(cfg[0x06] & 0x10)) /* PCI_STATUS_CAP_LIST */
		return 0;
	for (pos = cfg[0x34] & ~3u; pos >= 0x40 && pos + 3 < (unsigned int)n && guard--;
	     pos = cfg[pos + 1] & ~3u) {
		if (cfg[pos] == 0x11) /* PCI_CAP_ID_MSIX: Message Control bits 10:0 = size - 1 */
			return ((cfg[pos + 2] | (cfg[pos + 3] << 8)) & 0x7ff) + 1;
	}
	return 0;
}

int host_pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX];
	char link[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	base = strrchr(link, '/');
	return atoi(base ? base + 1 : link);
}

static void module_norm(char *name)
{
	for (; *name; name++)
		if (*name == '-')
			*name = '_';
}

bool host_module_loaded(const char *name)
{
	char path[PATH_MAX];
	char n[64];

	snprintf(n, sizeof(n), "%s", name);
	module_norm(n);
	snprintf(path, sizeof(path), "/sys/module/%s", n);
	return !access(path, F_OK);
}

/* "kernel/drivers/vfio/vfio-pci.ko.xz" -> "vfio_pci" */
static void module_from_path(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	char *dot;

	snprintf(out, len, "%s", b ? b + 1 : path);
	dot = strstr(out, ".ko");
	if (dot)
		*dot = '\0';
	module_norm(out);
}

/* the modules.dep line of name: its dependencies (paths, space separated), NULL if absent */
static char *modules_dep_line(const char *dep, const char *name)
{
	char *save = NULL;
	char *line;
	char *copy = xstrdup(dep);
	char *found = NULL;
	char m[64];

	for (line = strtok_r(copy, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		module_from_path(line, m, sizeof(m));
		if (!strcmp(m, name))
			found = xstrdup(colon + 1);
	}
	free(copy);
	return found;
}

static int add_missing(const char *dep, const char *name, char (*out)[64], int max, int nr,
		       int depth)
{
	char *deps = dep ? modules_dep_line(dep, name) : NULL;
	char *save = NULL;
	char *tok;
	char m[64];
	int i;

	for (tok = deps ? strtok_r(deps, " \t", &save) : NULL; tok && depth < 16;
	     tok = strtok_r(NULL, " \t", &save)) {
		module_from_path(tok, m, sizeof(m));
		nr = add_missing(dep, m, out, max, nr, depth + 1);
	}
	free(deps);
	if (host_module_loaded(name))
		return nr;
	for (i = 0; i < nr && i < max; i++)
		if (!strcmp(out[i], name))
			return nr;
	if (nr < max)
		snprintf(out[nr], 64, "%s", name);
	return nr + 1;
}

int host_module_missing(const char *name, char (*out)[64], int max)
{
	char path[PATH_MAX];
	struct utsname u;
	char m[64];
	char *dep;
	int nr;

	snprintf(m, sizeof(m), "%s", name);
	module_norm(m);
	uname(&u);
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	dep = read_file(path, NULL);
	nr = add_missing(dep, m, out, max, 0, 0);
	free(dep);
	return nr;
}

int host_modprobe(const char *name)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		/* a minimal PATH where modprobe lives (kmod or busybox) */
		setenv("PATH", "/sbin:/usr/sbin:/bin:/usr/bin", 0);
		execlp("modprobe", "modprobe", name, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status) == 127 ? -ENOENT : WEXITSTATUS(status) ? -EIO : 0;
}
