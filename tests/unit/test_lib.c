// SPDX-License-Identifier: GPL-2.0
/* lib/: /proc/interrupts parsing (both ITS label formats), kallsyms, probes, util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/interrupts.h"
#include "lib/its_cmd.h"
#include "lib/ksyms.h"
#include "lib/probes.h"
#include "lib/util.h"

/* as printed by Debian 6.12 in the emulated host */
static const char irq_612[] =
	"           CPU0       CPU1       \n"
	" 11:       3120       2890     GICv3  27 Level     arch_timer\n"
	" 14:          0          0  ITS-PCI-MSIX-0000:00:01.0   0 Edge      virtio0-config\n"
	" 15:         25          3  ITS-PCI-MSIX-0000:00:01.0   1 Edge      virtio0-input.0\n"
	" 17:          7          0  ITS-PCI-MSIX-0000:00:02.0   1 Edge      virtio1-req.0\n"
	"IPI0:       100        200       Rescheduling interrupts\n"
	"Err:          0\n";

/* as printed by Debian 6.1 */
static const char irq_61[] =
	"           CPU0       CPU1       \n"
	" 11:       3120       2890     GICv3  27 Level     arch_timer\n"
	" 14:          0          0   ITS-MSI 16384 Edge      virtio0-config\n"
	" 15:         25          3   ITS-MSI 16385 Edge      virtio0-input.0\n"
	" 17:          7          1   ITS-MSI 32769 Edge      virtio1-req.0\n";

static void check_its_lines(const struct irq_table *t)
{
	const struct irq_line *l;

	assert_int_equal(t->nr_cpus, 2);
	assert_int_equal(irq_table_count_its(t), 3);
	l = irq_table_find(t, 15);
	assert_non_null(l);
	assert_string_equal(l->bdf, "0000:00:01.0");
	assert_int_equal(l->msi_index, 1);
	assert_int_equal(l->total, 28);
	assert_string_equal(l->action, "virtio0-input.0");
	l = irq_table_find(t, 17);
	assert_non_null(l);
	assert_string_equal(l->bdf, "0000:00:02.0");
	assert_int_equal(l->msi_index, 1);
	l = irq_table_find(t, 11);
	assert_int_equal(l->its, ITS_LABEL_NONE);
	assert_int_equal(l->per_cpu[1], 2890);
}

static void test_irq_612(void **state __unused)
{
	struct irq_table t;

	assert_int_equal(irq_table_parse(irq_612, &t), 0);
	check_its_lines(&t);
	assert_int_equal(irq_table_find(&t, 14)->its, ITS_LABEL_PCI_MSIX);
	irq_table_free(&t);
}

static void test_irq_61(void **state __unused)
{
	struct irq_table t;

	assert_int_equal(irq_table_parse(irq_61, &t), 0);
	check_its_lines(&t);
	assert_int_equal(irq_table_find(&t, 14)->its, ITS_LABEL_MSI);
	irq_table_free(&t);
}

/* x86 prints hwirq and trigger as one column */
static void test_irq_x86(void **state __unused)
{
	static const char x86[] =
		"           CPU0       CPU1\n"
		" 26:          0         14  IO-APIC   4-edge      ttyS0\n"
		" 40:          3          0  PCI-MSIX-0000:00:03.0   1-edge      virtio0-req.0\n";
	const struct irq_line *l;
	struct irq_table t;

	assert_int_equal(irq_table_parse(x86, &t), 0);
	l = irq_table_find(&t, 26);
	assert_string_equal(l->hwirq, "4");
	assert_string_equal(l->trigger, "edge");
	assert_string_equal(l->action, "ttyS0");
	assert_int_equal(irq_table_find(&t, 40)->its, ITS_LABEL_NONE);
	assert_string_equal(irq_table_find(&t, 40)->action, "virtio0-req.0");
	irq_table_free(&t);
}

static void test_irq_garbage(void **state __unused)
{
	struct irq_table t;

	assert_int_equal(irq_table_parse("garbage\n", &t), -1);
	assert_int_equal(irq_table_parse("", &t), -1);
}

static const char kallsyms[] = "ffff800080010000 T _text\n"
			       "ffff800080100000 t its_send_single_command\n"
			       "ffff800080100400 t its_build_movi_cmd\n"
			       "ffff800080100800 t its_start_depriviledge.isra.0\n"
			       "ffff800080101000 T kvm_share_hyp\n"
			       "ffff800080200000 t virtblk_probe\t[virtio_blk]\n";

