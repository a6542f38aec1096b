// SPDX-License-Identifier: GPL-2.0
/*
 * affinity: MOVI (+ SYNC) by moving ITS-backed interrupts between CPUs.
 *
 * A write to /proc/irq/N/smp_affinity_list reaches its_set_affinity(),
 * which sends one MOVI (and its SYNC, through its_send_single_command())
 * only when the target CPU changes; a write that leaves the interrupt on
 * its CPU sends nothing. So every operation writes a single CPU other than
 * the current effective one and reads effective_affinity_list back: one
 * MOVI is counted only when the effective CPU really changed.
 *
 * Interrupts are taken from /proc/interrupts (both ITS label formats, see
 * lib/interrupts.h) and used round-robin. With --jobs J, J threads, each
 * pinned to its own CPU of --cpus, move disjoint sets of them (interrupt i
 * belongs to thread i mod J) at once: the kernel sends each MOVI from the
 * writer's CPU (its_set_affinity() runs in the write), so J CPUs contend
 * for its->lock and the command queue; the summary counts the moves and the
 * commands per sending CPU (expected_commands_by_cpu, ops_by_cpu). Managed interrupts (multi-queue
 * block devices spread over CPUs) and non-balanceable ones cannot be moved
 * from userspace: their smp_affinity is read-only and a write returns EIO;
 * they are skipped with the reason. The original smp_affinity_list of every
 * interrupt is journaled before its first move and written back at the end;
 * if the kernel then picks another CPU inside the restored mask (its
 * least-loaded choice), that move is counted as a restore-phase MOVI.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "bench/bench_priv.h"
#include "lib/interrupts.h"

struct aff_irq {
	int irq;
	char label[128]; /* "virtio0-input.0 (0000:00:01.0 #1)" */
	char orig_mask[256];
	int orig_eff;
	int cur;   /* current effective CPU */
	int fails; /* consecutive writes that did not move it */
	bool dead;
	uint64_t moves;
};

struct aff_state {
	struct aff_irq *irqs;
	int nr;
	int live; /* atomic: workers kill their own interrupts */
	int jobs;
	uint64_t *moves_to; /* per target CPU (atomic) */
	uint64_t *moves_from;
	struct bench_metric *write_lat;
};

/* one --jobs thread: the interrupts i with i % jobs == k */
struct aff_worker {
	struct bench_ctx *c;
	struct aff_state *s;
	int k;
	int cpu; /* pinned to it; -1 with one job (not pinned) */
	int owned;
	int live;
	bool stuck; /* nothing of its own moved any more */
	struct bench_metric lat;
};

static bool wanted(const struct bench_opts *o, int irq)
{
	int i;

	if (!o->nr_irqs)
		return true;
	for (i = 0; i < o->nr_irqs; i++)
		if (o->irqs[i] == irq)
			return true;
	return false;
}

static void label_irq(const struct irq_line *l, char *buf, size_t len)
{
	if (l->bdf[0] && l->msi_index >= 0)
		snprintf(buf, len, "%.64s (%s #%d)", l->action[0] ? l->action : "?", l->bdf,
			 l->msi_index);
	else
		snprintf(buf, len, "%.64s (%.24s %.16s)", l->action[0] ? l->action : "?", l->chip,
			 l->hwirq);
}

/* is the interrupt movable from userspace? fills why if not */
static bool probe_irq(struct aff_irq *a, char *why, size_t len)
{
	char path[64];
	struct stat st;
	char *mask;
	char *eff;

	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", a->irq);
	if (stat(path, &st)) {
		snprintf(why, len, "no %s: %s", path, strerror(errno));
		return false;
	}
	/* register_irq_proc() drops S_IWUSR when irq_can_set_affinity_usr() is false */
	if (!(st.st_mode & S_IWUSR)) {
		snprintf(why, len,
			 "smp_affinity is read-only: a managed interrupt (spread over "
			 "CPUs by its driver) or a per-CPU/non-balanceable one");
		return false;
	}
	mask = host_read_str("%s", path);
	eff = host_read_str("/proc/irq/%d/effective_affinity_list", a->irq);
	if (!mask || !eff) {
		snprintf(why, len, "cannot read its affinity: %s", strerror(errno));
		free(mask);
		free(eff);
		return false;
	}
	snprintf(a->orig_mask, sizeof(a->orig_mask), "%s", mask);
	a->orig_eff = host_cpulist_single(eff);
	a->cur = a->orig_eff;
	free(mask);
	if (a->cur < 0) {
		snprintf(why, len, "effective affinity '%s' is not a single CPU (not an ITS LPI?)",
			 eff);
		free(eff);
		return false;
	}
	free(eff);
	return true;
}

