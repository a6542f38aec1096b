/* SPDX-License-Identifier: GPL-2.0 */
/*
 * itsperf vm: the emulated pKVM host. QEMU TCG (virt, EL2, GICv3/v4 ITS,
 * virtio PCI) boots a real arm64 kernel with a busybox initramfs assembled
 * per run, runs one command in it and hands back its output and status.
 *
 *   vm.c         options, kernel lookup, the run (host side)
 *   qemu.c       QEMU command line and kernel command line
 *   console.c    serial console stream: boot log, command output, markers
 *   initramfs.c  newc cpio writer, initramfs assembly, shell quoting
 *   modules.c    module index, .modinfo parsing, dependency order
 *   guest.c      `itsperf vm info`: what the (guest) kernel reached
 *   init_blob.c  the guest /init script (vm/guest/init.sh), embedded
 */
#ifndef ITSPERF_VM_H
#define ITSPERF_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* the emulated host failed (boot, panic, timeout, mode): not COMMAND's status */
#define EXIT_VM_FAIL 125

/* ---- pKVM modes ---- */
enum pkvm_mode {
	PKVM_MODE_UNKNOWN, /* no KVM init line seen */
	PKVM_MODE_PROTECTED_HVHE,
	PKVM_MODE_PROTECTED_NVHE,
	PKVM_MODE_NVHE, /* "Hyp mode initialized": KVM at EL2, not protected */
	PKVM_MODE_HVHE, /* "Hyp mode (hVHE)": not protected */
	PKVM_MODE_VHE,	/* kernel at EL2, no hypervisor separation */
};

/* the --mode values */
enum vm_mode_req {
	VM_MODE_PROTECTED, /* protected, hVHE or nVHE as the kernel picks */
	VM_MODE_PROTECTED_NVHE,
	VM_MODE_NVHE,
};

const char *pkvm_mode_name(enum pkvm_mode m);
/* the mode announced by one kernel log line, PKVM_MODE_UNKNOWN if none */
enum pkvm_mode pkvm_mode_from_line(const char *line);
/* the last mode announced in a whole log (dmesg text) */
enum pkvm_mode pkvm_mode_from_log(const char *log);
bool vm_mode_satisfied(enum vm_mode_req req, enum pkvm_mode reached);
const char *vm_mode_req_name(enum vm_mode_req req);
int vm_mode_req_parse(const char *s, enum vm_mode_req *req);

/* ---- configuration of one run ---- */
struct vm_config {
	const char *qemu;  /* qemu-system-aarch64 path */
	const char *image; /* kernel Image */
	const char *initrd;
	const char *release; /* kernel release (uname -r) */
	enum vm_mode_req mode;
	int gic; /* 3 or 4 */
	int cpus;
	const char *mem;	 /* QEMU -m syntax: 2G, 512M */
	const char *append;	 /* extra kernel arguments, may be NULL */
	const char *out_dir;	 /* 9p "out" -> /out */
	const char *share_dir;	 /* 9p "share" -> /mnt/share (ro), may be NULL */
	const char *disk;	 /* scratch raw image for virtio-blk */
	const char *console_log; /* interactive: QEMU logs the console here */
	bool interactive;
	int devices;	   /* --devices: extra MSI-X devices (vm_extra_slot()) */
	int vectors;	   /* --vectors: MSI-X vectors each (vm_extra_vectors()) */
	const char *iommu; /* --iommu smmuv3, or NULL */
	bool icount;	   /* --clock icount:N (false: wall, the default) */
	int icount_shift;  /* N */
};

/* ---- --clock (clock.c) ---- */
#define VM_CLOCK_WALL		-1
#define VM_ICOUNT_DEFAULT_SHIFT 0 /* 1 ns per instruction: vm/clock.c, README */
#define VM_ICOUNT_MAX_SHIFT	10
/* "wall", "icount" or "icount:N" -> shift (VM_CLOCK_WALL for wall); -1 if invalid */
int vm_clock_parse(const char *s, int *shift);
/* the kernel argument naming the clock: itsperf.clock=icount:N|wall (caller frees) */
char *vm_clock_cmdline(bool icount, int shift);

