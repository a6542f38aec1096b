# SPDX-License-Identifier: GPL-2.0
#
# bench/: the hvc kernel module, cross-built for each emulated-host kernel
# (build/kmod/<series>/itsperf_hvc.ko, packed into the guest's
# /lib/itsperf/kmod/ by `itsperf vm`) and, with `make kmod KDIR=DIR`, for a
# user's kernel tree (build/kmod/user/itsperf_hvc.ko).
#
# Kbuild writes its objects next to the sources, so the sources are copied
# into a scratch directory per kernel first.
#
# Debian's kernels build against their headers (make deps; for 7.2 with host
# tools and compiler settings rebuilt for this machine, scripts/deps.sh).
# The project's own kernels (make kernel: build/kernels/itsref-*) build
# against their object tree (lib/modules/<release>/build), only those that
# exist; their module is rebuilt when their Image changes.

KMOD_SERIES	:= 6.12 6.1 7.2
# (not itsref-*.new: kernel/build.sh's install in progress)
KMOD_OWN	:= $(filter-out %.new,$(patsubst $(O)/kernels/%/boot/,%,$(dir \
		   $(wildcard $(O)/kernels/itsref-*/boot/vmlinuz-*))))
KMOD_SRCS	:= bench/kmod/itsperf_hvc.c bench/kmod/Kbuild bench/kmod/gen_hcall_last.sh
KMOD_TARGETS	:= $(addsuffix /itsperf_hvc.ko,$(addprefix $(O)/kmod/,$(KMOD_SERIES) $(KMOD_OWN)))
KMOD_ARCH	?= arm64
# no cross compiler on an arm64 build machine
KMOD_CROSS	?= $(if $(filter aarch64 arm64,$(shell uname -m)),,$(CROSS_COMPILE))

# kmod_build <kdir> <scratch dir> <target .ko>
define kmod_build
	$(Q)if [ ! -f "$(1)/Makefile" ]; then \
		echo "itsperf: no kernel build tree at '$(1)' (make deps, or KDIR=)" >&2; exit 1; fi
	$(Q)rm -rf $(2) && mkdir -p $(2) $(dir $(3)) && cp $(KMOD_SRCS) $(2)/
	$(Q)$(MAKE) --no-print-directory -C $(1) M=$(2) ARCH=$(KMOD_ARCH) \
		CROSS_COMPILE=$(KMOD_CROSS) modules > $(2)/build.log 2>&1 || \
		{ cat $(2)/build.log >&2; echo "itsperf: module build failed, log: $(2)/build.log" >&2; exit 1; }
	$(Q)cp $(2)/itsperf_hvc.ko $(3)
endef

kmod_kdir = $(firstword $(wildcard $(O)/kernels/$(1)/headers/usr/src/linux-headers-*-arm64) \
	$(patsubst %/,%,$(wildcard $(O)/kernels/$(1)/lib/modules/*/build/)))

$(O)/kmod/%/itsperf_hvc.ko: $(KMOD_SRCS)
	$(call msg,KMOD,$@)
	$(call kmod_build,$(call kmod_kdir,$*),$(O)/kmod-build/$*,$@)

$(foreach k,$(KMOD_OWN),$(eval $(O)/kmod/$(k)/itsperf_hvc.ko: \
	$(wildcard $(O)/kernels/$(k)/boot/vmlinuz-*)))

kmod-all: $(KMOD_TARGETS)

# a user's kernel: make kmod KDIR=/path/to/build/tree
kmod:
	$(Q)if [ -z "$(KDIR)" ]; then \
		echo "usage: make kmod KDIR=/path/to/kernel/build/tree" >&2; exit 2; fi
	$(call msg,KMOD,$(O)/kmod/user/itsperf_hvc.ko)
	$(call kmod_build,$(abspath $(KDIR)),$(O)/kmod-build/user,$(O)/kmod/user/itsperf_hvc.ko)
	@echo "itsperf: built $(O)/kmod/user/itsperf_hvc.ko for $(KDIR)"

.PHONY: kmod kmod-all

TEST_DEPS	+= $(KMOD_TARGETS)
DEMO_DEPS	+= $(KMOD_TARGETS)
BENCH_DEPS	+= $(KMOD_TARGETS)
