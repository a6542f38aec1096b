// SPDX-License-Identifier: GPL-2.0
/*
 * vm/: shell quoting (checked by the real /bin/sh), the newc writer (checked
 * by the real cpio), .modinfo/ELF parsing and dependency order (synthetic
 * modules in every compression, plus Debian's own when make deps has run),
 * the console stream (markers, byte-exact output, any chunking), mode lines,
 * the QEMU/kernel command lines and `itsperf vm info` on saved logs.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <cmocka.h>

#include "lib/util.h"
#include "vm/vm.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/itsperf-test-vm.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

/* stdout of `sh -c script` */
static char *sh_output(const char *script)
{
	char buf[4096];
	size_t n = 0;
	FILE *p;

	p = popen(script, "r");
	assert_non_null(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	return xstrdup(buf);
}

/* ---- shell quoting ---- */

static void test_shell_quote(void **state __unused)
{
	static const char *const words[] = {
		"plain",     "",      "a b",   "it's",	     "'",	    "''",
		"$HOME",     "`id`",  "$(id)", "a\"b",	     "back\\slash", "new\nline",
		"tab\there", "*",     "~",     "semi;colon", "-n",	    "--",
		"!x",	     "{a,b}", "100%",  "a=b",
	};
	char *q, *script, *out;
	char expect[1024] = "";
	size_t i;

	q = shell_quote("plain-word_1.2:/x=y");
	assert_string_equal(q, "plain-word_1.2:/x=y"); /* safe words stay readable */
	free(q);
	q = shell_quote("it's");
	assert_string_equal(q, "'it'\\''s'");
	free(q);

	/* every word comes back from the real shell unchanged, as one argument */
	q = shell_quote_argv(ARRAY_SIZE(words), (char *const *)words);
	script = xasprintf("printf '[%%s]' %s", q);
	out = sh_output(script);
	for (i = 0; i < ARRAY_SIZE(words); i++) {
		strcat(expect, "[");
		strcat(expect, words[i]);
		strcat(expect, "]");
	}
	assert_string_equal(out, expect);
	free(q);
	free(script);
	free(out);

	/* run as the guest does, `sh /etc/itsperf/cmd`: `itsperf vm -- exit 3` exits 3 */
	{
		char *argv[] = { "exit", "3" };
		char *dir = tmpdir();
		char *file = xasprintf("%s/cmd", dir);

		q = shell_quote_argv(2, argv);
		assert_int_equal(write_file_str(file, q), 0);
		script = xasprintf("sh %s; echo $?", file);
		out = sh_output(script);
		assert_string_equal(out, "3\n");
		free(q);
		free(script);
		free(out);
		rm_rf(dir);
		free(file);
		free(dir);
	}
}

/* ---- newc writer ---- */

static void test_cpio_writer(void **state __unused)
{
	static const char odd[] = "odd length!"; /* 11 bytes: exercises padding */
	char *dir = tmpdir();
	char *path, *cmd, *out, *data;
	struct cpio c;
	size_t len;

	cpio_init(&c);
	assert_int_equal(cpio_add_file(&c, "lib/modules/6.1/a.ko", 0644, odd, strlen(odd)), 0);
	assert_int_equal(cpio_add_symlink(&c, "bin/sh", "busybox"), 0);
	assert_int_equal(cpio_add_file(&c, "bin/empty", 0755, "", 0), 0);
	assert_int_equal(cpio_add_dir(&c, "tmp", 01777), 0);
	assert_int_equal(cpio_add_dir(&c, "lib/modules", 0755), 0); /* already there */
	assert_int_equal(cpio_add_chardev(&c, "dev/console", 0600, 5, 1), 0);
	assert_int_equal(cpio_add_file(&c, "/abs", 0644, "x", 1), -1);
	assert_int_equal(cpio_add_file(&c, "a/../b", 0644, "x", 1), -1);
	cpio_finish(&c);
	assert_int_equal(c.len % 512, 0);
	assert_memory_equal(c.buf, "070701", 6);

	path = xasprintf("%s/test.cpio", dir);
	assert_int_equal(write_file(path, c.buf, c.len), 0);
	cpio_free(&c);

	/* GNU cpio lists what the kernel will unpack, parents before children */
	cmd = xasprintf("cpio -it --quiet < %s", path);
	out = sh_output(cmd);
	assert_string_equal(out, "lib\nlib/modules\nlib/modules/6.1\nlib/modules/6.1/a.ko\n"
				 "bin\nbin/sh\nbin/empty\ntmp\ndev\ndev/console\n");
	free(out);
	free(cmd);
	cmd = xasprintf("cpio -itv --quiet < %s | awk '{print $1}' | tr '\\n' ' '", path);
	out = sh_output(cmd);
	assert_string_equal(out, "drwxr-xr-x drwxr-xr-x drwxr-xr-x -rw-r--r-- drwxr-xr-x "
				 "lrwxrwxrwx -rwxr-xr-x drwxrwxrwt drwxr-xr-x crw------- ");
	free(out);
	free(cmd);
	/* contents and symlink target survive extraction */
	cmd = xasprintf("cd %s && mkdir x && cd x && cpio -id --quiet --no-absolute-filenames "
			"'lib/*' 'bin/*' < ../test.cpio && readlink bin/sh",
			dir);
	out = sh_output(cmd);
	assert_string_equal(out, "busybox\n");
	free(out);
	free(cmd);
	free(path);
	path = xasprintf("%s/x/lib/modules/6.1/a.ko", dir);
	data = read_file(path, &len);
	assert_non_null(data);
	assert_int_equal(len, strlen(odd));
	assert_memory_equal(data, odd, len);
	free(data);
	free(path);
	rm_rf(dir);
	free(dir);
}

/* ---- .modinfo and module dependencies ---- */

/* a minimal ELF64 relocatable with a .modinfo section holding info[len] */
static char *fake_module(const char *info, size_t info_len, size_t *len)
{
	static const char shstr[] = "\0.modinfo\0.shstrtab";
	size_t off_info = sizeof(Elf64_Ehdr);
	size_t off_str = off_info + info_len;
	size_t off_sh = (off_str + sizeof(shstr) + 7) & ~7ul;
	Elf64_Shdr sh[3];
	Elf64_Ehdr eh;
	char *buf;

	*len = off_sh + sizeof(sh);
	buf = xcalloc(1, *len);
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_REL;
	eh.e_machine = EM_AARCH64;
	eh.e_shoff = off_sh;
	eh.e_ehsize = sizeof(eh);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 3;
	eh.e_shstrndx = 2;
	memset(sh, 0, sizeof(sh));
	sh[1].sh_name = 1;
	sh[1].sh_type = SHT_PROGBITS;
	sh[1].sh_offset = off_info;
	sh[1].sh_size = info_len;
	sh[2].sh_name = 10;
	sh[2].sh_type = SHT_STRTAB;
	sh[2].sh_offset = off_str;
	sh[2].sh_size = sizeof(shstr);
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + off_info, info, info_len);
	memcpy(buf + off_str, shstr, sizeof(shstr));
	memcpy(buf + off_sh, sh, sizeof(sh));
	return buf;
}

