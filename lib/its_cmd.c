// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <strings.h>

#include "lib/its_cmd.h"
#include "lib/ksyms.h"
#include "lib/util.h"

static const struct {
	const char *name;
	const char *builder;
} its_cmds[NR_ITS_CMDS] = {
	[ITS_CMD_MAPD] = { "MAPD", "its_build_mapd_cmd" },
	[ITS_CMD_MAPC] = { "MAPC", "its_build_mapc_cmd" },
	[ITS_CMD_MAPTI] = { "MAPTI", "its_build_mapti_cmd" },
	[ITS_CMD_MAPI] = { "MAPI", "its_build_mapi_cmd" },
	[ITS_CMD_MOVI] = { "MOVI", "its_build_movi_cmd" },
	[ITS_CMD_DISCARD] = { "DISCARD", "its_build_discard_cmd" },
	[ITS_CMD_INV] = { "INV", "its_build_inv_cmd" },
	[ITS_CMD_MOVALL] = { "MOVALL", "its_build_movall_cmd" },
	[ITS_CMD_INVALL] = { "INVALL", "its_build_invall_cmd" },
	[ITS_CMD_INT] = { "INT", "its_build_int_cmd" },
	[ITS_CMD_CLEAR] = { "CLEAR", "its_build_clear_cmd" },
	[ITS_CMD_SYNC] = { "SYNC", "its_build_sync_cmd" },
	[ITS_CMD_INVDB] = { "INVDB", "its_build_invdb_cmd" },
	[ITS_CMD_VMAPP] = { "VMAPP", "its_build_vmapp_cmd" },
	[ITS_CMD_VMAPTI] = { "VMAPTI", "its_build_vmapti_cmd" },
	[ITS_CMD_VMOVI] = { "VMOVI", "its_build_vmovi_cmd" },
	[ITS_CMD_VMOVP] = { "VMOVP", "its_build_vmovp_cmd" },
	[ITS_CMD_VSYNC] = { "VSYNC", "its_build_vsync_cmd" },
	[ITS_CMD_VINVALL] = { "VINVALL", "its_build_vinvall_cmd" },
	[ITS_CMD_VINV] = { "VINV", "its_build_vinv_cmd" },
	[ITS_CMD_VCLEAR] = { "VCLEAR", "its_build_vclear_cmd" },
	[ITS_CMD_VINT] = { "VINT", "its_build_vint_cmd" },
	[ITS_CMD_VSGI] = { "VSGI", "its_build_vsgi_cmd" },
};

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
