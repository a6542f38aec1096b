// SPDX-License-Identifier: GPL-2.0
/*
 * inv: INV-heavy traffic, by masking and unmasking MSI-X vectors of a PCI
 * device through vfio-pci, the way a VMM does when its guest masks and
 * unmasks the vectors of an assigned device.
 *
 * The device is taken from its driver (journaled; the guard of rebind
 * applies), bound to vfio-pci (driver_override), and opened through a
 * type1 container (vfio-pci needs an IOMMU: the emulated host has one
 * with `itsperf vm --iommu smmuv3`; Debian's kernels have no
 * VFIO_NOIOMMU). Then, with K vectors enabled (VFIO_DEVICE_SET_IRQS,
 * MSI-X, one eventfd each), one operation turns one vector off and on
 * again:
 *
 *   off: SET_IRQS fd -1 -> free_irq(): the shutdown masks the LPI
 *        (lpi_update_config -> INV) and deactivates it (DISCARD); vfio
 *        keeps the vector allocated
 *   on:  SET_IRQS fd    -> request_irq(): activation maps the event again
 *        (MAPTI), the startup unmasks it (INV)
 *
 * so every operation is INV 2, DISCARD 1, MAPTI 1 (and a SYNC each): INV
 * is half the commands, the other half is the (de)activation that free_irq
 * and request_irq do around every mask and unmask. Phases, for a device
 * with n vectors under its own driver and K enabled through vfio:
 *
 *   setup:   unbind from the driver (rebind_expect: INV n, DISCARD n, MAPD)
 *            MSI-X enable: MAPD 1, MAPTI K (activated at allocation), INV K
 *   run:     per operation INV 2, DISCARD 1, MAPTI 1
 *   restore: MSI-X disable: INV K, DISCARD K (free_irq), MAPD 1 (V=0)
 *            the driver bound again (rebind_expect: MAPD, MAPTI n, INV n,
 *            MOVI 0..n)
 *
 * Checked against the kernel's own count on 6.12 and 6.1 (README). The
 * modules this run loads (vfio, vfio_iommu_type1, vfio_pci_core,
 * vfio_pci and what they need) are journaled before loading and unloaded
 * at the end, the binding and driver_override restored; `itsperf bench
 * restore` does the same after a SIGKILL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <json-c/json.h>

#include "bench/bench_priv.h"
#include "lib/interrupts.h"

#define INV_MAX_VECS 2048

struct inv_dev {
	char bdf[16];
	char driver[64];   /* original driver, "" none */
	char override[64]; /* original driver_override, "" none */
	int orig_nvec;	   /* ITS vectors under the original driver */
	int group;
	int gfd;   /* group fd (devices of one group share it) */
	int fd;	   /* vfio device fd */
	int table; /* MSI-X table size */
	int nvec;  /* vectors enabled through vfio */
	int *efd;
	bool *on;
	int next;  /* round-robin position */
	bool msix; /* MSI-X enabled through vfio */
	bool dead;
	uint64_t toggles;
};

struct inv_state {
	struct inv_dev dev[BENCH_MAX_DEVICES];
	int nr;
	int live;
	int container;
	bool iommu_set; /* VFIO_SET_IOMMU done (after the first group joined) */
	struct bench_metric *mask_lat;
	struct bench_metric *unmask_lat;
};

/* ---- vfio ---- */

static int set_irqs(int fd, uint32_t flags, unsigned int start, unsigned int count,
		    const int32_t *fds)
{
	size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int32_t);
	struct vfio_irq_set *set = xcalloc(1, sz);
	int ret;

	set->argsz = sz;
	set->flags = flags | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = start;
	set->count = count;
	if (count)
		memcpy(set->data, fds, count * sizeof(int32_t));
	ret = ioctl(fd, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	return ret ? -errno : 0;
}

static void close_dev(struct inv_dev *d)
{
	int i;

	if (d->fd >= 0)
		close(d->fd); /* vfio_pci_core_disable() turns MSI-X off if still on */
	d->fd = -1;
	for (i = 0; d->efd && i < d->nvec; i++)
		if (d->efd[i] >= 0)
			close(d->efd[i]);
	free(d->efd);
	free(d->on);
	d->efd = NULL;
	d->on = NULL;
}

