// SPDX-License-Identifier: GPL-2.0
/*
 * Attach strategy of the BPF collectors: fentry/fexit where the kernel
 * loads AND attaches it, else kprobe/kretprobe, chosen per probe. See
 * bpf/attach.h for the rules and PLATFORM.md for why (6.1 arm64: fentry
 * loads, attach -524; x86 CI: fentry EPERM, no kprobes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/attach.h"
#include "lib/collector.h"
#include "lib/probes.h"
#include "lib/util.h"

static const char *const tracefs_roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (itsperf_verbose < 2 && level == LIBBPF_DEBUG)
		return 0;
	if (!itsperf_verbose)
		return 0;
	fprintf(stderr, "libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

void bpf_libbpf_setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	libbpf_set_print(libbpf_print);
}

const char *bpf_mech_name(enum bpf_mech m)
{
	switch (m) {
	case BPF_MECH_FENTRY:
		return "fentry";
	case BPF_MECH_KPROBE:
		return "kprobe";
	case BPF_MECH_TP_BTF:
		return "tp_btf";
	case BPF_MECH_RAW_TP:
		return "raw_tp";
	case BPF_MECH_TRACEPOINT:
		return "tracepoint";
	case BPF_MECH_NONE:
		break;
	}
	return "none";
}

const char *bpf_errname(int err, char *buf, size_t len)
{
	static const struct {
		int no;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },
		{ ENOENT, "ENOENT" },
		{ ESRCH, "ESRCH" },
		{ EINTR, "EINTR" },
		{ EIO, "EIO" },
		{ E2BIG, "E2BIG" },
		{ EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },
		{ EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" },
		{ ERANGE, "ERANGE" },
		{ ENOSYS, "ENOSYS" },
		{ ENOTSUP, "EOPNOTSUPP" },
		{ EPROTO, "EPROTO" },
		{ ENXIO, "ENXIO" },
		{ 512, "ERESTARTSYS" },
		{ 524, "ENOTSUPP" },
		{ 525, "ETOOSMALL" },
		{ 526, "ESERVERFAULT" },
		{ 527, "EBADTYPE" },
		{ 4000, "LIBBPF_ERRNO__LIBELF" },
		{ 4001, "LIBBPF_ERRNO__FORMAT" },
		{ 4003, "LIBBPF_ERRNO__ENDIAN" },
		{ 4005, "LIBBPF_ERRNO__RELOC" },
		{ 4007, "LIBBPF_ERRNO__VERIFY" },
		{ 4008, "LIBBPF_ERRNO__PROG2BIG" },
		{ 4009, "LIBBPF_ERRNO__KVER" },
		{ 4010, "LIBBPF_ERRNO__PROGTYPE" },
		{ 4012, "LIBBPF_ERRNO__NLPARSE" },
	};
	int no = err < 0 ? -err : err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i].no == no) {
			snprintf(buf, len, "%s (%d)", names[i].name, no);
			return buf;
		}
	}
	snprintf(buf, len, "error %d", no);
	return buf;
}

/* ---- what the running kernel offers ---- */

static struct btf *vmlinux_btf(void)
{
	static struct btf *btf;
	static bool tried;

	if (!tried) {
		tried = true;
		btf = btf__load_vmlinux_btf();
		if (!btf) {
			btf = NULL;
			debug_msg("bpf: no kernel BTF: %s", strerror(errno));
		}
	}
	return btf;
}

bool bpf_kernel_has_kprobes(void)
{
	size_t i;

	if (path_exists("/sys/bus/event_source/devices/kprobe/type"))
		return true;
	for (i = 0; i < ARRAY_SIZE(tracefs_roots); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/kprobe_events", tracefs_roots[i]);
		if (path_exists(path))
			return true;
	}
	return false;
}

