/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metric table: every metric family once, with its name pattern, area,
 * unit, kind, parts (each with its meaning and error bound), whether it
 * gates compare by default and which collectors produce it.
 *
 * Collectors and workloads build names with metric_name() (the name
 * formats are spelled here and nowhere else); report, compare, plot and
 * throughput look names up with metric_family_of(). results/README.md's
 * metric list is this table (tests/unit/test_metrics.c fails when they
 * differ; `build/x86_64/tests/test_metrics --print` prints the list).
 *
 * The collector is part of a metric's identity. A family names the
 * collectors whose values carry the plain name ("plain"); a value of the
 * same family from any other listed collector is always stored as
 * NAME:<collector> (cmd_latency.total.MOVI from BPF,
 * cmd_latency.total.MOVI:ftrace from ftrace), whatever the start order, so
 * compare, which pairs metrics by name, never sets one collector's numbers
 * against another's.
 */
#ifndef ITSPERF_METRICS_H
#define ITSPERF_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum metric_kind {
	METRIC_LATENCY,	   /* a duration distribution, lower is better */
	METRIC_THROUGHPUT, /* a rate, higher is better */
	METRIC_COUNT,	   /* an event count, no better direction */
};

struct metric_desc {
	const char *name; /* "cmd_latency.total.MOVI", "lock_hold.its_lock" */
	const char
		*area; /* cmd_latency, lock_hold, hvc_path, deprivilege_window, throughput, ... */
	const char *unit; /* "ns", "cmd/s", "events" */
	enum metric_kind kind;
	const char *source; /* "bpf", "ftrace", "bench", "boot" */
	const char *desc;
	const char *error_bound; /* measuring method and its error bound, or NULL */
};

const char *metric_kind_name(enum metric_kind k);      /* "latency", "throughput", "count" */
const char *metric_kind_direction(enum metric_kind k); /* "lower", "higher", "none" */

enum metric_id {
	MF_CMD_COUNT,	     /* cmd_latency.count.<CMD> */
	MF_CMD_CLEAR_PATH,   /* cmd_latency.clear_path */
	MF_CMD_LATENCY,	     /* cmd_latency.<part>.<CMD> */
	MF_LOCK_NODE_CMD,    /* lock_hold.its_node.<its>.<caller>.<CMD> */
	MF_LOCK_NODE,	     /* lock_hold.its_node[.<its>] */
	MF_LOCK_NODE_DEPRIV, /* lock_hold.its_node.its<N>.deprivilege */
	MF_LOCK_CONTENTION,  /* lock_hold.contention.<its> */
	MF_LOCK_DEPRIVILEGE, /* lock_hold.deprivilege.<step> */
	MF_LOCK_ITS_LOCK,    /* lock_hold.its_lock.<site>[.<bound>] */
	MF_HVC_PATH_COUNT,   /* hvc_path.count.<probe> */
	MF_HVC_PATH,	     /* hvc_path.<probe> */
	MF_HVC_EL2,	     /* hvc.el2.<event> */
	MF_HVC_WORKLOAD,     /* hvc.<workload>.<op> */
	MF_HVC,		     /* hvc.<path> */
	MF_DEPRIVILEGE,	     /* deprivilege.<span> */
	MF_IRQ_PATH,	     /* irq_path.<probe> */
	MF_BENCH,	     /* bench.<workload>.<op> */
	MF_THROUGHPUT_CMDS,  /* throughput.commands.<workload> */
	MF_THROUGHPUT,	     /* throughput.<what> */
	MF_COUNT,	     /* count.<what> */
	MF_TP_SELFTEST,	     /* tp_selftest.<event>[.<what>] */
	NR_METRIC_FAMILIES,
};

struct metric_part {
	const char *name; /* the <part> level: "total", "queue_wait", ... */
	const char *desc;
	const char *error_bound;
	bool gated; /* gates compare by default (the family's headline) */
};

struct metric_family {
	const char *pattern; /* documented name: "cmd_latency.<part>.<CMD>" */
	const char *fmt;     /* printf format metric_name() builds the name with */
	/* names of the family, '*' one level (fnmatch on levels) */
	const char *match[3];
	const char *area;
	const char *unit;
	enum metric_kind kind;
	const char *collectors; /* producing collectors (result "source"), comma separated */
	const char *plain;	/* of those, whose values carry the plain name */
	bool gated;		/* gates compare by default (parts: per part) */
	const char *desc;
	const struct metric_part *parts; /* NULL-terminated, or NULL: no parts */
};

extern const struct metric_family metric_families[NR_METRIC_FAMILIES];

/* the name of a metric of family id; the arguments fill its fmt. -1 if truncated */
int metric_name(char *buf, size_t len, enum metric_id id, ...);
/* the family of a name (a ":<collector>" suffix ignored), NULL if none */
const struct metric_family *metric_family_of(const char *name);
/* name is of family id (and of part, when part is not NULL) */
bool metric_is(const char *name, enum metric_id id, const char *part);
/* name is a throughput (family area "throughput") */
bool metric_is_throughput(const char *name);
/* the part of a name of a family with parts (its second level), NULL if none */
const struct metric_part *metric_part_of(const struct metric_family *f, const char *name);
const struct metric_part *metric_part(enum metric_id id, const char *part);
/*
 * Gated by default: the headline family only (issue: verdicts with power):
 * per-command-type total latency, the its->lock hold, the deprivilege lock
 * hold, the hvc and KVM_RUN round trips, throughput per workload. Never a
 * second collector's copy (NAME:<collector>). The table's "gated" flags
 * mark the families these names belong to.
 */
bool metric_gated_by_default(const char *name);
/*
 * The name a value of d is stored under: d->name, or "d->name:<source>"
 * when d's collector is one of the family's but not a plain one. buf holds
 * the suffixed name.
 */
const char *metric_stored_name(const struct metric_desc *d, char *buf, size_t len);
/*
 * name is one the table describes: the family metric_family_of() gives it,
 * level by level against that family's pattern - a literal level is
 * itself; <CMD> an ITS command name in capitals; <part> one of the
 * family's parts; <its> its@<hex base> (or its_lock, the global lock);
 * <N> a number; any other placeholder one or more levels of name
 * characters (within the levels the family's match allows: "initcall.<fn>"
 * is a <span>); [.<x>] optional. A ":<collector>" suffix must be one of
 * the family's collectors that does not carry the plain name. When source
 * is not NULL (the collector that wrote the metric, meta.json's "source")
 * it must be one of the family's collectors and the name carry its suffix
 * exactly when it is not a plain one (metric_stored_name()). unit, when
 * not NULL, must be the family's. false with the reason in why otherwise.
 */
bool metric_name_check(const char *name, const char *source, const char *unit, char *why,
		       size_t len);
/* results/README.md's metric list (markdown table rows) */
void metric_table_markdown(FILE *f);

#endif