static int find_irqs(struct bench_ctx *c, struct aff_state *s)
{
	const struct bench_opts *o = c->o;
	struct irq_table t;
	char why[256];
	char item[160];
	int i, j;

	if (irq_table_read(NULL, &t)) {
		bench_error(c, "cannot read /proc/interrupts: %s", strerror(errno));
		return -1;
	}
	s->irqs = xcalloc(t.nr_lines + 1, sizeof(*s->irqs));
	for (i = 0; i < t.nr_lines; i++) {
		const struct irq_line *l = &t.lines[i];
		struct aff_irq *a = &s->irqs[s->nr];

		if (l->its == ITS_LABEL_NONE || !wanted(o, l->irq))
			continue;
		memset(a, 0, sizeof(*a));
		a->irq = l->irq;
		label_irq(l, a->label, sizeof(a->label));
		snprintf(item, sizeof(item), "irq %d %s", a->irq, a->label);
		if (!probe_irq(a, why, sizeof(why))) {
			bench_skip(c, item, "%s", why);
			continue;
		}
		s->nr++;
	}
	/* --irq naming something that is not an ITS interrupt */
	for (j = 0; j < o->nr_irqs; j++) {
		const struct irq_line *l = irq_table_find(&t, o->irqs[j]);

		if (!l || l->its == ITS_LABEL_NONE) {
			snprintf(item, sizeof(item), "irq %d", o->irqs[j]);
			bench_skip(c, item, "%s",
				   l ? "not an ITS interrupt (no ITS-* chip label)" :
				       "not in /proc/interrupts");
		}
	}
	irq_table_free(&t);
	s->live = s->nr;
	return 0;
}

/* the next CPU of the list after cur, cyclically */
static int next_cpu(const struct bench_ctx *c, int cur)
{
	int i;

	for (i = 0; i < c->nr_cpus; i++)
		if (c->cpu_list[i] > cur)
			return c->cpu_list[i];
	return c->cpu_list[0] != cur ? c->cpu_list[0] : -1;
}

static void kill_irq(struct aff_worker *w, struct aff_irq *a, const char *fmt, const char *detail)
{
	char item[160];

	snprintf(item, sizeof(item), "irq %d %s", a->irq, a->label);
	bench_skip(w->c, item, fmt, detail);
	a->dead = true;
	w->live--;
	__atomic_fetch_sub(&w->s->live, 1, __ATOMIC_SEQ_CST);
}

/* one operation: move a to another CPU; true when a MOVI was sent */
static bool move_irq(struct aff_worker *w, struct aff_irq *a)
{
	struct bench_ctx *c = w->c;
	struct aff_state *s = w->s;
	char path[64];
	char cpu[16];
	char *eff;
	uint64_t t0;
	int target = next_cpu(c, a->cur);
	int now;
	int err;

	if (target < 0)
		return false;
	if (journal_note_affinity(a->irq, a->orig_mask, a->orig_eff)) {
		bench_abort(c, "journal");
		return false;
	}
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", a->irq);
	snprintf(cpu, sizeof(cpu), "%d", target);
	t0 = now_ns();
	err = host_write(path, cpu);
	if (err == -EIO || err == -EINVAL || err == -EPERM) {
		/* nothing changed (6.1 keeps managed irqs' file writable and returns EIO) */
		kill_irq(w, a,
			 "the kernel refused the affinity write (%s): managed or "
			 "non-balanceable interrupt",
			 strerror(-err));
		return false;
	}
	if (err) {
		bench_error(c, "irq %d: writing %s: %s", a->irq, cpu, strerror(-err));
		kill_irq(w, a, "write failed: %s", strerror(-err));
		return false;
	}
	/* the write returns after its_send_movi() waited for the command to complete */
	bench_metric_add(&w->lat, now_ns() - t0);
	eff = host_read_str("/proc/irq/%d/effective_affinity_list", a->irq);
	now = eff ? host_cpulist_single(eff) : -1;
	free(eff);
	if (now == a->cur || now < 0) {
		if (++a->fails >= 2)
			kill_irq(w, a, "%s",
				 "the write was accepted but the effective CPU did "
				 "not change (the ITS driver kept it: NUMA/erratum "
				 "restriction?)");
		return false;
	}
	a->fails = 0;
	if (now != target)
		bench_note(c, "irq %d went to CPU %d, not %d as written", a->irq, now, target);
	__atomic_fetch_add(&s->moves_from[a->cur], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->moves_to[now], 1, __ATOMIC_RELAXED);
	a->cur = now;
	a->moves++;
	/* its_set_affinity() runs in this write: the MOVI leaves from this (pinned) CPU */
	bench_expect_on(c, BENCH_PHASE_RUN, ITS_CMD_MOVI, 1, w->cpu);
	bench_expect_on(c, BENCH_PHASE_RUN, ITS_CMD_SYNC, 1, w->cpu);
	return true;
}

