// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/collector.h"
#include "lib/util.h"

#define MAX_COLLECTORS 32

static struct collector *collectors[MAX_COLLECTORS];
static int nr_collectors;

void collector_register(struct collector *c)
{
	if (nr_collectors == MAX_COLLECTORS) {
		fprintf(stderr, "itsperf: too many collectors, %s dropped\n", c->name);
		return;
	}
	collectors[nr_collectors++] = c;
}

struct collector *collector_find(const char *name)
{
	int i;

	for (i = 0; i < nr_collectors; i++)
		if (!strcmp(collectors[i]->name, name))
			return collectors[i];
	return NULL;
}

int collector_count(void)
{
	return nr_collectors;
}

struct collector *collector_at(int i)
{
	return i >= 0 && i < nr_collectors ? collectors[i] : NULL;
}

void collector_status_reset(struct collector *c)
{
	free(c->status);
	c->status = NULL;
	c->nr_status = 0;
}
