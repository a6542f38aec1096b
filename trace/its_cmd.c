// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/ksyms.h"
#include "lib/util.h"
#include "trace/its_cmd.h"

const char *its_cmd_name(const char *sym, char *buf, size_t len)
{
	static const char pfx[] = "its_build_";
	static const char sfx[] = "_cmd";
	size_t n = strcspn(sym, "."); /* drop .isra.0, .constprop.0, ... */
	size_t i;

	if (!len)
		return buf;
	if (n > strlen(pfx) + strlen(sfx) && str_starts(sym, pfx) &&
	    !strncmp(sym + n - strlen(sfx), sfx, strlen(sfx))) {
		sym += strlen(pfx);
		n -= strlen(pfx) + strlen(sfx);
		for (i = 0; i < n && i + 1 < len; i++)
			buf[i] = toupper((unsigned char)sym[i]);
		buf[i] = '\0';
		return buf;
	}
	/* not a command builder (results/README.md: unknown builders are OTHER) */
	snprintf(buf, len, "OTHER");
	return buf;
}

const char *its_cmd_name_addr(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	const struct ksym *s = ks ? ksyms_by_addr(ks, addr) : NULL;

	if (s && s->addr == addr)
		return its_cmd_name(s->name, buf, len);
	snprintf(buf, len, "OTHER");
	return buf;
}
