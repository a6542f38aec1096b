// SPDX-License-Identifier: GPL-2.0
/*
 * Welch's t on log per-run values, the minimum detectable effect, and the
 * headline family (analysis/power.h).
 *
 * Why not the rank test for the gate: with 3 runs per side the smallest
 * one-sided Mann-Whitney p is 1/C(6,3) = 1/20, so no verdict can pass
 * alpha = 0.05, let alone after a correction; and under icount the runs
 * of one side are (nearly) identical, where a rank test has nothing to
 * rank. A t test uses the size of the difference relative to the runs'
 * dispersion: with icount's dispersion a 5% change is tens of standard
 * errors away with 3 runs. Log values: latencies and throughputs are
 * positive and change multiplicatively, so the test is on the ratio, as
 * the verdict is.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "analysis/power.h"
#include "result/metrics.h"
#include "lib/util.h"

static void mean_var(const double *v, int n, bool lg, double *mean, double *var)
{
	double s = 0;
	double ss = 0;
	int i;

	for (i = 0; i < n; i++)
		s += lg ? log(v[i]) : v[i];
	*mean = s / n;
	for (i = 0; i < n; i++) {
		double d = (lg ? log(v[i]) : v[i]) - *mean;

		ss += d * d;
	}
	*var = n > 1 ? ss / (n - 1) : 0;
}

void welch_test(const double *x, int nx, const double *y, int ny, double sd_floor, struct welch *w)
{
	double mx, my, vx, vy, fx, fy, qx, qy;
	bool lg = true;
	int i;

	memset(w, 0, sizeof(*w));
	w->p_greater = w->p_less = 1;
	w->se = w->d = w->t = w->df = NAN;
	if (nx < 2 || ny < 2)
		return;
	for (i = 0; i < nx; i++)
		lg &= x[i] > 0 && isfinite(x[i]);
	for (i = 0; i < ny; i++)
		lg &= y[i] > 0 && isfinite(y[i]);
	mean_var(x, nx, lg, &mx, &vx);
	mean_var(y, ny, lg, &my, &vy);
	/* the floor is relative: on raw values scale it by the baseline mean */
	fx = lg ? sd_floor : sd_floor * fabs(mx);
	fy = lg ? sd_floor : sd_floor * fabs(mx);
	if (vx < fx * fx) {
		vx = fx * fx;
		w->floored = true;
	}
	if (vy < fy * fy) {
		vy = fy * fy;
		w->floored = true;
	}
	w->log = lg;
	w->d = my - mx;
	qx = vx / nx;
	qy = vy / ny;
	w->se = sqrt(qx + qy);
	if (!(w->se > 0)) /* a zero baseline on raw values: nothing to scale by */
		return;
	w->df = (qx + qy) * (qx + qy) / (qx * qx / (nx - 1) + qy * qy / (ny - 1));
	w->t = w->d / w->se;
	w->p_greater = gsl_cdf_tdist_Q(w->t, w->df);
	w->p_less = gsl_cdf_tdist_P(w->t, w->df);
	w->valid = true;
}

double welch_mde(const struct welch *w, double alpha, double power)
{
	double delta;

	if (!w->valid || alpha <= 0 || alpha >= 1)
		return NAN;
	delta = (gsl_cdf_tdist_Qinv(alpha, w->df) + gsl_cdf_tdist_Pinv(power, w->df)) * w->se;
	/* raw values: relative to the baseline is not known here; the caller scales */
	return w->log ? expm1(delta) : delta;
}

bool metric_headline(const char *name)
{
	return metric_gated_by_default(name);
}
