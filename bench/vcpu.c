// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu: the world-switch path (KVM_RUN round trips) and, with GICv4, the
 * vPE commands it drives.
 *
 * A KVM VM (KVM_CREATE_VM type 0: a normal VM, also on a protected host)
 * with a vGICv3, a vITS and one thread per vCPU runs a six-instruction
 * guest that stores to an address no memslot or device backs, in a loop:
 * every store exits to userspace with KVM_EXIT_MMIO. The KVM_RUN round
 * trip (ioctl in, guest entry, data abort, exit to the host, ioctl out) is
 * timed in userspace with the arch counter (isb; mrs cntvct_el0), CNTFRQ_EL0
 * giving the frequency.
 *
 * ITS commands: a vITS is emulated, so a plain GICv3 host sends none. With
 * GICv4 (gic-version=4 and kvm-arm.vgic_v4_enable=1) the host maps one vPE
 * per vCPU (vgic_v4_init(): VMAPP + VINVALL per vCPU and v4 ITS, when the vITS
 * is created), and every vcpu_load() - once per KVM_RUN ioctl, plus once
 * per reschedule inside it - clears the doorbell (vgic_v4_load(): on a
 * GICv4.0 ITS without DirectLPI that is a CLEAR through the vPE proxy
 * device, whose first use per vPE maps the doorbell with a MAPTI) and,
 * when the vCPU thread lands on another CPU, moves the vPE (VMOVP, and a
 * MOVI of the proxy event). Teardown unmaps (VMAPP V=0, DISCARD of the
 * proxy event). The exact counts per kernel are in vcpu_expect().
 *
 * vCPU threads are pinned (vCPU i on the i-th CPU of --cpus) so that VMOVP
 * happens at most once per vCPU; context switches inside KVM_RUN are
 * counted (getrusage) to bound the extra loads. With --move-every N each
 * vCPU thread re-pins itself to the next CPU of --cpus after every N of its
 * exits: its next KVM_RUN loads the vCPU on another CPU, which moves the vPE
 * (one VMOVP and, through the proxy, one MOVI per move; counted per thread
 * as "cpu_changes": KVM_RUN entered on another CPU than the previous one
 * returned on).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <json-c/json.h>

#include "bench/bench_priv.h"
#include "lib/interrupts.h"

#define GUEST_MMIO 0x0a000000ull /* backed by nothing: every store exits */

/* ---- the guest: A64 encodings (checked against binutils in the unit tests) ---- */

static uint32_t a64_movz(int rd, uint16_t imm, int shift)
{
	return 0xd2800000u | ((uint32_t)(shift / 16) << 21) | ((uint32_t)imm << 5) | rd;
}

static uint32_t a64_movk(int rd, uint16_t imm, int shift)
{
	return 0xf2800000u | ((uint32_t)(shift / 16) << 21) | ((uint32_t)imm << 5) | rd;
}

/* str xt, [xn] */
static uint32_t a64_str(int rt, int rn)
{
	return 0xf9000000u | ((uint32_t)rn << 5) | rt;
}

/* add xd, xn, #imm */
static uint32_t a64_add(int rd, int rn, uint16_t imm)
{
	return 0x91000000u | ((uint32_t)(imm & 0xfff) << 10) | ((uint32_t)rn << 5) | rd;
}

/* b . + off * 4 */
static uint32_t a64_b(int off)
{
	return 0x14000000u | ((uint32_t)off & 0x3ffffff);
}

int vcpu_guest_program(uint32_t *insn, int max, uint64_t mmio_addr)
{
	int n = 0;

	if (max < 7)
		return -1;
	insn[n++] = a64_movz(1, mmio_addr & 0xffff, 0);
	insn[n++] = a64_movk(1, (mmio_addr >> 16) & 0xffff, 16);
	insn[n++] = a64_movk(1, (mmio_addr >> 32) & 0xffff, 32);
	insn[n++] = a64_movz(0, 0, 0);
	insn[n++] = a64_str(0, 1); /* loop: exits with KVM_EXIT_MMIO */
	insn[n++] = a64_add(0, 0, 1);
	insn[n++] = a64_b(-2);
	return n;
}