bool bpf_kernel_has_event(const char *sys_event)
{
	const char *colon = strchr(sys_event, ':');
	size_t i;

	if (!colon)
		return false;
	for (i = 0; i < ARRAY_SIZE(tracefs_roots); i++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/events/%.*s/%s", tracefs_roots[i],
			 (int)(colon - sys_event), sys_event, colon + 1);
		if (path_exists(path))
			return true;
	}
	return false;
}

/* tp_btf and raw_tp need the tracepoint's btf_trace_<name> typedef in the kernel's BTF */
static bool btf_has_tracepoint(const char *name)
{
	struct btf *btf = vmlinux_btf();
	char tname[128];

	if (!btf)
		return false;
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF) > 0;
}

static bool kprobe_blacklisted(const char *symbol)
{
	char *buf = read_file("/sys/kernel/debug/kprobes/blacklist", NULL);
	char *save = NULL;
	bool found = false;
	char *line;

	if (!buf)
		return false;
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name = strrchr(line, '\t');

		name = name ? name + 1 : strrchr(line, ' ');
		if (name && *name == ' ')
			name++;
		found = name && !strcmp(name, symbol);
	}
	free(buf);
	return found;
}

static bool kprobe_usable(const char *symbol, char *why, size_t len)
{
	if (!bpf_kernel_has_kprobes()) {
		snprintf(why, len, "no kprobes on this kernel");
		return false;
	}
	if (kprobe_blacklisted(symbol)) {
		snprintf(why, len, "%s is on the kprobe blacklist", symbol);
		return false;
	}
	return true;
}

struct fentry_verdict {
	char symbol[128];
	bool ok;
	char why[96];
};

/*
 * Load and attach a two-instruction fentry program to symbol: the only
 * reliable answer (x86 CI refuses the load with EPERM, 6.1 arm64 loads it
 * and refuses the attach with -524). Cached per symbol.
 */
static bool fentry_usable(const char *symbol, char *why, size_t len)
{
	static struct fentry_verdict cache[64];
	static int nr_cache;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	struct fentry_verdict v = { 0 };
	char ebuf[48];
	struct btf *btf;
	int fd, lfd, id;
	int i;

	for (i = 0; i < nr_cache; i++) {
		if (!strcmp(cache[i].symbol, symbol)) {
			snprintf(why, len, "%s", cache[i].why);
			return cache[i].ok;
		}
	}
	snprintf(v.symbol, sizeof(v.symbol), "%s", symbol);
	btf = vmlinux_btf();
	if (!btf) {
		snprintf(v.why, sizeof(v.why), "fentry: no kernel BTF");
		goto out;
	}
	if (strchr(symbol, '.')) {
		snprintf(v.why, sizeof(v.why), "fentry: compiler clone %s has no BTF", symbol);
		goto out;
	}
	id = btf__find_by_name_kind(btf, symbol, BTF_KIND_FUNC);
	if (id <= 0) {
		snprintf(v.why, sizeof(v.why), "fentry: %s not in kernel BTF", symbol);
		goto out;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "itsperf_try", "GPL", insns, ARRAY_SIZE(insns),
			   &opts);
	if (fd < 0) {
		snprintf(v.why, sizeof(v.why), "fentry: load %s",
			 bpf_errname(fd, ebuf, sizeof(ebuf)));
		goto out;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0) {
		snprintf(v.why, sizeof(v.why), "fentry: attach %s",
			 bpf_errname(lfd, ebuf, sizeof(ebuf)));
		close(fd);
		goto out;
	}
	close(lfd);
	close(fd);
	v.ok = true;
out:
	if (nr_cache < (int)ARRAY_SIZE(cache))
		cache[nr_cache++] = v;
	snprintf(why, len, "%s", v.why);
	return v.ok;
}

