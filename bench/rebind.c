// SPDX-License-Identifier: GPL-2.0
/*
 * rebind: MAPD, MAPTI, DISCARD, INV (and MOVI) by unbinding and binding PCI
 * devices through sysfs, one device per operation, round-robin.
 *
 * What the ITS driver sends, per device with n MSI/MSI-X vectors (counts
 * measured with a kprobe hist on its_send_single_command keyed by builder,
 * see tests/guest/bench_rebind.sh and rebind_expect() below):
 *   unbind: free_irq() masks each vector (lpi_update_config -> INV), the
 *           MSI domain deactivates it (DISCARD) and frees the ITS device
 *           when the last event goes (MAPD with V=0);
 *   bind:   the MSI domain allocates the ITS device (MAPD, V=1), activates
 *           each vector (MAPTI), request_irq() unmasks it (INV), and a
 *           driver that sets affinity hints (virtio) may move some (MOVI:
 *           its_select_cpu() picks the least-loaded CPU, so 0..n).
 * Every command is followed by a SYNC from its_send_single_command().
 * n is read from sysfs msi_irqs/ before each unbind and after each bind,
 * never assumed.
 *
 * The guard (guard.c) refuses a device backing a mount, swap, the default
 * route or an interface that is up, unless --force. The original driver is
 * journaled before the first unbind and bound again at the end, also after
 * SIGINT/SIGTERM and by `itsperf bench restore` after SIGKILL.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "bench/bench_priv.h"
#include "lib/interrupts.h"

#define RB_MAX_VECS 2048

struct rb_dev {
	char bdf[16];
	char driver[64];
	int nvec; /* vectors while bound */
	bool netup; /* its network interfaces were up: up again after each bind */
	uint64_t cycles;
	bool dead;
};

struct rb_state {
	struct rb_dev dev[BENCH_MAX_DEVICES];
	int nr;
	int live;
	struct bench_metric *unbind_lat;
	struct bench_metric *bind_lat;
};

/*
 * Expected commands for one unbind (bind = false) or bind of a device with
 * nvec vectors. Measured identical on Debian 6.12 and 6.1 (emulated host,
 * virtio-net-pci and virtio-rng-pci, see the report in bench/README.md).
 */
void rebind_expect(struct its_cmd_counts *cnt, bool bind, int nvec, uint64_t *movi_max)
{
	uint64_t n = nvec;

	memset(cnt, 0, sizeof(*cnt));
	if (!bind) {
		cnt->n[ITS_CMD_INV] = n; /* mask in free_irq() */
		cnt->n[ITS_CMD_DISCARD] = n; /* its_irq_domain_deactivate() */
		cnt->n[ITS_CMD_MAPD] = 1; /* its_irq_domain_free(): last event, V=0 */
	} else {
		cnt->n[ITS_CMD_MAPD] = 1; /* its_msi_prepare() -> its_create_device() */
		cnt->n[ITS_CMD_MAPTI] = n; /* its_irq_domain_activate() */
		cnt->n[ITS_CMD_INV] = n; /* unmask in request_irq() */
		*movi_max = n; /* affinity hints: 0..n */
	}
	cnt->n[ITS_CMD_SYNC] = cnt->n[ITS_CMD_INV] + cnt->n[ITS_CMD_DISCARD] +
			       cnt->n[ITS_CMD_MAPD] + cnt->n[ITS_CMD_MAPTI];
}

static void expect_counts(struct bench_ctx *c, const struct its_cmd_counts *cnt)
{
	int t;

	for (t = 0; t < NR_ITS_CMDS; t++)
		if (cnt->n[t])
			bench_expect(c, BENCH_PHASE_RUN, t, cnt->n[t]);
}

/* how many of the device's vectors the ITS delivers (the others would send no command) */
static int its_vectors(const int *irqs, int n, char *chip, size_t len)
{
	struct irq_table t;
	int its = 0;
	int i;

	chip[0] = '\0';
	if (irq_table_read(NULL, &t))
		return -1;
	for (i = 0; i < n; i++) {
		const struct irq_line *l = irq_table_find(&t, irqs[i]);

		if (l && l->its != ITS_LABEL_NONE)
			its++;
		else if (l && !chip[0])
			snprintf(chip, len, "%s", l->chip);
	}
	irq_table_free(&t);
	return its;
}

static bool netdevs_up(const char *bdf)
{
	char names[16][16];
	int n = host_pci_netdevs(bdf, names, 16);
	int i;

	for (i = 0; i < n && i < 16; i++)
		if (host_netdev_is_up(names[i]))
			return true;
	return false;
}

