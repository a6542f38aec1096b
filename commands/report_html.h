/* SPDX-License-Identifier: GPL-2.0 */
/*
 * itsperf report --html DIR: DIR/index.html, one static page for a report
 * folder (what `make demo` writes): the overview figures of `itsperf plot`
 * at the top, the cover letters (compare --format email) in full, the
 * headline plots, then a relative link to every table and plot in DIR. No
 * script, no style sheet or font from elsewhere: the folder can be moved,
 * archived or mailed whole and opened offline.
 */
#ifndef ITSPERF_REPORT_HTML_H
#define ITSPERF_REPORT_HTML_H

struct report_html_opts {
	const char *title;  /* default: "itsperf report: <DIR's name>" */
	const char **cover; /* globs of the cover letters (default cover-letter*.txt) */
	int nr_cover;
	const char **headline; /* globs of the headline plots (default throughput-vs-rate.*.png) */
	int nr_headline;
};

/* writes DIR/index.html (atomically); 0, or -1 after a message */
int report_html(const char *dir, const struct report_html_opts *o);

#endif