static void report(struct bench_ctx *c, struct aff_state *s)
{
	struct json_object *list = json_object_new_array();
	int i;

	for (i = 0; i < s->nr; i++) {
		struct aff_irq *a = &s->irqs[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "irq", json_object_new_int(a->irq));
		json_object_object_add(o, "label", json_object_new_string(a->label));
		json_object_object_add(o, "original_mask", json_object_new_string(a->orig_mask));
		json_object_object_add(o, "original_cpu", json_object_new_int(a->orig_eff));
		json_object_object_add(o, "moves", json_object_new_uint64(a->moves));
		json_object_object_add(o, "skipped", json_object_new_boolean(a->dead));
		json_object_array_add(list, o);
	}
	bench_set(c, "interrupts", list);
	bench_set(c, "movi_by_target_cpu", bench_per_cpu_json(s->moves_to, c->nr_possible));
	bench_set(c, "movi_by_source_cpu", bench_per_cpu_json(s->moves_from, c->nr_possible));
}

/* irqbalance moves interrupts too: the kernel would count its MOVIs with ours */
static bool irqbalance_running(void)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir("/proc");
	char *comm;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		comm = host_read_str("/proc/%s/comm", de->d_name);
		found = comm && !strcmp(comm, "irqbalance");
		free(comm);
	}
	closedir(d);
	return found;
}

static const char *cpus_str(const struct bench_ctx *c)
{
	static char buf[256];

	bench_cpus_string(c, buf, sizeof(buf));
	return buf;
}

static void worker_loop(struct aff_worker *w)
{
	struct aff_state *s = w->s;
	int idle = 0;
	int i = w->k;

	while (w->live && bench_next_op(w->c)) {
		struct aff_irq *a;

		/* round-robin over this worker's live interrupts */
		do {
			a = &s->irqs[i];
			i += s->jobs;
			if (i >= s->nr)
				i = w->k;
		} while (a->dead);
		if (move_irq(w, a)) {
			bench_op_done_on(w->c, w->cpu);
			idle = 0;
		} else {
			bench_op_unclaim(w->c);
			if (++idle > 4 * w->owned) {
				w->stuck = true; /* nothing moves any more */
				break;
			}
		}
	}
}

static void *worker_fn(void *arg)
{
	struct aff_worker *w = arg;

	if (bench_pin_to_cpu(w->cpu))
		bench_note(w->c, "thread %d: cannot pin to CPU %d: %s", w->k, w->cpu,
			   strerror(errno));
	worker_loop(w);
	return NULL;
}

/* the run phase: one loop here, or one pinned thread per job; -1 if stuck */
static int run_workers(struct bench_ctx *c, struct aff_state *s)
{
	struct aff_worker *w = xcalloc(s->jobs, sizeof(*w));
	struct bench_pressure *pr = NULL;
	bool stuck = false;
	int k, i;

	for (k = 0; k < s->jobs; k++) {
		w[k] = (struct aff_worker){ .c = c, .s = s, .k = k, .cpu = -1 };
		if (s->jobs > 1)
			w[k].cpu = bench_worker_cpu(c, k);
		for (i = k; i < s->nr; i += s->jobs)
			w[k].owned++;
		w[k].live = w[k].owned;
		bench_metric_init(&w[k].lat, "affinity_write", "ns", NULL);
	}
	if (bench_pressure_wanted(c, s->jobs))
		pr = pressure_start(c);
	bench_begin(c);
	if (s->jobs == 1) {
		worker_loop(&w[0]);
	} else {
		bench_run_threads(c, worker_fn, w, sizeof(*w), s->jobs);
	}
	bench_end(c);
	pressure_stop(c, pr);
	for (k = 0; k < s->jobs; k++) {
		bench_metric_merge(s->write_lat, &w[k].lat);
		bench_metric_free(&w[k].lat);
		stuck |= w[k].stuck;
	}
	free(w);
	return !s->live || stuck ? -1 : 0;
}

