// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel modules for the guest. Debian ships no modules.dep in the image
 * package, and a user's --modules tree may not have one either, so the
 * dependencies come from each module's own .modinfo section ("depends=",
 * written by modpost), as depmod itself does. Modules may be compressed:
 * .ko.xz (Debian 6.12) is read through `xz -dc`, .ko.zst and .ko.gz with
 * libzstd and zlib, which itsperf links anyway.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "lib/util.h"
#include "vm/vm.h"

static const char *const ko_suffixes[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };

static void normalize_name(char *s)
{
	for (; *s; s++)
		if (*s == '-')
			*s = '_';
}

/* ---- .modinfo ---- */

int modinfo_parse(const char *sec, size_t len, struct modinfo *mi)
{
	const char *p = sec;
	const char *end = sec + len;
	const char *nul;

	memset(mi, 0, sizeof(*mi));
	while (p < end) {
		nul = memchr(p, '\0', end - p);
		if (!nul)
			goto bad; /* a truncated last string */
		if (str_starts(p, "name=")) {
			free(mi->name);
			mi->name = xstrdup(p + 5);
			normalize_name(mi->name);
		} else if (str_starts(p, "vermagic=")) {
			free(mi->vermagic);
			mi->vermagic = xstrdup(p + 9);
		} else if (str_starts(p, "depends=")) {
			char *list = xstrdup(p + 8);
			char *save = NULL;
			char *d;

			for (d = strtok_r(list, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
				mi->depends = xrealloc(mi->depends,
						       (mi->nr_depends + 1) * sizeof(char *));
				mi->depends[mi->nr_depends] = xstrdup(d);
				normalize_name(mi->depends[mi->nr_depends++]);
			}
			free(list);
		}
		p = nul + 1;
		/* sections are padded with NULs between strings */
		while (p < end && !*p)
			p++;
	}
	return 0;
bad:
	modinfo_free(mi);
	errno = EINVAL;
	return -1;
}

void modinfo_free(struct modinfo *mi)
{
	int i;

	for (i = 0; i < mi->nr_depends; i++)
		free(mi->depends[i]);
	free(mi->depends);
	free(mi->name);
	free(mi->vermagic);
	memset(mi, 0, sizeof(*mi));
}

int elf_modinfo_section(const void *elf, size_t len, const char **sec, size_t *sec_len)
{
	const unsigned char *b = elf;
	Elf64_Shdr sh, strsh;
	Elf64_Ehdr eh;
	int i;

	if (len < sizeof(eh) || memcmp(b, ELFMAG, SELFMAG) || b[EI_CLASS] != ELFCLASS64 ||
	    b[EI_DATA] != ELFDATA2LSB)
		goto bad;
	memcpy(&eh, b, sizeof(eh));
	if (eh.e_shentsize != sizeof(sh) || eh.e_shstrndx >= eh.e_shnum || eh.e_shoff > len ||
	    (uint64_t)eh.e_shnum * sizeof(sh) > len - eh.e_shoff)
		goto bad;
	memcpy(&strsh, b + eh.e_shoff + (size_t)eh.e_shstrndx * sizeof(sh), sizeof(sh));
	if (strsh.sh_offset > len || strsh.sh_size > len - strsh.sh_offset)
		goto bad;
	for (i = 0; i < eh.e_shnum; i++) {
		memcpy(&sh, b + eh.e_shoff + (size_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_name >= strsh.sh_size)
			continue;
		if (strnlen((const char *)b + strsh.sh_offset + sh.sh_name,
			    strsh.sh_size - sh.sh_name) == strsh.sh_size - sh.sh_name)
			continue; /* name not NUL-terminated inside the table */
		if (strcmp((const char *)b + strsh.sh_offset + sh.sh_name, ".modinfo"))
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > len ||
		    sh.sh_size > len - sh.sh_offset)
			goto bad;
		*sec = (const char *)b + sh.sh_offset;
		*sec_len = sh.sh_size;
		return 0;
	}
	errno = ENOENT;
	return -1;
bad:
	errno = EINVAL;
	return -1;
}

char *module_name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name;
	size_t i, n;

	name = xstrdup(base ? base + 1 : path);
	n = strlen(name);
	for (i = 0; i < ARRAY_SIZE(ko_suffixes); i++) {
		size_t sl = strlen(ko_suffixes[i]);

		if (n > sl && !strcmp(name + n - sl, ko_suffixes[i])) {
			name[n - sl] = '\0';
			normalize_name(name);
			return name;
		}
	}
	free(name);
	return NULL;
}