#ifdef __aarch64__

#include <linux/kvm.h>

#define GUEST_RAM      0x40000000ull
#define GUEST_RAM_SIZE 0x10000ull
#define GIC_DIST       0x08000000ull
#define GIC_ITS	       0x08080000ull
#define GIC_REDIST     0x080a0000ull /* 128 KiB per vCPU, up to 64 vCPUs below GUEST_MMIO */

struct vcpu_thread {
	struct bench_ctx *c;
	int id;
	int fd;
	int pcpu;
	struct kvm_run *run;
	size_t run_size;
	uint64_t runs;	      /* KVM_RUN ioctls: one vcpu_load() each */
	uint64_t exits;	      /* MMIO exits (operations) */
	uint64_t csw;	      /* context switches of the thread during the run */
	uint64_t migrations;  /* KVM_RUN returning on another CPU than it entered */
	uint64_t moves;	      /* --move-every: re-pinned to the next CPU */
	uint64_t cpu_changes; /* KVM_RUN entered on another CPU than the last one returned on */
	struct bench_metric lat;
};

struct vm {
	int kvm;
	int fd;
	int gic;
	int its;
	void *mem;
	struct vcpu_thread *v;
	int nr;
	uint64_t cntfrq;
};

static inline uint64_t cntvct(void)
{
	uint64_t v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

static inline uint64_t cntfrq(void)
{
	uint64_t v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static int set_dev_attr(int fd, uint32_t group, uint64_t attr, void *addr, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)addr };

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a)) {
		err_msg("bench vcpu: %s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int create_device(int vm, uint32_t type, const char *what)
{
	struct kvm_create_device d = { .type = type };

	if (ioctl(vm, KVM_CREATE_DEVICE, &d)) {
		err_msg("bench vcpu: KVM_CREATE_DEVICE %s: %s", what, strerror(errno));
		return -1;
	}
	return d.fd;
}

static int setup_vcpu(struct vm *vm, struct vcpu_thread *t, const struct kvm_vcpu_init *init,
		      size_t run_size)
{
	uint64_t pc = GUEST_RAM;
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		      KVM_REG_ARM_CORE_REG(regs.pc),
		.addr = (uint64_t)&pc,
	};

	t->fd = ioctl(vm->fd, KVM_CREATE_VCPU, t->id);
	if (t->fd < 0) {
		err_msg("bench vcpu: KVM_CREATE_VCPU %d: %s", t->id, strerror(errno));
		return -1;
	}
	if (ioctl(t->fd, KVM_ARM_VCPU_INIT, init)) {
		err_msg("bench vcpu: KVM_ARM_VCPU_INIT: %s", strerror(errno));
		return -1;
	}
	if (ioctl(t->fd, KVM_SET_ONE_REG, &reg)) {
		err_msg("bench vcpu: setting PC: %s", strerror(errno));
		return -1;
	}
	t->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->run == MAP_FAILED) {
		t->run = NULL;
		err_msg("bench vcpu: mmap kvm_run: %s", strerror(errno));
		return -1;
	}
	t->run_size = run_size;
	return 0;
}

static int setup_gic(struct vm *vm)
{
	uint64_t dist = GIC_DIST, redist = GIC_REDIST, its = GIC_ITS;

	vm->gic = create_device(vm->fd, KVM_DEV_TYPE_ARM_VGIC_V3, "vGICv3");
	if (vm->gic < 0)
		return -1;
	if (set_dev_attr(vm->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist,
			 "vGIC distributor address") ||
	    set_dev_attr(vm->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist,
			 "vGIC redistributor address") ||
	    set_dev_attr(vm->gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
			 "vGIC init"))
		return -1;
	/* vgic_its_create() on an initialised vGIC runs vgic_v4_init(): the vPEs get mapped */
	vm->its = create_device(vm->fd, KVM_DEV_TYPE_ARM_VGIC_ITS, "vITS");
	if (vm->its < 0)
		return -1;
	if (set_dev_attr(vm->its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &its,
			 "vITS address") ||
	    set_dev_attr(vm->its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
			 "vITS init"))
		return -1;
	return 0;
}