int bpf_probe_mechanisms(const char *symbol, char *buf, size_t len)
{
	char fwhy[96] = "";
	char kwhy[96] = "";
	bool f, k;

	bpf_libbpf_setup();
	f = fentry_usable(symbol, fwhy, sizeof(fwhy));
	k = kprobe_usable(symbol, kwhy, sizeof(kwhy));
	if (f && k)
		snprintf(buf, len, "fentry,kprobe");
	else if (f)
		snprintf(buf, len, "fentry (kprobe: %s)", kwhy);
	else if (k)
		snprintf(buf, len, "kprobe (%s)", fwhy);
	else
		snprintf(buf, len, "none (%s; kprobe: %s)", fwhy, kwhy);
	return (f ? BPF_MECH_BIT_FENTRY : 0) | (k ? BPF_MECH_BIT_KPROBE : 0);
}

/* ---- function probes ---- */

static struct bpf_program *find_prog(struct bpf_object *obj, const char *prefix, const char *sfx)
{
	char name[128];

	snprintf(name, sizeof(name), "%s_%s", prefix, sfx);
	return bpf_object__find_program_by_name(obj, name);
}

static void set_autoload(struct bpf_program *a, struct bpf_program *b, bool on)
{
	if (a)
		bpf_program__set_autoload(a, on);
	if (b)
		bpf_program__set_autoload(b, on);
}

static int set_targets(struct bpf_fn_probe *p, const char *sym)
{
	int err = bpf_program__set_attach_target(p->fentry, 0, sym);

	if (!err && p->fexit)
		err = bpf_program__set_attach_target(p->fexit, 0, sym);
	return err;
}

static const struct probe_resolution *find_res(const struct collector_opts *o, const char *probe)
{
	int i;

	for (i = 0; o->probes && i < nr_logical_probes; i++)
		if (o->probes[i].probe && !strcmp(o->probes[i].probe->name, probe))
			return &o->probes[i];
	return NULL;
}

static void note_absent(struct bpf_fn_probe *p)
{
	const struct logical_probe *lp = probe_find(p->probe);
	size_t off;
	int i;

	off = snprintf(p->note, sizeof(p->note), "absent on this kernel (tried");
	for (i = 0; lp && i < PROBE_MAX_CANDIDATES && lp->candidates[i]; i++)
		off += snprintf(p->note + off, off < sizeof(p->note) ? sizeof(p->note) - off : 0,
				"%s %s", i ? "," : "", lp->candidates[i]);
	if (off < sizeof(p->note))
		snprintf(p->note + off, sizeof(p->note) - off, ")");
}

static int prepare_one(struct bpf_object *obj, struct bpf_fn_probe *p,
		       const struct collector_opts *o)
{
	char fwhy[96] = "";
	char kwhy[96] = "";
	const char *sym;
	bool f, k;

	p->fentry = find_prog(obj, p->prefix, "fentry");
	p->fexit = find_prog(obj, p->prefix, "fexit");
	p->kprobe = find_prog(obj, p->prefix, "kprobe");
	p->kretprobe = find_prog(obj, p->prefix, "kretprobe");
	set_autoload(p->fentry, p->fexit, false);
	set_autoload(p->kprobe, p->kretprobe, false);
	p->mech = BPF_MECH_NONE;
	p->res = find_res(o, p->probe);
	if (!p->res) {
		snprintf(p->note, sizeof(p->note), "not in the logical-probe table");
		return 0;
	}
	sym = p->res->symbol;
	if (!sym) {
		note_absent(p);
		return 0;
	}
	/* $ITSPERF_BPF_NO_FENTRY: kprobes only, to compare the mechanisms' cost */
	if (getenv("ITSPERF_BPF_NO_FENTRY")) {
		snprintf(fwhy, sizeof(fwhy), "fentry: off ($ITSPERF_BPF_NO_FENTRY)");
		f = false;
	} else {
		f = p->fentry && fentry_usable(sym, fwhy, sizeof(fwhy));
	}
	k = p->kprobe && kprobe_usable(sym, kwhy, sizeof(kwhy));
	if (f && set_targets(p, sym)) {
		snprintf(fwhy, sizeof(fwhy), "fentry: cannot target %s", sym);
		f = false;
	}
	if (f) {
		p->mech = BPF_MECH_FENTRY;
		set_autoload(p->fentry, p->fexit, true);
		/* loaded too, as the fallback if the real attach fails */
		p->kprobe_loaded = k;
		set_autoload(p->kprobe, p->kretprobe, k);
		p->note[0] = '\0';
		return 1;
	}
	if (k) {
		p->mech = BPF_MECH_KPROBE;
		p->kprobe_loaded = true;
		set_autoload(p->kprobe, p->kretprobe, true);
		snprintf(p->note, sizeof(p->note), "%s, fell back to kprobe", fwhy);
		return 1;
	}
	snprintf(p->note, sizeof(p->note), "disabled: %s%s%s", kwhy, fwhy[0] ? "; " : "", fwhy);
	return 0;
}

