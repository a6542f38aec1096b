// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/probes.h"
#include "lib/util.h"

/*
 * Candidate names for the series' functions follow the spellings used in
 * v1 and v2 of "KVM: ITS hardening for pKVM" and the names reviewers asked
 * for (shadow -> staging / proxy). Add a new spelling at the end of a list;
 * never remove one, older revisions still need it.
 */
/* one probe per two lines reads better than one field per line */
/* clang-format off */
const struct logical_probe logical_probes[] = {
	/* ---- ITS command send path ---- */
	{ "cmd_send", AREA_CMD, PROBE_RET,
	  { "its_send_single_command" }, "builder=%x1:x64",
	  "one physical ITS command incl. SYNC, its->lock held inside" },
	{ "vcmd_send", AREA_CMD, PROBE_RET,
	  { "its_send_single_vcommand" }, "builder=%x1:x64",
	  "one virtual (GICv4) ITS command incl. VSYNC" },
	{ "cmd_clear", AREA_CMD, PROBE_RET | PROBE_OPTIONAL,
	  { "its_send_clear" }, NULL,
	  "CLEAR of a pending vLPI doorbell (vCPU load/put on GICv4)" },
	{ "queue_alloc", AREA_CMD, PROBE_RET,
	  { "its_allocate_entry" }, NULL,
	  "waiting for a free command queue slot (polls CREADR)" },
	{ "cmd_wait", AREA_CMD, PROBE_RET,
	  { "its_wait_for_range_completion" }, NULL,
	  "waiting for the ITS to consume the posted commands" },
	/*
	 * ---- lock hold, including the series' deprivilege entry points ----
	 * Candidates are the names the reference kernels (kernel/patches) and
	 * the posted RFC use: v1 keeps the posted "depriviledge" spelling, v2
	 * the review's. Static helpers may be inlined: each resolves or says so.
	 */
	{ "its_deprivilege_start", AREA_LOCK, PROBE_RET | PROBE_SERIES,
	  { "its_start_deprivilege", "its_start_depriviledge" }, NULL,
	  "series: takes its_lock and every its->lock, IRQs off" },
	{ "its_deprivilege_end", AREA_LOCK, PROBE_RET | PROBE_SERIES,
	  { "its_end_deprivilege", "its_end_depriviledge" }, NULL,
	  "series: copies queue + tables, switches to staging, (v1) hvc, releases the locks" },
	{ "its_staging_copy", AREA_LOCK, PROBE_RET | PROBE_SERIES,
	  { "its_switch_to_staging_locked", "its_alloc_staging" }, NULL,
	  "series: copy of the command queue and first-level tables into the staging buffers" },
	{ "its_hyp_setup", AREA_HVC, PROBE_RET | PROBE_SERIES,
	  { "pkvm_its_takeover", "its_takeover" }, NULL,
	  "series: the takeover hvc (v1: with the ITS locks held; v2: after unlocking)" },
	{ "its_staging_commit", AREA_HVC, PROBE_RET | PROBE_SERIES,
	  { "its_staging_commit" }, NULL,
	  "series: no host function commits: EL2 commits on the trapped GITS_CWRITER write "
	  "(hypervisor remote: cmd_latency.el2.<CMD>)" },
	/* ---- hypercall-issuing host paths ---- */
	{ "share_hyp", AREA_HVC, PROBE_RET,
	  { "kvm_share_hyp" }, NULL, "share host pages with EL2 (__pkvm_host_share_hyp hvc)" },
	{ "unshare_hyp", AREA_HVC, PROBE_RET,
	  { "kvm_unshare_hyp" }, NULL, "unshare host pages (__pkvm_host_unshare_hyp hvc)" },
	{ "create_hyp_vm", AREA_HVC, PROBE_RET | PROBE_OPTIONAL,
	  { "pkvm_create_hyp_vm", "__pkvm_create_hyp_vm" }, NULL,
	  "create the EL2 copy of a VM (__pkvm_init_vm hvc)" },
	{ "destroy_hyp_vm", AREA_HVC, PROBE_RET,
	  { "__pkvm_destroy_hyp_vm", "pkvm_destroy_hyp_vm" }, NULL,
	  "tear down the EL2 copy of a VM" },
	{ "vcpu_run", AREA_HVC, PROBE_RET,
	  { "kvm_arch_vcpu_ioctl_run" }, NULL,
	  "KVM_RUN: world switches through EL2 until an exit to userspace" },
	/* ---- boot-time deprivilege (__init: boot tracing only) ---- */
	{ "deprivilege_window", AREA_DEPRIV, PROBE_RET | PROBE_BOOT_ONLY,
	  { "finalize_pkvm", "pkvm_drop_host_privileges", "kvm_arch_init" }, NULL,
	  "the whole deprivilege step (finalize_pkvm on 6.12, inside kvm_arch_init on 6.1)" },
	{ "host_prot_finalize", AREA_DEPRIV, PROBE_RET | PROBE_BOOT_ONLY,
	  { "_kvm_host_prot_finalize" }, NULL,
	  "per-CPU __pkvm_prot_finalize hvc (remote CPUs in IPI context)" },
	/* ---- irq paths that emit commands ---- */
	{ "set_affinity", AREA_IRQ, PROBE_RET,
	  { "its_set_affinity" }, NULL, "irq affinity change (MOVI + SYNC)" },
	{ "irq_activate", AREA_IRQ, PROBE_RET,
	  { "its_irq_domain_activate" }, NULL, "LPI activation (MAPTI)" },
	{ "irq_deactivate", AREA_IRQ, PROBE_RET,
	  { "its_irq_domain_deactivate" }, NULL, "LPI deactivation (DISCARD)" },
	{ "create_device", AREA_IRQ, PROBE_RET,
	  { "its_create_device" }, NULL, "ITS device creation (MAPD)" },
	{ "lpi_config", AREA_IRQ, PROBE_RET,
	  { "lpi_update_config" }, NULL, "LPI mask/unmask (INV)" },
	/* ---- its_lock holders at runtime (bpf:lock_hold) ---- */
	{ "its_cpu_init", AREA_LOCK, PROBE_RET,
	  { "its_cpu_init" }, NULL,
	  "CPU online: takes its_lock around its_cpu_init_collections (inlined): MAPC+INVALL per ITS" },
	{ "its_cpu_init_collection", AREA_LOCK, PROBE_RET,
	  { "its_cpu_init_collection" }, NULL,
	  "one ITS's collection set-up for a CPU, called with its_lock held" },
	{ "its_save_disable", AREA_LOCK, PROBE_RET,
	  { "its_save_disable" }, NULL, "suspend: holds its_lock for the whole function" },
	{ "its_restore_enable", AREA_LOCK, PROBE_RET,
	  { "its_restore_enable" }, NULL, "resume: holds its_lock for the whole function" },
};
/* clang-format on */