static int setup_device(struct bench_ctx *c, struct rb_state *s, const char *arg)
{
	static int irqs[RB_MAX_VECS];
	struct rb_dev *d = &s->dev[s->nr];
	char devpath[PATH_MAX];
	char why[1024];
	char chip[64];
	int n, its;

	memset(d, 0, sizeof(*d));
	if (host_pci_bdf_normalize(arg, d->bdf, sizeof(d->bdf))) {
		err_msg("bench rebind: --device '%s' is not a PCI address (0000:00:02.0)", arg);
		return EXIT_USAGE;
	}
	if (host_pci_driver(d->bdf, d->driver, sizeof(d->driver))) {
		err_msg("bench rebind: no PCI device %s on this host", d->bdf);
		return EXIT_USAGE;
	}
	if (guard_pci_devpath("", d->bdf, devpath, sizeof(devpath))) {
		err_msg("bench rebind: %s: %s", d->bdf, strerror(errno));
		return EXIT_USAGE;
	}
	if (guard_device_in_use("", devpath, why, sizeof(why)) > 0) {
		if (!c->o->force) {
			err_msg("bench rebind: refusing %s: it %s (--force overrides)", d->bdf,
				why);
			bench_skip(c, d->bdf, "refused: it %s", why);
			return EXIT_USAGE;
		}
		bench_note(c, "%s: rebinding despite --force: it %s", d->bdf, why);
	}
	if (!d->driver[0]) {
		bench_skip(c, d->bdf, "not bound to a driver: nothing to unbind");
		return EXIT_OK;
	}
	n = host_pci_msi_irqs(d->bdf, irqs, RB_MAX_VECS);
	if (!n) {
		bench_skip(c, d->bdf,
			   "no MSI/MSI-X vector allocated (legacy INTx or none): a "
			   "rebind would send no ITS command");
		return EXIT_OK;
	}
	its = its_vectors(irqs, n < RB_MAX_VECS ? n : RB_MAX_VECS, chip, sizeof(chip));
	if (its <= 0) {
		bench_skip(c, d->bdf, "its %d MSI vector(s) are not delivered by an ITS (%s)", n,
			   chip[0] ? chip : "not in /proc/interrupts");
		return EXIT_OK;
	}
	if (its != n)
		bench_note(c, "%s: %d of %d vectors are ITS-backed, only those are counted", d->bdf,
			   its, n);
	d->nvec = its;
	d->netup = netdevs_up(d->bdf);
	s->nr++;
	s->live++;
	return EXIT_OK;
}

static int bound_vectors(const char *bdf)
{
	static int irqs[RB_MAX_VECS];
	char chip[64];
	int n = host_pci_msi_irqs(bdf, irqs, RB_MAX_VECS);

	if (n <= 0)
		return n;
	return its_vectors(irqs, n < RB_MAX_VECS ? n : RB_MAX_VECS, chip, sizeof(chip));
}

static void kill_dev(struct bench_ctx *c, struct rb_state *s, struct rb_dev *d, const char *why)
{
	bench_skip(c, d->bdf, "stopped after %llu cycle(s): %s", (unsigned long long)d->cycles,
		   why);
	d->dead = true;
	s->live--;
}