/* every vfio fd closed: vfio-pci cannot be unbound while the device is open */
static void close_all(struct inv_state *s)
{
	int i, j;

	for (i = 0; i < s->nr; i++)
		close_dev(&s->dev[i]);
	for (i = 0; i < s->nr; i++) {
		if (s->dev[i].gfd < 0)
			continue;
		close(s->dev[i].gfd);
		for (j = i + 1; j < s->nr; j++)
			if (s->dev[j].gfd == s->dev[i].gfd)
				s->dev[j].gfd = -1;
		s->dev[i].gfd = -1;
	}
	if (s->container >= 0)
		close(s->container);
	s->container = -1;
}

static void close_all_cb(void *arg)
{
	close_all(arg);
}

/* ---- taking the devices ---- */

static int check_device(struct bench_ctx *c, struct inv_dev *d, const char *arg)
{
	char devpath[PATH_MAX];
	char why[1024];
	char *ov;

	if (host_pci_bdf_normalize(arg, d->bdf, sizeof(d->bdf))) {
		err_msg("bench inv: --device '%s' is not a PCI address (0000:00:07.0)", arg);
		return EXIT_USAGE;
	}
	if (host_pci_driver(d->bdf, d->driver, sizeof(d->driver))) {
		err_msg("bench inv: no PCI device %s on this host", d->bdf);
		return EXIT_USAGE;
	}
	if (guard_pci_devpath("", d->bdf, devpath, sizeof(devpath))) {
		err_msg("bench inv: %s: %s", d->bdf, strerror(errno));
		return EXIT_USAGE;
	}
	if (guard_device_in_use("", devpath, why, sizeof(why)) > 0) {
		if (!c->o->force) {
			err_msg("bench inv: refusing %s: it %s (--force overrides)", d->bdf, why);
			return EXIT_USAGE;
		}
		bench_note(c, "%s: taken despite --force: it %s", d->bdf, why);
	}
	d->table = host_pci_msix_table_size(d->bdf);
	if (d->table < 0) {
		err_msg("bench inv: %s: cannot read its config space: %s", d->bdf, strerror(errno));
		return EXIT_FAIL;
	}
	if (!d->table) {
		err_msg("bench inv: %s has no MSI-X capability: nothing to mask per vector",
			d->bdf);
		return EXIT_USAGE;
	}
	d->group = host_pci_iommu_group(d->bdf);
	if (d->group < 0) {
		err_msg("bench inv: %s has no IOMMU group: vfio-pci needs an IOMMU (the emulated "
			"host: itsperf vm --iommu smmuv3), this kernel has no VFIO_NOIOMMU path "
			"we use",
			d->bdf);
		return EXIT_USAGE;
	}
	if (!strcmp(d->driver, "vfio-pci")) {
		err_msg("bench inv: %s is already bound to vfio-pci (someone else's device)",
			d->bdf);
		return EXIT_USAGE;
	}
	ov = host_read_str("/sys/bus/pci/devices/%s/driver_override", d->bdf);
	snprintf(d->override, sizeof(d->override), "%s", ov && strcmp(ov, "(null)") ? ov : "");
	free(ov);
	return EXIT_OK;
}

static int load_modules(struct bench_ctx *c)
{
	static const char *const want[] = { "vfio_iommu_type1", "vfio_pci" };
	char missing[16][64];
	size_t w;
	int n, i, err;

	for (w = 0; w < ARRAY_SIZE(want); w++) {
		n = host_module_missing(want[w], missing, 16);
		for (i = 0; i < n && i < 16; i++) {
			if (host_module_loaded(missing[i]))
				continue;
			if (journal_note_module(missing[i]))
				return -1;
			err = host_modprobe(missing[i]);
			if (err || !host_module_loaded(missing[i])) {
				err_msg("bench inv: loading module %s failed (%s)", missing[i],
					err == -ENOENT ? "no modprobe" :
					err	       ? "modprobe failed" :
							 "not loaded afterwards");
				return -1;
			}
			bench_note(c, "loaded module %s (unloaded at the end)", missing[i]);
		}
	}
	return 0;
}

