// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf: what it costs to put pKVM between the host and the GICv3 ITS.
 *
 * One binary, one subcommand per tool mode, like perf and rtla. The same
 * sources build for x86_64 (vm harness, analysis) and as a static aarch64
 * binary (everything that runs on a pKVM host).
 */
#include <stdio.h>
#include <string.h>

#include "commands/commands.h"
#include "lib/util.h"

#ifndef ITSPERF_VERSION
#define ITSPERF_VERSION "0.1-dev"
#endif

const char itsperf_version[] = ITSPERF_VERSION;

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a suite on this pKVM host and store one result per run" },
	{ "record", cmd_record,
	  "record collectors (-e bpf,ftrace) around a command or for a duration" },
	{ "calibrate", cmd_calibrate,
	  "probe cost in the command latency, per source (record does it first)" },
	{ "bench", cmd_bench, "ITS command and MSI workload generators" },
	{ "probes", cmd_probes, "logical probes, resolved symbols and mechanisms on this kernel" },
	{ "boot-args", cmd_boot_args,
	  "kernel command line that traces the deprivilege window from boot" },
	{ "boot-collect", cmd_boot_collect, "read the boot-time trace of the deprivilege window" },
	{ "report", cmd_report, "statistics of one or more result runs" },
	{ "compare", cmd_compare, "compare revisions, with a regression verdict and exit status" },
	{ "plot", cmd_plot, "gnuplot plots of result runs" },
	{ "vm", cmd_vm, "boot the emulated pKVM host (QEMU) and run a command in it" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: itsperf [-v] <command> [<args>]\n\n"
		   "Measure what pKVM's ITS mediation costs: command latency, lock hold,\n"
		   "hypercall paths, deprivilege window, and regressions between revisions.\n\n"
		   "commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'itsperf <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose")) {
			itsperf_verbose++;
		} else if (!strcmp(argv[1], "--version")) {
			printf("itsperf %s\n", itsperf_version);
			return EXIT_OK;
		} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			err_msg("unknown option '%s'", argv[1]);
			usage(stderr);
			return EXIT_USAGE;
		}
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "version")) {
		printf("itsperf %s\n", itsperf_version);
		return EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	err_msg("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
