/* SPDX-License-Identifier: GPL-2.0 */
/*
 * itsperf compare --explain: where the added time of a regressed command
 * type went. The change of cmd_latency.total.<CMD> (median over runs of the
 * per-run p50, as compare) is split into the change of each part:
 * queue wait, build+post (lock spin, build, post) net of the EL2 commit
 * nested in its CWRITER post, the EL2 commit (cmd_latency.el2.<CMD>, from
 * the hypervisor remote; 0 on a kernel without the series), completion
 * wait, and what none of them covers. Each part's share of the change has
 * a percentile bootstrap interval over runs (resampled per group, the
 * parts of one run kept together).
 */
#ifndef ITSPERF_EXPLAIN_H
#define ITSPERF_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analysis/runs.h"

struct json_object;

enum explain_part_id {
	EXPLAIN_QUEUE_WAIT,
	EXPLAIN_BUILD_POST, /* build_post - el2 */
	EXPLAIN_EL2,
	EXPLAIN_COMPLETION_WAIT,
	EXPLAIN_OTHER, /* total - the parts above */
	NR_EXPLAIN_PARTS,
};

struct explain_part {
	const char *key;  /* "el2": queue_wait, build_post_net, el2, completion_wait, other */
	const char *text; /* "EL2 commit" */
	bool measured;	  /* present on both sides (el2: on either side) */
	double base;	  /* median over runs of the per-run p50, ns */
	double new;
	double delta; /* new - base */
	double share; /* delta / total delta */
	double lo;    /* bootstrap CI of the share */
	double hi;
};

struct explanation {
	char cmd[32];
	char collector[16]; /* the parts of "total.<CMD>:<collector>", or "" */
	int n_base;
	int n_new;
	double base; /* total: median over runs of the per-run p50 */
	double new;
	double delta;
	bool measured; /* calibrated runs: total is total_raw, the probes' cost included */
	struct explain_part parts[NR_EXPLAIN_PARTS];
};

/*
 * name is "cmd_latency.total.<CMD>[:<collector>]": cmd gets <CMD>,
 * collector <collector> or "" (the parts are taken from the same
 * collector; the EL2 commit always from the hypervisor remote's plain name)
 */
bool explain_total_cmd(const char *name, char *cmd, size_t cmdlen, char *collector, size_t collen);

/* 0, or -1 when a side has no run with the total of cmd */
int explain_command(const struct run_group *base, const struct run_group *new, const char *cmd,
		    const char *collector, unsigned int nboot, unsigned long seed, double level,
		    struct explanation *e);

/* the text table, indented, under the verdict table */
void explain_print(FILE *f, const struct explanation *e, const char *vs, double level);
/* one cover-letter line: "MOVI +12.3us (+40%): EL2 commit 61% [55%, 66%], ..." */
void explain_line(char *buf, size_t len, const struct explanation *e);
/* the same, wrapped at width columns (continuations indented by 4) */
void explain_print_wrapped(FILE *f, const struct explanation *e, int width);

/*
 * Machine-readable: {"command", "collector" (null: the plain names),
 * "n_base", "n_new", "base", "new", "delta" (ns, the total's median over
 * runs of the per-run p50), "change" (delta / base), "level", "parts": [{
 * "part" (key), "text", "measured", "base", "new", "delta", "share",
 * "ci_lo", "ci_hi"}]}; a number that is not finite is null. Added to o
 * (after what the caller put there), or to a new object when o is NULL
 */
struct json_object *explain_json(const struct explanation *e, double level, struct json_object *o);
/* the CSV columns explain_csv writes, after the caller's own */
#define EXPLAIN_CSV_HEADER                                                                        \
	"command,collector,n_base,n_new,total_base,total_new,total_delta,part,measured,base,new," \
	"delta,share,ci_lo,ci_hi"
/* one CSV line per part, each starting with pfx (the caller's columns, with their comma) */
void explain_csv(FILE *f, const struct explanation *e, const char *pfx);
/* a markdown table of the parts, under a line naming the command type */
void explain_markdown(FILE *f, const struct explanation *e, const char *vs, double level);

#endif