static int setup_vm(struct bench_ctx *c, struct vm *vm)
{
	struct kvm_userspace_memory_region mr = { 0 };
	struct kvm_vcpu_init init;
	uint32_t prog[16];
	long run_size;
	int n, i;

	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0) {
		err_msg("bench vcpu: /dev/kvm: %s (KVM needs the kernel booted at EL2)",
			strerror(errno));
		return -1;
	}
	if (ioctl(vm->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		err_msg("bench vcpu: unexpected KVM API version");
		return -1;
	}
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		err_msg("bench vcpu: KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	vm->mem = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		err_msg("bench vcpu: guest memory: %s", strerror(errno));
		return -1;
	}
	n = vcpu_guest_program(prog, ARRAY_SIZE(prog), GUEST_MMIO);
	memcpy(vm->mem, prog, n * sizeof(uint32_t));
	mr.slot = 0;
	mr.guest_phys_addr = GUEST_RAM;
	mr.memory_size = GUEST_RAM_SIZE;
	mr.userspace_addr = (uint64_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr)) {
		err_msg("bench vcpu: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init)) {
		err_msg("bench vcpu: KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
		return -1;
	}
	run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0) {
		err_msg("bench vcpu: KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	vm->nr = c->o->vcpus;
	vm->v = xcalloc(vm->nr, sizeof(*vm->v));
	for (i = 0; i < vm->nr; i++) {
		vm->v[i].c = c;
		vm->v[i].id = i;
		vm->v[i].fd = -1;
		vm->v[i].pcpu = c->cpu_list[i % c->nr_cpus];
	}
	/* vCPUs first: vgic_init() sizes the redistributors by the vCPUs present */
	for (i = 0; i < vm->nr; i++)
		if (setup_vcpu(vm, &vm->v[i], &init, run_size))
			return -1;
	return setup_gic(vm);
}

static void teardown_vm(struct vm *vm)
{
	int i;

	for (i = 0; vm->v && i < vm->nr; i++) {
		if (vm->v[i].run)
			munmap(vm->v[i].run, vm->v[i].run_size);
		if (vm->v[i].fd >= 0)
			close(vm->v[i].fd);
		bench_metric_free(&vm->v[i].lat);
	}
	if (vm->its >= 0)
		close(vm->its);
	if (vm->gic >= 0)
		close(vm->gic);
	if (vm->fd >= 0)
		close(vm->fd); /* the last reference: kvm_destroy_vm() unmaps the vPEs */
	if (vm->kvm >= 0)
		close(vm->kvm);
	if (vm->mem)
		munmap(vm->mem, GUEST_RAM_SIZE);
	free(vm->v);
}

static uint64_t thread_csw(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return 0;
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* the CPU after cur in --cpus, cyclically */
static int next_cpu(const struct bench_ctx *c, int cur)
{
	int i;

	for (i = 0; i < c->nr_cpus; i++)
		if (c->cpu_list[i] == cur)
			return c->cpu_list[(i + 1) % c->nr_cpus];
	return c->cpu_list[0];
}

/* --move-every: re-pin the thread; the next KVM_RUN loads the vCPU there */
static void move_thread(struct vcpu_thread *t)
{
	int to = next_cpu(t->c, t->pcpu);

	if (bench_pin_to_cpu(to)) {
		bench_error(t->c, "vCPU %d: moving to CPU %d: %s", t->id, to, strerror(errno));
		bench_abort(t->c, "error");
		return;
	}
	t->pcpu = to;
	t->moves++;
}

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct bench_ctx *c = t->c;
	uint64_t every = c->o->move_every;
	uint64_t freq = cntfrq();
	uint64_t csw0, t0, t1;
	int last = -1;
	int cpu0;

	if (bench_pin_to_cpu(t->pcpu))
		bench_error(c, "vCPU %d: pinning to CPU %d: %s", t->id, t->pcpu, strerror(errno));
	csw0 = thread_csw();
	while (bench_next_op(c)) {
		cpu0 = sched_getcpu();
		if (last >= 0 && cpu0 != last)
			t->cpu_changes++;
		t0 = cntvct();
		if (ioctl(t->fd, KVM_RUN, 0)) {
			t->runs++;
			last = sched_getcpu();
			bench_op_unclaim(c);
			if (errno == EINTR || errno == EAGAIN)
				continue;
			bench_error(c, "vCPU %d: KVM_RUN: %s", t->id, strerror(errno));
			bench_abort(c, "error");
			break;
		}
		t1 = cntvct();
		t->runs++;
		last = sched_getcpu();
		if (last != cpu0)
			t->migrations++;
		if (t->run->exit_reason != KVM_EXIT_MMIO || !t->run->mmio.is_write ||
		    t->run->mmio.phys_addr != GUEST_MMIO) {
			bench_op_unclaim(c);
			bench_error(c, "vCPU %d: unexpected exit %u (mmio addr 0x%llx)", t->id,
				    t->run->exit_reason,
				    (unsigned long long)t->run->mmio.phys_addr);
			bench_abort(c, "error");
			break;
		}
		bench_metric_add(&t->lat, (t1 - t0) * 1000000000ull / freq);
		t->exits++;
		bench_op_done(c);
		if (every && t->exits % every == 0)
			move_thread(t);
	}
	t->csw = thread_csw() - csw0;
	return NULL;
}

/* vPE doorbells (chip GICv4-vpe, action "vcpu") in /proc/interrupts */
static int count_doorbells(void)
{
	struct irq_table t;
	int n = 0;
	int i;

	if (irq_table_read(NULL, &t))
		return -1;
	for (i = 0; i < t.nr_lines; i++)
		if (str_starts(t.lines[i].chip, "GICv4"))
			n++;
	irq_table_free(&t);
	return n;
}

/* ITS nodes in the device tree (arm,gic-v3-its); ACPI hosts: 1, said in a note */
static int count_its_dt(const char *dir, int depth)
{
	struct dirent *de;
	char *path;
	char *s;
	int n = 0;
	DIR *d;

	if (depth > 3)
		return 0;
	path = xasprintf("%s/compatible", dir);
	s = read_file(path, NULL);
	free(path);
	if (s && !strcmp(s, "arm,gic-v3-its")) {
		char *st;

		path = xasprintf("%s/status", dir);
		st = read_file(path, NULL);
		free(path);
		n = !st || str_starts(st, "ok");
		free(st);
	}
	free(s);
	d = opendir(dir);
	if (!d)
		return n;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		n += count_its_dt(path, depth + 1);
		free(path);
	}
	closedir(d);
	return n;
}

/*
 * What the GIC driver says at boot about GICv4 (gic_init_bases(): "GICv4
 * features: DirectLPI RVPEID ...") and the vPE proxy device that stands in
 * for DirectLPI ("GICv4 proxy device (N slots)"). Read from the kernel log;
 * on a host up long enough to have lost it, GICv4.0 without DirectLPI is
 * assumed and said so.
 */
struct gicv4_info {
	bool known;
	bool direct_lpi;
	bool v41; /* RVPEID */
	bool single_vmovp;
	int proxy_slots;
};

static void gicv4_probe(struct gicv4_info *gi)
{
	char *log = NULL;
	char *p;
	int len;

	memset(gi, 0, sizeof(*gi));
	len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (len > 0) {
		log = xmalloc(len + 1);
		len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, len);
		log[len > 0 ? len : 0] = '\0';
	}
	p = log ? strstr(log, "GICv4 features:") : NULL;
	if (p) {
		char *eol = strchr(p, '\n');

		if (eol)
			*eol = '\0';
		gi->known = true;
		gi->direct_lpi = strstr(p, "DirectLPI") != NULL;
		gi->v41 = strstr(p, "RVPEID") != NULL;
		if (eol)
			*eol = '\n';
	}
	if (log && strstr(log, "Single VMOVP capable"))
		gi->single_vmovp = true;
	p = log ? strstr(log, "GICv4 proxy device (") : NULL;
	if (p)
		gi->proxy_slots = atoi(p + strlen("GICv4 proxy device ("));
	free(log);
}

