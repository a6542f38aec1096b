// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf report --html DIR (commands/report_html.h): the start page of a
 * report folder. It lists what is there, it computes nothing: the tables
 * are compare's and report's, the figures plot's. From the top:
 *
 *   overview    every overview.png (itsperf plot: the headline metrics of
 *               each revision against the first), shallowest folder first
 *   cover       each cover letter (compare --format email) in a <pre>
 *   headline    the headline plots (--headline GLOB; by default the
 *               throughput against the offered rate)
 *   tables      a link to every table (.txt .csv .md .json), its size and
 *               first line
 *   plots       per folder, every plot's png, svg and gnuplot script, and
 *               the folder of its data
 *   other       anything else; a result run (a folder with meta.json) as
 *               one link to its folder, not its samples
 *
 * Links are relative to DIR and percent-encoded; the page has inline CSS
 * only and no script, so it opens the same from a file manager, a web
 * server or an archive unpacked elsewhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands/report_html.h"
#include "lib/util.h"

#ifndef ITSPERF_VERSION
#define ITSPERF_VERSION "0.1-dev"
#endif

#define COVER_MAX_BYTES (1 << 20)
#define FIRST_LINE_MAX	120

enum file_kind {
	FILE_TABLE,
	FILE_PLOT,
	FILE_DATA, /* gnuplot input under a data/ folder: linked as the folder */
	FILE_RUN,  /* a result run (a folder with meta.json): linked as the folder */
	FILE_OTHER,
};

struct entry {
	char *rel;	  /* path relative to DIR */
	char *dir;	  /* its folder relative to DIR, "" at the top */
	const char *base; /* its name, in rel */
	const char *ext;  /* after the name's last '.', "" if none */
	char *stem;	  /* the name without .png/.svg/.gp (plots) */
	off_t size;
	enum file_kind kind;
};

struct listing {
	const char *root;
	struct entry *e;
	int n;
};

static const char *const table_exts[] = { "txt", "csv", "md", "json", "tsv" };
static const char *const plot_exts[] = { "png", "svg", "gp" };

static bool ext_in(const char *ext, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(ext, list[i]))
			return true;
	return false;
}

static void add_entry(struct listing *l, const char *dir, const char *name, off_t size)
{
	struct entry *e;
	const char *dot;
	const char *parent;

	l->e = xrealloc(l->e, (l->n + 1) * sizeof(*l->e));
	e = &l->e[l->n++];
	e->dir = xstrdup(dir);
	e->rel = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	e->base = e->rel + (*dir ? strlen(dir) + 1 : 0);
	dot = strrchr(e->base, '.');
	e->ext = dot ? dot + 1 : "";
	e->stem = xasprintf("%.*s", dot ? (int)(dot - e->base) : (int)strlen(e->base), e->base);
	e->size = size;
	parent = strrchr(dir, '/');
	parent = parent ? parent + 1 : dir;
	if (!strcmp(parent, "data") && !strcmp(e->ext, "dat"))
		e->kind = FILE_DATA;
	else if (ext_in(e->ext, plot_exts, ARRAY_SIZE(plot_exts)))
		e->kind = FILE_PLOT;
	else if (ext_in(e->ext, table_exts, ARRAY_SIZE(table_exts)))
		e->kind = FILE_TABLE;
	else
		e->kind = FILE_OTHER;
}

/* every file under root/dir, hidden ones and the page itself left out */
static int walk(struct listing *l, const char *dir)
{
	char *path = *dir ? xasprintf("%s/%s", l->root, dir) : xstrdup(l->root);
	struct dirent *d;
	DIR *dh;
	int ret = 0;

	/* a result run's samples are not tables: the run is one entry, its folder */
	if (*dir) {
		char *meta = xasprintf("%s/meta.json", path);
		bool run = path_exists(meta);

		free(meta);
		if (run) {
			char *slash = strrchr(dir, '/');
			char *parent =
				slash ? xasprintf("%.*s", (int)(slash - dir), dir) : xstrdup("");

			add_entry(l, parent, slash ? slash + 1 : dir, 0);
			l->e[l->n - 1].kind = FILE_RUN;
			free(parent);
			free(path);
			return 0;
		}
	}
	dh = opendir(path);
	if (!dh) {
		err_msg("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (!ret && (d = readdir(dh))) {
		char *p;
		struct stat st;

		if (d->d_name[0] == '.')
			continue;
		if (!*dir && str_starts(d->d_name, "index.html"))
			continue;
		p = xasprintf("%s/%s", path, d->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *sub = *dir ? xasprintf("%s/%s", dir, d->d_name) : xstrdup(d->d_name);

			ret = walk(l, sub);
			free(sub);
		} else if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			add_entry(l, dir, d->d_name, st.st_size);
		}
		free(p);
	}
	closedir(dh);
	free(path);
	return ret;
}