/*
 * --devices N --vectors M: N virtio-serial-pci devices with M MSI-X
 * vectors each, so that the ITS sees N more device IDs and N*M more LPIs
 * (qemu.c says why virtio-serial). Root bus slots 7..31 first; when they
 * run out, the rest sit behind pcie-root-ports (8 functions per slot,
 * from slot 31 down), one device per port.
 */
#define VM_MAX_DEVICES	   128
#define VM_MAX_VECTORS	   64
#define VM_FIRST_FREE_SLOT 7 /* 1..6: the fixed devices (qemu.c) */

struct vm_extra_slot {
	int slot, fn;	  /* root bus slot and function of the device, or of its port */
	bool behind_port; /* device at 00.0 on the port's secondary bus */
};

/* where extra device i of n goes; -1 if n is more than fits */
int vm_extra_slot(int n, int i, struct vm_extra_slot *s);
/* the vectors Linux allocates to one extra device asked to have m, and its port count */
int vm_extra_vectors(int m, int *ports);

/* kernel command line for cfg (caller frees) */
char *vm_kernel_cmdline(const struct vm_config *cfg);
/* NULL-terminated QEMU argv (free with strv_free) */
char **vm_qemu_argv(const struct vm_config *cfg);
void strv_free(char **v);

/* ---- console stream (host side) ---- */
/*
 * Guest /init writes marker lines "ITSPERF:<nonce>:<what>[:<arg>]" on the
 * console; the nonce is per run so no command output can fake one. Before
 * "begin" the console is the boot log, between "begin" and "exit" it is
 * COMMAND's output, passed on byte for byte (init puts one newline before
 * the exit marker so it starts a line; that newline is dropped again).
 */
enum con_phase { CON_BOOT, CON_CMD, CON_DONE };

struct console {
	char nonce[40];
	enum con_phase phase;
	FILE *log;	 /* every console line, \r stripped (console.log) */
	FILE *boot_echo; /* boot-phase lines too, NULL unless -v */
	int out_fd;	 /* COMMAND's output */
	bool out_closed; /* writing it failed (EPIPE): nobody reads */
	char line[4096]; /* current, not yet complete line */
	size_t len;
	size_t flushed;	 /* bytes of line[] already written to out_fd */
	bool long_line;	 /* line[] holds the tail of a line > 4 KiB */
	bool nl_pending; /* a newline of COMMAND's output held back */
	int exit_status; /* -1 until the exit marker */
	bool panic;
	char *panic_msg;     /* "Kernel panic - not syncing: ..." */
	enum pkvm_mode mode; /* last KVM init line seen */
	char *mode_mismatch; /* reached mode reported by init, if refused */
	char **tail;	     /* ring of the last console lines */
	int tail_n, tail_pos, tail_cap;
	uint64_t begin_ns; /* when "begin" arrived (0: not yet) */
};

void console_init(struct console *c, const char *nonce, int out_fd, FILE *log, FILE *echo);
/* feed bytes read from the serial port */
void console_feed(struct console *c, const char *buf, size_t len);
/* end of stream: flush a partial line */
void console_finish(struct console *c);
void console_print_tail(const struct console *c, FILE *f, int max);
void console_free(struct console *c);

/* ---- newc cpio writer (initramfs) ---- */
struct cpio {
	char *buf;
	size_t len, cap;
	unsigned int ino;
	char **dirs; /* directories already in the archive */
	int nr_dirs;
};

void cpio_init(struct cpio *c);
/* parent directories are added as needed; names have no leading '/' */
int cpio_add_dir(struct cpio *c, const char *name, unsigned int mode);
int cpio_add_file(struct cpio *c, const char *name, unsigned int mode, const void *data,
		  size_t len);