static int affinity_run(struct bench_ctx *c)
{
	struct journal_restore_stats st;
	struct aff_state s = { 0 };
	int restore_cpu = -1;
	int ret = EXIT_OK;
	cpu_set_t saved;

	if (c->nr_cpus < 2) {
		err_msg("bench affinity: needs at least two CPUs to move interrupts between "
			"(--cpus names %d)",
			c->nr_cpus);
		return EXIT_USAGE;
	}
	if (journal_open("affinity"))
		return EXIT_FAIL;
	s.moves_to = xcalloc(c->nr_possible, sizeof(uint64_t));
	s.moves_from = xcalloc(c->nr_possible, sizeof(uint64_t));
	s.write_lat = bench_metric_new(c, "affinity_write", "ns",
				       "write to smp_affinity_list that moved the interrupt "
				       "(MOVI + SYNC sent and completed inside)");
	if (find_irqs(c, &s)) {
		ret = EXIT_FAIL;
		goto out;
	}
	if (!s.live) {
		bench_error(c, "no movable ITS-backed interrupt on this host%s",
			    c->o->nr_irqs ? " among --irq" : "");
		ret = EXIT_FAIL;
		goto out;
	}
	if (irqbalance_running())
		bench_note(c,
			   "irqbalance is running: it moves interrupts too, so a collector will "
			   "count more MOVIs than this workload sent (stop it for exact counts)");
	s.jobs = c->o->jobs < s.nr ? c->o->jobs : s.nr;
	if (s.jobs < c->o->jobs)
		bench_note(c, "--jobs %d: only %d movable interrupt(s), %d thread(s) used",
			   c->o->jobs, s.nr, s.jobs);
	bench_line(c, "%d movable ITS interrupt(s), %d skipped, CPUs %s, %d thread(s)%s", s.live,
		   (int)json_object_array_length(c->skipped), cpus_str(c), s.jobs,
		   s.jobs > 1 ? " pinned one per CPU" : "");
	if (run_workers(c, &s)) {
		bench_error(c, "no interrupt could be moved any more after %llu moves",
			    (unsigned long long)c->done);
		ret = EXIT_FAIL;
	}
out:
	/* with per-CPU counts, the restore's MOVIs leave from a known CPU too */
	if (s.jobs > 1) {
		sched_getaffinity(0, sizeof(saved), &saved);
		restore_cpu = bench_pin_to_cpu(c->cpu_list[0]) ? -1 : c->cpu_list[0];
	}
	if (journal_restore(&st)) {
		bench_error(c, "%d interrupt affinities could not be restored", st.failed);
		ret = EXIT_FAIL;
	}
	if (s.jobs > 1)
		bench_unpin_self(&saved);
	bench_expect_on(c, BENCH_PHASE_RESTORE, ITS_CMD_MOVI, st.affinity_moved, restore_cpu);
	bench_expect_on(c, BENCH_PHASE_RESTORE, ITS_CMD_SYNC, st.affinity_moved, restore_cpu);
	if (st.effective_differs)
		bench_note(c,
			   "%d interrupt(s) got their mask back but the kernel placed them on "
			   "another CPU inside it than before (least-loaded choice)",
			   st.effective_differs);
	journal_close();
	report(c, &s);
	if (!c->done && ret == EXIT_OK)
		ret = EXIT_FAIL;
	free(s.irqs);
	free(s.moves_to);
	free(s.moves_from);
	return ret;
}

const struct bench_workload bench_affinity = {
	.name = "affinity",
	.help = "move ITS-backed interrupts between CPUs, round-robin",
	.op = "irq move",
	.cmds = "MOVI + SYNC per move (only moves that changed the effective CPU count)",
	.opts = BOPT_IRQ | BOPT_RATE | BOPT_JOBS | BOPT_PRESSURE,
	.default_duration_ns = 10ull * 1000000000ull,
	.run = affinity_run,
};
