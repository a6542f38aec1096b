// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf_hvc: the null hypercall round trip, the floor under every
 * operation pKVM mediates.
 *
 * Times a loop of HVCs that the nVHE/pKVM host hypercall handler
 * (handle_host_hcall() at EL2) answers without doing work: a host SMCCC
 * function id past the last one this kernel implements
 * (KVM_HOST_SMCCC_ID(last enumerator of enum __kvm_host_smccc_func + margin),
 * the enumerator taken from the kernel's own kvm_asm.h at build time by
 * gen_hcall_last.sh). The handler range-checks the id and returns
 * SMCCC_RET_NOT_SUPPORTED; the module verifies that answer before timing.
 *
 * Each sample is one HVC between two reads of CNTVCT_EL0, each read behind
 * an ISB so it is not hoisted or sunk across the call, with IRQs off (in
 * batches, with a reschedule point in between). An empty loop with the
 * same two reads gives the timing floor.
 *
 * The HVC is issued only where it reaches KVM's EL2 handler: the kernel is
 * not running at EL2 (VHE has no host-to-hypervisor boundary) and either
 * pKVM is on (is_protected_kvm_enabled()) or userspace, having seen
 * /dev/kvm, says KVM runs in nVHE mode (nvhe_kvm=1).
 *
 * debugfs itsperf_hvc/:
 *   info         text: usable, reason, mode, function id, counter frequency
 *   run          write N: take N samples of each loop on the current CPU
 *   hvc_ticks    read: the last run's HVC samples, u64 ticks, binary
 *   empty_ticks  read: the last run's empty-loop samples, u64 ticks
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/arm-smccc.h>
#include <asm/kvm_asm.h>
#include <asm/virt.h>

#include "hcall_last.h"

#define HCALL_MARGIN 64
#define HCALL_NR     (ITSPERF_HCALL_LAST + HCALL_MARGIN)
#define HCALL_ID     KVM_HOST_SMCCC_ID(HCALL_NR)
#define MAX_SAMPLES  (1u << 20)
#define BATCH	     256 /* samples per IRQs-off stretch */

static bool nvhe_kvm;
module_param(nvhe_kvm, bool, 0444);
MODULE_PARM_DESC(nvhe_kvm, "KVM runs in (non-protected) nVHE mode: /dev/kvm exists");

static DEFINE_MUTEX(lock);
static struct dentry *dir;
static u64 *hvc_ticks;
static u64 *empty_ticks;
static unsigned int nr_samples;
static int last_cpu = -1;
static unsigned long bad_returns;
static bool usable;
static long first_ret;
static char reason[160];

static __always_inline u64 cntvct(void)
{
	u64 v;

	asm volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

static __always_inline u64 cntfrq(void)
{
	u64 v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static const char *mode_name(void)
{
	if (is_kernel_in_hyp_mode())
		return "vhe";
	if (is_protected_kvm_enabled()) {
#ifdef ARM64_KVM_HVHE
		if (has_hvhe())
			return "protected-hvhe";
#endif
		return "protected-nvhe";
	}
	return nvhe_kvm ? "nvhe" : "unknown";
}

static long null_hvc(void)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(HCALL_ID, &res);
	return (long)res.a0;
}

static void take_samples(unsigned int n)
{
	unsigned long flags;
	unsigned int i = 0;
	unsigned int j;
	u64 t0, t1;

	while (i < n) {
		local_irq_save(flags);
		for (j = 0; j < BATCH && i < n; j++, i++) {
			long ret;

			t0 = cntvct();
			ret = null_hvc();
			t1 = cntvct();
			hvc_ticks[i] = t1 - t0;
			if (ret != SMCCC_RET_NOT_SUPPORTED)
				bad_returns++;
		}
		local_irq_restore(flags);
		cond_resched();
	}
	for (i = 0; i < n;) {
		local_irq_save(flags);
		for (j = 0; j < BATCH && i < n; j++, i++) {
			t0 = cntvct();
			t1 = cntvct();
			empty_ticks[i] = t1 - t0;
		}
		local_irq_restore(flags);
		cond_resched();
	}
}

static ssize_t run_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &n);
	if (ret)
		return ret;
	if (!n || n > MAX_SAMPLES)
		return -EINVAL;
	if (!usable)
		return -EOPNOTSUPP;
	mutex_lock(&lock);
	vfree(hvc_ticks);
	vfree(empty_ticks);
	nr_samples = 0;
	hvc_ticks = vmalloc(array_size(n, sizeof(u64)));
	empty_ticks = vmalloc(array_size(n, sizeof(u64)));
	if (!hvc_ticks || !empty_ticks) {
		vfree(hvc_ticks);
		vfree(empty_ticks);
		hvc_ticks = empty_ticks = NULL;
		mutex_unlock(&lock);
		return -ENOMEM;
	}
	/* the caller pinned itself: stay on its CPU for the whole run */
	migrate_disable();
	last_cpu = smp_processor_id();
	take_samples(n);
	migrate_enable();
	nr_samples = n;
	mutex_unlock(&lock);
	return len;
}

