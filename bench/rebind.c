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
 * --device all takes every PCI function (bridges aside) bound to a driver
 * with ITS-delivered vectors that the guard allows, the refused ones listed
 * as skipped; without --ops or --duration it is one pass: every device
 * once. --jobs J rebinds J devices at once, one thread each pinned to its
 * own CPU of --cpus (a device is never cycled by two threads at once).
 *
 * The guard (guard.c) refuses a device backing a mount, swap, the default
 * route or an interface that is up, unless --force. The original driver is
 * journaled before the first unbind and bound again at the end, also after
 * SIGINT/SIGTERM and by `itsperf bench restore` after SIGKILL.
 */
#include <dirent.h>
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
	int nvec;   /* vectors while bound */
	bool netup; /* its network interfaces were up: up again after each bind */
	uint64_t cycles;
	bool dead;
	pthread_mutex_t busy; /* held by the thread cycling it */
};

struct rb_state {
	struct rb_dev dev[BENCH_MAX_DEVICES];
	int nr;
	int live;	 /* atomic */
	uint64_t cursor; /* next device, atomic: operation k cycles device k mod nr */
	int jobs;
	bool all;      /* --device all */
	bool one_pass; /* --device all, no --ops/--duration: every device once */
	struct bench_metric *unbind_lat;
	struct bench_metric *bind_lat;
};

struct rb_worker {
	struct bench_ctx *c;
	struct rb_state *s;
	int k;
	int cpu; /* pinned to it; -1 with one job (the --cpus set) */
	struct bench_metric unbind_lat;
	struct bench_metric bind_lat;
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
		cnt->n[ITS_CMD_INV] = n;     /* mask in free_irq() */
		cnt->n[ITS_CMD_DISCARD] = n; /* its_irq_domain_deactivate() */
		cnt->n[ITS_CMD_MAPD] = 1;    /* its_irq_domain_free(): last event, V=0 */
	} else {
		cnt->n[ITS_CMD_MAPD] = 1;  /* its_msi_prepare() -> its_create_device() */
		cnt->n[ITS_CMD_MAPTI] = n; /* its_irq_domain_activate() */
		cnt->n[ITS_CMD_INV] = n;   /* unmask in request_irq() */
		*movi_max = n;		   /* affinity hints: 0..n */
	}
	cnt->n[ITS_CMD_SYNC] = cnt->n[ITS_CMD_INV] + cnt->n[ITS_CMD_DISCARD] +
			       cnt->n[ITS_CMD_MAPD] + cnt->n[ITS_CMD_MAPTI];
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

/*
 * all: the device came from --device all: a refusal or a device without
 * ITS vectors is a skip, not an error
 */
static int setup_device(struct bench_ctx *c, struct rb_state *s, const char *arg, bool all)
{
	int irqs[RB_MAX_VECS];
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
	/* after the cheap checks: --device all asks the guard about every device */
	if (guard_device_in_use("", devpath, why, sizeof(why)) > 0) {
		if (all) {
			bench_skip(c, d->bdf, "refused: it %s", why);
			return EXIT_OK;
		}
		if (!c->o->force) {
			err_msg("bench rebind: refusing %s: it %s (--force overrides)", d->bdf,
				why);
			bench_skip(c, d->bdf, "refused: it %s", why);
			return EXIT_USAGE;
		}
		bench_note(c, "%s: rebinding despite --force: it %s", d->bdf, why);
	}
	if (its != n)
		bench_note(c, "%s: %d of %d vectors are ITS-backed, only those are counted", d->bdf,
			   its, n);
	d->nvec = its;
	pthread_mutex_init(&d->busy, NULL);
	d->netup = netdevs_up(d->bdf);
	s->nr++;
	s->live++;
	return EXIT_OK;
}

static int bound_vectors(const char *bdf)
{
	int irqs[RB_MAX_VECS];
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
	__atomic_fetch_sub(&s->live, 1, __ATOMIC_SEQ_CST);
}

static void expect_counts_on(struct bench_ctx *c, const struct its_cmd_counts *cnt, int cpu)
{
	int t;

	for (t = 0; t < NR_ITS_CMDS; t++)
		if (cnt->n[t])
			bench_expect_on(c, BENCH_PHASE_RUN, t, cnt->n[t], cpu);
}

