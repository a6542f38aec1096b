/* SPDX-License-Identifier: GPL-2.0 */
/* Output formats shared by report and compare. */
#ifndef ITSPERF_FORMAT_H
#define ITSPERF_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

enum out_format {
	FMT_TEXT,
	FMT_JSON,
	FMT_CSV,
	FMT_MARKDOWN,
	FMT_EMAIL, /* compare only: 72 columns, for a cover letter */
};

int parse_format(const char *s, enum out_format *f, bool email_ok);

#endif