static int bound_its_vectors(const char *bdf)
{
	int irqs[INV_MAX_VECS];
	int n = host_pci_msi_irqs(bdf, irqs, INV_MAX_VECS);
	struct irq_table t;
	int its = 0;
	int i;

	if (n <= 0 || irq_table_read(NULL, &t))
		return 0;
	for (i = 0; i < n && i < INV_MAX_VECS; i++) {
		const struct irq_line *l = irq_table_find(&t, irqs[i]);

		if (l && l->its != ITS_LABEL_NONE)
			its++;
	}
	irq_table_free(&t);
	return its;
}

static int bind_vfio(struct bench_ctx *c, struct inv_dev *d)
{
	char path[PATH_MAX];
	char now[64];
	struct its_cmd_counts cnt;
	uint64_t movi_max = 0;
	int err;
	int t;

	/* binding first, override after: restore clears the override, then binds back */
	if (journal_note_binding(d->bdf, d->driver) || journal_note_override(d->bdf, d->override))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", d->bdf);
	err = host_write(path, "vfio-pci");
	if (err) {
		bench_error(c, "%s: writing driver_override: %s", d->bdf, strerror(-err));
		return -1;
	}
	if (d->driver[0]) {
		d->orig_nvec = bound_its_vectors(d->bdf);
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", d->driver);
		err = host_write(path, d->bdf);
		if (err) {
			bench_error(c, "%s: unbind from %s: %s", d->bdf, d->driver, strerror(-err));
			return -1;
		}
		if (d->orig_nvec) {
			rebind_expect(&cnt, false, d->orig_nvec, &movi_max);
			for (t = 0; t < NR_ITS_CMDS; t++)
				if (cnt.n[t])
					bench_expect(c, BENCH_PHASE_SETUP, t, cnt.n[t]);
		}
	}
	err = host_write("/sys/bus/pci/drivers/vfio-pci/bind", d->bdf);
	if (err == -ENOENT)
		err = host_write("/sys/bus/pci/drivers_probe", d->bdf);
	if (host_pci_driver(d->bdf, now, sizeof(now)) || strcmp(now, "vfio-pci")) {
		bench_error(c, "%s: bind to vfio-pci: %s", d->bdf,
			    err ? strerror(-err) : "not bound afterwards");
		return -1;
	}
	return 0;
}

/* the group's other devices must be unbound or vfio's: else the group is not viable */
static void group_blockers(struct inv_dev *d, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t off = 0;
	char drv[64];
	DIR *dir;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", d->group);
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, d->bdf))
			continue;
		if (host_pci_driver(de->d_name, drv, sizeof(drv)) || !drv[0] ||
		    !strcmp(drv, "vfio-pci"))
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s (%s)", off ? ", " : "",
				de->d_name, drv);
	}
	if (dir)
		closedir(dir);
}

static int open_dev(struct bench_ctx *c, struct inv_state *s, struct inv_dev *d)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	char path[64];
	char why[512];
	int i;

	for (i = 0; i < s->nr; i++)
		if (&s->dev[i] != d && s->dev[i].group == d->group && s->dev[i].gfd >= 0)
			d->gfd = s->dev[i].gfd;
	if (d->gfd < 0) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", d->group);
		d->gfd = open(path, O_RDWR | O_CLOEXEC);
		if (d->gfd < 0) {
			bench_error(c, "%s: %s: %s", d->bdf, path, strerror(errno));
			return -1;
		}
		if (ioctl(d->gfd, VFIO_GROUP_GET_STATUS, &gs) ||
		    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
			group_blockers(d, why, sizeof(why));
			bench_error(c, "%s: IOMMU group %d is not viable%s%s", d->bdf, d->group,
				    why[0] ? ": other devices bound to drivers: " : "", why);
			return -1;
		}
		if (ioctl(d->gfd, VFIO_GROUP_SET_CONTAINER, &s->container)) {
			bench_error(c, "%s: VFIO_GROUP_SET_CONTAINER: %s", d->bdf, strerror(errno));
			return -1;
		}
		/* the IOMMU model is set once, after the first group joined */
		if (!s->iommu_set && ioctl(s->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) &&
		    ioctl(s->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)) {
			bench_error(c, "VFIO_SET_IOMMU (type1): %s", strerror(errno));
			return -1;
		}
		s->iommu_set = true;
	}
	d->fd = ioctl(d->gfd, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0) {
		bench_error(c, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", d->bdf, strerror(errno));
		return -1;
	}
	if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) || !ii.count ||
	    !(ii.flags & VFIO_IRQ_INFO_EVENTFD)) {
		bench_error(c, "%s: vfio reports no MSI-X eventfd interrupts", d->bdf);
		return -1;
	}
	if ((int)ii.count != d->table)
		bench_note(c, "%s: vfio reports %u MSI-X vectors, the capability %d", d->bdf,
			   ii.count, d->table);
	d->table = ii.count;
	return 0;
}

