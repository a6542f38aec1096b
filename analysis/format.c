// SPDX-License-Identifier: GPL-2.0
/* Output format names shared by report and compare (analysis/format.h). */
#include <string.h>

#include "analysis/format.h"
#include "lib/util.h"

static const char *const fmt_names[] = {
	[FMT_TEXT] = "text",	     [FMT_JSON] = "json",   [FMT_CSV] = "csv",
	[FMT_MARKDOWN] = "markdown", [FMT_EMAIL] = "email",
};

int parse_format(const char *s, enum out_format *f, bool email_ok)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fmt_names); i++) {
		if (!strcmp(s, fmt_names[i]) && (email_ok || i != FMT_EMAIL)) {
			*f = i;
			return 0;
		}
	}
	err_msg("unknown format '%s' (text, json, csv, markdown%s)", s, email_ok ? ", email" : "");
	return -1;
}
