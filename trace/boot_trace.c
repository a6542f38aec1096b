// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ksyms.h"
#include "lib/util.h"
#include "trace/boot_trace.h"
#include "trace/ftrace_pair.h"

const char *const boot_default_probes[] = {
	"deprivilege_window",
	"host_prot_finalize",
	"its_deprivilege_start",
	"its_deprivilege_end",
	"its_staging_copy",
	"its_hyp_setup",
	NULL,
};

bool boot_symbol_probeable(const struct ksyms *ks, const char *sym, char *why, size_t len)
{
	int count = 0;
	int i;

	for (i = 0; i < ks->nr; i++) {
		const struct ksym *s = &ks->syms[i];

		if (s->module || strcmp(s->name, sym))
			continue;
		if (s->type != 't' && s->type != 'T') {
			snprintf(why, len, "%s is not a text symbol (type %c)", sym, s->type);
			return false;
		}
		count++;
	}
	if (!count) {
		snprintf(why, len, "%s not in the kernel's symbol table", sym);
		return false;
	}
	if (count > 1) {
		snprintf(why, len, "%s is ambiguous (%d text symbols of that name)", sym, count);
		return false;
	}
	why[0] = '\0';
	return true;
}

enum boot_kind boot_kind_of(const char *probe)
{
	static const char *const names[NR_BOOT_KINDS] = {
		[BOOT_WINDOW] = "deprivilege_window",
		[BOOT_PROT_FINALIZE] = "host_prot_finalize",
		[BOOT_DEPRIV_START] = "its_deprivilege_start",
		[BOOT_DEPRIV_END] = "its_deprivilege_end",
		[BOOT_STAGING_COPY] = "its_staging_copy",
		[BOOT_HYP_SETUP] = "its_hyp_setup",
	};
	int k;

	for (k = 0; k < BOOT_OTHER; k++)
		if (!strcmp(names[k], probe))
			return k;
	return BOOT_OTHER;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct boot_rec *x = a;
	const struct boot_rec *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	/* an entry before a return at the same timestamp */
	return (int)x->ret - (int)y->ret;
}

/*
 * The context a record ran in: the task (it may migrate between entry and
 * return: kvm_arch_init sleeps), or the CPU for interrupt context (the
 * IPI that runs _kvm_host_prot_finalize on a remote CPU) and for idle.
 */
static int ctx_of(const struct boot_rec *r)
{
	if ((r->flags & FP_FLAG_HARDIRQ) || r->pid <= 0)
		return -(r->cpu * 2 + 1 + !!(r->flags & FP_FLAG_HARDIRQ));
	return r->pid;
}

static void add_span(struct boot_result *res, const struct boot_rec *e, const struct boot_rec *r)
{
	struct boot_span *s;

	res->spans = xrealloc(res->spans, (res->nr_spans + 1) * sizeof(*res->spans));
	s = &res->spans[res->nr_spans++];
	s->kind = e->kind;
	s->cpu = e->cpu;
	s->start = e->ts;
	s->end = r->ts;
	s->entry_flags = e->flags;
	s->ret_flags = r->flags;
}

static const struct boot_span *first_span(const struct boot_result *res, enum boot_kind k)
{
	int i;

	for (i = 0; i < res->nr_spans; i++)
		if (res->spans[i].kind == k)
			return &res->spans[i];
	return NULL;
}

static void derive(struct boot_result *res, const struct boot_rec *recs, int nr)
{
	int i;

	res->window = first_span(res, BOOT_WINDOW);
	for (i = 0; i < res->nr_spans; i++) {
		const struct boot_span *s = &res->spans[i];

		if (s->kind != BOOT_PROT_FINALIZE)
			continue;
		if (!res->nr_finalize || s->start < res->finalize_first)
			res->finalize_first = s->start;
		if (!res->nr_finalize || s->end > res->finalize_last)
			res->finalize_last = s->end;
		res->nr_finalize++;
	}
	res->start = first_span(res, BOOT_DEPRIV_START);
	res->end = first_span(res, BOOT_DEPRIV_END);
	res->irqs_off_known = -1;
	if (!res->start || !res->end || res->end->start < res->start->end)
		return;
	/*
	 * The series takes the locks inside its_start_deprivilege() and drops
	 * them inside its_end_deprivilege(): held for at least start's return
	 * -> end's entry, at most start's entry -> end's return.
	 */
	res->locks_bounds = true;
	res->locks_lower = res->end->start - res->start->end;
	res->locks_upper = res->end->end - res->start->start;
	/* IRQs off: every record of that CPU inside the lower bound says so */
	res->irqs_off_known = (res->start->ret_flags & FP_FLAG_IRQS_OFF) &&
			      (res->end->entry_flags & FP_FLAG_IRQS_OFF);
	for (i = 0; i < nr; i++) {
		const struct boot_rec *r = &recs[i];

		if (r->cpu != res->start->cpu || r->ts <= res->start->end ||
		    r->ts >= res->end->start)
			continue;
		if (!(r->flags & FP_FLAG_IRQS_OFF))
			res->irqs_off_known = 0;
	}
	for (i = 0; i < res->nr_spans; i++) {
		const struct boot_span *s = &res->spans[i];

		if (s->kind == BOOT_HYP_SETUP && s->start >= res->start->start &&
		    s->end <= res->end->end) {
			res->hyp_setup_ns += s->end - s->start;
			res->nr_hyp_setup++;
		}
	}
}

int boot_analyze(struct boot_rec *recs, int nr, struct boot_result *res)
{
	/* open entry per (context, kind): these functions do not recurse */
	struct open {
		int ctx;
		enum boot_kind kind;
		const struct boot_rec *rec;
	} *open = NULL;
	int nr_open = 0;
	int i;
	int j;

	memset(res, 0, sizeof(*res));
	qsort(recs, nr, sizeof(*recs), cmp_rec);
	for (i = 0; i < nr; i++) {
		const struct boot_rec *r = &recs[i];
		int ctx = ctx_of(r);

		if (r->kind == BOOT_OTHER)
			continue;
		for (j = 0; j < nr_open; j++)
			if (open[j].ctx == ctx && open[j].kind == r->kind)
				break;
		if (!r->ret) {
			if (j < nr_open) {
				res->unmatched++;
				open[j].rec = r;
				continue;
			}
			open = xrealloc(open, (nr_open + 1) * sizeof(*open));
			open[nr_open].ctx = ctx;
			open[nr_open].kind = r->kind;
			open[nr_open++].rec = r;
			continue;
		}
		if (j == nr_open) {
			res->unmatched++;
			continue;
		}
		add_span(res, open[j].rec, r);
		open[j] = open[--nr_open];
	}
	res->unmatched += nr_open;
	free(open);
	derive(res, recs, nr);
	return 0;
}

void boot_result_free(struct boot_result *res)
{
	free(res->spans);
	memset(res, 0, sizeof(*res));
}
