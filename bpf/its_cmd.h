/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ITS command types from the builder function its_send_single_command()
 * and its_send_single_vcommand() are given: its_build_movi_cmd -> "MOVI".
 * The builder is the only place the command type is visible at runtime
 * (its_send_movi() and friends are inlined), so the BPF collectors key by
 * the builder's address and userspace names it through kallsyms.
 */
#ifndef ITSPERF_ITS_CMD_H
#define ITSPERF_ITS_CMD_H

#include <stddef.h>
#include <stdint.h>

struct ksyms;

/*
 * "its_build_mapti_cmd" (or a gcc clone "its_build_mapti_cmd.isra.0")
 * -> "MAPTI" in buf; NULL if sym is not an ITS command builder.
 */
const char *its_cmd_type(const char *sym, char *buf, size_t len);
/* builder address -> type via kallsyms; "unknown@<addr>" if not a builder */
const char *its_cmd_type_at(const struct ksyms *ks, uint64_t addr, char *buf, size_t len);
/* true for command types of the architecture spec's list (GICv3/v4.x) */
int its_cmd_type_known(const char *type);

#endif