static int possible_cpus(void)
{
	uint64_t mask[BENCH_MAX_CPUS / 64];
	char *s = host_read_str("/sys/devices/system/cpu/possible");
	int i, last = 0;

	if (!s || host_cpulist(s, mask, BENCH_MAX_CPUS) <= 0) {
		free(s);
		return (int)sysconf(_SC_NPROCESSORS_CONF);
	}
	free(s);
	for (i = 0; i < BENCH_MAX_CPUS; i++)
		if (mask[i / 64] & (1ull << (i % 64)))
			last = i;
	return last + 1;
}

/*
 * Expected commands with GICv4 (measured on Debian 6.12 and 6.1, GICv4.0
 * without DirectLPI under QEMU, see bench/README.md), for nr vPEs on nits
 * v4 ITSs, runs KVM_RUN ioctls and csw context switches of the vCPU threads:
 *   setup:    VMAPP nr*nits + VINVALL nr*nits (each + VSYNC)
 *   run:      CLEAR runs (+ csw: a reschedule inside KVM_RUN is one more load),
 *             MAPTI nr (first doorbell CLEAR maps the vPE in the proxy device;
 *             more when nr > proxy slots: evictions, each with a DISCARD),
 *             VMOVP (+ proxy MOVI) changes, up to nr + migrations more;
 *   teardown: VMAPP nr*nits (V=0) + DISCARD of the proxy events still mapped.
 * Without the proxy (DirectLPI) the doorbell is cleared by a register write:
 * no CLEAR, MAPTI, DISCARD, MOVI. GICv4.1 is not modelled beyond VMAPP.
 *
 * changes: KVM_RUN entered on another CPU than the vCPU's previous KVM_RUN
 * returned on (--move-every). vgic_v4_load() then sets the vPE doorbell's
 * affinity to the new CPU and its_vpe_set_affinity() sends a VMOVP (from !=
 * cpu) and moves the proxy doorbell event (its_vpe_db_proxy_move(): MOVI +
 * SYNC, mapping it first if it was evicted). Certain only with "Single VMOVP
 * capable" ITSs (its_list_map == 0): with an ITSList, its_send_vmovp() sends
 * it only to ITSs where the VM has vLPIs mapped (require_its_list_vmovp()),
 * none for this VM. The first load of each vCPU moves the vPE from the CPU it
 * was mapped on (the first online one) if it runs elsewhere: up to nr more.
 */