/* one operation: unbind + bind; false if it did not complete */
static bool cycle(struct bench_ctx *c, struct rb_state *s, struct rb_dev *d)
{
	struct its_cmd_counts cnt;
	char path[PATH_MAX];
	char now[64];
	uint64_t movi_max = 0;
	uint64_t t0, t1;
	int nvec;
	int err;

	/* netup first: restore runs newest first, so the link comes up after the bind */
	if ((d->netup && journal_note_netup(d->bdf)) || journal_note_binding(d->bdf, d->driver)) {
		bench_abort(c, "journal");
		return false;
	}
	nvec = bound_vectors(d->bdf);
	if (nvec <= 0) {
		kill_dev(c, s, d, "no ITS-backed vector allocated any more");
		return false;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", d->driver);
	t0 = now_ns();
	err = host_write(path, d->bdf);
	t1 = now_ns();
	if (err || host_pci_driver(d->bdf, now, sizeof(now)) || now[0]) {
		bench_error(c, "%s: unbind from %s: %s", d->bdf, d->driver,
			    err ? strerror(-err) : "still bound");
		kill_dev(c, s, d, "unbind failed");
		return false;
	}
	bench_metric_add(s->unbind_lat, t1 - t0);
	rebind_expect(&cnt, false, nvec, &movi_max);
	expect_counts(c, &cnt);

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", d->driver);
	t0 = now_ns();
	err = host_write(path, d->bdf);
	t1 = now_ns();
	if (err || host_pci_driver(d->bdf, now, sizeof(now)) || strcmp(now, d->driver)) {
		bench_error(c, "%s: bind to %s: %s", d->bdf, d->driver,
			    err ? strerror(-err) : "not bound afterwards");
		kill_dev(c, s, d, "bind failed (the journal restore tries again)");
		return false;
	}
	bench_metric_add(s->bind_lat, t1 - t0);
	if (d->netup && host_pci_netdevs_up(d->bdf))
		bench_error(c, "%s: setting its network interfaces up again failed", d->bdf);
	nvec = bound_vectors(d->bdf);
	if (nvec != d->nvec)
		bench_note(c, "%s: %d ITS vectors after bind, %d before", d->bdf, nvec, d->nvec);
	rebind_expect(&cnt, true, nvec > 0 ? nvec : 0, &movi_max);
	expect_counts(c, &cnt);
	bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_MOVI, movi_max,
			   "a driver that sets affinity hints at probe (virtio-net) moves a vector "
			   "when its_select_cpu() picks another CPU than MAPTI targeted");
	bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_SYNC, movi_max, "one per MOVI");
	d->cycles++;
	return true;
}

static void report(struct bench_ctx *c, struct rb_state *s)
{
	struct json_object *list = json_object_new_array();
	int i;

	for (i = 0; i < s->nr; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bdf", json_object_new_string(s->dev[i].bdf));
		json_object_object_add(o, "driver", json_object_new_string(s->dev[i].driver));
		json_object_object_add(o, "vectors", json_object_new_int(s->dev[i].nvec));
		json_object_object_add(o, "cycles", json_object_new_uint64(s->dev[i].cycles));
		json_object_array_add(list, o);
	}
	bench_set(c, "devices", list);
}

static int rebind_run(struct bench_ctx *c)
{
	struct journal_restore_stats st;
	struct rb_state s;
	cpu_set_t saved;
	int ret = EXIT_OK;
	int i = 0;

	memset(&s, 0, sizeof(s));
	if (!c->o->nr_devices) {
		err_msg("bench rebind: give the PCI device(s) to rebind with --device BDF");
		return EXIT_USAGE;
	}
	for (i = 0; i < c->o->nr_devices; i++) {
		ret = setup_device(c, &s, c->o->devices[i]);
		if (ret)
			return ret;
	}
	if (!s.live) {
		bench_error(c, "no device to rebind");
		return EXIT_FAIL;
	}
	if (journal_open("rebind"))
		return EXIT_FAIL;
	s.unbind_lat = bench_metric_new(c, "unbind", "ns",
					"sysfs unbind write, driver remove "
					"with INV/DISCARD/MAPD inside");
	s.bind_lat = bench_metric_new(c, "bind", "ns",
				      "sysfs bind write, driver probe with "
				      "MAPD/MAPTI/INV inside");
	bench_pin_self(c, &saved);
	bench_begin(c);
	i = 0;
	while (s.live && bench_next_op(c)) {
		struct rb_dev *d;

		do {
			d = &s.dev[i];
			i = (i + 1) % s.nr;
		} while (d->dead);
		if (cycle(c, &s, d))
			bench_op_done(c);
		else
			bench_op_unclaim(c);
	}
	bench_end(c);
	bench_unpin_self(&saved);
	if (!s.live)
		ret = EXIT_FAIL;
	if (journal_restore(&st)) {
		bench_error(c, "%d driver binding(s) could not be restored", st.failed);
		ret = EXIT_FAIL;
	}
	journal_close();
	report(c, &s);
	if (!c->done && ret == EXIT_OK)
		ret = EXIT_FAIL;
	return ret;
}

const struct bench_workload bench_rebind = {
	.name = "rebind",
	.help = "unbind/bind PCI devices (--device BDF), round-robin",
	.op = "unbind+bind cycle",
	.cmds = "per cycle with n vectors: unbind INV*n DISCARD*n MAPD, bind MAPD MAPTI*n "
		"INV*n, MOVI 0..n; a SYNC each",
	.opts = BOPT_DEVICE | BOPT_FORCE | BOPT_RATE,
	.default_duration_ns = 10ull * 1000000000ull,
	.run = rebind_run,
};