static void test_modinfo_parse(void **state __unused)
{
	static const char sec[] = "license=GPL\0depends=virtio_ring,net-failover\0\0\0"
				  "name=virtio-net\0vermagic=6.1.0-56-arm64 SMP mod_unload aarch64";
	struct modinfo mi;

	assert_int_equal(modinfo_parse(sec, sizeof(sec), &mi), 0);
	assert_string_equal(mi.name, "virtio_net");
	assert_int_equal(mi.nr_depends, 2);
	assert_string_equal(mi.depends[0], "virtio_ring");
	assert_string_equal(mi.depends[1], "net_failover");
	assert_string_equal(mi.vermagic, "6.1.0-56-arm64 SMP mod_unload aarch64");
	modinfo_free(&mi);

	assert_int_equal(modinfo_parse("depends=\0", 9, &mi), 0);
	assert_int_equal(mi.nr_depends, 0);
	modinfo_free(&mi);

	/* a string running off the end of the section is rejected */
	assert_int_equal(modinfo_parse("name=trunc", 10, &mi), -1);
	assert_null(mi.name);
}

static void test_elf_modinfo(void **state __unused)
{
	static const char info[] = "name=a\0depends=b\0";
	const char *sec;
	size_t len, sec_len, n;
	char *elf;

	elf = fake_module(info, sizeof(info), &len);
	assert_int_equal(elf_modinfo_section(elf, len, &sec, &sec_len), 0);
	assert_int_equal(sec_len, sizeof(info));
	assert_memory_equal(sec, info, sizeof(info));
	/* every truncation is rejected, none reads out of bounds */
	for (n = 0; n < len; n++)
		assert_int_equal(elf_modinfo_section(elf, n, &sec, &sec_len), -1);
	/* a section pointing past the end */
	((Elf64_Shdr *)(elf + ((Elf64_Ehdr *)elf)->e_shoff))[1].sh_size = 1 << 30;
	assert_int_equal(elf_modinfo_section(elf, len, &sec, &sec_len), -1);
	free(elf);
	assert_int_equal(elf_modinfo_section("not an elf at all, really not", 29, &sec, &sec_len),
			 -1);
}

