// SPDX-License-Identifier: GPL-2.0
/*
 * trace/hyp_events: no kernel here has pKVM hypervisor tracing, so the
 * tests build what such a kernel would show: format files (the upstream
 * trace remote's and the older hyp/ layout's), binary ring-buffer pages and
 * text lines, and check the format-driven parser and the EL2 attribution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/util.h"
#include "trace/hyp_events.h"

/* upstream remote events: only common_type, then the event's fields */
static const char fmt_enter[] =
	"name: hyp_enter\n"
	"ID: 1\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"print fmt: \" \"\n";

static const char fmt_exit[] =
	"name: hyp_exit\n"
	"ID: 2\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"print fmt: \" \"\n";

/* older hyp/ events: an id and an address */
static const char fmt_hcall[] =
	"name: host_hcall\n"
	"ID: 3\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"\tfield:unsigned int id;\toffset:4;\tsize:4;\tsigned:0;\n"
	"\tfield:u8 invalid;\toffset:8;\tsize:1;\tsigned:0;\n"
	"\n"
	"print fmt: \"id=%u invalid=%u\", REC->id, REC->invalid\n";

static const char fmt_abort[] =
	"name: host_mem_abort\n"
	"ID: 4\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"\tfield:u64 esr;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 addr;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"esr=0x%llx addr=0x%llx\", REC->esr, REC->addr\n";

static struct hyp_parser *parser(void)
{
	struct hyp_parser *p = hyp_parser_new(NULL, 0);

	assert_non_null(p);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt_enter, strlen(fmt_enter)), 0);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt_exit, strlen(fmt_exit)), 0);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt_hcall, strlen(fmt_hcall)), 0);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt_abort, strlen(fmt_abort)), 0);
	return p;
}

/* a ring-buffer page under construction (64-bit header: ts, commit) */
struct page {
	uint8_t b[4096];
	size_t len;
};

static void page_init(struct page *pg, uint64_t ts)
{
	memset(pg, 0, sizeof(*pg));
	memcpy(pg->b, &ts, 8);
	pg->len = 16;
}

/* one event: 32-bit header (type_len = data words, time delta), then data */
static void page_event(struct page *pg, uint32_t delta, const void *data, size_t len)
{
	uint32_t words = (len + 3) / 4;
	uint32_t hdr = (delta << 5) | words;

	assert_true(words >= 1 && words <= 28);
	memcpy(pg->b + pg->len, &hdr, 4);
	memcpy(pg->b + pg->len + 4, data, len);
	pg->len += 4 + words * 4;
}

static void page_finish(struct page *pg)
{
	uint64_t commit = pg->len - 16;

	memcpy(pg->b + 8, &commit, 8);
}

static void ev_plain(struct page *pg, uint32_t delta, uint16_t id)
{
	uint8_t d[4] = { 0 };

	memcpy(d, &id, 2);
	page_event(pg, delta, d, sizeof(d));
}

static void ev_hcall(struct page *pg, uint32_t delta, uint32_t hcall)
{
	uint8_t d[12] = { 0 };
	uint16_t id = 3;

	memcpy(d, &id, 2);
	memcpy(d + 4, &hcall, 4);
	page_event(pg, delta, d, sizeof(d));
}

static void ev_abort(struct page *pg, uint32_t delta, uint64_t esr, uint64_t addr)
{
	uint8_t d[24] = { 0 };
	uint16_t id = 4;

	memcpy(d, &id, 2);
	memcpy(d + 8, &esr, 8);
	memcpy(d + 16, &addr, 8);
	page_event(pg, delta, d, sizeof(d));
}

