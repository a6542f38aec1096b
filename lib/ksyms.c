// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ksyms.h"
#include "lib/util.h"

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	const struct ksym *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int parse_line(char *line, struct ksym *s)
{
	char *addr = strtok(line, " \t");
	char *type = strtok(NULL, " \t");
	char *name = strtok(NULL, " \t");
	char *mod = strtok(NULL, " \t");
	char *end;

	if (!addr || !type || !name || strlen(type) != 1)
		return -1;
	s->addr = strtoull(addr, &end, 16);
	if (*end)
		return -1;
	s->type = type[0];
	s->name = name;
	s->module = NULL;
	if (mod && mod[0] == '[') {
		mod[strcspn(mod, "]")] = '\0';
		s->module = mod + 1;
	}
	return 0;
}

struct ksyms *ksyms_load(const char *path)
{
	struct ksyms *ks;
	char *save = NULL;
	char *line;
	int cap = 0;
	int i;

	ks = xcalloc(1, sizeof(*ks));
	ks->strtab = read_file(path ? path : "/proc/kallsyms", NULL);
	if (!ks->strtab) {
		free(ks);
		return NULL;
	}
	for (line = strtok_r(ks->strtab, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (ks->nr == cap) {
			cap = cap ? cap * 2 : 65536;
			ks->syms = xrealloc(ks->syms, cap * sizeof(*ks->syms));
		}
		if (parse_line(line, &ks->syms[ks->nr]))
			continue;
		if (ks->syms[ks->nr].addr)
			ks->have_addrs = true;
		ks->nr++;
	}
	if (!ks->nr) {
		ksyms_free(ks);
		errno = EINVAL;
		return NULL;
	}
	qsort(ks->syms, ks->nr, sizeof(*ks->syms), cmp_addr);
	ks->by_name = xmalloc(ks->nr * sizeof(*ks->by_name));
	for (i = 0; i < ks->nr; i++)
		ks->by_name[i] = &ks->syms[i];
	qsort(ks->by_name, ks->nr, sizeof(*ks->by_name), cmp_name);
	return ks;
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->by_name);
	free(ks->strtab);
	free(ks);
}

/* first index whose name is >= name */
static int lower_bound(const struct ksyms *ks, const char *name)
{
	int lo = 0, hi = ks->nr;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (strcmp(ks->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ksym *ksyms_by_name(const struct ksyms *ks, const char *name)
{
	int i = lower_bound(ks, name);

	if (i < ks->nr && !strcmp(ks->by_name[i]->name, name))
		return ks->by_name[i];
	return NULL;
}

const struct ksym *ksyms_by_name_or_clone(const struct ksyms *ks, const char *name)
{
	const struct ksym *s = ksyms_by_name(ks, name);
	size_t len = strlen(name);
	int i;

	if (s)
		return s;
	for (i = lower_bound(ks, name); i < ks->nr; i++) {
		const char *n = ks->by_name[i]->name;

		if (strncmp(n, name, len))
			break;
		if (n[len] == '.')
			return ks->by_name[i];
	}
	return NULL;
}

const struct ksym *ksyms_by_addr(const struct ksyms *ks, uint64_t addr)
{
	int lo = 0, hi = ks->nr - 1;
	int best = -1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return best < 0 ? NULL : &ks->syms[best];
}
