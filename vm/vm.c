// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated pKVM host: boot it and run a command in it (vm_boot();
 * `itsperf vm` is commands/vm.c).
 *
 * QEMU (TCG) boots a real arm64 kernel at EL2 with pKVM, a GICv3/v4 ITS and
 * virtio PCI devices whose MSI-X vectors are ITS LPIs. The initramfs is
 * assembled per run (vm/initramfs.c); the guest /init (vm/guest/init.sh)
 * runs COMMAND and reports its exit status with a per-run marker on the
 * serial console, which this side reads from QEMU's stdout (vm/console.c).
 * QEMU never outlives us: it is killed on every exit path, and dies with us
 * (PR_SET_PDEATHSIG) if we are killed outright.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/util.h"
#include "vm/vm.h"

#define DONE_GRACE_NS	  (30 * 1000000000ull) /* exit marker -> QEMU gone */
#define SCRATCH_DISK_SIZE (1ull << 30)
#define TAIL_ON_ERROR	  20

/* loaded at boot, in this order (virtio_pci, virtio_console: modules on 6.1 only) */
static const char *const boot_modules[] = {
	"virtio_pci", "virtio_blk", "virtio_net",     "9pnet_virtio",
	"9p",	      "virtio_rng", "virtio_console",
};

/* packed for later insmod/modprobe (device passthrough tests), not loaded */
static const char *const extra_modules[] = {
	"vfio",
	"vfio_iommu_type1",
	"vfio_pci_core",
	"vfio_pci",
};

struct kernel_sel {
	char *image;
	char *release;
	char *moddir;	/* NULL: no modules (built-in drivers only) */
	char *kmod_key; /* build/kmod/<key> candidates: series name */
};

/* ---- where things are ---- */

/* the build directory: $ITSPERF_ROOT/build, else the one this binary is in */
static char *build_dir(void)
{
	const char *root = getenv("ITSPERF_ROOT");
	char exe[PATH_MAX];
	ssize_t n;
	char *s;

	if (root && *root)
		return xasprintf("%s/build", root);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return xstrdup("build");
	exe[n] = '\0';
	/* <build>/x86_64/itsperf */
	s = strrchr(exe, '/');
	if (s)
		*s = '\0';
	s = strrchr(exe, '/');
	if (s)
		*s = '\0';
	return xstrdup(exe);
}

static char *find_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	char *found = NULL;

	if (strchr(prog, '/'))
		return access(prog, X_OK) ? NULL : xstrdup(prog);
	copy = xstrdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", *dir ? dir : ".", prog);

		if (!access(p, X_OK)) {
			found = p;
			break;
		}
		free(p);
	}
	free(copy);
	return found;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* ---- kernels ---- */

