// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf boot-args: the kernel command-line fragment that records the pKVM
 * deprivilege step from boot (see boot_trace.h), for a given kernel:
 *
 *   --kernel 6.12|6.1   a kernel installed by make deps; Debian ships a
 *                       placeholder System.map, so the symbol list is the
 *                       /proc/kallsyms captured once from that kernel booted
 *                       in the emulated host (build/ksyms/<name>/kallsyms,
 *                       `make kallsyms`, or captured here on first use)
 *   --kernel PATH       an Image with a System.map (or kallsyms) next to
 *                       it, or a kallsyms / System.map file itself
 *   (none)              the running kernel's /proc/kallsyms
 *
 * Only probes whose symbol will resolve on that kernel are emitted, so the
 * boot never logs "Failed to add event".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands/commands.h"
#include "lib/ksyms.h"
#include "lib/probes.h"
#include "lib/util.h"
#include "trace/boot_trace.h"

#define BOOT_BUF_KB	  2048	/* per CPU: kprobe + initcall events */
#define BOOT_BUF_KB_GRAPH 16384 /* per CPU, with the function_graph breakdown */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itsperf boot-args [--kernel 6.12|6.1|PATH] [--probes LIST] [--graph]\n"
		"                         [--buf-kb N] [-v]\n\n"
		"Print the kernel command-line fragment that traces the pKVM deprivilege step\n"
		"from boot: the whole window, each CPU's _kvm_host_prot_finalize, and the ITS\n"
		"series' its_start/end_deprivilege, staging copy and hvc callback where that\n"
		"kernel has them. Read the result after boot with 'itsperf boot-collect'.\n\n"
		"  --kernel K     6.12 or 6.1 (installed by make deps), an arm64 Image with a\n"
		"                 System.map or kallsyms next to it, or a kallsyms/System.map\n"
		"                 file; default: the running kernel\n"
		"  --probes LIST  logical probes (default: %s",
		boot_default_probes[0]);
	for (int i = 1; boot_default_probes[i]; i++)
		fprintf(f, ",%s", boot_default_probes[i]);
	fprintf(f,
		")\n"
		"  --graph        add the function_graph breakdown of the window (slows the\n"
		"                 window down several times under TCG: for shape, not timing)\n"
		"  --buf-kb N     trace buffer per CPU (default %d, %d with --graph)\n"
		"  -v             say on stderr what was chosen and why\n",
		BOOT_BUF_KB, BOOT_BUF_KB_GRAPH);
}

/* ---- where the symbol list comes from ---- */

static char *build_dir(void)
{
	const char *root = getenv("ITSPERF_ROOT");
	char exe[PATH_MAX];
	ssize_t n;
	int k;

	if (root && *root)
		return xasprintf("%s/build", root);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return xstrdup("build");
	exe[n] = '\0';
	/* <build>/<arch>/itsperf */
	for (k = 0; k < 2; k++) {
		char *s = strrchr(exe, '/');

		if (s)
			*s = '\0';
	}
	return xstrdup(exe);
}

static bool is_series_name(const char *s)
{
	return *s && !strchr(s, '/') && strspn(s, "0123456789.") == strlen(s);
}

/* a text file of "addr type name" lines (kallsyms or System.map) with enough symbols */
static bool looks_like_symbol_list(const char *path)
{
	struct ksyms *ks = ksyms_load(path);
	bool ok = ks && ks->nr > 1000;

	ksyms_free(ks);
	return ok;
}

static char *kernel_release_of(const char *build, const char *name)
{
	char *boot = xasprintf("%s/kernels/%s/boot", build, name);
	char *rel = NULL;
	struct dirent *de;
	DIR *d = opendir(boot);

	while (d && (de = readdir(d)))
		if (str_starts(de->d_name, "vmlinuz-")) {
			rel = xstrdup(de->d_name + 8);
			break;
		}
	if (d)
		closedir(d);
	free(boot);
	return rel;
}

/*
 * Boot the kernel once in the emulated host and keep its /proc/kallsyms:
 * `itsperf vm --kernel NAME -- sh -c 'cat /proc/kallsyms > $ITSPERF_OUT/kallsyms'`.
 */