/* by folder (the top first, a folder before its subfolders), then by name */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a;
	const struct entry *y = b;
	int d = strverscmp(x->dir, y->dir);

	return d ? d : strverscmp(x->base, y->base);
}

static void listing_free(struct listing *l)
{
	int i;

	for (i = 0; i < l->n; i++) {
		free(l->e[i].rel);
		free(l->e[i].dir);
		free(l->e[i].stem);
	}
	free(l->e);
}

static bool matches(const struct entry *e, const char *const *globs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!fnmatch(globs[i], e->rel, 0) || !fnmatch(globs[i], e->base, 0))
			return true;
	return false;
}

static const struct entry *sibling(const struct listing *l, const struct entry *e, const char *ext)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->e[i].dir, e->dir) && !strcmp(l->e[i].stem, e->stem) &&
		    !strcmp(l->e[i].ext, ext))
			return &l->e[i];
	return NULL;
}

/* ---- HTML ---- */

static void html_puts(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* a relative URL: everything but unreserved characters and '/' percent-encoded */
static void url_puts(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c))
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

static void html_link(FILE *f, const char *rel, const char *text)
{
	fputs("<a href=\"", f);
	url_puts(f, rel);
	fputs("\">", f);
	html_puts(f, text);
	fputs("</a>", f);
}

static void human_size(char *buf, size_t len, off_t size)
{
	if (size >= 1 << 20)
		snprintf(buf, len, "%.1f MiB", size / 1048576.0);
	else if (size >= 1 << 10)
		snprintf(buf, len, "%.1f KiB", size / 1024.0);
	else
		snprintf(buf, len, "%lld B", (long long)size);
}

/* a figure: the png, linking to the svg when there is one; its files in the caption */
static void figure(FILE *f, const struct listing *l, const struct entry *png)
{
	const struct entry *svg = sibling(l, png, "svg");
	const struct entry *gp = sibling(l, png, "gp");

	fputs("<figure><a href=\"", f);
	url_puts(f, svg ? svg->rel : png->rel);
	fputs("\"><img src=\"", f);
	url_puts(f, png->rel);
	fputs("\" alt=\"", f);
	html_puts(f, png->rel);
	fputs("\"></a>\n<figcaption>", f);
	html_link(f, png->rel, png->rel);
	if (svg) {
		fputs(" &middot; ", f);
		html_link(f, svg->rel, "svg");
	}
	if (gp) {
		fputs(" &middot; ", f);
		html_link(f, gp->rel, "gnuplot script");
	}
	fputs("</figcaption></figure>\n", f);
}

static void cover_letter(FILE *f, const struct listing *l, const struct entry *e)
{
	char *path = xasprintf("%s/%s", l->root, e->rel);
	size_t len;
	char *text;

	fputs("<h3>", f);
	html_link(f, e->rel, e->rel);
	fputs("</h3>\n", f);
	text = e->size <= COVER_MAX_BYTES ? read_file(path, &len) : NULL;
	if (text) {
		fputs("<pre>", f);
		html_puts(f, text);
		fputs("</pre>\n", f);
		free(text);
	} else {
		fputs("<p>(too large or unreadable to show here: follow the link)</p>\n", f);
	}
	free(path);
}

/* a table's first non-empty line: what it is, for most of compare's and report's */
static void first_line(FILE *f, const struct listing *l, const struct entry *e)
{
	char *path = xasprintf("%s/%s", l->root, e->rel);
	char buf[FIRST_LINE_MAX + 1];
	FILE *in;

	in = strcmp(e->ext, "json") ? fopen(path, "r") : NULL;
	free(path);
	if (!in)
		return;
	while (fgets(buf, sizeof(buf), in)) {
		char *s = strim(buf);

		if (*s) {
			html_puts(f, s);
			break;
		}
	}
	fclose(in);
}

static void section_tables(FILE *f, const struct listing *l)
{
	bool any = false;
	int i;

	fputs("<h2 id=\"tables\">Tables</h2>\n", f);
	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		char size[32];

		if (e->kind != FILE_TABLE)
			continue;
		if (!any)
			fputs("<table>\n<tr><th>file</th><th>size</th><th>first line</th></tr>\n",
			      f);
		any = true;
		human_size(size, sizeof(size), e->size);
		fputs("<tr><td>", f);
		html_link(f, e->rel, e->rel);
		fprintf(f, "</td><td class=\"n\">%s</td><td><code>", size);
		first_line(f, l, e);
		fputs("</code></td></tr>\n", f);
	}
	fputs(any ? "</table>\n" : "<p>none</p>\n", f);
}