static char *dupn(const char *s, size_t n)
{
	char *r = xmalloc(n + 1);

	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

/* "Linux version <release> " in the Image (plain or gzip, via zlib) */
static char *image_release(const char *image)
{
	static const char tag[] = "Linux version ";
	char buf[65536 + 256];
	size_t keep = 0;
	char *release = NULL;
	gzFile gz;
	int n;

	gz = gzopen(image, "rb");
	if (!gz)
		return NULL;
	while (!release && (n = gzread(gz, buf + keep, sizeof(buf) - 256 - keep)) > 0) {
		size_t len = keep + n;
		char *p = buf;

		while ((p = memmem(p, len - (p - buf), tag, sizeof(tag) - 1))) {
			char *r = p + sizeof(tag) - 1;
			size_t rl = 0;

			while (r + rl < buf + len && rl < 128 && r[rl] > ' ' && r[rl] < 127)
				rl++;
			/* skip the "%s" format template some builds keep next to the banner */
			if (r + rl < buf + len && r[rl] == ' ' && rl && r[0] != '%') {
				release = dupn(r, rl);
				break;
			}
			p = r;
		}
		keep = len < 256 ? len : 256;
		memmove(buf, buf + len - keep, keep);
	}
	gzclose(gz);
	return release;
}

/* arm64 Image header magic "ARM\x64" at 0x38; gzip is left to QEMU */
static int check_image(const char *path)
{
	unsigned char hdr[64];
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(path, &st)) {
		err_msg("--kernel %s: %s (give 6.12, 6.1, 7.2, itsref-base or the path of an arm64 "
			"Image; 'itsperf vm --list-kernels' shows what make deps and make kernel "
			"installed)",
			path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_msg("--kernel %s: not a regular file", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_msg("--kernel %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n >= 4 && !memcmp(hdr, ELFMAG, SELFMAG)) {
		err_msg("--kernel %s is an ELF vmlinux: pass arch/arm64/boot/Image", path);
		return -1;
	}
	if (n >= 2 && hdr[0] == 0x1f && hdr[1] == 0x8b)
		return 0; /* Image.gz: QEMU inflates it */
	if (n < 64 || memcmp(hdr + 0x38, "ARM\x64", 4)) {
		err_msg("--kernel %s is not an arm64 kernel Image (no ARM\\x64 magic)", path);
		return -1;
	}
	return 0;
}

static void kernel_sel_free(struct kernel_sel *k)
{
	free(k->image);
	free(k->release);
	free(k->moddir);
	free(k->kmod_key);
	memset(k, 0, sizeof(*k));
}

/* BUILD/kernels/<name>/boot/vmlinuz-<release> */
static int kernel_installed(const char *build, const char *name, struct kernel_sel *k)
{
	char *dir = xasprintf("%s/kernels/%s", build, name);
	char *boot = xasprintf("%s/boot", dir);
	struct dirent *de;
	DIR *d;

	d = opendir(boot);
	if (d) {
		while ((de = readdir(d))) {
			if (!str_starts(de->d_name, "vmlinuz-"))
				continue;
			k->image = xasprintf("%s/%s", boot, de->d_name);
			k->release = xstrdup(de->d_name + 8);
			break;
		}
		closedir(d);
	}
	free(boot);
	if (!k->image) {
		free(dir);
		return -1;
	}
	k->moddir = xasprintf("%s/lib/modules/%s", dir, k->release);
	if (!is_dir(k->moddir)) {
		free(k->moddir);
		k->moddir = NULL;
	}
	k->kmod_key = xstrdup(name);
	free(dir);
	return 0;
}

/* --modules DIR: an INSTALL_MOD_PATH root, lib/modules/<release>, or a build tree */
static char *user_moddir(const char *dir, const char *release)
{
	char *p;

	if (!is_dir(dir))
		return NULL;
	if (release) {
		p = xasprintf("%s/lib/modules/%s", dir, release);
		if (is_dir(p))
			return p;
		free(p);
	}
	return realpath(dir, NULL);
}

static bool looks_like_series(const char *s)
{
	return *s && strspn(s, "0123456789.") == strlen(s);
}

static int select_kernel(const struct vm_params *o, const char *build, struct kernel_sel *k)
{
	char *dir = xasprintf("%s/kernels/%s", build, o->kernel);
	bool installed = !strchr(o->kernel, '/') && is_dir(dir);

	memset(k, 0, sizeof(*k));
	free(dir);
	if (installed || (looks_like_series(o->kernel) && !path_exists(o->kernel))) {
		if (kernel_installed(build, o->kernel, k)) {
			err_msg("kernel '%s' is not installed under %s/kernels: run 'make deps' "
				"(Debian's 6.12, 6.1 and 7.2) or 'make kernel' (itsref-base, "
				"itsref-v1, itsref-v2), or give the path of an arm64 Image",
				o->kernel, build);
			return -1;
		}
	} else {
		if (check_image(o->kernel))
			return -1;
		k->image = realpath(o->kernel, NULL);
		k->release = image_release(o->kernel);
		if (!k->image || !k->release) {
			err_msg("--kernel %s: no 'Linux version' banner found, cannot tell the "
				"kernel release",
				o->kernel);
			kernel_sel_free(k);
			return -1;
		}
	}
	if (o->modules) {
		free(k->moddir);
		k->moddir = user_moddir(o->modules, k->release);
		if (!k->moddir) {
			err_msg("--modules %s: not a directory", o->modules);
			kernel_sel_free(k);
			return -1;
		}
	}
	return 0;
}

static int list_kernels(const char *build)
{
	char *dir = xasprintf("%s/kernels", build);
	struct dirent **names;
	int n, i, shown = 0;

	n = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		struct kernel_sel k = { 0 };
		char *p = xasprintf("%s/%s", dir, names[i]->d_name);
		struct stat st;

		/* the series names (6.12, 6.1, 7.2) are symlinks to <release>-arm64;
		 * make kernel's builds (itsref-*; not itsref-*.new while installed) are
		 * directories */
		if (!lstat(p, &st) &&
		    (S_ISLNK(st.st_mode) ||
		     (S_ISDIR(st.st_mode) && str_starts(names[i]->d_name, "itsref-") &&
		      !strchr(names[i]->d_name, '.'))) &&
		    !kernel_installed(build, names[i]->d_name, &k)) {
			if (!shown++)
				printf("%-12s %-24s %s\n", "KERNEL", "RELEASE", "IMAGE");
			printf("%-12s %-24s %s\n", names[i]->d_name, k.release, k.image);
			kernel_sel_free(&k);
		}
		free(p);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (!shown)
		printf("no kernels installed under %s: run 'make deps'\n", dir);
	free(dir);
	return EXIT_OK;
}

/* ---- modules for the guest ---- */

struct guest_mods {
	struct kmod_index ix;
	struct kmod **boot;
	int nr_boot;
	struct kmod **extra;
	int nr_extra;
	char **kmods;
	int nr_kmods;
};

static void guest_mods_free(struct guest_mods *g)
{
	int i;

	for (i = 0; i < g->nr_kmods; i++)
		free(g->kmods[i]);
	free(g->kmods);
	free(g->boot);
	free(g->extra);
	kmod_index_free(&g->ix);
}

static int pick_modules(struct guest_mods *g, const struct kernel_sel *k)
{
	size_t i;
	int j;

	if (!k->moddir) {
		warn_msg("no module tree for %s: only built-in drivers will be there "
			 "(give --modules DIR)",
			 k->release);
		return 0;
	}
	if (kmod_index_scan(&g->ix, k->moddir)) {
		err_msg("cannot read the module tree %s: %s", k->moddir, strerror(errno));
		return -1;
	}
	debug_msg("%d modules in %s", g->ix.nr, k->moddir);
	for (i = 0; i < ARRAY_SIZE(boot_modules); i++) {
		if (!kmod_find(&g->ix, boot_modules[i])) {
			if (!kmod_is_builtin(&g->ix, boot_modules[i]))
				debug_msg("module %s: not in %s, assuming it is built in",
					  boot_modules[i], k->moddir);
			continue;
		}
		if (kmod_resolve(&g->ix, boot_modules[i], &g->boot, &g->nr_boot))
			return -1;
	}
	for (i = 0; i < ARRAY_SIZE(extra_modules); i++) {
		struct kmod **order = NULL;
		int n = 0;

		if (!kmod_find(&g->ix, extra_modules[i]))
			continue;
		if (kmod_resolve(&g->ix, extra_modules[i], &order, &n)) {
			free(order);
			return -1;
		}
		for (j = 0; j < n; j++) {
			int b;

			for (b = 0; b < g->nr_boot && g->boot[b] != order[j]; b++)
				;
			if (b < g->nr_boot)
				continue;
			for (b = 0; b < g->nr_extra && g->extra[b] != order[j]; b++)
				;
			if (b < g->nr_extra)
				continue;
			g->extra = xrealloc(g->extra, (g->nr_extra + 1) * sizeof(*g->extra));
			g->extra[g->nr_extra++] = order[j];
		}
		free(order);
	}
	return 0;
}

static bool vermagic_matches(const char *path, const char *release, char **built_for)
{
	struct modinfo mi;
	const char *sec;
	size_t len, sec_len;
	bool ok = false;
	char *data;

	*built_for = NULL;
	data = module_read(path, &len);
	if (!data || elf_modinfo_section(data, len, &sec, &sec_len) ||
	    modinfo_parse(sec, sec_len, &mi)) {
		free(data);
		return false;
	}
	if (mi.vermagic) {
		size_t n = strcspn(mi.vermagic, " ");

		ok = n == strlen(release) && !strncmp(mi.vermagic, release, n);
		*built_for = dupn(mi.vermagic, n);
	}
	modinfo_free(&mi);
	free(data);
	return ok;
}

/* the toolkit's own modules: build/kmod/<series or release>/NAME.ko for this kernel */
static void pick_kmods(struct guest_mods *g, const char *build, const struct kernel_sel *k)
{
	char *series = NULL;
	const char *keys[3];
	struct dirent *de;
	size_t i;
	DIR *d = NULL;
	char *dir = NULL;

	keys[0] = k->release;
	keys[1] = k->kmod_key;
	{
		/* "6.12.117+deb12-arm64" -> "6.12" */
		size_t n = strspn(k->release, "0123456789");

		if (k->release[n] == '.')
			n += 1 + strspn(k->release + n + 1, "0123456789");
		series = dupn(k->release, n);
	}
	keys[2] = series;
	for (i = 0; i < ARRAY_SIZE(keys) && !d; i++) {
		if (!keys[i])
			continue;
		free(dir);
		dir = xasprintf("%s/kmod/%s", build, keys[i]);
		d = opendir(dir);
	}
	while (d && (de = readdir(d))) {
		char *path, *built_for;

		if (!module_name_from_path(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (!vermagic_matches(path, k->release, &built_for)) {
			warn_msg("not packing %s: built for %s, the guest runs %s", path,
				 built_for ? built_for : "an unknown kernel", k->release);
			free(built_for);
			free(path);
			continue;
		}
		free(built_for);
		g->kmods = xrealloc(g->kmods, (g->nr_kmods + 1) * sizeof(char *));
		g->kmods[g->nr_kmods++] = path;
	}
	if (d)
		closedir(d);
	free(dir);
	free(series);
}

/* ---- the run ---- */

struct vm_run {
	pid_t qemu;
	char *tmpdir;
};

static void kill_qemu(void *arg)
{
	struct vm_run *r = arg;
	int status;
	int i;

	if (r->qemu <= 0)
		return;
	kill(r->qemu, SIGTERM);
	for (i = 0; i < 50; i++) {
		if (waitpid(r->qemu, &status, WNOHANG) == r->qemu)
			goto gone;
		usleep(20000);
	}
	kill(r->qemu, SIGKILL);
	waitpid(r->qemu, &status, 0);
gone:
	debug_msg("QEMU (pid %d) stopped", r->qemu);
	r->qemu = 0;
}

static void remove_tmpdir(void *arg)
{
	struct vm_run *r = arg;

	if (r->tmpdir)
		rm_rf(r->tmpdir);
}

/*
 * Temporary directories are named itsperf-vm.<pid>.XXXXXX: remove those of
 * runs that were killed outright (SIGKILL leaves no chance to clean up).
 */
static void remove_stale_tmpdirs(const char *tmp)
{
	struct dirent *de;
	DIR *d = opendir(tmp);

	while (d && (de = readdir(d))) {
		char *path;
		long pid;

		if (sscanf(de->d_name, "itsperf-vm.%ld.", &pid) != 1 || pid <= 0)
			continue;
		if (!kill(pid, 0) || errno != ESRCH)
			continue;
		path = xasprintf("%s/%s", tmp, de->d_name);
		debug_msg("removing %s, left by a killed run", path);
		rm_rf(path);
		free(path);
	}
	if (d)
		closedir(d);
}

static int make_nonce(char *buf, size_t len)
{
	unsigned char raw[8];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -1;
	for (i = 0; i < sizeof(raw) && 2 * i + 2 < len; i++)
		sprintf(buf + 2 * i, "%02x", raw[i]);
	return 0;
}

static int make_scratch_disk(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || ftruncate(fd, SCRATCH_DISK_SIZE)) {
		err_msg("cannot create the scratch disk %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static pid_t spawn_qemu(char **argv, int out_fd, int err_fd, bool interactive)
{
	pid_t parent = getpid();
	pid_t pid;
	int fd;

	pid = fork();
	if (pid != 0)
		return pid;
	/* child */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (!interactive) {
		/* a terminal's Ctrl-C is ours: we stop QEMU and clean up */
		setpgid(0, 0);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
	}
	execv(argv[0], argv);
	fprintf(stderr, "itsperf: error: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void show_file(const char *path, const char *what)
{
	char *s = read_file(path, NULL);
	char *line, *save = NULL;

	if (!s || !*s) {
		free(s);
		return;
	}
	fprintf(stderr, "%s:\n", what);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "  | %s\n", line);
	free(s);
}

struct pump_result {
	bool timed_out;
	bool stopped;
	bool out_closed;
	int qemu_status;
};

/* read the console until QEMU closes it; enforce the timeout and signals */
static void pump_console(struct vm_run *r, int fd, struct console *con, uint64_t timeout_ns,
			 struct pump_result *res)
{
	uint64_t deadline = timeout_ns ? now_ns() + timeout_ns : UINT64_MAX;
	bool done_seen = false;
	char buf[8192];
	struct pollfd pfd;
	ssize_t n;
	int status;

	memset(res, 0, sizeof(*res));
	for (;;) {
		if (itsperf_stop) {
			res->stopped = true;
			break;
		}
		if (con->out_closed) {
			res->out_closed = true;
			break;
		}
		if (now_ns() >= deadline) {
			res->timed_out = !done_seen;
			break;
		}
		if (con->phase == CON_DONE && !done_seen) {
			done_seen = true;
			if (deadline > now_ns() + DONE_GRACE_NS)
				deadline = now_ns() + DONE_GRACE_NS;
		}
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* QEMU exited */
		console_feed(con, buf, n);
	}
	console_finish(con);
	if (!res->stopped && !res->timed_out && !res->out_closed && r->qemu > 0) {
		/* EOF: QEMU is exiting; give it a moment, then make sure */
		uint64_t end = now_ns() + 5000000000ull;

		while (waitpid(r->qemu, &status, WNOHANG) == 0 && now_ns() < end)
			usleep(10000);
		if (waitpid(r->qemu, &status, WNOHANG) == 0) {
			kill_qemu(r);
			return;
		}
		r->qemu = 0;
		res->qemu_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		return;
	}
	kill_qemu(r);
}

static void report_failure(const char *what, const struct console *con, const char *err_file)
{
	err_msg("%s", what);
	if (con->tail_n) {
		fprintf(stderr, "last console lines:\n");
		console_print_tail(con, stderr, TAIL_ON_ERROR);
	}
	if (err_file)
		show_file(err_file, "QEMU said");
}

static int outcome(const struct vm_params *o, const struct console *con,
		   const struct pump_result *res, const char *err_file)
{
	char *msg;
	int ret = EXIT_VM_FAIL;

	if (res->stopped) {
		err_msg("interrupted: QEMU stopped");
		return 128 + (itsperf_stop_signal ? itsperf_stop_signal : SIGINT);
	}
	if (res->out_closed) {
		/* as a pipeline producer would, without leaving QEMU behind */
		debug_msg("stdout closed: QEMU stopped");
		return 128 + SIGPIPE;
	}
	if (con->mode_mismatch) {
		msg = xasprintf("requested --mode %s, but the kernel reached '%s'%s; COMMAND was "
				"not run",
				vm_mode_req_name(o->mode), con->mode_mismatch,
				!strcmp(con->mode_mismatch, "vhe") ?
					" (VHE: no hypervisor separation; arm64_sw.hvhe=0 "
					"without id_aa64mmfr1.vh=0 does that)" :
					"");
		report_failure(msg, con, NULL);
		free(msg);
		return EXIT_VM_FAIL;
	}
	if (con->exit_status >= 0)
		return con->exit_status;
	if (res->timed_out) {
		msg = xasprintf("timeout: the guest did not finish within %llu s (--timeout)",
				(unsigned long long)(o->timeout_ns / 1000000000ull));
		report_failure(msg, con, NULL);
		free(msg);
	} else if (con->panic) {
		msg = xasprintf("the guest kernel panicked: %s", con->panic_msg);
		report_failure(msg, con, NULL);
		free(msg);
	} else if (res->qemu_status) {
		msg = xasprintf("QEMU failed (exit status %d)", res->qemu_status);
		report_failure(msg, con, err_file);
		free(msg);
	} else {
		report_failure(con->phase == CON_BOOT ?
				       "the guest stopped before running COMMAND" :
				       "the guest stopped without reporting COMMAND's exit status",
			       con, err_file);
	}
	return ret;
}

static int run_command(struct vm_run *r, const struct vm_params *o, struct vm_config *cfg,
		       const char *nonce, const char *console_log)
{
	char *err_file = xasprintf("%s/qemu.err", r->tmpdir);
	struct pump_result res;
	struct console con;
	FILE *log = NULL;
	char **argv;
	int pfd[2];
	int err_fd;
	int ret = EXIT_VM_FAIL;
	uint64_t t0;

	log = fopen(console_log, "we");
	if (!log) {
		err_msg("cannot write %s: %s", console_log, strerror(errno));
		free(err_file);
		return EXIT_USAGE;
	}
	setvbuf(log, NULL, _IOLBF, 0); /* `tail -f console.log` while it boots */
	err_fd = open(err_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (err_fd < 0 || pipe2(pfd, O_CLOEXEC)) {
		err_msg("cannot set up QEMU's output: %s", strerror(errno));
		goto out;
	}
	argv = vm_qemu_argv(cfg);
	console_init(&con, nonce, STDOUT_FILENO, log, itsperf_verbose ? stderr : NULL);
	t0 = now_ns();
	r->qemu = spawn_qemu(argv, pfd[1], err_fd, false);
	close(pfd[1]);
	strv_free(argv);
	if (r->qemu < 0) {
		err_msg("cannot start QEMU: %s", strerror(errno));
		close(pfd[0]);
		console_free(&con);
		goto out;
	}
	debug_msg("QEMU pid %d", r->qemu);
	pump_console(r, pfd[0], &con, o->timeout_ns, &res);
	close(pfd[0]);
	if (con.begin_ns)
		debug_msg("guest ready for COMMAND after %.2f s (kernel %s, %s)",
			  (con.begin_ns - t0) / 1e9, cfg->release, pkvm_mode_name(con.mode));
	ret = outcome(o, &con, &res, err_file);
	console_free(&con);
out:
	if (err_fd >= 0)
		close(err_fd);
	fclose(log);
	free(err_file);
	return ret;
}

static int run_interactive(struct vm_run *r, const struct vm_params *o, struct vm_config *cfg)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	uint64_t deadline = o->timeout_ns ? now_ns() + o->timeout_ns : UINT64_MAX;
	char **argv = vm_qemu_argv(cfg);
	int status = 0;
	pid_t w;

	info_msg("booting %s (%s); exit the guest shell to power off, Ctrl-A x kills QEMU",
		 cfg->release, vm_mode_req_name(cfg->mode));
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	r->qemu = spawn_qemu(argv, -1, -1, true);
	strv_free(argv);
	if (r->qemu < 0) {
		err_msg("cannot start QEMU: %s", strerror(errno));
		return EXIT_VM_FAIL;
	}
	for (;;) {
		w = waitpid(r->qemu, &status, WNOHANG);
		if (w == r->qemu)
			break;
		if (itsperf_stop || now_ns() >= deadline) {
			kill_qemu(r);
			err_msg("%s: QEMU stopped", itsperf_stop ? "interrupted" : "timeout");
			return EXIT_VM_FAIL;
		}
		usleep(100000);
	}
	r->qemu = 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		err_msg("QEMU failed (status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return EXIT_VM_FAIL;
	}
	return EXIT_OK;
}

/* ---- set-up checks ---- */

static bool is_aarch64_elf(const char *path)
{
	unsigned char hdr[20];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	return n == sizeof(hdr) && !memcmp(hdr, ELFMAG, SELFMAG) && hdr[18] == EM_AARCH64;
}

struct vm_paths {
	char *build;
	char *qemu;
	char *busybox;
	char *binary;
	char *out;
	char *share;
};

static void vm_paths_free(struct vm_paths *p)
{
	free(p->build);
	free(p->qemu);
	free(p->busybox);
	free(p->binary);
	free(p->out);
	free(p->share);
}

static int check_setup(const struct vm_params *o, struct vm_paths *p)
{
	const char *qemu = getenv("ITSPERF_QEMU");

	p->qemu = find_in_path(qemu && *qemu ? qemu : "qemu-system-aarch64");
	if (!p->qemu) {
		err_msg("qemu-system-aarch64 not found: run 'make deps' (installs Debian's "
			"qemu-system-arm package)");
		return -1;
	}
	p->busybox = xasprintf("%s/sysroot/bin/busybox", p->build);
	if (!is_aarch64_elf(p->busybox)) {
		err_msg("no arm64 busybox at %s: run 'make deps' (the arm64 sysroot step "
			"unpacks busybox-static:arm64)",
			p->busybox);
		return -1;
	}
	p->binary = o->binary ? xstrdup(o->binary) : xasprintf("%s/aarch64/itsperf", p->build);
	if (!is_aarch64_elf(p->binary)) {
		err_msg("%s is not an aarch64 executable: run 'make' (it builds the static "
			"guest itsperf)%s",
			p->binary, o->binary ? "" : ", or give --binary PATH");
		return -1;
	}
	if (mkdir_p(o->out, 0755) || !(p->out = realpath(o->out, NULL))) {
		err_msg("--out %s: %s", o->out, strerror(errno));
		return -1;
	}
	if (o->share) {
		p->share = realpath(o->share, NULL);
		if (!p->share || !is_dir(p->share)) {
			err_msg("--share %s: not a directory", o->share);
			return -1;
		}
	}
	if (!o->argc && !isatty(STDIN_FILENO)) {
		err_msg("no COMMAND, and stdin is not a terminal for an interactive shell");
		return -1;
	}
	return 0;
}

int vm_boot(const struct vm_params *o)
{
	struct vm_paths paths = { 0 };
	struct guest_mods mods = { 0 };
	struct initramfs_spec spec = { 0 };
	struct vm_config cfg = { 0 };
	struct kernel_sel k = { 0 };
	static struct vm_run run;
	char tmpl[PATH_MAX];
	char *initrd = NULL, *disk = NULL, *console_log = NULL;
	const char *tmp = getenv("TMPDIR");
	char nonce[17];
	int ret = EXIT_USAGE;

	paths.build = build_dir();
	if (o->list_kernels) {
		ret = list_kernels(paths.build);
		goto out;
	}
	if (check_setup(o, &paths) || select_kernel(o, paths.build, &k))
		goto out;
	if (pick_modules(&mods, &k))
		goto out;
	pick_kmods(&mods, paths.build, &k);

	install_stop_handlers();
	/* a closed stdout is noticed as EPIPE, and the run stopped cleanly */
	signal(SIGPIPE, SIG_IGN);
	if (!tmp || !*tmp)
		tmp = "/tmp";
	remove_stale_tmpdirs(tmp);
	snprintf(tmpl, sizeof(tmpl), "%s/itsperf-vm.%d.XXXXXX", tmp, (int)getpid());
	if (!mkdtemp(tmpl)) {
		err_msg("cannot create a temporary directory %s: %s", tmpl, strerror(errno));
		goto out;
	}
	run.tmpdir = xstrdup(tmpl);
	cleanup_push(remove_tmpdir, &run, "remove the vm's temporary directory");
	cleanup_push(kill_qemu, &run, "stop QEMU");
	if (make_nonce(nonce, sizeof(nonce))) {
		err_msg("getrandom: %s", strerror(errno));
		goto out;
	}

	initrd = xasprintf("%s/initrd.cpio", run.tmpdir);
	disk = xasprintf("%s/scratch.img", run.tmpdir);
	console_log = xasprintf("%s/console.log", paths.out);
	spec = (struct initramfs_spec){
		.ix = &mods.ix,
		.busybox = paths.busybox,
		.itsperf = paths.binary,
		.release = k.release,
		.boot_mods = mods.boot,
		.nr_boot_mods = mods.nr_boot,
		.extra_mods = mods.extra,
		.nr_extra_mods = mods.nr_extra,
		.kmods = mods.kmods,
		.nr_kmods = mods.nr_kmods,
		.nonce = nonce,
		.mode = o->mode,
		.interactive = !o->argc,
		.share = !!paths.share,
		.argc = o->argc,
		.argv = o->argv,
	};
	if (initramfs_build(&spec, initrd) || make_scratch_disk(disk))
		goto out;
	cfg = (struct vm_config){
		.qemu = paths.qemu,
		.image = k.image,
		.initrd = initrd,
		.release = k.release,
		.mode = o->mode,
		.gic = o->gic,
		.cpus = o->cpus,
		.mem = o->mem,
		.append = o->append,
		.out_dir = paths.out,
		.share_dir = paths.share,
		.disk = disk,
		.console_log = console_log,
		.interactive = !o->argc,
		.devices = o->devices,
		.vectors = o->vectors,
		.iommu = o->iommu,
		.icount = o->icount_shift != VM_CLOCK_WALL,
		.icount_shift = o->icount_shift,
	};
	if (o->devices) {
		int ports;
		int nvec = vm_extra_vectors(o->vectors, &ports);

		if (nvec != o->vectors)
			info_msg("--vectors %d: each extra device gets %d (virtio-serial: 3, or "
				 "2 per port + 2)",
				 o->vectors, nvec);
	}
	debug_msg("kernel %s (%s), %d boot modules, %d more packed, %d itsperf kmods", k.image,
		  k.release, mods.nr_boot, mods.nr_extra, mods.nr_kmods);
	if (itsperf_verbose) {
		char *cmdline = vm_kernel_cmdline(&cfg);

		debug_msg("kernel command line: %s", cmdline);
		free(cmdline);
	}
	if (o->argc)
		ret = run_command(&run, o, &cfg, nonce, console_log);
	else
		ret = run_interactive(&run, o, &cfg);
out:
	cleanup_run_all();
	free(run.tmpdir);
	run.tmpdir = NULL;
	free(initrd);
	free(disk);
	free(console_log);
	guest_mods_free(&mods);
	kernel_sel_free(&k);
	vm_paths_free(&paths);
	return ret;
}