int bpf_fn_probes_prepare(struct bpf_object *obj, struct bpf_fn_probe *p, int n,
			  const struct collector_opts *o)
{
	int usable = 0;
	int i;

	bpf_libbpf_setup();
	for (i = 0; i < n; i++)
		usable += prepare_one(obj, &p[i], o);
	return usable;
}

static int attach_fentry(struct bpf_fn_probe *p)
{
	struct bpf_link *e, *x = NULL;
	int err;

	e = bpf_program__attach_trace(p->fentry);
	err = libbpf_get_error(e);
	if (err)
		return err;
	if (p->fexit) {
		x = bpf_program__attach_trace(p->fexit);
		err = libbpf_get_error(x);
		if (err) {
			bpf_link__destroy(e);
			return err;
		}
	}
	p->entry_link = e;
	p->exit_link = x;
	return 0;
}

static int attach_kprobe(struct bpf_fn_probe *p)
{
	LIBBPF_OPTS(bpf_kprobe_opts, ropts, .retprobe = true);
	struct bpf_link *e, *x = NULL;
	const char *sym = p->res->symbol;
	int err;

	e = bpf_program__attach_kprobe_opts(p->kprobe, sym, NULL);
	err = libbpf_get_error(e);
	if (err)
		return err;
	if (p->kretprobe) {
		x = bpf_program__attach_kprobe_opts(p->kretprobe, sym, &ropts);
		err = libbpf_get_error(x);
		if (err) {
			bpf_link__destroy(e);
			return err;
		}
	}
	p->entry_link = e;
	p->exit_link = x;
	return 0;
}

static void attach_one(struct bpf_fn_probe *p)
{
	char ebuf[48];
	int err;

	if (p->mech == BPF_MECH_FENTRY) {
		err = attach_fentry(p);
		if (!err)
			goto ok;
		if (!p->kprobe_loaded) {
			snprintf(p->note, sizeof(p->note),
				 "disabled: fentry attach %s, no kprobe fallback",
				 bpf_errname(err, ebuf, sizeof(ebuf)));
			p->mech = BPF_MECH_NONE;
			return;
		}
		snprintf(p->note, sizeof(p->note), "fentry: attach %s, fell back to kprobe",
			 bpf_errname(err, ebuf, sizeof(ebuf)));
		p->mech = BPF_MECH_KPROBE;
	}
	if (p->mech != BPF_MECH_KPROBE)
		return;
	err = attach_kprobe(p);
	if (!err)
		goto ok;
	snprintf(p->note + strlen(p->note), sizeof(p->note) - strlen(p->note), "%skprobe attach %s",
		 p->note[0] ? "; " : "disabled: ", bpf_errname(err, ebuf, sizeof(ebuf)));
	p->mech = BPF_MECH_NONE;
	return;
ok:
	p->attached = true;
}