static void vcpu_expect(struct bench_ctx *c, struct vm *vm, int nr_its, const struct gicv4_info *gi)
{
	uint64_t runs = 0, csw = 0, migr = 0, changes = 0;
	uint64_t nr = 0, vmovp, vmovp_max;
	uint64_t evict = 0;
	int slots = gi->proxy_slots;
	bool proxy = !gi->direct_lpi && !gi->v41;
	int i;

	for (i = 0; i < vm->nr; i++) {
		runs += vm->v[i].runs;
		csw += vm->v[i].csw;
		migr += vm->v[i].migrations;
		changes += vm->v[i].cpu_changes;
		nr += vm->v[i].runs > 0;
	}
	if (!slots) {
		/* its_init_vpe_domain(): one slot per possible CPU, rounded up */
		slots = 1;
		while (slots < possible_cpus())
			slots <<= 1;
	}
	bench_expect(c, BENCH_PHASE_SETUP, ITS_CMD_VMAPP, (uint64_t)vm->nr * nr_its);
	bench_expect(c, BENCH_PHASE_RESTORE, ITS_CMD_VMAPP, (uint64_t)vm->nr * nr_its);
	bench_expect(c, BENCH_PHASE_RESTORE, ITS_CMD_VSYNC, (uint64_t)vm->nr * nr_its);
	if (gi->v41) {
		bench_note(c, "GICv4.1 (RVPEID): only VMAPP is predicted");
		return;
	}
	bench_expect(c, BENCH_PHASE_SETUP, ITS_CMD_VINVALL, (uint64_t)vm->nr * nr_its);
	bench_expect(c, BENCH_PHASE_SETUP, ITS_CMD_VSYNC, 2ull * vm->nr * nr_its);
	vmovp = gi->single_vmovp ? changes : 0;
	vmovp_max = (nr + migr + changes) * (gi->single_vmovp ? 1 : nr_its);
	if (changes && !gi->single_vmovp)
		bench_note(c, "the ITS is not Single VMOVP capable (or the boot log is gone): a "
			      "VMOVP goes only to ITSs where the VM has vLPIs mapped, so the "
			      "vCPU moves are not counted on as VMOVPs");
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_VMOVP, vmovp);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_VSYNC, vmovp);
	bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_VMOVP, vmovp_max - vmovp,
			   "a vPE moves (VMOVP + VSYNC, and a MOVI + SYNC of its proxy doorbell "
			   "event) when its vCPU thread first loads on a CPU other than the one "
			   "it was mapped to, or migrates");
	bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_VSYNC, vmovp_max - vmovp, NULL);
	if (!proxy)
		return;
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_CLEAR, runs);
	bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_CLEAR, csw,
			   "each context switch of a vCPU thread inside KVM_RUN is one more "
			   "vcpu_load(), i.e. one more doorbell CLEAR + SYNC");
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_MAPTI, nr);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_MOVI, changes);
	bench_expect(c, BENCH_PHASE_RUN, ITS_CMD_SYNC, runs + nr + changes);
	bench_expect(c, BENCH_PHASE_RESTORE, ITS_CMD_DISCARD,
		     nr < (uint64_t)slots ? nr : (uint64_t)slots);
	bench_expect(c, BENCH_PHASE_RESTORE, ITS_CMD_SYNC,
		     nr < (uint64_t)slots ? nr : (uint64_t)slots);
	bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_MOVI, nr + migr, NULL);
	if (nr > (uint64_t)slots) {
		evict = runs + csw + changes;
		bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_MAPTI, evict,
				   "more vPEs than vPE proxy slots: a doorbell CLEAR may evict "
				   "another vPE's proxy event (DISCARD) and map its own (MAPTI)");
		bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_DISCARD, evict, NULL);
		bench_line(c, "%llu vPEs share %d vPE proxy slots: MAPTI/DISCARD churn",
			   (unsigned long long)nr, slots);
	}
	bench_expect_extra(c, BENCH_PHASE_RUN, ITS_CMD_SYNC, csw + nr + migr + 2 * evict, NULL);
}

