// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <strings.h>

#include "lib/its_cmd.h"
#include "lib/ksyms.h"
#include "lib/util.h"

/*
 * opcode: byte 0 of the command (GIC architecture specification, IHI 0069).
 * The driver's VINV, VCLEAR and VINT are INV, CLEAR and INT on a vPE's
 * doorbell device: no opcode of their own (0).
 */
static const struct {
	const char *name;
	const char *builder;
	uint8_t opcode;
} its_cmds[NR_ITS_CMDS] = {
	[ITS_CMD_MAPD] = { "MAPD", "its_build_mapd_cmd", 0x08 },
	[ITS_CMD_MAPC] = { "MAPC", "its_build_mapc_cmd", 0x09 },
	[ITS_CMD_MAPTI] = { "MAPTI", "its_build_mapti_cmd", 0x0a },
	[ITS_CMD_MAPI] = { "MAPI", "its_build_mapi_cmd", 0x0b },
	[ITS_CMD_MOVI] = { "MOVI", "its_build_movi_cmd", 0x01 },
	[ITS_CMD_DISCARD] = { "DISCARD", "its_build_discard_cmd", 0x0f },
	[ITS_CMD_INV] = { "INV", "its_build_inv_cmd", 0x0c },
	[ITS_CMD_MOVALL] = { "MOVALL", "its_build_movall_cmd", 0x0e },
	[ITS_CMD_INVALL] = { "INVALL", "its_build_invall_cmd", 0x0d },
	[ITS_CMD_INT] = { "INT", "its_build_int_cmd", 0x03 },
	[ITS_CMD_CLEAR] = { "CLEAR", "its_build_clear_cmd", 0x04 },
	[ITS_CMD_SYNC] = { "SYNC", "its_build_sync_cmd", 0x05 },
	[ITS_CMD_INVDB] = { "INVDB", "its_build_invdb_cmd", 0x2e },
	[ITS_CMD_VMAPP] = { "VMAPP", "its_build_vmapp_cmd", 0x29 },
	[ITS_CMD_VMAPTI] = { "VMAPTI", "its_build_vmapti_cmd", 0x2a },
	[ITS_CMD_VMOVI] = { "VMOVI", "its_build_vmovi_cmd", 0x21 },
	[ITS_CMD_VMOVP] = { "VMOVP", "its_build_vmovp_cmd", 0x22 },
	[ITS_CMD_VSYNC] = { "VSYNC", "its_build_vsync_cmd", 0x25 },
	[ITS_CMD_VINVALL] = { "VINVALL", "its_build_vinvall_cmd", 0x2d },
	[ITS_CMD_VINV] = { "VINV", "its_build_vinv_cmd", 0 },
	[ITS_CMD_VCLEAR] = { "VCLEAR", "its_build_vclear_cmd", 0 },
	[ITS_CMD_VINT] = { "VINT", "its_build_vint_cmd", 0 },
	[ITS_CMD_VSGI] = { "VSGI", "its_build_vsgi_cmd", 0x23 },
};

int its_cmd_from_opcode(unsigned int opcode)
{
	int i;

	for (i = 0; i < NR_ITS_CMDS; i++)
		if (opcode && its_cmds[i].opcode == opcode)
			return i;
	return -1;
}

const char *its_cmd_name(enum its_cmd_type t)
{
	return (unsigned int)t < NR_ITS_CMDS ? its_cmds[t].name : "?";
}

const char *its_cmd_builder(enum its_cmd_type t)
{
	return (unsigned int)t < NR_ITS_CMDS ? its_cmds[t].builder : NULL;
}

int its_cmd_parse(const char *name)
{
	int i;

	for (i = 0; i < NR_ITS_CMDS; i++)
		if (!strcasecmp(name, its_cmds[i].name))
			return i;
	return -1;
}

int its_cmd_from_builder(const char *sym)
{
	size_t n;
	int i;

	for (i = 0; i < NR_ITS_CMDS; i++) {
		if (!its_cmds[i].builder)
			continue;
		n = strlen(its_cmds[i].builder);
		/* exact, a gcc clone (".isra.0", ".constprop.0") or "+0x0" from a symbolizer */
		if (!strncmp(sym, its_cmds[i].builder, n) &&
		    (sym[n] == '\0' || sym[n] == '.' || sym[n] == '+'))
			return i;
	}
	return -1;
}

const char *its_cmd_name_of_builder(const char *sym)
{
	int t = its_cmd_from_builder(sym);

	return t < 0 ? "OTHER" : its_cmd_name(t);
}

const char *its_cmd_name_at(const struct ksyms *ks, uint64_t addr)
{
	const struct ksym *s = ks ? ksyms_by_addr(ks, addr) : NULL;

	if (!s || s->addr != addr)
		return "OTHER";
	return its_cmd_name_of_builder(s->name);
}
