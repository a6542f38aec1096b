// SPDX-License-Identifier: GPL-2.0
/*
 * The guest /init script, vm/guest/init.sh, built into itsperf so the x86
 * binary needs no source tree at run time. vm/Build.mk makes this object
 * depend on the script.
 */
__asm__(".section .rodata\n"
	".global vm_init_script\n"
	".type vm_init_script, %object\n"
	"vm_init_script:\n"
	".incbin \"vm/guest/init.sh\"\n"
	".byte 0\n"
	".size vm_init_script, . - vm_init_script\n"
	".previous\n");