static void report(struct bench_ctx *c, struct vm *vm, struct bench_metric *lat, int doorbells,
		   int nr_its)
{
	struct json_object *list = json_object_new_array();
	uint64_t runs = 0, moves = 0, changes = 0;
	int i;

	for (i = 0; i < vm->nr; i++) {
		struct vcpu_thread *t = &vm->v[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "vcpu", json_object_new_int(t->id));
		json_object_object_add(o, "cpu", json_object_new_int(t->pcpu));
		json_object_object_add(o, "kvm_run_calls", json_object_new_uint64(t->runs));
		json_object_object_add(o, "mmio_exits", json_object_new_uint64(t->exits));
		json_object_object_add(o, "context_switches", json_object_new_uint64(t->csw));
		json_object_object_add(o, "migrations", json_object_new_uint64(t->migrations));
		json_object_object_add(o, "moves", json_object_new_uint64(t->moves));
		json_object_object_add(o, "cpu_changes", json_object_new_uint64(t->cpu_changes));
		json_object_array_add(list, o);
		runs += t->runs;
		moves += t->moves;
		changes += t->cpu_changes;
		bench_metric_merge(lat, &t->lat);
	}
	bench_set(c, "vcpus", list);
	bench_set(c, "vcpu_moves", json_object_new_uint64(moves));
	bench_set(c, "vcpu_cpu_changes", json_object_new_uint64(changes));
	if (c->o->move_every)
		bench_line(c,
			   "vCPU threads moved %llu times (every %llu exits): KVM_RUN entered "
			   "on another CPU %llu times",
			   (unsigned long long)moves, (unsigned long long)c->o->move_every,
			   (unsigned long long)changes);
	bench_set(c, "kvm_run_calls", json_object_new_uint64(runs));
	bench_set(c, "gicv4", json_object_new_boolean(doorbells > 0));
	bench_set(c, "vpe_doorbells", json_object_new_int(doorbells));
	bench_set(c, "its_count", json_object_new_int(nr_its));
	bench_set(c, "kvm_mode", json_object_new_string(host_kvm_mode()));
	bench_set(c, "cntfrq_hz", json_object_new_uint64(vm->cntfrq));
}

