# SPDX-License-Identifier: GPL-2.0
# trace/: ftrace collectors (libtracefs + libtraceevent).
#
# libtracefs' header includes <event-parse.h> without a directory: both
# include directories are needed wherever tracefs.h is included.
TRACE_X86_INC	:= -I/usr/include/tracefs -I/usr/include/traceevent
TRACE_A64_INC	:= -I=/usr/include/tracefs -I=/usr/include/traceevent

$(X86)/trace/%.o $(X86)/commands/%.o $(X86)/host/%.o $(X86)/lib/%.o: BASE_CFLAGS += $(TRACE_X86_INC)
$(A64)/trace/%.o $(A64)/commands/%.o $(A64)/host/%.o $(A64)/lib/%.o: BASE_CFLAGS += $(TRACE_A64_INC)
$(X86)/tests/test_trace% $(X86)/tests/test_host%: BASE_CFLAGS += $(TRACE_X86_INC)

# The Debian kernel packages ship a placeholder System.map: boot-args takes
# the symbols of --kernel 6.12|6.1 from /proc/kallsyms captured once in the
# emulated host (build/ksyms/<name>/kallsyms). boot-args captures it on first
# use; this target does it ahead of time.
.PHONY: kallsyms
kallsyms: $(X86)/itsperf $(A64)/itsperf
	$(Q)for k in 6.12 6.1; do \
		$(X86)/itsperf boot-args --kernel $$k -v > /dev/null || exit 1; \
	done

# Test helper: what a result run holds, for the integration tests' shell
# scripts (trace/tools is not part of itsperf).
TRACE_QUERY	:= $(X86)/trace/tools/trace_query
$(TRACE_QUERY): $(X86)/trace/tools/trace_query.o $(filter-out $(X86)/itsperf.o,$(X86_OBJS))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -o $@ $^ $(LIBS)

-include $(X86)/trace/tools/trace_query.d

TEST_DEPS	+= $(TRACE_QUERY)

# make bench: ns per recorded event through the collector's tracefs path
TRACE_BENCH	:= $(X86)/trace/tools/trace_bench
$(TRACE_BENCH): $(X86)/trace/tools/trace_bench.o $(filter-out $(X86)/itsperf.o,$(X86_OBJS))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -o $@ $^ $(LIBS)

-include $(X86)/trace/tools/trace_bench.d

BENCH_DEPS	+= $(TRACE_BENCH) $(TRACE_QUERY)