static void test_binary_pages(void **state __unused)
{
	const struct hyp_attr_entry *e;
	struct hyp_parser *p = parser();
	struct hyp_attr a;
	struct page pg;

	hyp_attr_init(&a);
	/* CPU 1: hcall 0x12 for 2100 ns, then a trapped MMIO write for 700 ns */
	page_init(&pg, 1000000);
	ev_plain(&pg, 0, 1);
	ev_hcall(&pg, 100, 0x12);
	ev_plain(&pg, 2000, 2);
	ev_plain(&pg, 5000, 1);
	ev_abort(&pg, 50, 0x93c08047, 0x8080088);
	ev_plain(&pg, 650, 2);
	/* an exit with no enter, and an EL2 visit nothing explains */
	ev_plain(&pg, 100, 2);
	ev_plain(&pg, 100, 1);
	ev_plain(&pg, 300, 2);
	page_finish(&pg);
	assert_int_equal(hyp_parse_page(p, &a, 1, pg.b, sizeof(pg.b)), 0);

	/* CPU 0: the same hypercall again, 900 ns */
	page_init(&pg, 2000000);
	ev_plain(&pg, 0, 1);
	ev_hcall(&pg, 10, 0x12);
	ev_plain(&pg, 890, 2);
	ev_plain(&pg, 10, 9); /* no format for id 9 */
	page_finish(&pg);
	assert_int_equal(hyp_parse_page(p, &a, 0, pg.b, sizeof(pg.b)), 0);

	e = hyp_attr_find(&a, "hcall_0x12");
	assert_non_null(e);
	assert_int_equal(e->count, 2);
	assert_int_equal(e->total_ns, 2100 + 900);
	assert_int_equal(e->min_ns, 900);
	assert_int_equal(e->max_ns, 2100);
	e = hyp_attr_find(&a, "mmio_0x8080088");
	assert_non_null(e);
	assert_int_equal(e->count, 1);
	assert_int_equal(e->total_ns, 700);
	e = hyp_attr_find(&a, "unattributed");
	assert_non_null(e);
	assert_int_equal(e->total_ns, 300);
	assert_int_equal(a.unmatched, 1);
	assert_int_equal(a.unknown, 1);
	assert_int_equal(a.records, 12);
	hyp_attr_free(&a);
	hyp_parser_free(p);
}

static void test_bad_page(void **state __unused)
{
	struct hyp_parser *p = parser();
	struct hyp_attr a;
	uint8_t tiny[8] = { 0 };

	hyp_attr_init(&a);
	assert_int_equal(hyp_parse_page(p, &a, 0, tiny, sizeof(tiny)), -1);
	assert_int_equal(a.records, 0);
	hyp_attr_free(&a);
	hyp_parser_free(p);
}

static void test_text_lines(void **state __unused)
{
	static const char *const lines[] = {
		"[001]\t    5.000100: hyp_enter ",
		"[001]\t    5.000200: host_hcall id=0x12 invalid=0",
		"[001]\t    5.003100: hyp_exit ",
		/* ftrace-style line of the older layout */
		"          <idle>-0     [000] d.h1.     6.000000: hyp_enter: ",
		"          <idle>-0     [000] d.h1.     6.000001: host_mem_abort: esr=0x93 "
		"addr=0x8080088",
		"          <idle>-0     [000] d.h1.     6.000005: hyp_exit: ",
		"[000]\t    7.000000: something_else x=1",
		"garbage",
	};
	const struct hyp_attr_entry *e;
	struct hyp_parser *p = parser();
	struct hyp_attr a;
	size_t i;

	hyp_attr_init(&a);
	for (i = 0; i < ARRAY_SIZE(lines) - 1; i++)
		assert_int_equal(hyp_parse_line(p, &a, lines[i]), 0);
	assert_int_equal(hyp_parse_line(p, &a, lines[ARRAY_SIZE(lines) - 1]), -1);
	e = hyp_attr_find(&a, "hcall_0x12");
	assert_non_null(e);
	assert_int_equal(e->total_ns, 3000000);
	e = hyp_attr_find(&a, "mmio_0x8080088");
	assert_non_null(e);
	assert_int_equal(e->total_ns, 5000);
	assert_int_equal(a.unknown, 1);
	hyp_attr_free(&a);
	hyp_parser_free(p);
}

/* 7.2's remote formats (trace_remote.c remote_event_format_show) */
static const char fmt72_enter[] =
	"name: hyp_enter\n"
	"ID: 1\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"\tfield:u8 reason;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:pid_t vcpu;\toffset:3;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"reason=%s vcpu=%d\", __hyp_enter_exit_reason_str(REC->reason), "
	"REC->vcpu\n";

static const char fmt72_exit[] =
	"name: hyp_exit\n"
	"ID: 2\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"\tfield:u8 reason;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:pid_t vcpu;\toffset:3;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"reason=%s vcpu=%d\", __hyp_enter_exit_reason_str(REC->reason), "
	"REC->vcpu\n";

/* the series' events (kernel/patches/common) */
static const char fmt72_commit[] =
	"name: its_commit\n"
	"ID: 5\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"\tfield:u32 cmds;\toffset:4;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 bytes;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 rejected;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:u8 first_op;\toffset:16;\tsize:1;\tsigned:0;\n"
	"\n"
	"print fmt: \"cmds=%u bytes=%u rejected=%u first_op=0x%x\", REC->cmds, REC->bytes, "
	"REC->rejected, REC->first_op\n";