static int vcpu_run(struct bench_ctx *c)
{
	struct vm vm = { .kvm = -1, .fd = -1, .gic = -1, .its = -1 };
	struct gicv4_info gi = { 0 };
	struct bench_metric *lat;
	int before, doorbells;
	int ret = EXIT_OK;
	int nr_its;
	int i;

	if (c->o->move_every && c->nr_cpus < 2) {
		err_msg("bench vcpu: --move-every needs at least two CPUs to move between "
			"(--cpus names %d)",
			c->nr_cpus);
		return EXIT_USAGE;
	}
	vm.cntfrq = cntfrq();
	if (!vm.cntfrq) {
		err_msg("bench vcpu: CNTFRQ_EL0 reads 0: no usable arch counter frequency");
		return EXIT_FAIL;
	}
	lat = bench_metric_new(c, "kvm_run_roundtrip", "ns",
			       "KVM_RUN ioctl to MMIO exit and back, CNTVCT_EL0 (isb; mrs) in "
			       "userspace");
	before = count_doorbells();
	if (setup_vm(c, &vm)) {
		ret = EXIT_FAIL;
		goto out;
	}
	doorbells = count_doorbells() - before;
	nr_its = count_its_dt("/proc/device-tree", 0);
	if (nr_its <= 0) {
		nr_its = 1;
		if (doorbells > 0)
			bench_note(c, "no ITS node in the device tree (ACPI?): assuming one ITS");
	}
	bench_line(c, "kvm mode %s, arch counter %llu Hz (%.1f ns resolution)", host_kvm_mode(),
		   (unsigned long long)vm.cntfrq, 1e9 / (double)vm.cntfrq);
	if (doorbells > 0) {
		gicv4_probe(&gi);
		bench_line(c, "GICv4%s: %d vPE doorbell(s) appeared, vPEs mapped on %d ITS%s",
			   gi.v41 ? ".1" : ".0", doorbells, nr_its,
			   gi.direct_lpi ? ", DirectLPI" : ", no DirectLPI (vPE proxy device)");
		if (!gi.known)
			bench_note(c, "the boot log no longer tells the GICv4 features: GICv4.0 "
				      "without DirectLPI assumed");
	} else {
		bench_line(c, "no vPE doorbell appeared: GICv3 (or GICv4 disabled: "
			      "kvm-arm.vgic_v4_enable=1): the vITS is emulated, no ITS command "
			      "expected");
	}
	for (i = 0; i < vm.nr; i++)
		bench_metric_init(&vm.v[i].lat, "kvm_run_roundtrip", "ns", NULL);
	bench_begin(c);
	bench_run_threads(c, vcpu_thread_fn, vm.v, sizeof(*vm.v), vm.nr);
	bench_end(c);
	if (doorbells > 0)
		vcpu_expect(c, &vm, nr_its, &gi);
	report(c, &vm, lat, doorbells, nr_its);
	if (c->abort || !c->done)
		ret = EXIT_FAIL;
out:
	teardown_vm(&vm);
	return ret;
}

#else /* !__aarch64__ */

static int vcpu_run(struct bench_ctx *c __unused)
{
	err_msg("bench vcpu: drives arm64 KVM: this itsperf is built for another architecture "
		"(use the aarch64 binary on the pKVM host)");
	return EXIT_FAIL;
}

#endif

const struct bench_workload bench_vcpu = {
	.name = "vcpu",
	.help = "KVM_RUN round trips of a VM with vGICv3 + vITS (MMIO exit loop)",
	.op = "KVM_RUN exit",
	.cmds = "none on GICv3; GICv4: VMAPP/VINVALL per vCPU, CLEAR per vcpu load, VMOVP",
	.opts = BOPT_VCPUS | BOPT_RATE | BOPT_MOVE,
	.default_duration_ns = 5ull * 1000000000ull,
	.run = vcpu_run,
};
