/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ITS command types, and the host driver's builder function for each.
 *
 * The builder (its_send_single_command()'s and its_send_single_vcommand()'s
 * 2nd argument) is the only place the command type is visible at runtime:
 * its_send_movi() and friends are inlined. Collectors key by the builder's
 * address and name it through kallsyms; workloads count what they expect
 * by type. One table serves bench/, bpf/ and trace/ so that every source
 * names commands the same way (results/README.md: unknown builders are
 * "OTHER").
 */
#ifndef ITSPERF_ITS_CMD_H
#define ITSPERF_ITS_CMD_H

#include <stdint.h>

struct ksyms;

/* ITS commands, physical and virtual (GICv4), as the host driver builds them */
enum its_cmd_type {
	ITS_CMD_MAPD,
	ITS_CMD_MAPC,
	ITS_CMD_MAPTI,
	ITS_CMD_MAPI,
	ITS_CMD_MOVI,
	ITS_CMD_DISCARD,
	ITS_CMD_INV,
	ITS_CMD_MOVALL,
	ITS_CMD_INVALL,
	ITS_CMD_INT,
	ITS_CMD_CLEAR,
	ITS_CMD_SYNC,
	ITS_CMD_INVDB,
	ITS_CMD_VMAPP,
	ITS_CMD_VMAPTI,
	ITS_CMD_VMOVI,
	ITS_CMD_VMOVP,
	ITS_CMD_VSYNC,
	ITS_CMD_VINVALL,
	ITS_CMD_VINV,
	ITS_CMD_VCLEAR,
	ITS_CMD_VINT,
	ITS_CMD_VSGI,
	NR_ITS_CMDS,
};

/* "MOVI" */
const char *its_cmd_name(enum its_cmd_type t);
/* the architectural opcode (byte 0 of a command) -> type; -1 if unknown */
int its_cmd_from_opcode(unsigned int opcode);
/* "MOVI" or "movi" -> ITS_CMD_MOVI; -1 if unknown */
int its_cmd_parse(const char *name);
/*
 * The host driver's builder function for a command type ("its_build_movi_cmd"),
 * which is what the `builder` argument of its_send_single_command() and
 * its_send_single_vcommand() points to. SYNC/VSYNC have one too (its_send_sync()
 * sends a lone SYNC), but the SYNC closing every command is built inline.
 */
const char *its_cmd_builder(enum its_cmd_type t);
/* builder symbol, possibly a gcc clone ("its_build_mapd_cmd.isra.0") -> type; -1 if none */
int its_cmd_from_builder(const char *sym);

struct its_cmd_counts {
	uint64_t n[NR_ITS_CMDS];
};

/* builder symbol -> command name ("MOVI"), or "OTHER" if not a builder */
const char *its_cmd_name_of_builder(const char *sym);
/* builder address -> command name via kallsyms, or "OTHER" */
const char *its_cmd_name_at(const struct ksyms *ks, uint64_t addr);

#endif