static const char fmt72_cmd[] =
	"name: its_cmd\n"
	"ID: 7\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"\tfield:u8 opcode;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:u32 offset;\toffset:3;\tsize:4;\tsigned:0;\n"
	"\tfield:u8 rejected;\toffset:7;\tsize:1;\tsigned:0;\n"
	"\n"
	"print fmt: \"opcode=0x%x offset=0x%x rejected=%u\", REC->opcode, REC->offset, "
	"REC->rejected\n";

static const char fmt72_mmio[] =
	"name: its_mmio\n"
	"ID: 6\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\n"
	"\tfield:u64 offset;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:u8 is_write;\toffset:16;\tsize:1;\tsigned:0;\n"
	"\n"
	"print fmt: \"offset=0x%llx is_write=%u\", REC->offset, REC->is_write\n";

static struct hyp_parser *parser72(void)
{
	struct hyp_parser *p = hyp_parser_new(NULL, 0);

	assert_non_null(p);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt72_enter, strlen(fmt72_enter)),
			 0);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt72_exit, strlen(fmt72_exit)), 0);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt72_commit, strlen(fmt72_commit)),
			 0);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt72_mmio, strlen(fmt72_mmio)), 0);
	assert_int_equal(hyp_parser_add_format(p, "hypervisor", fmt72_cmd, strlen(fmt72_cmd)), 0);
	return p;
}

/* text as 7.2's trace_pipe prints it: reasons name the EL2 visit */
static void test_remote72_reasons(void **state __unused)
{
	static const char *const lines[] = {
		"[001]\t    2.000000: hyp_enter reason=hvc vcpu=0",
		"[001]\t    2.000003: hyp_exit reason=eret_host vcpu=0",
		"[001]\t    2.000010: hyp_enter reason=hvc vcpu=0",
		"[001]\t    2.000012: hyp_exit reason=eret_host vcpu=0",
		"[000]\t    2.000020: hyp_enter reason=host_abort vcpu=0",
		"[000]\t    2.000025: hyp_exit reason=eret_host vcpu=0",
		"CPU:1 [LOST 42 EVENTS]",
		"[001]\t    2.000030: hyp_enter reason=guest_exit vcpu=77",
		"[001]\t    2.000031: hyp_exit reason=eret_host vcpu=77",
	};
	const struct hyp_attr_entry *e;
	struct hyp_parser *p = parser72();
	struct hyp_attr a;
	size_t i;

	hyp_attr_init(&a);
	for (i = 0; i < ARRAY_SIZE(lines); i++)
		assert_int_equal(hyp_parse_line(p, &a, lines[i]), 0);
	e = hyp_attr_find(&a, "hvc");
	assert_non_null(e);
	assert_int_equal(e->count, 2);
	assert_int_equal(e->total_ns, 3000 + 2000);
	e = hyp_attr_find(&a, "host_abort");
	assert_non_null(e);
	assert_int_equal(e->total_ns, 5000);
	assert_non_null(hyp_attr_find(&a, "guest_exit"));
	assert_null(hyp_attr_find(&a, "unattributed"));
	assert_int_equal(a.lost, 42);
	assert_int_equal(a.unmatched, 0);
	hyp_attr_free(&a);
	hyp_parser_free(p);
}

