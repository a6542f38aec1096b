// SPDX-License-Identifier: GPL-2.0
/*
 * msi: MSI delivery under load. O_DIRECT random reads (writes only with
 * --write) at a fixed queue depth through io_uring against one block
 * device; every completion the device signals is an LPI the ITS delivers.
 * Reported: I/Os per second, I/O latency (submission to completion, per
 * I/O), and interrupts per second on the device's own ITS vectors (the PCI
 * function's msi_irqs/, counted from /proc/interrupts deltas, per CPU).
 *
 * No ITS command is expected: LPI delivery does not go through the command
 * queue. Reads are harmless; --write destroys the device's contents and is
 * refused on a device that backs a mount or swap unless --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>
#include <liburing.h>
#include <json-c/json.h>

#include "bench/bench_priv.h"
#include "lib/interrupts.h"

#define MSI_MAX_VECS 512

struct msi_state {
	int fd;
	uint64_t size;	 /* bytes */
	uint64_t blocks; /* of bs */
	char bdf[16];
	int irqs[MSI_MAX_VECS];
	int nr_irqs;
	struct io_uring ring;
	bool ring_ok;
	void *bufs;
	uint64_t *submit_ns; /* per slot */
	uint64_t rng;
	uint64_t in_flight;
	uint64_t io_errors;
	struct bench_metric *lat;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static int open_device(struct bench_ctx *c, struct msi_state *s)
{
	const struct bench_opts *o = c->o;
	const char *dev = o->devices[0];
	char devpath[PATH_MAX];
	char sys[PATH_MAX];
	char why[1024];
	struct stat st;

