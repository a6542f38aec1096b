/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-log parsing behind run_meta_from_host(), exposed for the unit tests. */
#ifndef ITSPERF_HOST_META_H
#define ITSPERF_HOST_META_H

#define MAX_ITS 64

struct log_facts {
	const char *mode; /* "protected-hvhe", ..., NULL if KVM said nothing */
	int gic;	  /* 3, 4 or 0 */
	int nr_its;	  /* distinct ITS@0x... bases */
	unsigned long long its_base[MAX_ITS];
};

void parse_kernel_log(const char *log, struct log_facts *f);

#endif
