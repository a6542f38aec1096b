// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf bench WORKLOAD [options] | bench list | bench restore: issue real
 * ITS commands (or MSIs, or hypercalls) on this host through one workload
 * and print its summary. The workloads and their options are bench/
 * (bench/bench.h); `itsperf run` drives the same workloads in-process.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "commands/commands.h"
#include "lib/util.h"

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o;
	const char *name;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		bench_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "restore"))
		return bench_restore_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list")) {
		bench_list(stdout);
		return EXIT_OK;
	}
	bench_opts_init(&o);
	ret = bench_parse_args(argc - 1, argv + 1, &o, &name);
	if (ret == -1)
		return EXIT_OK; /* --help */
	if (ret)
		return ret;
	return bench_workload_run(name, &o, NULL);
}