/* ---- reading (and decompressing) a module ---- */

static bool has_suffix(const char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	return n >= m && !strcmp(s + n - m, sfx);
}

/* stdout of argv, whole; NULL + errno if it could not run or failed */
static char *run_capture(char *const argv[], size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	int status, pfd[2];
	char *buf;
	ssize_t r;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return NULL;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(pfd[0], buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		free(buf);
		errno = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ENOENT : EIO;
		return NULL;
	}
	*len = n;
	return buf;
}

static char *read_zstd(const char *path, size_t *len)
{
	ZSTD_DStream *ds = NULL;
	char *in, *out = NULL;
	size_t in_len, cap, ret;
	ZSTD_outBuffer ob;
	ZSTD_inBuffer ib;

	in = read_file(path, &in_len);
	if (!in)
		return NULL;
	ds = ZSTD_createDStream();
	if (!ds)
		goto fail;
	cap = in_len * 4 + 4096;
	out = xmalloc(cap);
	ib = (ZSTD_inBuffer){ in, in_len, 0 };
	ob = (ZSTD_outBuffer){ out, cap, 0 };
	do {
		if (ob.pos == ob.size) {
			cap *= 2;
			out = xrealloc(out, cap);
			ob.dst = out;
			ob.size = cap;
		}
		ret = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(ret))
			goto fail;
	} while (ret && (ib.pos < ib.size || ob.pos == ob.size));
	if (ret)
		goto fail; /* truncated frame */
	ZSTD_freeDStream(ds);
	free(in);
	*len = ob.pos;
	return out;
fail:
	ZSTD_freeDStream(ds);
	free(in);
	free(out);
	errno = EINVAL;
	return NULL;
}

static char *read_gzip(const char *path, size_t *len)
{
	size_t cap = 1 << 18, n = 0;
	char *buf;
	gzFile gz;
	int r;

	gz = gzopen(path, "rb");
	if (!gz)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = gzread(gz, buf + n, cap - n > (1u << 30) ? 1u << 30 : cap - n);
		if (r < 0) {
			gzclose(gz);
			free(buf);
			errno = EINVAL;
			return NULL;
		}
		if (r == 0)
			break;
		n += r;
	}
	gzclose(gz);
	*len = n;
	return buf;
}

char *module_read(const char *path, size_t *len)
{
	if (has_suffix(path, ".xz")) {
		char *const argv[] = { "xz", "-dc", "--", (char *)path, NULL };

		return run_capture(argv, len);
	}
	if (has_suffix(path, ".zst"))
		return read_zstd(path, len);
	if (has_suffix(path, ".gz"))
		return read_gzip(path, len);
	return read_file(path, len);
}

static int kmod_load_info(struct kmod *m)
{
	const char *sec;
	size_t len, sec_len;
	char *data;
	int ret;

	if (m->info_loaded)
		return 0;
	data = module_read(m->path, &len);
	if (!data) {
		err_msg("cannot read module %s: %s", m->path,
			errno == ENOENT ? "decompressor (xz) not found" : strerror(errno));
		return -1;
	}
	ret = elf_modinfo_section(data, len, &sec, &sec_len);
	if (!ret)
		ret = modinfo_parse(sec, sec_len, &m->info);
	free(data);
	if (ret) {
		err_msg("%s: no readable .modinfo section (not an arm64 kernel module?)", m->path);
		return -1;
	}
	m->info_loaded = true;
	return 0;
}

/* ---- index of a module tree ---- */