static int capture_kallsyms(const char *build, const char *name, const char *dest)
{
	char *out = xasprintf("%s.tmp-%d", dest, (int)getpid());
	char *file = xasprintf("%s/kallsyms", out);
	char exe[PATH_MAX];
	ssize_t n;
	pid_t pid;
	int status = -1;
	int ret = -1;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		goto out;
	exe[n] = '\0';
	info_msg("boot-args: no symbol list for kernel %s yet: booting it once in the "
		 "emulated host to capture /proc/kallsyms (%s)",
		 name, dest);
	mkdir_p(out, 0755);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execl(exe, exe, "vm", "--kernel", name, "--out", out, "--timeout", "300", "--",
		      "sh", "-c", "cat /proc/kallsyms > $ITSPERF_OUT/kallsyms", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) || !looks_like_symbol_list(file)) {
		err_msg("boot-args: capturing /proc/kallsyms of kernel %s failed (itsperf vm "
			"status %d): run 'make kallsyms' to see why",
			name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	ret = rename(file, dest);
out:
	(void)build;
	rm_rf(out);
	free(out);
	free(file);
	return ret;
}

/*
 * Resolve --kernel into a symbol-list path (caller frees). Messages say
 * what was looked for.
 */
/*
 * An installed kernel with a real System.map: make kernel's builds
 * (build/kernels/itsref-*). Debian's packages ship a stub System.map, which
 * looks_like_symbol_list() refuses, so they take the kallsyms capture below.
 */
static char *installed_system_map(const char *build, const char *kernel)
{
	char *pat = xasprintf("%s/kernels/%s/boot/System.map-*", build, kernel);
	char *found = NULL;
	glob_t g;

	if (!strchr(kernel, '/') && !glob(pat, 0, NULL, &g)) {
		if (g.gl_pathc == 1 && looks_like_symbol_list(g.gl_pathv[0]))
			found = xstrdup(g.gl_pathv[0]);
		globfree(&g);
	}
	free(pat);
	return found;
}

static char *symbols_for(const char *kernel, bool verbose)
{
	char *build = build_dir();
	char *path = NULL;

	if (!kernel) {
		path = xstrdup("/proc/kallsyms");
	} else if ((path = installed_system_map(build, kernel))) {
		if (verbose)
			info_msg("boot-args: symbols of %s from %s", kernel, path);
	} else if (is_series_name(kernel) && !path_exists(kernel)) {
		char *rel = kernel_release_of(build, kernel);
		char *dir = xasprintf("%s/ksyms/%s", build, kernel);
		char *relfile = xasprintf("%s/release", dir);
		char *cached_rel = read_file(relfile, NULL);

		path = xasprintf("%s/kallsyms", dir);
		if (!rel) {
			err_msg("boot-args: kernel %s is not installed under %s/kernels (run 'make "
				"deps'), and no symbol list can be made for it",
				kernel, build);
			free(path);
			path = NULL;
		} else {
			/* a cached list of another release of that series is stale */
			if (cached_rel && strcmp(strim(cached_rel), rel))
				unlink(path);
			if (!looks_like_symbol_list(path)) {
				mkdir_p(dir, 0755);
				if (capture_kallsyms(build, kernel, path)) {
					free(path);
					path = NULL;
				} else {
					write_file_str(relfile, rel);
				}
			}
			if (path && verbose)
				info_msg("boot-args: symbols of %s (%s) from %s", kernel, rel,
					 path);
		}
		free(rel);
		free(dir);
		free(relfile);
		free(cached_rel);
	} else if (looks_like_symbol_list(kernel)) {
		path = xstrdup(kernel);
	} else if (path_exists(kernel)) {
		/* an Image: System.map-<release> / System.map / kallsyms next to it */
		char *copy = xstrdup(kernel);
		char *slash = strrchr(copy, '/');
		const char *base = slash ? slash + 1 : copy;
		const char *dir = slash ? copy : ".";
		char *cand[4];
		int i;

		if (slash)
			*slash = '\0';
		cand[0] = str_starts(base, "vmlinuz-") ?
				  xasprintf("%s/System.map-%s", dir, base + 8) :
				  xasprintf("%s/System.map-%s", dir, base);
		cand[1] = xasprintf("%s/System.map", dir);
		cand[2] = xasprintf("%s/kallsyms", dir);
		cand[3] = NULL;
		for (i = 0; cand[i]; i++) {
			if (!path && looks_like_symbol_list(cand[i]))
				path = xstrdup(cand[i]);
			free(cand[i]);
		}
		if (!path)
			err_msg("boot-args: %s: no usable System.map-<release>, System.map or "
				"kallsyms next to it (Debian's linux-image packages ship an 83-byte "
				"placeholder System.map: use --kernel 6.12|6.1|7.2, or a kallsyms file "
				"captured from that kernel)",
				kernel);
		free(copy);
	} else {
		err_msg("boot-args: --kernel %s: no such kernel or file", kernel);
	}
	free(build);
	return path;
}

/* ---- the fragment ---- */

struct chosen {
	const struct logical_probe *lp;
	const char *symbol;
};

/* append add (taken) to *buf, with sep between items */
static void append(char **buf, const char *sep, char *add)
{
	char *n = *buf ? xasprintf("%s%s%s", *buf, sep, add) : xstrdup(add);

	free(*buf);
	free(add);
	*buf = n;
}

static int parse_probe_list(const char *list, const struct logical_probe ***out)
{
	char *copy = xstrdup(list);
	char *save = NULL;
	char *tok;
	int n = 0;

	*out = NULL;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct logical_probe *lp = probe_find(strim(tok));

		if (!lp) {
			err_msg("boot-args: --probes: no logical probe '%s' (itsperf probes lists "
				"them)",
				tok);
			free(copy);
			free(*out);
			return -1;
		}
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = lp;
	}
	free(copy);
	return n;
}

