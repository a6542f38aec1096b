/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Subcommands of `itsperf`, one per tool mode (perf/rtla style): each is
 * commands/<name>.c with its options, the run, the printing and one
 * cleanup path. itsperf.c holds only the dispatch table.
 */
#ifndef ITSPERF_COMMANDS_H
#define ITSPERF_COMMANDS_H

int cmd_vm(int argc, char **argv);	     /* commands/vm.c */
int cmd_bench(int argc, char **argv);	     /* commands/bench.c */
int cmd_record(int argc, char **argv);	     /* commands/record.c */
int cmd_calibrate(int argc, char **argv);    /* commands/calibrate.c */
int cmd_probes(int argc, char **argv);	     /* commands/probes.c */
int cmd_boot_args(int argc, char **argv);    /* commands/boot_args.c */
int cmd_boot_collect(int argc, char **argv); /* commands/boot_collect.c */
int cmd_report(int argc, char **argv);	     /* commands/report.c */
int cmd_compare(int argc, char **argv);	     /* commands/compare.c */
int cmd_plot(int argc, char **argv);	     /* commands/plot.c */
int cmd_run(int argc, char **argv);	     /* commands/run.c */

extern const char itsperf_version[];

#endif