static void test_module_names(void **state __unused)
{
	static const struct {
		const char *path, *name;
	} cases[] = {
		{ "kernel/drivers/char/hw_random/virtio-rng.ko.xz", "virtio_rng" },
		{ "9pnet_virtio.ko", "9pnet_virtio" },
		{ "a/b/vfio-pci.ko.zst", "vfio_pci" },
		{ "x.ko.gz", "x" },
		{ "modules.order", NULL },
		{ "notako.kox", NULL },
	};
	size_t i;
	char *n;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		n = module_name_from_path(cases[i].path);
		if (cases[i].name)
			assert_string_equal(n, cases[i].name);
		else
			assert_null(n);
		free(n);
	}
}

static void write_module(const char *dir, const char *file, const char *info, size_t info_len)
{
	char *path = xasprintf("%s/%s", dir, file);
	size_t len;
	char *elf = fake_module(info, info_len, &len);

	if (strstr(file, ".gz")) {
		gzFile gz = gzopen(path, "wb");

		assert_non_null(gz);
		assert_int_equal(gzwrite(gz, elf, len), (int)len);
		gzclose(gz);
	} else if (strstr(file, ".zst")) {
		size_t cap = ZSTD_compressBound(len);
		char *z = xmalloc(cap);
		size_t zl = ZSTD_compress(z, cap, elf, len, 3);

		assert_false(ZSTD_isError(zl));
		assert_int_equal(write_file(path, z, zl), 0);
		free(z);
	} else if (strstr(file, ".xz")) {
		char *plain = xasprintf("%s/plain.tmp", dir);
		char *cmd = xasprintf("xz -c %s > %s && rm %s", plain, path, plain);

		assert_int_equal(write_file(plain, elf, len), 0);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		free(plain);
	} else {
		assert_int_equal(write_file(path, elf, len), 0);
	}
	free(elf);
	free(path);
}