/* MSI-X on with nvec vectors, one eventfd each */
static int enable_msix(struct bench_ctx *c, struct inv_dev *d, int nvec)
{
	int irqs[INV_MAX_VECS];
	int i, err, got;

	d->nvec = nvec;
	d->efd = xcalloc(nvec, sizeof(int));
	d->on = xcalloc(nvec, sizeof(bool));
	for (i = 0; i < nvec; i++) {
		d->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->efd[i] < 0) {
			bench_error(c, "eventfd: %s", strerror(errno));
			return -1;
		}
	}
	err = set_irqs(d->fd, VFIO_IRQ_SET_DATA_EVENTFD, 0, nvec, d->efd);
	if (err) {
		bench_error(c, "%s: enabling %d MSI-X vectors: %s", d->bdf, nvec, strerror(-err));
		return -1;
	}
	d->msix = true;
	for (i = 0; i < nvec; i++)
		d->on[i] = true;
	got = host_pci_msi_irqs(d->bdf, irqs, INV_MAX_VECS);
	if (got != nvec)
		bench_note(c, "%s: %d vectors allocated, %d asked", d->bdf, got, nvec);
	/* its_msi_prepare: MAPD; activated at allocation: MAPTI; request_irq unmasks: INV */
	bench_expect(c, BENCH_PHASE_SETUP, ITS_CMD_MAPD, 1);
	bench_expect(c, BENCH_PHASE_SETUP, ITS_CMD_MAPTI, nvec);
	bench_expect(c, BENCH_PHASE_SETUP, ITS_CMD_INV, nvec);
	bench_expect(c, BENCH_PHASE_SETUP, ITS_CMD_SYNC, 1 + 2 * (uint64_t)nvec);
	return 0;
}

static void disable_msix(struct bench_ctx *c, struct inv_dev *d)
{
	int on = 0;
	int err;
	int i;

	if (!d->msix)
		return;
	for (i = 0; i < d->nvec; i++)
		on += d->on[i];
	err = set_irqs(d->fd, VFIO_IRQ_SET_DATA_NONE, 0, 0, NULL);
	if (err) {
		bench_error(c, "%s: disabling MSI-X: %s (closing the device does it)", d->bdf,
			    strerror(-err));
		bench_expect_extra(c, BENCH_PHASE_RESTORE, ITS_CMD_INV, on, "MSI-X disable failed");
		bench_expect_extra(c, BENCH_PHASE_RESTORE, ITS_CMD_DISCARD, d->nvec, NULL);
		bench_expect_extra(c, BENCH_PHASE_RESTORE, ITS_CMD_MAPD, 1, NULL);
		d->msix = false;
		return;
	}
	/*
	 * free_irq() of the vectors still on: INV + DISCARD; the ones off were
	 * deactivated already; freeing the last event unmaps the device
	 */
	bench_expect(c, BENCH_PHASE_RESTORE, ITS_CMD_INV, on);
	bench_expect(c, BENCH_PHASE_RESTORE, ITS_CMD_DISCARD, on);
	bench_expect(c, BENCH_PHASE_RESTORE, ITS_CMD_MAPD, 1);
	bench_expect(c, BENCH_PHASE_RESTORE, ITS_CMD_SYNC, 2 * (uint64_t)on + 1);
	d->msix = false;
}

/* ---- the run ---- */

