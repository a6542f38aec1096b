// SPDX-License-Identifier: GPL-2.0
/*
 * `itsperf vm info`: what this (guest) kernel reached, as key=value lines,
 * for init, for tests and for results that must record the mode they were
 * measured in. Runs on any arm64 host, emulated or not.
 *
 *   kernel=<release>            pkvm_mode=protected-hvhe|protected-nvhe|nvhe|hvhe|vhe|none
 *   emulated=0|1                its=<ITS count, dmesg "ITS@<addr>">
 *   gicv4=0|1 (irqchip "Enabling GICv4 support")
 *   kvm_gicv4=enabled|disabled|absent (KVM's "GICv4 support enabled")
 *   its_irqs=<n>                its_irq=<irq>,<bdf>,<msi index>,<label>,<total>,<action>
 *   tracefs=<dir>|none          kprobe_events=0|1  hist_triggers=0|1
 *   function_tracer=0|1         function_graph=0|1 btf=0|1
 *
 * The ITS lines come from lib/interrupts.c, the parser every collector
 * uses, so a test asserting on them checks that parser on the real kernel.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/interrupts.h"
#include "lib/util.h"
#include "vm/vm.h"

#define TRACEFS "/sys/kernel/tracing"

struct kv {
	char **keys;
	char **vals;
	int nr;
};

static void kv_add(struct kv *kv, const char *key, char *val)
{
	kv->keys = xrealloc(kv->keys, (kv->nr + 1) * sizeof(char *));
	kv->vals = xrealloc(kv->vals, (kv->nr + 1) * sizeof(char *));
	kv->keys[kv->nr] = xstrdup(key);
	kv->vals[kv->nr++] = val;
}

static void kv_free(struct kv *kv)
{
	int i;

	for (i = 0; i < kv->nr; i++) {
		free(kv->keys[i]);
		free(kv->vals[i]);
	}
	free(kv->keys);
	free(kv->vals);
}

/* the kernel log ring buffer, as dmesg prints it */
static char *read_dmesg(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;
	int n;

	if (size <= 0)
		return NULL;
	buf = xmalloc(size + 1);
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* distinct "ITS@0x..." addresses: one per probed ITS */
static int count_its(const char *log)
{
	char seen[8][40];
	const char *p = log;
	int n = 0;
	int i;

	while ((p = strstr(p, "ITS@"))) {
		size_t len = strcspn(p, ": \n");

		if (len >= sizeof(seen[0]))
			len = sizeof(seen[0]) - 1;
		for (i = 0; i < n; i++)
			if (!strncmp(seen[i], p, len) && !seen[i][len])
				break;
		if (i == n && n < (int)ARRAY_SIZE(seen)) {
			memcpy(seen[n], p, len);
			seen[n++][len] = '\0';
		}
		p += len;
	}
	return n;
}

static const char *kvm_gicv4(const char *log)
{
	if (strstr(log, "GICv4 support enabled"))
		return "enabled";
	if (strstr(log, "GICv4 support disabled"))
		return "disabled";
	return "absent";
}

static bool file_has(const char *path, const char *word)
{
	char *s = read_file(path, NULL);
	bool ret = s && strstr(s, word);

	free(s);
	return ret;
}

static void add_tracefs(struct kv *kv)
{
	bool have = path_exists(TRACEFS "/trace");

	kv_add(kv, "tracefs", xstrdup(have ? TRACEFS : "none"));
	kv_add(kv, "kprobe_events", xasprintf("%d", path_exists(TRACEFS "/kprobe_events")));
	/* CONFIG_HIST_TRIGGERS gives every event a "hist" file */
	kv_add(kv, "hist_triggers",
	       xasprintf("%d", path_exists(TRACEFS "/events/sched/sched_switch/hist")));
	kv_add(kv, "function_tracer",
	       xasprintf("%d", file_has(TRACEFS "/available_tracers", "function")));
	kv_add(kv, "function_graph",
	       xasprintf("%d", file_has(TRACEFS "/available_tracers", "function_graph")));
	kv_add(kv, "btf", xasprintf("%d", path_exists("/sys/kernel/btf/vmlinux")));
}

static int add_its_irqs(struct kv *kv, const char *interrupts)
{
	const struct irq_line *l;
	struct irq_table t;
	int i;

	if (irq_table_read(interrupts, &t)) {
		kv_add(kv, "its_irqs", xstrdup("unreadable"));
		return -1;
	}
	kv_add(kv, "its_irqs", xasprintf("%d", irq_table_count_its(&t)));
	for (i = 0; i < t.nr_lines; i++) {
		l = &t.lines[i];
		if (l->its == ITS_LABEL_NONE)
			continue;
		kv_add(kv, "its_irq",
		       xasprintf("%d,%s,%d,%s,%llu,%s", l->irq, l->bdf, l->msi_index,
				 l->its == ITS_LABEL_PCI_MSIX ? "pci-msi" : "its-msi",
				 (unsigned long long)l->total, l->action));
	}
	irq_table_free(&t);
	return 0;
}

static void collect(struct kv *kv, const char *log, const char *interrupts)
{
	struct utsname u;
	const char *emu = getenv("ITSPERF_EMULATED");

	uname(&u);
	kv_add(kv, "kernel", xstrdup(u.release));
	kv_add(kv, "pkvm_mode", xstrdup(pkvm_mode_name(pkvm_mode_from_log(log))));
	kv_add(kv, "emulated", xstrdup(emu && !strcmp(emu, "1") ? "1" : "0"));
	kv_add(kv, "its", xasprintf("%d", count_its(log)));
	kv_add(kv, "gicv4", xasprintf("%d", !!strstr(log, "Enabling GICv4 support")));
	kv_add(kv, "kvm_gicv4", xstrdup(kvm_gicv4(log)));
	add_its_irqs(kv, interrupts);
	add_tracefs(kv);
}

static void info_usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf vm info [--key KEY] [--mode-ok MODE] [--dmesg FILE]\n"
		"                       [--interrupts FILE]\n"
		"  what this kernel reached (pKVM mode, ITS, ITS MSIs, tracefs) as key=value\n"
		"  --key KEY        print only KEY's value(s)\n"
		"  --mode-ok MODE   exit 0 if the kernel reached --mode MODE of itsperf vm, else 1\n"
		"  --dmesg FILE     read the kernel log from FILE instead of the ring buffer\n"
		"  --interrupts F   read F instead of /proc/interrupts\n");
}