int cmd_boot_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "probes", required_argument, NULL, 'p' },
		{ "graph", no_argument, NULL, 'g' },
		{ "buf-kb", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct logical_probe **want = NULL;
	const char *kernel = NULL;
	const char *probes = NULL;
	struct chosen *ch = NULL;
	char *kprobes = NULL;
	char *graph_filter = NULL;
	struct ksyms *ks = NULL;
	bool verbose = itsperf_verbose;
	bool graph = false;
	uint64_t buf_kb = 0;
	char *symfile;
	int nr_want;
	int nr_ch = 0;
	int ret = EXIT_FAIL;
	int c;
	int i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:p:gb:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kernel = optarg;
			break;
		case 'p':
			probes = optarg;
			break;
		case 'g':
			graph = true;
			break;
		case 'b':
			if (parse_u64(optarg, &buf_kb) || !buf_kb || buf_kb > (1u << 20)) {
				err_msg("boot-args: --buf-kb %s: expected 1..1048576", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err_msg("boot-args: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (probes) {
		nr_want = parse_probe_list(probes, &want);
		if (nr_want < 0)
			return EXIT_USAGE;
	} else {
		for (nr_want = 0; boot_default_probes[nr_want]; nr_want++)
			;
		want = xcalloc(nr_want, sizeof(*want));
		for (i = 0; i < nr_want; i++)
			want[i] = probe_find(boot_default_probes[i]);
	}
	symfile = symbols_for(kernel, verbose);
	if (!symfile) {
		free(want);
		return kernel ? EXIT_USAGE : EXIT_FAIL;
	}
	ks = ksyms_load(symfile);
	if (!ks) {
		err_msg("boot-args: cannot read %s: %s", symfile, strerror(errno));
		goto out;
	}
	for (i = 0; i < nr_want; i++) {
		const struct logical_probe *lp = want[i];
		struct probe_resolution res;
		char why[160];

		if (probe_resolve(lp, ks, &res)) {
			if (verbose)
				info_msg("boot-args: %-22s absent on this kernel%s", lp->name,
					 lp->flags & PROBE_SERIES ? " (series probe: normal when "
								    "unpatched)" :
								    "");
			continue;
		}
		if (!boot_symbol_probeable(ks, res.symbol, why, sizeof(why))) {
			info_msg("boot-args: %-22s skipped: %s", lp->name, why);
			continue;
		}
		if (verbose)
			info_msg("boot-args: %-22s %s (entry + return)", lp->name, res.symbol);
		ch = xrealloc(ch, (nr_ch + 1) * sizeof(*ch));
		ch[nr_ch].lp = lp;
		ch[nr_ch++].symbol = res.symbol;
	}
	if (!nr_ch) {
		err_msg("boot-args: none of the probes resolves on %s: not a pKVM-capable kernel?",
			kernel ? kernel : "the running kernel");
		goto out;
	}
	for (i = 0; i < nr_ch; i++) {
		/* kprobe_event= uses ',' where kprobe_events takes spaces, ';' between events */
		append(&kprobes, ";",
		       xasprintf("p:" BOOT_GROUP "/%s,%s;r:" BOOT_GROUP "/%s_ret,%s",
				 ch[i].lp->name, ch[i].symbol, ch[i].lp->name, ch[i].symbol));
		if (boot_kind_of(ch[i].lp->name) == BOOT_WINDOW)
			append(&graph_filter, ",", xstrdup(ch[i].symbol));
	}
	printf("kprobe_event=%s trace_event=initcall:initcall_start,initcall:initcall_finish",
	       kprobes);
	if (graph && graph_filter)
		printf(" ftrace=function_graph ftrace_graph_filter=%s trace_options=nofuncgraph-irqs",
		       graph_filter);
	else if (graph)
		warn_msg("boot-args: --graph: no window function resolved, no graph");
	printf(" trace_buf_size=%lluK\n", (unsigned long long)(buf_kb ? buf_kb :
							       graph  ? BOOT_BUF_KB_GRAPH :
									BOOT_BUF_KB));
	ret = EXIT_OK;
out:
	ksyms_free(ks);
	free(symfile);
	free(want);
	free(ch);
	free(kprobes);
	free(graph_filter);
	return ret;
}