const int nr_logical_probes = ARRAY_SIZE(logical_probes);

const char *probe_area_name(enum probe_area a)
{
	static const char *const names[NR_AREAS] = {
		[AREA_CMD] = "cmd_latency", [AREA_LOCK] = "lock_hold",
		[AREA_HVC] = "hvc_path",    [AREA_DEPRIV] = "deprivilege_window",
		[AREA_IRQ] = "irq_path",
	};

	return a < NR_AREAS ? names[a] : "?";
}

const struct logical_probe *probe_find(const char *name)
{
	int i;

	for (i = 0; i < nr_logical_probes; i++)
		if (!strcmp(logical_probes[i].name, name))
			return &logical_probes[i];
	return NULL;
}

/*
 * $ITSPERF_PROBE_OVERRIDE, for probe-cost calibration (commands/calibrate.c):
 * "cmd_send=bpf_fentry_test3,*=-" puts a logical probe on another symbol
 * ("-": absent); "*" stands for every probe not named before it. Returns
 * the symbol to use, "" for absent, NULL when the probe is not overridden.
 */
static const char *probe_override(const char *name, char *buf, size_t len)
{
	const char *env = getenv(PROBE_OVERRIDE_ENV);
	const char *item;
	size_t n;

	if (!env || !*env)
		return NULL;
	for (item = env; *item; item += n + (item[n] == ',')) {
		const char *eq;

		n = strcspn(item, ",");
		eq = memchr(item, '=', n);
		if (!eq)
			continue;
		if ((size_t)(eq - item) == strlen(name) && !strncmp(item, name, eq - item))
			break;
		if (eq - item == 1 && *item == '*')
			break;
	}
	if (!*item)
		return NULL;
	item = strchr(item, '=') + 1;
	n = strcspn(item, ",");
	if (n == 1 && *item == '-')
		return "";
	snprintf(buf, len, "%.*s", (int)n, item);
	return buf;
}

int probe_resolve(const struct logical_probe *p, const struct ksyms *ks,
		  struct probe_resolution *res)
{
	const struct ksym *s;
	const char *over;
	char buf[128];
	int i;

	memset(res, 0, sizeof(*res));
	res->probe = p;
	res->candidate = -1;
	over = probe_override(p->name, buf, sizeof(buf));
	if (over) {
		s = *over ? ksyms_by_name(ks, over) : NULL;
		if (!s || s->module)
			return -1;
		res->symbol = s->name;
		res->candidate = 0;
		res->addr = s->addr;
		res->overridden = true;
		return 0;
	}
	for (i = 0; i < PROBE_MAX_CANDIDATES && p->candidates[i]; i++) {
		s = ksyms_by_name_or_clone(ks, p->candidates[i]);
		if (!s || s->module)
			continue;
		res->symbol = s->name;
		res->candidate = i;
		res->addr = s->addr;
		return 0;
	}
	return -1;
}

int probe_resolve_all(const struct ksyms *ks, struct probe_resolution *res)
{
	int found = 0;
	int i;

	for (i = 0; i < nr_logical_probes; i++)
		found += probe_resolve(&logical_probes[i], ks, &res[i]) == 0;
	return found;
}