/* a trapped CWRITER write that commits a MOVI (+SYNC), and a CREADR read */
static void test_remote72_its_commit(void **state __unused)
{
	static const char *const lines[] = {
		"[000]\t    3.000000: hyp_enter reason=host_abort vcpu=0",
		"[000]\t    3.000001: its_mmio offset=0x88 is_write=1 size=8",
		"[000]\t    3.000004: its_cmd opcode=0x1 offset=0x40 rejected=0",
		"[000]\t    3.000005: its_cmd opcode=0x5 offset=0x60 rejected=0",
		"[000]\t    3.000006: its_commit cmds=2 bytes=64 rejected=0 first_op=0x1",
		"[000]\t    3.000007: hyp_exit reason=eret_host vcpu=0",
		"[000]\t    3.000010: hyp_enter reason=host_abort vcpu=0",
		"[000]\t    3.000011: its_mmio offset=0x90 is_write=0",
		"[000]\t    3.000012: hyp_exit reason=eret_host vcpu=0",
		"[000]\t    3.000020: hyp_enter reason=host_abort vcpu=0",
		"[000]\t    3.000021: its_mmio offset=0x88 is_write=1",
		"[000]\t    3.000027: its_cmd opcode=0x8 offset=0x80 rejected=1",
		"[000]\t    3.000028: its_cmd opcode=0x5 offset=0xa0 rejected=0",
		"[000]\t    3.000029: its_commit cmds=2 bytes=64 rejected=1 first_op=0x8",
		"[000]\t    3.000030: hyp_exit reason=eret_host vcpu=0",
	};
	const struct hyp_attr_entry *e;
	struct hyp_parser *p = parser72();
	struct hyp_attr a;
	size_t i;

	hyp_attr_init(&a);
	for (i = 0; i < ARRAY_SIZE(lines); i++)
		assert_int_equal(hyp_parse_line(p, &a, lines[i]), 0);
	e = hyp_attr_find(&a, "its_commit.MOVI");
	assert_non_null(e);
	assert_int_equal(e->count, 1);
	assert_int_equal(e->total_ns, 7000);
	e = hyp_attr_find(&a, "its_commit.MAPD");
	assert_non_null(e);
	assert_int_equal(e->total_ns, 10000);
	e = hyp_attr_find(&a, "its_mmio.creadr");
	assert_non_null(e);
	assert_int_equal(e->total_ns, 2000);
	/* the MMIO event of a commit does not name it: the commit does */
	assert_null(hyp_attr_find(&a, "its_mmio.cwriter"));
	assert_null(hyp_attr_find(&a, "host_abort"));
	assert_int_equal(a.its_commits, 2);
	assert_int_equal(a.its_cmds[ITS_CMD_MOVI], 1);
	assert_int_equal(a.its_cmds[ITS_CMD_MAPD], 1);
	assert_int_equal(a.its_cmds[ITS_CMD_SYNC], 2);
	assert_int_equal(a.its_rejected, 1);
	hyp_attr_free(&a);
	hyp_parser_free(p);
}

static void test_reg_and_reason_names(void **state __unused)
{
	assert_string_equal(hyp_its_reg_name(0x88), "cwriter");
	assert_string_equal(hyp_its_reg_name(0x8c), "cwriter");
	assert_string_equal(hyp_its_reg_name(0x90), "creadr");
	assert_string_equal(hyp_its_reg_name(0x108), "baser");
	assert_string_equal(hyp_its_reg_name(0x0), "ctlr");
	assert_string_equal(hyp_its_reg_name(0x80), "cbaser");
	assert_string_equal(hyp_reason_name(1), "hvc");
	assert_string_equal(hyp_reason_name(4), "host_abort");
	assert_string_equal(hyp_reason_name(200), "unknown");
}

static void write_tree_file(const char *root, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", root, rel);
	char *dir = xstrdup(path);

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_str(path, text), 0);
	free(dir);
	free(path);
}

static void test_detect(void **state __unused)
{
	struct hyp_trace_info info;
	struct hyp_parser *p;
	char tmpl[] = "/tmp/itsperf-hyp-XXXXXX";
	char buf[512];
	char *root = mkdtemp(tmpl);

	assert_non_null(root);
	assert_int_equal(hyp_trace_detect(root, &info), -1);
	assert_int_equal(info.kind, HYP_TRACE_NONE);
	assert_non_null(strstr(hyp_trace_describe(&info, buf, sizeof(buf)), "not available"));

	write_tree_file(root, "remotes/hypervisor/events/hypervisor/hyp_enter/format", fmt_enter);
	write_tree_file(root, "remotes/hypervisor/events/hypervisor/hyp_exit/format", fmt_exit);
	assert_int_equal(hyp_trace_detect(root, &info), 0);
	assert_int_equal(info.kind, HYP_TRACE_REMOTE);
	assert_false(info.raw);
	assert_non_null(strstr(info.events, "hyp_enter"));
	assert_non_null(strstr(info.events, "hyp_exit"));
	/* formats loaded from the tree drive the text parser */
	p = hyp_parser_from_remote(&info);
	assert_non_null(p);
	{
		struct hyp_attr a;

		hyp_attr_init(&a);
		assert_int_equal(hyp_parse_line(p, &a, "[000]\t 1.000000: hyp_enter "), 0);
		assert_int_equal(hyp_parse_line(p, &a, "[000]\t 1.000010: hyp_exit "), 0);
		assert_non_null(hyp_attr_find(&a, "unattributed"));
		assert_int_equal(hyp_attr_find(&a, "unattributed")->total_ns, 10000);
		hyp_attr_free(&a);
	}
	hyp_parser_free(p);
	rm_rf(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_pages),
		cmocka_unit_test(test_bad_page),
		cmocka_unit_test(test_text_lines),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_remote72_reasons),
		cmocka_unit_test(test_remote72_its_commit),
		cmocka_unit_test(test_reg_and_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