static int count_data(const struct listing *l, const char *data_dir)
{
	int n = 0;
	int i;

	for (i = 0; i < l->n; i++)
		n += l->e[i].kind == FILE_DATA && !strcmp(l->e[i].dir, data_dir);
	return n;
}

/* the first entry of e[i]'s folder (entries are sorted by folder) */
static int folder_start(const struct listing *l, int i)
{
	while (i > 0 && !strcmp(l->e[i - 1].dir, l->e[i].dir))
		i--;
	return i;
}

/* the first plot file of the folder starting at from, or -1 */
static int first_plot(const struct listing *l, int from)
{
	int i;

	for (i = from; i < l->n && !strcmp(l->e[i].dir, l->e[from].dir); i++)
		if (l->e[i].kind == FILE_PLOT)
			return i;
	return -1;
}

/* e[i] is the first plot file of its stem (png, svg, gp) in the folder starting at from */
static bool first_of_stem(const struct listing *l, int from, int i)
{
	int k;

	for (k = from; k < i; k++)
		if (l->e[k].kind == FILE_PLOT && !strcmp(l->e[k].stem, l->e[i].stem))
			return false;
	return true;
}

/* one folder's plots: a line per plot, its formats and script linked */
static void plot_folder(FILE *f, const struct listing *l, int from, bool *listed_data)
{
	const char *dir = l->e[from].dir;
	char *data_dir = *dir ? xasprintf("%s/data", dir) : xstrdup("data");
	int ndata = count_data(l, data_dir);
	int i;
	int k;

	fputs("<h3>", f);
	html_puts(f, *dir ? dir : ".");
	fputs("/</h3>\n<ul class=\"plots\">\n", f);
	for (i = from; i < l->n && !strcmp(l->e[i].dir, dir); i++) {
		const struct entry *e = &l->e[i];

		if (e->kind != FILE_PLOT)
			continue;
		if (!first_of_stem(l, from, i))
			continue;
		fputs("<li>", f);
		html_puts(f, e->stem);
		fputs(":", f);
		for (k = 0; k < (int)ARRAY_SIZE(plot_exts); k++) {
			const struct entry *s = sibling(l, e, plot_exts[k]);

			if (s) {
				fputs(" ", f);
				html_link(f, s->rel, plot_exts[k]);
			}
		}
		fputs("</li>\n", f);
	}
	if (ndata) {
		char *href = xasprintf("%s/", data_dir);

		fputs("<li>", f);
		html_link(f, href, "data/");
		fprintf(f, ": the %d data file%s the scripts plot</li>\n", ndata,
			ndata == 1 ? "" : "s");
		free(href);
		for (i = 0; i < l->n; i++)
			if (l->e[i].kind == FILE_DATA && !strcmp(l->e[i].dir, data_dir))
				listed_data[i] = true;
	}
	fputs("</ul>\n", f);
	free(data_dir);
}

static void section_plots(FILE *f, const struct listing *l, bool *listed_data)
{
	bool any = false;
	int i;

	fputs("<h2 id=\"plots\">All plots</h2>\n", f);
	for (i = 0; i < l->n; i++) {
		if (l->e[i].kind != FILE_PLOT || !first_of_stem(l, folder_start(l, i), i))
			continue;
		if (i != first_plot(l, folder_start(l, i)))
			continue;
		plot_folder(f, l, i, listed_data);
		any = true;
	}
	if (!any)
		fputs("<p>none</p>\n", f);
}

static void section_other(FILE *f, const struct listing *l, const bool *listed_data)
{
	bool any = false;
	int i;

	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		char size[32];

		if (e->kind != FILE_OTHER && e->kind != FILE_RUN &&
		    (e->kind != FILE_DATA || listed_data[i]))
			continue;
		if (!any)
			fputs("<h2 id=\"other\">Other files</h2>\n<ul>\n", f);
		any = true;
		fputs("<li>", f);
		if (e->kind == FILE_RUN) {
			char *href = xasprintf("%s/", e->rel);

			html_link(f, href, href);
			fputs(" (a result run: <code>itsperf report</code> it)</li>\n", f);
			free(href);
			continue;
		}
		human_size(size, sizeof(size), e->size);
		html_link(f, e->rel, e->rel);
		fprintf(f, " (%s)</li>\n", size);
	}
	if (any)
		fputs("</ul>\n", f);
}

