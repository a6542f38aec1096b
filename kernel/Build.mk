# SPDX-License-Identifier: GPL-2.0
#
# make kernel: the project's own Linux 7.2 builds (kernel/build.sh, see
# kernel/README.md). Idempotent: a variant whose inputs did not change is
# left alone, so test, demo and bench can depend on it.
#
#   make kernel                   itsref-base, itsref-v1, itsref-v2
#   make kernel KVARIANTS=itsref-base

KVARIANTS	?= $(shell kernel/build.sh --list)

kernel:
	$(Q)BUILD=$(O) kernel/build.sh $(KVARIANTS)

.PHONY: kernel