int vm_guest_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "mode-ok", required_argument, NULL, 'm' },
		{ "dmesg", required_argument, NULL, 'd' },
		{ "interrupts", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *interrupts = NULL;
	const char *dmesg = NULL;
	const char *mode_ok = NULL;
	const char *key = NULL;
	enum vm_mode_req req;
	struct kv kv = { 0 };
	char *log;
	int ret = EXIT_OK;
	int found;
	int i, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:m:d:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'm':
			mode_ok = optarg;
			break;
		case 'd':
			dmesg = optarg;
			break;
		case 'i':
			interrupts = optarg;
			break;
		case 'h':
			info_usage(stdout);
			return EXIT_OK;
		default:
			info_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		info_usage(stderr);
		return EXIT_USAGE;
	}
	if (mode_ok && vm_mode_req_parse(mode_ok, &req)) {
		err_msg("--mode-ok: '%s' is not one of protected, protected-nvhe, nvhe", mode_ok);
		return EXIT_USAGE;
	}
	log = dmesg ? read_file(dmesg, NULL) : read_dmesg();
	if (!log) {
		err_msg("cannot read the kernel log%s%s", dmesg ? " " : "", dmesg ? dmesg : "");
		return EXIT_FAIL;
	}
	if (mode_ok) {
		ret = vm_mode_satisfied(req, pkvm_mode_from_log(log)) ? EXIT_OK : EXIT_FAIL;
		free(log);
		return ret;
	}
	collect(&kv, log, interrupts);
	found = 0;
	for (i = 0; i < kv.nr; i++) {
		if (!key) {
			printf("%s=%s\n", kv.keys[i], kv.vals[i]);
		} else if (!strcmp(key, kv.keys[i])) {
			printf("%s\n", kv.vals[i]);
			found++;
		}
	}
	if (key && !found && strcmp(key, "its_irq")) {
		err_msg("no key '%s'", key);
		ret = EXIT_USAGE;
	}
	kv_free(&kv);
	free(log);
	return ret;
}