static void test_kmod_resolve(void **state __unused)
{
#define INFO(s) s, sizeof(s)
	char *dir = tmpdir();
	char *sub = xasprintf("%s/kernel/drivers", dir);
	struct kmod **order = NULL;
	struct kmod_index ix = { 0 };
	char *builtin;
	int nr = 0;

	mkdir_p(sub, 0755);
	write_module(sub, "top-mod.ko.xz", INFO("name=top_mod\0depends=mid,leaf\0"));
	write_module(sub, "mid.ko.zst", INFO("name=mid\0depends=leaf,core\0"));
	write_module(dir, "leaf.ko.gz", INFO("name=leaf\0depends=\0"));
	write_module(dir, "broken.ko", INFO("name=broken\0depends=absent\0"));
	write_module(dir, "loop_a.ko", INFO("name=loop_a\0depends=loop_b\0"));
	write_module(dir, "loop_b.ko", INFO("name=loop_b\0depends=loop_a\0"));
	builtin = xasprintf("%s/modules.builtin", dir);
	write_file_str(builtin, "kernel/drivers/core.ko\n");

	assert_int_equal(kmod_index_scan(&ix, dir), 0);
	assert_int_equal(ix.nr, 6);
	assert_true(kmod_is_builtin(&ix, "core"));
	assert_int_equal(kmod_resolve(&ix, "top_mod", &order, &nr), 0);
	/* dependencies first, each once; the built-in one is not loaded */
	assert_int_equal(nr, 3);
	assert_string_equal(order[0]->name, "leaf");
	assert_string_equal(order[1]->name, "mid");
	assert_string_equal(order[2]->name, "top_mod");
	assert_int_equal(kmod_resolve(&ix, "mid", &order, &nr), 0);
	assert_int_equal(nr, 3);
	assert_int_equal(kmod_resolve(&ix, "broken", &order, &nr), -1);
	assert_int_equal(kmod_resolve(&ix, "nonexistent", &order, &nr), -1);
	assert_int_equal(kmod_resolve(&ix, "loop_a", &order, &nr), -1);
	free(order);
	kmod_index_free(&ix);
	rm_rf(dir);
	free(builtin);
	free(sub);
	free(dir);
#undef INFO
}

/* Debian's modules, when make deps has fetched them: the real .modinfo */
static void test_debian_modules(void **state __unused)
{
	static const char *const trees[] = {
		"build/kernels/6.12/lib/modules/6.12.117+deb12-arm64",
		"build/kernels/6.1/lib/modules/6.1.0-56-arm64",
	};
	struct kmod **order = NULL;
	struct kmod_index ix;
	int tested = 0;
	size_t t;
	int i, nr;

	for (t = 0; t < ARRAY_SIZE(trees); t++) {
		char *dir = NULL;

		if (!path_exists(trees[t]))
			continue;
		dir = xstrdup(trees[t]);
		memset(&ix, 0, sizeof(ix));
		nr = 0;
		assert_int_equal(kmod_index_scan(&ix, dir), 0);
		assert_int_equal(kmod_resolve(&ix, "virtio_net", &order, &nr), 0);
		/* virtio_net needs net_failover, which needs failover */
		assert_int_equal(nr, 3);
		assert_string_equal(order[0]->name, "failover");
		assert_string_equal(order[1]->name, "net_failover");
		assert_string_equal(order[2]->name, "virtio_net");
		for (i = 0; i < nr; i++)
			assert_non_null(strstr(order[i]->info.vermagic, "aarch64"));
		nr = 0;
		assert_int_equal(kmod_resolve(&ix, "9p", &order, &nr), 0);
		assert_string_equal(order[nr - 1]->name, "9p");
		kmod_index_free(&ix);
		free(dir);
		tested++;
	}
	free(order);
	if (!tested)
		skip();
}

/* ---- console stream ---- */

struct con_result {
	char out[32768];
	size_t out_len;
	int status;
	bool panic;
	enum pkvm_mode mode;
	char mismatch[32];
};

