// SPDX-License-Identifier: GPL-2.0
/*
 * hvc: the null hypercall round trip, measured in the kernel by the
 * itsperf_hvc module (bench/kmod/itsperf_hvc.c: why that function id, how
 * each sample is taken). This side loads the module (finit_module, from
 * --module, /lib/itsperf/kmod/ or /lib/modules/<release>/), asks it for
 * chunks of samples on each CPU of --cpus in turn through debugfs, builds
 * the distributions, and unloads it. The load is journaled, so a killed
 * run's module is removed by `itsperf bench restore`; so is a debugfs
 * mount made here when none was mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <json-c/json.h>

#include "bench/bench_priv.h"

#define HVC_MODULE    "itsperf_hvc"
#define DEBUGFS	      "/sys/kernel/debug"
#define HVC_DIR	      DEBUGFS "/" HVC_MODULE
#define HVC_CHUNK     10000u
#define DEBUGFS_MAGIC 0x64626720

struct hvc_info {
	int usable;
	char reason[256];
	char mode[32];
	char func_id[32];
	char last[64];
	uint64_t cntfrq;
	uint64_t bad_returns;
};

static int find_module(const struct bench_opts *o, char *path, size_t len)
{
	struct utsname u;
	char cand[3][PATH_MAX];
	int i;

	if (o->module_path) {
		if (access(o->module_path, R_OK)) {
			err_msg("bench hvc: --module %s: %s", o->module_path, strerror(errno));
			return -1;
		}
		snprintf(path, len, "%s", o->module_path);
		return 0;
	}
	uname(&u);
	snprintf(cand[0], sizeof(cand[0]), "/lib/itsperf/kmod/" HVC_MODULE ".ko");
	snprintf(cand[1], sizeof(cand[1]), "/lib/modules/%s/extra/" HVC_MODULE ".ko", u.release);
	snprintf(cand[2], sizeof(cand[2]), "/lib/modules/%s/updates/" HVC_MODULE ".ko", u.release);
	for (i = 0; i < 3; i++) {
		if (!access(cand[i], R_OK) && snprintf(path, len, "%s", cand[i]) < (int)len)
			return 0;
	}
	err_msg("bench hvc: no %s.ko in /lib/itsperf/kmod/ or /lib/modules/%s/{extra,updates}/: "
		"build it with 'make kmod KDIR=<this kernel's build tree>' and pass --module",
		HVC_MODULE, u.release);
	return -1;
}

static const char *load_error(int err)
{
	switch (err) {
	case ENOEXEC:
		return "not a module for this kernel (built against another kernel or arch?)";
	case EPERM:
		return "module loading not permitted (not root, lockdown, or modules_disabled)";
	case EKEYREJECTED:
	case EBADMSG:
	case ENOKEY:
		return "the kernel requires a signed module (Secure Boot / MODULE_SIG_FORCE)";
	case EINVAL:
		return "rejected (vermagic or symbol version mismatch: see dmesg)";
	default:
		return strerror(err);
	}
}

static int load_module(const char *path, const char *params)
{
	size_t len;
	char *buf;
	int fd;
	int ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	if (!ret)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	/* no finit_module: hand the image over */
	buf = read_file(path, &len);
	if (!buf)
		return -errno;
	ret = syscall(SYS_init_module, buf, len, params);
	free(buf);
	return ret ? -errno : 0;
}

static bool module_loaded(void)
{
	return !access("/sys/module/" HVC_MODULE, F_OK);
}

static int ensure_debugfs(struct bench_ctx *c)
{
	struct statfs sf;

	if (!statfs(DEBUGFS, &sf) && sf.f_type == DEBUGFS_MAGIC)
		return 0;
	if (journal_note_mount(DEBUGFS))
		return -1;
	if (mount("debugfs", DEBUGFS, "debugfs", 0, NULL)) {
		err_msg("bench hvc: debugfs is not mounted and mounting it on %s failed: %s",
			DEBUGFS, strerror(errno));
		return -1;
	}
	bench_note(c, "mounted debugfs on %s for the run (unmounted at the end)", DEBUGFS);
	return 0;
}