int bpf_fn_probes_attach(struct bpf_fn_probe *p, int n)
{
	int attached = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!p[i].attached)
			attach_one(&p[i]);
		attached += p[i].attached;
		if (p[i].res && p[i].res->symbol)
			debug_msg("bpf: %s -> %s: %s%s%s", p[i].probe, p[i].res->symbol,
				  bpf_mech_name(p[i].mech), p[i].note[0] ? ", " : "", p[i].note);
	}
	return attached;
}

void bpf_fn_probes_detach(struct bpf_fn_probe *p, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		bpf_link__destroy(p[i].entry_link);
		bpf_link__destroy(p[i].exit_link);
		p[i].entry_link = NULL;
		p[i].exit_link = NULL;
		/* attached stays true: the status tells what was measured */
	}
}

/* ---- tracepoint probes ---- */

int bpf_tp_probes_prepare(struct bpf_object *obj, struct bpf_tp_probe *t, int n)
{
	int usable = 0;
	int i;

	bpf_libbpf_setup();
	for (i = 0; i < n; i++) {
		const char *ev = strchr(t[i].name, ':');
		bool have;

		t[i].p = bpf_object__find_program_by_name(obj, t[i].prog);
		t[i].enabled = false;
		if (!t[i].p) {
			snprintf(t[i].note, sizeof(t[i].note), "no program %s", t[i].prog);
			continue;
		}
		ev = ev ? ev + 1 : t[i].name;
		if (t[i].mech == BPF_MECH_TRACEPOINT)
			have = bpf_kernel_has_event(t[i].name);
		else
			have = btf_has_tracepoint(ev) || bpf_kernel_has_event(t[i].name);
		if (!have)
			snprintf(t[i].note, sizeof(t[i].note), "absent on this kernel");
		t[i].enabled = have;
		bpf_program__set_autoload(t[i].p, have);
		usable += have;
	}
	return usable;
}

int bpf_tp_probes_attach(struct bpf_tp_probe *t, int n)
{
	int attached = 0;
	char ebuf[48];
	int i;

	for (i = 0; i < n; i++) {
		struct bpf_link *l;
		int err;

		if (!t[i].enabled || t[i].attached) {
			attached += t[i].attached;
			continue;
		}
		l = bpf_program__attach(t[i].p);
		err = libbpf_get_error(l);
		if (err) {
			snprintf(t[i].note, sizeof(t[i].note), "attach %s",
				 bpf_errname(err, ebuf, sizeof(ebuf)));
			continue;
		}
		t[i].link = l;
		t[i].attached = true;
		t[i].note[0] = '\0';
		attached++;
	}
	return attached;
}

void bpf_tp_probes_detach(struct bpf_tp_probe *t, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		bpf_link__destroy(t[i].link);
		t[i].link = NULL;
	}
}

void bpf_probes_status_update(struct probe_status *st, const struct bpf_fn_probe *p, int n,
			      const struct bpf_tp_probe *t, int nt)
{
	int i;

	for (i = 0; i < n; i++, st++) {
		st->probe = p[i].probe;
		st->symbol = p[i].res ? p[i].res->symbol : NULL;
		st->mechanism = bpf_mech_name(p[i].mech);
		st->note = p[i].note[0] ? p[i].note : NULL;
		st->attached = p[i].attached;
	}
	for (i = 0; i < nt; i++, st++) {
		st->probe = t[i].name;
		st->symbol = NULL;
		st->mechanism = t[i].enabled ? bpf_mech_name(t[i].mech) : "none";
		st->note = t[i].note[0] ? t[i].note : NULL;
		st->attached = t[i].attached;
	}
}

struct probe_status *bpf_probes_status(const struct bpf_fn_probe *p, int n,
				       const struct bpf_tp_probe *t, int nt, int *nr)
{
	struct probe_status *st = xcalloc(n + nt ? n + nt : 1, sizeof(*st));

	bpf_probes_status_update(st, p, n, t, nt);
	*nr = n + nt;
	return st;
}