static void test_ksyms_and_probes(void **state __unused)
{
	char path[] = "/tmp/itsperf-test-kallsyms-XXXXXX";
	struct probe_resolution res;
	const struct ksym *s;
	struct ksyms *ks;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, kallsyms, strlen(kallsyms)), (ssize_t)strlen(kallsyms));
	close(fd);
	ks = ksyms_load(path);
	unlink(path);
	assert_non_null(ks);
	s = ksyms_by_addr(ks, 0xffff800080100410ull);
	assert_string_equal(s->name, "its_build_movi_cmd");
	assert_null(ksyms_by_name(ks, "its_start_depriviledge"));
	assert_non_null(ksyms_by_name_or_clone(ks, "its_start_depriviledge"));
	assert_string_equal(ksyms_by_name(ks, "virtblk_probe")->module, "virtio_blk");

	/* v1 spelling resolves through the candidate list, unpatched probes are absent */
	assert_int_equal(probe_resolve(probe_find("its_deprivilege_start"), ks, &res), 0);
	assert_string_equal(res.symbol, "its_start_depriviledge.isra.0");
	assert_int_equal(res.candidate, 1);
	assert_int_equal(probe_resolve(probe_find("its_deprivilege_end"), ks, &res), -1);
	assert_null(res.symbol);
	assert_int_equal(probe_resolve(probe_find("cmd_send"), ks, &res), 0);
	assert_int_equal(res.addr, 0xffff800080100000ull);
	ksyms_free(ks);
}

static void test_parsers(void **state __unused)
{
	uint64_t mask[16];
	char buf[64];
	uint64_t ns;

	assert_int_equal(parse_duration_ns("500ms", &ns), 0);
	assert_int_equal(ns, 500000000ull);
	assert_int_equal(parse_duration_ns("2", &ns), 0);
	assert_int_equal(ns, 2000000000ull);
	assert_int_equal(parse_duration_ns("2x", &ns), -1);
	assert_int_equal(parse_cpulist("0-2,5", mask, 1024), 4);
	assert_int_equal(format_cpulist(mask, 1024, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0-2,5");
	assert_int_equal(parse_cpulist("3-1", mask, 1024), -1);
	assert_int_equal(parse_cpulist("a", mask, 1024), -1);
}

static void test_its_cmd_names(void **state __unused)
{
	assert_string_equal(its_cmd_name_of_builder("its_build_movi_cmd"), "MOVI");
	assert_string_equal(its_cmd_name_of_builder("its_build_mapti_cmd.isra.0"), "MAPTI");
	assert_string_equal(its_cmd_name_of_builder("its_build_vmapp_cmd+0x0"), "VMAPP");
	/* a prefix of another builder's name must not match it */
	assert_string_equal(its_cmd_name_of_builder("its_build_map_cmd"), "OTHER");
	assert_string_equal(its_cmd_name_of_builder("its_build_movi_cmdx"), "OTHER");
	assert_string_equal(its_cmd_name_of_builder("its_send_single_command"), "OTHER");
	assert_int_equal(its_cmd_parse("movi"), ITS_CMD_MOVI);
	assert_int_equal(its_cmd_parse("NOPE"), -1);
	assert_string_equal(its_cmd_builder(ITS_CMD_SYNC), "its_build_sync_cmd");
	assert_string_equal(its_cmd_builder(ITS_CMD_DISCARD), "its_build_discard_cmd");
}

static int order[3];
static int nr_order;

static void record_order(void *arg)
{
	order[nr_order++] = (int)(intptr_t)arg;
}

static void test_cleanup_stack(void **state __unused)
{
	cleanup_push(record_order, (void *)1, "one");
	cleanup_push(record_order, (void *)2, "two");
	cleanup_push(record_order, (void *)3, "three");
	cleanup_forget(record_order, (void *)2);
	cleanup_run_all();
	assert_int_equal(nr_order, 2);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irq_612),		 cmocka_unit_test(test_irq_61),
		cmocka_unit_test(test_irq_x86),		 cmocka_unit_test(test_irq_garbage),
		cmocka_unit_test(test_ksyms_and_probes), cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_its_cmd_names),	 cmocka_unit_test(test_cleanup_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
