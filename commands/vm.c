// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf vm [options] [-- COMMAND [ARG...]] | vm --list-kernels | vm info:
 * boot the emulated pKVM host (QEMU TCG: EL2, GICv3/v4 ITS, virtio PCI)
 * and run COMMAND in it. The options are parsed here into struct
 * vm_params; vm/ (vm/vm.h) does the boot and the run.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "lib/util.h"
#include "vm/vm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf vm [options] [-- COMMAND [ARG...]]\n"
		"       itsperf vm --list-kernels\n"
		"Boot the emulated pKVM host (QEMU TCG: EL2, GICv3 ITS, virtio PCI) and run\n"
		"COMMAND as root in it; no COMMAND: an interactive shell on the console.\n"
		"COMMAND's output streams to stdout, its exit status is this command's.\n\n"
		"  --kernel NAME|PATH      kernel: 6.12 (default), 6.1, 7.2 (make deps), itsref-*\n"
		"                          (make kernel; see --list-kernels) or an arm64 Image\n"
		"  --modules DIR           module tree for --kernel PATH (INSTALL_MOD_PATH,\n"
		"                          lib/modules/<release> or a build tree)\n"
		"  --mode MODE             protected (default; hVHE where the kernel picks it),\n"
		"                          protected-nvhe, nvhe (unprotected baseline)\n"
		"  --gic 3|4               GIC version (4: GICv4.0 + kvm-arm.vgic_v4_enable=1)\n"
		"  --cpus N                vCPUs (default 2)\n"
		"  --mem SIZE              memory (default 2G)\n"
		"  --append ARGS           extra kernel command line arguments\n"
		"  --out DIR               /out in the guest ($ITSPERF_OUT) and console.log\n"
		"                          (default out/vm)\n"
		"  --share DIR             mounted read-only at /mnt/share in the guest\n"
		"  --binary PATH           guest itsperf (default build/aarch64/itsperf)\n"
		"  --devices N             N more MSI-X devices (virtio-serial-pci, no ports; root\n"
		"                          bus, then behind pcie-root-ports), 1 to %d\n"
		"  --vectors M             MSI-X vectors per extra device (default 8; a device gets\n"
		"                          3 for M < 6, else 2*((M-2)/2)+2; 2: one shared)\n"
		"  --iommu smmuv3          an SMMUv3 in front of PCI (iommu.passthrough=1 for the\n"
		"                          host's own devices; vfio-pci needs it)\n"
		"  --clock icount[:N]|wall guest clock: icount = single-threaded TCG, 2^N ns per\n"
		"                          instruction (default N=%d; deterministic, path length\n"
		"                          only); wall = host time (default; $ITSPERF_CLOCK)\n"
		"  --timeout S             whole run, boot included (default %d s; none when\n"
		"                          interactive)\n"
		"  --list-kernels          kernels installed by make deps\n"
		"  -v                      show the boot log\n\n"
		"Exit status: COMMAND's; 2 bad arguments or missing set-up; %d the emulated\n"
		"host failed (QEMU error, kernel panic, timeout, requested mode not reached).\n",
		VM_MAX_DEVICES, VM_ICOUNT_DEFAULT_SHIFT, VM_DEFAULT_TIMEOUT_S, EXIT_VM_FAIL);
}

