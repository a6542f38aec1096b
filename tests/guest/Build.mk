# Capture area (host/counters.c, trace/tracedat.c and their tests).
# Included from tests/Build.mk.
#
# tracefs.h includes <event-parse.h> unqualified: the objects that use
# libtracefs need the traceevent header directory (the sysroot's for arm64).
CAPTURE_SRCS	:= trace/tracedat.c host/counters.c tests/guest/capture_driver.c
$(CAPTURE_SRCS:%.c=$(X86)/%.o): BASE_CFLAGS += -isystem /usr/include/traceevent
$(CAPTURE_SRCS:%.c=$(A64)/%.o): BASE_CFLAGS += -isystem $(SYSROOT)/usr/include/traceevent

# The x86 round-trip test reads trace.dat back with libtracecmd (Debian's
# libtracecmd-dev: shared library only, so x86 tests only; the static
# aarch64 itsperf never links it).
$(X86)/tests/test_tracedat: private BASE_CFLAGS += -isystem /usr/include/traceevent \
	-isystem /usr/include/tracefs -isystem /usr/include/trace-cmd
$(X86)/tests/test_tracedat: private LIBS += -ltracecmd
$(X86)/tests/test_counters: private BASE_CFLAGS += -isystem /usr/include/traceevent

# Guest-side driver for the emulated-host tests: a static aarch64 binary
# linking the same objects as itsperf (minus main). `itsperf vm --share`
# packs it; tests/integration/capture*.sh run it.
CAPTURE_DRIVER	:= $(A64)/tests/capture_driver
$(CAPTURE_DRIVER): $(A64)/tests/guest/capture_driver.o $(filter-out $(A64)/itsperf.o,$(A64_OBJS))
	$(call msg,LINK.a64,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(A64_CC) $(BASE_CFLAGS) -static -o $@ $^ $(LIBS) 2>&1 | \
		grep -v -e 'statically linked applications requires at runtime' \
			-e 'in function .*dlopen' -e 'load_plugin' >&2 || true
	$(Q)test -x $@

$(A64)/tests/guest/%.o: tests/guest/%.c | $(A64_SKELS) $(SYSROOT)/.stamp
	$(call msg,CC.a64,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(A64_CC) $(BASE_CFLAGS) -I$(A64)/bpf -MMD -MP -c $< -o $@

-include $(A64)/tests/guest/capture_driver.d

TEST_DEPS	+= $(CAPTURE_DRIVER)
