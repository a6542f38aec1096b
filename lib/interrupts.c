// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/interrupts.h"
#include "lib/util.h"

static int count_cpus(const char *header)
{
	const char *p = header;
	int n = 0;

	while ((p = strstr(p, "CPU"))) {
		n++;
		p += 3;
	}
	return n;
}

/* 6.1: hwirq = requester id (bus << 8 | devfn) << 11 | msi index */
static void decode_its_msi_hwirq(struct irq_line *l)
{
	unsigned long long hw;
	unsigned int rid;
	char *end;

	hw = strtoull(l->hwirq, &end, 10);
	if (*end || end == l->hwirq)
		return;
	rid = hw >> 11;
	l->msi_index = hw & 0x7ff;
	snprintf(l->bdf, sizeof(l->bdf), "0000:%02x:%02x.%x", (rid >> 8) & 0xff, (rid >> 3) & 0x1f,
		 rid & 7);
}

static void classify(struct irq_line *l)
{
	static const char *const pci_pfx[] = { "ITS-PCI-MSIX-", "ITS-PCI-MSI-" };
	char *end;
	size_t i;

	l->its = ITS_LABEL_NONE;
	l->msi_index = -1;
	for (i = 0; i < ARRAY_SIZE(pci_pfx); i++) {
		if (!str_starts(l->chip, pci_pfx[i]))
			continue;
		l->its = ITS_LABEL_PCI_MSIX;
		snprintf(l->bdf, sizeof(l->bdf), "%s", l->chip + strlen(pci_pfx[i]));
		l->msi_index = strtol(l->hwirq, &end, 10);
		if (*end)
			l->msi_index = -1;
		return;
	}
	if (!strcmp(l->chip, "ITS-MSI") || !strcmp(l->chip, "ITS-pMSI")) {
		l->its = ITS_LABEL_MSI;
		decode_its_msi_hwirq(l);
	}
}

static int parse_line(char *line, int nr_cpus, struct irq_line *l)
{
	char *p = line;
	char *dash;
	char *tok;
	char *end;
	int i;

	memset(l, 0, sizeof(*l));
	p = strim(p);
	l->irq = strtol(p, &end, 10);
	if (end == p || *end != ':')
		return 1; /* NMI:, LOC:, ERR: ... summary rows, not an error */
	p = end + 1;
	l->per_cpu = xcalloc(nr_cpus, sizeof(uint64_t));
	for (i = 0; i < nr_cpus; i++) {
		unsigned long long v;

		while (*p == ' ')
			p++;
		v = strtoull(p, &end, 10);
		if (end == p)
			break; /* some rows (e.g. spurious) have fewer columns */
		l->per_cpu[i] = v;
		l->total += v;
		p = end;
	}
	tok = strtok_r(p, " \t", &end);
	if (!tok)
		return 0;
	snprintf(l->chip, sizeof(l->chip), "%s", tok);
	tok = strtok_r(NULL, " \t", &end);
	if (tok)
		snprintf(l->hwirq, sizeof(l->hwirq), "%s", tok);
	/* x86 (and generic irq with IRQ_DOMAIN_HIERARCHY off) print "5-edge" as one column */
	dash = strchr(l->hwirq, '-');
	if (dash && dash != l->hwirq) {
		*dash = '\0';
		snprintf(l->trigger, sizeof(l->trigger), "%s", dash + 1);
	} else {
		tok = strtok_r(NULL, " \t", &end);
		if (tok)
			snprintf(l->trigger, sizeof(l->trigger), "%s", tok);
	}
	if (end)
		snprintf(l->action, sizeof(l->action), "%s", strim(end));
	classify(l);
	return 0;
}

int irq_table_parse(const char *text, struct irq_table *t)
{
	char *copy = xstrdup(text);
	char *save = NULL;
	char *line;
	int cap = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	line = strtok_r(copy, "\n", &save);
	if (!line || !(t->nr_cpus = count_cpus(line))) {
		free(copy);
		errno = EINVAL;
		return -1;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (t->nr_lines == cap) {
			cap = cap ? cap * 2 : 64;
			t->lines = xrealloc(t->lines, cap * sizeof(*t->lines));
		}
		ret = parse_line(line, t->nr_cpus, &t->lines[t->nr_lines]);
		if (ret == 0)
			t->nr_lines++;
		else
			free(t->lines[t->nr_lines].per_cpu);
	}
	free(copy);
	return 0;
}

int irq_table_read(const char *path, struct irq_table *t)
{
	char *text = read_file(path ? path : "/proc/interrupts", NULL);
	int ret;

	if (!text)
		return -1;
	ret = irq_table_parse(text, t);
	free(text);
	return ret;
}

void irq_table_free(struct irq_table *t)
{
	int i;

	for (i = 0; i < t->nr_lines; i++)
		free(t->lines[i].per_cpu);
	free(t->lines);
	memset(t, 0, sizeof(*t));
}

const struct irq_line *irq_table_find(const struct irq_table *t, int irq)
{
	int i;

	for (i = 0; i < t->nr_lines; i++)
		if (t->lines[i].irq == irq)
			return &t->lines[i];
	return NULL;
}

int irq_table_count_its(const struct irq_table *t)
{
	int i, n = 0;

	for (i = 0; i < t->nr_lines; i++)
		n += t->lines[i].its != ITS_LABEL_NONE;
	return n;
}
