// SPDX-License-Identifier: GPL-2.0
/*
 * The QEMU and kernel command lines of the emulated pKVM host. Pure string
 * building, kept apart from running QEMU so the unit tests can check them.
 *
 * Machine: virt with EL2 (virtualization=on) so the kernel boots at EL2 and
 * KVM/pKVM initialise for real, GICv3 (or v4) with an ITS so every PCI MSI-X
 * vector is an LPI mapped by real ITS commands. -cpu max has VHE, so 6.12
 * picks hVHE for protected mode; pauth-impdef=on avoids TCG's slow QARMA.
 *
 * No option ROMs (romfile=): the kernel is booted directly, no firmware.
 *
 * Guest PCI layout (fixed, so BDFs are stable between runs):
 *   00:01.0 virtio-net (eth0, default route)  00:02.0 virtio-net (eth1, spare)
 *   00:03.0 virtio-blk (scratch disk, vda)    00:04.0 virtio-rng
 *   00:05.0 virtio-9p "out" (/out)            00:06.0 virtio-9p "share" (ro)
 *   00:07.0 ... --devices: see vm_extra_slot()
 *
 * --devices N --vectors M are virtio-serial-pci devices without ports:
 * their driver (virtio_console) sets up two virtqueues per port plus two
 * control queues at probe, each with its own MSI-X vector except the
 * control output queue, plus the config vector: 2 * max_ports + 2 vectors
 * (max_ports 1 means no multiport: 3). A multiqueue virtio-net would need
 * a multiqueue backend (tap or vhost-user: host network set-up); virtio-blk
 * and virtio-scsi cap their queues at the CPU count. The vectors are not
 * managed (movable from userspace), and the devices have no interface,
 * address or mount, so the bench device guard allows them.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "vm/vm.h"

struct strv {
	char **v;
	int n, cap;
};

static void strv_add(struct strv *s, char *str)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

static void strv_add2(struct strv *s, const char *opt, char *val)
{
	strv_add(s, xstrdup(opt));
	strv_add(s, val);
}

void strv_free(char **v)
{
	char **p;

	if (!v)
		return;
	for (p = v; *p; p++)
		free(*p);
	free(v);
}

/* a value inside a QEMU option list: ',' is written ',,' */
static char *qopt(const char *v)
{
	char *r = xmalloc(2 * strlen(v) + 1);
	char *p = r;

	for (; *v; v++) {
		*p++ = *v;
		if (*v == ',')
			*p++ = ',';
	}
	*p = '\0';
	return r;
}

/* pKVM mode switches, PLATFORM.md: arm64_sw.hvhe=0 alone falls back to VHE */
static const char *mode_args(enum vm_mode_req mode)
{
	switch (mode) {
	case VM_MODE_PROTECTED:
		return "kvm-arm.mode=protected";
	case VM_MODE_PROTECTED_NVHE:
		return "kvm-arm.mode=protected arm64_sw.hvhe=0 id_aa64mmfr1.vh=0";
	case VM_MODE_NVHE:
		return "kvm-arm.mode=nvhe";
	}
	return "";
}

char *vm_kernel_cmdline(const struct vm_config *cfg)
{
	/* panic=-1: reboot at once on panic, and -no-reboot turns that into QEMU exiting */
	/* with an IOMMU, the host's own devices keep direct DMA: vfio gets its own domains */
	char *clock = vm_clock_cmdline(cfg->icount, cfg->icount_shift);
	char *s = xasprintf("console=ttyAMA0 panic=-1 rdinit=/init %s%s%s %s%s%s",
			    mode_args(cfg->mode), cfg->gic == 4 ? " kvm-arm.vgic_v4_enable=1" : "",
			    cfg->iommu ? " iommu.passthrough=1" : "", clock,
			    cfg->append && *cfg->append ? " " : "", cfg->append ? cfg->append : "");

	free(clock);
	return s;
}

static void add_9p(struct strv *s, const char *tag, const char *dir, bool ro, int slot)
{
	char *path = qopt(dir);

	strv_add2(s, "-fsdev",
		  xasprintf("local,id=fs%s,path=%s,security_model=none%s", tag, path,
			    ro ? ",readonly=on" : ""));
	free(path);
	strv_add2(s, "-device",
		  xasprintf("virtio-9p-pci,fsdev=fs%s,mount_tag=%s,addr=%02x.0", tag, tag, slot));
}

static void add_console(struct strv *s, const struct vm_config *cfg)
{
	char *log;

	if (cfg->interactive) {
		/* QEMU owns the terminal; Ctrl-A x quits, Ctrl-A c the monitor */
		log = cfg->console_log ? qopt(cfg->console_log) : NULL;
		strv_add2(s, "-chardev",
			  xasprintf("stdio,id=con,mux=on,signal=off%s%s", log ? ",logfile=" : "",
				    log ? log : ""));
		free(log);
		strv_add2(s, "-mon", xstrdup("chardev=con,mode=readline"));
	} else {
		/* our pipe on QEMU's stdout; signals are ours to handle */
		strv_add2(s, "-chardev", xstrdup("stdio,id=con,signal=off"));
	}
	strv_add2(s, "-serial", xstrdup("chardev:con"));
}

