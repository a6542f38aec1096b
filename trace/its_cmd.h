/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ITS command type from the builder function that its_send_single_command()
 * and its_send_single_vcommand() are called with (their 2nd argument):
 * its_build_movi_cmd -> "MOVI", its_build_vmapp_cmd -> "VMAPP". The same
 * names key count.cmd.<CMD> and cmd_latency.*.<CMD> in every collector.
 */
#ifndef ITSPERF_ITS_CMD_H
#define ITSPERF_ITS_CMD_H

#include <stddef.h>
#include <stdint.h>

struct ksyms;

/*
 * builder symbol (possibly a gcc clone, name.isra.0) -> command name in buf;
 * "OTHER" for anything that is not an its_build_<x>_cmd (results/README.md)
 */
const char *its_cmd_name(const char *builder_sym, char *buf, size_t len);
/* builder address -> command name via kallsyms; "OTHER" when unknown */
const char *its_cmd_name_addr(const struct ksyms *ks, uint64_t addr, char *buf, size_t len);

#endif