static const char style[] =
	"body { font-family: sans-serif; max-width: 1160px; margin: 1em auto; padding: 0 1em;"
	" color: #222; }\n"
	"pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto;"
	" font-size: 13px; line-height: 1.25; }\n"
	"img { max-width: 100%; height: auto; border: 1px solid #ddd; }\n"
	"figure { margin: 1em 0 2em 0; }\n"
	"figcaption { font-size: 90%; color: #555; }\n"
	"table { border-collapse: collapse; font-size: 90%; }\n"
	"td, th { border-bottom: 1px solid #e4e4e4; padding: 0.15em 0.6em; text-align: left;"
	" vertical-align: top; }\n"
	"td.n { text-align: right; white-space: nowrap; }\n"
	"ul.plots { columns: 2; font-size: 90%; }\n"
	".meta { color: #555; font-size: 90%; }\n";

static void page(FILE *f, const struct listing *l, const struct report_html_opts *o,
		 const char *title)
{
	static const char *const def_cover[] = { "cover-letter*.txt" };
	static const char *const def_headline[] = { "throughput-vs-rate.*.png" };
	const char *const *cover = o->nr_cover ? o->cover : def_cover;
	const char *const *headline = o->nr_headline ? o->headline : def_headline;
	int nr_cover = o->nr_cover ? o->nr_cover : 1;
	int nr_headline = o->nr_headline ? o->nr_headline : 1;
	bool *listed_data = xcalloc(l->n + 1, sizeof(*listed_data));
	char when[64];
	time_t now = time(NULL);
	bool any;
	int i;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	html_puts(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
	html_puts(f, title);
	fputs("</h1>\n<p class=\"meta\">", f);
	fprintf(f,
		"itsperf %s, %s. Every link is relative to this folder: move or archive it "
		"whole. Jump to: <a href=\"#cover\">cover letter</a>, "
		"<a href=\"#headline\">headline plots</a>, <a href=\"#tables\">tables</a>, "
		"<a href=\"#plots\">all plots</a>.</p>\n",
		ITSPERF_VERSION, when);

	fputs("<h2 id=\"overview\">Overview</h2>\n", f);
	for (any = false, i = 0; i < l->n; i++) {
		if (l->e[i].kind == FILE_PLOT && !strcmp(l->e[i].base, "overview.png")) {
			figure(f, l, &l->e[i]);
			any = true;
		}
	}
	if (!any)
		fputs("<p>No overview.png here: <code>itsperf plot</code> draws one for two or "
		      "more revisions.</p>\n",
		      f);

	fputs("<h2 id=\"cover\">Cover letter</h2>\n", f);
	for (any = false, i = 0; i < l->n; i++) {
		if (l->e[i].kind == FILE_TABLE && matches(&l->e[i], cover, nr_cover)) {
			cover_letter(f, l, &l->e[i]);
			any = true;
		}
	}
	if (!any)
		fputs("<p>None here: <code>itsperf compare --format email -o "
		      "cover-letter-REV.txt BASE REV</code> writes one.</p>\n",
		      f);

	fputs("<h2 id=\"headline\">Headline plots</h2>\n", f);
	for (any = false, i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];

		if (e->kind == FILE_PLOT && !strcmp(e->ext, "png") &&
		    strcmp(e->base, "overview.png") && matches(e, headline, nr_headline)) {
			figure(f, l, e);
			any = true;
		}
	}
	if (!any)
		fputs("<p>none</p>\n", f);

	section_tables(f, l);
	section_plots(f, l, listed_data);
	section_other(f, l, listed_data);
	fputs("</body>\n</html>\n", f);
	free(listed_data);
}

int report_html(const char *dir, const struct report_html_opts *o)
{
	struct listing l = { .root = dir };
	const char *name;
	char *title;
	char *path;
	char *buf;
	size_t len;
	FILE *f;
	int ret;

	if (!path_exists(dir)) {
		err_msg("%s: %s", dir, strerror(ENOENT));
		return -1;
	}
	if (walk(&l, "")) {
		listing_free(&l);
		return -1;
	}
	qsort(l.e, l.n, sizeof(*l.e), entry_cmp);
	name = strrchr(dir, '/');
	name = name && name[1] ? name + 1 : dir;
	title = o->title ? xstrdup(o->title) : xasprintf("itsperf report: %s", name);
	f = open_memstream(&buf, &len);
	page(f, &l, o, title);
	fclose(f);
	path = xasprintf("%s/index.html", dir);
	ret = write_file_atomic(path, buf, len);
	if (ret)
		err_msg("%s: %s", path, strerror(errno));
	free(path);
	free(buf);
	free(title);
	listing_free(&l);
	return ret ? -1 : 0;
}
