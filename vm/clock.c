// SPDX-License-Identifier: GPL-2.0
/*
 * itsperf vm --clock icount[:SHIFT]|wall: what the emulated host's clock
 * follows.
 *
 * wall:   multi-threaded TCG, the guest clock is the host's real time: it
 *         moves with host load (runs of one boot differ by tens of percent).
 * icount: single-threaded TCG with -icount shift=N,sleep=off: the guest
 *         clock advances by 2^N ns per executed instruction, so the same
 *         code path always takes the same guest time, whatever the host
 *         does. It measures path length only (no cache or TLB cost, an
 *         exception to EL2 costs about one instruction).
 *
 * The kind reaches the guest as itsperf.clock=icount:N or itsperf.clock=wall
 * on the kernel command line; run metadata takes it from /proc/cmdline
 * (analysis/clock.c).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "vm/vm.h"

int vm_clock_parse(const char *s, int *shift)
{
	char *end;
	long v;

	if (!strcmp(s, "wall")) {
		*shift = VM_CLOCK_WALL;
		return 0;
	}
	if (!strcmp(s, "icount")) {
		*shift = VM_ICOUNT_DEFAULT_SHIFT;
		return 0;
	}
	if (strncmp(s, "icount:", 7) || !s[7])
		return -1;
	v = strtol(s + 7, &end, 10);
	if (*end || v < 0 || v > VM_ICOUNT_MAX_SHIFT)
		return -1;
	*shift = (int)v;
	return 0;
}

char *vm_clock_cmdline(bool icount, int shift)
{
	if (!icount)
		return xstrdup("itsperf.clock=wall");
	return xasprintf("itsperf.clock=icount:%d", shift);
}