static void kill_dev(struct bench_ctx *c, struct inv_state *s, struct inv_dev *d, const char *why)
{
	bench_skip(c, d->bdf, "stopped after %llu toggle(s): %s", (unsigned long long)d->toggles,
		   why);
	d->dead = true;
	s->live--;
}

/* one operation: vector off (mask) and on again (unmask) */
static bool toggle(struct bench_ctx *c, struct inv_state *s, struct inv_dev *d)
{
	int v = d->next;
	int32_t off = -1;
	uint64_t t0, t1;
	int err;

	d->next = (d->next + 1) % d->nvec;
	t0 = now_ns();
	err = set_irqs(d->fd, VFIO_IRQ_SET_DATA_EVENTFD, v, 1, &off);
	t1 = now_ns();
	if (err) {
		bench_error(c, "%s: vector %d off: %s", d->bdf, v, strerror(-err));
		kill_dev(c, s, d, "SET_IRQS failed");
		return false;
	}
	d->on[v] = false;
	bench_metric_add(s->mask_lat, t1 - t0);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_INV, 1);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_DISCARD, 1);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_SYNC, 2);
	t0 = now_ns();
	err = set_irqs(d->fd, VFIO_IRQ_SET_DATA_EVENTFD, v, 1, &d->efd[v]);
	t1 = now_ns();
	if (err) {
		bench_error(c, "%s: vector %d on: %s", d->bdf, v, strerror(-err));
		kill_dev(c, s, d, "SET_IRQS failed");
		return false;
	}
	d->on[v] = true;
	bench_metric_add(s->unmask_lat, t1 - t0);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_MAPTI, 1);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_INV, 1);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_SYNC, 2);
	d->toggles++;
	return true;
}

/* after the journal restore: the original drivers bound again (rebind_expect's bind half) */
static void expect_rebound(struct bench_ctx *c, struct inv_state *s)
{
	struct its_cmd_counts cnt;
	uint64_t movi_max = 0;
	char now[64];
	int i, t, n;

	for (i = 0; i < s->nr; i++) {
		struct inv_dev *d = &s->dev[i];

		if (!d->driver[0] || host_pci_driver(d->bdf, now, sizeof(now)) ||
		    strcmp(now, d->driver))
			continue;
		n = bound_its_vectors(d->bdf);
		if (!n)
			continue;
		rebind_expect(&cnt, true, n, &movi_max);
		for (t = 0; t < NR_ITS_CMDS; t++)
			if (cnt.n[t])
				bench_expect(c, BENCH_PHASE_RESTORE, t, cnt.n[t]);
		bench_expect_extra(c, BENCH_PHASE_RESTORE, ITS_CMD_MOVI, movi_max,
				   "the original driver, bound again, may set affinity hints");
		bench_expect_extra(c, BENCH_PHASE_RESTORE, ITS_CMD_SYNC, movi_max, NULL);
	}
}