static ssize_t samples_read(struct file *f, char __user *ubuf, size_t len, loff_t *ppos)
{
	u64 **which = file_inode(f)->i_private;
	ssize_t ret;

	mutex_lock(&lock);
	if (!*which)
		ret = 0;
	else
		ret = simple_read_from_buffer(ubuf, len, ppos, *which,
					      (size_t)nr_samples * sizeof(u64));
	mutex_unlock(&lock);
	return ret;
}

static int info_show(struct seq_file *m, void *v)
{
	mutex_lock(&lock);
	seq_printf(m, "usable %d\n", usable);
	seq_printf(m, "reason %s\n", reason[0] ? reason : "-");
	seq_printf(m, "mode %s\n", mode_name());
	seq_printf(m, "func_id 0x%lx\n", (unsigned long)HCALL_ID);
	seq_printf(m, "func_nr %d\n", HCALL_NR);
	seq_printf(m, "last_hcall %s\n", ITSPERF_HCALL_LAST_NAME);
	seq_printf(m, "first_ret %ld\n", first_ret);
	seq_printf(m, "bad_returns %lu\n", bad_returns);
	seq_printf(m, "cntfrq %llu\n", cntfrq());
	seq_printf(m, "samples %u\n", nr_samples);
	seq_printf(m, "cpu %d\n", last_cpu);
	mutex_unlock(&lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(info);

static const struct file_operations run_fops = {
	.owner = THIS_MODULE,
	.write = run_write,
	.llseek = noop_llseek,
};

static const struct file_operations samples_fops = {
	.owner = THIS_MODULE,
	.read = samples_read,
	.llseek = default_llseek,
};

static void check_usable(void)
{
	if (is_kernel_in_hyp_mode()) {
		snprintf(reason, sizeof(reason),
			 "the kernel runs at EL2 (VHE): there is no host-to-hypervisor hvc");
		return;
	}
	if (!is_protected_kvm_enabled() && !nvhe_kvm) {
		snprintf(reason, sizeof(reason),
			 "neither pKVM nor nVHE KVM (nvhe_kvm=1) is running: an hvc could reach "
			 "no handler");
		return;
	}
	first_ret = null_hvc();
	if (first_ret != SMCCC_RET_NOT_SUPPORTED) {
		snprintf(reason, sizeof(reason),
			 "function 0x%lx returned %ld, not NOT_SUPPORTED: it may do work here",
			 (unsigned long)HCALL_ID, first_ret);
		return;
	}
	usable = true;
}

static int __init itsperf_hvc_init(void)
{
	BUILD_BUG_ON(HCALL_NR > 0xffff);
	check_usable();
	dir = debugfs_create_dir("itsperf_hvc", NULL);
	if (IS_ERR_OR_NULL(dir))
		return -ENODEV;
	debugfs_create_file("info", 0444, dir, NULL, &info_fops);
	debugfs_create_file("run", 0200, dir, NULL, &run_fops);
	debugfs_create_file("hvc_ticks", 0400, dir, &hvc_ticks, &samples_fops);
	debugfs_create_file("empty_ticks", 0400, dir, &empty_ticks, &samples_fops);
	pr_info("itsperf_hvc: mode %s, function 0x%lx (%s + %d): %s\n", mode_name(),
		(unsigned long)HCALL_ID, ITSPERF_HCALL_LAST_NAME, HCALL_MARGIN,
		usable ? "usable" : reason);
	return 0;
}

static void __exit itsperf_hvc_exit(void)
{
	debugfs_remove_recursive(dir);
	vfree(hvc_ticks);
	vfree(empty_ticks);
}

module_init(itsperf_hvc_init);
module_exit(itsperf_hvc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("itsperf: null hypercall round trip under pKVM");
