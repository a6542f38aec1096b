# Unit tests: one cmocka binary per tests/unit/test_*.c, linked with every
# object but main().
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(X86)/tests/%)
UNIT_LIB_OBJS	:= $(filter-out $(X86)/itsperf.o,$(X86_OBJS))

$(X86)/tests/%: tests/unit/%.c $(UNIT_LIB_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -I$(X86)/bpf -o $@ $< $(UNIT_LIB_OBJS) $(LIBS) -lcmocka

TEST_DEPS	+= $(UNIT_BINS)

# capture area fragment (counters, trace.dat, guest driver)
-include tests/guest/Build.mk