static int parse_opts(int argc, char **argv, struct vm_params *o)
{
	enum {
		OPT_KERNEL = 256,
		OPT_MODULES,
		OPT_MODE,
		OPT_GIC,
		OPT_CPUS,
		OPT_MEM,
		OPT_APPEND,
		OPT_OUT,
		OPT_SHARE,
		OPT_BINARY,
		OPT_TIMEOUT,
		OPT_LIST,
		OPT_DEVICES,
		OPT_VECTORS,
		OPT_IOMMU,
		OPT_CLOCK,
	};
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "modules", required_argument, NULL, OPT_MODULES },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "gic", required_argument, NULL, OPT_GIC },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "share", required_argument, NULL, OPT_SHARE },
		{ "binary", required_argument, NULL, OPT_BINARY },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "list-kernels", no_argument, NULL, OPT_LIST },
		{ "devices", required_argument, NULL, OPT_DEVICES },
		{ "vectors", required_argument, NULL, OPT_VECTORS },
		{ "iommu", required_argument, NULL, OPT_IOMMU },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool timeout_set = false;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->kernel = "6.12";
	o->mode = VM_MODE_PROTECTED;
	o->gic = 3;
	o->cpus = 2;
	o->mem = "2G";
	o->out = "out/vm";
	o->timeout_ns = VM_DEFAULT_TIMEOUT_S * 1000000000ull;
	o->vectors = 8;
	o->icount_shift = VM_CLOCK_WALL;
	/* $ITSPERF_CLOCK: the default --clock (a whole test suite under icount) */
	if (getenv("ITSPERF_CLOCK") && *getenv("ITSPERF_CLOCK") &&
	    vm_clock_parse(getenv("ITSPERF_CLOCK"), &o->icount_shift)) {
		err_msg("ITSPERF_CLOCK=%s: use wall, icount or icount:N", getenv("ITSPERF_CLOCK"));
		return -1;
	}
	optind = 1;
	/* '+': COMMAND's own options are not ours */
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			o->kernel = optarg;
			break;
		case OPT_MODULES:
			o->modules = optarg;
			break;
		case OPT_MODE:
			if (vm_mode_req_parse(optarg, &o->mode)) {
				err_msg("--mode %s: use protected, protected-nvhe or nvhe", optarg);
				return -1;
			}
			break;
		case OPT_GIC:
			if (strcmp(optarg, "3") && strcmp(optarg, "4")) {
				err_msg("--gic %s: use 3 or 4", optarg);
				return -1;
			}
			o->gic = atoi(optarg);
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, &v) || v < 1 || v > 64) {
				err_msg("--cpus %s: use 1 to 64", optarg);
				return -1;
			}
			o->cpus = v;
			break;
		case OPT_MEM: {
			size_t n = strspn(optarg, "0123456789");

			if (!n ||
			    (optarg[n] && (strchr("MGmg", optarg[n]) == NULL || optarg[n + 1]))) {
				err_msg("--mem %s: use a size like 2G or 1536M", optarg);
				return -1;
			}
			o->mem = optarg;
			break;
		}
		case OPT_APPEND:
			o->append = optarg;
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_SHARE:
			o->share = optarg;
			break;
		case OPT_BINARY:
			o->binary = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_duration_ns(optarg, &o->timeout_ns) || !o->timeout_ns) {
				err_msg("--timeout %s: use seconds (or 10m, 1h)", optarg);
				return -1;
			}
			timeout_set = true;
			break;
		case OPT_LIST:
			o->list_kernels = true;
			break;
		case OPT_DEVICES:
			if (parse_u64(optarg, &v) || v > VM_MAX_DEVICES) {
				err_msg("--devices %s: use 0 to %d", optarg, VM_MAX_DEVICES);
				return -1;
			}
			o->devices = v;
			break;
		case OPT_VECTORS: {
			int ports;

			if (parse_u64(optarg, &v) || v > VM_MAX_VECTORS ||
			    vm_extra_vectors((int)v, &ports) < 0) {
				err_msg("--vectors %s: use 2 to %d", optarg, VM_MAX_VECTORS);
				return -1;
			}
			o->vectors = v;
			break;
		}
		case OPT_IOMMU:
			if (strcmp(optarg, "smmuv3")) {
				err_msg("--iommu %s: only smmuv3", optarg);
				return -1;
			}
			o->iommu = optarg;
			break;
		case OPT_CLOCK:
			if (vm_clock_parse(optarg, &o->icount_shift)) {
				err_msg("--clock %s: use wall, icount or icount:N (N 0 to %d)",
					optarg, VM_ICOUNT_MAX_SHIFT);
				return -1;
			}
			break;
		case 'v':
			itsperf_verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	if (!o->argc && !timeout_set)
		o->timeout_ns = 0; /* interactive: as long as the user likes */
	return 0;
}

int cmd_vm(int argc, char **argv)
{
	struct vm_params p;

	if (argc > 1 && !strcmp(argv[1], "info"))
		return vm_guest_info(argc - 1, argv + 1);
	if (parse_opts(argc, argv, &p))
		return EXIT_USAGE;
	return vm_boot(&p);
}