/* feed text in chunks of `chunk` bytes (0: all at once) */
static void run_console(const char *text, size_t chunk, struct con_result *r)
{
	int fd = memfd_create("out", 0);
	struct console c;
	size_t off = 0, n;

	assert_true(fd >= 0);
	console_init(&c, "n0nce", fd, NULL, NULL);
	while (off < strlen(text)) {
		n = chunk ? chunk : strlen(text);
		if (n > strlen(text) - off)
			n = strlen(text) - off;
		console_feed(&c, text + off, n);
		off += n;
	}
	console_finish(&c);
	r->status = c.exit_status;
	r->panic = c.panic;
	r->mode = c.mode;
	snprintf(r->mismatch, sizeof(r->mismatch), "%s", c.mode_mismatch ? c.mode_mismatch : "");
	console_free(&c);
	lseek(fd, 0, SEEK_SET);
	r->out_len = read(fd, r->out, sizeof(r->out) - 1);
	r->out[r->out_len] = '\0';
	close(fd);
}

static void check_console(const char *text, const char *out, int status)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7, 64 };
	struct con_result r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(chunks); i++) {
		run_console(text, chunks[i], &r);
		assert_string_equal(r.out, out);
		assert_int_equal(r.status, status);
	}
}

#define BOOT                                                                  \
	"[    0.1] Booting Linux\r\n"                                         \
	"[    0.7] kvm [1]: Protected hVHE mode initialized successfully\r\n" \
	"\nITSPERF:n0nce:begin\n"

static void test_console(void **state __unused)
{
	struct con_result r;

	/* output without, with one and with two trailing newlines: byte exact */
	check_console(BOOT "a\nb\nITSPERF:n0nce:exit:3\n", "a\nb", 3);
	check_console(BOOT "a\nb\n\nITSPERF:n0nce:exit:0\n", "a\nb\n", 0);
	check_console(BOOT "x\n\n\nITSPERF:n0nce:exit:0\n", "x\n\n", 0);
	check_console(BOOT "\nITSPERF:n0nce:exit:0\n", "", 0);
	/* markers of another nonce, or not at a line start, are output */
	check_console(BOOT "ITSPERF:other:exit:9\nsay ITSPERF:n0nce:exit:9\n"
			   "\nITSPERF:n0nce:exit:1\n",
		      "ITSPERF:other:exit:9\nsay ITSPERF:n0nce:exit:9\n", 1);
	/* \r\n of a marker line (a tty with opost) still counts */
	check_console(BOOT "out\r\n\r\nITSPERF:n0nce:exit:4\r\n", "out\r\n\r", 4);
	/* after the exit marker: poweroff messages, not output */
	check_console(BOOT "ok\n\nITSPERF:n0nce:exit:0\n[ 2.0] reboot: Power down\n", "ok\n", 0);
	/* nothing of the boot log reaches the output */
	check_console("[ 0.1] Booting\n[ 0.2] more\n", "", -1);

	run_console(BOOT "\n[ 1.0] Kernel panic - not syncing: sysrq triggered crash\n", 5, &r);
	assert_true(r.panic);
	assert_int_equal(r.status, -1);
	assert_int_equal(r.mode, PKVM_MODE_PROTECTED_HVHE);

	run_console("[ 0.5] kvm [1]: VHE mode initialized successfully\r\n"
		    "\nITSPERF:n0nce:mode:vhe\n",
		    0, &r);
	assert_int_equal(r.mode, PKVM_MODE_VHE);
	assert_string_equal(r.mismatch, "vhe");
	assert_int_equal(r.out_len, 0);

	/* a line longer than the line buffer passes unchanged */
	{
		char *text = xmalloc(20000);
		char *want = xmalloc(20000);

		memset(want, 'z', 9000);
		want[9000] = '\0';
		snprintf(text, 20000, BOOT "%s\nITSPERF:n0nce:exit:0\n", want);
		run_console(text, 100, &r);
		assert_int_equal(r.out_len, 9000);
		assert_int_equal(r.status, 0);
		free(text);
		free(want);
	}
}