int cpio_add_symlink(struct cpio *c, const char *name, const char *target);
int cpio_add_chardev(struct cpio *c, const char *name, unsigned int mode, unsigned int major,
		     unsigned int minor);
/* TRAILER!!! and padding to 512 bytes */
void cpio_finish(struct cpio *c);
void cpio_free(struct cpio *c);

/* POSIX sh quoting of one word / of an argv joined by spaces (caller frees) */
char *shell_quote(const char *s);
char *shell_quote_argv(int argc, char *const *argv);

/* ---- kernel modules ---- */
struct modinfo {
	char *name;
	char *vermagic;
	char **depends;
	int nr_depends;
};

/* parse a .modinfo section (NUL-separated key=value strings) */
int modinfo_parse(const char *sec, size_t len, struct modinfo *mi);
void modinfo_free(struct modinfo *mi);
/* find the .modinfo section of an ELF64 little-endian object */
int elf_modinfo_section(const void *elf, size_t len, const char **sec, size_t *sec_len);
/* module name from a file name: "virtio-rng.ko.xz" -> "virtio_rng" */
char *module_name_from_path(const char *path);
/* read a .ko, .ko.xz, .ko.zst or .ko.gz, decompressed */
char *module_read(const char *path, size_t *len);

struct kmod {
	char *name;
	char *path;
	struct modinfo info;
	bool info_loaded;
};

struct kmod_index {
	struct kmod *mods;
	int nr, cap;
	char **builtin; /* modules.builtin names, if the tree has one */
	int nr_builtin;
};

int kmod_index_scan(struct kmod_index *ix, const char *dir);
struct kmod *kmod_find(struct kmod_index *ix, const char *name);
bool kmod_is_builtin(const struct kmod_index *ix, const char *name);
/*
 * Append name and its dependencies to order[] (dependencies first, no
 * duplicates). Returns 0, or -1 with a message naming the missing module.
 */
int kmod_resolve(struct kmod_index *ix, const char *name, struct kmod ***order, int *nr);
void kmod_index_free(struct kmod_index *ix);

/* ---- initramfs assembly ---- */
struct initramfs_spec {
	struct kmod_index *ix; /* for modules.dep, may be NULL */
	const char *busybox;   /* static arm64 busybox */
	const char *itsperf;   /* static aarch64 itsperf */
	const char *release;
	struct kmod **boot_mods; /* insmod'ed at boot, in this order */
	int nr_boot_mods;
	struct kmod **extra_mods; /* packed, not loaded */
	int nr_extra_mods;
	char **kmods; /* build/kmod/... *.ko -> /lib/itsperf/kmod/ */
	int nr_kmods;
	const char *nonce;
	enum vm_mode_req mode;
	bool interactive;
	bool share;
	int argc; /* COMMAND */
	char **argv;
};

int initramfs_build(const struct initramfs_spec *spec, const char *path);

extern const char vm_init_script[]; /* vm/guest/init.sh */

/* ---- guest side ---- */
int vm_guest_info(int argc, char **argv);

/* ---- a whole run (host side): the parameters of `itsperf vm` ---- */

#define VM_DEFAULT_TIMEOUT_S 600

struct vm_params {
	const char *kernel;
	const char *modules;
	enum vm_mode_req mode;
	int gic;
	int cpus;
	const char *mem;
	const char *append;
	const char *out;
	const char *share;
	const char *binary;
	uint64_t timeout_ns; /* 0: none */
	int devices;	     /* --devices N */
	int vectors;	     /* --vectors M */
	const char *iommu;   /* --iommu smmuv3 */
	int icount_shift;    /* --clock: VM_CLOCK_WALL or icount's shift */
	bool list_kernels;
	int argc; /* COMMAND */
	char **argv;
};

/*
 * Boot the emulated host for p and run p->argv in it (an interactive shell
 * when p->argc is 0), or list the installed kernels. Returns COMMAND's exit
 * status, EXIT_USAGE for a missing set-up or EXIT_VM_FAIL.
 */
int vm_boot(const struct vm_params *p);

#endif
