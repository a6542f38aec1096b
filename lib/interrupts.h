/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/interrupts parsing. ITS-backed MSIs are labelled differently by
 * kernel version, and the same code must read both:
 *   6.12: " 14:  0  0  ITS-PCI-MSIX-0000:00:01.0   0 Edge  virtio0-config"
 *         (chip carries the PCI device, hwirq is the MSI-X index)
 *   6.1:  " 14:  0  0  ITS-MSI 16384 Edge  virtio0-config"
 *         (hwirq = PCI requester id << 11 | MSI index, pci_msi_domain_calc_hwirq())
 */
#ifndef ITSPERF_INTERRUPTS_H
#define ITSPERF_INTERRUPTS_H

#include <stdbool.h>
#include <stdint.h>

enum its_label {
	ITS_LABEL_NONE,	    /* not an ITS interrupt */
	ITS_LABEL_PCI_MSIX, /* ITS-PCI-MSIX-<BDF> / ITS-PCI-MSI-<BDF> (6.2+) */
	ITS_LABEL_MSI,	    /* ITS-MSI <hwirq> (6.1 and older) */
};

struct irq_line {
	int irq;
	uint64_t total;	   /* sum over CPUs */
	uint64_t *per_cpu; /* nr_cpus counts */
	char chip[64];
	char hwirq[32];
	char trigger[16];
	char action[128]; /* handler names, e.g. "virtio0-config" */
	enum its_label its;
	char bdf[16];  /* "0000:00:01.0" when derivable, else "" */
	int msi_index; /* MSI/MSI-X vector index within the device, -1 if unknown */
};

struct irq_table {
	int nr_cpus;
	int nr_lines;
	struct irq_line *lines;
};

/* parse text in /proc/interrupts format; returns 0 or -1 (errno EINVAL) */
int irq_table_parse(const char *text, struct irq_table *t);
/* read and parse path (NULL: /proc/interrupts) */
int irq_table_read(const char *path, struct irq_table *t);
void irq_table_free(struct irq_table *t);
const struct irq_line *irq_table_find(const struct irq_table *t, int irq);
int irq_table_count_its(const struct irq_table *t);

#endif