static struct kmod_index *scan_ix;

static void read_builtin(struct kmod_index *ix, const char *path)
{
	char *text = read_file(path, NULL);
	char *save = NULL;
	char *line;
	char *name;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		name = module_name_from_path(line);
		if (!name)
			continue;
		ix->builtin = xrealloc(ix->builtin, (ix->nr_builtin + 1) * sizeof(char *));
		ix->builtin[ix->nr_builtin++] = name;
	}
	free(text);
}

static int scan_one(const char *path, const struct stat *st __unused, int type,
		    struct FTW *ftw __unused)
{
	struct kmod_index *ix = scan_ix;
	const char *base;
	char *name;

	if (type != FTW_F)
		return 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!strcmp(base, "modules.builtin")) {
		read_builtin(ix, path);
		return 0;
	}
	name = module_name_from_path(path);
	if (!name)
		return 0;
	if (kmod_find(ix, name)) {
		debug_msg("module %s: using the first of several copies, ignoring %s", name, path);
		free(name);
		return 0;
	}
	if (ix->nr == ix->cap) {
		ix->cap = ix->cap ? ix->cap * 2 : 256;
		ix->mods = xrealloc(ix->mods, ix->cap * sizeof(*ix->mods));
	}
	memset(&ix->mods[ix->nr], 0, sizeof(ix->mods[0]));
	ix->mods[ix->nr].name = name;
	ix->mods[ix->nr].path = xstrdup(path);
	ix->nr++;
	return 0;
}

int kmod_index_scan(struct kmod_index *ix, const char *dir)
{
	int ret;

	scan_ix = ix;
	ret = nftw(dir, scan_one, 32, FTW_PHYS);
	scan_ix = NULL;
	return ret ? -1 : 0;
}

struct kmod *kmod_find(struct kmod_index *ix, const char *name)
{
	int i;

	for (i = 0; i < ix->nr; i++)
		if (!strcmp(ix->mods[i].name, name))
			return &ix->mods[i];
	return NULL;
}

bool kmod_is_builtin(const struct kmod_index *ix, const char *name)
{
	int i;

	for (i = 0; i < ix->nr_builtin; i++)
		if (!strcmp(ix->builtin[i], name))
			return true;
	return false;
}

static bool in_order(struct kmod **order, int nr, const struct kmod *m)
{
	int i;

	for (i = 0; i < nr; i++)
		if (order[i] == m)
			return true;
	return false;
}

static int resolve(struct kmod_index *ix, const char *name, const char *needed_by,
		   struct kmod ***order, int *nr, int depth)
{
	struct kmod *m = kmod_find(ix, name);
	int i;

	if (!m) {
		if (kmod_is_builtin(ix, name))
			return 0;
		if (needed_by)
			err_msg("module %s needs %s, which is not in the module tree", needed_by,
				name);
		errno = ENOENT;
		return -1;
	}
	if (in_order(*order, *nr, m))
		return 0;
	if (depth > 64) {
		err_msg("module %s: dependency loop", name);
		errno = ELOOP;
		return -1;
	}
	if (kmod_load_info(m))
		return -1;
	for (i = 0; i < m->info.nr_depends; i++)
		if (resolve(ix, m->info.depends[i], m->name, order, nr, depth + 1))
			return -1;
	*order = xrealloc(*order, (*nr + 1) * sizeof(**order));
	(*order)[(*nr)++] = m;
	return 0;
}

int kmod_resolve(struct kmod_index *ix, const char *name, struct kmod ***order, int *nr)
{
	return resolve(ix, name, NULL, order, nr, 0);
}

void kmod_index_free(struct kmod_index *ix)
{
	int i;

	for (i = 0; i < ix->nr; i++) {
		free(ix->mods[i].name);
		free(ix->mods[i].path);
		modinfo_free(&ix->mods[i].info);
	}
	for (i = 0; i < ix->nr_builtin; i++)
		free(ix->builtin[i]);
	free(ix->mods);
	free(ix->builtin);
	memset(ix, 0, sizeof(*ix));
}
