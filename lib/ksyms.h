/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbol table from /proc/kallsyms or a System.map-format file. */
#ifndef ITSPERF_KSYMS_H
#define ITSPERF_KSYMS_H

#include <stdbool.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	char type; /* nm type letter: t/T text, d/D data ... */
	const char *name;
	const char *module; /* NULL for vmlinux */
};

struct ksyms {
	struct ksym *syms; /* sorted by address */
	int nr;
	struct ksym **by_name; /* sorted by name */
	char *strtab;
	bool have_addrs; /* false when kptr_restrict zeroed every address */
};

/* path NULL: /proc/kallsyms */
struct ksyms *ksyms_load(const char *path);
void ksyms_free(struct ksyms *ks);
const struct ksym *ksyms_by_name(const struct ksyms *ks, const char *name);
/*
 * Exact name, else a compiler clone of it (name.isra.0, name.constprop.0,
 * name.part.0): what a probe on a renamed-by-gcc function must attach to.
 */
const struct ksym *ksyms_by_name_or_clone(const struct ksyms *ks, const char *name);
/* the symbol containing addr (text symbols), NULL if none */
const struct ksym *ksyms_by_addr(const struct ksyms *ks, uint64_t addr);

#endif