	if (stat(dev, &st)) {
		err_msg("bench msi: --device %s: %s", dev, strerror(errno));
		return EXIT_USAGE;
	}
	if (!S_ISBLK(st.st_mode)) {
		err_msg("bench msi: --device %s is not a block device", dev);
		return EXIT_USAGE;
	}
	if (o->write) {
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_rdev),
			 minor(st.st_rdev));
		if (!realpath(sys, devpath)) {
			err_msg("bench msi: %s: %s", sys, strerror(errno));
			return EXIT_FAIL;
		}
		if (guard_device_in_use("", devpath, why, sizeof(why)) > 0) {
			if (!o->force) {
				err_msg("bench msi: refusing to write to %s: it %s (--force "
					"overrides)",
					dev, why);
				return EXIT_USAGE;
			}
			bench_note(c, "writing to %s despite --force: it %s", dev, why);
		}
	}
	s->fd = open(dev, (o->write ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (s->fd < 0) {
		err_msg("bench msi: open %s with O_DIRECT: %s", dev, strerror(errno));
		return EXIT_FAIL;
	}
	if (ioctl(s->fd, BLKGETSIZE64, &s->size) || s->size < o->bs) {
		err_msg("bench msi: %s: size %llu is smaller than one block", dev,
			(unsigned long long)s->size);
		return EXIT_FAIL;
	}
	s->blocks = s->size / o->bs;
	if (host_blockdev_pci(dev, s->bdf, sizeof(s->bdf))) {
		bench_note(c, "%s is not behind a PCI function: no MSI vector to count", dev);
		s->bdf[0] = '\0';
		return EXIT_OK;
	}
	s->nr_irqs = host_pci_msi_irqs(s->bdf, s->irqs, MSI_MAX_VECS);
	if (s->nr_irqs > MSI_MAX_VECS)
		s->nr_irqs = MSI_MAX_VECS;
	return EXIT_OK;
}

static void prep_one(struct bench_ctx *c, struct msi_state *s, unsigned int slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
	unsigned int bs = c->o->bs;
	void *buf = (char *)s->bufs + (size_t)slot * bs;
	uint64_t off = (xorshift(&s->rng) % s->blocks) * bs;

	if (c->o->write)
		io_uring_prep_write(sqe, s->fd, buf, bs, off);
	else
		io_uring_prep_read(sqe, s->fd, buf, bs, off);
	io_uring_sqe_set_data64(sqe, slot);
	s->submit_ns[slot] = now_ns();
	s->in_flight++;
}

static int io_loop(struct bench_ctx *c, struct msi_state *s)
{
	struct io_uring_cqe *cqe;
	unsigned int slot;
	unsigned int i;
	int ret;

	for (i = 0; i < c->o->qd && bench_next_op(c); i++)
		prep_one(c, s, i);
	while (s->in_flight) {
		ret = io_uring_submit_and_wait(&s->ring, 1);
		if (ret < 0 && ret != -EINTR) {
			bench_error(c, "io_uring_submit_and_wait: %s", strerror(-ret));
			return -1;
		}
		while (io_uring_peek_cqe(&s->ring, &cqe) == 0) {
			slot = (unsigned int)io_uring_cqe_get_data64(cqe);
			s->in_flight--;
			if (cqe->res != (int)c->o->bs) {
				s->io_errors++;
				if (s->io_errors <= 5)
					bench_error(c, "I/O: %s",
						    cqe->res < 0 ? strerror(-cqe->res) :
								   "short transfer");
				bench_op_unclaim(c);
			} else {
				bench_metric_add(s->lat, now_ns() - s->submit_ns[slot]);
				bench_op_done(c);
			}
			io_uring_cqe_seen(&s->ring, cqe);
			if (s->io_errors > 100) {
				bench_abort(c, "error");
				continue;
			}
			/* keep the queue full while the run goes on; drain at the end */
			if (bench_next_op(c))
				prep_one(c, s, slot);
		}
	}
	return 0;
}

/* /proc/interrupts has one column per online CPU, in order: column -> CPU number */
static int column_cpus(int *cpu_of, int nr)
{
	uint64_t online[BENCH_MAX_CPUS / 64];
	int i, n = 0;

	if (host_online_cpus(online, BENCH_MAX_CPUS) <= 0)
		return 0;
	for (i = 0; i < BENCH_MAX_CPUS && n < nr; i++)
		if (online[i / 64] & (1ull << (i % 64)))
			cpu_of[n++] = i;
	return n;
}

static uint64_t irq_counts(const struct msi_state *s, uint64_t *per_cpu, int nr_cpus, int *its)
{
	static int cpu_of[BENCH_MAX_CPUS];
	struct irq_table t;
	uint64_t total = 0;
	int ncol;
	int i, j;

	*its = 0;
	ncol = column_cpus(cpu_of, BENCH_MAX_CPUS);
	if (irq_table_read(NULL, &t))
		return 0;
	for (i = 0; i < s->nr_irqs; i++) {
		const struct irq_line *l = irq_table_find(&t, s->irqs[i]);

		if (!l || l->its == ITS_LABEL_NONE)
			continue;
		(*its)++;
		total += l->total;
		for (j = 0; j < t.nr_cpus && j < ncol; j++)
			if (cpu_of[j] < nr_cpus)
				per_cpu[cpu_of[j]] += l->per_cpu[j];
	}
	irq_table_free(&t);
	return total;
}

static int msi_run(struct bench_ctx *c)
{
	struct msi_state s = { .fd = -1 };
	uint64_t *pc0, *pc1;
	uint64_t i0, i1;
	cpu_set_t saved;
	double secs;
	int ret;
	int its;
	int i;

	if (c->o->nr_devices != 1) {
		err_msg("bench msi: give the block device with --device /dev/X");
		return EXIT_USAGE;
	}
	ret = open_device(c, &s);
	if (ret)
		goto out;
	ret = io_uring_queue_init(c->o->qd, &s.ring, 0);
	if (ret) {
		err_msg("bench msi: io_uring_queue_init(%u): %s", c->o->qd, strerror(-ret));
		ret = EXIT_FAIL;
		goto out;
	}
	s.ring_ok = true;
	if (posix_memalign(&s.bufs, 4096, (size_t)c->o->qd * c->o->bs)) {
		err_msg("bench msi: out of memory for %u buffers", c->o->qd);
		ret = EXIT_FAIL;
		goto out;
	}
	memset(s.bufs, 0x5a, (size_t)c->o->qd * c->o->bs);
	s.submit_ns = xcalloc(c->o->qd, sizeof(uint64_t));
	s.rng = now_ns() | 1;
	s.lat = bench_metric_new(c, "io_latency", "ns",
				 "io_uring submission to completion of "
				 "one O_DIRECT I/O");
	pc0 = xcalloc(c->nr_possible, sizeof(uint64_t));
	pc1 = xcalloc(c->nr_possible, sizeof(uint64_t));
	bench_pin_self(c, &saved);
	i0 = irq_counts(&s, pc0, c->nr_possible, &its);
	bench_begin(c);
	ret = io_loop(c, &s) ? EXIT_FAIL : EXIT_OK;
	bench_end(c);
	i1 = irq_counts(&s, pc1, c->nr_possible, &its);
	bench_unpin_self(&saved);
	for (i = 0; i < c->nr_possible; i++)
		pc1[i] -= pc0[i];
	secs = (double)(c->t_end - c->t_start) / 1e9;
	bench_set(c, "device", json_object_new_string(c->o->devices[0]));
	bench_set(c, "pci_function", json_object_new_string(s.bdf));
	bench_set(c, "its_vectors", json_object_new_int(its));
	bench_set(c, "interrupts", json_object_new_uint64(i1 - i0));
	bench_set(c, "interrupts_per_s", json_object_new_double(secs > 0 ? (i1 - i0) / secs : 0));
	bench_set(c, "interrupts_by_cpu", bench_per_cpu_json(pc1, c->nr_possible));
	bench_set(c, "iops", json_object_new_double(secs > 0 ? c->done / secs : 0));
	bench_set(c, "io_errors", json_object_new_uint64(s.io_errors));
	bench_set(c, "mode", json_object_new_string(c->o->write ? "write" : "read"));
	bench_set(c, "qd", json_object_new_int(c->o->qd));
	bench_set(c, "bs", json_object_new_int(c->o->bs));
	if (!its)
		bench_note(c, "%s has no ITS-backed MSI vector: interrupts not counted",
			   c->o->devices[0]);
	else
		bench_line(c, "interrupts: %llu on %d ITS vector(s) of %s, %.1f/s, %.2f per I/O",
			   (unsigned long long)(i1 - i0), its, s.bdf,
			   secs > 0 ? (i1 - i0) / secs : 0,
			   c->done ? (double)(i1 - i0) / (double)c->done : 0);
	free(pc0);
	free(pc1);
	if (!c->done)
		ret = EXIT_FAIL;
out:
	if (s.ring_ok)
		io_uring_queue_exit(&s.ring);
	if (s.fd >= 0)
		close(s.fd);
	free(s.bufs);
	free(s.submit_ns);
	return ret;
}

const struct bench_workload bench_msi = {
	.name = "msi",
	.help = "O_DIRECT io_uring I/O on a block device (--device /dev/X)",
	.op = "I/O",
	.cmds = "none (LPI delivery); interrupts counted on the device's ITS vectors",
	.opts = BOPT_DEVICE | BOPT_WRITE | BOPT_QD | BOPT_BS | BOPT_FORCE | BOPT_RATE,
	.default_duration_ns = 5ull * 1000000000ull,
	.run = msi_run,
};