/* one operation: unbind + bind; false if it did not complete */
static bool cycle(struct rb_worker *w, struct rb_dev *d)
{
	struct bench_ctx *c = w->c;
	struct rb_state *s = w->s;
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
	bench_metric_add(&w->unbind_lat, t1 - t0);
	rebind_expect(&cnt, false, nvec, &movi_max);
	expect_counts_on(c, &cnt, w->cpu);

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
	bench_metric_add(&w->bind_lat, t1 - t0);
	if (d->netup && host_pci_netdevs_up(d->bdf))
		bench_error(c, "%s: setting its network interfaces up again failed", d->bdf);
	nvec = bound_vectors(d->bdf);
	if (nvec != d->nvec)
		bench_note(c, "%s: %d ITS vectors after bind, %d before", d->bdf, nvec, d->nvec);
	rebind_expect(&cnt, true, nvec > 0 ? nvec : 0, &movi_max);
	expect_counts_on(c, &cnt, w->cpu);
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

/* the next live device in cursor order, locked for this thread; NULL when none is left */
static struct rb_dev *next_dev(struct rb_state *s)
{
	struct rb_dev *d;
	int tries;

	for (tries = 0; tries < 2 * s->nr; tries++) {
		uint64_t k = __atomic_fetch_add(&s->cursor, 1, __ATOMIC_SEQ_CST);

		d = &s->dev[k % s->nr];
		if (d->dead)
			continue;
		pthread_mutex_lock(&d->busy);
		if (!d->dead)
			return d;
		pthread_mutex_unlock(&d->busy);
	}
	return NULL;
}

static void worker_loop(struct rb_worker *w)
{
	struct bench_ctx *c = w->c;
	struct rb_state *s = w->s;
	struct rb_dev *d;
	bool ok;

	while (__atomic_load_n(&s->live, __ATOMIC_SEQ_CST) && bench_next_op(c)) {
		d = next_dev(s);
		if (!d) {
			bench_op_unclaim(c);
			break;
		}
		ok = cycle(w, d);
		pthread_mutex_unlock(&d->busy);
		if (ok)
			bench_op_done_on(c, w->cpu);
		else
			bench_op_unclaim(c);
	}
}

static void *worker_fn(void *arg)
{
	struct rb_worker *w = arg;

	if (bench_pin_to_cpu(w->cpu))
		bench_note(w->c, "thread %d: cannot pin to CPU %d: %s", w->k, w->cpu,
			   strerror(errno));
	worker_loop(w);
	return NULL;
}

static void run_workers(struct bench_ctx *c, struct rb_state *s)
{
	struct rb_worker *w = xcalloc(s->jobs, sizeof(*w));
	struct bench_pressure *pr = NULL;
	cpu_set_t saved;
	int k;

	for (k = 0; k < s->jobs; k++) {
		w[k] = (struct rb_worker){ .c = c, .s = s, .k = k, .cpu = -1 };
		if (s->jobs > 1)
			w[k].cpu = bench_worker_cpu(c, k);
		bench_metric_init(&w[k].unbind_lat, "unbind", "ns", NULL);
		bench_metric_init(&w[k].bind_lat, "bind", "ns", NULL);
	}
	if (bench_pressure_wanted(c, s->jobs))
		pr = pressure_start(c);
	if (s->one_pass)
		bench_begin_ops(c, s->nr);
	else
		bench_begin(c);
	if (s->jobs == 1) {
		bench_pin_self(c, &saved);
		worker_loop(&w[0]);
		bench_unpin_self(&saved);
	} else {
		bench_run_threads(c, worker_fn, w, sizeof(*w), s->jobs);
	}
	bench_end(c);
	pressure_stop(c, pr);
	for (k = 0; k < s->jobs; k++) {
		bench_metric_merge(s->unbind_lat, &w[k].unbind_lat);
		bench_metric_merge(s->bind_lat, &w[k].bind_lat);
		bench_metric_free(&w[k].unbind_lat);
		bench_metric_free(&w[k].bind_lat);
	}
	free(w);
}

/* --device all: every PCI function but bridges, in sysfs order */
static int setup_all(struct bench_ctx *c, struct rb_state *s)
{
	struct dirent **names;
	int n, i, ret = EXIT_OK;

	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	if (n < 0) {
		err_msg("bench rebind: /sys/bus/pci/devices: %s", strerror(errno));
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		long long cls = 0;

		if (names[i]->d_name[0] == '.' || ret) {
			free(names[i]);
			continue;
		}
		/* class 0x06: host, PCI-PCI bridges and root ports (their port services) */
		if (!host_read_int(&cls, "/sys/bus/pci/devices/%s/class", names[i]->d_name) &&
		    (cls >> 16) == 0x06) {
			free(names[i]);
			continue;
		}
		if (s->nr == BENCH_MAX_DEVICES) {
			bench_note(c, "more than %d devices: the rest are left alone",
				   BENCH_MAX_DEVICES);
			ret = -1;
		} else {
			ret = setup_device(c, s, names[i]->d_name, true);
		}
		free(names[i]);
	}
	free(names);
	return ret > 0 ? ret : EXIT_OK;
}

static int total_vectors(const struct rb_state *s)
{
	int n = 0;
	int i;

	for (i = 0; i < s->nr; i++)
		n += s->dev[i].nvec;
	return n;
}

static void describe(struct bench_ctx *c, struct rb_state *s)
{
	bench_line(c, "%d device(s)%s, %d ITS vector(s) in all, %d thread(s)%s", s->nr,
		   s->all ? " (--device all)" : "", total_vectors(s), s->jobs,
		   s->jobs > 1 ? " pinned one per CPU" : "");
}

/* --list: what a run would cycle and what it leaves alone, nothing changed */
static void print_list(struct bench_ctx *c, struct rb_state *s)
{
	size_t i;
	int k;

	for (k = 0; k < s->nr; k++)
		printf("%s  %-16s %3d ITS vector(s)\n", s->dev[k].bdf, s->dev[k].driver,
		       s->dev[k].nvec);
	for (i = 0; i < json_object_array_length(c->skipped); i++) {
		struct json_object *e = json_object_array_get_idx(c->skipped, i);
		struct json_object *item;
		struct json_object *why;

		if (json_object_object_get_ex(e, "item", &item) &&
		    json_object_object_get_ex(e, "reason", &why))
			printf("%s  left alone: %s\n", json_object_get_string(item),
			       json_object_get_string(why));
	}
}

static int rebind_run(struct bench_ctx *c)
{
	struct journal_restore_stats st;
	struct rb_state *s;
	int ret = EXIT_OK;
	bool all;
	int i;

	/* in-process callers (itsperf run -d all) pass "all" as a device name */
	all = c->o->all_devices || (c->o->nr_devices == 1 && !strcmp(c->o->devices[0], "all"));
	if (!c->o->nr_devices && !all) {
		err_msg("bench rebind: give the PCI device(s) to rebind with --device BDF, or "
			"--device all");
		return EXIT_USAGE;
	}
	s = xcalloc(1, sizeof(*s));
	s->all = all;
	if (all)
		ret = setup_all(c, s);
	for (i = 0; i < c->o->nr_devices && !ret && !all; i++)
		ret = setup_device(c, s, c->o->devices[i], false);
	if (ret)
		goto out_free;
	if (c->o->list_only) {
		report(c, s);
		if (!c->o->quiet)
			print_list(c, s);
		goto out_free;
	}
	if (!s->live) {
		bench_error(c, "no device to rebind");
		ret = EXIT_FAIL;
		goto out_free;
	}
	s->jobs = c->o->jobs < s->nr ? c->o->jobs : s->nr;
	if (s->jobs < c->o->jobs)
		bench_note(c, "--jobs %d: only %d device(s), %d thread(s) used", c->o->jobs, s->nr,
			   s->jobs);
	/* --device all without a stop condition: one pass, every device once */
	if (all && !c->o->ops && !c->o->duration_ns)
		s->one_pass = true;
	if (journal_open("rebind")) {
		ret = EXIT_FAIL;
		goto out_free;
	}
	describe(c, s);
	s->unbind_lat = bench_metric_new(c, "unbind", "ns",
					 "sysfs unbind write, driver remove "
					 "with INV/DISCARD/MAPD inside");
	s->bind_lat = bench_metric_new(c, "bind", "ns",
				       "sysfs bind write, driver probe with "
				       "MAPD/MAPTI/INV inside");
	run_workers(c, s);
	if (!s->live)
		ret = EXIT_FAIL;
	if (journal_restore(&st)) {
		bench_error(c, "%d driver binding(s) could not be restored", st.failed);
		ret = EXIT_FAIL;
	}
	journal_close();
	report(c, s);
	if (!c->done && ret == EXIT_OK)
		ret = EXIT_FAIL;
out_free:
	for (i = 0; i < s->nr; i++)
		pthread_mutex_destroy(&s->dev[i].busy);
	free(s);
	return ret;
}

const struct bench_workload bench_rebind = {
	.name = "rebind",
	.help = "unbind/bind PCI devices (--device BDF, or all), round-robin",
	.op = "unbind+bind cycle",
	.cmds = "per cycle with n vectors: unbind INV*n DISCARD*n MAPD, bind MAPD MAPTI*n "
		"INV*n, MOVI 0..n; a SYNC each",
	.opts = BOPT_DEVICE | BOPT_FORCE | BOPT_RATE | BOPT_JOBS | BOPT_PRESSURE | BOPT_LIST,
	.default_duration_ns = 10ull * 1000000000ull,
	.run = rebind_run,
};
