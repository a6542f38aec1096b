# SPDX-License-Identifier: GPL-2.0
#
# itsperf build. Two binaries from the same sources:
#   build/x86_64/itsperf   host side: vm harness, analysis, tracepoint collectors
#   build/aarch64/itsperf  fully static, everything that runs on a pKVM host
# plus the BPF objects (clang -target bpf, one skeleton per arch), the hvc
# kernel module per emulated-host kernel, and the guest initramfs.
#
#   make deps    install what is needed on a fresh Debian 12 machine (idempotent)
#   make kernel  the project's own Linux 7.2 builds, kernel/ (idempotent, cached)
#   make         build everything
#   make test    unit tests on this machine + integration tests in the emulated host
#   make bench   overhead and speed figures
#   make demo    the per-revision regression check end to end on the emulated host
#   make ref     record results/ref again with this itsperf (scripts/record-ref.sh)

BUILD		?= build
O		:= $(abspath $(BUILD))
CROSS_COMPILE	?= aarch64-linux-gnu-
SYSROOT		:= $(O)/sysroot
CLANG		?= clang
BPFTOOL		?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
VERSION		:= $(shell git describe --always --dirty 2>/dev/null || echo 0.1-dev)
V		?= 0
ifeq ($(V),0)
Q		:= @
msg		= @printf '  %-8s %s\n' "$(1)" "$(2)";
else
Q		:=
msg		=
endif

WARN		:= -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS		?= -O2 -g
BASE_CFLAGS	:= $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I. \
		   -DITSPERF_VERSION='"$(VERSION)"'
LIBS		:= -lbpf -ltracefs -ltraceevent -ljson-c -lgsl -lgslcblas -luring \
		   -lelf -lz -lzstd -lm -lpthread

X86		:= $(O)/x86_64
A64		:= $(O)/aarch64

SRCS		:= itsperf.c $(wildcard commands/*.c lib/*.c result/*.c host/*.c vm/*.c bench/*.c \
		   trace/*.c analysis/*.c) \
		   $(filter-out %.bpf.c,$(wildcard bpf/*.c))
BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_HDRS	:= $(wildcard bpf/*.h)

X86_OBJS	:= $(SRCS:%.c=$(X86)/%.o)
A64_OBJS	:= $(SRCS:%.c=$(A64)/%.o)
X86_SKELS	:= $(BPF_SRCS:bpf/%.bpf.c=$(X86)/bpf/%.skel.h)
A64_SKELS	:= $(BPF_SRCS:bpf/%.bpf.c=$(A64)/bpf/%.skel.h)

all: itsperf

itsperf: $(X86)/itsperf $(A64)/itsperf

.PHONY: all itsperf deps test unit-test test-build bench bench-build demo demo-build ref clean \
	format format-check

deps:
	$(Q)BUILD=$(O) scripts/deps.sh

# ---- host (x86_64) ----
$(X86)/%.o: %.c | $(X86_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -I$(X86)/bpf -isystem /usr/include/traceevent -MMD -MP -c $< -o $@

$(X86)/itsperf: $(X86_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -o $@ $^ $(LIBS)

# ---- pKVM host (aarch64, fully static) ----
A64_CC		:= $(CROSS_COMPILE)gcc --sysroot=$(SYSROOT)

$(A64)/%.o: %.c | $(A64_SKELS)
	$(call msg,CC.a64,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(A64_CC) $(BASE_CFLAGS) -I$(A64)/bpf -isystem $(SYSROOT)/usr/include/traceevent -MMD -MP -c $< -o $@

# (tracefs.h includes <event-parse.h> unqualified: hence -isystem .../traceevent)
# libtraceevent's plugin loader references dlopen: harmless in a static binary
$(A64)/itsperf: $(A64_OBJS)
	$(call msg,LINK.a64,$@)
	$(Q)$(A64_CC) $(BASE_CFLAGS) -static -o $@ $^ $(LIBS) 2>&1 | \
		grep -v -e 'statically linked applications requires at runtime' \
			-e 'in function .*dlopen' -e 'load_plugin' >&2 || true
	$(Q)test -x $@

# ---- BPF objects and skeletons ----
BPF_CFLAGS	:= -g -O2 -target bpf -Wall -Werror -I. -Ibpf
$(X86)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -D__TARGET_ARCH_x86 -idirafter /usr/include/x86_64-linux-gnu \
		-idirafter /usr/include -c $< -o $@

$(A64)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS)
	$(call msg,BPF.a64,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -D__TARGET_ARCH_arm64 -nostdinc \
		-idirafter $(SYSROOT)/usr/include/aarch64-linux-gnu \
		-idirafter $(SYSROOT)/usr/include -c $< -o $@

%.skel.h: %.bpf.o
	$(call msg,GENSKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $(<:.bpf.o=)) > $@.tmp && mv $@.tmp $@

-include $(X86_OBJS:.o=.d) $(A64_OBJS:.o=.d)
-include $(wildcard */Build.mk)

# ---- tests, benchmarks, demo ----
# deps first, then the build: never in parallel with each other
SUBMAKE		:= $(MAKE) --no-print-directory

test:
	$(Q)$(SUBMAKE) deps
	$(Q)$(SUBMAKE) kernel
	$(Q)$(SUBMAKE) all test-build
	$(Q)tests/run.sh

unit-test:
	$(Q)$(SUBMAKE) all test-build
	$(Q)tests/run.sh --unit

test-build: $(TEST_DEPS)

bench:
	$(Q)$(SUBMAKE) deps
	$(Q)$(SUBMAKE) kernel
	$(Q)$(SUBMAKE) all bench-build
	$(Q)tests/bench.sh

bench-build: $(BENCH_DEPS)

demo:
	$(Q)$(SUBMAKE) deps
	$(Q)$(SUBMAKE) kernel
	$(Q)$(SUBMAKE) all demo-build
	$(Q)scripts/demo.sh

demo-build: $(DEMO_DEPS)

# the reference runs (results/README.md, "Reference runs"), under QEMU icount
ref:
	$(Q)$(SUBMAKE) deps
	$(Q)$(SUBMAKE) all
	$(Q)scripts/record-ref.sh

$(SYSROOT)/.stamp:
	@echo "itsperf: the arm64 sysroot is missing: run 'make deps' first" >&2; exit 1

$(A64_OBJS): | $(SYSROOT)/.stamp

FORMAT_SRCS	:= $(filter-out %.skel.h,$(wildcard *.c *.h commands/*.[ch] lib/*.[ch] result/*.[ch] \
		   host/*.[ch] vm/*.[ch] bench/*.[ch] \
		   bench/kmod/*.[ch] bpf/*.[ch] trace/*.[ch] trace/tools/*.[ch] analysis/*.[ch] \
		   tests/unit/*.[ch] tests/fuzz/*.[ch] tests/guest/*.[ch]))

format:
	clang-format -i $(FORMAT_SRCS)

# the files that do not match .clang-format, each with its first difference (tests/integration/style.sh)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_SRCS)

clean:
	rm -rf $(X86) $(A64) $(O)/kmod $(O)/initramfs
