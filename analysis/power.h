/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verdicts with power for the headline family (results/README.md,
 * "Statistics"): a one-sided Welch t test on the log of the per-run p50s
 * (or values), with a floor on each side's standard deviation so that
 * icount's near-zero dispersion gives a finite, honest test, and the
 * minimum detectable effect of each comparison.
 */
#ifndef ITSPERF_POWER_H
#define ITSPERF_POWER_H

#include <stdbool.h>

/*
 * The floor of each side's standard deviation of log values (relative
 * dispersion): 0.5%. Under icount a run's p50 repeats exactly within a
 * boot and to a fraction of a percent across boots; without the floor a
 * zero variance makes any difference infinitely significant.
 */
#define WELCH_LOG_SD_FLOOR 0.005
/* the power at which the minimum detectable effect is given */
#define MDE_POWER 0.8

struct welch {
	double d;	  /* mean(log y) - mean(log x) (or of the raw values, !log) */
	double se;	  /* its standard error, variances floored */
	double df;	  /* Welch-Satterthwaite degrees of freedom */
	double t;	  /* d / se */
	double p_greater; /* one-sided, H1: y larger than x */
	double p_less;	  /* one-sided, H1: y smaller */
	bool log;	  /* on log values (all positive) */
	bool floored;	  /* a side's dispersion was raised to the floor */
	bool valid;	  /* at least 2 values per side */
};

void welch_test(const double *x, int nx, const double *y, int ny, double sd_floor, struct welch *w);
/*
 * The smallest relative change (> 0) that a one-sided test at level alpha
 * finds with probability power, given w's standard error and degrees of
 * freedom: exp((t_{1-alpha} + t_{power}) * se) - 1. NAN if !w->valid.
 */
double welch_mde(const struct welch *w, double alpha, double power);

/*
 * The headline family, gated by default: per-command-type total latency
 * (cmd_latency.total.TYPE), the its->lock hold in the send path
 * (lock_hold.its_node), the deprivilege lock hold
 * (lock_hold.deprivilege.locks_held), the null hypercall and KVM_RUN round
 * trips (hvc.hvc.hvc_roundtrip, hvc.vcpu.kvm_run_roundtrip) and each
 * workload's throughput (throughput.WORKLOAD).
 */
bool metric_headline(const char *name);

#endif