int vm_extra_slot(int n, int i, struct vm_extra_slot *s)
{
	const int free_slots = 32 - VM_FIRST_FREE_SLOT;
	int port_slots = 0;
	int direct;
	int j;

	if (n < 1 || i < 0 || i >= n)
		return -1;
	/* slots taken by root ports hold 8 each: F - s + 8 s >= n */
	if (n > free_slots)
		port_slots = (n - free_slots + 6) / 7;
	if (port_slots > free_slots)
		return -1;
	direct = free_slots - port_slots;
	if (direct > n)
		direct = n;
	if (i < direct) {
		*s = (struct vm_extra_slot){ .slot = VM_FIRST_FREE_SLOT + i, .fn = 0 };
		return 0;
	}
	j = i - direct;
	*s = (struct vm_extra_slot){ .slot = 31 - j / 8, .fn = j % 8, .behind_port = true };
	return 0;
}

int vm_extra_vectors(int m, int *ports)
{
	if (m < 2 || m > VM_MAX_VECTORS)
		return -1;
	if (m < 6) {
		/* one port, no multiport: input, output, config; 2: one vector shared by the queues */
		*ports = 1;
		return m == 2 ? 2 : 3;
	}
	*ports = (m - 2) / 2;
	return 2 * *ports + 2;
}

static void add_extra_devices(struct strv *s, const struct vm_config *cfg)
{
	struct vm_extra_slot sl;
	int ports = 1;
	int nvec;
	int port = 0;
	int i;

	nvec = vm_extra_vectors(cfg->vectors, &ports);
	for (i = 0; i < cfg->devices && nvec > 0; i++) {
		if (vm_extra_slot(cfg->devices, i, &sl))
			break;
		if (!sl.behind_port) {
			strv_add2(s, "-device",
				  xasprintf("virtio-serial-pci,id=xdev%d,addr=%02x.0,max_ports=%d,"
					    "vectors=%d",
					    i, sl.slot, ports, nvec));
			continue;
		}
		/* function 0 of a slot says it is multifunction; chassis numbers must differ */
		strv_add2(s, "-device",
			  xasprintf("pcie-root-port,id=xport%d,bus=pcie.0,addr=%02x.%x,chassis=%d,"
				    "hotplug=off%s",
				    port, sl.slot, sl.fn, port + 1,
				    sl.fn == 0 ? ",multifunction=on" : ""));
		strv_add2(
			s, "-device",
			xasprintf("virtio-serial-pci,id=xdev%d,bus=xport%d,addr=00.0,max_ports=%d,"
				  "vectors=%d",
				  i, port, ports, nvec));
		port++;
	}
}

char **vm_qemu_argv(const struct vm_config *cfg)
{
	struct strv s = { 0 };
	char *disk = qopt(cfg->disk);

	strv_add(&s, xstrdup(cfg->qemu));
	if (cfg->icount) {
		/* icount needs single-threaded TCG; sleep=off: idle time costs no guest time */
		strv_add2(&s, "-accel", xstrdup("tcg,thread=single"));
		strv_add2(&s, "-icount", xasprintf("shift=%d,sleep=off", cfg->icount_shift));
	}
	strv_add2(&s, "-M",
		  xasprintf("virt,gic-version=%d,its=on,virtualization=on%s%s", cfg->gic,
			    cfg->iommu ? ",iommu=" : "", cfg->iommu ? cfg->iommu : ""));
	/*
	 * Under icount, a 1 GHz generic timer: the virtual clock advances
	 * 2^shift ns per instruction, and the default 62.5 MHz counter would
	 * round every timestamp (ktime, trace clock, cntvct) to 16 ns, more
	 * than a whole ITS command's own time once the probes' cost is taken
	 * out (commands/calibrate.c).
	 */
	strv_add2(&s, "-cpu",
		  xstrdup(cfg->icount ? "max,pauth-impdef=on,cntfrq=1000000000" :
					"max,pauth-impdef=on"));
	strv_add2(&s, "-smp", xasprintf("%d", cfg->cpus));
	strv_add2(&s, "-m", xstrdup(cfg->mem));
	strv_add(&s, xstrdup("-nodefaults"));
	strv_add(&s, xstrdup("-no-user-config"));
	strv_add(&s, xstrdup("-no-reboot"));
	strv_add2(&s, "-display", xstrdup("none"));
	strv_add2(&s, "-kernel", xstrdup(cfg->image));
	strv_add2(&s, "-initrd", xstrdup(cfg->initrd));
	strv_add2(&s, "-append", vm_kernel_cmdline(cfg));
	add_console(&s, cfg);

	strv_add2(&s, "-netdev", xstrdup("user,id=n0"));
	strv_add2(&s, "-device", xstrdup("virtio-net-pci,netdev=n0,addr=01.0,romfile="));
	strv_add2(&s, "-netdev", xstrdup("user,id=n1"));
	strv_add2(&s, "-device", xstrdup("virtio-net-pci,netdev=n1,addr=02.0,romfile="));
	strv_add2(&s, "-drive",
		  xasprintf("file=%s,format=raw,if=none,id=scratch,cache=unsafe", disk));
	free(disk);
	strv_add2(&s, "-device", xstrdup("virtio-blk-pci,drive=scratch,addr=03.0"));
	strv_add2(&s, "-device", xstrdup("virtio-rng-pci,addr=04.0"));
	add_9p(&s, "out", cfg->out_dir, false, 5);
	if (cfg->share_dir)
		add_9p(&s, "share", cfg->share_dir, true, 6);
	if (cfg->devices > 0)
		add_extra_devices(&s, cfg);
	return s.v;
}