/* nobody reads COMMAND's output any more (`| head`): noticed, not fatal */
static void test_console_closed_stdout(void **state __unused)
{
	struct console c;
	int pfd[2];

	assert_int_equal(pipe(pfd), 0);
	close(pfd[0]);
	signal(SIGPIPE, SIG_IGN);
	console_init(&c, "n0nce", pfd[1], NULL, NULL);
	console_feed(&c, BOOT, strlen(BOOT));
	assert_false(c.out_closed); /* the boot log is not COMMAND's output */
	console_feed(&c, "line\n", 5);
	assert_true(c.out_closed);
	console_free(&c);
	close(pfd[1]);
}

/* ---- mode lines ---- */

static void test_pkvm_mode(void **state __unused)
{
	static const struct {
		const char *line;
		enum pkvm_mode mode;
	} cases[] = {
		{ "[ 0.6] kvm [1]: Protected hVHE mode initialized successfully",
		  PKVM_MODE_PROTECTED_HVHE },
		{ "kvm [1]: Protected nVHE mode initialized successfully",
		  PKVM_MODE_PROTECTED_NVHE },
		{ "[ 0.9] kvm [1]: Hyp nVHE mode initialized successfully", PKVM_MODE_NVHE },
		{ "kvm [1]: Hyp hVHE mode initialized successfully", PKVM_MODE_HVHE },
		{ "<6>[ 0.5] kvm [1]: Hyp mode initialized successfully", PKVM_MODE_NVHE },
		{ "[ 0.4] kvm [1]: VHE mode initialized successfully", PKVM_MODE_VHE },
		{ "Capping linear region to 51 bits for KVM in nVHE mode on LVA",
		  PKVM_MODE_UNKNOWN },
		{ "kvm [1]: IPA Size Limit: 52 bits", PKVM_MODE_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(pkvm_mode_from_line(cases[i].line), cases[i].mode);
	assert_int_equal(pkvm_mode_from_log("a\nkvm [1]: Hyp nVHE mode initialized successfully\n"
					    "b\n"),
			 PKVM_MODE_NVHE);
	assert_int_equal(pkvm_mode_from_log(""), PKVM_MODE_UNKNOWN);

	assert_true(vm_mode_satisfied(VM_MODE_PROTECTED, PKVM_MODE_PROTECTED_HVHE));
	assert_true(vm_mode_satisfied(VM_MODE_PROTECTED, PKVM_MODE_PROTECTED_NVHE));
	assert_false(vm_mode_satisfied(VM_MODE_PROTECTED, PKVM_MODE_VHE));
	assert_false(vm_mode_satisfied(VM_MODE_PROTECTED, PKVM_MODE_NVHE));
	assert_false(vm_mode_satisfied(VM_MODE_PROTECTED_NVHE, PKVM_MODE_PROTECTED_HVHE));
	assert_true(vm_mode_satisfied(VM_MODE_PROTECTED_NVHE, PKVM_MODE_PROTECTED_NVHE));
	assert_true(vm_mode_satisfied(VM_MODE_NVHE, PKVM_MODE_NVHE));
	assert_false(vm_mode_satisfied(VM_MODE_NVHE, PKVM_MODE_UNKNOWN));
}

/* ---- command lines ---- */

static bool argv_has(char **argv, const char *s)
{
	for (; *argv; argv++)
		if (strstr(*argv, s))
			return true;
	return false;
}

static void test_qemu_argv(void **state __unused)
{
	struct vm_config cfg = {
		.qemu = "/usr/bin/qemu-system-aarch64",
		.image = "/k/Image",
		.initrd = "/t/i",
		.release = "6.12",
		.mode = VM_MODE_PROTECTED,
		.gic = 3,
		.cpus = 2,
		.mem = "2G",
		.out_dir = "/o,ut",
		.disk = "/t/d.img",
	};
	char **argv;
	char *cl;

	cl = vm_kernel_cmdline(&cfg);
	assert_string_equal(cl, "console=ttyAMA0 panic=-1 rdinit=/init kvm-arm.mode=protected "
				"itsperf.clock=wall");
	free(cl);
	argv = vm_qemu_argv(&cfg);
	assert_string_equal(argv[0], "/usr/bin/qemu-system-aarch64");
	assert_true(argv_has(argv, "virt,gic-version=3,its=on,virtualization=on"));
	assert_true(argv_has(argv, "-no-reboot"));
	assert_true(argv_has(argv, "path=/o,,ut,")); /* QEMU option comma escaped */
	assert_true(argv_has(argv, "virtio-blk-pci"));
	assert_true(argv_has(argv, "virtio-rng-pci"));
	assert_false(argv_has(argv, "mount_tag=share"));
	assert_false(argv_has(argv, "logfile"));
	assert_false(argv_has(argv, "-icount"));
	strv_free(argv);

	cfg.mode = VM_MODE_PROTECTED_NVHE;
	cfg.gic = 4;
	cfg.append = "foo=1";
	cfg.share_dir = "/s";
	cfg.interactive = true;
	cfg.console_log = "/o/console.log";
	cl = vm_kernel_cmdline(&cfg);
	assert_string_equal(cl, "console=ttyAMA0 panic=-1 rdinit=/init kvm-arm.mode=protected "
				"arm64_sw.hvhe=0 id_aa64mmfr1.vh=0 kvm-arm.vgic_v4_enable=1 "
				"itsperf.clock=wall foo=1");
	free(cl);
	argv = vm_qemu_argv(&cfg);
	assert_true(argv_has(argv, "gic-version=4"));
	assert_true(argv_has(argv, "path=/s,security_model=none,readonly=on"));
	assert_true(argv_has(argv, "mount_tag=share"));
	assert_true(argv_has(argv, "logfile=/o/console.log"));
	strv_free(argv);

	cfg.mode = VM_MODE_NVHE;
	cfg.gic = 3;
	cfg.append = NULL;
	cl = vm_kernel_cmdline(&cfg);
	assert_string_equal(cl, "console=ttyAMA0 panic=-1 rdinit=/init kvm-arm.mode=nvhe "
				"itsperf.clock=wall");
	free(cl);

	/* --clock icount:3: single-threaded TCG, the shift, and the guest told */
	cfg.icount = true;
	cfg.icount_shift = 3;
	cl = vm_kernel_cmdline(&cfg);
	assert_string_equal(cl, "console=ttyAMA0 panic=-1 rdinit=/init kvm-arm.mode=nvhe "
				"itsperf.clock=icount:3");
	free(cl);
	argv = vm_qemu_argv(&cfg);
	assert_true(argv_has(argv, "tcg,thread=single"));
	assert_true(argv_has(argv, "shift=3,sleep=off"));
	strv_free(argv);
}

static void test_clock_parse(void **state __unused)
{
	int shift = 99;

	assert_int_equal(vm_clock_parse("wall", &shift), 0);
	assert_int_equal(shift, VM_CLOCK_WALL);
	assert_int_equal(vm_clock_parse("icount", &shift), 0);
	assert_int_equal(shift, VM_ICOUNT_DEFAULT_SHIFT);
	assert_int_equal(vm_clock_parse("icount:4", &shift), 0);
	assert_int_equal(shift, 4);
	assert_int_equal(vm_clock_parse("icount:", &shift), -1);
	assert_int_equal(vm_clock_parse("icount:x", &shift), -1);
	assert_int_equal(vm_clock_parse("icount:-1", &shift), -1);
	assert_int_equal(vm_clock_parse("icount:11", &shift), -1);
	assert_int_equal(vm_clock_parse("icountx", &shift), -1);
	assert_int_equal(vm_clock_parse("tsc", &shift), -1);
}

/* ---- itsperf vm info on saved logs ---- */

static char *capture_info(int argc, char **argv, int *ret)
{
	char *dir = tmpdir();
	char *path = xasprintf("%s/stdout", dir);
	int saved = dup(1);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char *out;

	fflush(stdout);
	dup2(fd, 1);
	*ret = vm_guest_info(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	out = read_file(path, NULL);
	rm_rf(dir);
	free(dir);
	free(path);
	return out;
}

static void test_guest_info(void **state __unused)
{
	static const char dmesg[] =
		"[    0.000000] ITS [mem 0x08080000-0x0809ffff]\n"
		"[    0.000000] ITS@0x0000000008080000: allocated 8192 Devices @431d0000\n"
		"[    0.000000] ITS@0x0000000008080000: allocated 8192 Interrupt Collections\n"
		"[    0.000000] ITS: Enabling GICv4 support\n"
		"[    0.638426] kvm [1]: GICv4 support enabled\n"
		"[    0.640361] kvm [1]: Protected nVHE mode initialized successfully\n";
	static const char irqs[] =
		"           CPU0       CPU1       \n"
		" 11:       3120       2890     GICv3  27 Level     arch_timer\n"
		" 22:          1          2   ITS-MSI 49153 Edge      virtio2-req.0\n"
		" 26:          0          5  ITS-PCI-MSIX-0000:00:01.0   1 Edge      virtio0-input.0\n";
	char *dir = tmpdir();
	char *dpath = xasprintf("%s/dmesg", dir);
	char *ipath = xasprintf("%s/interrupts", dir);
	char *argv[8];
	char *out;
	int ret;

	write_file_str(dpath, dmesg);
	write_file_str(ipath, irqs);
	argv[0] = "info";
	argv[1] = "--dmesg";
	argv[2] = dpath;
	argv[3] = "--interrupts";
	argv[4] = ipath;
	argv[5] = NULL;
	out = capture_info(5, argv, &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(out, "pkvm_mode=protected-nvhe\n"));
	assert_non_null(strstr(out, "its=1\n"));
	assert_non_null(strstr(out, "gicv4=1\n"));
	assert_non_null(strstr(out, "kvm_gicv4=enabled\n"));
	assert_non_null(strstr(out, "its_irqs=2\n"));
	/* both label formats, one parser: 6.1's hwirq decodes to the BDF */
	assert_non_null(strstr(out, "its_irq=22,0000:00:03.0,1,its-msi,3,virtio2-req.0\n"));
	assert_non_null(strstr(out, "its_irq=26,0000:00:01.0,1,pci-msi,5,virtio0-input.0\n"));
	free(out);

	argv[5] = "--key";
	argv[6] = "pkvm_mode";
	out = capture_info(7, argv, &ret);
	assert_string_equal(out, "protected-nvhe\n");
	free(out);
	argv[6] = "no_such_key";
	out = capture_info(7, argv, &ret);
	assert_int_equal(ret, EXIT_USAGE);
	free(out);

	argv[3] = "--mode-ok";
	argv[4] = "protected";
	out = capture_info(5, argv, &ret);
	assert_int_equal(ret, 0);
	free(out);
	argv[4] = "nvhe";
	out = capture_info(5, argv, &ret);
	assert_int_equal(ret, EXIT_FAIL);
	free(out);
	argv[4] = "bogus";
	out = capture_info(5, argv, &ret);
	assert_int_equal(ret, EXIT_USAGE);
	free(out);

	rm_rf(dir);
	free(dir);
	free(dpath);
	free(ipath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shell_quote),
		cmocka_unit_test(test_cpio_writer),
		cmocka_unit_test(test_modinfo_parse),
		cmocka_unit_test(test_elf_modinfo),
		cmocka_unit_test(test_module_names),
		cmocka_unit_test(test_kmod_resolve),
		cmocka_unit_test(test_debian_modules),
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_console_closed_stdout),
		cmocka_unit_test(test_pkvm_mode),
		cmocka_unit_test(test_qemu_argv),
		cmocka_unit_test(test_clock_parse),
		cmocka_unit_test(test_guest_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