static void report(struct bench_ctx *c, struct inv_state *s)
{
	struct json_object *list = json_object_new_array();
	int i;

	for (i = 0; i < s->nr; i++) {
		struct inv_dev *d = &s->dev[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bdf", json_object_new_string(d->bdf));
		json_object_object_add(o, "driver", json_object_new_string(d->driver));
		json_object_object_add(o, "driver_vectors", json_object_new_int(d->orig_nvec));
		json_object_object_add(o, "msix_table", json_object_new_int(d->table));
		json_object_object_add(o, "vectors", json_object_new_int(d->nvec));
		json_object_object_add(o, "iommu_group", json_object_new_int(d->group));
		json_object_object_add(o, "toggles", json_object_new_uint64(d->toggles));
		json_object_array_add(list, o);
	}
	bench_set(c, "devices", list);
}

static int inv_run(struct bench_ctx *c)
{
	struct journal_restore_stats st;
	struct bench_pressure *pr = NULL;
	struct inv_state *s;
	cpu_set_t saved;
	int ret = EXIT_OK;
	int i, n;

	if (!c->o->nr_devices) {
		err_msg("bench inv: give the PCI device(s) to take over with --device BDF (an MSI-X "
			"device the host can spare; it is bound to vfio-pci for the run)");
		return EXIT_USAGE;
	}
	s = xcalloc(1, sizeof(*s));
	s->container = -1;
	for (i = 0; i < c->o->nr_devices; i++) {
		struct inv_dev *d = &s->dev[s->nr];

		d->fd = d->gfd = -1;
		ret = check_device(c, d, c->o->devices[i]);
		if (ret)
			goto out_free;
		s->nr++;
	}
	if (journal_open("inv")) {
		ret = EXIT_FAIL;
		goto out_free;
	}
	/* runs before the journal's restore (LIFO): vfio-pci unbinds only when closed */
	cleanup_push(close_all_cb, s, "bench inv: close the vfio devices");
	if (load_modules(c)) {
		ret = EXIT_FAIL;
		goto out;
	}
	s->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (s->container < 0 || ioctl(s->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(s->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU)) {
		bench_error(c, "/dev/vfio/vfio: %s",
			    s->container < 0 ? strerror(errno) : "no type1 IOMMU support");
		ret = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < s->nr; i++) {
		struct inv_dev *d = &s->dev[i];

		if (bind_vfio(c, d) || open_dev(c, s, d)) {
			ret = EXIT_FAIL;
			goto out;
		}
		n = c->o->vectors ? c->o->vectors : d->table;
		if (n > d->table) {
			bench_note(c, "%s: --vectors %d, the device has %d: using %d", d->bdf, n,
				   d->table, d->table);
			n = d->table;
		}
		if (n > INV_MAX_VECS)
			n = INV_MAX_VECS;
		if (enable_msix(c, d, n)) {
			ret = EXIT_FAIL;
			goto out;
		}
		bench_line(c,
			   "%s (%s, %d driver vectors): %d of %d MSI-X vectors through vfio-pci, "
			   "IOMMU group %d",
			   d->bdf, d->driver[0] ? d->driver : "no driver", d->orig_nvec, d->nvec,
			   d->table, d->group);
		s->live++;
	}
	s->mask_lat = bench_metric_new(c, "mask", "ns",
				       "VFIO_DEVICE_SET_IRQS vector off: free_irq, with its INV "
				       "(mask) and DISCARD inside");
	s->unmask_lat = bench_metric_new(c, "unmask", "ns",
					 "VFIO_DEVICE_SET_IRQS vector on: request_irq, with its "
					 "MAPTI and INV (unmask) inside");
	bench_pin_self(c, &saved);
	if (bench_pressure_wanted(c, 1))
		pr = pressure_start(c);
	bench_begin(c);
	i = 0;
	while (s->live && bench_next_op(c)) {
		struct inv_dev *d;

		do {
			d = &s->dev[i];
			i = (i + 1) % s->nr;
		} while (d->dead);
		if (toggle(c, s, d))
			bench_op_done(c);
		else
			bench_op_unclaim(c);
	}
	bench_end(c);
	pressure_stop(c, pr);
	bench_unpin_self(&saved);
	if (!s->live)
		ret = EXIT_FAIL;
out:
	for (i = 0; i < s->nr; i++)
		if (s->dev[i].fd >= 0)
			disable_msix(c, &s->dev[i]);
	close_all(s);
	cleanup_forget(close_all_cb, s);
	if (journal_restore(&st)) {
		bench_error(c, "%d change(s) could not be undone", st.failed);
		ret = EXIT_FAIL;
	}
	journal_close();
	expect_rebound(c, s);
	report(c, s);
	if (!c->done && ret == EXIT_OK)
		ret = EXIT_FAIL;
out_free:
	free(s);
	return ret;
}

const struct bench_workload bench_inv = {
	.name = "inv",
	.help = "mask/unmask MSI-X vectors through vfio-pci (--device BDF, needs an IOMMU)",
	.op = "vector mask+unmask",
	.cmds = "per operation INV 2, DISCARD 1, MAPTI 1 (free_irq + request_irq); a SYNC each",
	.opts = BOPT_DEVICE | BOPT_FORCE | BOPT_RATE | BOPT_VECTORS | BOPT_PRESSURE,
	.default_duration_ns = 10ull * 1000000000ull,
	.run = inv_run,
};
