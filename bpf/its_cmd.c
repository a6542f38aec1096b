// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "bpf/its_cmd.h"
#include "lib/ksyms.h"
#include "lib/util.h"

/* GICv3/v4 ITS commands (Arm IHI 0069), as the Linux builders are named */
static const char *const known_types[] = {
	"MAPD",	   "MAPC",  "MAPTI",  "MAPI",  "MOVI",	"DISCARD", "INV",     "MOVALL", "INVALL",
	"INT",	   "CLEAR", "SYNC",   "VMAPP", "VMOVP", "VMAPTI",  "VMAPI",   "VMOVI",	"VINV",
	"VINVALL", "VINT",  "VCLEAR", "VSGI",  "VSYNC", "INVDB",   "VMOVALL",
};

int its_cmd_type_known(const char *type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known_types); i++)
		if (!strcmp(known_types[i], type))
			return 1;
	return 0;
}

const char *its_cmd_type(const char *sym, char *buf, size_t len)
{
	static const char prefix[] = "its_build_";
	static const char suffix[] = "_cmd";
	const char *start, *end;
	size_t n, i;

	if (!sym || !str_starts(sym, prefix))
		return NULL;
	start = sym + strlen(prefix);
	/* a gcc clone keeps the name before the first '.' */
	end = strchr(start, '.');
	if (!end)
		end = start + strlen(start);
	n = end - start;
	if (n <= strlen(suffix) || strncmp(end - strlen(suffix), suffix, strlen(suffix)))
		return NULL;
	n -= strlen(suffix);
	if (!len || n >= len)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)start[i]))
			return NULL;
		buf[i] = toupper((unsigned char)start[i]);
	}
	buf[n] = '\0';
	return buf;
}

const char *its_cmd_type_at(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	const struct ksym *s = ks ? ksyms_by_addr(ks, addr) : NULL;

	/* the builder pointer is a function's start address, nothing else */
	if (s && s->addr == addr && its_cmd_type(s->name, buf, len))
		return buf;
	snprintf(buf, len, "unknown@%llx", (unsigned long long)addr);
	return buf;
}