static int read_info(struct hvc_info *hi)
{
	char *text = read_file(HVC_DIR "/info", NULL);
	char *save = NULL;
	char *line;

	if (!text)
		return -1;
	memset(hi, 0, sizeof(*hi));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;

		if (sscanf(line, "usable %d", &hi->usable) == 1)
			continue;
		if (str_starts(line, "reason "))
			snprintf(hi->reason, sizeof(hi->reason), "%s", line + 7);
		else if (sscanf(line, "mode %31s", hi->mode) == 1)
			continue;
		else if (sscanf(line, "func_id %31s", hi->func_id) == 1)
			continue;
		else if (sscanf(line, "last_hcall %63s", hi->last) == 1)
			continue;
		else if (sscanf(line, "cntfrq %llu", &v) == 1)
			hi->cntfrq = v;
		else if (sscanf(line, "bad_returns %llu", &v) == 1)
			hi->bad_returns = v;
	}
	free(text);
	return 0;
}

static int read_samples(const char *path, uint64_t *buf, unsigned int n)
{
	size_t want = (size_t)n * sizeof(uint64_t);
	size_t got = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < want) {
		r = read(fd, (char *)buf + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	close(fd);
	return got == want ? 0 : -1;
}

struct hvc_run {
	struct bench_metric *hvc;
	struct bench_metric *empty;
	struct bench_metric *per_cpu; /* nr_possible, HVC samples by CPU */
	uint64_t *buf_hvc;
	uint64_t *buf_empty;
	uint64_t cntfrq;
};

static int one_chunk(struct bench_ctx *c, struct hvc_run *r, int cpu, unsigned int n)
{
	char num[16];
	unsigned int i;
	int err;

	if (bench_pin_to_cpu(cpu)) {
		bench_error(c, "pinning to CPU %d: %s", cpu, strerror(errno));
		return -1;
	}
	snprintf(num, sizeof(num), "%u", n);
	err = host_write(HVC_DIR "/run", num);
	if (err) {
		bench_error(c, "%s/run: %s", HVC_DIR, strerror(-err));
		return -1;
	}
	if (read_samples(HVC_DIR "/hvc_ticks", r->buf_hvc, n) ||
	    read_samples(HVC_DIR "/empty_ticks", r->buf_empty, n)) {
		bench_error(c, "reading the samples from %s: %s", HVC_DIR, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint64_t h = r->buf_hvc[i] * 1000000000ull / r->cntfrq;
		uint64_t e = r->buf_empty[i] * 1000000000ull / r->cntfrq;

		bench_metric_add(r->hvc, h);
		bench_metric_add(r->empty, e);
		bench_metric_add(&r->per_cpu[cpu], h);
	}
	__atomic_fetch_add(&c->done, n, __ATOMIC_SEQ_CST);
	return 0;
}

static void report(struct bench_ctx *c, struct hvc_run *r, const struct hvc_info *hi,
		   const char *path)
{
	struct json_object *pc = json_object_new_object();
	char key[16];
	int i;

	for (i = 0; i < c->nr_possible; i++) {
		if (!r->per_cpu[i].hist.count)
			continue;
		snprintf(key, sizeof(key), "%d", i);
		json_object_object_add(pc, key, bench_metric_json(&r->per_cpu[i]));
	}
	bench_set(c, "hvc_by_cpu", pc);
	bench_set(c, "mode", json_object_new_string(hi->mode));
	bench_set(c, "function_id", json_object_new_string(hi->func_id));
	bench_set(c, "function_after", json_object_new_string(hi->last));
	bench_set(c, "cntfrq_hz", json_object_new_uint64(hi->cntfrq));
	bench_set(c, "module", json_object_new_string(path));
}

static int sample_loop(struct bench_ctx *c, struct hvc_run *r)
{
	unsigned int n;
	int i = 0;

	bench_begin(c);
	while (!bench_should_stop(c)) {
		uint64_t done = __atomic_load_n(&c->done, __ATOMIC_SEQ_CST);

		if (c->ops_target && done >= c->ops_target)
			break;
		n = HVC_CHUNK;
		if (c->ops_target && c->ops_target - done < n)
			n = (unsigned int)(c->ops_target - done);
		if (one_chunk(c, r, c->cpu_list[i++ % c->nr_cpus], n))
			return -1;
	}
	bench_end(c);
	return 0;
}

static int hvc_run(struct bench_ctx *c)
{
	struct hvc_run r = { 0 };
	struct hvc_info hi;
	char path[PATH_MAX];
	cpu_set_t saved;
	bool loaded = false;
	int ret = EXIT_FAIL;
	int err;
	int i;

	if (find_module(c->o, path, sizeof(path)))
		return c->o->module_path ? EXIT_USAGE : EXIT_FAIL;
	if (journal_open("hvc"))
		return EXIT_FAIL;
	if (module_loaded()) {
		bench_note(c, "%s was already loaded: using it, leaving it loaded", HVC_MODULE);
	} else {
		/* journaled first: a SIGKILL between load and unload leaves it to restore */
		if (journal_note_module(HVC_MODULE))
			goto out;
		err = load_module(path, access("/dev/kvm", F_OK) ? "" : "nvhe_kvm=1");
		if (err) {
			err_msg("bench hvc: loading %s: %s", path, load_error(-err));
			goto out;
		}
		loaded = true;
	}
	if (ensure_debugfs(c))
		goto out;
	if (read_info(&hi)) {
		err_msg("bench hvc: %s/info: %s", HVC_DIR, strerror(errno));
		goto out;
	}
	if (!hi.usable) {
		err_msg("bench hvc: cannot measure on this host (%s): %s", hi.mode, hi.reason);
		bench_skip(c, "hvc", "%s", hi.reason);
		goto out;
	}
	if (!hi.cntfrq) {
		err_msg("bench hvc: the module reports a zero counter frequency");
		goto out;
	}
	r.cntfrq = hi.cntfrq;
	r.hvc = bench_metric_new(c, "hvc_roundtrip", "ns",
				 "one HVC the host handler rejects without work, between two "
				 "isb; mrs cntvct_el0, IRQs off, in the kernel");
	r.empty = bench_metric_new(c, "empty_loop", "ns",
				   "the same two counter reads with nothing between: the floor");
	r.per_cpu = xcalloc(c->nr_possible, sizeof(*r.per_cpu));
	for (i = 0; i < c->nr_possible; i++)
		bench_metric_init(&r.per_cpu[i], "hvc_roundtrip", "ns", NULL);
	r.buf_hvc = xmalloc(HVC_CHUNK * sizeof(uint64_t));
	r.buf_empty = xmalloc(HVC_CHUNK * sizeof(uint64_t));
	sched_getaffinity(0, sizeof(saved), &saved);
	ret = sample_loop(c, &r) ? EXIT_FAIL : EXIT_OK;
	bench_unpin_self(&saved);
	if (!read_info(&hi) && hi.bad_returns) {
		bench_error(c, "%llu hvc(s) did not return NOT_SUPPORTED",
			    (unsigned long long)hi.bad_returns);
		ret = EXIT_FAIL;
	}
	bench_line(c,
		   "mode %s, function %s (%s + 64, answered NOT_SUPPORTED), counter %llu Hz "
		   "(%.1f ns resolution)",
		   hi.mode, hi.func_id, hi.last, (unsigned long long)hi.cntfrq,
		   1e9 / (double)hi.cntfrq);
	report(c, &r, &hi, path);
	if (!c->done)
		ret = EXIT_FAIL;
out:
	if (loaded) {
		if (syscall(SYS_delete_module, HVC_MODULE, O_NONBLOCK)) {
			bench_error(c, "unloading %s: %s", HVC_MODULE, strerror(errno));
			ret = EXIT_FAIL;
		} else {
			journal_forget_module(HVC_MODULE);
		}
	}
	journal_close();
	for (i = 0; r.per_cpu && i < c->nr_possible; i++)
		bench_metric_free(&r.per_cpu[i]);
	free(r.per_cpu);
	free(r.buf_hvc);
	free(r.buf_empty);
	return ret;
}

const struct bench_workload bench_hvc = {
	.name = "hvc",
	.help = "null hypercall round trip, timed in the kernel (itsperf_hvc module)",
	.op = "hvc",
	.cmds = "none",
	.opts = BOPT_MODULE,
	.default_ops = 20000,
	.run = hvc_run,
};
